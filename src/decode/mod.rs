//! What a frame means to the person reading it: Ethereum events and calls decoded by their
//! ABI, Solana logs as an invocation tree, `jsonParsed` accounts as their fields.
//!
//! [`Decoder::decode`] takes a raw frame (as captured) and gives a [`Decoded`]: one line for
//! a table's summary column and the structured [`Detail`] for a "Decoded" view. Nothing here
//! depends on the UI or does I/O except [`Decoder::add_abi_file`], which reads the file it is
//! given. A `Decoder` is built once (the built-ins are parsed then) and shared; decoding
//! takes `&self`.
//!
//! ```
//! use subscope::decode::Decoder;
//!
//! let decoder = Decoder::new();
//! let frame = r#"{"jsonrpc":"2.0","method":"logsNotification","params":{"subscription":1,"result":{
//!     "context":{"slot":5},"value":{"signature":"5h6x","err":null,"logs":[
//!     "Program 11111111111111111111111111111111 invoke [1]",
//!     "Program 11111111111111111111111111111111 success"]}}}}"#;
//! assert_eq!(decoder.decode(frame).map(|d| d.summary), Some("System".to_owned()));
//! ```

mod builtin;
mod ethereum;
mod outline;
mod solana;
mod sources;
mod text;

use std::path::Path;
use std::str::FromStr as _;

use alloy_json_abi::{ContractObject, JsonAbi};
use alloy_primitives::Address;
use serde::Serialize;
use serde_json::Value;

pub use ethereum::Token;
pub use outline::OutlineLine;
pub use solana::{
    Field, Invocation, InvokeResult, LogItem, LogTree, ParsedAccount, log_tree, parsed_account, program_name,
};
pub use sources::{AbiSource, Built, DecodeSources, TokenSource};
pub use text::{scale_amount, shorten_id};

use crate::catalog::{Chain, Payload};

/// A decoded frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decoded {
    /// One line for a table: `Transfer 1,000.5 USDC from=0xf39F…2266 to=0x7099…79C8`,
    /// `ComputeBudget; Token: Transfer`.
    pub summary: String,
    /// Everything decoded, for a detail view.
    #[serde(flatten)]
    pub detail: Detail,
}

/// What a frame decoded to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Detail {
    /// An Ethereum log.
    Event(EthEvent),
    /// An Ethereum transaction's `input`.
    Call(EthCall),
    /// Solana transaction logs (several for a block).
    Logs {
        /// One tree per transaction.
        transactions: Vec<LogTree>,
    },
    /// A Solana account's `jsonParsed` data.
    Account(ParsedAccount),
}

/// A decoded Ethereum log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EthEvent {
    /// The event's name: `Transfer`.
    pub name: String,
    /// Its signature: `Transfer(address,address,uint256)`.
    pub signature: String,
    /// Where its ABI came from: a built-in standard (`ERC-20`, `Uniswap V2`) or a file name.
    pub origin: String,
    /// The emitting contract, checksummed.
    pub contract: String,
    /// Whether a reorg removed the log (`"removed": true`).
    pub removed: bool,
    /// Every argument, in declaration order.
    pub args: Vec<Arg>,
}

/// A decoded Ethereum call (a transaction's `input`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EthCall {
    /// The function's name: `transfer`.
    pub name: String,
    /// Its signature: `transfer(address,uint256)`.
    pub signature: String,
    /// Where its ABI came from.
    pub origin: String,
    /// The called contract (`to`), checksummed.
    pub contract: Option<String>,
    /// Whether a reorg removed the transaction.
    pub removed: bool,
    /// Every argument, in declaration order.
    pub args: Vec<Arg>,
}

/// One named argument.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Arg {
    /// The name (`arg0`, `arg1`… when the ABI has none).
    pub name: String,
    /// The Solidity type: `uint256`, `address`, `uint256[]`.
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether it came from a topic (an indexed event argument; an indexed string, bytes or
    /// array is its hash).
    pub indexed: bool,
    /// The value as text: integers in decimal, addresses checksummed, bytes as hex.
    pub value: String,
    /// The value in the token's units when it is an amount of a known token: `1,000.5 USDC`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
}

/// A user ABI file that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{path}: {message}")]
pub struct AbiError {
    /// The file, as given.
    pub path: String,
    /// What is wrong, and where (`line 3 column 14`, or the event or function).
    pub message: String,
}

/// Whether notifications carrying `payload` can decode at all: Ethereum logs and
/// transactions, Solana transaction logs, and Solana accounts sent `jsonParsed`.
fn decodes(payload: Payload) -> bool {
    payload.chain() == Some(Chain::Ethereum) || solana::carries_logs(payload) || carries_account(payload)
}

/// Whether `payload` holds an account whose `jsonParsed` data is decoded into fields.
fn carries_account(payload: Payload) -> bool {
    matches!(payload, Payload::SolanaAccount | Payload::SolanaProgram)
}

/// A notification's envelope, its result kept as text.
#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    method: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    params: Option<EnvelopeParams<'a>>,
}

#[derive(serde::Deserialize)]
struct EnvelopeParams<'a> {
    #[serde(borrow, default)]
    result: Option<&'a serde_json::value::RawValue>,
}

/// How many tokens the decoder knows without being told (USDC, USDT, WETH, DAI…).
pub fn builtin_token_count() -> usize {
    builtin::TOKENS.len()
}

/// What an added ABI brought: the events (anonymous ones cannot be matched and are not
/// counted) and functions it declares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AbiCounts {
    /// Events matched by topic.
    pub events: usize,
    /// Functions matched by selector.
    pub functions: usize,
}

/// Decodes frames with the built-in ABIs and tokens and whatever the user added.
pub struct Decoder {
    eth: ethereum::EthRegistry,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder").finish_non_exhaustive()
    }
}

impl Decoder {
    /// A decoder with the built-in events, calls and tokens.
    pub fn new() -> Self {
        Self { eth: ethereum::EthRegistry::builtin() }
    }

    /// Adds the ABI in a JSON file: the standard array, or an object with an `abi` member (a
    /// Foundry or Hardhat artifact). With `address`, its events and calls are matched only for
    /// that contract, and win over every other ABI there; without, they win over the
    /// built-ins everywhere.
    pub fn add_abi_file(&mut self, path: &Path, address: Option<&str>) -> Result<AbiCounts, AbiError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|err| AbiError { path: name.clone(), message: err.to_string() })?;
        let origin =
            path.file_name().map_or_else(|| name.clone(), |file| file.to_string_lossy().into_owned());
        self.add_abi_json(&origin, &text, address).map_err(|err| AbiError { path: name, ..err })
    }

    /// Adds an ABI from JSON text (see [`Self::add_abi_file`]); `origin` names it in the
    /// decoded detail and in errors.
    pub fn add_abi_json(
        &mut self,
        origin: &str,
        json: &str,
        address: Option<&str>,
    ) -> Result<AbiCounts, AbiError> {
        let error = |message: String| AbiError { path: origin.to_owned(), message };
        let address = address
            .map(|text| {
                Address::from_str(text.trim())
                    .map_err(|_| error(format!("{text:?} is not a contract address")))
            })
            .transpose()?;
        let abi: JsonAbi = serde_json::from_str::<ContractObject>(json)
            .map_err(|err| error(format!("not a JSON ABI: {err}")))?
            .abi
            .ok_or_else(|| {
                error("no ABI in it: expected an array, or an object with an \"abi\" array".to_owned())
            })?;
        self.eth.add_abi(&abi, origin, address).map_err(error)?;
        Ok(AbiCounts {
            events: abi.events().filter(|event| !event.anonymous).count(),
            functions: abi.functions().count(),
        })
    }

    /// Sets the symbol and decimals of a token (an ERC-20 contract address), so its amounts
    /// read in its units; it replaces a built-in entry.
    pub fn add_token(&mut self, address: &str, symbol: &str, decimals: u8) -> Result<(), String> {
        let address =
            Address::from_str(address.trim()).map_err(|_| format!("{address:?} is not an address"))?;
        self.eth.add_token(address, Token { symbol: symbol.to_owned(), decimals });
        Ok(())
    }

    /// Decodes a raw frame (a notification as captured). `None` when there is nothing to
    /// decode: another kind of frame, a log whose event no ABI knows (it stays raw), a
    /// transaction without a known selector, account data that is not `jsonParsed`.
    pub fn decode(&self, raw: &str) -> Option<Decoded> {
        // The envelope first, with `result` left unparsed: a frame of a kind nothing here
        // decodes (a slot, a multi-megabyte block without logs) is not read into values.
        let envelope;
        let (method, result) = match crate::protocol::scan::notification_result(raw) {
            Some(found) => found,
            None => {
                envelope = serde_json::from_str::<Envelope<'_>>(raw).ok()?;
                (envelope.method.as_deref()?, envelope.params.as_ref()?.result?.get())
            }
        };
        let payload = Payload::of_notification(method);
        if !decodes(payload) {
            return None;
        }
        if payload == Payload::SolanaLogs
            && let Some(tree) = solana::logs_tree_of_text(result)
        {
            return logs_decoded(tree.into_iter().collect());
        }
        let result: Value = serde_json::from_str(result).ok()?;
        self.decode_result(payload, &result)
    }

    /// Decodes a notification's `params.result`, given what it carries.
    pub fn decode_result(&self, payload: Payload, result: &Value) -> Option<Decoded> {
        if payload.chain() == Some(Chain::Ethereum) {
            return self.decode_ethereum(result);
        }
        if solana::carries_logs(payload) {
            return logs_decoded(solana::trees_in(payload, result));
        }
        if carries_account(payload) {
            let value = &result["value"];
            let data = value.get("account").unwrap_or(value).get("data")?;
            let account = parsed_account(data)?;
            return Some(Decoded { summary: account.summary(), detail: Detail::Account(account) });
        }
        None
    }

    /// An `eth_subscription` result: a log, a full pending transaction, or Alchemy's
    /// `{removed, transaction}`.
    fn decode_ethereum(&self, result: &Value) -> Option<Decoded> {
        let object = result.as_object()?;
        if object.contains_key("topics") {
            return self.eth.decode_log(result);
        }
        if let Some(transaction) = object.get("transaction") {
            let removed = object.get("removed").and_then(Value::as_bool).unwrap_or(false);
            return self.eth.decode_transaction(transaction, removed);
        }
        if object.contains_key("input") {
            return self.eth.decode_transaction(result, false);
        }
        None
    }
}

/// What log trees decode to: none when no transaction's logs were read.
fn logs_decoded(transactions: Vec<solana::LogTree>) -> Option<Decoded> {
    if transactions.is_empty() {
        return None;
    }
    Some(Decoded { summary: solana::trees_summary(&transactions), detail: Detail::Logs { transactions } })
}

#[cfg(test)]
mod tests;
