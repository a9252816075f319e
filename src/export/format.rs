//! The capture format.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::capture::{ConnId, SubKey};
use crate::protocol::{FrameKind, SubId};
use crate::redact::redact_url;

/// The format version written in every event's `v`.
pub const FORMAT_VERSION: u32 = 1;

/// File formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Format {
    /// One JSON object per line.
    Ndjson,
    /// A JSON array, one event per line.
    JsonCompact,
    /// A JSON array with indented envelopes (frames stay as received).
    JsonPretty,
}

impl Format {
    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Ndjson => "ndjson",
            Self::JsonCompact | Self::JsonPretty => "json",
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
}

impl CaptureContext {
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

pub(super) fn is_json_kind(kind: FrameKind) -> bool {
    !matches!(kind, FrameKind::NotJson | FrameKind::Binary)
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
}
