//! The live table as a DevTools user drives it: the keyboard, Escape, a row's context menu,
//! gap lines, the kind/direction/subscription filters and regex errors. The window runs on a
//! scripted backend: no sockets, no sleeps.

#![cfg(feature = "gui")]
#![expect(clippy::unwrap_used, reason = "tests")]

mod support;

use std::sync::Arc;

use egui::Key;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use subscope::app::App;
use subscope::app::settings::{SavedEndpoint, Settings};
use subscope::backend::{Command, ConnState, Event, Script, SubscribeOutcome};
use subscope::capture::{CapturedEvent, ConnId, Direction, SubKey};
use subscope::catalog::Draft;
use subscope::protocol::meta::{GapRecord, gap_json};
use subscope::protocol::{FrameKind, SubId};
use support::ui::{control, rows_in_view, runtime};

/// A connection the script opened, with its subscriptions.
type Connection = (ConnId, Vec<SubKey>);

/// The app on a scripted backend with these endpoints (each with slot subscriptions),
/// connected and subscribed; returns the connections and their subscriptions.
fn window(
    runtime: &tokio::runtime::Runtime,
    endpoints: &[(&str, usize)],
    utc_times: bool,
) -> (Harness<'static, App>, Script, Vec<Connection>) {
    window_with(runtime, endpoints, Settings { utc_times, ..Settings::default() })
}

/// [`window`] with these settings besides the endpoints.
fn window_with(
    runtime: &tokio::runtime::Runtime,
    endpoints: &[(&str, usize)],
    base: Settings,
) -> (Harness<'static, App>, Script, Vec<Connection>) {
    let saved = endpoints
        .iter()
        .enumerate()
        .map(|(index, (label, subs))| SavedEndpoint {
            id: index as u64 + 1,
            label: (*label).to_owned(),
            url: format!("ws://127.0.0.1:{}", 9 + index),
            connect_on_start: true,
            subscriptions: vec![Draft::for_method("slotSubscribe").unwrap(); *subs],
            ..SavedEndpoint::default()
        })
        .collect();
    let settings = Settings { welcomed: true, endpoints: saved, ..base };
    let (mut harness, mut script) = support::ui::scripted(runtime, settings, egui::vec2(1400.0, 1000.0));
    let mut conns: Vec<Connection> = Vec::new();
    for command in script.commands() {
        match command {
            Command::Connect { conn, .. } => conns.push((conn, Vec::new())),
            Command::Subscribe { conn, sub, .. } => {
                conns.iter_mut().find(|(c, _)| *c == conn).unwrap().1.push(sub);
            }
            _ => {}
        }
    }
    for (conn, subs) in &conns {
        script.event(Event::State { conn: *conn, state: ConnState::Open });
        for sub in subs {
            script.event(Event::Subscription {
                conn: *conn,
                sub: *sub,
                outcome: SubscribeOutcome::Active(SubId::Num(*sub)),
                resubscribed: false,
            });
        }
    }
    harness.run_steps(2);
    (harness, script, conns)
}

fn frame(
    conn: ConnId,
    sub: Option<SubKey>,
    direction: Direction,
    kind: FrameKind,
    raw: &str,
) -> CapturedEvent {
    CapturedEvent {
        seq: 0,
        received_at_ms: 0,
        connection: conn,
        subscription: sub,
        direction,
        kind,
        method: None,
        raw: raw.into(),
        redacted: false,
        recovered: None,
    }
}

fn slot(conn: ConnId, sub: SubKey, slot: u64) -> CapturedEvent {
    let raw = format!(
        r#"{{"jsonrpc":"2.0","method":"slotNotification","params":{{"result":{{"slot":{slot},"parent":{},"root":0}},"subscription":{sub}}}}}"#,
        slot - 1
    );
    CapturedEvent {
        method: Some(Arc::from("slotNotification")),
        ..frame(conn, Some(sub), Direction::In, FrameKind::Notification, &raw)
    }
}

/// The window on one connection that received slots 100 to 159 on one subscription.
fn sixty_slots(runtime: &tokio::runtime::Runtime) -> (Harness<'static, App>, Script, (ConnId, SubKey)) {
    let (mut harness, mut script, conns) = window(runtime, &[("node", 1)], true);
    let (conn, sub) = (conns[0].0, conns[0].1[0]);
    script.frames((100..160).map(|n| slot(conn, sub, n)));
    harness.run_steps(3);
    (harness, script, (conn, sub))
}

fn press(harness: &mut Harness<'_, App>, key: Key) {
    harness.key_press(key);
    harness.run_steps(3);
}

fn selected_seq(harness: &Harness<'_, App>) -> Option<u64> {
    harness.state().selected_event().map(|event| event.seq)
}

fn visible_seqs(harness: &Harness<'_, App>) -> Vec<u64> {
    harness.state().visible_events().iter().map(|event| event.seq).collect()
}

fn type_filter(harness: &mut Harness<'_, App>, text: &str) {
    harness.get_by_label("Filter").focus();
    harness.run_steps(2);
    harness.get_by_label("Filter").type_text(text);
    harness.run_steps(3);
}

#[test]
fn arrows_page_home_and_end_move_the_selection_and_the_detail_follows() {
    let runtime = runtime();
    let (mut harness, _script, _) = sixty_slots(&runtime);
    let seqs = visible_seqs(&harness);
    assert_eq!(seqs.len(), 60);
    assert_eq!(selected_seq(&harness), None);
    assert!(harness.query_by_label("Select a row to see its JSON.").is_some());

    press(&mut harness, Key::ArrowDown);
    assert_eq!(selected_seq(&harness), Some(seqs[0]), "Down with nothing selected picks the first row");
    press(&mut harness, Key::ArrowDown);
    assert_eq!(selected_seq(&harness), Some(seqs[1]));
    assert!(
        harness.query_by_label_contains(&format!("#{}  ·", seqs[1])).is_some(),
        "the detail shows the selected event"
    );
    assert!(
        harness.query_by_label_contains("\"slot\": 101").is_some()
            || harness.query_by_label_contains("slot: 101").is_some()
    );

    press(&mut harness, Key::End);
    assert_eq!(selected_seq(&harness), Some(seqs[59]));
    assert!(
        harness.query_by_label_contains(&format!("#{}  ·", seqs[59])).is_some(),
        "the detail follows to the last row"
    );
    press(&mut harness, Key::ArrowUp);
    assert_eq!(selected_seq(&harness), Some(seqs[58]));
    press(&mut harness, Key::Home);
    assert_eq!(selected_seq(&harness), Some(seqs[0]));
    press(&mut harness, Key::PageDown);
    let paged = seqs.iter().position(|seq| Some(*seq) == selected_seq(&harness)).unwrap();
    assert!(paged > 3, "PageDown moves by a screenful, not one row (moved to row {paged})");
    press(&mut harness, Key::PageUp);
    assert_eq!(selected_seq(&harness), Some(seqs[0]));

    // The last row is scrolled into view: its cells are drawn.
    press(&mut harness, Key::End);
    assert!(harness.query_by_label("159").is_some(), "the table scrolled to the selected row");

    // Keys typed into the filter field stay there.
    type_filter(&mut harness, "slot");
    let before = selected_seq(&harness);
    press(&mut harness, Key::Home);
    assert_eq!(selected_seq(&harness), before, "Home in a text field does not move the selection");
}

/// Narrow the rows down, pick one, widen them again: the row picked stays in view (it was
/// left above the new rows' top, sixty rows from it).
#[test]
fn a_selected_row_stays_in_view_when_the_filter_changes() {
    let runtime = runtime();
    let (mut harness, _script, _) = sixty_slots(&runtime);
    press(&mut harness, Key::Home);
    type_filter(&mut harness, "\"slot\":15");
    press(&mut harness, Key::Escape); // leaves the field, the filter stays
    assert_eq!(harness.state().visible_rows(), 10, "slots 150..159");
    press(&mut harness, Key::End);
    let picked = selected_seq(&harness);
    assert!(rows_in_view(&harness, 150..160).contains(&159));

    harness.get_by_label("Reset filter").click();
    harness.run_steps(4);
    assert_eq!(harness.state().visible_rows(), 60);
    assert_eq!(selected_seq(&harness), picked, "still selected");
    assert!(
        rows_in_view(&harness, 100..160).contains(&159),
        "in view: {:?}",
        rows_in_view(&harness, 100..160)
    );
}

/// A Clear by mistake loses nothing: Undo (or Ctrl+Z) puts the rows back before those that
/// came since, until the next Clear.
#[test]
fn clear_can_be_undone_with_the_rows_that_came_since_after_it() {
    let runtime = runtime();
    let (mut harness, mut script, (conn, sub)) = sixty_slots(&runtime);
    let before = visible_seqs(&harness);
    harness.get_by_label("Clear").click();
    harness.run_steps(3);
    assert_eq!(harness.state().visible_rows(), 0);
    assert!(harness.query_by_label("cleared 60 events").is_some(), "the status bar offers it back");
    script.frames((160..163).map(|n| slot(conn, sub, n)));
    harness.run_steps(3);
    assert_eq!(harness.state().visible_rows(), 3, "the stream goes on meanwhile");

    harness.get_by_label("Undo").click();
    harness.run_steps(3);
    let after = visible_seqs(&harness);
    assert_eq!(after.len(), 63);
    assert_eq!(after[..60], before[..], "the cleared rows first, as they were");
    assert!(after.windows(2).all(|pair| pair[0] < pair[1]), "then the new ones, in order");
    assert!(harness.query_by_label("Undo").is_none(), "once");

    // The keys: Ctrl+L (twice, as a key held down repeats it), then Ctrl+Z.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::L);
    harness.run_steps(3);
    assert_eq!(harness.state().visible_rows(), 0);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::L);
    harness.run_steps(3);
    assert!(harness.query_by_label("cleared 63 events").is_some(), "the second takes nothing from it");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::Z);
    harness.run_steps(3);
    assert_eq!(visible_seqs(&harness), after);
}

#[test]
fn escape_clears_the_selection_then_the_filter() {
    let runtime = runtime();
    let (mut harness, mut script, conns) = window(&runtime, &[("node", 1)], true);
    let (conn, sub) = (conns[0].0, conns[0].1[0]);
    script.frames((95..110).map(|n| slot(conn, sub, n)));
    harness.run_steps(3);
    type_filter(&mut harness, "\"slot\":10");
    press(&mut harness, Key::Escape); // leaves the field, the filter stays
    assert_eq!(harness.state().visible_rows(), 10, "slots 100..109 contain \"slot\":10");
    press(&mut harness, Key::ArrowDown);
    assert!(selected_seq(&harness).is_some());

    press(&mut harness, Key::Escape);
    assert_eq!(selected_seq(&harness), None, "the first Escape clears the selection");
    assert_eq!(harness.state().visible_rows(), 10, "and keeps the filter");
    press(&mut harness, Key::Escape);
    assert_eq!(harness.state().table().filter.text, "", "the second clears the filter");
    assert_eq!(harness.state().visible_rows(), 15);
}

#[test]
fn a_rows_context_menu_filters_to_its_subscription_and_offers_export() {
    let runtime = runtime();
    let (mut harness, mut script, conns) = window(&runtime, &[("node", 2)], true);
    let (conn, subs) = (conns[0].0, conns[0].1.clone());
    script.frames((100..106).map(|n| slot(conn, subs[(n % 2) as usize], n)));
    harness.run_steps(3);
    assert_eq!(harness.state().visible_rows(), 6);

    // Right click a row of the second subscription (its Slot / block cell).
    harness.get_by_label("103").click_secondary();
    harness.run_steps(3);
    let row_sub = harness.state().selected_event().and_then(|event| event.subscription);
    assert_eq!(row_sub, Some(subs[1]), "a right click selects the row");
    assert_eq!(harness.query_all_by_label("Copy raw").count(), 2, "the menu's, beside the detail view's");
    assert!(harness.query_by_label("Copy pretty JSON").is_some());
    assert!(harness.query_by_label("Filter to this connection").is_some());
    harness.get_by_label("Filter to this subscription").click();
    harness.run_steps(3);
    let shown = harness.state().visible_events().iter().map(|event| event.subscription).collect::<Vec<_>>();
    assert_eq!(shown, vec![Some(subs[1]); 3], "only that subscription's rows remain");
    assert_eq!(harness.state().table().filter.subscription, Some(subs[1]));

    harness.get_by_label("105").click_secondary();
    harness.run_steps(3);
    harness.get_by_label("Export this row…").click();
    harness.run_steps(3);
    assert!(harness.query_by_label("Export events").is_some(), "the export dialog opens");
    assert!(harness.query_by_label("The selected row").is_some(), "for the selected row");
}

#[test]
fn a_gap_is_one_readable_line_on_the_chosen_clock() {
    let runtime = runtime();
    let (mut harness, mut script, conns) = window(&runtime, &[("node", 1)], true);
    let (conn, sub) = (conns[0].0, conns[0].1[0]);
    let gap = GapRecord {
        lost_at_ms: 1_795_335_304_000,
        restored_at_ms: 1_795_335_347_900,
        reason: Some("connection reset without closing handshake".into()),
        resubscribed: Some(1),
    };
    script.frames([slot(conn, sub, 100)]);
    script.frames([frame(conn, None, Direction::Meta, FrameKind::Meta, &gap_json(&gap))]);
    script.event(Event::Gap { conn, lost_at_ms: gap.lost_at_ms, restored_at_ms: gap.restored_at_ms });
    script.frames([slot(conn, sub, 5)]);
    harness.run_steps(3);
    assert!(
        harness.query_by_label("lost 08:15:04 → restored 08:15:47, 43.9 s, 1 re-subscribed").is_some(),
        "the gap reads as one line"
    );
    assert!(harness.query_by_label_contains("lost_at_ms").is_none(), "not as raw JSON");
    assert!(harness.query_by_label("Time (UTC)").is_some(), "the saved clock is used");

    control(&harness, "local").click();
    harness.run_steps(3);
    assert!(harness.query_by_label("Time (local)").is_some());
    assert!(!harness.state().settings().utc_times, "the choice is saved");
    assert!(harness.query_by_label_contains(", 43.9 s, 1 re-subscribed").is_some());
}

#[test]
fn several_kinds_and_directions_filter_at_once() {
    let runtime = runtime();
    let (mut harness, mut script, conns) = window(&runtime, &[("node", 1)], true);
    let (conn, sub) = (conns[0].0, conns[0].1[0]);
    script.frames([
        frame(conn, None, Direction::Out, FrameKind::Request, r#"{"id":90,"method":"getSlot"}"#),
        frame(conn, None, Direction::In, FrameKind::Response, r#"{"id":90,"result":7}"#),
        frame(conn, None, Direction::In, FrameKind::Error, r#"{"id":91,"error":{"code":-1,"message":"no"}}"#),
        frame(conn, None, Direction::Meta, FrameKind::Meta, r#"{"subscope":"connected to ws://x"}"#),
        slot(conn, sub, 100),
    ]);
    harness.run_steps(3);
    let kinds = |harness: &Harness<'_, App>| {
        let mut kinds: Vec<FrameKind> =
            harness.state().visible_events().iter().map(|event| event.kind).collect();
        kinds.dedup();
        kinds
    };
    let all = harness.state().visible_rows();

    harness.get_by_role_and_label(Role::ComboBox, "Kind").click();
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::CheckBox, "notification").click();
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::CheckBox, "error").click();
    harness.run_steps(2);
    press(&mut harness, Key::Escape); // closes the list
    assert_eq!(kinds(&harness), [FrameKind::Error, FrameKind::Notification]);
    assert_eq!(harness.state().table().filter.kinds.len(), 2);
    assert!(harness.state().selected_event().is_none() && harness.state().visible_rows() == 2);

    harness.get_by_role_and_label(Role::ComboBox, "Kind").click();
    harness.run_steps(2);
    control(&harness, "all kinds").click();
    harness.run_steps(2);
    press(&mut harness, Key::Escape);
    assert_eq!(harness.state().visible_rows(), all);

    harness.get_by_role_and_label(Role::ComboBox, "Direction").click();
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::CheckBox, "out").click();
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::CheckBox, "meta").click();
    harness.run_steps(3);
    let directions: Vec<Direction> =
        harness.state().visible_events().iter().map(|event| event.direction).collect();
    assert!(directions.contains(&Direction::Out) && directions.contains(&Direction::Meta));
    assert!(!directions.contains(&Direction::In), "{directions:?}");
    harness.get_by_role_and_label(Role::CheckBox, "meta").click();
    harness.run_steps(3);
    assert_eq!(kinds(&harness), [FrameKind::Request], "out alone");
}

#[test]
fn the_subscription_filter_lists_the_chosen_connections_subscriptions() {
    let runtime = runtime();
    let (mut harness, mut script, conns) = window(&runtime, &[("alpha", 1), ("beta", 2)], true);
    for (conn, subs) in &conns {
        script.frames(subs.iter().map(|sub| slot(*conn, *sub, 100 + sub)));
    }
    harness.run_steps(3);
    let label = |sub: SubKey| format!("slot #{sub}");
    // The picker's options (the table's cells are labels, the plot's legend check boxes).
    let options = |harness: &Harness<'_, App>, sub: SubKey| {
        harness
            .query_all_by_label(&label(sub))
            .filter(|node| node.accesskit_node().role() == Role::Button)
            .count()
    };
    let (alpha, beta) = (conns[0].1[0], conns[1].1.clone());

    harness.get_by_role_and_label(Role::ComboBox, "Subscription").click();
    harness.run_steps(2);
    assert!(
        options(&harness, alpha) == 1 && options(&harness, beta[0]) == 1 && options(&harness, beta[1]) == 1
    );
    press(&mut harness, Key::Escape);

    harness.get_by_role_and_label(Role::ComboBox, "Connection").click();
    harness.run_steps(2);
    // The picker's option (the composer's "Also on" check box is named after the endpoint too).
    harness
        .get_all_by_label("beta")
        .find(|node| !matches!(node.accesskit_node().role(), Role::Label | Role::CheckBox))
        .unwrap()
        .click();
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::ComboBox, "Subscription").click();
    harness.run_steps(2);
    assert_eq!(options(&harness, alpha), 0, "alpha's subscription is not offered for beta");
    assert_eq!((options(&harness, beta[0]), options(&harness, beta[1])), (1, 1));
}

#[test]
fn an_invalid_regex_says_so_on_one_line_and_shows_no_stale_rows() {
    let runtime = runtime();
    let (mut harness, mut script, conns) = window(&runtime, &[("node", 1)], true);
    let (conn, sub) = (conns[0].0, conns[0].1[0]);
    script.frames((100..110).map(|n| slot(conn, sub, n)));
    harness.run_steps(3);
    control(&harness, "regex").click();
    harness.run_steps(2);
    type_filter(&mut harness, "slot\":10[0-4]");
    assert_eq!(harness.state().visible_rows(), 5);
    type_filter(&mut harness, "(");
    assert_eq!(harness.state().visible_rows(), 0, "the previous filter's rows are not kept");
    assert!(harness.query_by_label("invalid regex").is_some(), "a short error at the field");
    assert!(harness.query_by_label_contains("The filter is not valid: not a valid regex").is_some());
    assert!(harness.query_by_label("104").is_none(), "no row is drawn");

    harness.key_press(Key::Backspace);
    harness.run_steps(3);
    assert_eq!(harness.state().visible_rows(), 5, "fixed, the rows come back");
    assert!(harness.query_by_label("invalid regex").is_none());
}

#[test]
fn a_frame_with_a_masked_key_says_so_in_its_row() {
    let runtime = runtime();
    let (mut harness, mut script, conns) = window(&runtime, &[("node", 1)], true);
    let (conn, sub) = (conns[0].0, conns[0].1[0]);
    let masked = CapturedEvent { redacted: true, ..slot(conn, sub, 200) };
    script.frames([slot(conn, sub, 199), masked, slot(conn, sub, 201)]);
    harness.run_steps(3);
    let marks = harness.query_all_by_label_contains(subscope::row::REDACTED_MARK).count();
    assert_eq!(marks, 1, "only the altered frame is marked");
}

#[test]
fn a_rows_arrow_stands_four_points_before_its_kind() {
    let runtime = runtime();
    let (mut harness, mut script, conns) = window(&runtime, &[("node", 1)], true);
    let (conn, sub) = (conns[0].0, conns[0].1[0]);
    script.frames([slot(conn, sub, 300)]);
    harness.run_steps(3);
    let arrow = harness.get_by_label(subscope::row::arrow(Direction::In)).rect();
    let kind = harness.get_by_label("notification").rect();
    assert!((kind.left() - arrow.right() - 4.0).abs() < 0.5, "arrow {arrow:?}, kind {kind:?}");
    assert!((kind.center().y - arrow.center().y).abs() < 2.0, "on one line: {arrow:?} {kind:?}");
}

/// Widgets that take keyboard focus, as egui recorded them in the last pass.
fn focusable_widgets(harness: &Harness<'_, App>) -> usize {
    harness.ctx.viewport(|viewport| {
        viewport
            .prev_pass
            .widgets
            .layers()
            .flat_map(|(_, widgets)| widgets)
            .filter(|w| w.sense.is_focusable())
            .count()
    })
}

/// egui remembers every widget that ever asked for keyboard focus, and forgets them only when
/// arrow keys move the focus. A row's cells are named by the row's place in the capture, so
/// while the table follows a stream every frame brought new ones: ten per new row, kept for
/// the life of the window (some 75 million an hour at 20,000 events/s). The rows are chosen
/// with a click or the table's own keys, so their cells need no focus.
#[test]
fn rows_arriving_add_no_widget_that_takes_focus() {
    let runtime = runtime();
    let (mut harness, mut script, conns) = window(&runtime, &[("node", 1)], true);
    let (conn, sub) = (conns[0].0, conns[0].1[0]);
    script.frames((100..102).map(|n| slot(conn, sub, n)));
    harness.run_steps(3);
    let few = focusable_widgets(&harness);
    script.frames((102..400).map(|n| slot(conn, sub, n)));
    harness.run_steps(3);
    assert!(harness.query_by_label("399").is_some(), "the table follows the newest row");
    let many = focusable_widgets(&harness);
    assert!(
        many <= few + 2,
        "a screenful of rows must not add focusable widgets: {few} with two rows, {many} with a screenful"
    );

    // A click still selects a row, and the keys still move from it.
    harness.get_by_label("398").click();
    harness.run_steps(3);
    let clicked = selected_seq(&harness).unwrap();
    assert!(
        harness.state().selected_event().unwrap().raw.contains("\"slot\":398"),
        "the clicked row is selected"
    );
    press(&mut harness, Key::ArrowDown);
    assert_eq!(selected_seq(&harness), Some(clicked + 1));
}

/// Queues `events` to arrive together in the next frame (the harness's own queue runs a frame
/// for each event).
fn in_one_frame(harness: &mut Harness<'_, App>, events: impl IntoIterator<Item = egui::Event>) {
    harness.input_mut().events.extend(events);
    harness.step();
}

fn key(key: Key, pressed: bool) -> egui::Event {
    egui::Event::Key { key, physical_key: None, pressed, repeat: false, modifiers: egui::Modifiers::NONE }
}

/// Key repeat can outrun a slow frame (a busy machine, a million rows): presses that arrive
/// in one frame each move the selection, as they would one frame apart.
#[test]
fn downs_arriving_in_one_frame_each_move_the_selection() {
    let runtime = runtime();
    let (mut harness, _script, _) = sixty_slots(&runtime);
    let seqs = visible_seqs(&harness);
    press(&mut harness, Key::ArrowDown);
    assert_eq!(selected_seq(&harness), Some(seqs[0]));
    in_one_frame(&mut harness, (0..3).flat_map(|_| [key(Key::ArrowDown, true), key(Key::ArrowDown, false)]));
    harness.run_steps(2);
    assert_eq!(selected_seq(&harness), Some(seqs[3]), "three Downs in one frame move three rows");
    in_one_frame(&mut harness, (0..2).flat_map(|_| [key(Key::ArrowUp, true), key(Key::ArrowUp, false)]));
    harness.run_steps(2);
    assert_eq!(selected_seq(&harness), Some(seqs[1]), "and two Ups two");
}

/// A quick click (a tap, xdotool's) brings its press and release in one frame; rows taken in
/// that frame must not slide the clicked row from under the pointer, nor, for a right click,
/// from beside the menu that acts on it.
#[test]
fn a_quick_click_while_rows_arrive_keeps_the_row_under_the_pointer() {
    for button in [egui::PointerButton::Primary, egui::PointerButton::Secondary] {
        let runtime = runtime();
        let (mut harness, mut script, (conn, sub)) = sixty_slots(&runtime);
        let at = harness.get_by_label("150").rect().center();
        harness.event(egui::Event::PointerMoved(at));
        harness.run_steps(2);
        let under = |harness: &Harness<'_, App>| {
            (100..200u64).find(|slot| {
                harness.query_all_by_label(&slot.to_string()).any(|node| node.rect().y_range().contains(at.y))
            })
        };
        let clicked = under(&harness).unwrap();
        script.frames((160..163).map(|n| slot(conn, sub, n)));
        let event = |pressed| egui::Event::PointerButton {
            pos: at,
            button,
            pressed,
            modifiers: egui::Modifiers::NONE,
        };
        in_one_frame(&mut harness, [event(true), event(false)]);
        harness.run_steps(3);
        let selected =
            harness.state().selected_event().map(|event| event.raw.to_string()).unwrap_or_default();
        assert!(
            selected.contains(&format!("\"slot\":{clicked}")),
            "{button:?}: the row under the pointer is selected"
        );
        assert_eq!(under(&harness), Some(clicked), "{button:?}: the clicked row slid from under the pointer");
    }
}

/// Where the table's header `name` begins (not the filter's label of the same name).
fn header_left(harness: &Harness<'_, App>, name: &str) -> f32 {
    let row = harness.get_by_label("Size").rect().center().y;
    harness
        .query_all_by_label(name)
        .map(|node| node.rect())
        .find(|rect| (rect.center().y - row).abs() < 2.0)
        .unwrap_or_else(|| panic!("no header {name}"))
        .left()
}

/// Column widths chosen in a wide window (and saved) must not push Details and Size past the
/// table's edge in a narrower one, where nothing scrolls sideways to them; with room again,
/// the columns are as the user left them.
#[test]
fn columns_widened_elsewhere_leave_details_and_size_in_view() {
    let runtime = runtime();
    let wide = vec![96.0, 320.0, 240.0, 96.0, 80.0, 108.0, 84.0, 100.0, 140.0, 56.0];
    let base = Settings { column_widths: wide.clone(), ..Settings::default() };
    let (mut harness, mut script, conns) = window_with(&runtime, &[("node", 1)], base);
    let (conn, sub) = (conns[0].0, conns[0].1[0]);
    script.frames((100..110).map(|n| slot(conn, sub, n)));
    harness.run_steps(4);
    let edge = 1400.0; // the window's
    let size = harness.get_by_label("Size").rect();
    assert!(size.right() <= edge + 1.0, "Size ends at {} past the window's edge at {edge}", size.right());
    let details = header_left(&harness, "Size") - header_left(&harness, "Details");
    assert!(details >= 80.0, "Details keeps its 80 points: {details}");
    let connection = header_left(&harness, "Subscription") - header_left(&harness, "Connection");
    let kind = header_left(&harness, "Slot / block") - header_left(&harness, "Kind");
    assert!(connection < 320.0 && connection > kind, "narrowed, and still the widest: {connection}, {kind}");
    assert_eq!(harness.state().settings().column_widths[..8], wide[..8], "the user's widths are kept");

    harness.set_size(egui::vec2(2400.0, 1000.0));
    harness.run_steps(4);
    let connection = header_left(&harness, "Subscription") - header_left(&harness, "Connection");
    let spacing = harness.ctx.global_style().spacing.item_spacing.x;
    assert!((connection - 320.0 - spacing).abs() < 1.0, "Connection is 320 wide again: {connection}");
}

/// Agave gives identical subscriptions on one connection one id, and their rows are captured
/// under the older one: the newer card says whose stream it is and counts it, rather than
/// sitting at 0 events as if nothing came.
#[test]
fn a_card_sharing_an_older_subscriptions_id_says_so_and_counts_its_rows() {
    let runtime = runtime();
    let (mut harness, mut script, conns) = window(&runtime, &[("node", 2)], true);
    let (conn, first, second) = (conns[0].0, conns[0].1[0], conns[0].1[1]);
    let outcome = SubscribeOutcome::Active(SubId::Num(first));
    script.event(Event::Subscription { conn, sub: second, outcome, resubscribed: false });
    script.frames((100..103).map(|n| slot(conn, first, n)));
    harness.run_steps(3);
    let said = format!("same stream as #{first}");
    assert_eq!(harness.query_all_by_label_contains(&said).count(), 1, "only the newer card says so");
    assert_eq!(harness.query_all_by_label_contains("3 events ·").count(), 2, "both cards count the rows");
}
