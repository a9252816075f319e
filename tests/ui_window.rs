//! The window's frame, driven through egui_kittest on a scripted backend (no sockets, no
//! sleeps): small windows, the side panel, endpoint names, chains and headers, "Retry now",
//! the raw-frame composer and where a one-off answer is shown.

#![cfg(feature = "gui")]

mod support;

use std::sync::Arc;

use egui::accesskit::{Role, Toggled};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{By, NodeT as _, Queryable as _};
use subscope::app::settings::{SavedEndpoint, Settings};
use subscope::app::{App, AppOptions};
use subscope::backend::{Backend, Command, ConnState, ConnectError, Event, Script, SubscribeOutcome};
use subscope::capture::CapturedEvent;
use subscope::catalog::{Chain, Draft};
use subscope::protocol::{RpcError, SubId};
use support::ui::{app_harness, control, rows_in_view, runtime, scripted, type_into};

fn endpoint(id: u64, label: &str, url: &str, chain: Option<Chain>) -> SavedEndpoint {
    SavedEndpoint {
        id,
        label: label.into(),
        url: url.into(),
        connect_on_start: true,
        chain,
        ..SavedEndpoint::default()
    }
}

fn settings(endpoints: Vec<SavedEndpoint>) -> Settings {
    Settings { welcomed: true, endpoints, ..Settings::default() }
}

/// Opens every connection the app asked for, all of one chain, and returns their ids, in
/// order.
fn open_all(script: &mut Script, harness: &mut Harness<'_, App>) -> Vec<u32> {
    open_on_chains(script, harness, &["OneGenesis"; 8])
}

/// Opens every connection the app asked for, the n-th answering the `getGenesisHash` the
/// window asks at connect with `genesis[n]` (and not knowing `eth_chainId`), and returns
/// their ids, in order.
fn open_on_chains(script: &mut Script, harness: &mut Harness<'_, App>, genesis: &[&str]) -> Vec<u32> {
    let conns: Vec<u32> = script
        .commands()
        .iter()
        .filter_map(|command| match command {
            Command::Connect { conn, .. } => Some(*conn),
            _ => None,
        })
        .collect();
    for conn in &conns {
        script.event(Event::State { conn: *conn, state: ConnState::Open });
    }
    harness.run_steps(3);
    for command in script.commands() {
        if let Command::Request { conn, request, method, .. } = command {
            let index = conns.iter().position(|open| *open == conn).unwrap_or_else(|| panic!("{conn}"));
            let result = match method.as_str() {
                "getGenesisHash" => Ok(format!("\"{}\"", genesis[index])),
                _ => Err(RpcError { code: -32601, message: "Method not found".into(), data: None }),
            };
            script.event(Event::Response { conn, request, result });
        }
    }
    harness.run_steps(3);
    conns
}

/// The left edge of the table's Pause button: where the side panel ends.
fn table_left(harness: &Harness<'_, App>) -> f32 {
    harness.get_by_label("Pause").rect().left()
}

#[test]
fn an_800_by_500_window_shows_eight_rows_and_keeps_every_control_inside() {
    let runtime = runtime();
    let small = egui::vec2(800.0, 500.0);
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, small);
    let mut saved = endpoint(1, "local", "ws://127.0.0.1:9", Some(Chain::Solana));
    // Ten subscriptions: ten lines in the rate plot and its legend.
    saved.subscriptions = Draft::for_method("slotSubscribe").into_iter().cycle().take(10).collect();
    let settings = settings(vec![saved]);
    let (backend, mut script) = Backend::scripted(settings.limits, Arc::new(|| {}));
    // A long message in the status bar, as an export leaves one.
    let notice =
        "Exported 12,345 events (4.20 MiB) to /home/someone/captures/mainnet-slots-2026-12-07.ndjson";
    let options = AppOptions {
        backend: Some(backend),
        notice: Some(notice.to_owned()),
        ..AppOptions::headless(settings)
    };
    let mut harness = app_harness(&runtime, options, small);
    let conn = open_all(&mut script, &mut harness)[0];
    let subs: Vec<u64> = harness.state().subscriptions().iter().map(|row| row.sub).collect();
    assert_eq!(subs.len(), 10);
    script.frames((1000..1060).map(|slot| support::slot_notification(conn, subs[slot as usize % 10], slot)));
    harness.run_steps(4);
    assert_eq!(harness.state().visible_rows(), 60);

    // The side panel steps aside by itself: the table and the inspector get the width.
    assert!(table_left(&harness) < 40.0, "the table takes the window's width");
    let rows =
        harness.query_all_by_label("slotNotification").filter(|row| row.rect().bottom() <= 500.0).count();
    assert!(rows >= 8, "only {rows} table rows fit in an 800×500 window");
    let controls = [Role::Button, Role::ComboBox, Role::TextInput, Role::CheckBox, Role::MultilineTextInput];
    for node in harness.query_all(By::new().predicate(|node| controls.contains(&node.role()))) {
        let rect = node.rect();
        if rect.top() < window.bottom() && rect.left() < window.right() {
            assert!(
                rect.right() <= window.right() + 0.5,
                "{:?} {:?} reaches past the window: {rect:?}",
                node.accesskit_node().role(),
                node.accesskit_node().label(),
            );
        }
    }

    // The rate plot's legend is inside the plot and covers a third of it at most.
    let plot = harness.get_by_label("Events per second plot").rect();
    let legend = harness.get_by_label("Legend").rect();
    assert!(plot.contains_rect(legend), "the legend {legend:?} runs out of the plot {plot:?}");
    assert!(legend.area() <= plot.area() / 3.0, "the legend {legend:?} covers most of the plot {plot:?}");
    // The status bar: no text cut at the window's edge, the whole message.
    let status_top = harness.get_by_label("1 connection (1 open)").rect().top();
    assert!(plot.bottom() <= status_top, "the plot {plot:?} runs into the status bar at {status_top}");
    for node in harness.query_all(By::new().predicate(|node| node.role() == Role::Label)) {
        if node.rect().top() >= status_top - 0.5 {
            let (rect, text) = (node.rect(), node.accesskit_node().label());
            assert!(window.contains_rect(rect), "{text:?} is cut by the window's edge: {rect:?}");
        }
    }
    assert!(harness.query_by_label(notice).is_some(), "the message is all there");
    // A click on a name in the legend hides its line.
    let shown = |harness: &Harness<'_, App>| {
        harness.get_by_role_and_label(Role::CheckBox, "slot #1").accesskit_node().toggled()
    };
    assert_eq!(shown(&harness), Some(Toggled::True));
    harness.get_by_role_and_label(Role::CheckBox, "slot #1").click();
    harness.run_steps(2);
    assert_eq!(shown(&harness), Some(Toggled::False), "the line is hidden");

    // A clicked row stays in view when the window is made larger and smaller again: the row at
    // the view's bottom, then the one at its top.
    let larger = egui::vec2(1000.0, 760.0);
    for pick in [|shown: &[u64]| shown.last().copied(), |shown: &[u64]| shown.first().copied()] {
        harness.set_size(larger);
        harness.run_steps(4);
        let clicked = pick(&rows_in_view(&harness, 1000..1060)).unwrap_or_else(|| panic!("no row in view"));
        harness.get_by_label(&clicked.to_string()).click();
        harness.run_steps(2);
        harness.set_size(small);
        harness.run_steps(4);
        let shown = rows_in_view(&harness, 1000..1060);
        assert!(shown.contains(&clicked), "the selected row {clicked} left the view: {shown:?}");
    }

    // The selected row's detail: its view tabs and copy buttons wrap inside the inspector,
    // and the frame gets the lines below them.
    for label in ["Tree", "Decoded", "Copy raw", "Copy pretty"] {
        let rect = harness.get_by_label(label).rect();
        assert!(window.contains_rect(rect), "{label} is outside the 800×500 window: {rect:?}");
    }
    for line in ["frame {3}", "jsonrpc: \"2.0\"", "method: \"slotNotification\""] {
        let rect = harness.get_by_label(line).rect();
        assert!(rect.bottom() <= status_top, "{line} is not shown: {rect:?}");
    }

    // "» Panel" (or Ctrl+B) shows the side panel over the narrow window, for now only.
    harness.get_by_label("Show the side panel").click();
    harness.run_steps(20); // the slide animation
    assert!(table_left(&harness) > 200.0, "the side panel is shown");
    // The table's bar wraps in what is left (paused: it says so), never between "Times" and its
    // toggle.
    harness.key_press(Key::Space);
    for width in [800.0, 848.0] {
        harness.set_size(egui::vec2(width, small.y));
        harness.run_steps(3);
        let (times, local) = (harness.get_by_label("Times").rect(), control(&harness, "local").rect());
        assert!(
            local.y_range().contains(times.center().y),
            "\"Times\" {times:?} wrapped away from {local:?}"
        );
    }
    harness.key_press(Key::Space);
    harness.set_size(small);
    harness.run_steps(3);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::B);
    harness.run_steps(20);
    assert!(table_left(&harness) < 40.0, "and hidden again");
    assert!(harness.state().settings().side_panel_open, "a wide window still shows it");
    // In a wide window Ctrl+B hides it, and that is remembered.
    harness.set_size(egui::vec2(1400.0, 900.0));
    harness.run_steps(20);
    let with_panel = table_left(&harness);
    assert!(with_panel > 200.0);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::B);
    harness.run_steps(20);
    assert!(table_left(&harness) < 40.0);
    assert!(!harness.state().settings().side_panel_open, "and that is remembered");
    harness.get_by_label("Show the side panel").click();
    harness.run_steps(20);
    assert!((table_left(&harness) - with_panel).abs() < 1.0);
}

/// The table rows (labelled `label`) drawn where the inspector is: below the top of its view
/// tabs, and above the window's bottom.
fn rows_under_the_inspector(harness: &Harness<'_, App>, label: &str, window: egui::Vec2) -> usize {
    let inspector_top = harness.get_by_label("Tree").rect().top();
    harness
        .query_all_by_label(label)
        .filter(|row| row.rect().bottom() > inspector_top && row.rect().top() < window.y)
        .count()
}

#[test]
fn shrinking_the_window_with_a_file_open_keeps_the_rows_above_the_inspector() {
    let runtime = runtime();
    let options = AppOptions { first_run_demo: false, ..AppOptions::headless(settings(Vec::new())) };
    let large = egui::vec2(1400.0, 900.0);
    let mut harness = app_harness(&runtime, options, large);
    let mut capture = subscope::capture::Capture::new(subscope::capture::CaptureLimits::default());
    // As a file is read: each event with its own sequence number.
    capture
        .extend((1..=200).map(|slot| CapturedEvent { seq: slot, ..support::slot_notification(1, 1, slot) }));
    harness.state_mut().open_capture("slots.ndjson".into(), capture, Default::default());
    harness.run_steps(3);
    harness.key_press(Key::End);
    harness.run_steps(3);
    assert!(harness.state().selected_event().is_some(), "a row is selected");
    assert_eq!(rows_under_the_inspector(&harness, "slotNotification", large), 0);

    // Made small as a user drags the corner: through sizes in between, to 800×500.
    for size in [egui::vec2(1200.0, 760.0), egui::vec2(1000.0, 620.0), egui::vec2(800.0, 500.0)] {
        harness.set_size(size);
        harness.run_steps(4);
        assert_eq!(
            rows_under_the_inspector(&harness, "slotNotification", size),
            0,
            "rows are drawn under the inspector at {size:?}"
        );
    }
    let small = egui::vec2(800.0, 500.0);
    let rows = harness
        .query_all_by_label("slotNotification")
        .filter(|row| row.rect().bottom() <= harness.get_by_label("Tree").rect().top())
        .count();
    assert!(rows >= 3, "only {rows} rows are visible above the inspector at {small:?}");
    // The detail has the inspector's width (the rate plot steps aside): the frame's tree starts
    // inside the window.
    for label in ["Tree", "Copy raw", "frame {3}"] {
        let rect = harness.get_by_label(label).rect();
        assert!(rect.bottom() <= small.y, "{label} is below the window: {rect:?}");
    }
}

#[test]
fn a_long_connect_error_wraps_and_never_widens_the_side_panel() {
    let runtime = runtime();
    let (mut harness, mut script) = scripted(
        &runtime,
        settings(vec![endpoint(1, "far", "wss://no-such-host.invalid/ws", None)]),
        egui::vec2(1400.0, 900.0),
    );
    let before = table_left(&harness);
    let conn = open_all(&mut script, &mut harness)[0];
    let long =
        format!("failed to look up no-such-host.invalid: {}", "name or service not known; ".repeat(12));
    script.event(Event::State {
        conn,
        state: ConnState::Closed { reason: Some(ConnectError::Dns(long.clone()).into()) },
    });
    harness.run_steps(4);
    assert!(harness.query_by_label_contains("name or service not known").is_some(), "the reason is shown");
    assert!(harness.query_by_label("• closed: failed").is_some(), "the badge stays short");
    assert!((table_left(&harness) - before).abs() < 1.0, "the side panel kept its width");
}

#[test]
fn retry_now_asks_a_reconnecting_connection_to_try_at_once() {
    let runtime = runtime();
    let (mut harness, mut script) = scripted(
        &runtime,
        settings(vec![endpoint(1, "local", "ws://127.0.0.1:9", None)]),
        egui::vec2(1400.0, 900.0),
    );
    let conn = open_all(&mut script, &mut harness)[0];
    assert!(harness.query_by_label("Retry now").is_none(), "nothing to retry while open");
    script.event(Event::State {
        conn,
        state: ConnState::Reconnecting {
            retry_at_ms: u64::MAX / 2,
            attempt: 6,
            reason: subscope::backend::LostReason::Reset.into(),
        },
    });
    harness.run_steps(3);
    harness.get_by_label("Retry now").click();
    harness.run_steps(2);
    let commands = script.commands();
    assert!(
        commands.iter().any(|command| matches!(command, Command::RetryNow { conn: c } if *c == conn)),
        "{commands:?}"
    );
}

#[test]
fn an_endpoint_is_renamed_and_the_name_is_saved() {
    let runtime = runtime();
    let mut saved = endpoint(1, "Endpoint 2", "ws://127.0.0.1:9", None);
    saved.connect_on_start = false;
    let (mut harness, _script) = scripted(&runtime, settings(vec![saved]), egui::vec2(1400.0, 900.0));
    harness.run_steps(2);
    type_into(&mut harness, "Name", " (local anvil)");
    assert_eq!(harness.state().settings().endpoints[0].label, "Endpoint 2 (local anvil)");
}

#[test]
fn handshake_headers_are_sent_checked_and_their_credentials_never_saved() {
    let runtime = runtime();
    let mut saved = endpoint(1, "local", "ws://127.0.0.1:9", None);
    saved.connect_on_start = false;
    let (mut harness, mut script) = scripted(&runtime, settings(vec![saved]), egui::vec2(1400.0, 900.0));
    harness.run_steps(2);
    harness.get_by_label("Headers").click();
    harness.run_steps(2);
    harness.get_by_label("+ Add header").click();
    harness.run_steps(2);
    type_into(&mut harness, "Header name", "Bad Name");
    assert!(harness.query_by_label_contains("cannot contain ' '").is_some(), "the row says what is wrong");
    harness.get_by_label("Connect").click();
    harness.run_steps(2);
    assert!(
        !script.commands().iter().any(|command| matches!(command, Command::Connect { .. })),
        "nothing is sent with a bad header"
    );

    harness.get_by_label("Header name").focus();
    harness.run_steps(1);
    for _ in 0.."Bad Name".len() {
        harness.key_press(Key::Backspace);
    }
    harness.run_steps(2);
    type_into(&mut harness, "Header name", "Authorization");
    type_into(&mut harness, "Header value", "Bearer sk_live_0123456789abcdef");
    harness.get_by_label("Connect").click();
    harness.run_steps(2);
    let commands = script.commands();
    let Some(Command::Connect { config, .. }) = commands.first() else { panic!("{commands:?}") };
    assert_eq!(config.headers, vec![("Authorization".into(), "Bearer sk_live_0123456789abcdef".into())]);

    let saved = harness.state().settings();
    assert_eq!(saved.endpoints[0].headers, vec![("Authorization".into(), "Bearer ***".into())]);
    assert!(!saved.to_json().contains("sk_live"), "the credential never reaches the settings file");
}

#[test]
fn a_raw_frame_is_checked_as_json_sent_and_its_answer_matched() {
    let runtime = runtime();
    let (mut harness, mut script) = scripted(
        &runtime,
        settings(vec![endpoint(1, "local", "ws://127.0.0.1:9", Some(Chain::Solana))]),
        egui::vec2(1400.0, 1200.0),
    );
    let conn = open_all(&mut script, &mut harness)[0];
    harness.get_by_label("One-off request").click();
    harness.run_steps(2);
    harness.get_by_label("Raw JSON").click();
    harness.run_steps(2);

    type_into(&mut harness, "Raw frame", r#"{"method": "getHealth""#);
    assert!(harness.query_by_label_contains("Not valid JSON").is_some(), "the error is at the field");
    harness.get_by_label("Send request").click();
    harness.run_steps(2);
    assert!(script.commands().is_empty(), "nothing is sent");

    type_into(&mut harness, "Raw frame", "}");
    harness.get_by_label("Send request").click();
    harness.run_steps(2);
    let commands = script.commands();
    let Some(Command::Request { request, method, params, .. }) = commands.first() else {
        panic!("{commands:?}")
    };
    assert_eq!((method.as_str(), params), ("getHealth", &None));
    script.event(Event::Response { conn, request: *request, result: Ok(r#""ok""#.into()) });
    harness.run_steps(3);
    assert!(harness.query_by_label("Response to getHealth").is_some());

    // A subscribe method outside the catalogue becomes a subscription with its family's rules.
    harness.get_by_label("Raw frame").focus();
    harness.run_steps(1);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.run_steps(1);
    harness.get_by_label("Raw frame").type_text(r#"{"jsonrpc":"2.0","id":9,"method":"voteSubscribe"}"#);
    harness.run_steps(3);
    harness.get_by_label("Send (subscribes)").click();
    harness.run_steps(2);
    let commands = script.commands();
    let Some(Command::Subscribe { method, rules, .. }) = commands.first() else { panic!("{commands:?}") };
    assert_eq!((method.as_str(), &*rules.unsubscribe_method), ("voteSubscribe", "voteUnsubscribe"));
}

#[test]
fn the_composer_offers_the_endpoints_chain_and_learns_a_custom_urls_chain() {
    let runtime = runtime();
    let (mut harness, mut script) = scripted(
        &runtime,
        settings(vec![endpoint(1, "anvil", "ws://127.0.0.1:8545", Some(Chain::Ethereum))]),
        egui::vec2(1400.0, 900.0),
    );
    open_all(&mut script, &mut harness);
    harness.get_by_role_and_label(Role::ComboBox, "Subscribe to").click();
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("eth_subscribe newHeads").is_some());
    assert!(harness.query_by_label_contains("logsSubscribe").is_none(), "no Solana methods for anvil");

    // A custom URL with no chain yet: its first accepted subscription tells.
    drop(harness);
    let mut saved = endpoint(1, "custom", "ws://127.0.0.1:8546", None);
    saved.subscriptions = Draft::for_method("eth_subscribe:newHeads").into_iter().collect();
    let (mut harness, mut script) = scripted(&runtime, settings(vec![saved]), egui::vec2(1400.0, 900.0));
    let conn = open_all(&mut script, &mut harness)[0];
    assert_eq!(harness.state().endpoints()[0].chain, None);
    script.event(Event::Subscription {
        conn,
        sub: 1,
        outcome: SubscribeOutcome::Active(SubId::Str("0xabc".into())),
        resubscribed: false,
    });
    harness.run_steps(2);
    assert_eq!(harness.state().endpoints()[0].chain, Some(Chain::Ethereum));
    assert_eq!(harness.state().settings().endpoints[0].chain, Some(Chain::Ethereum), "and it is saved");

    // The demo serves both chains, with faults in its URL too: it learns no chain.
    drop(harness);
    let mut saved = endpoint(1, "faulty demo", "demo?delay_ms=200", None);
    saved.subscriptions = Draft::for_method("eth_subscribe:newHeads").into_iter().collect();
    let (mut harness, mut script) = scripted(&runtime, settings(vec![saved]), egui::vec2(1400.0, 900.0));
    let conn = open_all(&mut script, &mut harness)[0];
    script.event(Event::Subscription {
        conn,
        sub: 1,
        outcome: SubscribeOutcome::Active(SubId::Str("0xabc".into())),
        resubscribed: false,
    });
    harness.run_steps(2);
    assert_eq!(harness.state().endpoints()[0].chain, None, "the demo keeps both chains");
}

/// The app with two Solana endpoints named `names` (ws://127.0.0.1:9 and :10), on a scripted
/// backend, in a window of `size`.
fn two_solana_endpoints(
    runtime: &tokio::runtime::Runtime,
    names: [&str; 2],
    size: egui::Vec2,
) -> (Harness<'static, App>, Script) {
    let endpoints = vec![
        endpoint(1, names[0], "ws://127.0.0.1:9", Some(Chain::Solana)),
        endpoint(2, names[1], "ws://127.0.0.1:10", Some(Chain::Solana)),
    ];
    scripted(runtime, settings(endpoints), size)
}

#[test]
fn a_one_off_answer_shows_beside_its_own_connection_only() {
    let runtime = runtime();
    let (mut harness, mut script) =
        two_solana_endpoints(&runtime, ["first", "second"], egui::vec2(1400.0, 1600.0));
    let conns = open_all(&mut script, &mut harness);
    harness.get_by_label("One-off request").click();
    harness.run_steps(2);
    harness.get_by_label("Common requests").click();
    harness.run_steps(2);
    harness.get_by_label("getSlot").click();
    harness.run_steps(2);
    harness.get_by_label("Send request").click();
    harness.run_steps(2);
    let commands = script.commands();
    let Some(Command::Request { request, conn, .. }) = commands.first() else { panic!("{commands:?}") };
    assert_eq!(*conn, conns[0]);
    let error = RpcError { code: -32601, message: "Method not found".into(), data: None };
    script.event(Event::Response { conn: conns[0], request: *request, result: Err(error) });
    harness.run_steps(3);
    assert!(harness.query_by_label_contains("Method not found").is_some());

    harness.get_by_role_and_label(Role::ComboBox, "Send on").click();
    harness.run_steps(2);
    harness.get_by_label("second (open)").click();
    harness.run_steps(3);
    assert!(harness.query_by_label_contains("Method not found").is_none(), "not the other endpoint's error");
}

/// Picks slotSubscribe in the composer.
fn pick_slot_subscribe(harness: &mut Harness<'_, App>) {
    harness.get_by_role_and_label(Role::ComboBox, "Subscribe to").click();
    harness.run_steps(2);
    harness.get_by_label_contains("slotSubscribe").click();
    harness.run_steps(2);
}

/// Subscribes to slots on the two endpoints of `scripted`'s harness (the composer's "Also
/// on"); returns (connection, subscription) of each.
fn slots_on_both(harness: &mut Harness<'_, App>, script: &mut Script) -> Vec<(u32, u64)> {
    pick_slot_subscribe(harness);
    harness.get_by_role_and_label(Role::CheckBox, "slow").click(); // "Also on"
    harness.run_steps(2);
    harness.get_by_label("Subscribe").click();
    harness.run_steps(2);
    slot_subscriptions_sent(script)
}

/// The (connection, subscription) of every slotSubscribe sent since the last look.
fn slot_subscriptions_sent(script: &mut Script) -> Vec<(u32, u64)> {
    script
        .commands()
        .iter()
        .filter_map(|command| match command {
            Command::Subscribe { conn, sub, method, .. } if method == "slotSubscribe" => Some((*conn, *sub)),
            _ => None,
        })
        .collect()
}

/// The fast endpoint's slots every 400 ms from `base`, the slow one's `behind_ms` later and
/// never slot 10, in order of arrival.
fn fast_and_slow(subs: &[(u32, u64)], base: u64, slots: u64, behind_ms: u64) -> Vec<CapturedEvent> {
    let mut frames = Vec::new();
    for slot in 1..=slots {
        let mut fast = support::slot_notification(subs[0].0, subs[0].1, slot);
        fast.received_at_ms = base + slot * 400;
        frames.push(fast);
        if slot != 10 {
            let mut slow = support::slot_notification(subs[1].0, subs[1].1, slot);
            slow.received_at_ms = base + slot * 400 + behind_ms;
            frames.push(slow);
        }
    }
    frames.sort_by_key(|frame| frame.received_at_ms);
    frames
}

#[test]
fn a_backlog_taken_over_several_frames_is_compared_by_its_own_times() {
    let runtime = runtime();
    let (mut harness, mut script) =
        two_solana_endpoints(&runtime, ["fast", "slow"], egui::vec2(1400.0, 1000.0));
    open_all(&mut script, &mut harness);
    let subs = slots_on_both(&mut harness, &mut script);
    // Two minutes of slots that arrive at once (the window was busy): the app takes them in
    // over several frames, while the wall clock is far past every item's grace window.
    let slots = 3_000;
    let base = subscope::capture::now_ms() - slots * 400 - 120_000;
    script.frames(fast_and_slow(&subs, base, slots, 5_000));
    let mut frames = 0;
    while harness.state().capture().len() < (2 * slots - 1) as usize {
        harness.run_steps(1);
        frames += 1;
        assert!(frames < 10_000, "the backlog was not taken in");
    }
    assert!(frames > 1, "taken in over several frames");
    let report = harness.state().compare_report();
    let group = report.groups.iter().find(|group| group.method == "slotSubscribe").unwrap();
    let slow = &group.endpoints[1].stats;
    assert_eq!((slow.received, slow.missed, slow.late), (slots - 1, 1, 0), "only slot 10 is missed");
}

#[test]
fn one_subscription_on_two_endpoints_is_compared_in_the_compare_tab() {
    let runtime = runtime();
    let (mut harness, mut script) =
        two_solana_endpoints(&runtime, ["fast", "slow"], egui::vec2(1400.0, 1000.0));
    let conns = open_all(&mut script, &mut harness);
    let subs = slots_on_both(&mut harness, &mut script);
    assert_eq!(subs.iter().map(|(conn, _)| *conn).collect::<Vec<_>>(), conns, "sent on both");

    // The fast endpoint delivers slots 1..=30 every 400 ms; the slow one 200 ms later and
    // never slot 10.
    let base = subscope::capture::now_ms() - 30_000;
    script.frames(fast_and_slow(&subs, base, 30, 200));
    harness.run_steps(3);

    let report = harness.state().compare_report();
    let group = report.groups.iter().find(|group| group.method == "slotSubscribe").unwrap();
    let (fast, slow) = (&group.endpoints[0].stats, &group.endpoints[1].stats);
    assert_eq!((fast.received, fast.first, fast.missed), (30, 30, 0));
    assert_eq!((slow.received, slow.first, slow.missed), (29, 0, 1), "slot 10 settled as missed");

    harness.get_by_label("Compare").click();
    harness.run_steps(3);
    assert!(harness.query_by_label("plot lags").is_some(), "the group is listed");
    assert!(harness.query_by_label("missed").is_some(), "with its counts");
    assert!(harness.query_by_label("200 / 200 / 200 / 200 ms").is_some(), "the slow endpoint's p50…max");
    // Selecting a row of the slow endpoint says when each delivered that item.
    harness.key_press(Key::End);
    harness.run_steps(3);
    assert!(harness.query_by_label_contains("Selected item: slot 30").is_some());
    assert!(harness.query_by_label("slow: +200 ms").is_some());

    // In an 800×500 window the table of counts keeps its problem columns on screen.
    let small = egui::vec2(800.0, 500.0);
    harness.set_size(small);
    harness.run_steps(4);
    for heading in ["missed", "gaps", "stalls"] {
        let rect = harness.get_by_label(heading).rect();
        assert!(rect.right() <= small.x && rect.bottom() <= small.y, "{heading} is off-screen: {rect:?}");
    }
}

#[test]
fn slots_on_two_chains_are_never_compared_together() {
    let runtime = runtime();
    let (mut harness, mut script) =
        two_solana_endpoints(&runtime, ["fast", "slow"], egui::vec2(1400.0, 1000.0));
    // Two demo servers: the same kind of chain, two genesis hashes.
    open_on_chains(&mut script, &mut harness, &["GenesisOne", "GenesisTwo"]);
    pick_slot_subscribe(&mut harness);
    assert!(harness.query_by_label("Also on").is_none(), "nothing of the same chain to send it on too");
    harness.get_by_label("Subscribe").click();
    harness.run_steps(2);
    // The same subscription on the other server, on its own.
    harness.get_by_role_and_label(Role::ComboBox, "Send on").click();
    harness.run_steps(2);
    harness.get_by_label("slow (open)").click();
    harness.run_steps(2);
    harness.get_by_label("Subscribe").click();
    harness.run_steps(2);
    let subs = slot_subscriptions_sent(&mut script);
    assert_eq!(subs.len(), 2, "{subs:?}");
    // Each server delivers its own chain's slots, which are nothing alike.
    let base = subscope::capture::now_ms() - 30_000;
    script.frames(fast_and_slow(&subs, base, 30, 200));
    harness.run_steps(3);

    let report = harness.state().compare_report();
    let slots: Vec<_> = report.groups.iter().filter(|group| group.method == "slotSubscribe").collect();
    assert_eq!(slots.len(), 2, "one group per chain: {report:?}");
    for group in slots {
        assert_eq!(group.endpoints.len(), 1, "{group:?}");
        assert_eq!(group.endpoints[0].stats.missed, 0, "nothing to miss alone: {group:?}");
    }
}

#[test]
fn an_opened_capture_is_served_and_subscribed_on_again() {
    use subscope::export::{ImportOptions, Progress, import_file};
    let runtime = runtime();
    let options = AppOptions { first_run_demo: false, ..AppOptions::headless(settings(Vec::new())) };
    let mut harness = app_harness(&runtime, options, egui::vec2(1400.0, 1000.0));
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chrome-websockets.har");
    let imported = import_file(&fixture, &Progress::default(), ImportOptions::default());
    let mut capture = subscope::capture::Capture::new(subscope::capture::CaptureLimits::default());
    capture.extend(imported.events);
    harness.state_mut().open_capture("chrome-websockets.har".into(), capture, imported.context);
    harness.run_steps(2);

    harness.get_by_label("Serve as an endpoint").click();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let replay =
        |app: &App| app.endpoints().iter().position(|e| e.label == "Replay of chrome-websockets.har");
    while !replay(harness.state()).is_some_and(|index| harness.state().endpoints()[index].is_open()) {
        assert!(std::time::Instant::now() < deadline, "the replay endpoint never opened");
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let index = replay(harness.state()).unwrap();
    assert!(harness.state().endpoints()[index].url.starts_with("ws://127.0.0.1:"));
    assert!(
        harness.state().settings().endpoints.iter().all(|e| !e.label.starts_with("Replay of")),
        "a replay is for this run only: not saved"
    );

    // The live view: subscribe on the replay with the recorded request; its slots come back.
    harness.get_by_label("Live").click();
    harness.run_steps(2);
    pick_slot_subscribe(&mut harness);
    harness.get_by_label("Subscribe").click();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !harness.state().capture().iter().any(|event| event.raw.contains("slotNotification")) {
        assert!(std::time::Instant::now() < deadline, "no recorded slot came back from the replay");
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
