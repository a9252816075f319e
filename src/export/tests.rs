//! Tests across the writer and the reader, and the fixtures the per-file tests share.

use super::*;
use crate::capture::{CapturedEvent, Direction};
use crate::protocol::{FrameKind, SubId};

pub(super) fn event(seq: u64, kind: FrameKind, raw: &str) -> CapturedEvent {
    CapturedEvent {
        seq,
        received_at_ms: 1_795_335_540_123 + seq,
        connection: 4,
        subscription: Some(9),
        direction: Direction::In,
        kind,
        method: Some("logsNotification".into()),
        raw: raw.into(),
    }
}

pub(super) fn context() -> CaptureContext {
    let mut context = CaptureContext::default();
    context.add_connection(4, "Helius \"main\"", "wss://mainnet.helius-rpc.com/?api-key=SECRET-KEY-1");
    context.subscriptions.insert(
        9,
        SubscriptionInfo {
            method: "logsSubscribe".into(),
            params: Some(serde_json::json!(["all"])),
            server_id: Some(SubId::Num(5)),
        },
    );
    context
}

fn round_trip(format: Format) {
    let events = vec![
        event(0, FrameKind::Notification, r#"{"a":1}"#),
        event(1, FrameKind::NotJson, "{not json\nat all"),
        event(2, FrameKind::Unknown, r#"{"hello":"wörld \u00e9"}"#),
        event(3, FrameKind::Binary, "00ff10"),
    ];
    let mut writer = EventWriter::new(Vec::new(), format).unwrap_or_else(|err| panic!("{err}"));
    for e in &events {
        writer.write(e, &context()).unwrap_or_else(|err| panic!("{err}"));
    }
    let bytes = writer.finish().unwrap_or_else(|err| panic!("{err}"));
    let imported = import_reader(bytes.as_slice(), &Progress::default());
    assert_eq!(imported.error, None);
    assert_eq!(imported.events.len(), events.len());
    for (read, written) in imported.events.iter().zip(&events) {
        assert_eq!(read.raw, written.raw);
        assert_eq!(read.kind, written.kind);
        assert_eq!(read.seq, written.seq);
        assert_eq!(read.received_at_ms, written.received_at_ms);
        assert_eq!(read.method, written.method);
        assert_eq!(read.subscription, written.subscription);
    }
    let info = imported.context.connections.get(&imported.events[0].connection);
    assert_eq!(info.map(|i| i.label.as_str()), Some("Helius \"main\""));
}

#[test]
fn every_format_round_trips() {
    round_trip(Format::Ndjson);
    round_trip(Format::JsonCompact);
    round_trip(Format::JsonPretty);
}
