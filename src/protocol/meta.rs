//! The records subscope writes into the capture itself (direction and kind `meta`): a note
//! (`{"subscope":"connected to wss://…"}`, `{"subscope":"disconnected"}`) or a reconnect gap
//! (`{"subscope":"gap","lost_at_ms":…,"restored_at_ms":…,"reason":"…","resubscribed":2}`).
//!
//! The backend writes them here and the table and the reorg tracker read them here, so their
//! shape is defined once. They are frames like any other in an export; `resubscribed` is
//! newer than the rest and may be missing from older files.

use serde::{Deserialize, Serialize};

/// The `subscope` value that marks a gap record.
const GAP: &str = "gap";

/// The note written when a connection is closed on purpose (the user, or the end of a
/// `record` run): what it delivered stops there, and its silence after is not a stall.
pub const DISCONNECTED: &str = "disconnected";

/// The note written at the first connect when a secret of the connection is too short or too
/// plain to be masked in frames ([`crate::redact::could_be_secret`]).
pub const KEPT_IN_FRAMES: &str = "warning: the key (or a value in the URL or headers) is too short or too plain \
     to be told apart from ordinary data, so frames are kept as sent even if a server echoes it; \
     messages and URLs still mask it (a key of 12+ characters that is not a number or a word is \
     masked in frames too)";

/// A connection that was lost and restored: nothing was received in between.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapRecord {
    /// When the connection was lost, ms since the epoch.
    pub lost_at_ms: u64,
    /// When it was open again, ms since the epoch.
    pub restored_at_ms: u64,
    /// Why it was lost (secrets already removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How many subscriptions were sent again once it was back (missing in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resubscribed: Option<u64>,
}

impl GapRecord {
    /// How long nothing could arrive, in ms.
    pub fn duration_ms(&self) -> u64 {
        self.restored_at_ms.saturating_sub(self.lost_at_ms)
    }
}

/// A meta record, read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetaRecord {
    /// A reconnect gap.
    Gap(GapRecord),
    /// A note ("connected to …", "connection lost: …").
    Note(String),
}

/// The raw text of a note record.
pub fn note_json(message: &str) -> String {
    serde_json::json!({ "subscope": message }).to_string()
}

/// The raw text of a gap record.
pub fn gap_json(gap: &GapRecord) -> String {
    #[derive(Serialize)]
    struct Tagged<'a> {
        subscope: &'static str,
        #[serde(flatten)]
        gap: &'a GapRecord,
    }
    serde_json::to_string(&Tagged { subscope: GAP, gap }).unwrap_or_default()
}

/// Reads a meta record's raw text; `None` when it is not one subscope wrote.
pub fn parse(raw: &str) -> Option<MetaRecord> {
    #[derive(Deserialize)]
    struct Tagged {
        subscope: String,
        #[serde(flatten)]
        gap: serde_json::Map<String, serde_json::Value>,
    }
    let tagged: Tagged = serde_json::from_str(raw).ok()?;
    if tagged.subscope != GAP {
        return Some(MetaRecord::Note(tagged.subscope));
    }
    let gap = serde_json::from_value(serde_json::Value::Object(tagged.gap)).ok()?;
    Some(MetaRecord::Gap(gap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_and_notes_read_back() {
        let gap = GapRecord {
            lost_at_ms: 1_000,
            restored_at_ms: 44_900,
            reason: Some("connection reset".into()),
            resubscribed: Some(2),
        };
        assert_eq!(parse(&gap_json(&gap)), Some(MetaRecord::Gap(gap.clone())));
        assert_eq!(gap.duration_ms(), 43_900);
        assert_eq!(
            parse(&note_json("connected to ws://127.0.0.1:8900")),
            Some(MetaRecord::Note("connected to ws://127.0.0.1:8900".into()))
        );
    }

    #[test]
    fn a_gap_from_an_older_file_has_no_resubscribed_count() {
        // What the backend wrote before `resubscribed` existed (keys sorted by serde_json).
        let old = r#"{"lost_at_ms":1000,"reason":"reset","restored_at_ms":2000,"subscope":"gap"}"#;
        let Some(MetaRecord::Gap(gap)) = parse(old) else { panic!("{:?}", parse(old)) };
        assert_eq!((gap.lost_at_ms, gap.restored_at_ms, gap.resubscribed), (1000, 2000, None));
        assert_eq!(parse(r#"{"jsonrpc":"2.0"}"#), None, "not a record subscope wrote");
        assert_eq!(parse("not json"), None);
    }
}
