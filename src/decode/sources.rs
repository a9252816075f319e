//! The ABIs and tokens a user added, as they are saved (the window's settings) and given
//! (`show --abi FILE@0xADDR --token 0xADDR=SYM:DEC`), and the [`Decoder`] they make.
//!
//! Building never drops an entry: an ABI file that went missing or does not parse is kept
//! with its error beside it, so the user sees why and fixes or removes it; the decoder is
//! made from the entries that work.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::shorten_id;
use super::{AbiCounts, AbiError, Decoder};

/// The user's ABIs and tokens.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DecodeSources {
    /// ABI files, in the order added (an earlier one wins over a later one for the same
    /// event).
    pub abis: Vec<AbiSource>,
    /// Token units, replacing a built-in entry for the same address.
    pub tokens: Vec<TokenSource>,
}

/// A JSON ABI file, optionally bound to one contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbiSource {
    /// The file (an ABI array, or a Foundry/Hardhat artifact with an `abi` member).
    pub path: PathBuf,
    /// The contract it is for (`0x…`); `None` for every contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl AbiSource {
    /// `FILE` or `FILE@0xADDRESS`, as `--abi` takes it (a path may itself hold an `@`: only
    /// a last one followed by `0x` binds).
    pub fn parse(text: &str) -> Self {
        match text.rsplit_once('@') {
            Some((path, address)) if address.starts_with("0x") && !path.is_empty() => {
                Self { path: PathBuf::from(path), address: Some(address.to_owned()) }
            }
            _ => Self { path: PathBuf::from(text), address: None },
        }
    }

    /// The file's name, and the contract shortened when bound: `erc20.json @ 0x5FbD…0aa3`.
    pub fn label(&self) -> String {
        let name = self
            .path
            .file_name()
            .map_or_else(|| self.path.display().to_string(), |name| name.to_string_lossy().into_owned());
        match &self.address {
            Some(address) => format!("{name} @ {}", shorten_id(address, 4)),
            None => name,
        }
    }
}

/// A token's symbol and decimals, for its amounts in its own units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSource {
    /// The token contract (`0x…`).
    pub address: String,
    /// Its symbol: `USDC`.
    pub symbol: String,
    /// Its decimals: 6.
    pub decimals: u8,
}

/// The longest symbol taken; real ones are a few letters.
const MAX_SYMBOL: usize = 16;

impl TokenSource {
    /// A token from its three fields as typed; the error says which one is wrong.
    pub fn new(address: &str, symbol: &str, decimals: &str) -> Result<Self, String> {
        let address = address.trim();
        if address.parse::<alloy_primitives::Address>().is_err() {
            return Err(format!("{address:?} is not a contract address (0x and 40 hex digits)"));
        }
        let symbol = symbol.trim();
        if symbol.is_empty()
            || symbol.chars().count() > MAX_SYMBOL
            || symbol.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(format!("{symbol:?} is not a symbol (1 to {MAX_SYMBOL} characters, no spaces)"));
        }
        let decimals = decimals
            .trim()
            .parse::<u8>()
            .map_err(|_| format!("{:?} is not a number of decimals (0 to 255)", decimals.trim()))?;
        Ok(Self { address: address.to_owned(), symbol: symbol.to_owned(), decimals })
    }
}

impl FromStr for TokenSource {
    type Err = String;

    /// `0xADDRESS=SYMBOL:DECIMALS`, as `--token` takes it.
    fn from_str(text: &str) -> Result<Self, String> {
        let (address, rest) =
            text.split_once('=').ok_or_else(|| format!("{text:?} is not 0xADDRESS=SYMBOL:DECIMALS"))?;
        let (symbol, decimals) =
            rest.rsplit_once(':').ok_or_else(|| format!("{text:?} is not 0xADDRESS=SYMBOL:DECIMALS"))?;
        Self::new(address, symbol, decimals)
    }
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}:{}", self.address, self.symbol, self.decimals)
    }
}

/// A decoder and how each source fared, in the sources' order.
#[derive(Debug)]
pub struct Built {
    /// The built-ins and every source that could be used.
    pub decoder: Decoder,
    /// Per ABI: what it declared, or why it was left out.
    pub abis: Vec<Result<AbiCounts, AbiError>>,
    /// Per token: whether it was taken.
    pub tokens: Vec<Result<(), String>>,
}

impl Built {
    /// The first problem, for a command line that refuses to run with one.
    pub fn first_error(&self) -> Option<String> {
        let abi = self.abis.iter().find_map(|result| result.as_ref().err()).map(|err| format!("--abi {err}"));
        abi.or_else(|| {
            self.tokens.iter().find_map(|result| result.as_ref().err()).map(|err| format!("--token {err}"))
        })
    }
}

impl DecodeSources {
    /// The decoder with the built-ins and these sources; each ABI file is read now.
    pub fn build(&self) -> Built {
        let mut decoder = Decoder::new();
        let abis =
            self.abis.iter().map(|abi| decoder.add_abi_file(&abi.path, abi.address.as_deref())).collect();
        let tokens = self
            .tokens
            .iter()
            .map(|token| decoder.add_token(&token.address, &token.symbol, token.decimals))
            .collect();
        Built { decoder, abis, tokens }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    #[test]
    fn abi_arguments_bind_only_with_a_final_0x_address() {
        let bound = AbiSource::parse("out/Token.json@0x5FbDB2315678afecb367f032d93F642f64180aa3");
        assert_eq!(bound.path, PathBuf::from("out/Token.json"));
        assert_eq!(bound.address.as_deref(), Some("0x5FbDB2315678afecb367f032d93F642f64180aa3"));
        assert_eq!(bound.label(), "Token.json @ 0x5FbD…0aa3");
        let plain = AbiSource::parse("/home/me@work/abi.json");
        assert_eq!((plain.path, plain.address), (PathBuf::from("/home/me@work/abi.json"), None));
        assert_eq!(AbiSource::parse("@0x12").path, PathBuf::from("@0x12"));
    }

    #[test]
    fn tokens_are_checked_field_by_field() {
        let token: Result<TokenSource, _> = "0x3333333333333333333333333333333333333333=TST:2".parse();
        assert_eq!(
            token.as_ref().map(ToString::to_string).as_deref(),
            Ok("0x3333333333333333333333333333333333333333=TST:2")
        );
        let address = TokenSource::new("0x12", "TST", "2").err().unwrap_or_default();
        assert!(address.contains("not a contract address"), "{address}");
        let symbol = TokenSource::new("0x3333333333333333333333333333333333333333", "T ST", "2");
        assert!(symbol.is_err_and(|err| err.contains("not a symbol")));
        let decimals = TokenSource::new("0x3333333333333333333333333333333333333333", "TST", "300");
        assert!(decimals.is_err_and(|err| err.contains("0 to 255")));
        assert!("0x33=TST".parse::<TokenSource>().is_err());
    }

    #[test]
    fn a_broken_source_is_reported_in_place_and_the_others_still_decode() {
        let dir = std::env::temp_dir().join(format!("subscope-sources-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("{err}"));
        let good = dir.join("moved.json");
        let mut file = std::fs::File::create(&good).unwrap_or_else(|err| panic!("{err}"));
        file.write_all(
            br#"[{"type":"event","name":"Moved","anonymous":false,"inputs":[
            {"name":"who","type":"address","indexed":true}]},
            {"type":"function","name":"move","inputs":[],"outputs":[],"stateMutability":"nonpayable"}]"#,
        )
        .unwrap_or_else(|err| panic!("{err}"));
        let sources = DecodeSources {
            abis: vec![
                AbiSource { path: dir.join("gone.json"), address: None },
                AbiSource { path: good.clone(), address: None },
            ],
            tokens: vec![TokenSource { address: "0x12".to_owned(), symbol: "X".to_owned(), decimals: 1 }],
        };
        let built = sources.build();
        assert!(built.abis[0].as_ref().is_err_and(|err| err.path.ends_with("gone.json")));
        assert_eq!(built.abis[1], Ok(AbiCounts { events: 1, functions: 1 }));
        assert!(built.tokens[0].is_err());
        assert!(
            built.first_error().is_some_and(|err| err.starts_with("--abi ") && err.contains("gone.json"))
        );
        // Moved(address): topic0 and the indexed address, no data.
        let topic0 = alloy_primitives::keccak256("Moved(address)");
        let frame = format!(
            r#"{{"jsonrpc":"2.0","method":"eth_subscription","params":{{"subscription":"0x1","result":{{
            "address":"0x2222222222222222222222222222222222222222","topics":["{topic0}",
            "0x000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266"],"data":"0x"}}}}}}"#
        );
        let decoded = built.decoder.decode(&frame).map(|decoded| decoded.summary);
        assert_eq!(decoded.as_deref(), Some("Moved who=0xf39F…2266"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
