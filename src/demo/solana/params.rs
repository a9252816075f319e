//! The params of each Solana subscribe method, parsed exactly as strictly as Agave (or
//! Helius) parses them, with their error messages (`errors.rs`).

use serde_json::{Map, Value};

use super::errors::{self, unknown_variant};
use super::{AccountEncoding, Commitment, LogsFilter, ProgramFilter, SolKind, TxDetails, TxEncoding};
use crate::catalog::{
    MAX_MEMCMP_BASE58_CHARS, MAX_MEMCMP_BASE64_CHARS, MAX_MEMCMP_BYTES, MAX_PROGRAM_FILTERS,
};
use crate::demo::fake;
use crate::demo::rpc::{RpcError, invalid_type, missing_params};

/// Parses the single id argument of an unsubscribe.
pub(crate) fn parse_unsubscribe(params: &[Value]) -> Result<u64, RpcError> {
    let first = params.first().ok_or_else(|| missing_params(1))?;
    first.as_u64().ok_or_else(|| invalid_type(first, "u64"))
}

/// The optional config object at `index`.
pub(super) fn config(params: &[Value], index: usize) -> Result<Option<&Map<String, Value>>, RpcError> {
    match params.get(index) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(other) => Err(invalid_type(other, "a map")),
    }
}

/// The required string argument at `index`.
pub(super) fn required_str(params: &[Value], index: usize) -> Result<&str, RpcError> {
    let value = params.get(index).ok_or_else(|| missing_params(index + 1))?;
    value.as_str().ok_or_else(|| invalid_type(value, "a string"))
}

/// The `commitment` of a config; unknown strings are accepted as finalized (as Agave does).
pub(super) fn commitment(config: Option<&Map<String, Value>>) -> Commitment {
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
pub(super) fn config_bool(config: Option<&Map<String, Value>>, key: &str) -> Result<bool, RpcError> {
    match config.and_then(|map| map.get(key)) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(other) => Err(invalid_type(other, "a boolean")),
    }
}

/// An optional unsigned field of a config.
pub(super) fn config_u64(config: Option<&Map<String, Value>>, key: &str) -> Result<Option<u64>, RpcError> {
    match config.and_then(|map| map.get(key)) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_u64().map(Some).ok_or_else(|| invalid_type(value, "u8")),
    }
}

/// The account `encoding` of a config (default `binary`).
pub(super) fn account_encoding(config: Option<&Map<String, Value>>) -> Result<AccountEncoding, RpcError> {
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
pub(super) fn tx_encoding(
    config: Option<&Map<String, Value>>,
    default: &str,
) -> Result<TxEncoding, RpcError> {
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
pub(super) fn tx_details(config: Option<&Map<String, Value>>) -> Result<TxDetails, RpcError> {
    match config_enum(config, "transactionDetails", "full")? {
        "full" => Ok(TxDetails::Full),
        "accounts" => Ok(TxDetails::Accounts),
        "signatures" => Ok(TxDetails::Signatures),
        "none" => Ok(TxDetails::None),
        other => Err(unknown_variant(other, "one of `full`, `signatures`, `none`, `accounts`")),
    }
}

/// accountSubscribe `[pubkey, config?]`.
pub(super) fn parse_account(params: &[Value]) -> Result<SolKind, RpcError> {
    let pubkey = required_str(params, 0)?;
    let config = config(params, 1)?;
    let encoding = account_encoding(config)?;
    if !fake::is_pubkey(pubkey) {
        return Err(errors::invalid_pubkey());
    }
    Ok(SolKind::Account { pubkey: pubkey.to_owned(), encoding, commitment: commitment(config) })
}

/// programSubscribe `[program, config?]`.
pub(super) fn parse_program(params: &[Value]) -> Result<SolKind, RpcError> {
    let program = required_str(params, 0)?;
    let config = config(params, 1)?;
    let encoding = account_encoding(config)?;
    let filters = match config.and_then(|map| map.get("filters")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(parse_filter).collect::<Result<Vec<_>, _>>()?,
        Some(other) => return Err(invalid_type(other, "a sequence")),
    };
    if !fake::is_pubkey(program) {
        return Err(errors::invalid_pubkey());
    }
    if filters.len() > MAX_PROGRAM_FILTERS {
        return Err(errors::too_many_filters());
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
            return Err(errors::missing_field("offset"));
        }
    };
    let bytes = match map.get("bytes") {
        Some(Value::String(text)) => match config_enum(Some(map), "encoding", "base58")? {
            "base58" => {
                if text.len() > MAX_MEMCMP_BASE58_CHARS {
                    return Err(errors::data_too_large());
                }
                bs58::decode(text).into_vec().map_err(errors::base58_decode_error)?
            }
            "base64" => {
                if text.len() > MAX_MEMCMP_BASE64_CHARS {
                    return Err(errors::data_too_large());
                }
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.decode(text).map_err(errors::base64_decode_error)?
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
            return Err(errors::missing_field("bytes"));
        }
    };
    if bytes.len() > MAX_MEMCMP_BYTES {
        return Err(errors::data_too_large());
    }
    Ok(ProgramFilter::Memcmp { offset, bytes })
}

/// logsSubscribe `[filter, config?]`.
pub(super) fn parse_logs(params: &[Value]) -> Result<SolKind, RpcError> {
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
                return Err(RpcError::invalid_params(errors::ONLY_ONE_ADDRESS));
            }
            match keys.first().and_then(Value::as_str) {
                Some(key) if fake::is_pubkey(key) => LogsFilter::Mentions(key.to_owned()),
                _ => {
                    return Err(errors::invalid_mentions());
                }
            }
        }
        other => return Err(invalid_type(other, "enum RpcTransactionLogsFilter")),
    };
    let config = config(params, 1)?;
    Ok(SolKind::Logs { filter, commitment: commitment(config) })
}

/// signatureSubscribe `[signature, config?]`.
pub(super) fn parse_signature(params: &[Value]) -> Result<SolKind, RpcError> {
    let signature = required_str(params, 0)?;
    let config = config(params, 1)?;
    let received_notification = config_bool(config, "enableReceivedNotification")?;
    if !fake::is_signature(signature) {
        return Err(errors::invalid_signature());
    }
    Ok(SolKind::Signature { received_notification, received_sent: false, commitment: commitment(config) })
}

/// blockSubscribe `[filter, config?]`.
pub(super) fn parse_block(params: &[Value]) -> Result<SolKind, RpcError> {
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
                return Err(errors::invalid_mentions_account_or_program());
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
        return Err(RpcError::invalid_params(errors::BELOW_CONFIRMED));
    }
    Ok(SolKind::Block { mentions, commitment, encoding, details, show_rewards, max_version })
}

/// Helius transactionSubscribe `[filter, options?]`.
pub(super) fn parse_transaction(params: &[Value]) -> Result<SolKind, RpcError> {
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
                            return Err(errors::invalid_pubkey());
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
        return Err(errors::invalid_signature());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::fake::SYSTEM_PROGRAM;
    use crate::demo::solana::tests::parse;

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
