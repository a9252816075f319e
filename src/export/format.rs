//! The event format, defined once: the version, every field's name and place, and the
//! rule for where a frame goes. The writer renders from [`fields`] and
//! [`subscription_fields`]; the reader's serde structs are checked against them
//! (`export::tests`, see the module doc of `export`).
//!
//! Format version 1, one object per event (README, "Capture format"):
//!
//! ```json
//! {"v":1,"seq":7,"time":"2026-11-22T08:19:00.123Z","time_ms":1795335540123,
//!  "connection":"Helius mainnet","endpoint":"wss://mainnet.helius-rpc.com/?api-key=***",
//!  "subscription":{"key":3,"method":"logsSubscribe","params":["all"]},"server_id":5,
//!  "direction":"in","kind":"notification","method":"logsNotification","size":312,
//!  "frame":{"jsonrpc":"2.0","method":"logsNotification","params":{…}}}
//! ```
//!
//! Fields come in the order of [`fields::ALL`]. Always present: `v`, `seq`, `time`,
//! `time_ms`, `connection`, `endpoint`, `direction`, `kind`, `size`, and exactly one of
//! `frame` and `frame_text`. `subscription` (and `server_id`, once the server named one) only
//! when the event belongs to a subscription; `method` only when the frame names one;
//! `redacted` (`true`) only when subscope masked a secret in the frame; `source`
//! (`{"recovered":"gap","via":"eth_getLogs"}`) only on an event subscope recovered over HTTP
//! after it was missed, whose frame is a notification subscope wrote around the `result` the
//! server answered. In a
//! pretty JSON file each field is on its own line; the `subscription` object, the params and
//! the frame stay on one.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::capture::{ConnId, SubKey};
use crate::protocol::{FrameKind, SubId};
use crate::redact::redact_url;

/// The format version written in every event's `v`.
pub const FORMAT_VERSION: u32 = 1;

/// A field of an event object (or of its `subscription` object).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Its name in the file.
    pub name: &'static str,
    /// `"name":`, what the writer puts before the value (it renders by hand).
    pub prefix: &'static str,
    /// Whether an import reads it back; one that does not is recomputed from others.
    pub read: bool,
}

/// A [`Field`] from its name (a literal, so that its prefix is one too).
macro_rules! field {
    ($name:literal) => {
        field!($name, read: true)
    };
    ($name:literal, read: $read:literal) => {
        Field { name: $name, prefix: concat!("\"", $name, "\":"), read: $read }
    };
}

/// The fields of an event, in the order they are written.
pub mod fields {
    use super::Field;

    /// The format version, [`FORMAT_VERSION`](super::FORMAT_VERSION); an import refuses a
    /// newer one.
    pub const V: Field = field!("v");
    /// The sequence number across all connections.
    pub const SEQ: Field = field!("seq");
    /// The receive (or send) time as ISO-8601 UTC with milliseconds; an import takes
    /// `time_ms`.
    pub const TIME: Field = field!("time", read: false);
    /// The receive (or send) time in ms since the epoch.
    pub const TIME_MS: Field = field!("time_ms");
    /// The connection's label.
    pub const CONNECTION: Field = field!("connection");
    /// The connection's URL, with any API key redacted (`***`) or shown as `{api_key}`.
    pub const ENDPOINT: Field = field!("endpoint");
    /// The local subscription, `{key, method, params}` ([`subscription_fields`](super::subscription_fields)).
    pub const SUBSCRIPTION: Field = field!("subscription");
    /// The id the server gave that subscription last.
    pub const SERVER_ID: Field = field!("server_id");
    /// `in`, `out` or `meta`.
    pub const DIRECTION: Field = field!("direction");
    /// The frame's kind (`notification`, `response`, … `not_json`, `binary`, `meta`).
    pub const KIND: Field = field!("kind");
    /// The notification's or request's method.
    pub const METHOD: Field = field!("method");
    /// The frame's size in bytes; an import measures the frame.
    pub const SIZE: Field = field!("size", read: false);
    /// `true` when subscope masked a secret in the frame (a server echoed the connection's
    /// key); absent otherwise. The one case where `frame` is not exactly what was received.
    pub const REDACTED: Field = field!("redacted");
    /// How an event subscope recovered after it was missed came to be, `{recovered, via}`
    /// ([`source_fields`](super::source_fields)); absent for every frame of the socket.
    pub const SOURCE: Field = field!("source");
    /// The frame's JSON as received (whitespace outside strings removed if it spanned lines).
    pub const FRAME: Field = field!("frame");
    /// The frame as a string, instead of `frame`, when it is not JSON (see
    /// `is_json_kind`); binary frames as hex.
    pub const FRAME_TEXT: Field = field!("frame_text");

    /// Every field, in order.
    pub const ALL: [Field; 16] = [
        V,
        SEQ,
        TIME,
        TIME_MS,
        CONNECTION,
        ENDPOINT,
        SUBSCRIPTION,
        SERVER_ID,
        DIRECTION,
        KIND,
        METHOD,
        SIZE,
        REDACTED,
        SOURCE,
        FRAME,
        FRAME_TEXT,
    ];
}

/// The fields of an event's `subscription` object, in the order they are written.
pub mod subscription_fields {
    use super::Field;

    /// The subscription's local key.
    pub const KEY: Field = field!("key");
    /// The subscribe method.
    pub const METHOD: Field = field!("method");
    /// Its params, as JSON.
    pub const PARAMS: Field = field!("params");

    /// Every field, in order.
    pub const ALL: [Field; 3] = [KEY, METHOD, PARAMS];
}

/// The fields of a recovered event's `source` object, in the order they are written.
pub mod source_fields {
    use super::Field;

    /// Why it was missing: `gap`, `height_skip` or `compare_miss`.
    pub const RECOVERED: Field = field!("recovered");
    /// The HTTP JSON-RPC method that answered it (`eth_getLogs`, `getTransaction`, …).
    pub const VIA: Field = field!("via");

    /// Every field, in order.
    pub const ALL: [Field; 2] = [RECOVERED, VIA];
}

/// Whether a frame of this kind is written as JSON in `frame`; the others are text in
/// `frame_text` (as is a JSON frame with whitespace around it, which `frame` would lose).
pub(super) fn is_json_kind(kind: FrameKind) -> bool {
    !matches!(kind, FrameKind::NotJson | FrameKind::Binary)
}

/// File formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Format {
    /// One JSON object per line.
    Ndjson,
    /// A JSON array, one event per line.
    JsonCompact,
    /// A JSON array with indented envelopes (frames stay as received).
    JsonPretty,
    /// HAR 1.2 with `_webSocketMessages`, one entry per connection, for browsers' DevTools
    /// and HTTP Toolkit (subscope's own records are left out).
    Har,
}

impl Format {
    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Ndjson => "ndjson",
            Self::JsonCompact | Self::JsonPretty => "json",
            Self::Har => "har",
        }
    }
}

/// What a connection was, for export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The user's name for it.
    pub label: String,
    /// Its URL, redacted.
    pub endpoint: String,
}

/// What a subscription was, for export.
#[derive(Clone, Debug, PartialEq)]
pub struct SubscriptionInfo {
    /// The subscribe method.
    pub method: String,
    /// Its params.
    pub params: Option<serde_json::Value>,
    /// The server id it had last.
    pub server_id: Option<SubId>,
}

/// Names for the ids in captured events.
#[derive(Clone, Debug, Default)]
pub struct CaptureContext {
    /// Connections by id.
    pub connections: HashMap<ConnId, ConnectionInfo>,
    /// Subscriptions by local key.
    pub subscriptions: HashMap<SubKey, SubscriptionInfo>,
    /// Which subscriptions the window compares: those of one request with the same group (sent
    /// together, on one chain). A subscription not named here is compared with every other
    /// of its request that is not named either (the `compare` command and files).
    pub compare_groups: HashMap<SubKey, u64>,
    /// Subscriptions the server gave the id of another on the same connection (Agave gives
    /// identical subscriptions one id): their notifications carry that id and are captured
    /// under the first confirmed with it, and stand for these keys too. Keyed by that one, in
    /// the order they were confirmed (the backend's routing order).
    pub shared_ids: HashMap<SubKey, Vec<SubKey>>,
}

impl CaptureContext {
    /// Records that `sub` (just confirmed) holds a server id of its own, or shares `holder`'s.
    /// Those sharing its id keep doing so: after a reconnect each is confirmed again, and
    /// placed again then.
    pub fn share_id(&mut self, sub: SubKey, holder: Option<SubKey>) {
        self.stop_sharing(sub);
        if let Some(holder) = holder {
            self.shared_ids.entry(holder).or_default().push(sub);
        }
    }

    /// `sub` no longer shares another's id.
    fn stop_sharing(&mut self, sub: SubKey) {
        self.shared_ids.retain(|_, sharers| {
            sharers.retain(|sharer| *sharer != sub);
            !sharers.is_empty()
        });
    }

    /// Forgets `sub`, which ended; when others shared its id, the first confirmed of them
    /// receives the notifications now, for the rest too.
    pub fn unshare_id(&mut self, sub: SubKey) {
        self.stop_sharing(sub);
        if let Some(mut sharers) = self.shared_ids.remove(&sub)
            && !sharers.is_empty()
        {
            let heir = sharers.remove(0); // the next confirmed
            if !sharers.is_empty() {
                self.shared_ids.insert(heir, sharers);
            }
        }
    }

    /// Registers a connection; the URL is redacted here, so no key can be stored.
    pub fn add_connection(&mut self, conn: ConnId, label: &str, url: &str) {
        self.connections.insert(conn, ConnectionInfo { label: label.to_owned(), endpoint: redact_url(url) });
    }
}

/// Formats `ms` since the epoch as ISO-8601 UTC with milliseconds.
pub fn iso8601(ms: u64) -> String {
    let mut out = String::with_capacity(24);
    push_iso8601(&mut out, ms);
    out
}

fn push_iso8601(out: &mut String, ms: u64) {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let (year, month, day) = civil_from_days(days);
    let rem = secs % 86_400;
    let (hour, minute, second, milli) = (rem / 3600, rem / 60 % 60, rem % 60, ms % 1000);
    let _ = write!(out, "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z");
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_matches_known_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_007), "2000-02-29T00:00:00.007Z");
        assert_eq!(iso8601(1_795_335_540_123), "2026-11-22T08:19:00.123Z");
    }

    /// Three identical subscriptions on one connection, confirmed in the order 1, 2, 3.
    fn three_sharing() -> CaptureContext {
        let mut context = CaptureContext::default();
        context.share_id(1, None);
        context.share_id(2, Some(1));
        context.share_id(3, Some(1));
        context
    }

    #[test]
    fn confirmed_again_after_a_reconnect_the_first_confirmed_holds() {
        // 3 comes back first, then 1 and 2 with the same id: 3 receives for them.
        let mut context = three_sharing();
        context.share_id(3, None);
        assert_eq!(context.shared_ids, HashMap::from([(1, vec![2])]), "1 and 2 are not confirmed yet");
        context.share_id(1, Some(3));
        context.share_id(2, Some(3));
        assert_eq!(context.shared_ids, HashMap::from([(3, vec![1, 2])]));
    }

    #[test]
    fn when_the_holder_ends_the_next_confirmed_holds_for_the_rest() {
        let mut context = CaptureContext::default();
        context.share_id(1, None);
        context.share_id(3, Some(1));
        context.share_id(2, Some(1));
        context.unshare_id(1);
        assert_eq!(context.shared_ids, HashMap::from([(3, vec![2])]));
        context.unshare_id(2);
        assert!(context.shared_ids.is_empty());
    }
}
