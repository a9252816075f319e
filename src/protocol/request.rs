//! Reading a JSON-RPC request a person wrote (a `--subscribe` body, the window's raw frame):
//! one JSON object with a non-empty string `method` and, if any, structured `params`. One
//! reader with one set of rules for every place a request is typed; each place words the
//! [`RequestError`] for where it is shown.

use serde_json::Value;

/// A request as written: its method (trimmed) and params (`null` is none). Its `id` and
/// `jsonrpc` are subscope's to set when it is sent.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestBody {
    /// The method.
    pub method: String,
    /// Its params: an array or an object.
    pub params: Option<Value>,
}

/// What is wrong with a written request. The message never quotes the text (it can be a 100 KB
/// paste).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// Not JSON at all.
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    /// JSON, but not an object: its type, with an article (`an array`: a batch).
    #[error("must be a JSON object, not {0}")]
    NotObject(&'static str),
    /// No `method`, or an empty one.
    #[error("needs a non-empty \"method\" string, e.g. {{\"method\":\"slotSubscribe\"}}")]
    NoMethod,
    /// A `method` that is not a string: its type, with an article.
    #[error("\"method\" must be a string, not {0}")]
    MethodNotString(&'static str),
    /// `params` that are neither an array nor an object (JSON-RPC 2.0 §4.2): their type.
    #[error("\"params\" must be an array or an object, not {0}")]
    ParamsNotStructured(&'static str),
}

/// Reads a written request.
///
/// # Errors
/// What is wrong with it, the first found.
pub fn parse_request(text: &str) -> Result<RequestBody, RequestError> {
    let value: Value = serde_json::from_str(text.trim()).map_err(RequestError::NotJson)?;
    let Value::Object(object) = value else { return Err(RequestError::NotObject(json_type(&value))) };
    let method = match object.get("method") {
        Some(Value::String(method)) if !method.trim().is_empty() => method.trim().to_owned(),
        None | Some(Value::String(_)) => return Err(RequestError::NoMethod),
        Some(other) => return Err(RequestError::MethodNotString(json_type(other))),
    };
    let params = match object.get("params") {
        None | Some(Value::Null) => None,
        Some(params @ (Value::Array(_) | Value::Object(_))) => Some(params.clone()),
        Some(other) => return Err(RequestError::ParamsNotStructured(json_type(other))),
    };
    Ok(RequestBody { method, params })
}

/// A JSON value's type with its article, as a message names it: `an array`, `a number`.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_request_is_an_object_with_a_method_and_structured_params() {
        let read = parse_request(r#" {"method":" slotSubscribe ","params":null,"id":9} "#).unwrap();
        assert_eq!(read, RequestBody { method: "slotSubscribe".into(), params: None });
        let read = parse_request(r#"{"method":"logsSubscribe","params":["all"]}"#).unwrap();
        assert_eq!(read.params, Some(json!(["all"])));
        let read = parse_request(r#"{"method":"getBalance","params":{"a":1}}"#).unwrap();
        assert_eq!(read.params, Some(json!({"a": 1})));
    }

    #[test]
    fn each_fault_is_named() {
        let fault = |text: &str| parse_request(text).unwrap_err().to_string();
        assert!(fault("{").starts_with("not JSON"));
        assert_eq!(fault("[1]"), "must be a JSON object, not an array");
        assert_eq!(fault("{}"), r#"needs a non-empty "method" string, e.g. {"method":"slotSubscribe"}"#);
        assert!(fault(r#"{"method":"  "}"#).starts_with("needs a non-empty"));
        assert_eq!(fault(r#"{"method":7}"#), r#""method" must be a string, not a number"#);
        assert_eq!(
            fault(r#"{"method":"m","params":"x"}"#),
            r#""params" must be an array or an object, not a string"#
        );
    }
}
