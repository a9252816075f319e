//! The real app UI driven through egui_kittest (no GPU, no display): a real backend on a
//! tokio runtime, talking to the built-in offline demo server.

#![cfg(feature = "gui")]
#![expect(clippy::unwrap_used, reason = "tests")]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use subscope::app::keychain::{KeyStore as _, MemoryKeyStore, account_for};
use subscope::app::settings::{SavedEndpoint, Settings};
use subscope::app::{App, AppOptions, Source};
use subscope::capture::{Capture, CaptureLimits, CapturedEvent, Direction};
use subscope::catalog::Draft;
use subscope::demo::{DemoConfig, DemoServer};
use subscope::export::CaptureContext;
use subscope::protocol::FrameKind;
use subscope::redact::Secret;
use subscope::session::{Ending, KeySource, KeychainLookup, Message, SubState};
use support::ui::{app_harness, control, runtime, type_into, wait_until};

/// The window the tests run in.
const WINDOW: egui::Vec2 = egui::vec2(1400.0, 1000.0);

const ETH_ADDRESS: &str = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48";
const TRANSFER_TOPIC: &str = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
const TOKEN_PROGRAM: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";

/// The app in a harness, running the same logic step and UI as the window.
fn harness(runtime: &tokio::runtime::Runtime, first_run_demo: bool) -> Harness<'static, App> {
    app_harness(runtime, AppOptions { first_run_demo, ..AppOptions::headless(Settings::default()) }, WINDOW)
}

/// Steps the harness until a label containing `text` is shown, failing after 25 s.
fn wait_for_label(harness: &mut Harness<'_, App>, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(25);
    while harness.query_all_by_label_contains(text).next().is_none() {
        assert!(Instant::now() < deadline, "timed out waiting for a label with {text:?}");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn settle(harness: &mut Harness<'_, App>) {
    harness.run_steps(5);
}

fn pick(harness: &mut Harness<'_, App>, combo: &str, option: &str) {
    harness.get_by_role_and_label(Role::ComboBox, combo).click();
    settle(harness);
    // The option, not a table cell with the same text.
    control(harness, option).click();
    settle(harness);
}

fn connect_demo(harness: &mut Harness<'_, App>) {
    settle(harness);
    harness.get_by_label("Connect").click();
    wait_until(harness, "the demo connection to open", |app| app.endpoints()[0].is_open());
    assert!(harness.query_by_label("• open").is_some(), "the badge shows the state");
}

fn notifications_of(app: &App, sub: u64) -> u64 {
    app.capture()
        .stream_stats(app.subscriptions().iter().find(|row| row.sub == sub).unwrap().conn, Some(sub))
        .map_or(0, |stats| stats.count)
}

#[test]
fn subscriptions_built_in_forms_stream_filter_select_and_stop() {
    let runtime = runtime();
    let mut harness = harness(&runtime, false);
    connect_demo(&mut harness);

    // logsSubscribe (the composer's default method): pick "mentions", type the pubkey.
    pick(&mut harness, "Transactions *", "mentions a pubkey");
    type_into(&mut harness, "Mentioned pubkey", TOKEN_PROGRAM);
    pick(&mut harness, "Commitment", "confirmed");
    assert!(
        harness.query_by_label_contains(&format!("\"{TOKEN_PROGRAM}\"")).is_some(),
        "the JSON preview shows the typed pubkey"
    );
    harness.check_accessibility();
    harness.get_by_label("Subscribe").click();
    settle(&mut harness);
    assert_eq!(harness.state().subscriptions().len(), 1);
    let logs_sub = harness.state().subscriptions()[0].sub;
    wait_until(&mut harness, "logs notifications", |app| {
        app.capture()
            .iter()
            .any(|event| event.subscription == Some(logs_sub) && event.kind == FrameKind::Notification)
    });
    assert!(matches!(harness.state().subscriptions()[0].state, SubState::Active(_)));

    // eth_subscribe logs: pick the method, type an address and a topic.
    pick(&mut harness, "Subscribe to", "Logs · eth_subscribe logs");
    type_into(&mut harness, "Contract addresses", ETH_ADDRESS);
    harness.get_by_label("+ topic position").click();
    settle(&mut harness);
    type_into(&mut harness, "Topic 0", TRANSFER_TOPIC);
    assert!(harness.query_by_label_contains(TRANSFER_TOPIC).is_some(), "the preview shows the topic");
    harness.check_accessibility();
    harness.get_by_label("Subscribe").click();
    settle(&mut harness);
    assert_eq!(harness.state().subscriptions().len(), 2);
    let eth_sub = harness.state().subscriptions()[1].sub;
    wait_until(&mut harness, "eth log notifications", |app| {
        app.capture()
            .iter()
            .any(|event| event.subscription == Some(eth_sub) && event.kind == FrameKind::Notification)
    });
    let eth_frame = harness
        .state()
        .capture()
        .iter()
        .find(|event| event.subscription == Some(eth_sub) && event.kind == FrameKind::Notification)
        .map(|event| event.raw.to_string())
        .unwrap();
    assert!(eth_frame.contains(ETH_ADDRESS), "the demo honoured the typed address: {eth_frame}");

    // Filter by text: only the eth logs remain.
    type_into(&mut harness, "Filter", ETH_ADDRESS);
    wait_until(&mut harness, "the filter to apply", |app| app.visible_rows() > 0);
    let rows = harness.state().visible_events().len();
    assert!(rows > 0 && rows < harness.state().capture().len());
    assert!(harness.state().visible_events().iter().all(|event| event.raw.contains(ETH_ADDRESS)));
    // A bad regex is an error at the field, and the previous view stays.
    harness.get_by_label("regex").click();
    settle(&mut harness);
    type_into(&mut harness, "Filter", "(");
    assert!(harness.query_by_label_contains("not a valid regex").is_some(), "the regex error is shown");
    harness.get_by_label("regex").click();
    settle(&mut harness);

    // Filter by kind (picked) and text: logs notifications only.
    harness.get_by_label("Reset filter").click();
    settle(&mut harness);
    assert_eq!(harness.state().visible_rows(), harness.state().capture().len(), "reset shows everything");
    type_into(&mut harness, "Filter", "logsNotification");
    pick(&mut harness, "Kind", "notification");
    wait_until(&mut harness, "the logs filter", |app| app.visible_rows() > 0);
    // A row whose transaction failed shows its error instead; wait for one that succeeded.
    wait_for_label(&mut harness, "logsNotification ·");
    assert!(harness.state().visible_events().iter().all(|event| {
        event.kind == FrameKind::Notification && event.method.as_deref() == Some("logsNotification")
    }));

    // Pause the view, select a row, and see its JSON.
    harness.get_by_label("Pause").click();
    settle(&mut harness);
    assert!(harness.state().table().is_paused());
    harness.get_all_by_label_contains("logsNotification ·").next().unwrap().click();
    settle(&mut harness);
    let selected = harness.state().selected_event().map(|event| event.raw.to_string()).unwrap();
    assert!(selected.contains("logsNotification"));
    assert!(
        harness.query_by_label_contains("method: \"logsNotification\"").is_some(),
        "the JSON tree shows the frame"
    );
    harness.get_by_label("Raw").click();
    settle(&mut harness);
    assert!(harness.query_by_value(&selected).is_some(), "the raw view shows the exact frame");
    harness.get_by_label("Resume").click();
    settle(&mut harness);

    // Unsubscribe the Solana logs and see the stream stop.
    harness.get_all_by_label("Unsubscribe").next().unwrap().click();
    wait_until(&mut harness, "the unsubscribe to be confirmed", |app| {
        app.subscriptions()[0].state == SubState::Ended(Ending::Unsubscribed { was_active: true })
    });
    let stopped_at = notifications_of(harness.state(), logs_sub);
    let eth_before = notifications_of(harness.state(), eth_sub);
    wait_until(&mut harness, "more eth logs", |app| notifications_of(app, eth_sub) > eth_before + 1);
    assert_eq!(
        notifications_of(harness.state(), logs_sub),
        stopped_at,
        "no logs notification after unsubscribe"
    );
    harness.check_accessibility();
}

#[test]
fn a_bad_pubkey_shows_the_field_error_and_sends_nothing() {
    let runtime = runtime();
    let mut harness = harness(&runtime, false);
    connect_demo(&mut harness);
    pick(&mut harness, "Subscribe to", "Account changes · accountSubscribe");
    type_into(&mut harness, "Account *", "not-a-pubkey-0OIl");
    let error = format!("{:?}", harness.get_by_label_contains("Account:"));
    assert!(error.contains("base58"), "{error}");
    assert!(
        harness.get_by_label("Subscribe").accesskit_node().is_disabled(),
        "Subscribe is disabled while the form is invalid"
    );
    assert!(harness.query_by_label_contains("Nothing to send").is_some());
    harness.get_by_label("Subscribe").click();
    settle(&mut harness);
    std::thread::sleep(Duration::from_millis(300));
    settle(&mut harness);
    assert!(harness.state().subscriptions().is_empty(), "no subscription was created");
    let sent = harness.state().capture().iter().any(|event| {
        event.direction == Direction::Out && event.method.as_deref() == Some("accountSubscribe")
    });
    assert!(!sent, "no accountSubscribe frame went out");
}

#[test]
fn first_run_connects_the_demo_and_rows_arrive() {
    let runtime = runtime();
    let mut harness = harness(&runtime, true);
    wait_until(&mut harness, "live rows from the first-run subscription", |app| {
        app.capture().iter().filter(|event| event.kind == FrameKind::Notification).count() >= 3
    });
    let app = harness.state();
    assert!(app.endpoints()[0].is_open());
    assert_eq!(app.subscriptions()[0].method, "logsSubscribe");
    assert!(app.settings().welcomed);
    assert!(harness.query_by_label_contains("events held").is_some());
    harness.check_accessibility();
}

#[test]
fn keyboard_pause_clear_and_find() {
    let runtime = runtime();
    let mut harness = harness(&runtime, true);
    wait_until(&mut harness, "rows", |app| app.visible_rows() >= 2);
    harness.key_press(Key::Space);
    settle(&mut harness);
    assert!(harness.state().table().is_paused(), "Space pauses");
    let frozen = harness.state().visible_rows();
    wait_until(&mut harness, "capture to continue while paused", |app| app.capture().len() > frozen + 2);
    assert_eq!(harness.state().visible_rows(), frozen, "the view stays while capture continues");
    harness.key_press(Key::Space);
    settle(&mut harness);
    assert!(!harness.state().table().is_paused(), "Space resumes");

    harness.key_press_modifiers(Modifiers::COMMAND, Key::F);
    settle(&mut harness);
    assert!(harness.get_by_label("Filter").is_focused(), "Ctrl+F focuses the filter");
    harness.key_press(Key::Space);
    settle(&mut harness);
    assert!(!harness.state().table().is_paused(), "Space types into the filter instead of pausing");
    harness.key_press(Key::Escape);
    settle(&mut harness);

    harness.key_press_modifiers(Modifiers::COMMAND, Key::L);
    settle(&mut harness);
    assert!(harness.state().capture().len() < frozen, "Ctrl+L clears");

    harness.key_press_modifiers(Modifiers::COMMAND, Key::E);
    settle(&mut harness);
    assert!(harness.query_by_label("Export events").is_some(), "Ctrl+E opens the export dialog");
    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert!(harness.query_by_label("Export events").is_none(), "Esc closes it");
}

#[test]
fn export_then_open_read_only_and_a_bad_file_keeps_what_was_read() {
    let runtime = runtime();
    let mut harness = harness(&runtime, true);
    wait_until(&mut harness, "some events", |app| app.capture().len() >= 6);
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("capture.ndjson");

    harness.get_by_label("Pause").click(); // freeze what "the rows the table shows" means
    settle(&mut harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::E);
    settle(&mut harness);
    type_into(&mut harness, "or path", path.to_str().unwrap());
    harness.get_by_label("Export").click();
    wait_until(&mut harness, "the export to finish", |app| app.message().is_some());
    let message = harness.state().message().cloned().unwrap();
    assert!(matches!(&message, Message::News(text) if text.starts_with("Exported")), "{message:?}");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines = text.lines().count();
    assert!(lines >= 6, "{lines} lines");
    assert!(text.contains("\"endpoint\""));
    harness.key_press(Key::Escape);
    settle(&mut harness);

    harness.state_mut().open_file(path.clone());
    wait_until(&mut harness, "the opening", |app| app.source() == Source::Opened);
    assert_eq!(harness.state().opened().map(Capture::len), Some(lines));
    assert_eq!(harness.state().visible_rows(), lines);
    assert!(harness.query_all_by_label_contains("(read-only)").count() > 0);

    let bad = folder.path().join("bad.ndjson");
    let mut broken: Vec<&str> = text.lines().take(3).collect();
    broken.insert(2, "{not json");
    std::fs::write(&bad, broken.join("\n")).unwrap();
    harness.state_mut().open_file(bad);
    wait_until(&mut harness, "the bad file", |app| app.opened().is_some_and(|capture| capture.len() == 2));
    let message = harness.state().message().cloned().unwrap();
    assert!(matches!(&message, Message::Failure(text) if text.contains("line 3")), "{message:?}");
    assert!(harness.query_all_by_label_contains("line 3").count() > 0, "the located error is shown");
}

#[test]
fn api_keys_are_masked_and_never_saved() {
    let runtime = runtime();
    let mut harness = harness(&runtime, false);
    settle(&mut harness);
    pick(&mut harness, "Preset", "Helius mainnet (API key)");
    harness.get_by_label("Connect").click();
    settle(&mut harness);
    assert!(harness.query_by_label_contains("needs an API key").is_some(), "the error is at the endpoint");
    assert!(harness.state().endpoints()[0].conn.is_none(), "nothing connected without a key");

    type_into(&mut harness, "API key", "sekrit-key-123");
    let key_field = harness.get_by_label("API key");
    assert!(!key_field.value().unwrap_or_default().contains("sekrit"), "the key is masked");
    let url_field = harness.get_by_label("URL");
    assert_eq!(url_field.value().as_deref(), Some("wss://mainnet.helius-rpc.com/?api-key={api_key}"));
    harness.get_by_label("Show").click();
    settle(&mut harness);
    assert_eq!(
        harness.get_by_label("API key").value().as_deref(),
        Some("sekrit-key-123"),
        "revealed on request"
    );

    let saved = serde_json::to_string(&harness.state().settings()).unwrap();
    assert!(!saved.contains("sekrit"), "{saved}");
}

#[test]
fn a_million_events_stay_virtualized_and_fast() {
    let runtime = runtime();
    let mut harness = harness(&runtime, false);
    let mut capture = Capture::new(CaptureLimits { max_events: usize::MAX, max_bytes: usize::MAX });
    let method: Arc<str> = Arc::from("slotNotification");
    capture.extend((0..1_000_000u64).map(|seq| CapturedEvent {
        seq,
        received_at_ms: 1_795_335_540_000 + seq,
        connection: 1,
        subscription: Some(1),
        direction: Direction::In,
        kind: FrameKind::Notification,
        method: Some(Arc::clone(&method)),
        raw: format!(
            r#"{{"jsonrpc":"2.0","method":"slotNotification","params":{{"result":{{"parent":{},"root":1,"slot":{}}},"subscription":0}}}}"#,
            5_000_000 + seq - 1,
            5_000_000 + seq
        )
        .into(),
        redacted: false,
        recovered: None,
    }));
    harness.state_mut().open_capture("million".to_owned(), capture, CaptureContext::default());
    settle(&mut harness);
    let started = Instant::now();
    harness.run_steps(5);
    let per_frame = started.elapsed() / 5;
    assert!(per_frame < Duration::from_millis(500), "a frame took {per_frame:?}");
    assert!(harness.query_by_label("5999999").is_some(), "the newest row is shown (following)");
    assert!(harness.query_by_label("5000000").is_none(), "old rows are not laid out");

    type_into(&mut harness, "Filter", "\"slot\":5000042}");
    wait_until(&mut harness, "the filter to scan a million events", |app| {
        !app.table().is_scanning() && app.visible_rows() == 1
    });
    assert!(harness.query_by_label("5000042").is_some());
}

#[test]
fn a_one_off_request_shows_its_response() {
    let runtime = runtime();
    let mut harness = harness(&runtime, false);
    connect_demo(&mut harness);
    harness.get_by_label("One-off request").click();
    settle(&mut harness);
    harness.get_by_label("Common requests").click();
    settle(&mut harness);
    harness.get_by_label("getVersion").click();
    settle(&mut harness);
    harness.get_by_label("Send request").click();
    let deadline = Instant::now() + Duration::from_secs(20);
    while harness.query_all_by_label_contains("solana-core").count() == 0 {
        assert!(Instant::now() < deadline, "no response shown");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(harness.query_by_label("Response to getVersion").is_some());
}

fn eth_event(seq: u64, sub: u64, result: &str) -> CapturedEvent {
    CapturedEvent {
        seq,
        received_at_ms: 1_795_335_540_000 + seq * 1000,
        connection: 1,
        subscription: Some(sub),
        direction: Direction::In,
        kind: FrameKind::Notification,
        method: Some(Arc::from("eth_subscription")),
        raw: format!(
            r#"{{"jsonrpc":"2.0","method":"eth_subscription","params":{{"subscription":"0x{sub}","result":{result}}}}}"#
        )
        .into(),
        redacted: false,
        recovered: None,
    }
}

#[test]
fn reorged_heights_and_removed_logs_are_marked() {
    let runtime = runtime();
    let mut harness = harness(&runtime, false);
    let head =
        |number: &str, hash: &str| format!(r#"{{"number":"{number}","hash":"{hash}","parentHash":"0x00"}}"#);
    let mut capture = Capture::new(CaptureLimits::default());
    capture.extend([
        eth_event(0, 7, &head("0x10", "0xaa")),
        eth_event(1, 7, &head("0x11", "0xbb")),
        eth_event(2, 7, &head("0x11", "0xcc")),
        eth_event(3, 8, r#"{"address":"0x01","topics":[],"blockNumber":"0x11","transactionHash":"0xdd","logIndex":"0x0","removed":true}"#),
    ]);
    let mut context = CaptureContext::default();
    context.add_connection(1, "node", "ws://127.0.0.1:8545");
    for (sub, kind) in [(7, "newHeads"), (8, "logs")] {
        context.subscriptions.insert(
            sub,
            subscope::export::SubscriptionInfo {
                method: "eth_subscribe".to_owned(),
                params: Some(serde_json::json!([kind])),
                server_id: None,
            },
        );
    }
    harness.state_mut().open_capture("reorg".to_owned(), capture, context);
    settle(&mut harness);
    assert_eq!(harness.query_all_by_label("reorg").count(), 1, "the repeated height is marked once");
    assert!(harness.query_by_label_contains("block 17 again").is_some());
    assert!(harness.query_by_label("removed (reorg)").is_some(), "the removed log is marked");
    assert!(harness.query_all_by_label("newHeads #7").count() >= 3, "the subscription column names it");
}

/// Connects the demo, subscribes to its logs, and opens the one-off request form on
/// `demo_fault`, ready for [`send_fault`].
fn subscribe_logs_ready_for_faults(harness: &mut Harness<'_, App>) {
    connect_demo(harness);
    harness.get_by_label("Subscribe").click();
    wait_until(harness, "the logs subscription", |app| {
        matches!(app.subscriptions().first().map(|row| &row.state), Some(SubState::Active(_)))
    });
    harness.get_by_label("One-off request").click();
    settle(harness);
    type_into(harness, "Method *", "demo_fault");
}

fn send_fault(harness: &mut Harness<'_, App>, params: &str) {
    harness.get_by_label("Params").focus();
    settle(harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.get_by_label("Params").type_text(params);
    settle(harness);
    harness.get_by_label("Send request").click();
    settle(harness);
}

#[test]
fn demo_faults_flood_then_drop_reconnects_and_resubscribes() {
    let runtime = runtime();
    let mut harness = harness(&runtime, false);
    subscribe_logs_ready_for_faults(&mut harness);

    send_fault(&mut harness, r#"[{"kind":"flood","count":20000}]"#);
    wait_until(&mut harness, "20,000 flooded frames in the table", |app| app.visible_rows() >= 20_000);
    let started = Instant::now();
    harness.run_steps(5);
    assert!(started.elapsed() / 5 < Duration::from_millis(500), "frames stay fast after a flood");

    send_fault(&mut harness, r#"[{"kind":"drop"}]"#);
    wait_until(&mut harness, "the re-subscribe after the reconnect", |app| {
        let row = &app.subscriptions()[0];
        row.resubscribed >= 1 && matches!(row.state, SubState::Active(_)) && app.endpoints()[0].is_open()
    });
    assert!(harness.query_by_label_contains("No data for").is_some(), "the reconnect gap is shown");
    assert!(harness.query_by_label_contains("re-subscribed 1").is_some());
}

// ---------------------------------------------------------------------------------------------
// Secrets and saved work.

/// Replaces the whole text of a labelled field, as a user selecting all and pasting does.
fn replace_text(harness: &mut Harness<'_, App>, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    settle(harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    settle(harness);
    harness.get_by_label(label).type_text(text);
    settle(harness);
    harness.key_press(Key::Escape); // leave the field, as clicking elsewhere does
    settle(harness);
}

/// A loopback port nothing listens on (yet).
fn unused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn a_pasted_quicknode_url_is_masked_and_its_key_moves_into_the_keychain() {
    const TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";
    let runtime = runtime();
    let store = Arc::new(MemoryKeyStore::default());
    let options = AppOptions { keychain: Some(store.clone()), ..AppOptions::headless(Settings::default()) };
    let mut harness = app_harness(&runtime, options, WINDOW);
    settle(&mut harness);
    replace_text(&mut harness, "URL", &format!("wss://example-name.solana-mainnet.quiknode.pro/{TOKEN}/"));
    assert_eq!(
        harness.get_by_label("URL").value().as_deref(),
        Some("wss://example-name.solana-mainnet.quiknode.pro/***/"),
        "the URL is shown masked"
    );
    assert!(harness.query_by_label_contains("holds a key in clear").is_some(), "the warning shows");
    let unsaved = serde_json::to_string(&harness.state().settings()).unwrap();
    assert!(!unsaved.contains(TOKEN) && unsaved.contains("quiknode.pro/***/"), "{unsaved}");

    harness.get_by_label("Move the key to the API key field").click();
    settle(&mut harness);
    assert_eq!(
        harness.get_by_label("URL").value().as_deref(),
        Some("wss://example-name.solana-mainnet.quiknode.pro/{api_key}/")
    );
    assert!(!harness.get_by_label("API key").value().unwrap_or_default().contains(TOKEN), "masked");
    let id = harness.state().endpoints()[0].id;
    wait_until(&mut harness, "the key to reach the keychain", |app| {
        app.endpoints()[0].key_source == KeySource::Keychain
    });
    assert_eq!(store.load(&account_for(id)).unwrap().as_ref().map(Secret::expose), Some(TOKEN));
    assert!(harness.query_by_label_contains("holds a key in clear").is_none(), "nothing left to move");

    // The key is in no serialized setting, no egui memory (window state) and no Debug text.
    let saved = serde_json::to_string(&harness.state().settings()).unwrap();
    assert!(!saved.contains(TOKEN) && saved.contains("{api_key}"), "{saved}");
    let memory = harness.ctx.memory(|memory| ron::to_string(memory).unwrap());
    assert!(!memory.contains(TOKEN), "egui memory holds the key");
    assert!(!format!("{:?}", harness.state().endpoints()).contains(TOKEN));
}

fn slot_draft() -> Draft {
    Draft::for_method("slotSubscribe").unwrap()
}

fn root_draft() -> Draft {
    Draft::for_method("rootSubscribe").unwrap()
}

#[test]
fn a_failed_start_keeps_the_saved_work_and_connect_restores_it() {
    let runtime = runtime();
    let port = unused_port();
    let store = Arc::new(MemoryKeyStore::default());
    store.store(&account_for(6), &Secret::new("its-own-key")).unwrap();
    store.set_locked(true); // an unlock prompt the user dismissed
    let saved = vec![
        SavedEndpoint {
            id: 5,
            label: "local node".into(),
            url: format!("ws://127.0.0.1:{port}"),
            connect_on_start: true,
            subscriptions: vec![slot_draft(), root_draft()],
            ..SavedEndpoint::default()
        },
        SavedEndpoint {
            id: 6,
            label: "keyed".into(),
            url: format!("ws://127.0.0.1:{port}/?api-key={{api_key}}"),
            connect_on_start: true,
            subscriptions: vec![slot_draft()],
            ..SavedEndpoint::default()
        },
    ];
    let settings = Settings { welcomed: true, endpoints: saved.clone(), ..Settings::default() };
    let options = AppOptions { keychain: Some(store.clone()), ..AppOptions::headless(settings) };
    let mut harness = app_harness(&runtime, options, WINDOW);
    wait_until(&mut harness, "the start to fail (node down, keychain locked)", |app| {
        !app.endpoints()[0].is_live()
            && app.endpoints()[0].conn.is_some()
            && matches!(app.endpoints()[1].keychain, KeychainLookup::Locked(_))
    });
    assert!(harness.state().endpoints()[1].conn.is_none(), "no connect without the keychain's answer");
    let after_failure = harness.state().settings();
    assert_eq!(after_failure.endpoints, saved, "what the user set up is saved as it was");

    // The node comes up; Connect brings the subscriptions back.
    let _demo =
        runtime.block_on(DemoServer::start(DemoConfig { port, speed: 20.0, ..DemoConfig::default() }));
    harness.get_all_by_label("Connect").next().unwrap().click();
    wait_until(&mut harness, "the restored subscriptions to become active", |app| {
        let rows: Vec<_> = app.subscriptions().iter().filter(|row| row.endpoint == 5).collect();
        rows.len() == 2 && rows.iter().all(|row| matches!(row.state, SubState::Active(_)))
    });

    // The keychain is unlocked; Retry finds the key, and the endpoint connects as saved.
    store.set_locked(false);
    harness.get_by_label("Retry keychain").click();
    wait_until(&mut harness, "the keyed endpoint to connect with its own key", |app| {
        app.endpoints()[1].is_open()
            && app
                .subscriptions()
                .iter()
                .any(|row| row.endpoint == 6 && matches!(row.state, SubState::Active(_)))
    });
    assert_eq!(harness.state().endpoints()[1].key_source, KeySource::Keychain);
    // Nothing was lost along the way; what the node's answers told (its chain) was learned.
    let mut learned = saved.clone();
    for endpoint in &mut learned {
        endpoint.chain = Some(subscope::catalog::Chain::Solana);
    }
    assert_eq!(harness.state().settings().endpoints, learned, "nothing was lost along the way");

    // Disconnecting is what the user asks for: it is then saved that way.
    harness.get_all_by_label("Disconnect").next().unwrap().click();
    settle(&mut harness);
    let endpoints = harness.state().settings().endpoints;
    assert!(!endpoints[0].connect_on_start && endpoints[0].subscriptions.is_empty(), "{endpoints:?}");
    assert!(endpoints[1].connect_on_start, "the other endpoint is untouched");
}

#[test]
fn each_endpoint_keeps_its_own_key_and_the_env_key_only_fills_gaps() {
    let runtime = runtime();
    let store = Arc::new(MemoryKeyStore::default());
    store.store(&account_for(1), &Secret::new("key-one")).unwrap();
    store.store(&account_for(2), &Secret::new("key-two")).unwrap();
    let helius = "wss://mainnet.helius-rpc.com/?api-key={api_key}";
    let endpoints = (1..=3)
        .map(|id| SavedEndpoint {
            id,
            label: format!("Helius {id}"),
            preset: "Helius mainnet".into(),
            url: helius.into(),
            ..SavedEndpoint::default()
        })
        .collect();
    let settings = Settings { welcomed: true, endpoints, ..Settings::default() };
    let options = AppOptions {
        keychain: Some(store.clone()),
        env_key: Some(Secret::new("env-key")),
        ..AppOptions::headless(settings)
    };
    let mut harness = app_harness(&runtime, options, WINDOW);
    wait_until(&mut harness, "every keychain lookup to answer", |app| {
        app.endpoints().iter().all(|endpoint| endpoint.keychain == KeychainLookup::Answered)
    });
    let keys: Vec<(String, KeySource)> =
        harness.state().endpoints().iter().map(|e| (e.api_key.clone(), e.key_source)).collect();
    assert_eq!(
        keys,
        vec![
            ("key-one".to_owned(), KeySource::Keychain),
            ("key-two".to_owned(), KeySource::Keychain),
            ("env-key".to_owned(), KeySource::Env),
        ]
    );
    assert_eq!(harness.query_all_by_label_contains("this endpoint's entry").count(), 2);
    assert_eq!(harness.query_all_by_label_contains("has no key of its own").count(), 1);

    // A key typed for the third and remembered goes to its own entry; the others keep theirs.
    harness.get_all_by_label("API key").nth(2).unwrap().focus();
    settle(&mut harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.get_all_by_label("API key").nth(2).unwrap().type_text("key-three");
    settle(&mut harness);
    harness.get_by_label("Remember in keychain").click();
    wait_until(&mut harness, "the third key to be stored", |app| {
        app.endpoints()[2].key_source == KeySource::Keychain
    });
    let stored: Vec<Option<String>> =
        (1..=3).map(|id| store.load(&account_for(id)).unwrap().map(|key| key.expose().to_owned())).collect();
    assert_eq!(stored, vec![Some("key-one".into()), Some("key-two".into()), Some("key-three".into())]);
}

#[test]
fn a_url_saved_without_its_key_says_so_and_keys_over_plain_ws_are_warned_about() {
    let runtime = runtime();
    let endpoints = vec![
        SavedEndpoint {
            id: 1,
            label: "lost key".into(),
            url: "wss://example-name.quiknode.pro/***/".into(),
            connect_on_start: true,
            ..SavedEndpoint::default()
        },
        SavedEndpoint {
            id: 2,
            label: "plain ws".into(),
            url: "ws://rpc.example.com/?api-key={api_key}".into(),
            ..SavedEndpoint::default()
        },
        SavedEndpoint {
            id: 3,
            label: "loopback".into(),
            url: "ws://127.0.0.1:1/?api-key={api_key}".into(),
            ..SavedEndpoint::default()
        },
    ];
    let settings = Settings { welcomed: true, endpoints, ..Settings::default() };
    let mut harness = app_harness(&runtime, AppOptions::headless(settings), WINDOW);
    settle(&mut harness);
    assert!(harness.state().endpoints()[0].conn.is_none(), "a URL without its key is not tried");
    assert!(
        harness.query_all_by_label_contains("The key was removed from this URL when it was saved").count()
            >= 1,
        "the endpoint says why"
    );
    assert_eq!(
        harness.query_all_by_label_contains("sends the key unencrypted").count(),
        1,
        "only the remote ws://"
    );
}

#[test]
fn a_stalled_window_and_the_backend_together_hold_no_more_than_the_cap() {
    let runtime = runtime();
    let limits = CaptureLimits { max_events: 5_000, max_bytes: 16 << 20 };
    let settings = Settings { limits, ..Settings::default() };
    let mut harness = app_harness(&runtime, AppOptions::headless(settings), WINDOW);
    subscribe_logs_ready_for_faults(&mut harness);
    send_fault(&mut harness, r#"[{"kind":"flood","count":60000}]"#);
    // The window stalls (a modal dialog) while about 25 MB arrive.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        harness.state().memory_held() <= limits.max_bytes,
        "{} bytes held while stalled",
        harness.state().memory_held()
    );
    for _ in 0..20 {
        harness.step();
        assert!(
            harness.state().memory_held() <= limits.max_bytes,
            "{} bytes held",
            harness.state().memory_held()
        );
    }
    let capture = harness.state().capture();
    assert!(capture.len() <= limits.consumer_share().max_events, "{} events", capture.len());
    assert!(capture.evicted() > 0, "what did not fit was evicted, oldest first, and counted");
    assert!(harness.query_by_label_contains("evicted").is_some(), "the status bar shows it");
}

// ---------------------------------------------------------------------------------------------
// A scripted backend: the window driven with no sockets and no sleeps.

use subscope::backend::{Command, ConnState, Event, Script, SubscribeOutcome};
use subscope::protocol::SubId;

/// The app on a scripted backend, and the script.
fn scripted(runtime: &tokio::runtime::Runtime, settings: Settings) -> (Harness<'static, App>, Script) {
    support::ui::scripted(runtime, settings, WINDOW)
}

#[test]
fn a_scripted_stream_fills_the_window_without_sockets_or_sleeps() {
    let runtime = runtime();
    let endpoints = vec![SavedEndpoint {
        id: 1,
        label: "local".into(),
        url: "ws://127.0.0.1:9".into(),
        connect_on_start: true,
        subscriptions: vec![slot_draft()],
        ..SavedEndpoint::default()
    }];
    let (mut harness, mut script) =
        scripted(&runtime, Settings { welcomed: true, endpoints, ..Settings::default() });
    let commands = script.commands();
    let Some(Command::Connect { conn, config }) = commands.first() else { panic!("{commands:?}") };
    assert_eq!(config.url, "ws://127.0.0.1:9");
    let Some(Command::Subscribe { sub, method, rules, .. }) = commands.get(1) else { panic!("{commands:?}") };
    assert_eq!((method.as_str(), &*rules.unsubscribe_method), ("slotSubscribe", "slotUnsubscribe"));
    let (conn, sub) = (*conn, *sub);

    script.event(Event::State { conn, state: ConnState::Open });
    script.event(Event::Subscription {
        conn,
        sub,
        outcome: SubscribeOutcome::Active(SubId::Num(3)),
        resubscribed: false,
    });
    script.frames((100..103).map(|slot| support::slot_notification(1, sub, slot)));
    harness.run_steps(3);
    assert_eq!(harness.state().visible_rows(), 3);
    assert!(matches!(harness.state().subscriptions()[0].state, SubState::Active(SubId::Num(3))));
    assert!(harness.query_by_label("• open").is_some());

    // Lost, back after 44.9 s, re-subscribed under a new id: one readable line says so.
    script.event(Event::State {
        conn,
        state: ConnState::Reconnecting {
            retry_at_ms: 0,
            attempt: 1,
            reason: subscope::backend::LostReason::Reset.into(),
        },
    });
    harness.run_steps(2);
    assert!(
        matches!(harness.state().subscriptions()[0].state, SubState::Pending),
        "nothing arrives meanwhile"
    );
    script.event(Event::State { conn, state: ConnState::Open });
    script.event(Event::Gap { conn, lost_at_ms: 1_000, restored_at_ms: 45_900 });
    script.event(Event::Subscription {
        conn,
        sub,
        outcome: SubscribeOutcome::Active(SubId::Num(4)),
        resubscribed: true,
    });
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("No data for 44.9 s while reconnecting").is_some());
    assert!(harness.query_by_label_contains("re-subscribed 1").is_some());

    // Unsubscribe goes out as a command, and the answer ends it.
    harness.get_by_label("Unsubscribe").click();
    harness.run_steps(2);
    assert!(
        script
            .commands()
            .iter()
            .any(|command| matches!(command, Command::Unsubscribe { sub: s, .. } if *s == sub))
    );
    script.event(Event::SubscriptionEnded {
        conn,
        sub,
        reason: subscope::backend::EndReason::Unsubscribed(Ok(true)),
    });
    harness.run_steps(2);
    assert_eq!(
        harness.state().subscriptions()[0].state,
        SubState::Ended(Ending::Unsubscribed { was_active: true })
    );
    assert!(
        harness.state().settings().endpoints[0].subscriptions.is_empty(),
        "an unsubscribed stream is not restored"
    );
}
