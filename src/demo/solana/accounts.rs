//! Simulated Solana accounts: wallets, SPL token accounts and program data accounts, shaped
//! by program filters and encoded as Agave's `UiAccount`.

use super::{AccountEncoding, ProgramFilter};
use crate::catalog::MAX_BASE58_ACCOUNT_BYTES;
use crate::demo::fake::{self, SYSTEM_PROGRAM, TOKEN_ACCOUNT_LEN, TOKEN_PROGRAM, json_str};

/// Accounts generated for a `dataSize` filter are capped at this size; larger sizes match nothing.
const MAX_GENERATED_ACCOUNT_LEN: u64 = 64 * 1024;

/// `rentEpoch` of rent-exempt accounts (u64::MAX, beyond JavaScript's safe integers).
const RENT_EPOCH_EXEMPT: u64 = u64::MAX;

/// Lamports of a rent-exempt SPL token account.
const TOKEN_ACCOUNT_RENT: u64 = 2_039_280;

/// A simulated account, ready to be encoded.
pub(super) struct SimAccount {
    /// The balance.
    lamports: u64,
    /// The raw data.
    data: Vec<u8>,
    /// The owning program.
    owner: String,
    /// `Some((mint, owner, amount))` if this is an SPL token account (parsable).
    token: Option<([u8; 32], [u8; 32], u64)>,
}

impl SimAccount {
    /// A System-owned wallet with no data.
    fn wallet(rng: &mut fastrand::Rng) -> Self {
        Self {
            lamports: rng.u64(890_880..50_000_000_000),
            data: Vec::new(),
            owner: SYSTEM_PROGRAM.to_owned(),
            token: None,
        }
    }

    /// An SPL token account.
    fn token(mint: [u8; 32], owner: [u8; 32], amount: u64) -> Self {
        Self {
            lamports: TOKEN_ACCOUNT_RENT,
            data: fake::token_account_bytes(&mint, &owner, amount),
            owner: TOKEN_PROGRAM.to_owned(),
            token: Some((mint, owner, amount)),
        }
    }

    /// A program-owned data account of `len` bytes (8-byte discriminator, then state).
    fn data(owner: &str, len: usize, rng: &mut fastrand::Rng) -> Self {
        let mut data = vec![0_u8; len];
        rng.fill(&mut data);
        let len_u64 = u64::try_from(len).unwrap_or(u64::MAX);
        Self {
            // Roughly the rent-exempt minimum for the size.
            lamports: 890_880_u64.saturating_add(len_u64.saturating_mul(6_960)),
            data,
            owner: owner.to_owned(),
            token: None,
        }
    }

    /// The UiAccount JSON in `encoding`.
    pub(super) fn to_json(&self, encoding: AccountEncoding) -> String {
        format!(
            r#"{{"lamports":{},"data":{},"owner":"{}","executable":false,"rentEpoch":{RENT_EPOCH_EXEMPT},"space":{}}}"#,
            self.lamports,
            self.encode_data(encoding),
            self.owner,
            self.data.len()
        )
    }

    /// The `data` field in `encoding`, as Agave's `UiAccount::encode` writes it.
    fn encode_data(&self, encoding: AccountEncoding) -> String {
        let base58 = || {
            if self.data.len() <= MAX_BASE58_ACCOUNT_BYTES {
                fake::base58(&self.data)
            } else {
                "error: data too large for bs58 encoding".to_owned()
            }
        };
        match encoding {
            AccountEncoding::Binary => json_str(&base58()),
            AccountEncoding::Base58 => format!(r#"["{}","base58"]"#, base58()),
            AccountEncoding::Base64 => format!(r#"["{}","base64"]"#, fake::base64(&self.data)),
            AccountEncoding::Base64Zstd => {
                format!(r#"["{}","base64+zstd"]"#, fake::base64(&fake::zstd_raw_frame(&self.data)))
            }
            AccountEncoding::JsonParsed => match &self.token {
                Some((mint, owner, amount)) => parsed_token_account(mint, owner, *amount),
                None => format!(r#"["{}","base64"]"#, fake::base64(&self.data)),
            },
        }
    }
}

/// The jsonParsed form of an SPL token account (6 decimals).
fn parsed_token_account(mint: &[u8; 32], owner: &[u8; 32], amount: u64) -> String {
    // Precision loss is fine for a display amount, as in Agave's `uiAmount`.
    let ui_amount = amount as f64 / 1_000_000.0;
    let ui_amount_json = serde_json::to_string(&ui_amount).unwrap_or_else(|_| "0.0".to_owned());
    let ui_amount_string = format!("{}.{:06}", amount / 1_000_000, amount % 1_000_000);
    let ui_amount_string = ui_amount_string.trim_end_matches('0').trim_end_matches('.').to_owned();
    format!(
        r#"{{"program":"spl-token","parsed":{{"info":{{"isNative":false,"mint":"{}","owner":"{}","state":"initialized","tokenAmount":{{"amount":"{amount}","decimals":6,"uiAmount":{ui_amount_json},"uiAmountString":"{ui_amount_string}"}}}},"type":"account"}},"space":{TOKEN_ACCOUNT_LEN}}}"#,
        fake::base58(mint),
        fake::base58(owner)
    )
}

/// The simulated state of a watched account: its kind is fixed by its key, its balance moves.
pub(super) fn account_for_key(pubkey: &str, rng: &mut fastrand::Rng) -> SimAccount {
    let key = fake::decode_base58_exact(pubkey, 32).unwrap_or_default();
    let first = key.first().copied().unwrap_or_default();
    let mut stable = fastrand::Rng::with_seed(u64::from_le_bytes(
        key.get(..8).and_then(|bytes| <[u8; 8]>::try_from(bytes).ok()).unwrap_or_default(),
    ));
    match first % 3 {
        0 => SimAccount::wallet(rng),
        1 => SimAccount::token(
            fake::bytes::<32>(&mut stable),
            fake::bytes::<32>(&mut stable),
            rng.u64(1..10_000_000_000),
        ),
        _ => {
            let owner = fake::pubkey(&mut stable);
            let len = stable.usize(80..600);
            SimAccount::data(&owner, len, rng)
        }
    }
}

/// A random account owned by `program` that passes `filters`, or `None` if the filters
/// cannot match what this program owns.
pub(super) fn program_account(
    program: &str,
    filters: &[ProgramFilter],
    rng: &mut fastrand::Rng,
) -> Option<(String, SimAccount)> {
    let wanted_size = filters.iter().find_map(|filter| match filter {
        ProgramFilter::DataSize(size) => Some(*size),
        _ => None,
    });
    let wants_token_state = filters.contains(&ProgramFilter::TokenAccountState);
    let mut account = if program == SYSTEM_PROGRAM {
        SimAccount::wallet(rng)
    } else if program == TOKEN_PROGRAM {
        SimAccount::token(fake::bytes::<32>(rng), fake::bytes::<32>(rng), rng.u64(1..10_000_000_000))
    } else {
        let len = match wanted_size {
            Some(size) if size <= MAX_GENERATED_ACCOUNT_LEN => usize::try_from(size).ok()?,
            Some(_) => return None,
            None => rng.usize(80..600),
        };
        SimAccount::data(program, len, rng)
    };
    if wants_token_state && account.token.is_none() {
        return None;
    }
    for filter in filters {
        match filter {
            ProgramFilter::DataSize(size) => {
                if u64::try_from(account.data.len()).ok()? != *size {
                    return None;
                }
            }
            ProgramFilter::Memcmp { offset, bytes } => {
                let start = usize::try_from(*offset).ok()?;
                let end = start.checked_add(bytes.len())?;
                account.data.get_mut(start..end)?.copy_from_slice(bytes);
            }
            ProgramFilter::TokenAccountState => {}
        }
    }
    if let Some((mint, owner, amount)) = &mut account.token {
        // Keep the parsed view in step with bytes a memcmp filter may have written.
        if let Some(bytes) = account.data.get(0..32).and_then(|b| <[u8; 32]>::try_from(b).ok()) {
            *mint = bytes;
        }
        if let Some(bytes) = account.data.get(32..64).and_then(|b| <[u8; 32]>::try_from(b).ok()) {
            *owner = bytes;
        }
        if let Some(bytes) = account.data.get(64..72).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
            *amount = u64::from_le_bytes(bytes);
        }
    }
    Some((fake::pubkey(rng), account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_filters_shape_the_generated_accounts() {
        let mut rng = fastrand::Rng::with_seed(5);
        let program = fake::pubkey(&mut rng);
        let filters =
            vec![ProgramFilter::DataSize(40), ProgramFilter::Memcmp { offset: 8, bytes: vec![1, 2, 3] }];
        let Some((_, account)) = program_account(&program, &filters, &mut rng) else {
            panic!("no account generated");
        };
        assert_eq!(account.data.len(), 40);
        assert_eq!(&account.data[8..11], &[1, 2, 3]);
        // The System program owns no data, so a memcmp can never match.
        let memcmp = [ProgramFilter::Memcmp { offset: 0, bytes: vec![1] }];
        assert!(program_account(SYSTEM_PROGRAM, &memcmp, &mut rng).is_none());
    }
}
