//! Tests across the writer and the reader, and the fixtures the per-file tests share.

use std::collections::BTreeSet;

use super::format::{Field, fields, source_fields, subscription_fields};
use super::*;
use crate::capture::{CapturedEvent, Direction, Recovery, RecoveryReason, RecoveryVia};
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
        redacted: false,
        recovered: None,
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
    let mut redacted = event(1, FrameKind::NotJson, "{not json\nat all ***");
    redacted.redacted = true;
    let events = vec![
        event(0, FrameKind::Notification, r#"{"a":1}"#),
        redacted,
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
        assert_eq!(read.redacted, written.redacted);
        assert_eq!(read.recovered, written.recovered);
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

/// One event of every shape the writer has: each kind, with and without a subscription (known
/// to the context or not), a server id and a method, and frames that must go in `frame_text`.
fn every_shape() -> (Vec<CapturedEvent>, CaptureContext) {
    let mut context = context();
    context
        .subscriptions
        .insert(10, SubscriptionInfo { method: "slotSubscribe".into(), params: None, server_id: None });
    let mut events = Vec::new();
    for (at, kind) in FrameKind::ALL.into_iter().enumerate() {
        let raw = match kind {
            FrameKind::NotJson => "{not json",
            FrameKind::Binary => "00ff10",
            _ => r#"{"jsonrpc":"2.0"}"#,
        };
        let mut event = event(at as u64, kind, raw);
        event.direction = [Direction::In, Direction::Out, Direction::Meta][at % 3];
        event.subscription = [Some(9), Some(10), Some(11), None][at % 4];
        if at % 2 == 1 {
            event.method = None;
        }
        event.redacted = at == 0;
        if at == 1 {
            event.recovered = Some(Recovery::new(RecoveryReason::Gap, RecoveryVia::EthGetLogs));
        }
        events.push(event);
    }
    events.push(event(events.len() as u64, FrameKind::Notification, " {\"padded\":true} "));
    events.push(event(events.len() as u64, FrameKind::Response, "{\n  \"spans\": \"lines\"\n}"));
    (events, context)
}

/// An object's members in file order, with their values unparsed.
struct Members(Vec<(String, Box<serde_json::value::RawValue>)>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    members.push(entry);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// Checks that `names` are in `table`, in its order, and adds them to `seen`.
fn assert_in_order(names: &[&str], table: &[Field], seen: &mut BTreeSet<&'static str>) {
    let mut next = 0;
    for name in names {
        let Some(at) = table.iter().position(|field| field.name == *name) else {
            panic!("`{name}` is written but not in the format's table");
        };
        assert!(at >= next, "`{name}` is written out of the table's order in {names:?}");
        next = at + 1;
        seen.insert(table[at].name);
    }
}

#[test]
fn the_writer_writes_the_formats_fields_in_order() {
    let (events, context) = every_shape();
    for format in [Format::Ndjson, Format::JsonCompact, Format::JsonPretty] {
        let mut writer = EventWriter::new(Vec::new(), format).unwrap_or_else(|err| panic!("{err}"));
        for event in &events {
            writer.write(event, &context).unwrap_or_else(|err| panic!("{err}"));
        }
        let bytes = writer.finish().unwrap_or_else(|err| panic!("{err}"));
        let objects: Vec<Members> = match format {
            Format::Ndjson => bytes
                .split(|byte| *byte == b'\n')
                .filter(|line| !line.is_empty())
                .map(|line| serde_json::from_slice(line).unwrap_or_else(|err| panic!("{err}")))
                .collect(),
            Format::JsonCompact | Format::JsonPretty => {
                serde_json::from_slice(&bytes).unwrap_or_else(|err| panic!("{err}"))
            }
            Format::Har => unreachable!("HAR is written whole"),
        };
        assert_eq!(objects.len(), events.len());
        let (mut seen, mut seen_in_subscription, mut seen_in_source) =
            (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for Members(members) in &objects {
            let names: Vec<&str> = members.iter().map(|(name, _)| name.as_str()).collect();
            assert_in_order(&names, &fields::ALL, &mut seen);
            if let Some((_, raw)) = members.iter().find(|(name, _)| name == fields::SUBSCRIPTION.name) {
                let Members(inner) = serde_json::from_str(raw.get()).unwrap_or_else(|err| panic!("{err}"));
                let names: Vec<&str> = inner.iter().map(|(name, _)| name.as_str()).collect();
                assert_in_order(&names, &subscription_fields::ALL, &mut seen_in_subscription);
            }
            if let Some((_, raw)) = members.iter().find(|(name, _)| name == fields::SOURCE.name) {
                let Members(inner) = serde_json::from_str(raw.get()).unwrap_or_else(|err| panic!("{err}"));
                let names: Vec<&str> = inner.iter().map(|(name, _)| name.as_str()).collect();
                assert_in_order(&names, &source_fields::ALL, &mut seen_in_source);
            }
        }
        // And the other way: every field of the table is written by some event.
        let all = |table: &[Field]| table.iter().map(|field| field.name).collect::<BTreeSet<_>>();
        assert_eq!(seen, all(&fields::ALL), "{format:?}");
        assert_eq!(seen_in_subscription, all(&subscription_fields::ALL), "{format:?}");
        assert_eq!(seen_in_source, all(&source_fields::ALL), "{format:?}");
    }
}

/// The names a derived `Deserialize` matches: serde's derive hands them to
/// `deserialize_struct`, and this deserializer records them instead of reading anything.
fn serde_field_names<'de, T: serde::Deserialize<'de>>() -> BTreeSet<&'static str> {
    struct Recorder(&'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for &mut Recorder {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = fields;
            Err(serde::de::Error::custom("recorded"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    let mut recorder = Recorder(&[]);
    let _ = T::deserialize(&mut recorder);
    recorder.0.iter().copied().collect()
}

#[test]
fn the_reader_reads_the_formats_fields() {
    let read = |table: &[Field]| table.iter().filter(|field| field.read).map(|field| field.name).collect();
    let expected: BTreeSet<_> = read(&fields::ALL);
    assert_eq!(serde_field_names::<reader::FileEvent>(), expected, "the reader (left) against the table");
    let expected: BTreeSet<_> = read(&subscription_fields::ALL);
    assert_eq!(
        serde_field_names::<reader::FileSubscription>(),
        expected,
        "the reader (left) against the table"
    );
    let expected: BTreeSet<_> = read(&source_fields::ALL);
    assert_eq!(serde_field_names::<reader::FileSource>(), expected, "the reader (left) against the table");
}
