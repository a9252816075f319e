//! Solana PubSub (Agave) and Helius `transactionSubscribe`: parameter validation with the real
//! servers' error messages, and realistic notification payloads for each simulated slot.

use serde_json::{Map, Value};

use super::fake::{
    self, COMPUTE_BUDGET_PROGRAM, MEMO_PROGRAM, SYSTEM_PROGRAM, TOKEN_ACCOUNT_LEN, TOKEN_PROGRAM, Transfer,
    VOTE_PROGRAM, json_str, json_str_array, json_u64_array,
};
use super::rpc::{self, RpcError, invalid_type, missing_params};
use crate::catalog::solana as spec;
use crate::catalog::{
    MAX_BASE58_ACCOUNT_BYTES, MAX_MEMCMP_BASE58_CHARS, MAX_MEMCMP_BASE64_CHARS, MAX_MEMCMP_BYTES,
    MAX_PROGRAM_FILTERS, MethodSpec,
};

/// Accounts generated for a `dataSize` filter are capped at this size; larger sizes match nothing.
const MAX_GENERATED_ACCOUNT_LEN: u64 = 64 * 1024;

/// How far the root trails the tip, in slots.
const ROOT_DISTANCE: u64 = 32;

/// `rentEpoch` of rent-exempt accounts (u64::MAX, beyond JavaScript's safe integers).
const RENT_EPOCH_EXEMPT: u64 = u64::MAX;

/// Lamports of a rent-exempt SPL token account.
const TOKEN_ACCOUNT_RENT: u64 = 2_039_280;

/// The version `getVersion` reports.
const SOLANA_CORE_VERSION: &str = "3.1.12";

/// A commitment level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Commitment {
    /// The tip.
    Processed,
    /// Optimistically confirmed, one slot behind in the demo.
    Confirmed,
    /// Rooted, 32 slots behind.
    Finalized,
}

/// An account data encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AccountEncoding {
    /// The deprecated default: a bare base58 string.
    Binary,
    /// `[data, "base58"]`.
    Base58,
    /// `[data, "base64"]`.
    Base64,
    /// `[data, "base64+zstd"]`.
    Base64Zstd,
    /// A parsed object where a parser exists, else base64.
    JsonParsed,
}

/// A transaction encoding (blocks and Helius transactions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TxEncoding {
    /// A bare base58 string.
    Binary,
    /// `[tx, "base58"]`.
    Base58,
    /// `[tx, "base64"]`.
    Base64,
    /// A JSON message with raw instructions.
    Json,
    /// A JSON message with parsed instructions.
    JsonParsed,
}

/// How much of each transaction a block or transaction notification carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TxDetails {
    /// Transactions with full metadata.
    Full,
    /// Account keys, signatures and balances.
    Accounts,
    /// Signatures only.
    Signatures,
    /// Nothing.
    None,
}

/// A programSubscribe filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ProgramFilter {
    /// The account data length must equal this.
    DataSize(u64),
    /// The data at `offset` must equal `bytes`.
    Memcmp {
        /// Byte offset into the account data.
        offset: u64,
        /// The decoded bytes to compare.
        bytes: Vec<u8>,
    },
    /// The account must be a valid SPL token account.
    TokenAccountState,
}

/// A logsSubscribe filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LogsFilter {
    /// Everything but simple vote transactions.
    All,
    /// Everything.
    AllWithVotes,
    /// Transactions mentioning this key.
    Mentions(String),
}

/// One Solana subscription and its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SolKind {
    /// accountSubscribe.
    Account {
        /// The watched account.
        pubkey: String,
        /// How data is encoded.
        encoding: AccountEncoding,
        /// The commitment level.
        commitment: Commitment,
    },
    /// programSubscribe.
    Program {
        /// The owning program.
        program: String,
        /// How data is encoded.
        encoding: AccountEncoding,
        /// The commitment level.
        commitment: Commitment,
        /// The filters (AND).
        filters: Vec<ProgramFilter>,
    },
    /// logsSubscribe.
    Logs {
        /// Which transactions.
        filter: LogsFilter,
        /// The commitment level.
        commitment: Commitment,
    },
    /// signatureSubscribe: one-shot.
    Signature {
        /// Whether a `receivedSignature` notification comes first.
        received_notification: bool,
        /// Whether the `receivedSignature` notification was already sent.
        received_sent: bool,
        /// The commitment level.
        commitment: Commitment,
    },
    /// slotSubscribe.
    Slot,
    /// rootSubscribe.
    Root,
    /// slotsUpdatesSubscribe.
    SlotsUpdates,
    /// voteSubscribe.
    Vote,
    /// blockSubscribe.
    Block {
        /// `mentionsAccountOrProgram`, if given.
        mentions: Option<String>,
        /// The commitment level (confirmed or finalized).
        commitment: Commitment,
        /// How transactions are encoded.
        encoding: TxEncoding,
        /// How much of each transaction.
        details: TxDetails,
        /// Whether rewards are included.
        show_rewards: bool,
        /// `maxSupportedTransactionVersion`, if given.
        max_version: Option<u64>,
    },
    /// Helius transactionSubscribe.
    Transaction {
        /// The first `accountInclude` key, if any.
        include: Option<String>,
        /// Whether failed transactions are included.
        failed: bool,
        /// How transactions are encoded.
        encoding: TxEncoding,
        /// How much of each transaction.
        details: TxDetails,
        /// The commitment level.
        commitment: Commitment,
        /// `maxSupportedTransactionVersion`, if given.
        max_version: Option<u64>,
    },
}

impl SolKind {
    /// The catalogue entry of the method that created this subscription: its names, its
    /// notification method, whether it is one-shot.
    pub(crate) fn spec(&self) -> &'static MethodSpec {
        match self {
            Self::Account { .. } => &spec::ACCOUNT,
            Self::Program { .. } => &spec::PROGRAM,
            Self::Logs { .. } => &spec::LOGS,
            Self::Signature { .. } => &spec::SIGNATURE,
            Self::Slot => &spec::SLOT,
            Self::Root => &spec::ROOT,
            Self::SlotsUpdates => &spec::SLOTS_UPDATES,
            Self::Vote => &spec::VOTE,
            Self::Block { .. } => &spec::BLOCK,
            Self::Transaction { .. } => &spec::HELIUS_TRANSACTION,
        }
    }

    /// The notification method name.
    pub(crate) fn notification_method(&self) -> &'static str {
        // Every subscription in the catalogue names one (a catalogue test checks it).
        self.spec().notification_method.unwrap_or_default()
    }

    /// Whether identical subscriptions share one id (Agave does; Helius
    /// transactionSubscribe gives a new id each time).
    pub(crate) fn deduplicated(&self) -> bool {
        !matches!(self, Self::Transaction { .. })
    }
}

/// Parses the params of one subscribe method exactly as strictly as Agave (or Helius) does.
pub(crate) type Parser = fn(&[Value]) -> Result<SolKind, RpcError>;

/// The Solana methods the demo serves: each catalogue entry with the parser of its params.
/// The names come from the catalogue; a method it adds is served once it has a row here.
const SERVED: [(&MethodSpec, Parser); 10] = [
    (&spec::ACCOUNT, parse_account),
    (&spec::PROGRAM, parse_program),
    (&spec::LOGS, parse_logs),
    (&spec::SIGNATURE, parse_signature),
    (&spec::SLOT, |params| no_params(params).map(|()| SolKind::Slot)),
    (&spec::ROOT, |params| no_params(params).map(|()| SolKind::Root)),
    (&spec::SLOTS_UPDATES, |params| no_params(params).map(|()| SolKind::SlotsUpdates)),
    (&spec::VOTE, |params| no_params(params).map(|()| SolKind::Vote)),
    (&spec::BLOCK, parse_block),
    (&spec::HELIUS_TRANSACTION, parse_transaction),
];

/// The catalogue entries of the Solana methods the demo serves.
pub(crate) fn served() -> impl Iterator<Item = &'static MethodSpec> {
    SERVED.iter().map(|(spec, _)| *spec)
}

/// The parser of a subscribe method the demo serves.
pub(crate) fn subscribe_parser(method: &str) -> Option<Parser> {
    SERVED.iter().find(|(spec, _)| spec.rpc_method == method).map(|(_, parse)| *parse)
}

/// The catalogue entry whose unsubscribe method is `method`, if the demo serves it.
pub(crate) fn unsubscribed_by(method: &str) -> Option<&'static MethodSpec> {
    served().find(|spec| spec.unsubscribe_method == Some(method))
}

/// Parses the single id argument of an unsubscribe.
pub(crate) fn parse_unsubscribe(params: &[Value]) -> Result<u64, RpcError> {
    let first = params.first().ok_or_else(|| missing_params(1))?;
    first.as_u64().ok_or_else(|| invalid_type(first, "u64"))
}

/// jsonrpc-core's `expect_no_params`: an empty array is fine, anything else is an error.
fn no_params(params: &[Value]) -> Result<(), RpcError> {
    if params.is_empty() {
        return Ok(());
    }
    Err(RpcError {
        code: rpc::INVALID_PARAMS,
        message: "Invalid parameters: No parameters were expected".to_owned(),
        data: Some(json_str(&format!("Array({params:?})"))),
    })
}

/// The optional config object at `index`.
fn config(params: &[Value], index: usize) -> Result<Option<&Map<String, Value>>, RpcError> {
    match params.get(index) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(invalid_type(other, "a map")),
    }
}

/// The required string argument at `index`.
fn required_str(params: &[Value], index: usize) -> Result<&str, RpcError> {
    let value = params.get(index).ok_or_else(|| missing_params(index + 1))?;
    value.as_str().ok_or_else(|| invalid_type(value, "a string"))
}

/// serde's message for an unknown enum variant, wrapped as jsonrpc-core does.
fn unknown_variant(found: &str, expected: &str) -> RpcError {
    RpcError::invalid_params(format!("Invalid params: unknown variant `{found}`, expected {expected}."))
}

/// The `commitment` of a config; unknown strings are accepted as finalized (as Agave does).
fn commitment(config: Option<&Map<String, Value>>) -> Commitment {
    match config.and_then(|map| map.get("commitment")).and_then(Value::as_str) {
        Some("processed" | "recent") => Commitment::Processed,
        Some("confirmed" | "single" | "singleGossip") => Commitment::Confirmed,
        _ => Commitment::Finalized,
    }
}

/// A string-valued enum field of a config, or `default` when absent.
fn config_enum<'a>(
    config: Option<&'a Map<String, Value>>,
    key: &str,
    default: &'a str,
) -> Result<&'a str, RpcError> {
    match config.and_then(|map| map.get(key)) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(invalid_type(other, "a string")),
    }
}

/// An optional boolean field of a config.
fn config_bool(config: Option<&Map<String, Value>>, key: &str) -> Result<bool, RpcError> {
    match config.and_then(|map| map.get(key)) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(other) => Err(invalid_type(other, "a boolean")),
    }
}

/// An optional unsigned field of a config.
fn config_u64(config: Option<&Map<String, Value>>, key: &str) -> Result<Option<u64>, RpcError> {
    match config.and_then(|map| map.get(key)) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_u64().map(Some).ok_or_else(|| invalid_type(value, "u8")),
    }
}

/// The account `encoding` of a config (default `binary`).
fn account_encoding(config: Option<&Map<String, Value>>) -> Result<AccountEncoding, RpcError> {
    match config_enum(config, "encoding", "binary")? {
        "binary" => Ok(AccountEncoding::Binary),
        "base58" => Ok(AccountEncoding::Base58),
        "base64" => Ok(AccountEncoding::Base64),
        "base64+zstd" => Ok(AccountEncoding::Base64Zstd),
        "jsonParsed" => Ok(AccountEncoding::JsonParsed),
        other => {
            Err(unknown_variant(other, "one of `binary`, `base58`, `base64`, `jsonParsed`, `base64+zstd`"))
        }
    }
}

/// The transaction `encoding` of a config.
fn tx_encoding(config: Option<&Map<String, Value>>, default: &str) -> Result<TxEncoding, RpcError> {
    match config_enum(config, "encoding", default)? {
        "binary" => Ok(TxEncoding::Binary),
        "base58" => Ok(TxEncoding::Base58),
        "base64" => Ok(TxEncoding::Base64),
        "json" => Ok(TxEncoding::Json),
        "jsonParsed" => Ok(TxEncoding::JsonParsed),
        other => Err(unknown_variant(other, "one of `binary`, `base64`, `base58`, `json`, `jsonParsed`")),
    }
}

/// The `transactionDetails` of a config (default `full`).
fn tx_details(config: Option<&Map<String, Value>>) -> Result<TxDetails, RpcError> {
    match config_enum(config, "transactionDetails", "full")? {
        "full" => Ok(TxDetails::Full),
        "accounts" => Ok(TxDetails::Accounts),
        "signatures" => Ok(TxDetails::Signatures),
        "none" => Ok(TxDetails::None),
        other => Err(unknown_variant(other, "one of `full`, `signatures`, `none`, `accounts`")),
    }
}

/// accountSubscribe `[pubkey, config?]`.
fn parse_account(params: &[Value]) -> Result<SolKind, RpcError> {
    let pubkey = required_str(params, 0)?;
    let config = config(params, 1)?;
    let encoding = account_encoding(config)?;
    if !fake::is_pubkey(pubkey) {
        return Err(RpcError::invalid_params("Invalid Request: Invalid pubkey provided"));
    }
    Ok(SolKind::Account { pubkey: pubkey.to_owned(), encoding, commitment: commitment(config) })
}

/// programSubscribe `[program, config?]`.
fn parse_program(params: &[Value]) -> Result<SolKind, RpcError> {
    let program = required_str(params, 0)?;
    let config = config(params, 1)?;
    let encoding = account_encoding(config)?;
    let filters = match config.and_then(|map| map.get("filters")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(parse_filter).collect::<Result<Vec<_>, _>>()?,
        Some(other) => return Err(invalid_type(other, "a sequence")),
    };
    if !fake::is_pubkey(program) {
        return Err(RpcError::invalid_params("Invalid Request: Invalid pubkey provided"));
    }
    if filters.len() > MAX_PROGRAM_FILTERS {
        return Err(RpcError::invalid_params(format!(
            "Too many filters provided; max {MAX_PROGRAM_FILTERS}"
        )));
    }
    Ok(SolKind::Program { program: program.to_owned(), encoding, commitment: commitment(config), filters })
}

/// One `RpcFilterType`: `{"dataSize":n}`, `{"memcmp":{…}}` or `"tokenAccountState"`.
fn parse_filter(value: &Value) -> Result<ProgramFilter, RpcError> {
    const EXPECTED: &str = "one of `dataSize`, `memcmp`, `tokenAccountState`";
    match value {
        Value::String(name) if name == "tokenAccountState" => Ok(ProgramFilter::TokenAccountState),
        Value::String(name) => Err(unknown_variant(name, EXPECTED)),
        Value::Object(map) => {
            let Some((name, inner)) = map.iter().next() else {
                return Err(invalid_type(value, "enum RpcFilterType"));
            };
            match name.as_str() {
                "dataSize" => {
                    inner.as_u64().map(ProgramFilter::DataSize).ok_or_else(|| invalid_type(inner, "u64"))
                }
                "memcmp" => parse_memcmp(inner),
                "tokenAccountState" => Ok(ProgramFilter::TokenAccountState),
                other => Err(unknown_variant(other, EXPECTED)),
            }
        }
        other => Err(invalid_type(other, "enum RpcFilterType")),
    }
}

/// `{"offset":n,"bytes":…,"encoding"?:"base58"|"base64"}` with Agave's size limits.
fn parse_memcmp(value: &Value) -> Result<ProgramFilter, RpcError> {
    let Value::Object(map) = value else {
        return Err(invalid_type(value, "struct Memcmp"));
    };
    let offset = match map.get("offset") {
        Some(offset) => offset.as_u64().ok_or_else(|| invalid_type(offset, "usize"))?,
        None => {
            return Err(RpcError::invalid_params("Invalid params: missing field `offset`."));
        }
    };
    let too_large = || RpcError::invalid_params("Invalid params: Invalid param: DataTooLarge");
    let bytes = match map.get("bytes") {
        Some(Value::String(text)) => match config_enum(Some(map), "encoding", "base58")? {
            "base58" => {
                if text.len() > MAX_MEMCMP_BASE58_CHARS {
                    return Err(too_large());
                }
                bs58::decode(text).into_vec().map_err(|err| {
                    RpcError::invalid_params(format!(
                        "Invalid params: Invalid param: Base58DecodeError({err:?})"
                    ))
                })?
            }
            "base64" => {
                if text.len() > MAX_MEMCMP_BASE64_CHARS {
                    return Err(too_large());
                }
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.decode(text).map_err(|err| {
                    RpcError::invalid_params(format!(
                        "Invalid params: Invalid param: Base64DecodeError({err:?})"
                    ))
                })?
            }
            other => return Err(unknown_variant(other, "`base58` or `base64`")),
        },
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_u64().and_then(|byte| u8::try_from(byte).ok()).ok_or_else(|| invalid_type(item, "u8"))
            })
            .collect::<Result<Vec<u8>, _>>()?,
        Some(other) => return Err(invalid_type(other, "a string or a sequence of bytes")),
        None => {
            return Err(RpcError::invalid_params("Invalid params: missing field `bytes`."));
        }
    };
    if bytes.len() > MAX_MEMCMP_BYTES {
        return Err(too_large());
    }
    Ok(ProgramFilter::Memcmp { offset, bytes })
}

/// logsSubscribe `[filter, config?]`.
fn parse_logs(params: &[Value]) -> Result<SolKind, RpcError> {
    const EXPECTED: &str = "one of `all`, `allWithVotes`, `mentions`";
    let first = params.first().ok_or_else(|| missing_params(1))?;
    let filter = match first {
        Value::String(name) => match name.as_str() {
            "all" => LogsFilter::All,
            "allWithVotes" => LogsFilter::AllWithVotes,
            other => return Err(unknown_variant(other, EXPECTED)),
        },
        Value::Object(map) => {
            let Some((name, inner)) = map.iter().next() else {
                return Err(invalid_type(first, "enum RpcTransactionLogsFilter"));
            };
            if name != "mentions" {
                return Err(unknown_variant(name, EXPECTED));
            }
            let Value::Array(keys) = inner else {
                return Err(invalid_type(inner, "a sequence"));
            };
            if keys.len() != 1 {
                return Err(RpcError::invalid_params("Invalid Request: Only 1 address supported"));
            }
            match keys.first().and_then(Value::as_str) {
                Some(key) if fake::is_pubkey(key) => LogsFilter::Mentions(key.to_owned()),
                _ => {
                    return Err(RpcError::invalid_params("Invalid Request: Invalid mentions provided"));
                }
            }
        }
        other => return Err(invalid_type(other, "enum RpcTransactionLogsFilter")),
    };
    let config = config(params, 1)?;
    Ok(SolKind::Logs { filter, commitment: commitment(config) })
}

/// signatureSubscribe `[signature, config?]`.
fn parse_signature(params: &[Value]) -> Result<SolKind, RpcError> {
    let signature = required_str(params, 0)?;
    let config = config(params, 1)?;
    let received_notification = config_bool(config, "enableReceivedNotification")?;
    if !fake::is_signature(signature) {
        return Err(RpcError::invalid_params("Invalid Request: Invalid signature provided"));
    }
    Ok(SolKind::Signature { received_notification, received_sent: false, commitment: commitment(config) })
}

/// blockSubscribe `[filter, config?]`.
fn parse_block(params: &[Value]) -> Result<SolKind, RpcError> {
    const EXPECTED: &str = "`all` or `mentionsAccountOrProgram`";
    let first = params.first().ok_or_else(|| missing_params(1))?;
    let mentions = match first {
        Value::String(name) if name == "all" => None,
        Value::String(name) => return Err(unknown_variant(name, EXPECTED)),
        Value::Object(map) => {
            let Some((name, inner)) = map.iter().next() else {
                return Err(invalid_type(first, "enum RpcBlockSubscribeFilter"));
            };
            if name != "mentionsAccountOrProgram" {
                return Err(unknown_variant(name, EXPECTED));
            }
            let key = inner.as_str().ok_or_else(|| invalid_type(inner, "a string"))?;
            if !fake::is_pubkey(key) {
                return Err(RpcError::invalid_params(
                    "Invalid Request: Invalid mentions_account_or_program provided",
                ));
            }
            Some(key.to_owned())
        }
        other => return Err(invalid_type(other, "enum RpcBlockSubscribeFilter")),
    };
    let config = config(params, 1)?;
    let encoding = tx_encoding(config, "base64")?;
    let details = tx_details(config)?;
    let show_rewards = config_bool(config, "showRewards")?;
    let max_version = config_u64(config, "maxSupportedTransactionVersion")?;
    let commitment = commitment(config);
    if commitment == Commitment::Processed {
        return Err(RpcError::invalid_params("Method does not support commitment below `confirmed`"));
    }
    Ok(SolKind::Block { mentions, commitment, encoding, details, show_rewards, max_version })
}

/// Helius transactionSubscribe `[filter, options?]`.
fn parse_transaction(params: &[Value]) -> Result<SolKind, RpcError> {
    let first = params.first().ok_or_else(|| missing_params(1))?;
    let Value::Object(filter) = first else {
        return Err(invalid_type(first, "struct TransactionSubscribeFilter"));
    };
    let mut include = None;
    for key in ["accountInclude", "accountExclude", "accountRequired"] {
        match filter.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    match item.as_str() {
                        Some(text) if fake::is_pubkey(text) => {
                            if key == "accountInclude" && include.is_none() {
                                include = Some(text.to_owned());
                            }
                        }
                        _ => {
                            return Err(RpcError::invalid_params("Invalid Request: Invalid pubkey provided"));
                        }
                    }
                }
            }
            Some(other) => return Err(invalid_type(other, "a sequence")),
        }
    }
    if let Some(signature) = filter.get("signature").filter(|value| !value.is_null())
        && !signature.as_str().is_some_and(fake::is_signature)
    {
        return Err(RpcError::invalid_params("Invalid Request: Invalid signature provided"));
    }
    let failed = config_bool(Some(filter), "failed")?;
    let options = config(params, 1)?;
    let encoding = match config_enum(options, "encoding", "base64")? {
        "base58" => TxEncoding::Base58,
        "base64" => TxEncoding::Base64,
        "jsonParsed" => TxEncoding::JsonParsed,
        other => {
            return Err(unknown_variant(other, "one of `base58`, `base64`, `jsonParsed`"));
        }
    };
    Ok(SolKind::Transaction {
        include,
        failed,
        encoding,
        details: tx_details(options)?,
        commitment: commitment(options),
        max_version: config_u64(options, "maxSupportedTransactionVersion")?,
    })
}

/// Answers the one-off Solana requests the demo supports (`getSlot`, `getVersion`,
/// `getHealth`); `None` for any other method.
pub(crate) fn one_off(method: &str, params: &[Value], slot: u64) -> Option<String> {
    match method {
        "getSlot" | "getBlockHeight" => {
            let config = params.first().and_then(Value::as_object);
            let slot = context_slot(slot, commitment(config));
            let value = if method == "getSlot" { slot } else { block_height(slot) };
            Some(value.to_string())
        }
        "getVersion" => {
            Some(format!(r#"{{"feature-set":3294202862,"solana-core":"{SOLANA_CORE_VERSION}"}}"#))
        }
        "getHealth" => Some(r#""ok""#.to_owned()),
        _ => None,
    }
}

/// The slot a notification at `commitment` refers to when the tip is `slot`.
fn context_slot(slot: u64, commitment: Commitment) -> u64 {
    match commitment {
        Commitment::Processed => slot,
        Commitment::Confirmed => slot.saturating_sub(1),
        Commitment::Finalized => slot.saturating_sub(ROOT_DISTANCE),
    }
}

/// The demo's block height for a slot (a few skipped slots behind).
fn block_height(slot: u64) -> u64 {
    slot.saturating_sub(slot / 50)
}

/// What every notification of one simulated slot needs to know.
pub(crate) struct SlotCtx {
    /// The tip slot.
    pub(crate) slot: u64,
    /// Wall-clock milliseconds since the Unix epoch.
    pub(crate) unix_ms: u64,
    /// The server seed, so block hashes agree across connections.
    pub(crate) seed: u64,
}

impl SlotCtx {
    /// The deterministic blockhash of `slot`.
    fn blockhash(&self, slot: u64) -> String {
        let mut rng = fake::seeded(self.seed, 0x501A, slot);
        fake::base58(&fake::bytes::<32>(&mut rng))
    }

    /// `{"slot":N}` for a context.
    fn context(&self, commitment: Commitment) -> String {
        format!(r#"{{"slot":{}}}"#, context_slot(self.slot, commitment))
    }
}

/// What a subscription does after a slot's notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AfterSlot {
    /// It stays.
    Keep,
    /// It is gone (a signature subscription after its final notification).
    Remove,
}

/// Appends the notifications subscription `id` produces for one slot.
pub(crate) fn notify_slot(
    id: u64,
    kind: &mut SolKind,
    ctx: &SlotCtx,
    rng: &mut fastrand::Rng,
    out: &mut Vec<String>,
) -> AfterSlot {
    let method = kind.notification_method();
    let one_shot = kind.spec().one_shot;
    let mut push = |result: String| out.push(rpc::solana_notification(method, id, &result));
    let slot = ctx.slot;
    match kind {
        SolKind::Slot => push(format!(
            r#"{{"slot":{slot},"parent":{},"root":{}}}"#,
            slot.saturating_sub(1),
            slot.saturating_sub(ROOT_DISTANCE)
        )),
        SolKind::Root => push(slot.saturating_sub(ROOT_DISTANCE).to_string()),
        SolKind::SlotsUpdates => {
            for update in slots_updates(ctx, rng) {
                push(update);
            }
        }
        SolKind::Vote => push(vote(ctx, rng)),
        SolKind::Account { pubkey, encoding, commitment } => {
            // Accounts change every other slot or so.
            if rng.u8(0..2) == 0 {
                let account = account_for_key(pubkey, rng);
                push(format!(
                    r#"{{"context":{},"value":{}}}"#,
                    ctx.context(*commitment),
                    account.to_json(*encoding)
                ));
            }
        }
        SolKind::Program { program, encoding, commitment, filters } => {
            for _ in 0..rng.u8(0..3) {
                if let Some((pubkey, account)) = program_account(program, filters, rng) {
                    push(format!(
                        r#"{{"context":{},"value":{{"pubkey":"{pubkey}","account":{}}}}}"#,
                        ctx.context(*commitment),
                        account.to_json(*encoding)
                    ));
                }
            }
        }
        SolKind::Logs { filter, commitment } => {
            let (count, votes, mention) = match filter {
                LogsFilter::All => (rng.usize(1..5), 0, None),
                LogsFilter::AllWithVotes => (rng.usize(1..5), rng.usize(1..4), None),
                LogsFilter::Mentions(key) => (usize::from(rng.u8(0..3) == 0), 0, Some(key.as_str())),
            };
            for index in 0..count + votes {
                let tx = TxLogs::random(rng, index >= count, mention);
                push(format!(
                    r#"{{"context":{},"value":{{"signature":"{}","err":{},"logs":{}}}}}"#,
                    ctx.context(*commitment),
                    fake::signature(rng),
                    tx.err,
                    json_str_array(&tx.logs)
                ));
            }
        }
        SolKind::Signature { received_notification, received_sent, commitment } => {
            if *received_notification && !*received_sent {
                *received_sent = true;
                push(format!(r#"{{"context":{{"slot":{slot}}},"value":"receivedSignature"}}"#));
                return AfterSlot::Keep;
            }
            push(format!(r#"{{"context":{},"value":{{"err":null}}}}"#, ctx.context(*commitment)));
            // The catalogue says whether the server ends it after this (signatureSubscribe is).
            return if one_shot { AfterSlot::Remove } else { AfterSlot::Keep };
        }
        SolKind::Block { mentions, commitment, encoding, details, show_rewards, max_version } => {
            let block_slot = context_slot(slot, *commitment);
            let options = TxOptions { encoding: *encoding, details: *details, max_version: *max_version };
            push(block(ctx, block_slot, mentions.as_deref(), options, *show_rewards, rng));
        }
        SolKind::Transaction { include, failed, encoding, details, commitment, max_version } => {
            let options = TxOptions { encoding: *encoding, details: *details, max_version: *max_version };
            for _ in 0..rng.u8(1..4) {
                let failing = *failed && rng.u8(0..4) == 0;
                let sim = SimTx::random(rng, include.as_deref(), failing);
                let signature = sim.transfer.signature_b58();
                let tx_slot = context_slot(slot, *commitment);
                let result = match details {
                    TxDetails::Signatures | TxDetails::None => {
                        format!(r#"{{"signature":"{signature}","slot":{tx_slot}}}"#)
                    }
                    TxDetails::Full | TxDetails::Accounts => format!(
                        r#"{{"transaction":{},"signature":"{signature}","slot":{tx_slot}}}"#,
                        sim.to_json(options)
                    ),
                };
                push(result);
            }
        }
    }
    AfterSlot::Keep
}

/// The slotsUpdates events of one slot, oldest first.
fn slots_updates(ctx: &SlotCtx, rng: &mut fastrand::Rng) -> Vec<String> {
    let slot = ctx.slot;
    let ms = ctx.unix_ms;
    let succeeded = rng.u64(200..1_400);
    let failed = rng.u64(0..120);
    vec![
        format!(r#"{{"type":"firstShredReceived","slot":{},"timestamp":{ms}}}"#, slot + 1),
        format!(
            r#"{{"type":"createdBank","slot":{slot},"parent":{},"timestamp":{}}}"#,
            slot.saturating_sub(1),
            ms + 3
        ),
        format!(r#"{{"type":"completed","slot":{slot},"timestamp":{}}}"#, ms + 310),
        format!(
            r#"{{"type":"frozen","slot":{slot},"timestamp":{},"stats":{{"numTransactionEntries":{},"numSuccessfulTransactions":{succeeded},"numFailedTransactions":{failed},"maxTransactionsPerEntry":{}}}}}"#,
            ms + 330,
            rng.u64(400..900),
            rng.u64(8..64)
        ),
        format!(
            r#"{{"type":"optimisticConfirmation","slot":{},"timestamp":{}}}"#,
            slot.saturating_sub(1),
            ms + 340
        ),
        format!(
            r#"{{"type":"root","slot":{},"timestamp":{}}}"#,
            slot.saturating_sub(ROOT_DISTANCE),
            ms + 350
        ),
    ]
}

/// One gossip vote from one of a few demo validators.
fn vote(ctx: &SlotCtx, rng: &mut fastrand::Rng) -> String {
    let validator = rng.u64(0..3);
    let mut key_rng = fake::seeded(ctx.seed, 0x701E, validator);
    let vote_pubkey = fake::pubkey(&mut key_rng);
    let first = ctx.slot.saturating_sub(30);
    let slots: Vec<u64> = (first..=ctx.slot).collect();
    format!(
        r#"{{"votePubkey":"{vote_pubkey}","slots":{},"hash":"{}","timestamp":{},"signature":"{}"}}"#,
        json_u64_array(&slots),
        ctx.blockhash(ctx.slot),
        ctx.unix_ms / 1000,
        fake::signature(rng)
    )
}

/// A simulated account, ready to be encoded.
struct SimAccount {
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
    fn to_json(&self, encoding: AccountEncoding) -> String {
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
fn account_for_key(pubkey: &str, rng: &mut fastrand::Rng) -> SimAccount {
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
fn program_account(
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

/// The logs and error of one simulated transaction.
struct TxLogs {
    /// The `err` field as JSON.
    err: &'static str,
    /// The log lines.
    logs: Vec<String>,
}

impl TxLogs {
    /// A random transaction: a vote if `vote`, else a transfer, token transfer, memo, failure
    /// or (when `mention` is given) a program call on the mentioned key.
    fn random(rng: &mut fastrand::Rng, vote: bool, mention: Option<&str>) -> Self {
        let invoke = |program: &str| format!("Program {program} invoke [1]");
        let success = |program: &str| format!("Program {program} success");
        let consumed =
            |program: &str, units: u64| format!("Program {program} consumed {units} of 200000 compute units");
        if vote {
            return Self { err: "null", logs: vec![invoke(VOTE_PROGRAM), success(VOTE_PROGRAM)] };
        }
        if let Some(program) = mention
            && rng.bool()
        {
            let event = fake::base64(&fake::bytes::<48>(rng));
            return Self {
                err: "null",
                logs: vec![
                    invoke(program),
                    "Program log: Instruction: Swap".to_owned(),
                    format!("Program data: {event}"),
                    consumed(program, rng.u64(20_000..90_000)),
                    success(program),
                ],
            };
        }
        match rng.u8(0..10) {
            0..=3 => Self { err: "null", logs: vec![invoke(SYSTEM_PROGRAM), success(SYSTEM_PROGRAM)] },
            4..=6 => Self {
                err: "null",
                logs: vec![
                    invoke(COMPUTE_BUDGET_PROGRAM),
                    success(COMPUTE_BUDGET_PROGRAM),
                    invoke(TOKEN_PROGRAM),
                    "Program log: Instruction: Transfer".to_owned(),
                    consumed(TOKEN_PROGRAM, rng.u64(4_000..6_000)),
                    success(TOKEN_PROGRAM),
                ],
            },
            7 | 8 => Self {
                err: "null",
                logs: vec![
                    invoke(MEMO_PROGRAM),
                    "Program log: Memo (len 16): \"gm from subscope\"".to_owned(),
                    consumed(MEMO_PROGRAM, rng.u64(6_000..8_000)),
                    success(MEMO_PROGRAM),
                ],
            },
            _ => Self {
                err: r#"{"InstructionError":[0,{"Custom":1}]}"#,
                logs: vec![
                    invoke(TOKEN_PROGRAM),
                    "Program log: Instruction: Transfer".to_owned(),
                    "Program log: Error: insufficient funds".to_owned(),
                    consumed(TOKEN_PROGRAM, rng.u64(3_000..5_000)),
                    format!("Program {TOKEN_PROGRAM} failed: custom program error: 0x1"),
                ],
            },
        }
    }
}

/// How transactions are rendered in a block or transaction notification.
#[derive(Clone, Copy)]
struct TxOptions {
    /// The encoding.
    encoding: TxEncoding,
    /// The level of detail.
    details: TxDetails,
    /// `maxSupportedTransactionVersion`; when set, entries carry `"version":"legacy"`.
    max_version: Option<u64>,
}

/// A simulated System transfer with its metadata.
struct SimTx {
    /// The transaction itself.
    transfer: Transfer,
    /// The sender's balance before.
    from_balance: u64,
    /// The recipient's balance before.
    to_balance: u64,
    /// Whether it failed.
    failed: bool,
}

impl SimTx {
    /// The fee every demo transaction pays.
    const FEE: u64 = 5_000;

    /// A random transfer, mentioning `mention` if given.
    fn random(rng: &mut fastrand::Rng, mention: Option<&str>, failed: bool) -> Self {
        let transfer = Transfer::random(rng, mention);
        Self {
            from_balance: transfer.lamports.saturating_add(rng.u64(10_000_000..90_000_000_000)),
            to_balance: rng.u64(0..20_000_000_000),
            transfer,
            failed,
        }
    }

    /// `(err, status)` JSON.
    fn err_status(&self) -> (&'static str, &'static str) {
        if self.failed {
            (r#"{"InstructionError":[0,{"Custom":1}]}"#, r#"{"Err":{"InstructionError":[0,{"Custom":1}]}}"#)
        } else {
            ("null", r#"{"Ok":null}"#)
        }
    }

    /// The balances before and after.
    fn balances(&self) -> (String, String) {
        let moved = if self.failed { 0 } else { self.transfer.lamports };
        let pre = [self.from_balance, self.to_balance, 1];
        let post = [
            self.from_balance.saturating_sub(moved).saturating_sub(Self::FEE),
            self.to_balance.saturating_add(moved),
            1,
        ];
        (json_u64_array(&pre), json_u64_array(&post))
    }

    /// The full `meta` object.
    fn meta(&self) -> String {
        let (err, status) = self.err_status();
        let (pre, post) = self.balances();
        let logs = if self.failed {
            json_str_array(&[
                format!("Program {SYSTEM_PROGRAM} invoke [1]"),
                "Transfer: insufficient lamports 0, need 1000".to_owned(),
                format!("Program {SYSTEM_PROGRAM} failed: custom program error: 0x1"),
            ])
        } else {
            json_str_array(&[
                format!("Program {SYSTEM_PROGRAM} invoke [1]"),
                format!("Program {SYSTEM_PROGRAM} success"),
            ])
        };
        format!(
            r#"{{"err":{err},"status":{status},"fee":{},"preBalances":{pre},"postBalances":{post},"innerInstructions":[],"logMessages":{logs},"preTokenBalances":[],"postTokenBalances":[],"rewards":[],"loadedAddresses":{{"writable":[],"readonly":[]}},"computeUnitsConsumed":150}}"#,
            Self::FEE
        )
    }

    /// The transaction entry (`{"transaction":…,"meta":…}`) for `options`.
    fn to_json(&self, options: TxOptions) -> String {
        let version = if options.max_version.is_some() { r#","version":"legacy""# } else { "" };
        if options.details == TxDetails::Accounts {
            let (err, status) = self.err_status();
            let (pre, post) = self.balances();
            return format!(
                r#"{{"transaction":{{"accountKeys":{},"signatures":["{}"]}},"meta":{{"err":{err},"status":{status},"fee":{},"preBalances":{pre},"postBalances":{post}}}{version}}}"#,
                self.parsed_account_keys(),
                self.transfer.signature_b58(),
                Self::FEE
            );
        }
        format!(r#"{{"transaction":{},"meta":{}{version}}}"#, self.encode(options.encoding), self.meta())
    }

    /// The account keys as jsonParsed objects.
    fn parsed_account_keys(&self) -> String {
        let [from, to, program] = self.transfer.account_keys();
        format!(
            r#"[{{"pubkey":"{from}","writable":true,"signer":true,"source":"transaction"}},{{"pubkey":"{to}","writable":true,"signer":false,"source":"transaction"}},{{"pubkey":"{program}","writable":false,"signer":false,"source":"transaction"}}]"#
        )
    }

    /// The `transaction` field in `encoding`.
    fn encode(&self, encoding: TxEncoding) -> String {
        let signature = self.transfer.signature_b58();
        let blockhash = fake::base58(&self.transfer.blockhash);
        match encoding {
            TxEncoding::Binary => json_str(&fake::base58(&self.transfer.wire_bytes())),
            TxEncoding::Base58 => format!(r#"["{}","base58"]"#, fake::base58(&self.transfer.wire_bytes())),
            TxEncoding::Base64 => format!(r#"["{}","base64"]"#, fake::base64(&self.transfer.wire_bytes())),
            TxEncoding::Json => format!(
                r#"{{"signatures":["{signature}"],"message":{{"accountKeys":{},"header":{{"numRequiredSignatures":1,"numReadonlySignedAccounts":0,"numReadonlyUnsignedAccounts":1}},"recentBlockhash":"{blockhash}","instructions":[{{"programIdIndex":2,"accounts":[0,1],"data":"{}","stackHeight":null}}]}}}}"#,
                json_str_array(&self.transfer.account_keys()),
                fake::base58(&self.transfer.instruction_data())
            ),
            TxEncoding::JsonParsed => {
                let [from, to, _] = self.transfer.account_keys();
                format!(
                    r#"{{"signatures":["{signature}"],"message":{{"accountKeys":{},"recentBlockhash":"{blockhash}","instructions":[{{"parsed":{{"info":{{"destination":"{to}","lamports":{},"source":"{from}"}},"type":"transfer"}},"program":"system","programId":"{SYSTEM_PROGRAM}","stackHeight":null}}]}}}}"#,
                    self.parsed_account_keys(),
                    self.transfer.lamports
                )
            }
        }
    }
}

/// A blockNotification result for `block_slot`.
fn block(
    ctx: &SlotCtx,
    block_slot: u64,
    mentions: Option<&str>,
    options: TxOptions,
    show_rewards: bool,
    rng: &mut fastrand::Rng,
) -> String {
    let txs: Vec<SimTx> = (0..rng.u8(2..5))
        .map(|_| {
            let failed = rng.u8(0..8) == 0;
            SimTx::random(rng, mentions, failed)
        })
        .collect();
    let body = match options.details {
        TxDetails::None => String::new(),
        TxDetails::Signatures => {
            let signatures: Vec<String> = txs.iter().map(|tx| tx.transfer.signature_b58()).collect();
            format!(r#","signatures":{}"#, json_str_array(&signatures))
        }
        TxDetails::Full | TxDetails::Accounts => {
            let entries: Vec<String> = txs.iter().map(|tx| tx.to_json(options)).collect();
            format!(r#","transactions":[{}]"#, entries.join(","))
        }
    };
    let rewards = if show_rewards {
        let mut key_rng = fake::seeded(ctx.seed, 0x701E, block_slot % 3);
        format!(
            r#","rewards":[{{"pubkey":"{}","lamports":{},"postBalance":{},"rewardType":"Fee","commission":null}}]"#,
            fake::pubkey(&mut key_rng),
            u64::try_from(txs.len()).unwrap_or_default() * SimTx::FEE / 2,
            rng.u64(1_000_000_000..900_000_000_000)
        )
    } else {
        String::new()
    };
    format!(
        r#"{{"context":{{"slot":{block_slot}}},"value":{{"slot":{block_slot},"block":{{"previousBlockhash":"{}","blockhash":"{}","parentSlot":{}{body}{rewards},"blockTime":{},"blockHeight":{}}},"err":null}}}}"#,
        ctx.blockhash(block_slot.saturating_sub(1)),
        ctx.blockhash(block_slot),
        block_slot.saturating_sub(1),
        ctx.unix_ms / 1000,
        block_height(block_slot)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a generated frame, failing the test if it is not JSON.
    fn json(frame: &str) -> Value {
        match serde_json::from_str(frame) {
            Ok(value) => value,
            Err(err) => panic!("not JSON ({err}): {frame}"),
        }
    }

    /// Parses the params of a served subscribe method.
    fn parse(method: &str, params: &[Value]) -> Result<SolKind, RpcError> {
        match subscribe_parser(method) {
            Some(parse) => parse(params),
            None => panic!("{method} is not served"),
        }
    }

    fn ctx() -> SlotCtx {
        SlotCtx { slot: 380_000_100, unix_ms: 1_795_333_889_000, seed: 42 }
    }

    /// Every kind of subscription, with every encoding, produces valid JSON.
    #[test]
    fn every_subscription_kind_produces_valid_json() {
        let mut rng = fastrand::Rng::with_seed(3);
        let key = fake::pubkey(&mut rng);
        let mut kinds = vec![
            SolKind::Slot,
            SolKind::Root,
            SolKind::SlotsUpdates,
            SolKind::Vote,
            SolKind::Logs { filter: LogsFilter::AllWithVotes, commitment: Commitment::Processed },
            SolKind::Logs { filter: LogsFilter::Mentions(key.clone()), commitment: Commitment::Confirmed },
        ];
        for encoding in [
            AccountEncoding::Binary,
            AccountEncoding::Base58,
            AccountEncoding::Base64,
            AccountEncoding::Base64Zstd,
            AccountEncoding::JsonParsed,
        ] {
            kinds.push(SolKind::Account {
                pubkey: fake::pubkey(&mut rng),
                encoding,
                commitment: Commitment::Finalized,
            });
            kinds.push(SolKind::Program {
                program: TOKEN_PROGRAM.to_owned(),
                encoding,
                commitment: Commitment::Confirmed,
                filters: vec![ProgramFilter::DataSize(165)],
            });
        }
        for encoding in [
            TxEncoding::Binary,
            TxEncoding::Base58,
            TxEncoding::Base64,
            TxEncoding::Json,
            TxEncoding::JsonParsed,
        ] {
            for details in [TxDetails::Full, TxDetails::Accounts, TxDetails::Signatures, TxDetails::None] {
                kinds.push(SolKind::Block {
                    mentions: Some(key.clone()),
                    commitment: Commitment::Confirmed,
                    encoding,
                    details,
                    show_rewards: true,
                    max_version: Some(0),
                });
                kinds.push(SolKind::Transaction {
                    include: None,
                    failed: true,
                    encoding,
                    details,
                    commitment: Commitment::Processed,
                    max_version: None,
                });
            }
        }
        let mut frames = Vec::new();
        for _ in 0..8 {
            for (id, kind) in kinds.iter_mut().enumerate() {
                notify_slot(id as u64, kind, &ctx(), &mut rng, &mut frames);
            }
        }
        assert!(frames.len() > kinds.len());
        for frame in &frames {
            let value = json(frame);
            assert_eq!(value["jsonrpc"], "2.0");
            assert!(value["params"]["subscription"].is_u64(), "{frame}");
        }
    }

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

    #[test]
    fn signature_subscription_is_one_shot() {
        let mut kind = SolKind::Signature {
            received_notification: true,
            received_sent: false,
            commitment: Commitment::Confirmed,
        };
        let mut rng = fastrand::Rng::with_seed(1);
        let mut frames = Vec::new();
        assert_eq!(notify_slot(4, &mut kind, &ctx(), &mut rng, &mut frames), AfterSlot::Keep);
        assert_eq!(notify_slot(4, &mut kind, &ctx(), &mut rng, &mut frames), AfterSlot::Remove);
        assert_eq!(json(&frames[0])["params"]["result"]["value"], "receivedSignature");
        assert!(json(&frames[1])["params"]["result"]["value"]["err"].is_null());
    }

    #[test]
    fn every_solana_method_of_the_catalogue_is_served_under_its_names() {
        let catalogue: Vec<&str> = crate::catalog::methods()
            .iter()
            .filter(|spec| spec.chain == Some(crate::catalog::Chain::Solana))
            .map(|spec| spec.id)
            .collect();
        let mut ids: Vec<&str> = served().map(|spec| spec.id).collect();
        ids.sort_unstable();
        let mut expected = catalogue;
        expected.sort_unstable();
        assert_eq!(ids, expected);
        for spec in served() {
            let unsubscribe = spec.unsubscribe_method.unwrap_or_default();
            assert_eq!(unsubscribed_by(unsubscribe).map(|found| found.id), Some(spec.id));
        }
    }

    #[test]
    fn each_parser_makes_a_subscription_of_its_own_method() {
        let pubkey = Value::from(SYSTEM_PROGRAM);
        let signature = Value::from(
            "GSwqrT6Mbm478B8si4D4nHzfFYzp5o6GMLyjvEnMRWeHTycuoCjzTHPJb5dtsZ2sv478Sj2ZpE6cyquAjety3Md",
        );
        for spec in served() {
            let params = match spec.id {
                "accountSubscribe" | "programSubscribe" => vec![pubkey.clone()],
                "signatureSubscribe" => vec![signature.clone()],
                "logsSubscribe" | "blockSubscribe" => vec![Value::from("all")],
                "transactionSubscribe" => vec![serde_json::json!({})],
                _ => Vec::new(),
            };
            let kind = parse(spec.rpc_method, &params).map(|kind| kind.spec().id);
            assert_eq!(kind, Ok(spec.id));
            assert_eq!(
                parse(spec.rpc_method, &params).map(|kind| kind.notification_method()),
                Ok(spec.notification_method.unwrap_or_default())
            );
        }
    }

    #[test]
    fn no_params_error_carries_jsonrpc_core_data() {
        let Err(err) = parse("slotSubscribe", &[Value::from("unexpected")]) else {
            panic!("accepted");
        };
        assert_eq!(err.message, "Invalid parameters: No parameters were expected");
        assert_eq!(err.data.as_deref(), Some(r#""Array([String(\"unexpected\")])""#));
    }

    #[test]
    fn memcmp_errors_match_agave() {
        let params = [
            Value::from(SYSTEM_PROGRAM),
            serde_json::json!({"filters":[{"memcmp":{"offset":0,"bytes":"!!!"}}]}),
        ];
        let Err(err) = parse("programSubscribe", &params) else {
            panic!("accepted");
        };
        assert_eq!(
            err.message,
            "Invalid params: Invalid param: Base58DecodeError(InvalidCharacter { character: '!', index: 0 })"
        );
    }
}
