//! JSON-RPC 2.0 framing as subscope needs it: classify one incoming text frame with as little
//! parsing as routing needs, and build outgoing requests.
//!
//! The raw text of every frame is kept by the caller; this module only looks at the envelope
//! (`id`, `method`, `params.subscription`, `error`) and leaves payloads as borrowed
//! [`RawValue`]s, which is what keeps ingest fast (see `benches/ingest.rs`).

pub mod meta;
pub mod request;
pub(crate) mod scan;

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A subscription id as the server sent it: Solana servers use integers, Ethereum servers
/// hex strings.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SubId {
    /// An integer id (Agave, Helius).
    Num(u64),
    /// A string id (geth, anvil, Alchemy: `0x…`).
    Str(Box<str>),
}

impl SubId {
    /// Reads a subscription id from its JSON text; `None` for anything but an integer or string.
    pub fn from_raw(raw: &RawValue) -> Option<Self> {
        let text = raw.get();
        if text.starts_with('"') {
            let s: Cow<'_, str> = serde_json::from_str(text).ok()?;
            Some(Self::Str(s.into()))
        } else {
            text.parse().ok().map(Self::Num)
        }
    }

    /// The id as a JSON value, ready to be put in an unsubscribe request's params.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Num(n) => serde_json::Value::from(*n),
            Self::Str(s) => serde_json::Value::from(s.as_ref()),
        }
    }
}

impl fmt::Display for SubId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Num(n) => write!(f, "{n}"),
            Self::Str(s) => f.write_str(s),
        }
    }
}

/// A JSON-RPC error object as a server returned it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpcError {
    /// The error code, e.g. -32602 for invalid params.
    pub code: i64,
    /// The server's message.
    pub message: String,
    /// The optional `data` member, as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)?;
        if let Some(data) = &self.data {
            write!(f, ": {data}")?;
        }
        Ok(())
    }
}

/// What a response carried.
#[derive(Debug)]
pub enum Outcome<'a> {
    /// A `result` member (possibly `null`).
    Result(&'a RawValue),
    /// An `error` member.
    Error(RpcError),
}

/// One incoming text frame, classified.
#[derive(Debug)]
pub enum Incoming<'a> {
    /// A response to a request; `id` is `None` when the id is missing, null or not an integer
    /// (such a response cannot be matched to any request of ours).
    Response {
        /// The request id it answers.
        id: Option<u64>,
        /// The result or error.
        outcome: Outcome<'a>,
    },
    /// A notification (`method` + `params.subscription`), or a server-sent request.
    Notification {
        /// The notification method, e.g. `logsNotification` or `eth_subscription`.
        method: Cow<'a, str>,
        /// The subscription id it is for, when it names one.
        subscription: Option<SubId>,
    },
    /// A batch: a JSON array of envelopes.
    Batch(Vec<Incoming<'a>>),
    /// Valid JSON of a shape that is neither a response nor a notification.
    Unknown,
    /// Text that is not JSON at all.
    NotJson,
}

impl Incoming<'_> {
    /// A short name for the kind of frame, used in the capture and the table.
    pub fn kind(&self) -> FrameKind {
        match self {
            Self::Response { outcome: Outcome::Result(_), .. } => FrameKind::Response,
            Self::Response { outcome: Outcome::Error(_), .. } => FrameKind::Error,
            Self::Notification { .. } => FrameKind::Notification,
            Self::Batch(_) => FrameKind::Batch,
            Self::Unknown => FrameKind::Unknown,
            Self::NotJson => FrameKind::NotJson,
        }
    }
}

/// The kind of a captured frame or record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameKind {
    /// A request we sent.
    Request,
    /// A response with a result.
    Response,
    /// A response with an error.
    Error,
    /// A subscription notification.
    Notification,
    /// A batch (array) frame.
    Batch,
    /// JSON of an unknown shape.
    Unknown,
    /// Text that is not JSON.
    NotJson,
    /// A binary frame.
    Binary,
    /// A record subscope made itself (connection state, a reconnect gap).
    Meta,
}

impl FrameKind {
    /// Every kind, in display order.
    pub const ALL: [Self; 9] = [
        Self::Notification,
        Self::Response,
        Self::Error,
        Self::Request,
        Self::Batch,
        Self::Unknown,
        Self::NotJson,
        Self::Binary,
        Self::Meta,
    ];

    /// The lower-case name used in exports and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Response => "response",
            Self::Error => "error",
            Self::Notification => "notification",
            Self::Batch => "batch",
            Self::Unknown => "unknown",
            Self::NotJson => "not_json",
            Self::Binary => "binary",
            Self::Meta => "meta",
        }
    }

    /// Parses [`Self::as_str`] back.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// Classifies one incoming text frame. Never fails: unknown shapes and non-JSON text are
/// reported as such.
///
/// ```
/// use subscope::protocol::{Incoming, SubId, parse_incoming};
///
/// let frame = r#"{"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":25},"subscription":7}}"#;
/// assert!(matches!(parse_incoming(frame), Incoming::Notification { subscription: Some(SubId::Num(7)), .. }));
/// assert!(matches!(parse_incoming("{not json"), Incoming::NotJson));
/// ```
pub fn parse_incoming(text: &str) -> Incoming<'_> {
    // Nearly every frame of a stream is a plain notification: read it in one pass.
    if let Some((method, subscription)) = scan::plain_notification(text) {
        return Incoming::Notification { method, subscription };
    }
    parse_with_serde(text)
}

/// [`parse_incoming`], with the value of a plain notification's `params.result` read by
/// `read_result` on the way instead of skipped (a reader that picks members out of it in the
/// same pass): given the value's position, it returns the position after it, having checked
/// it exactly as the scanner's skip does (or `None`). The flag says whether the frame was read
/// so; when it is `false`, whatever `read_result` was called with does not count.
pub(crate) fn parse_incoming_reading(
    text: &str,
    read_result: impl FnMut(usize) -> Option<usize>,
) -> (Incoming<'_>, bool) {
    match scan::plain_notification_reading(text, read_result) {
        Some((method, subscription)) => (Incoming::Notification { method, subscription }, true),
        None => (parse_with_serde(text), false),
    }
}

/// A binary frame as a capture holds it: its text when the bytes are UTF-8 JSON (a node that
/// sends JSON-RPC in binary frames is read like one that sends text), else `Err` with the
/// bytes as lowercase hex (the capture format's `binary`).
pub fn binary_frame(bytes: &[u8]) -> Result<&str, String> {
    match std::str::from_utf8(bytes) {
        Ok(text) if !matches!(parse_incoming(text), Incoming::NotJson) => Ok(text),
        _ => Err(bytes.iter().map(|byte| format!("{byte:02x}")).collect()),
    }
}

/// The general reader: serde with the envelope's shape, for every frame.
fn parse_with_serde(text: &str) -> Incoming<'_> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        if let Some(items) = batch_items(text) {
            return Incoming::Batch(items.into_iter().map(Envelope::classify).collect());
        }
    } else if let Ok(envelope) = serde_json::from_str::<Envelope<'_>>(text) {
        return envelope.classify();
    }
    if serde_json::from_str::<IgnoredAny>(text).is_ok() { Incoming::Unknown } else { Incoming::NotJson }
}

/// The items of a batch, when every item is an envelope object. Items are checked to be
/// objects first: serde's derived reader would also take an array as the members in
/// declaration order (`[[7,"x"]]` as id 7, method "x").
fn batch_items(text: &str) -> Option<Vec<Envelope<'_>>> {
    let items = serde_json::from_str::<Vec<&RawValue>>(text).ok()?;
    items
        .into_iter()
        .map(|item| {
            let item = item.get();
            if item.starts_with('{') { serde_json::from_str::<Envelope<'_>>(item).ok() } else { None }
        })
        .collect()
}

/// The envelope members routing needs; everything else is skipped unparsed.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default, borrow, deserialize_with = "present")]
    id: Option<&'a RawValue>,
    #[serde(default, borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(default)]
    params: Option<NotificationParams>,
    #[serde(default, borrow, deserialize_with = "present")]
    result: Option<&'a RawValue>,
    #[serde(default, deserialize_with = "error_object")]
    error: Option<ErrorBody>,
}

impl<'a> Envelope<'a> {
    fn classify(self) -> Incoming<'a> {
        if let Some(method) = self.method {
            let subscription = self.params.and_then(|params| params.subscription);
            return Incoming::Notification { method, subscription };
        }
        let id = self.id.and_then(|raw| raw.get().parse::<u64>().ok());
        match (self.result, self.error) {
            (_, Some(error)) => Incoming::Response { id, outcome: Outcome::Error(error.into_rpc_error()) },
            (Some(result), None) => Incoming::Response { id, outcome: Outcome::Result(result) },
            (None, None) => Incoming::Unknown,
        }
    }
}

/// Deserializes a member that is present (even as `null`) into `Some`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

/// Deserializes an `error` member: `null` is none, an object is read as [`ErrorBody`], and
/// anything else fails (serde's derived reader would also take an array as the members in
/// order, `[]` as code 0).
fn error_object<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<ErrorBody>, D::Error> {
    let Some(raw) = <Option<&RawValue>>::deserialize(deserializer)? else {
        return Ok(None);
    };
    if !raw.get().starts_with('{') {
        return Err(de::Error::invalid_type(de::Unexpected::Other("a non-object error"), &"an error object"));
    }
    serde_json::from_str(raw.get()).map(Some).map_err(de::Error::custom)
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<Box<RawValue>>,
}

impl ErrorBody {
    fn into_rpc_error(self) -> RpcError {
        RpcError { code: self.code, message: self.message, data: self.data.map(|raw| raw.get().to_owned()) }
    }
}

/// `params` of a notification: only `subscription` is read; a params array (a server-sent
/// request) or any other member is skipped.
struct NotificationParams {
    subscription: Option<SubId>,
}

impl<'de> Deserialize<'de> for NotificationParams {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ParamsVisitor;

        impl<'de> Visitor<'de> for ParamsVisitor {
            type Value = NotificationParams;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("notification params")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut subscription = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == "subscription" {
                        let raw: &'de RawValue = map.next_value()?;
                        subscription = SubId::from_raw(raw);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(NotificationParams { subscription })
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(NotificationParams { subscription: None })
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(NotificationParams { subscription: None })
            }
        }

        deserializer.deserialize_any(ParamsVisitor)
    }
}

/// An outgoing JSON-RPC request.
#[derive(Serialize)]
struct RequestFrame<'a> {
    jsonrpc: &'static str,
    id: u64,
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a serde_json::Value>,
}

/// Serializes a JSON-RPC 2.0 request frame.
pub fn request_frame(id: u64, method: &str, params: Option<&serde_json::Value>) -> String {
    let frame = RequestFrame { jsonrpc: "2.0", id, method, params };
    // Serializing a struct of strings and a `Value` cannot fail; fall back to a visible marker.
    serde_json::to_string(&frame).unwrap_or_else(|err| format!("{{\"serialization_error\":\"{err}\"}}"))
}

/// A request frame read back (a capture's or a HAR file's), with the members that name it.
#[derive(Debug, Deserialize)]
pub(crate) struct SentRequest<'a> {
    /// Its id, as JSON text; `None` for a notification.
    #[serde(default, borrow)]
    pub(crate) id: Option<&'a RawValue>,
    /// The method.
    #[serde(default)]
    pub(crate) method: Option<String>,
    /// The params, as sent.
    #[serde(default)]
    pub(crate) params: Option<serde_json::Value>,
}

/// A response frame read back, with its id and its result or error as JSON text (a `null`
/// result is present).
#[derive(Debug, Deserialize)]
pub(crate) struct ReceivedResponse<'a> {
    /// The id it answers.
    #[serde(default, borrow)]
    pub(crate) id: Option<&'a RawValue>,
    /// The `result` member.
    #[serde(default, borrow, deserialize_with = "present")]
    pub(crate) result: Option<&'a RawValue>,
    /// The `error` member.
    #[serde(default, borrow)]
    pub(crate) error: Option<&'a RawValue>,
}

#[cfg(test)]
mod scan_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solana_notification_routes_by_integer_id() {
        let frame = r#"{"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":25,"parent":24,"root":0},"subscription":7}}"#;
        match parse_incoming(frame) {
            Incoming::Notification { method, subscription } => {
                assert_eq!(method, "slotNotification");
                assert_eq!(subscription, Some(SubId::Num(7)));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn ethereum_notification_routes_by_hex_string_id() {
        let frame = r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x43617a776d363551574c3838376c6c76","result":"0x244d"}}"#;
        match parse_incoming(frame) {
            Incoming::Notification { subscription, .. } => {
                assert_eq!(subscription, Some(SubId::Str("0x43617a776d363551574c3838376c6c76".into())));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn subscription_before_result_is_still_found() {
        let frame = r#"{"params":{"subscription":3,"result":{"a":[1,2,{"subscription":9}]}},"method":"x"}"#;
        assert!(matches!(
            parse_incoming(frame),
            Incoming::Notification { subscription: Some(SubId::Num(3)), .. }
        ));
    }

    #[test]
    fn response_with_result_and_error_are_told_apart() {
        match parse_incoming(r#"{"jsonrpc":"2.0","result":0,"id":1}"#) {
            Incoming::Response { id: Some(1), outcome: Outcome::Result(raw) } => assert_eq!(raw.get(), "0"),
            other => panic!("unexpected {other:?}"),
        }
        let error = r#"{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid Request: Invalid pubkey provided"},"id":27}"#;
        match parse_incoming(error) {
            Incoming::Response { id: Some(27), outcome: Outcome::Error(err) } => {
                assert_eq!(err.code, -32602);
                assert_eq!(err.message, "Invalid Request: Invalid pubkey provided");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn null_result_is_a_result_not_a_missing_member() {
        assert!(matches!(
            parse_incoming(r#"{"jsonrpc":"2.0","id":6,"result":null}"#),
            Incoming::Response { id: Some(6), outcome: Outcome::Result(_) }
        ));
    }

    #[test]
    fn error_data_is_kept_as_text() {
        let frame = r#"{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid parameters: No parameters were expected","data":"Array([String(\"unexpected\")])"},"id":38}"#;
        let Incoming::Response { outcome: Outcome::Error(err), .. } = parse_incoming(frame) else {
            panic!("not an error response");
        };
        assert_eq!(err.data.as_deref(), Some(r#""Array([String(\"unexpected\")])""#));
    }

    #[test]
    fn batch_response_is_split_into_items() {
        let frame = r#"[{"jsonrpc":"2.0","result":14,"id":901},{"jsonrpc":"2.0","result":15,"id":902}]"#;
        let Incoming::Batch(items) = parse_incoming(frame) else { panic!("not a batch") };
        assert_eq!(items.len(), 2);
        assert!(matches!(items[1], Incoming::Response { id: Some(902), .. }));
    }

    #[test]
    fn garbage_and_unknown_shapes_are_classified_not_dropped() {
        assert!(matches!(parse_incoming("{not json"), Incoming::NotJson));
        assert!(matches!(parse_incoming(""), Incoming::NotJson));
        assert!(matches!(parse_incoming(r#"{"hello":"world"}"#), Incoming::Unknown));
        assert!(matches!(parse_incoming("42"), Incoming::Unknown));
        assert!(matches!(parse_incoming(r#"[1,2]"#), Incoming::Unknown));
        assert!(matches!(parse_incoming(r#"{"error":"text"}"#), Incoming::Unknown));
    }

    #[test]
    fn batch_items_and_errors_must_be_objects_not_positional_arrays() {
        // Found by the fuzz suite (tests/fuzz.rs): the derived reader took `[[]]` as a batch of
        // one envelope and `[[1,"slotNotification",{"subscription":3}]]` as a notification.
        for frame in [
            "[[]]",
            r#"[[1,"slotNotification",{"subscription":3}]]"#,
            r#"[{"id":1,"result":0},[2,null,null,0]]"#,
        ] {
            assert!(matches!(parse_incoming(frame), Incoming::Unknown), "{frame}");
        }
        // Likewise `"error":[]` read as error code 0 with an empty message.
        for frame in [r#"{"error":[],"id":1}"#, r#"{"error":[-32000,"busy"],"id":1}"#] {
            assert!(matches!(parse_incoming(frame), Incoming::Unknown), "{frame}");
        }
        let Incoming::Batch(items) =
            parse_incoming(r#" [ {"id":1,"result":0} , {"method":"m","params":{"subscription":"0x1"}} ]"#)
        else {
            panic!("not a batch");
        };
        assert!(matches!(items[..], [Incoming::Response { id: Some(1), .. }, Incoming::Notification { .. }]));
    }

    #[test]
    fn response_with_string_id_cannot_be_matched() {
        let frame = r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}"#;
        assert!(matches!(parse_incoming(frame), Incoming::Response { id: None, .. }));
    }

    #[test]
    fn escaped_method_names_are_decoded() {
        let frame = r#"{"method":"logs\u004eotification","params":{"subscription":1}}"#;
        let Incoming::Notification { method, .. } = parse_incoming(frame) else { panic!() };
        assert_eq!(method, "logsNotification");
    }

    #[test]
    fn request_frames_serialize_with_and_without_params() {
        assert_eq!(
            request_frame(4, "slotSubscribe", None),
            r#"{"jsonrpc":"2.0","id":4,"method":"slotSubscribe"}"#
        );
        let params = serde_json::json!(["newHeads"]);
        assert_eq!(
            request_frame(1, "eth_subscribe", Some(&params)),
            r#"{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}"#
        );
    }

    #[test]
    fn large_helius_ids_fit() {
        let raw = serde_json::from_str::<&RawValue>("4743323479349712").unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(SubId::from_raw(raw), Some(SubId::Num(4_743_323_479_349_712)));
    }
}
