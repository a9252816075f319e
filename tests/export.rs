//! Captures as files: a million-event round trip in both formats, safe writes that never damage
//! an existing file, and no API key in any export.

mod support;

use std::io::Write as _;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;
use subscope::capture::{CaptureLimits, CapturedEvent, Direction};
use subscope::export::{
    CaptureContext, ExportError, Format, ImportError, ImportOptions, Progress, SubscriptionInfo,
    export_to_file, import_file, write_atomically,
};
use subscope::protocol::{FrameKind, SubId};
use subscope::redact::Secret;
use support::Driver;

fn synthetic(count: u64) -> (Vec<CapturedEvent>, CaptureContext) {
    let mut context = CaptureContext::default();
    context.add_connection(1, "Helius mainnet", "wss://mainnet.helius-rpc.com/?api-key={api_key}");
    context.add_connection(2, "anvil", "ws://127.0.0.1:8545");
    context.subscriptions.insert(
        10,
        SubscriptionInfo {
            method: "logsSubscribe".into(),
            params: Some(json!(["all"])),
            server_id: Some(SubId::Num(4)),
        },
    );
    context.subscriptions.insert(
        20,
        SubscriptionInfo {
            method: "eth_subscribe".into(),
            params: Some(json!(["newHeads"])),
            server_id: Some(SubId::Str("0xabc".into())),
        },
    );
    let events = (0..count)
        .map(|seq| {
            let (connection, subscription, kind, raw) = match seq % 5 {
                0 => (1, Some(10), FrameKind::Notification, format!(r#"{{"jsonrpc":"2.0","method":"logsNotification","params":{{"result":{{"context":{{"slot":{seq}}},"value":{{"signature":"sig{seq}","err":null,"logs":["Program log: é \"quoted\""]}}}},"subscription":4}}}}"#)),
                1 => (2, Some(20), FrameKind::Notification, format!(r#"{{"jsonrpc":"2.0","method":"eth_subscription","params":{{"subscription":"0xabc","result":{{"number":"0x{seq:x}"}}}}}}"#)),
                2 => (2, None, FrameKind::NotJson, format!("{{not json {seq}\n second line")),
                3 => (1, Some(10), FrameKind::Request, format!(r#"{{"jsonrpc":"2.0","id":{seq},"method":"logsSubscribe","params":["all"]}}"#)),
                _ => (1, None, FrameKind::Unknown, format!("{{\n  \"pretty\": {seq}\n}}")),
            };
            CapturedEvent {
                seq,
                received_at_ms: 1_795_335_540_000 + seq,
                connection,
                subscription,
                direction: if kind == FrameKind::Request { Direction::Out } else { Direction::In },
                kind,
                method: match kind {
                    FrameKind::Notification if connection == 1 => Some("logsNotification".into()),
                    FrameKind::Notification => Some("eth_subscription".into()),
                    FrameKind::Request => Some("logsSubscribe".into()),
                    _ => None,
                },
                raw: raw.into(),
                redacted: false,
                recovered: None,
            }
        })
        .collect();
    (events, context)
}

/// What must survive a round trip exactly. Multi-line JSON comes back compacted (whitespace
/// outside strings removed), which is the same JSON.
fn comparable(
    event: &CapturedEvent,
) -> (u64, u64, Direction, FrameKind, Option<String>, Option<u64>, String) {
    let raw = if event.kind == FrameKind::Unknown {
        event.raw.split_whitespace().collect()
    } else {
        event.raw.to_string()
    };
    (
        event.seq,
        event.received_at_ms,
        event.direction,
        event.kind,
        event.method.as_deref().map(str::to_owned),
        event.subscription,
        raw,
    )
}

fn round_trip(format: Format) {
    let (events, context) = synthetic(1_000_000);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let path = dir.path().join(format!("capture.{}", format.extension()));
    let written = export_to_file(&path, format, &events, &context, &Progress::default())
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(written, 1_000_000);
    let progress = Progress::default();
    let imported = import_file(&path, &progress, ImportOptions::default());
    assert_eq!(imported.error, None);
    assert_eq!(progress.fraction(), 1.0, "the import reports its progress by bytes");
    assert_eq!(imported.events.len(), events.len());
    for (read, original) in imported.events.iter().zip(&events) {
        assert_eq!(comparable(read), comparable(original));
    }
    let labels: Vec<&str> = imported.context.connections.values().map(|c| c.label.as_str()).collect();
    assert!(labels.contains(&"Helius mainnet") && labels.contains(&"anvil"));
    assert_eq!(imported.context.subscriptions.get(&10).map(|s| s.method.as_str()), Some("logsSubscribe"));
}

#[test]
fn a_million_events_round_trip_as_ndjson() {
    round_trip(Format::Ndjson);
}

#[test]
fn a_million_events_round_trip_as_a_json_array() {
    round_trip(Format::JsonCompact);
}

#[test]
fn a_failure_mid_write_leaves_the_old_file_intact_and_no_partial_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let path = dir.path().join("capture.ndjson");
    std::fs::write(&path, "the old capture\n").unwrap_or_else(|err| panic!("{err}"));
    let result: Result<(), ExportError> = write_atomically(&path, |out| {
        out.write_all(&vec![b'x'; 3 << 20])
            .map_err(|source| ExportError::Io { path: path.clone(), source })?;
        Err(ExportError::Io { path: path.clone(), source: std::io::Error::other("No space left on device") })
    });
    let message = result.err().map(|err| err.to_string()).unwrap_or_default();
    assert!(message.contains("No space left on device") && message.contains("capture.ndjson"), "{message}");
    assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), "the old capture\n");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .map(|entries| {
            entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect()
        })
        .unwrap_or_default();
    assert_eq!(names, ["capture.ndjson"], "no temporary file is left behind");
}

#[test]
fn a_cancelled_export_writes_nothing() {
    let (events, context) = synthetic(10_000);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let path = dir.path().join("capture.json");
    let progress = Progress::default();
    let cancel_after = events.iter().inspect(|_| {
        if progress.done.load(Ordering::Relaxed) == 5_000 {
            progress.cancel.store(true, Ordering::Relaxed);
        }
    });
    let result = export_to_file(&path, Format::JsonPretty, cancel_after, &context, &progress);
    assert!(matches!(result, Err(ExportError::Cancelled)));
    assert!(!path.exists());
    assert_eq!(std::fs::read_dir(dir.path()).map(|d| d.count()).unwrap_or(1), 0);
}

#[test]
fn an_unwritable_target_is_a_clear_error() {
    let (events, context) = synthetic(10);
    let path = std::path::Path::new("/nonexistent-subscope-dir/capture.ndjson");
    let err = export_to_file(path, Format::Ndjson, &events, &context, &Progress::default()).err();
    let message = err.map(|err| err.to_string()).unwrap_or_default();
    assert!(
        message.contains("/nonexistent-subscope-dir/capture.ndjson") && message.contains("No such file"),
        "{message}"
    );
}

#[test]
fn truncated_and_malformed_files_report_where_and_keep_what_was_read() {
    let (events, context) = synthetic(100);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let path = dir.path().join("capture.ndjson");
    export_to_file(&path, Format::Ndjson, &events, &context, &Progress::default())
        .unwrap_or_else(|err| panic!("{err}"));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[41] = "{\"v\":1,\"kind\":\"notification\""; // line 42 cut short
    std::fs::write(&path, lines.join("\n")).unwrap_or_else(|err| panic!("{err}"));
    let imported = import_file(&path, &Progress::default(), ImportOptions::default());
    assert_eq!(imported.events.len(), 41);
    assert!(matches!(imported.error, Some(ImportError::BadEvent { line: 42, .. })), "{:?}", imported.error);

    std::fs::write(&path, "this is not a capture\n").unwrap_or_else(|err| panic!("{err}"));
    let imported = import_file(&path, &Progress::default(), ImportOptions::default());
    assert!(imported.events.is_empty());
    assert!(matches!(imported.error, Some(ImportError::BadEvent { line: 1, .. })));

    let missing =
        import_file(&dir.path().join("missing.json"), &Progress::default(), ImportOptions::default());
    assert!(matches!(missing.error, Some(ImportError::Io(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_byte_of_an_api_key_reaches_an_export() {
    const KEY: &str = "sk-live-0123456789abcdef";
    let server =
        subscope::demo::DemoServer::start(subscope::demo::DemoConfig { speed: 10.0, ..Default::default() })
            .await
            .unwrap_or_else(|err| panic!("{err}"));
    let mut driver = Driver::new();
    let template = format!("{}/v2/{{api_key}}?token={{api_key}}", server.url());
    let mut config = subscope::backend::ConnectionConfig::new("keyed", &template);
    config.api_key = Some(Secret::new(KEY));
    config.headers = vec![("x-api-key".into(), "{api_key}".into())];
    let conn = driver.connect_with(config);
    let sub = driver.subscribe(conn, "slotSubscribe", None);
    driver.notified(sub, 3, Duration::from_secs(20)).await;
    let mut context = CaptureContext::default();
    context.add_connection(conn, "keyed", &subscope::redact::place_key(&template, Some(&Secret::new(KEY))));
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    for format in [Format::Ndjson, Format::JsonCompact, Format::JsonPretty] {
        let path = dir.path().join(format!("keyed.{}", format.extension()));
        export_to_file(&path, format, &driver.captured, &context, &Progress::default())
            .unwrap_or_else(|err| panic!("{err}"));
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !bytes.windows(KEY.len()).any(|window| window == KEY.as_bytes()),
            "{format:?} export contains the key"
        );
        assert!(String::from_utf8_lossy(&bytes).contains("/v2/***?token=***"));
    }
}

#[test]
fn a_frame_text_that_claims_a_json_kind_exports_again_as_valid_json() {
    // A file (made by hand or by another tool) says "notification" but holds text that is not
    // JSON: writing it back must not put a bare `not json` into the `frame` member.
    let line = r#"{"v":1,"seq":0,"time_ms":1,"connection":"c","endpoint":"ws://h","direction":"in","kind":"notification","size":8,"frame_text":"not json"}"#;
    let imported = subscope::export::import_reader(line.as_bytes(), &Progress::default());
    assert!(imported.error.is_none(), "{:?}", imported.error);
    let events: Vec<CapturedEvent> = imported.events.iter().cloned().collect();
    for format in [Format::Ndjson, Format::JsonCompact, Format::JsonPretty] {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let path = dir.path().join(format!("again.{}", format.extension()));
        export_to_file(&path, format, &events, &imported.context, &Progress::default())
            .unwrap_or_else(|err| panic!("{err}"));
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let again = import_file(&path, &Progress::default(), ImportOptions::default());
        assert!(again.error.is_none(), "{format:?} wrote invalid JSON: {text}");
        assert_eq!(again.events.front().map(|event| &*event.raw), Some("not json"));
        assert_eq!(again.events.front().map(|event| event.kind), Some(FrameKind::NotJson));
    }
}

#[test]
fn imports_stream_within_a_line_limit_and_the_memory_cap() {
    let (events, context) = synthetic(1_000);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let ndjson = dir.path().join("capture.ndjson");
    let json = dir.path().join("capture.json");
    export_to_file(&ndjson, Format::Ndjson, &events, &context, &Progress::default())
        .unwrap_or_else(|err| panic!("{err}"));
    export_to_file(&json, Format::JsonPretty, &events, &context, &Progress::default())
        .unwrap_or_else(|err| panic!("{err}"));

    // Over the cap: the newest are kept, and the rest are counted.
    let capped = ImportOptions {
        limits: CaptureLimits { max_events: 100, max_bytes: usize::MAX },
        ..ImportOptions::default()
    };
    for path in [&ndjson, &json] {
        let imported = import_file(path, &Progress::default(), capped);
        assert!(imported.error.is_none(), "{:?}", imported.error);
        assert_eq!((imported.events.len(), imported.evicted), (100, 900));
        assert_eq!(imported.events.front().map(|event| event.seq), events.get(900).map(|event| event.seq));
    }

    // A line far longer than the limit stops the import there, keeping what came before, and
    // is never held whole in memory.
    let text = std::fs::read_to_string(&ndjson).unwrap_or_default();
    let mut lines: Vec<String> = text.lines().take(10).map(str::to_owned).collect();
    lines.insert(
        3,
        format!(r#"{{"v":1,"direction":"in","kind":"notification","frame_text":"{}"}}"#, "x".repeat(50_000)),
    );
    std::fs::write(&ndjson, lines.join("\n")).unwrap_or_else(|err| panic!("{err}"));
    let short_lines = ImportOptions { max_line_bytes: 10_000, ..ImportOptions::default() };
    let imported = import_file(&ndjson, &Progress::default(), short_lines);
    assert_eq!(imported.events.len(), 3);
    assert_eq!(imported.error, Some(ImportError::TooLong { line: 4, limit: 10_000 }));

    let long_element = format!(
        r#"[{}, {{"v":1,"direction":"in","kind":"notification","frame_text":"{}"}}]"#,
        text.lines().next().unwrap_or_default(),
        "y".repeat(50_000)
    );
    std::fs::write(&json, long_element).unwrap_or_else(|err| panic!("{err}"));
    let imported = import_file(&json, &Progress::default(), short_lines);
    assert_eq!(imported.events.len(), 1);
    assert_eq!(imported.error, Some(ImportError::TooLong { line: 2, limit: 10_000 }));
}
