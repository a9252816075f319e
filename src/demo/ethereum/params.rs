//! The options of each `eth_subscribe` kind, parsed as geth (or Alchemy) parses them.

use serde_json::{Map, Value};

use super::errors::invalid_argument;
use super::{AddressFilter, EthKind, LogFilter};
use crate::catalog::{ALCHEMY_MAX_ADDRESSES, MAX_TOPIC_ALTERNATIVES, MAX_TOPIC_POSITIONS};
use crate::demo::fake;
use crate::demo::rpc::RpcError;

/// The `logs` option: geth's `FilterCriteria`.
pub(super) fn parse_logs(option: Option<&Value>) -> Result<EthKind, RpcError> {
    match option {
        None => Ok(EthKind::Logs(LogFilter::default())),
        Some(Value::Object(map)) => parse_log_filter(map).map(EthKind::Logs),
        Some(_) => Err(invalid_argument(
            1,
            "json: cannot unmarshal non-object into Go value of type filters.FilterCriteria",
        )),
    }
}

/// The `newPendingTransactions` option: full transaction objects or hashes.
pub(super) fn parse_pending(option: Option<&Value>) -> Result<EthKind, RpcError> {
    match option {
        None => Ok(EthKind::PendingTransactions { full: false }),
        Some(Value::Bool(full)) => Ok(EthKind::PendingTransactions { full: *full }),
        Some(_) => Err(invalid_argument(1, "json: cannot unmarshal non-bool into Go value of type bool")),
    }
}

/// The `alchemy_pendingTransactions` options.
pub(super) fn parse_alchemy_pending(option: Option<&Value>) -> Result<EthKind, RpcError> {
    let map = option_object(option)?;
    let addresses = AddressFilter {
        from: address_list(map.get("fromAddress"))?,
        to: address_list(map.get("toAddress"))?,
    };
    check_alchemy_limit(&addresses)?;
    Ok(EthKind::AlchemyPending { addresses, hashes_only: option_bool(&map, "hashesOnly")? })
}

/// The `alchemy_minedTransactions` options.
pub(super) fn parse_alchemy_mined(option: Option<&Value>) -> Result<EthKind, RpcError> {
    let map = option_object(option)?;
    let mut addresses = AddressFilter::default();
    match map.get("addresses") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let Value::Object(pair) = item else {
                    return Err(invalid_argument(1, "invalid addresses"));
                };
                addresses.from.extend(address_list(pair.get("from"))?);
                addresses.to.extend(address_list(pair.get("to"))?);
            }
        }
        Some(_) => return Err(invalid_argument(1, "invalid addresses")),
    }
    check_alchemy_limit(&addresses)?;
    Ok(EthKind::AlchemyMined {
        addresses,
        include_removed: option_bool(&map, "includeRemoved")?,
        hashes_only: option_bool(&map, "hashesOnly")?,
    })
}

/// The optional options object of an Alchemy subscription.
fn option_object(option: Option<&Value>) -> Result<Map<String, Value>, RpcError> {
    match option {
        None => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(invalid_argument(1, "expected an object")),
    }
}

/// An optional boolean option.
fn option_bool(map: &Map<String, Value>, key: &str) -> Result<bool, RpcError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(_) => Err(invalid_argument(1, &format!("{key} must be a boolean"))),
    }
}

/// Alchemy's address limit, counting `from` and `to` together.
fn check_alchemy_limit(addresses: &AddressFilter) -> Result<(), RpcError> {
    if addresses.from.len() + addresses.to.len() > ALCHEMY_MAX_ADDRESSES {
        return Err(invalid_argument(1, &format!("too many addresses (max {ALCHEMY_MAX_ADDRESSES})")));
    }
    Ok(())
}

/// One address or a list of addresses, validated and lowercased.
fn address_list(value: Option<&Value>) -> Result<Vec<String>, RpcError> {
    let parse = |item: &Value| match item.as_str() {
        Some(text) if fake::is_hex_bytes(text, 20) => Ok(text.to_ascii_lowercase()),
        _ => Err(invalid_argument(1, "invalid address")),
    };
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(parse).collect(),
        Some(single) => parse(single).map(|address| vec![address]),
    }
}

/// geth's `FilterCriteria` (address, topics; block range fields are accepted and ignored).
pub(super) fn parse_log_filter(map: &Map<String, Value>) -> Result<LogFilter, RpcError> {
    let addresses = address_list(map.get("address"))?;
    let topic = |item: &Value| match item.as_str() {
        Some(text) if fake::is_hex_bytes(text, 32) => Ok(text.to_ascii_lowercase()),
        _ => Err(invalid_argument(1, "invalid topic(s)")),
    };
    let topics = match map.get("topics") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(positions)) => {
            if positions.len() > MAX_TOPIC_POSITIONS {
                return Err(invalid_argument(1, "exceed max topics"));
            }
            let mut topics = Vec::with_capacity(positions.len());
            for position in positions {
                topics.push(match position {
                    Value::Null => None,
                    Value::Array(alternatives) => {
                        if alternatives.len() > MAX_TOPIC_ALTERNATIVES {
                            return Err(invalid_argument(1, "exceed max topics"));
                        }
                        // geth: a null inside the alternatives makes the position a wildcard.
                        if alternatives.is_empty() || alternatives.iter().any(Value::is_null) {
                            None
                        } else {
                            Some(alternatives.iter().map(topic).collect::<Result<_, _>>()?)
                        }
                    }
                    single => Some(vec![topic(single)?]),
                });
            }
            topics
        }
        Some(_) => return Err(invalid_argument(1, "invalid topic(s)")),
    };
    Ok(LogFilter { addresses, topics })
}

#[cfg(test)]
mod tests {
    use super::super::parse_subscribe;
    use serde_json::Value;

    #[test]
    fn geth_errors_for_bad_subscriptions() {
        let err = |params: Value| match parse_subscribe(params.as_array().map_or(&[], |v| v)) {
            Ok(kind) => panic!("accepted: {kind:?}"),
            Err(err) => (err.code, err.message),
        };
        assert_eq!(
            err(serde_json::json!(["foo"])),
            (-32601, r#"no "foo" subscription in eth namespace"#.to_owned())
        );
        assert_eq!(err(serde_json::json!([])), (-32602, "missing value for required argument 0".to_owned()));
        assert_eq!(
            err(serde_json::json!(["logs", {"address": "0xnothex"}])),
            (-32602, "invalid argument 1: invalid address".to_owned())
        );
        assert_eq!(
            err(serde_json::json!(["logs", {"topics": [null, null, null, null, null]}])),
            (-32602, "invalid argument 1: exceed max topics".to_owned())
        );
        assert_eq!(
            err(serde_json::json!(["newHeads", {}])),
            (-32602, "too many arguments, want at most 1".to_owned())
        );
        let many: Vec<String> = (0..1_001).map(|index| format!("0x{index:040x}")).collect();
        assert_eq!(
            err(serde_json::json!(["alchemy_pendingTransactions", {"toAddress": many}])),
            (-32602, "invalid argument 1: too many addresses (max 1000)".to_owned())
        );
    }
}
