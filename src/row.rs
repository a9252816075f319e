//! What one row of the event table says, without a UI: the window's table and `show` both take
//! their labels, kind and Details words from here, so a terminal shows what the window shows.

use crate::capture::{CapturedEvent, ConnId, Direction, Recovery, SubKey};
use crate::catalog::{Summary, rules_for};
use crate::export::CaptureContext;
use crate::human::{shorten, truncate};
use crate::protocol::FrameKind;

/// The table's columns as the window names them, then the decoded summary (`show`'s last
/// column; the window shows it in the detail pane).
pub const HEADERS: [&str; 11] = [
    "Time (UTC)",
    "Connection",
    "Subscription",
    "Kind",
    "Slot / block",
    "Signature / hash",
    "Account",
    "Value",
    "Details",
    "Size",
    "Decoded",
];

/// A connection's label: the user's name for it, or `#3` when the capture has none.
pub fn connection_label(context: &CaptureContext, conn: ConnId) -> String {
    context.connections.get(&conn).map_or_else(|| format!("#{conn}"), |info| info.label.clone())
}

/// A subscription's short name: `logs #3`, `newHeads #5` (or `#5` when the capture has none).
pub fn subscription_label(context: &CaptureContext, sub: SubKey) -> String {
    match context.subscriptions.get(&sub) {
        Some(info) => format!("{} #{sub}", rules_for(&info.method, info.params.as_ref()).short_name),
        None => format!("#{sub}"),
    }
}

/// The account a row is about: the one its frame names, or, for a notification that does not
/// repeat it (accountNotification), the one its subscription names.
pub fn account(context: &CaptureContext, event: &CapturedEvent, summary: &Summary) -> Option<String> {
    summary.account.clone().or_else(|| {
        if event.direction != Direction::In {
            return None;
        }
        let info = context.subscriptions.get(&event.subscription?)?;
        crate::catalog::subscribed_account(&info.method, info.params.as_ref()).map(str::to_owned)
    })
}

/// The arrow before the kind: in, out, or a record subscope made.
pub fn arrow(direction: Direction) -> &'static str {
    match direction {
        Direction::In => "←",
        Direction::Out => "→",
        Direction::Meta => "·",
    }
}

/// How a cell's text should stand out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// As the frames received read.
    Plain,
    /// What was sent, and subscope's own records.
    Quiet,
    /// A reorg, a removed log, a reconnect gap.
    Warn,
    /// An error answer.
    Error,
}

/// The Kind column's word and its tone; `reorg` when the row is flagged as a reorg, `gap` when
/// it is a reconnect gap record, `recovered` when subscope fetched it after it was missed.
pub fn kind_label(event: &CapturedEvent, summary: &Summary, reorg: bool, gap: bool) -> (&'static str, Tone) {
    if summary.removed {
        ("removed (reorg)", Tone::Warn)
    } else if reorg {
        ("reorg", Tone::Warn)
    } else if gap {
        ("gap", Tone::Warn)
    } else if event.recovered.is_some() {
        (RECOVERED_WORD, Tone::Warn)
    } else if event.kind == FrameKind::Error {
        (event.kind.as_str(), Tone::Error)
    } else if event.direction == Direction::In {
        (event.kind.as_str(), Tone::Plain)
    } else {
        (event.kind.as_str(), Tone::Quiet)
    }
}

/// What the Details column says first for a frame subscope altered ([`CapturedEvent::redacted`]).
pub const REDACTED_MARK: &str = "key masked by subscope";

/// What the Details column says first for an event subscope recovered over HTTP after it was
/// missed ([`CapturedEvent::recovered`]): `recovered (missed while disconnected, eth_getLogs)`.
pub fn recovered_mark(recovery: Recovery) -> String {
    format!("{RECOVERED_WORD} ({}, {})", recovery.reason().describe(), recovery.via().as_str())
}

/// The word that starts [`recovered_mark`], which a filter can search for.
pub const RECOVERED_WORD: &str = "recovered";

/// The Details column's words after the decoded summary, joined with ` · `: that the event was
/// recovered or altered to mask a key, the method, what the catalogue read (kind, log lines, owner), and
/// the raw text itself for a record subscope made or a frame nothing else describes.
pub fn detail_words(event: &CapturedEvent, summary: &Summary) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(method) = &event.method {
        parts.push(method.to_string());
    }
    if let Some(kind) = &summary.kind {
        parts.push(kind.clone());
    }
    if let Some(lines) = summary.log_lines {
        parts.push(format!("{lines} log lines"));
    }
    if let Some(owner) = &summary.owner {
        parts.push(format!("owner {}", shorten(owner, 5)));
    }
    if event.direction == Direction::Meta || (parts.is_empty() && event.kind != FrameKind::Notification) {
        parts.push(truncate(&event.raw, 160));
    }
    if event.redacted {
        parts.insert(0, REDACTED_MARK.to_owned());
    }
    if let Some(recovery) = event.recovered {
        parts.insert(0, recovered_mark(recovery));
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::catalog::summarize;
    use crate::export::{ConnectionInfo, SubscriptionInfo};

    fn event(direction: Direction, kind: FrameKind, method: Option<&str>, raw: &str) -> CapturedEvent {
        CapturedEvent {
            seq: 1,
            received_at_ms: 0,
            connection: 1,
            subscription: Some(7),
            direction,
            kind,
            method: method.map(Arc::from),
            raw: raw.into(),
            redacted: false,
            recovered: None,
        }
    }

    #[test]
    fn labels_name_what_the_capture_knows_and_number_the_rest() {
        let mut context = CaptureContext::default();
        assert_eq!(
            (connection_label(&context, 3), subscription_label(&context, 7)),
            ("#3".into(), "#7".into())
        );
        context.connections.insert(3, ConnectionInfo { label: "Helius".into(), endpoint: "wss://h".into() });
        let info = SubscriptionInfo { method: "logsSubscribe".into(), params: None, server_id: None };
        context.subscriptions.insert(7, info);
        assert_eq!(
            (connection_label(&context, 3), subscription_label(&context, 7)),
            ("Helius".into(), "logs #7".into())
        );
    }

    #[test]
    fn an_account_notification_is_about_its_subscriptions_account() {
        let mut context = CaptureContext::default();
        let pubkey = "FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8";
        let info = SubscriptionInfo {
            method: "accountSubscribe".into(),
            params: Some(serde_json::json!([pubkey, {"encoding": "base64"}])),
            server_id: None,
        };
        context.subscriptions.insert(7, info);
        let raw = r#"{"jsonrpc":"2.0","method":"accountNotification","params":{"result":{"context":{"slot":33},"value":{"lamports":5,"data":["","base64"],"owner":"11111111111111111111111111111111","executable":false,"rentEpoch":0,"space":0}},"subscription":3}}"#;
        let incoming = event(Direction::In, FrameKind::Notification, Some("accountNotification"), raw);
        assert_eq!(account(&context, &incoming, &summarize(raw)).as_deref(), Some(pubkey));
        let sent = event(Direction::Out, FrameKind::Request, Some("accountSubscribe"), "{}");
        assert_eq!(account(&context, &sent, &Summary::default()), None, "only what arrives is about it");
    }

    #[test]
    fn the_kind_says_removed_reorg_gap_and_error_before_the_frames_kind() {
        let notification = event(Direction::In, FrameKind::Notification, None, "{}");
        let removed = Summary { removed: true, ..Summary::default() };
        assert_eq!(kind_label(&notification, &removed, true, false), ("removed (reorg)", Tone::Warn));
        assert_eq!(kind_label(&notification, &Summary::default(), true, false), ("reorg", Tone::Warn));
        assert_eq!(
            kind_label(&notification, &Summary::default(), false, false),
            ("notification", Tone::Plain)
        );
        let meta = event(Direction::Meta, FrameKind::Meta, None, "{}");
        assert_eq!(kind_label(&meta, &Summary::default(), false, true), ("gap", Tone::Warn));
        assert_eq!(kind_label(&meta, &Summary::default(), false, false), ("meta", Tone::Quiet));
        let recovered = CapturedEvent {
            recovered: Some(Recovery::new(
                crate::capture::RecoveryReason::HeightSkip,
                crate::capture::RecoveryVia::EthGetBlockByNumber,
            )),
            ..notification.clone()
        };
        assert_eq!(kind_label(&recovered, &Summary::default(), false, false), ("recovered", Tone::Warn));
        let error = event(Direction::In, FrameKind::Error, None, "{}");
        assert_eq!(kind_label(&error, &Summary::default(), false, false), ("error", Tone::Error));
    }

    #[test]
    fn details_name_the_method_and_what_was_read_or_fall_back_to_the_text() {
        let raw = r#"{"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":5},"value":{"signature":"5h6x","err":null,"logs":["Program 11111111111111111111111111111111 invoke [1]","Program 11111111111111111111111111111111 success"]}},"subscription":0}}"#;
        let logs = event(Direction::In, FrameKind::Notification, Some("logsNotification"), raw);
        assert_eq!(detail_words(&logs, &summarize(raw)), "logsNotification · 2 log lines");
        let note = event(Direction::Meta, FrameKind::Meta, None, r#"{"subscope":"disconnected"}"#);
        assert_eq!(detail_words(&note, &Summary::default()), r#"{"subscope":"disconnected"}"#);
        let answer =
            event(Direction::In, FrameKind::Response, None, r#"{"jsonrpc":"2.0","result":7,"id":1}"#);
        assert_eq!(detail_words(&answer, &Summary::default()), r#"{"jsonrpc":"2.0","result":7,"id":1}"#);
        let masked = CapturedEvent { redacted: true, ..logs.clone() };
        assert_eq!(
            detail_words(&masked, &summarize(raw)),
            format!("{REDACTED_MARK} · logsNotification · 2 log lines")
        );
        let recovery =
            Recovery::new(crate::capture::RecoveryReason::Gap, crate::capture::RecoveryVia::GetTransaction);
        let recovered = CapturedEvent { recovered: Some(recovery), ..logs };
        assert_eq!(
            detail_words(&recovered, &summarize(raw)),
            "recovered (missed while disconnected, getTransaction) · logsNotification · 2 log lines"
        );
    }
}
