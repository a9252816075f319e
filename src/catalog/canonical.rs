//! Params as a node reads them: two requests a node treats as the same request have equal
//! [`canonical_params`], so whoever matches requests (a replay matching a client's subscribe
//! against a recorded one) compares those, both sides made the same way, here.
//!
//! The rules, each what Agave or geth does with the request:
//! - missing params, `null` and `[]` are the same; trailing `null`s and empty config objects
//!   are dropped (an absent optional parameter);
//! - a config key set to the catalogue's default for its field is dropped (`commitment`
//!   `finalized`, `encoding` `binary` on accounts, `showRewards` `false`, …), as is a trailing
//!   positional parameter equal to its default (`newPendingTransactions`' `false`); on Solana
//!   one-off requests too, `commitment` `finalized` is the default;
//! - Ethereum hex (`0x…` addresses, hashes, topics, quantities) is compared lowercase;
//! - a log filter's `address` is a set (one string or a list, in any order), and its `topics`
//!   positions are sets too (one topic, or an OR-list), `null` and `[]` meaning any, with
//!   trailing "any" positions dropped.

use serde_json::{Map, Value};

use super::{Chain, FieldKind, FieldSpec, ParamPlace, find_by_rpc_method, solana::DEFAULT_COMMITMENT};

/// The JSON-RPC namespaces of Ethereum methods (anything else is a Solana method).
const ETHEREUM_PREFIXES: [&str; 4] = ["eth_", "net_", "web3_", "alchemy_"];

/// The chain a JSON-RPC method belongs to, by its name: `eth_*`, `net_*`, `web3_*` and
/// `alchemy_*` are Ethereum's, the rest Solana's (camelCase, no namespace).
pub fn chain_of_method(method: &str) -> Chain {
    if ETHEREUM_PREFIXES.iter().any(|prefix| method.starts_with(prefix)) {
        Chain::Ethereum
    } else {
        Chain::Solana
    }
}

/// `params` of a request for `method` in the form every equivalent request shares (see the
/// module's rules). Always an array, unless the params were an object (named params).
pub fn canonical_params(method: &str, params: Option<Value>) -> Value {
    let mut params = match params {
        None | Some(Value::Null) => return Value::Array(Vec::new()),
        Some(params) => params,
    };
    let chain = chain_of_method(method);
    if chain == Chain::Ethereum {
        lowercase_hex(&mut params);
    }
    let Value::Array(items) = &mut params else { return params };
    let kind = items.first().and_then(Value::as_str).map(str::to_owned);
    match find_by_rpc_method(method, kind.as_deref()) {
        Some(spec) => {
            for field in spec.fields {
                canonical_field(field, items);
            }
        }
        None if chain == Chain::Solana => {
            for item in items.iter_mut() {
                if let Value::Object(config) = item
                    && config.get("commitment").and_then(Value::as_str) == Some(DEFAULT_COMMITMENT)
                {
                    config.remove("commitment");
                }
            }
        }
        None => {}
    }
    while items.last().is_some_and(|last| last.is_null() || last.as_object().is_some_and(Map::is_empty)) {
        items.pop();
    }
    params
}

/// Puts one catalogued field of `items` in its canonical form.
fn canonical_field(field: &FieldSpec, items: &mut [Value]) {
    match field.place {
        ParamPlace::InObject(index) => {
            let Some(Value::Object(config)) = items.get_mut(index) else { return };
            let Some(value) = config.get_mut(field.key) else { return };
            canonical_value(field.kind, value);
            if is_default(field, value) || is_empty_set(value) {
                config.remove(field.key);
            }
        }
        ParamPlace::Positional(index) => {
            let last = index + 1 == items.len();
            if let Some(value) = items.get_mut(index)
                && last
                && is_default(field, value)
            {
                *value = Value::Null; // trimmed with the other trailing nulls
            }
        }
        ParamPlace::Envelope => {}
    }
}

/// A field's value in its canonical form: address and topic sets sorted.
fn canonical_value(kind: FieldKind, value: &mut Value) {
    match kind {
        FieldKind::AddressList { .. } => *value = Value::Array(as_set(value)),
        FieldKind::Topics { .. } => {
            let Value::Array(positions) = value else { return };
            for position in positions.iter_mut() {
                let set = as_set(position);
                *position = match <[Value; 1]>::try_from(set) {
                    Ok([one]) => one,
                    Err(set) if set.is_empty() => Value::Null,
                    Err(set) => Value::Array(set),
                };
            }
            while positions.last().is_some_and(Value::is_null) {
                positions.pop();
            }
        }
        _ => {}
    }
}

/// One value or a list of them as a sorted list without repeats (`null` is the empty set).
fn as_set(value: &Value) -> Vec<Value> {
    let mut items = match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items.clone(),
        one => vec![one.clone()],
    };
    items.sort_by_key(Value::to_string);
    items.dedup();
    items
}

/// Whether a value is an empty list (no address or topic filter at all).
fn is_empty_set(value: &Value) -> bool {
    value.as_array().is_some_and(Vec::is_empty)
}

/// Whether `value` is the default a server assumes for the absent field: the catalogue's
/// default, for an optional field whose default does not depend on another field.
fn is_default(field: &FieldSpec, value: &Value) -> bool {
    if field.required || field.required_when.is_some() || field.default.is_empty() {
        return false;
    }
    match field.kind {
        FieldKind::Bool => value.as_bool().is_some_and(|on| on.to_string() == field.default),
        FieldKind::Integer { .. } => value.as_u64().is_some_and(|number| number.to_string() == field.default),
        FieldKind::Choice(_) => value.as_str() == Some(field.default),
        _ => false,
    }
}

/// Every `0x` hex string in `value` lowercased: Ethereum nodes read hex in either case.
fn lowercase_hex(value: &mut Value) {
    match value {
        Value::String(text) => {
            let hex = text.get(2..).is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_hexdigit()));
            if hex && text.get(..2).is_some_and(|prefix| prefix.eq_ignore_ascii_case("0x")) {
                text.make_ascii_lowercase();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(lowercase_hex),
        Value::Object(map) => map.values_mut().for_each(lowercase_hex),
        _ => {}
    }
}

#[cfg(test)]
#[path = "canonical_tests.rs"]
mod tests;
