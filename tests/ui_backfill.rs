//! The window's controls for recovering missed events, driven through egui_kittest on a
//! scripted backend (no sockets, no sleeps): the per-subscription "Recover missed events"
//! toggle and its count, the reason shown for a kind that cannot be recovered, and the
//! endpoint's HTTP RPC URL (masked, its key moved like the URL's, validated before sending).

#![cfg(feature = "gui")]
#![expect(clippy::unwrap_used, reason = "tests")]

mod support;

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{By, NodeT as _, Queryable as _};
use subscope::app::App;
use subscope::app::settings::{SavedEndpoint, Settings};
use subscope::backend::{Command, ConnState, Event, Script, SubscribeOutcome};
use subscope::capture::{CapturedEvent, Recovery, RecoveryReason, RecoveryVia};
use subscope::catalog::Draft;
use subscope::protocol::SubId;
use subscope::session::Backfill;
use support::ui::{control, runtime, scripted};

const WINDOW: egui::Vec2 = egui::vec2(1400.0, 1000.0);
const TOGGLE: &str = "Recover missed events";

fn settings(subscriptions: Vec<Draft>, connect_on_start: bool) -> Settings {
    let endpoint = SavedEndpoint {
        id: 1,
        label: "local".into(),
        url: "ws://127.0.0.1:9".into(),
        connect_on_start,
        subscriptions,
        ..SavedEndpoint::default()
    };
    Settings { welcomed: true, endpoints: vec![endpoint], ..Settings::default() }
}

/// The app connected on start with these forms, the connection open and every subscription
/// active; returns the connection and the subscriptions' keys.
fn connected(drafts: Vec<Draft>) -> (Harness<'static, App>, Script, u32, Vec<u64>, tokio::runtime::Runtime) {
    let runtime = runtime();
    let (mut harness, mut script) = scripted(&runtime, settings(drafts, true), WINDOW);
    let commands = script.commands();
    let Some(Command::Connect { conn, .. }) = commands.first() else { panic!("{commands:?}") };
    let conn = *conn;
    let subs: Vec<u64> = commands
        .iter()
        .filter_map(|command| match command {
            Command::Subscribe { sub, .. } => Some(*sub),
            _ => None,
        })
        .collect();
    script.event(Event::State { conn, state: ConnState::Open });
    for (id, sub) in subs.iter().enumerate() {
        let outcome = SubscribeOutcome::Active(SubId::Num(id as u64));
        script.event(Event::Subscription { conn, sub: *sub, outcome, resubscribed: false });
    }
    harness.run_steps(3);
    (harness, script, conn, subs, runtime)
}

fn slot_draft() -> Draft {
    Draft::for_method("slotSubscribe").unwrap()
}

/// The backfill commands sent since the last look, as (subscription, on).
fn backfill_commands(script: &mut Script) -> Vec<(u64, bool)> {
    script
        .commands()
        .into_iter()
        .filter_map(|command| match command {
            Command::Backfill { sub, on, .. } => Some((sub, on)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_toggle_turns_recovery_off_and_on_and_the_choice_is_saved() {
    let (mut harness, mut script, _conn, subs, _runtime) = connected(vec![slot_draft()]);
    assert_eq!(backfill_commands(&mut script), [], "on by default: nothing to send");
    assert_eq!(harness.state().subscriptions()[0].backfill, Backfill::On);

    harness.get_by_role_and_label(Role::CheckBox, TOGGLE).click();
    harness.run_steps(3);
    assert_eq!(backfill_commands(&mut script), [(subs[0], false)]);
    assert_eq!(harness.state().subscriptions()[0].backfill, Backfill::Off);
    let saved = harness.state().settings();
    assert!(!saved.endpoints[0].subscriptions[0].recover, "saved with the subscription's form");

    harness.get_by_role_and_label(Role::CheckBox, TOGGLE).click();
    harness.run_steps(3);
    assert_eq!(backfill_commands(&mut script), [(subs[0], true)]);
    assert!(harness.state().settings().endpoints[0].subscriptions[0].recover);
}

#[test]
fn a_subscription_saved_with_recovery_off_is_sent_with_it_off() {
    let off = Draft { recover: false, ..slot_draft() };
    let runtime = runtime();
    let (harness, mut script) = scripted(&runtime, settings(vec![off], true), WINDOW);
    let commands = script.commands();
    let [
        Command::Connect { .. },
        Command::Subscribe { sub, .. },
        Command::Backfill { sub: off, on: false, .. },
    ] = commands.as_slice()
    else {
        panic!("{commands:?}")
    };
    assert_eq!(sub, off);
    assert_eq!(harness.state().subscriptions()[0].backfill, Backfill::Off);
}

#[test]
fn an_unrecoverable_subscription_says_why_and_has_no_toggle() {
    let pending = Draft::for_method("eth_subscribe:newPendingTransactions").unwrap();
    let (mut harness, mut script, _conn, _subs, _runtime) = connected(vec![pending]);
    harness.run_steps(2);
    let reason = "Missed events cannot be recovered: pending transactions are not kept by any node once \
                  mined or dropped.";
    assert!(harness.query_by_label(reason).is_some(), "the card says why");
    assert!(harness.query_by_role_and_label(Role::CheckBox, TOGGLE).is_none(), "no toggle to turn");
    assert_eq!(backfill_commands(&mut script), []);
}

/// A recovered `slotNotification`, as a connection reports one after a gap.
fn recovered_slot(conn: u32, sub: u64, slot: u64) -> CapturedEvent {
    CapturedEvent {
        recovered: Some(Recovery::new(RecoveryReason::Gap, RecoveryVia::GetBlocks)),
        ..support::slot_notification(conn, sub, slot)
    }
}

#[test]
fn recovered_frames_raise_the_cards_count_and_read_recovered_in_the_table() {
    let (mut harness, mut script, conn, subs, _runtime) = connected(vec![slot_draft()]);
    script.frames((100..102).map(|slot| support::slot_notification(conn, subs[0], slot)));
    harness.run_steps(3);
    assert!(harness.query_by_label("0 recovered").is_some(), "live rows are not counted");

    script.frames((102..105).map(|slot| recovered_slot(conn, subs[0], slot)));
    script.frames([support::slot_notification(conn, subs[0], 105)]);
    harness.run_steps(3);
    assert_eq!(harness.state().visible_rows(), 6);
    assert!(harness.query_by_label("3 recovered").is_some(), "the card counts the recovered rows");
    assert_eq!(harness.query_all_by_label("recovered").count(), 3, "the Kind cell of each recovered row");
    let details = "recovered (missed while disconnected, getBlocks)";
    assert_eq!(harness.query_all_by_label_contains(details).count(), 3);
}

/// Replaces the whole text of a labelled field as a user pasting does, then leaves it.
fn paste_into(harness: &mut Harness<'_, App>, label: &str, text: &str) {
    control(harness, label).focus();
    harness.run_steps(2);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    control(harness, label).type_text(text);
    harness.run_steps(2);
    harness.key_press(Key::Escape);
    harness.run_steps(3);
}

/// Whether any node of the window, label or value, shows `text`.
fn shown_anywhere(harness: &Harness<'_, App>, text: &str) -> bool {
    harness
        .query_all(By::new().predicate(move |node| {
            node.label().is_some_and(|label| label.contains(text))
                || node.value().is_some_and(|value| value.contains(text))
                || node.placeholder().is_some_and(|hint| hint.contains(text))
        }))
        .next()
        .is_some()
}

#[test]
fn a_key_pasted_into_the_rpc_url_is_masked_moved_and_sent_as_a_placeholder() {
    const KEY: &str = "AbCdEf0123456789XyZw";
    let runtime = runtime();
    let (mut harness, mut script) = scripted(&runtime, settings(vec![], false), WINDOW);
    harness.run_steps(3);
    let hint = control(&harness, "HTTP RPC URL").accesskit_node().placeholder().map(str::to_owned);
    assert_eq!(hint.as_deref(), Some("derived: http://127.0.0.1:9"), "empty: the derived URL is the hint");

    paste_into(&mut harness, "HTTP RPC URL", &format!("https://eth-mainnet.g.alchemy.com/v2/{KEY}"));
    assert_eq!(
        control(&harness, "HTTP RPC URL").value().as_deref(),
        Some("https://eth-mainnet.g.alchemy.com/v2/***"),
        "masked when not focused"
    );
    assert!(harness.query_by_label_contains("holds a key in clear").is_some());
    assert!(!shown_anywhere(&harness, KEY), "no label, value or hint shows the key");
    let unsaved = serde_json::to_string(&harness.state().settings()).unwrap();
    assert!(!unsaved.contains(KEY) && unsaved.contains("alchemy.com/v2/***"), "{unsaved}");

    harness.get_by_label("Move the key to the API key field").click();
    harness.run_steps(3);
    assert_eq!(
        control(&harness, "HTTP RPC URL").value().as_deref(),
        Some("https://eth-mainnet.g.alchemy.com/v2/{api_key}")
    );
    assert_eq!(harness.state().endpoints()[0].api_key, KEY, "the endpoint's one key");
    assert!(!shown_anywhere(&harness, KEY), "the API key field is a password field");

    harness.get_by_label("Connect").click();
    harness.run_steps(3);
    let commands = script.commands();
    let Some(Command::Connect { config, .. }) = commands.first() else { panic!("{commands:?}") };
    assert_eq!(config.rpc_url.as_deref(), Some("https://eth-mainnet.g.alchemy.com/v2/{api_key}"));
    assert_eq!(config.api_key.as_ref().map(subscope::redact::Secret::expose), Some(KEY));
    harness.run_steps(2);
    assert!(!shown_anywhere(&harness, KEY), "nor once connected");
    let saved = serde_json::to_string(&harness.state().settings()).unwrap();
    assert!(!saved.contains(KEY) && saved.contains("v2/{api_key}"), "{saved}");
}

#[test]
fn a_key_in_the_url_is_masked_in_the_derived_rpc_hint() {
    const KEY: &str = "AbCdEf0123456789XyZw";
    let runtime = runtime();
    let (mut harness, _script) = scripted(&runtime, settings(vec![], false), WINDOW);
    harness.run_steps(2);
    paste_into(&mut harness, "URL", &format!("wss://eth-mainnet.g.alchemy.com/v2/{KEY}"));
    let hint = control(&harness, "HTTP RPC URL").accesskit_node().placeholder().map(str::to_owned);
    assert_eq!(hint.as_deref(), Some("derived: https://eth-mainnet.g.alchemy.com/v2/***"));
    assert!(!shown_anywhere(&harness, KEY));
}

#[test]
fn an_rpc_url_that_is_not_http_shows_an_error_and_nothing_is_sent() {
    let runtime = runtime();
    let (mut harness, mut script) = scripted(&runtime, settings(vec![slot_draft()], false), WINDOW);
    harness.run_steps(2);
    paste_into(&mut harness, "HTTP RPC URL", "ws://127.0.0.1:8899");
    let error = "The HTTP RPC URL must start with http:// or https:// (leave it empty to use the one derived \
                 from the URL).";
    assert!(harness.query_by_label(error).is_some(), "the error is under the field");
    harness.get_by_label("Connect").click();
    harness.run_steps(3);
    assert!(script.commands().is_empty(), "nothing is sent");
    assert!(!harness.state().endpoints()[0].is_live());

    paste_into(&mut harness, "HTTP RPC URL", "http://127.0.0.1:8899");
    assert!(harness.query_by_label(error).is_none(), "fixed");
    harness.get_by_label("Connect").click();
    harness.run_steps(3);
    let commands = script.commands();
    let Some(Command::Connect { config, .. }) = commands.first() else { panic!("{commands:?}") };
    assert_eq!(config.rpc_url.as_deref(), Some("http://127.0.0.1:8899"));
}
