//! Small things in the window that mislead or lose work, driven through egui_kittest on a
//! scripted backend: the topic field under the caret, a clicked row that must stay put while
//! rows arrive, the subscriptions heading's count, Edit on a card far down the panel, and the
//! request preview's long strings.

#![cfg(feature = "gui")]

mod support;

use egui::Key;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use subscope::app::App;
use subscope::app::settings::{SavedEndpoint, Settings};
use subscope::backend::{Command, ConnState, Event, Script, SubscribeOutcome};
use subscope::capture::{CapturedEvent, Direction};
use subscope::catalog::{Chain, Draft};
use subscope::protocol::{FrameKind, RpcError, SubId};
use support::ui::{rows_in_view, runtime, scripted};

const WINDOW: egui::Vec2 = egui::vec2(1400.0, 900.0);

fn settings(subscriptions: Vec<Draft>) -> Settings {
    let endpoint = SavedEndpoint {
        id: 1,
        label: "local".into(),
        url: "ws://127.0.0.1:9".into(),
        connect_on_start: true,
        chain: Some(Chain::Solana),
        subscriptions,
        ..SavedEndpoint::default()
    };
    Settings { welcomed: true, endpoints: vec![endpoint], ..Settings::default() }
}

/// Opens the one connection the app asked for and confirms every subscription it sent;
/// returns the connection and the subscriptions, in order.
fn open(script: &mut Script, harness: &mut Harness<'_, App>) -> (u32, Vec<u64>) {
    // The subscriptions to restore are sent with the connect.
    let mut conn = None;
    let mut subs = Vec::new();
    for command in script.commands() {
        match command {
            Command::Connect { conn: id, .. } => conn = Some(id),
            Command::Subscribe { sub, .. } => subs.push(sub),
            _ => {}
        }
    }
    let conn = conn.unwrap_or_else(|| panic!("no connection was opened"));
    script.event(Event::State { conn, state: ConnState::Open });
    harness.run_steps(3);
    // The window asks the connection's chain.
    for command in script.commands() {
        if let Command::Request { conn, request, method, .. } = command {
            let result = if method == "getGenesisHash" {
                Ok("\"OneGenesis\"".to_owned())
            } else {
                Err(RpcError { code: -32601, message: "Method not found".into(), data: None })
            };
            script.event(Event::Response { conn, request, result });
        }
    }
    for (index, sub) in subs.iter().enumerate() {
        let id = SubId::Num(100 + index as u64);
        script.event(Event::Subscription {
            conn,
            sub: *sub,
            outcome: SubscribeOutcome::Active(id),
            resubscribed: false,
        });
    }
    harness.run_steps(3);
    (conn, subs)
}

fn slot_draft() -> Draft {
    Draft::for_method("slotSubscribe").unwrap_or_else(|| panic!("slotSubscribe is in the catalogue"))
}

/// The text of the field named `label`.
fn field_text(harness: &Harness<'_, App>, label: &str) -> String {
    harness.get_by_role_and_label(Role::TextInput, label).value().unwrap_or_default()
}

#[test]
fn a_comma_typed_in_a_topic_never_moves_the_caret_and_is_spaced_when_the_field_is_left() {
    let runtime = runtime();
    let anywhere = Settings { welcomed: true, ..Settings::default() };
    let (mut harness, _script) = scripted(&runtime, anywhere, WINDOW);
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::ComboBox, "Subscribe to").click();
    harness.run_steps(2);
    harness.get_by_label_contains("eth_subscribe logs").click();
    harness.run_steps(2);
    harness.get_by_label("+ topic position").click();
    harness.run_steps(2);

    // Typed a key at a time, as a user does: each key lands where the caret is.
    let (first, second) = (format!("0x{}", "aa".repeat(32)), format!("0x{}", "bb".repeat(32)));
    harness.get_by_role_and_label(Role::TextInput, "Topic 0").focus();
    harness.run_steps(2);
    for key in format!("{first},{second}").chars() {
        harness.get_by_role_and_label(Role::TextInput, "Topic 0").type_text(&key.to_string());
        harness.run_steps(1);
    }
    assert_eq!(
        field_text(&harness, "Topic 0"),
        format!("{first},{second}"),
        "the field shows what was typed"
    );
    assert!(
        harness.query_by_label_contains(&format!("\"{first}\",")).is_some()
            && harness.query_by_label_contains(&format!("\"{second}\"")).is_some(),
        "the preview has both alternatives"
    );

    // Leaving the field writes the alternatives the usual way.
    harness.key_press(Key::Tab);
    harness.run_steps(2);
    assert_eq!(field_text(&harness, "Topic 0"), format!("{first}, {second}"));
}

/// The window with slots 1000 to 1059 received on one subscription; returns the harness, the
/// script, the (connection, subscription) and the slots in view.
fn sixty_slots(runtime: &tokio::runtime::Runtime) -> (Harness<'static, App>, Script, (u32, u64), Vec<u64>) {
    let (mut harness, mut script) = scripted(runtime, settings(vec![slot_draft()]), WINDOW);
    let (conn, subs) = open(&mut script, &mut harness);
    script.frames((1000..1060).map(|slot| support::slot_notification(conn, subs[0], slot)));
    harness.run_steps(4);
    let shown = rows_in_view(&harness, 1000..1060);
    (harness, script, (conn, subs[0]), shown)
}

#[test]
fn a_clicked_row_stays_in_view_while_rows_arrive_until_follow_newest() {
    let runtime = runtime();
    let (mut harness, mut script, (conn, sub), shown) = sixty_slots(&runtime);
    assert!(shown.contains(&1059), "the view follows the newest row: {shown:?}");

    // A click in the middle of the view selects the row and holds the view.
    let clicked = shown[shown.len() / 2];
    harness.get_by_label(&clicked.to_string()).click();
    harness.run_steps(2);
    assert!(
        harness
            .state()
            .selected_event()
            .is_some_and(|event| event.raw.contains(&format!("\"slot\":{clicked}")))
    );
    for batch in 0..10 {
        let from = 1060 + batch * 20;
        script.frames((from..from + 20).map(|slot| support::slot_notification(conn, sub, slot)));
        harness.run_steps(2);
    }
    let held = rows_in_view(&harness, 1000..1260);
    assert!(held.contains(&clicked), "the clicked row {clicked} left the view: {held:?}");
    assert_eq!(held, shown, "the view did not move");

    // "Follow newest" goes back to the newest row, and follows it again.
    harness.get_by_label("Follow newest").click();
    harness.run_steps(3);
    script.frames((1260..1280).map(|slot| support::slot_notification(conn, sub, slot)));
    harness.run_steps(3);
    assert!(rows_in_view(&harness, 1200..1280).contains(&1279), "following the newest row again");
}

#[test]
fn the_subscriptions_heading_counts_the_cards_it_lists() {
    let runtime = runtime();
    let (mut harness, mut script) = scripted(&runtime, settings(vec![slot_draft(); 3]), WINDOW);
    let (conn, subs) = open(&mut script, &mut harness);
    assert!(harness.query_by_label("Subscriptions (3)").is_some(), "three cards, all live");

    // One of them ends: it stays listed (to read its counts), and the heading says so.
    let error = RpcError { code: -32602, message: "Invalid params".into(), data: None };
    script.event(Event::Subscription {
        conn,
        sub: subs[2],
        outcome: SubscribeOutcome::Failed(error),
        resubscribed: false,
    });
    harness.run_steps(3);
    let cards = harness.query_all_by_label_contains("on local").count();
    assert_eq!(cards, 3);
    assert!(harness.query_by_label("Subscriptions (3, 2 live)").is_some(), "the count is of the cards shown");
}

#[test]
fn edit_on_a_card_far_down_the_panel_brings_its_form_into_view_with_the_keyboard() {
    let runtime = runtime();
    let size = egui::vec2(1400.0, 700.0);
    let (mut harness, mut script) = scripted(&runtime, settings(vec![slot_draft(); 8]), size);
    open(&mut script, &mut harness);
    last_edit(&harness).scroll_to_me();
    harness.run_steps(4);
    let picker =
        |harness: &Harness<'_, App>| harness.get_by_role_and_label(Role::ComboBox, "Subscribe to").rect();
    assert!(picker(&harness).bottom() < 40.0, "the form is scrolled away: {:?}", picker(&harness));

    last_edit(&harness).click();
    harness.run_steps(6);
    let rect = picker(&harness);
    assert!(rect.top() >= 30.0 && rect.bottom() <= size.y, "the form is not in view: {rect:?}");
    assert!(
        harness.get_by_role_and_label(Role::ComboBox, "Subscribe to").is_focused(),
        "nor has the keyboard"
    );
}

/// The last card's Edit (the cards are listed in order).
fn last_edit<'a>(harness: &'a Harness<'_, App>) -> egui_kittest::Node<'a> {
    harness.get_all_by_label("Edit").last().unwrap_or_else(|| panic!("no card has Edit"))
}

/// The height of one line of the request preview, and its lines.
fn preview_line_height(harness: &Harness<'_, App>) -> (f32, usize) {
    let preview = harness.get_by_label_contains("\"jsonrpc\": \"2.0\"");
    let lines = preview.value().unwrap_or_default().lines().count();
    (preview.rect().height() / lines as f32, lines)
}

#[test]
fn the_request_preview_keeps_a_long_string_on_its_line() {
    let runtime = runtime();
    let anywhere = Settings { welcomed: true, ..Settings::default() };
    let (mut harness, _script) = scripted(&runtime, anywhere, WINDOW);
    harness.run_steps(2);
    let (line, lines) = preview_line_height(&harness);
    harness.get_by_role_and_label(Role::ComboBox, "Transactions *").click();
    harness.run_steps(2);
    harness.get_by_label("mentions a pubkey").click();
    harness.run_steps(2);
    support::ui::type_into(&mut harness, "Mentioned pubkey", "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
    let (long_line, long_lines) = preview_line_height(&harness);
    assert!(long_lines > lines, "the preview shows the pubkey");
    assert!(
        (long_line - line).abs() < 0.5,
        "a line of the preview was split: {long_line} per line, not {line}"
    );
}

/// The visible vertical lines drawn in the last frame that cross `rect` (inside its x range,
/// over its y range).
fn lines_across(harness: &Harness<'_, App>, rect: egui::Rect) -> Vec<egui::Pos2> {
    fn walk(shape: &egui::Shape, clip: egui::Rect, rect: egui::Rect, found: &mut Vec<egui::Pos2>) {
        match shape {
            egui::Shape::Vec(shapes) => shapes.iter().for_each(|shape| walk(shape, clip, rect, found)),
            egui::Shape::LineSegment { points: [a, b], stroke }
                if a.x == b.x && stroke.width > 0.0 && stroke.color.a() > 0 =>
            {
                let seen = egui::Rect::from_two_pos(*a, *b).intersect(clip);
                let inside = rect.left() + 1.0 < a.x && a.x < rect.right() - 1.0;
                if inside && seen.top() < rect.center().y && seen.bottom() > rect.center().y {
                    found.push(*a);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    for clipped in &harness.output().shapes {
        walk(&clipped.shape, clipped.clip_rect, rect, &mut found);
    }
    found
}

#[test]
fn a_notes_line_across_the_empty_columns_is_not_crossed_by_column_lines() {
    let runtime = runtime();
    let (mut harness, mut script) = scripted(&runtime, settings(vec![slot_draft()]), WINDOW);
    let (conn, subs) = open(&mut script, &mut harness);
    let note = CapturedEvent {
        direction: Direction::Meta,
        kind: FrameKind::Meta,
        subscription: None,
        method: None,
        raw: r#"{"subscope":"reconnected to ws://127.0.0.1:9 after 3 attempts, the subscriptions were sent again"}"#
            .into(),
        ..support::slot_notification(conn, subs[0], 1)
    };
    script.frames([
        support::slot_notification(conn, subs[0], 1000),
        note,
        support::slot_notification(conn, subs[0], 1001),
    ]);
    harness.run_steps(3);
    let line = harness.get_by_label_contains("reconnected to ws://127.0.0.1:9").rect();
    assert!(
        lines_across(&harness, line).is_empty(),
        "column lines cross the note: {:?}",
        lines_across(&harness, line)
    );
    // The rows around it keep their column lines.
    let slot = harness.get_by_label("1000").rect();
    let row = egui::Rect::from_x_y_ranges(line.x_range(), slot.y_range());
    assert!(lines_across(&harness, row).len() >= 3, "the slot row lost its column lines");
}

#[test]
fn rows_arriving_while_a_row_is_pressed_never_slide_it_from_the_pointer_and_clear_lets_go() {
    let runtime = runtime();
    let (mut harness, mut script, (conn, sub), shown) = sixty_slots(&runtime);
    let target = shown[shown.len() / 2];
    let at = harness.get_by_label(&target.to_string()).rect().center();

    // Three rows come while the button is down (as a slot's transactions do).
    let button = |pressed| egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    harness.event(egui::Event::PointerMoved(at));
    harness.run_steps(1);
    harness.event(button(true));
    harness.run_steps(1);
    script.frames((1060..1063).map(|slot| support::slot_notification(conn, sub, slot)));
    harness.run_steps(2);
    harness.event(button(false));
    harness.run_steps(2);
    let selected = harness.state().selected_event().map(|event| event.raw.to_string()).unwrap_or_default();
    assert!(selected.contains(&format!("\"slot\":{target}")), "the row under the pointer is selected");
    let rect = harness.get_by_label(&target.to_string()).rect();
    assert!(rect.y_range().contains(at.y), "the selected row slid away from the pointer at {at:?}: {rect:?}");

    // Clear lets go of the row: what comes next is followed.
    harness.get_by_label("Clear").click();
    harness.run_steps(3);
    script.frames((2000..2100).map(|slot| support::slot_notification(conn, sub, slot)));
    harness.run_steps(4);
    assert!(rows_in_view(&harness, 2000..2100).contains(&2099), "the newest row after Clear is not in view");
}

#[test]
fn a_decoded_transaction_shows_more_than_its_first_line_at_800_by_500() {
    let runtime = runtime();
    let small = egui::vec2(800.0, 500.0);
    let options = subscope::app::AppOptions::headless(Settings { welcomed: true, ..Settings::default() });
    let mut harness = support::ui::app_harness(&runtime, options, small);
    let token = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
    let logs = serde_json::json!([
        format!("Program {token} invoke [1]"),
        "Program log: Instruction: TransferChecked",
        format!("Program {token} consumed 6200 of 200000 compute units"),
        format!("Program {token} success"),
    ]);
    let raw = serde_json::json!({"jsonrpc": "2.0", "method": "logsNotification", "params": {"subscription": 2,
        "result": {"context": {"slot": 7}, "value": {"signature": "3xYz", "err": null, "logs": logs}}}});
    let mut capture = subscope::capture::Capture::new(subscope::capture::CaptureLimits::default());
    capture.extend((1..=40).map(|seq| CapturedEvent {
        seq,
        method: Some("logsNotification".into()),
        raw: raw.to_string().into(),
        ..support::slot_notification(1, 1, seq)
    }));
    harness.state_mut().open_capture("logs.ndjson".into(), capture, Default::default());
    harness.run_steps(3);
    harness.key_press(Key::End);
    harness.run_steps(2);
    harness.get_by_label("Decoded").click();
    harness.run_steps(3);
    // In the inspector (the table's Details column reads the same), above the status bar.
    let inspector_top = harness.get_by_label("Detail").rect().bottom();
    let status_top = harness.get_by_label_contains("connection").rect().top();
    // Its summary, the transaction's outcome and its one instruction (the instruction's log line
    // is the fourth line: it may be cut).
    for line in ["Token: TransferChecked", "succeeded", "success, 6,200 of 200,000 CU"] {
        let rects: Vec<egui::Rect> = harness
            .query_all_by_label(line)
            .map(|node| node.rect())
            .filter(|rect| rect.top() > inspector_top)
            .collect();
        assert!(
            rects.iter().any(|rect| rect.bottom() <= status_top),
            "{line:?} is not shown above the status bar at {status_top}: {rects:?}"
        );
    }
}
