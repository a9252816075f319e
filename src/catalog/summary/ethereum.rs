//! The columns of Ethereum payloads: every `eth_subscription` kind shares one method, so a
//! result is read as a JSON value and recognised by its shape.

use serde_json::Value;

use super::{Summary, parse};

/// The columns of an `eth_subscription` result, whatever its kind.
pub(super) fn summary(result: &str) -> Summary {
    parse::<Value>(result).map(|value| ethereum(&value)).unwrap_or_default()
}

/// An Ethereum `eth_subscription` result, recognised by shape.
fn ethereum(result: &Value) -> Summary {
    match result {
        Value::String(hash) => Summary {
            signature_or_hash: Some(hash.clone()),
            kind: Some("pendingTxHash".to_owned()),
            ..Summary::default()
        },
        Value::Bool(false) => Summary { kind: Some("synced".to_owned()), ..Summary::default() },
        Value::Object(object) => {
            if let (Some(removed), Some(transaction)) = (object.get("removed"), object.get("transaction")) {
                Summary {
                    removed: removed.as_bool().unwrap_or(false),
                    kind: Some("minedTransaction".to_owned()),
                    ..eth_transaction(transaction)
                }
            } else if object.contains_key("topics") || object.contains_key("logIndex") {
                Summary {
                    slot_or_block: hex_u64(object.get("blockNumber")),
                    signature_or_hash: text(object.get("transactionHash")),
                    account: text(object.get("address")),
                    removed: object.get("removed").and_then(Value::as_bool).unwrap_or(false),
                    kind: Some("log".to_owned()),
                    ..Summary::default()
                }
            } else if object.contains_key("parentHash") && object.contains_key("number") {
                Summary {
                    slot_or_block: hex_u64(object.get("number")),
                    signature_or_hash: text(object.get("hash")),
                    kind: Some("newHead".to_owned()),
                    ..Summary::default()
                }
            } else if object.contains_key("syncing") {
                let status = object.get("status").unwrap_or(result);
                Summary {
                    slot_or_block: hex_u64(status.get("currentBlock")),
                    kind: Some("syncing".to_owned()),
                    ..Summary::default()
                }
            } else if object.contains_key("hash") {
                eth_transaction(result)
            } else {
                Summary::default()
            }
        }
        _ => Summary::default(),
    }
}

fn eth_transaction(transaction: &Value) -> Summary {
    Summary {
        slot_or_block: hex_u64(transaction.get("blockNumber")),
        signature_or_hash: text(transaction.get("hash")),
        account: text(transaction.get("from")),
        value: transaction.get("value").and_then(Value::as_str).and_then(hex_to_decimal),
        kind: Some("transaction".to_owned()),
        ..Summary::default()
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

/// A `0x` quantity that fits in u64 (hex digits only: `from_str_radix` alone takes a sign).
fn hex_u64(value: Option<&Value>) -> Option<u64> {
    let digits = value?.as_str()?.strip_prefix("0x")?;
    if !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// A `0x` quantity of any size (wei values go past u64) in decimal; `None` when it is not hex.
pub(super) fn hex_to_decimal(hex: &str) -> Option<String> {
    let digits = hex.strip_prefix("0x")?;
    if digits.is_empty() || digits.len() > 128 {
        return None;
    }
    // Little-endian base-10^9 limbs, multiplied by 16 and added to per hex digit.
    let mut limbs: Vec<u64> = vec![0];
    for c in digits.chars() {
        let mut carry = u64::from(c.to_digit(16)?);
        for limb in &mut limbs {
            let next = *limb * 16 + carry;
            *limb = next % 1_000_000_000;
            carry = next / 1_000_000_000;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }
    let mut limbs = limbs.into_iter().rev();
    let mut decimal = limbs.next().unwrap_or(0).to_string();
    for limb in limbs {
        decimal.push_str(&format!("{limb:09}"));
    }
    Some(decimal)
}
