//! Reading HAR files (HTTP Archive 1.2, as browsers' DevTools and HTTP Toolkit save them):
//! every WebSocket entry becomes a connection and every message in its `_webSocketMessages`
//! a captured event, so a dApp's page traffic can be inspected, filtered, exported and
//! replayed like a capture.
//!
//! The shape read, as Chrome writes it (`front_end/models/har/Log.ts`) and HTTP Toolkit too:
//!
//! ```json
//! {"log":{"version":"1.2","entries":[{"_resourceType":"websocket",
//!   "request":{"url":"wss://…"},"response":{"status":101},
//!   "_webSocketMessages":[{"type":"send","time":1700000000.123,"opcode":1,"data":"{…}"}]}]}}
//! ```
//!
//! An entry is a WebSocket when `_resourceType` says so, when it has `_webSocketMessages`, when
//! its response status is 101, or when its URL is `ws://`/`wss://` (Firefox writes no
//! `_resourceType`); other entries are counted and left out. `time` is seconds since the
//! epoch (a value too large for that is taken as milliseconds, as some tools write); `type`
//! is `send`, `receive` or `error` (Chrome's frame errors, kept as records); opcode 1 is
//! text, 2 binary with base64 `data`. Subscriptions are rebuilt from the subscribe requests
//! sent and the ids their responses give, so notifications are filed under them.
//!
//! A HAR file is one JSON document: it is read whole, up to the import's longest-line limit.
//! A malformed one stops the import at the entry or message named (`log.entries[3].
//! _webSocketMessages[7]`), with what came before it kept.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::format::{CaptureContext, ConnectionInfo, SubscriptionInfo};
use super::reader::{ImportError, ImportOptions, Imported};
use crate::capture::{CapturedEvent, ConnId, Direction, SubKey, Text};
use crate::protocol::{
    FrameKind, Incoming, ReceivedResponse, SentRequest, SubId, binary_frame, parse_incoming,
};
use crate::redact::redact_url;

/// A `time` above this is milliseconds, not seconds (1e11 s is the year 5138).
const MILLISECOND_TIMES: f64 = 1e11;

/// Whether a file that starts with `head` is a HAR file: an object whose first member is `log`.
pub(super) fn is_har(head: &[u8]) -> bool {
    let Some(rest) = head.strip_prefix(b"{") else { return false };
    let at = rest.iter().position(|byte| !byte.is_ascii_whitespace()).unwrap_or(rest.len());
    rest[at..].starts_with(b"\"log\"")
}

#[derive(Deserialize)]
struct HarFile<'a> {
    #[serde(borrow)]
    log: HarLog<'a>,
}

#[derive(Deserialize)]
struct HarLog<'a> {
    #[serde(borrow)]
    entries: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(default, rename = "_resourceType", borrow)]
    resource_type: Option<Cow<'a, str>>,
    #[serde(default)]
    request: Option<Request>,
    #[serde(default)]
    response: Option<Response>,
    #[serde(default, rename = "_webSocketMessages", borrow)]
    messages: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    url: String,
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    status: Option<i64>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    time: f64,
    #[serde(default = "text_opcode")]
    opcode: i64,
    #[serde(default, borrow)]
    data: Cow<'a, str>,
}

fn text_opcode() -> i64 {
    1
}

/// A problem at a place in the file.
fn bad(at: String, message: impl Into<String>) -> ImportError {
    ImportError::Har { at, message: message.into() }
}

/// serde's message without its position (which would be relative to the entry, not the file).
fn without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Reads a HAR file.
pub(super) fn read_har(reader: impl Read, options: ImportOptions) -> Imported {
    let mut imported = Imported::default();
    let mut bytes = Vec::new();
    let limit = u64::try_from(options.max_line_bytes).unwrap_or(u64::MAX).saturating_add(1);
    if let Err(err) = reader.take(limit).read_to_end(&mut bytes) {
        imported.error = Some(ImportError::Io(err.to_string()));
        return imported;
    }
    if bytes.len() > options.max_line_bytes {
        imported.error = Some(ImportError::TooLong { line: 1, limit: options.max_line_bytes });
        return imported;
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        imported.error = Some(bad("HAR".into(), "not UTF-8 text"));
        return imported;
    };
    let file: HarFile<'_> = match serde_json::from_str(text) {
        Ok(file) => file,
        Err(err) => {
            let at = format!("HAR line {} column {}", err.line(), err.column());
            imported.error = Some(bad(at, without_position(&err)));
            return imported;
        }
    };
    let mut builder = Builder::default();
    for (index, entry) in file.log.entries.iter().enumerate() {
        if let Err(err) = builder.entry(index, entry.get()) {
            imported.error = Some(err);
            break;
        }
    }
    builder.finish(imported, options)
}

/// Events and context as they are read.
#[derive(Default)]
struct Builder {
    events: Vec<CapturedEvent>,
    context: CaptureContext,
    ignored: u64,
    /// How many connections each host label has, to tell them apart.
    hosts: HashMap<String, u32>,
    next_key: SubKey,
}

/// One connection's subscriptions as they are rebuilt.
#[derive(Default)]
struct Subscriptions {
    /// Subscribe requests sent, by their JSON-RPC id text.
    pending: HashMap<String, SubKey>,
    /// Subscriptions the server confirmed, by the id it gave.
    by_server_id: HashMap<SubId, SubKey>,
}

impl Builder {
    fn entry(&mut self, index: usize, text: &str) -> Result<(), ImportError> {
        let at = || format!("HAR log.entries[{index}]");
        let entry: Entry<'_> = serde_json::from_str(text).map_err(|err| bad(at(), without_position(&err)))?;
        let url = entry.request.map(|request| request.url).unwrap_or_default();
        let websocket =
            entry.resource_type.as_deref().is_some_and(|kind| kind.eq_ignore_ascii_case("websocket"))
                || entry.messages.is_some()
                || entry.response.and_then(|response| response.status) == Some(101)
                || url.starts_with("ws://")
                || url.starts_with("wss://");
        if !websocket {
            self.ignored += 1;
            return Ok(());
        }
        let conn = self.context.connections.len() as ConnId + 1;
        let endpoint = redact_url(&url);
        let host = host_of(&endpoint);
        let seen = self.hosts.entry(host.clone()).or_default();
        *seen += 1;
        let label = if *seen == 1 { host } else { format!("{host} #{seen}") };
        self.context.connections.insert(conn, ConnectionInfo { label, endpoint });
        let mut subscriptions = Subscriptions::default();
        for (number, message) in entry.messages.unwrap_or_default().iter().enumerate() {
            let at = || format!("HAR log.entries[{index}]._webSocketMessages[{number}]");
            let message: Message<'_> =
                serde_json::from_str(message.get()).map_err(|err| bad(at(), without_position(&err)))?;
            let event =
                self.message(conn, &message, &mut subscriptions).map_err(|message| bad(at(), message))?;
            self.events.push(event);
        }
        Ok(())
    }

    /// One message as a captured event.
    fn message(
        &mut self,
        conn: ConnId,
        message: &Message<'_>,
        subscriptions: &mut Subscriptions,
    ) -> Result<CapturedEvent, String> {
        let time = if message.time > MILLISECOND_TIMES { message.time } else { message.time * 1000.0 };
        if !time.is_finite() || time < 0.0 {
            return Err(format!("time {} is not a time since the epoch", message.time));
        }
        let mut event = CapturedEvent {
            seq: 0,
            received_at_ms: time.round() as u64,
            connection: conn,
            subscription: None,
            direction: Direction::Meta,
            kind: FrameKind::Meta,
            method: None,
            raw: Text::from(""),
            redacted: false,
            recovered: None,
        };
        event.direction = match message.kind.as_ref() {
            "send" => Direction::Out,
            "receive" => Direction::In,
            "error" => {
                event.raw = meta(&format!("WebSocket error: {}", message.data));
                return Ok(event);
            }
            other => return Err(format!("type {other:?} is not send, receive or error")),
        };
        let text = match message.opcode {
            1 => message.data.to_string(),
            2 => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(message.data.as_bytes())
                    .map_err(|err| format!("binary data is not base64: {err}"))?;
                // Binary, hex-written, unless it is JSON: UTF-8 alone is not text (01 02 03 is).
                match binary_frame(&bytes) {
                    Ok(text) => text.to_owned(),
                    Err(hex) => {
                        event.kind = FrameKind::Binary;
                        event.raw = hex.into();
                        return Ok(event);
                    }
                }
            }
            other => {
                event.raw = meta(&format!("a frame with opcode {other}"));
                event.direction = Direction::Meta;
                return Ok(event);
            }
        };
        if event.direction == Direction::Out {
            self.sent(&text, &mut event, subscriptions);
        } else {
            received(&text, &mut event, subscriptions, &mut self.context);
        }
        event.raw = text.into();
        Ok(event)
    }

    /// Classifies a frame sent; a subscribe request opens a subscription.
    fn sent(&mut self, text: &str, event: &mut CapturedEvent, subscriptions: &mut Subscriptions) {
        event.kind = match parse_incoming(text) {
            Incoming::NotJson => FrameKind::NotJson,
            Incoming::Batch(_) => FrameKind::Batch,
            _ => FrameKind::Unknown,
        };
        let Ok(frame) = serde_json::from_str::<SentRequest<'_>>(text) else { return };
        let Some(method) = frame.method else { return };
        event.kind = FrameKind::Request;
        event.method = Some(Arc::from(method.as_str()));
        let lower = method.to_ascii_lowercase();
        let (Some(id), true) = (frame.id, lower.ends_with("subscribe") && !lower.ends_with("unsubscribe"))
        else {
            return;
        };
        self.next_key += 1;
        let key = self.next_key;
        let params = frame.params.filter(|params| !params.is_null());
        self.context.subscriptions.insert(key, SubscriptionInfo { method, params, server_id: None });
        subscriptions.pending.insert(id.get().to_owned(), key);
        event.subscription = Some(key);
    }

    /// Sorts the events by time (stable, so each connection keeps its order), numbers them,
    /// and keeps the newest within the limits.
    fn finish(mut self, mut imported: Imported, options: ImportOptions) -> Imported {
        self.events.sort_by_key(|event| event.received_at_ms);
        let mut bytes: usize = self.events.iter().map(CapturedEvent::memory_cost).sum();
        let mut events: std::collections::VecDeque<CapturedEvent> = self.events.into();
        for (seq, event) in events.iter_mut().enumerate() {
            event.seq = seq as u64;
        }
        while options.limits.exceeded_by(events.len(), bytes) {
            let Some(oldest) = events.pop_front() else { break };
            bytes -= oldest.memory_cost();
            imported.evicted += 1;
        }
        imported.events = events;
        imported.context = self.context;
        imported.ignored_entries = self.ignored;
        imported
    }
}

/// Classifies a frame received; a subscribe response names its subscription's server id, and
/// a notification is filed under the subscription its id names.
fn received(
    text: &str,
    event: &mut CapturedEvent,
    subscriptions: &mut Subscriptions,
    context: &mut CaptureContext,
) {
    let incoming = parse_incoming(text);
    event.kind = incoming.kind();
    match incoming {
        Incoming::Notification { method, subscription } => {
            event.method = Some(Arc::from(method.as_ref()));
            event.subscription = subscription.and_then(|id| subscriptions.by_server_id.get(&id).copied());
        }
        Incoming::Response { .. } => {
            let Ok(frame) = serde_json::from_str::<ReceivedResponse<'_>>(text) else { return };
            let Some(key) = frame.id.and_then(|id| subscriptions.pending.remove(id.get())) else { return };
            event.subscription = Some(key);
            let Some(server_id) = frame.result.and_then(SubId::from_raw) else { return };
            if let Some(info) = context.subscriptions.get_mut(&key) {
                info.server_id = Some(server_id.clone());
            }
            subscriptions.by_server_id.insert(server_id, key);
        }
        _ => {}
    }
}

/// A record of subscope's own, as JSON text.
fn meta(message: &str) -> Text {
    crate::protocol::meta::note_json(message).into()
}

/// The host of a (redacted) URL, for a connection's label.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    if host.is_empty() { "HAR WebSocket".to_owned() } else { host.to_owned() }
}
