//! HAR import: Chrome's and Firefox's files (fixtures hand-made in their documented shapes)
//! read as connections, events and subscriptions through the same entry point as captures,
//! and malformed files named where they break.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use subscope::capture::{Direction, SubKey};
use subscope::export::{ImportError, ImportOptions, Imported, Progress, import_file, import_reader};
use subscope::protocol::{FrameKind, SubId};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn import(name: &str) -> Imported {
    let imported = import_file(&fixture(name), &Progress::default(), ImportOptions::default());
    assert_eq!(imported.error, None);
    imported
}

fn key_of(imported: &Imported, method: &str) -> SubKey {
    let found = imported.context.subscriptions.iter().find(|(_, info)| info.method == method);
    found
        .map(|(key, _)| *key)
        .unwrap_or_else(|| panic!("no {method} in {:?}", imported.context.subscriptions))
}

fn notifications_of(imported: &Imported, key: SubKey) -> usize {
    imported
        .events
        .iter()
        .filter(|e| e.subscription == Some(key) && e.kind == FrameKind::Notification)
        .count()
}

#[test]
fn chrome_har_becomes_connections_events_and_subscriptions() {
    let imported = import("chrome-websockets.har");
    assert_eq!(imported.context.connections.len(), 2);
    assert_eq!(imported.ignored_entries, 2, "the document and the fetch are left out, counted");
    assert_eq!(imported.events.len(), 13 + 8);
    let endpoints: Vec<&str> = imported.context.connections.values().map(|c| c.endpoint.as_str()).collect();
    for endpoint in &endpoints {
        assert!(endpoint.contains("***"), "{endpoint}");
        assert!(!endpoint.contains("0f1e2d3c") && !endpoint.contains("AbCdEfGh"), "a key leaked: {endpoint}");
    }
    assert_eq!(imported.context.subscriptions.len(), 3);
    let slot = key_of(&imported, "slotSubscribe");
    let logs = key_of(&imported, "logsSubscribe");
    let heads = key_of(&imported, "eth_subscribe");
    assert_eq!(notifications_of(&imported, slot), 3);
    assert_eq!(notifications_of(&imported, logs), 1);
    assert_eq!(notifications_of(&imported, heads), 3);
    let info = |key| imported.context.subscriptions.get(&key).cloned().unwrap_or_else(|| panic!("{key}"));
    assert_eq!(info(slot).server_id, Some(SubId::Num(23784)));
    assert_eq!(info(slot).params, None, "slotSubscribe was sent without params");
    assert_eq!(info(heads).server_id, Some(SubId::Str("0x9cef478923ff08bf67fde6c64013158d".into())));
    assert_eq!(info(logs).params.as_ref().and_then(|p| p.get(1)), Some(&json!({"commitment": "confirmed"})));

    let sent = imported.events.iter().filter(|e| e.direction == Direction::Out).count();
    assert_eq!(sent, 6);
    let binary: Vec<&str> =
        imported.events.iter().filter(|e| e.kind == FrameKind::Binary).map(|e| e.raw.as_str()).collect();
    assert_eq!(binary, ["00ff1080"], "binary data (base64 in the HAR) is kept as hex");
    let meta = imported.events.iter().find(|e| e.direction == Direction::Meta).map(|e| e.raw.as_str());
    assert!(meta.is_some_and(|raw| raw.contains("ERR_CONNECTION_RESET")), "{meta:?}");
    let times: Vec<u64> = imported.events.iter().map(|e| e.received_at_ms).collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "events in time order");
    assert_eq!(times.first(), Some(&1_764_576_000_100), "seconds since the epoch, as Chrome writes them");
    let seqs: Vec<u64> = imported.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (0..21).collect::<Vec<u64>>());
}

#[test]
fn firefox_har_entries_without_a_resource_type_are_recognised() {
    let imported = import("firefox-websockets.har");
    assert_eq!(imported.context.connections.len(), 2, "status 101 / ws:// entries, messages or not");
    assert_eq!(imported.ignored_entries, 1);
    assert_eq!(imported.events.len(), 10);
    assert_eq!(imported.context.subscriptions.len(), 1);
    let logs = key_of(&imported, "eth_subscribe");
    assert_eq!(notifications_of(&imported, logs), 4);
    let params = imported.context.subscriptions.get(&logs).and_then(|info| info.params.clone());
    assert_eq!(params.as_ref().and_then(|p| p.get(0)), Some(&json!("logs")));
    let labels: Vec<&str> = imported.context.connections.values().map(|c| c.label.as_str()).collect();
    assert!(
        labels.contains(&"ethereum-rpc.publicnode.com") && labels.contains(&"127.0.0.1:8545"),
        "{labels:?}"
    );
}

/// A HAR file with one WebSocket entry holding `messages`.
fn har_with(messages: &Value) -> String {
    json!({"log": {"version": "1.2", "entries": [
        {"request": {"url": "https://a.example/"}, "response": {"status": 200}},
        {"_resourceType": "websocket", "request": {"url": "wss://b.example/"}, "response": {"status": 101},
         "_webSocketMessages": messages}
    ]}})
    .to_string()
}

fn error_of(text: &str) -> (Imported, String) {
    let imported = import_reader(text.as_bytes(), &Progress::default());
    let message = imported.error.as_ref().map(ImportError::to_string).unwrap_or_default();
    (imported, message)
}

#[test]
fn malformed_har_files_are_named_where_they_break() {
    let good = json!({"type": "receive", "time": 1_764_576_000.5, "opcode": 1, "data": "{}"});
    let cases = [
        (
            json!([good, {"type": "sent", "time": 1.0, "opcode": 1, "data": "x"}]),
            "_webSocketMessages[1]",
            "\"sent\"",
        ),
        (
            json!([good, good, {"type": "send", "opcode": 1, "data": "x"}]),
            "_webSocketMessages[2]",
            "missing field `time`",
        ),
        (json!([{"type": "send", "time": "soon", "data": "x"}]), "_webSocketMessages[0]", "invalid type"),
        (
            json!([{"type": "receive", "time": 1.0, "opcode": 2, "data": "not base64!"}]),
            "_webSocketMessages[0]",
            "base64",
        ),
        (json!([{"type": "receive", "time": -3.0, "data": "{}"}]), "_webSocketMessages[0]", "time"),
        (json!({"type": "receive"}), "log.entries[1]", "invalid type"),
    ];
    for (messages, place, what) in cases {
        let (imported, message) = error_of(&har_with(&messages));
        assert!(message.contains(place) && message.contains(what), "{messages}: {message}");
        assert!(message.starts_with("HAR log.entries[1]"), "{message}");
        let before = messages.as_array().map_or(0, |all| all.iter().take_while(|m| **m == good).count());
        assert_eq!(imported.events.len(), before, "the messages before the bad one are kept: {message}");
    }
    let (_, message) = error_of("{\"log\": {\"entries\": [\n  {\"request\": }\n]}}");
    assert!(message.starts_with("HAR line 2 column"), "{message}");
    let (_, message) = error_of(r#"{"log": {"version": "1.2"}}"#);
    assert!(message.contains("missing field `entries`"), "{message}");
}

#[test]
fn a_file_that_merely_starts_with_an_object_is_still_read_as_ndjson() {
    let line = r#"{"v":1,"seq":0,"time_ms":1,"connection":"c","endpoint":"","direction":"in","kind":"notification","frame":{"log":1}}"#;
    let imported = import_reader(format!("{line}\n").as_bytes(), &Progress::default());
    assert_eq!(imported.error, None);
    assert_eq!(imported.events.len(), 1);
}

/// (direction, time, kind, frame, connection URL, subscription method) of every frame.
fn frames_of(imported: &Imported) -> Vec<(Direction, u64, FrameKind, String, String, Option<String>)> {
    imported
        .events
        .iter()
        .filter(|event| event.direction != Direction::Meta)
        .map(|event| {
            let url = imported.context.connections.get(&event.connection).map(|c| c.endpoint.clone());
            let method = event
                .subscription
                .and_then(|sub| imported.context.subscriptions.get(&sub))
                .map(|info| info.method.clone());
            (
                event.direction,
                event.received_at_ms,
                event.kind,
                event.raw.to_string(),
                url.unwrap_or_default(),
                method,
            )
        })
        .collect()
}

#[test]
fn a_har_exported_and_read_again_holds_the_same_frames() {
    let imported = import("chrome-websockets.har");
    let folder = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let path = folder.path().join("round.har");
    let written = subscope::export::export_to_file(
        &path,
        subscope::export::Format::Har,
        &imported.events,
        &imported.context,
        &Progress::default(),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    let frames = frames_of(&imported);
    assert_eq!(written, frames.len() as u64);

    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{err}"));
    let har: Value = serde_json::from_str(&text).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(har["log"]["version"], "1.2");
    let entries = har["log"]["entries"].as_array().unwrap_or_else(|| panic!("no entries"));
    assert_eq!(entries.len(), 2, "one entry per connection");
    assert!(
        entries
            .iter()
            .all(|entry| entry["_resourceType"] == "websocket" && entry["response"]["status"] == 101)
    );

    let again = import_file(&path, &Progress::default(), ImportOptions::default());
    assert_eq!(again.error, None);
    assert_eq!(again.ignored_entries, 0);
    assert_eq!(frames_of(&again), frames, "the same frames, times, kinds, endpoints and subscriptions");
}

#[test]
fn a_binary_frame_imports_as_binary_and_round_trips_through_har_and_ndjson() {
    use base64::Engine as _;
    let base64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let json_in_binary = r#"{"jsonrpc":"2.0","result":7,"id":1}"#;
    let frame = |time: f64, bytes: &[u8]| json!({"type": "receive", "time": time, "opcode": 2, "data": base64(bytes)});
    let messages = json!([
        frame(1_764_576_000.1, &[0x01, 0x02, 0x03]), // UTF-8, but binary
        frame(1_764_576_000.2, b"hello"),            // text bytes that are not JSON: still binary
        frame(1_764_576_000.3, &[0x00, 0xff, 0x10, 0x80]), // not UTF-8
        frame(1_764_576_000.4, json_in_binary.as_bytes()), // JSON in a binary frame: read as JSON
    ]);
    let imported = import_reader(har_with(&messages).as_bytes(), &Progress::default());
    assert_eq!(imported.error, None);
    let kinds: Vec<(FrameKind, String)> =
        imported.events.iter().map(|event| (event.kind, event.raw.to_string())).collect();
    assert_eq!(
        kinds,
        [
            (FrameKind::Binary, "010203".to_owned()),
            (FrameKind::Binary, "68656c6c6f".to_owned()),
            (FrameKind::Binary, "00ff1080".to_owned()),
            (FrameKind::Response, json_in_binary.to_owned()),
        ]
    );

    let folder = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let write = |name: &str, format| {
        let path = folder.path().join(name);
        subscope::export::export_to_file(
            &path,
            format,
            &imported.events,
            &imported.context,
            &Progress::default(),
        )
        .unwrap_or_else(|err| panic!("{err}"));
        path
    };
    // HAR: the same bytes, base64 under opcode 2 again.
    let har_path = write("binary.har", subscope::export::Format::Har);
    let har: Value = serde_json::from_str(&std::fs::read_to_string(&har_path).unwrap_or_default())
        .unwrap_or_else(|err| panic!("{err}"));
    let written = &har["log"]["entries"][0]["_webSocketMessages"];
    for (index, bytes) in
        [&[0x01_u8, 0x02, 0x03][..], b"hello", &[0x00, 0xff, 0x10, 0x80]].into_iter().enumerate()
    {
        assert_eq!(written[index]["opcode"], json!(2), "{written}");
        assert_eq!(written[index]["data"], json!(base64(bytes)), "{written}");
    }
    // The capture format: binary frames hex-written as frame_text, read back as binary.
    let ndjson_path = write("binary.ndjson", subscope::export::Format::Ndjson);
    let text = std::fs::read_to_string(&ndjson_path).unwrap_or_default();
    assert!(text.contains(r#""kind":"binary""#) && text.contains(r#""frame_text":"68656c6c6f""#), "{text}");
    for path in [har_path, ndjson_path] {
        let again = import_file(&path, &Progress::default(), ImportOptions::default());
        assert_eq!(again.error, None);
        let kinds_again: Vec<(FrameKind, String)> = again
            .events
            .iter()
            .filter(|event| event.direction != Direction::Meta)
            .map(|event| (event.kind, event.raw.to_string()))
            .collect();
        assert_eq!(kinds_again, kinds, "{}", path.display());
    }
}
