//! JSON-RPC 2.0 envelopes in the two wire dialects the demo imitates.
//!
//! Agave (jsonrpc-core) writes `{"jsonrpc","result","id"}`, anvil and geth write
//! `{"jsonrpc","id","result"}`. Frames are assembled as strings so the key order matches the
//! real servers and no intermediate `Value` is built for every notification.

use serde_json::Value;

use super::fake::json_str;
use crate::catalog::{ETH_NOTIFICATION, GETH_MAX_BATCH_ITEMS};

/// -32700: the frame is not JSON.
pub(crate) const PARSE_ERROR: i64 = -32700;

/// -32600: the frame is JSON but not a valid request.
pub(crate) const INVALID_REQUEST: i64 = -32600;

/// -32601: no such method (or no such eth subscription).
pub(crate) const METHOD_NOT_FOUND: i64 = -32601;

/// -32602: the parameters are wrong.
pub(crate) const INVALID_PARAMS: i64 = -32602;

/// -32603: the server failed (used for refused subscriptions).
pub(crate) const INTERNAL_ERROR: i64 = -32603;

/// Agave's message when the node-wide subscription cap is reached (also the `refuse` fault).
pub(crate) const SUBSCRIPTION_REFUSED: &str =
    "Internal Error: Subscription refused. Node subscription limit reached";

/// Agave's message for an unknown id on `*Unsubscribe`.
pub(crate) const INVALID_SUBSCRIPTION_ID: &str = "Invalid subscription id.";

/// Which server's envelope style a reply imitates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Agave / Helius: `result` before `id`.
    Solana,
    /// geth / anvil / Alchemy: `id` before `result`.
    Ethereum,
}

impl Dialect {
    /// The dialect of a method name: `eth_*`, `net_*`, `web3_*` and `alchemy_*` are Ethereum.
    pub(crate) fn of_method(method: &str) -> Self {
        match crate::catalog::chain_of_method(method) {
            crate::catalog::Chain::Ethereum => Self::Ethereum,
            crate::catalog::Chain::Solana => Self::Solana,
        }
    }
}

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RpcError {
    /// The numeric code.
    pub(crate) code: i64,
    /// The human-readable message, exactly as the imitated server words it.
    pub(crate) message: String,
    /// Optional `data`, already serialized as JSON.
    pub(crate) data: Option<String>,
}

impl RpcError {
    /// An error without `data`.
    pub(crate) fn new(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), data: None }
    }

    /// -32602 with the given message.
    pub(crate) fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, message)
    }

    /// The error object as JSON.
    fn to_json(&self) -> String {
        let message = json_str(&self.message);
        match &self.data {
            Some(data) => format!(r#"{{"code":{},"message":{message},"data":{data}}}"#, self.code),
            None => format!(r#"{{"code":{},"message":{message}}}"#, self.code),
        }
    }
}

/// Serializes a request id (a string, number or null) for echoing back.
pub(crate) fn id_json(id: &Value) -> String {
    serde_json::to_string(id).unwrap_or_else(|_| "null".to_owned())
}

/// A success response; `result` is already JSON.
pub(crate) fn success(dialect: Dialect, id: &Value, result: &str) -> String {
    let id = id_json(id);
    match dialect {
        Dialect::Solana => format!(r#"{{"jsonrpc":"2.0","result":{result},"id":{id}}}"#),
        Dialect::Ethereum => format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{result}}}"#),
    }
}

/// An error response.
pub(crate) fn failure(dialect: Dialect, id: &Value, error: &RpcError) -> String {
    let id = id_json(id);
    let error = error.to_json();
    match dialect {
        Dialect::Solana => format!(r#"{{"jsonrpc":"2.0","error":{error},"id":{id}}}"#),
        Dialect::Ethereum => format!(r#"{{"jsonrpc":"2.0","id":{id},"error":{error}}}"#),
    }
}

/// Agave's answer to a request without `"jsonrpc":"2.0"` (it has no `jsonrpc` key itself).
pub(crate) fn unsupported_version(id: &Value) -> String {
    format!(
        r#"{{"error":{{"code":{INVALID_REQUEST},"message":"Unsupported JSON-RPC protocol version"}},"id":{}}}"#,
        id_json(id)
    )
}

/// The `-32700 Parse error` answer (id null) for a frame that is not JSON.
pub(crate) fn parse_error() -> String {
    failure(Dialect::Solana, &Value::Null, &RpcError::new(PARSE_ERROR, "Parse error"))
}

/// geth's answer to an empty batch (`[]`), over HTTP and WebSocket alike.
pub(crate) fn empty_batch() -> String {
    failure(Dialect::Ethereum, &Value::Null, &RpcError::new(INVALID_REQUEST, "empty batch"))
}

/// Answers one text: a request, a batch or something that is not JSON. `count` is told of
/// each request received (each batch item, and a text that is not one); `call` answers one
/// item of it (any JSON value), `None` for a notification. `None` when nothing is to be sent
/// back (only notifications).
pub(crate) fn answer_text(
    text: &str,
    mut count: impl FnMut(),
    mut call: impl FnMut(&Value) -> Option<String>,
) -> Option<String> {
    let items = match serde_json::from_str::<Value>(text) {
        Err(_) => {
            count();
            return Some(parse_error());
        }
        Ok(Value::Array(items)) => items,
        Ok(request) => {
            count();
            return call(&request);
        }
    };
    let invalid = |message: &str| {
        Some(failure(Dialect::Solana, &Value::Null, &RpcError::new(INVALID_REQUEST, message)))
    };
    if items.is_empty() {
        count();
        return Some(empty_batch());
    }
    if items.len() > GETH_MAX_BATCH_ITEMS {
        count();
        return invalid("batch too large");
    }
    let mut responses = Vec::with_capacity(items.len());
    for item in &items {
        count();
        responses.extend(call(item));
    }
    (!responses.is_empty()).then(|| format!("[{}]", responses.join(",")))
}

/// Answers one request object the way the real servers check it (an id that is a string,
/// number or null, `"jsonrpc":"2.0"`, a method, positional params), in the dialect of its
/// method, running `dispatch` on its method and params; `None` for a notification (no `id`).
pub(crate) fn answer_request(
    request: &Value,
    dispatch: impl FnOnce(&str, &[Value]) -> Result<String, RpcError>,
) -> Option<String> {
    let invalid_request =
        |dialect, id: &Value| failure(dialect, id, &RpcError::new(INVALID_REQUEST, "Invalid request"));
    let Value::Object(map) = request else {
        return Some(invalid_request(Dialect::Solana, &Value::Null));
    };
    let method = map.get("method").and_then(Value::as_str);
    let dialect = method.map_or(Dialect::Solana, Dialect::of_method);
    let id = match map.get("id") {
        None => None,
        Some(id @ (Value::Null | Value::Number(_) | Value::String(_))) => Some(id.clone()),
        Some(_) => return Some(invalid_request(dialect, &Value::Null)),
    };
    let reply_id = id.clone().unwrap_or(Value::Null);
    if map.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Some(match dialect {
            Dialect::Solana => unsupported_version(&reply_id),
            Dialect::Ethereum => invalid_request(dialect, &reply_id),
        });
    }
    let Some(method) = method else {
        return Some(invalid_request(dialect, &reply_id));
    };
    let params: &[Value] = match map.get("params") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(params)) => params,
        Some(Value::Object(_)) => {
            let error = RpcError::invalid_params("Invalid params: invalid type: map, expected a sequence.");
            return id.map(|id| failure(dialect, &id, &error));
        }
        Some(_) => return Some(invalid_request(dialect, &reply_id)),
    };
    let result = dispatch(method, params);
    let id = id?;
    Some(match result {
        Ok(result) => success(dialect, &id, &result),
        Err(error) => failure(dialect, &id, &error),
    })
}

/// A Solana notification: `{"jsonrpc","method","params":{"result","subscription"}}`.
pub(crate) fn solana_notification(method: &str, subscription: u64, result: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","method":"{method}","params":{{"result":{result},"subscription":{subscription}}}}}"#
    )
}

/// An `eth_subscription` notification: `{"jsonrpc","method","params":{"subscription","result"}}`.
pub(crate) fn eth_notification(subscription: &str, result: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","method":"{ETH_NOTIFICATION}","params":{{"subscription":"{subscription}","result":{result}}}}}"#
    )
}

/// How serde would describe an unexpected JSON value (`integer `5``, `a string`…).
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => format!("boolean `{flag}`"),
        Value::Number(number) if number.is_f64() => format!("floating point `{number}`"),
        Value::Number(number) => format!("integer `{number}`"),
        Value::String(text) => format!("string {text:?}"),
        Value::Array(_) => "sequence".to_owned(),
        Value::Object(_) => "map".to_owned(),
    }
}

/// jsonrpc-core's `Invalid params: invalid type: …, expected …` error.
pub(crate) fn invalid_type(value: &Value, expected: &str) -> RpcError {
    RpcError::invalid_params(format!(
        "Invalid params: invalid type: {}, expected {expected}.",
        describe(value)
    ))
}

/// jsonrpc-core's error for a missing required positional argument.
pub(crate) fn missing_params(required: usize) -> RpcError {
    RpcError::invalid_params(format!("`params` should have at least {required} argument(s)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_follow_each_dialect() {
        let id = Value::from(7);
        assert_eq!(success(Dialect::Solana, &id, "true"), r#"{"jsonrpc":"2.0","result":true,"id":7}"#);
        assert_eq!(success(Dialect::Ethereum, &id, "true"), r#"{"jsonrpc":"2.0","id":7,"result":true}"#);
        assert_eq!(
            failure(
                Dialect::Ethereum,
                &id,
                &RpcError::new(METHOD_NOT_FOUND, r#"no "foo" subscription in eth namespace"#)
            ),
            r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"no \"foo\" subscription in eth namespace"}}"#
        );
        assert_eq!(
            parse_error(),
            r#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}"#
        );
    }

    #[test]
    fn dialect_is_chosen_by_method_prefix() {
        assert_eq!(Dialect::of_method("eth_subscribe"), Dialect::Ethereum);
        assert_eq!(Dialect::of_method("alchemy_foo"), Dialect::Ethereum);
        assert_eq!(Dialect::of_method("slotSubscribe"), Dialect::Solana);
        assert_eq!(Dialect::of_method("demo_fault"), Dialect::Solana);
    }
}
