//! The window through its accessibility tree, as a screen reader and a keyboard user meet it:
//! every control has a name that says what it does (an icon such as "×" is not one), and Tab
//! reaches the controls, each on screen when it has the focus.

#![cfg(feature = "gui")]

mod support;

use egui::Key;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use subscope::app::App;
use subscope::app::settings::{SavedDraft, SavedEndpoint, Settings};
use subscope::backend::{Command, ConnState, Event, Script, SubscribeOutcome};
use subscope::catalog::Draft;
use subscope::protocol::SubId;
use support::ui::runtime;

const WINDOW: egui::Vec2 = egui::vec2(1400.0, 1000.0);

/// The controls (anything to click, toggle, pick from or type into) on screen whose name has
/// no letter or digit: none at all, or only an icon.
fn unnamed_controls(harness: &Harness<'_, App>) -> Vec<String> {
    harness
        .root()
        .children_recursive()
        .map(|node| node.accesskit_node())
        .filter(|node| egui::accessibility::is_input(node.role()) && !node.is_hidden())
        .filter(|node| !node.data().is_read_only())
        .filter(|node| {
            let placeholder = node.data().placeholder().map(str::to_owned);
            let names = [node.label(), placeholder];
            !names.iter().flatten().any(|name| name.chars().any(char::is_alphanumeric))
        })
        .map(|node| format!("{:?} {:?} at {:?}", node.role(), node.label(), node.raw_bounds()))
        .collect()
}

#[track_caller]
fn assert_named(harness: &Harness<'_, App>, state: &str) {
    let unnamed = unnamed_controls(harness);
    assert!(unnamed.is_empty(), "{state}: controls without a name:\n{}", unnamed.join("\n"));
}

/// The window with one endpoint of no known chain (every form is offered), connected, with a
/// slot subscription delivering, a saved draft and a message in the status bar.
/// Returns the harness, the script and the connection.
fn window(runtime: &tokio::runtime::Runtime, size: egui::Vec2) -> (Harness<'static, App>, Script, u32) {
    let draft = Draft::for_method("slotSubscribe").unwrap_or_else(|| panic!("slotSubscribe"));
    let endpoint = SavedEndpoint {
        id: 1,
        label: "local".into(),
        url: "ws://127.0.0.1:9".into(),
        connect_on_start: true,
        subscriptions: vec![draft.clone()],
        ..SavedEndpoint::default()
    };
    let settings = Settings {
        welcomed: true,
        endpoints: vec![endpoint],
        saved_drafts: vec![SavedDraft { name: "slots".into(), draft }],
        ..Settings::default()
    };
    let (backend, mut script) =
        subscope::backend::Backend::scripted(settings.limits, std::sync::Arc::new(|| {}));
    let options = subscope::app::AppOptions {
        backend: Some(backend),
        notice: Some("Exported 60 events to slots.ndjson".into()),
        ..subscope::app::AppOptions::headless(settings)
    };
    let mut harness = support::ui::app_harness(runtime, options, size);
    let mut opened = Vec::new();
    for command in script.commands() {
        match command {
            Command::Connect { conn, .. } => script.event(Event::State { conn, state: ConnState::Open }),
            Command::Subscribe { conn, sub, .. } => opened.push((conn, sub)),
            _ => {}
        }
    }
    for (conn, sub) in &opened {
        let outcome = SubscribeOutcome::Active(SubId::Num(*sub));
        script.event(Event::Subscription { conn: *conn, sub: *sub, outcome, resubscribed: false });
        script.frames((1..=30).map(|slot| support::slot_notification(*conn, *sub, slot)));
    }
    harness.run_steps(4);
    harness.key_press(Key::End); // a row selected: the detail's controls
    harness.run_steps(3);
    let conn = opened.first().map_or_else(|| panic!("nothing was subscribed"), |(conn, _)| *conn);
    (harness, script, conn)
}

fn pick_method(harness: &mut Harness<'_, App>, method: &str) {
    harness.get_by_role_and_label(Role::ComboBox, "Subscribe to").click();
    harness.run_steps(2);
    // The list is long: the method may be below its fold.
    harness.get_by_label_contains(method).scroll_to_me();
    harness.run(); // until the scroll's animation is done
    harness.get_by_label_contains(method).click();
    harness.run_steps(2);
}

#[test]
fn every_control_has_a_name_that_says_what_it_does() {
    let runtime = runtime();
    let (mut harness, script, conn) = window(&runtime, WINDOW);
    assert_named(&harness, "the window");

    harness.get_by_label("Saved drafts").click();
    harness.run_steps(2);
    assert_named(&harness, "the saved drafts");
    assert!(harness.query_by_label("Remove slots").is_some(), "the saved draft's × is named");
    harness.key_press(Key::Escape);
    harness.run_steps(2);

    pick_method(&mut harness, "programSubscribe");
    for add in ["+ dataSize", "+ memcmp"] {
        harness.get_by_label(add).click();
        harness.run_steps(2);
    }
    assert_named(&harness, "program filters");
    // Headers are edited while the endpoint is not connected (and then the composer offers
    // every chain's forms, not only the one it learned).
    harness.get_by_label("Disconnect").click();
    script.event(Event::State { conn, state: ConnState::Closed { reason: None } });
    harness.run_steps(3);
    harness.get_by_label("Headers").click();
    harness.run_steps(2);
    harness.get_by_label("+ Add header").click();
    harness.run_steps(2);
    assert_named(&harness, "a handshake header");
    assert!(harness.query_by_label("Remove header 1").is_some(), "the header's × is named");

    pick_method(&mut harness, "eth_subscribe logs");
    harness.get_by_label("+ topic position").click();
    harness.run_steps(2);
    assert_named(&harness, "topics");
    pick_method(&mut harness, "alchemy_minedTransactions");
    harness.get_by_label("+ from/to row").click();
    harness.run_steps(2);
    assert_named(&harness, "from/to rows");

    harness.get_by_label("Compare").click();
    harness.run_steps(2);
    assert_named(&harness, "the Compare tab");
    harness.set_size(egui::vec2(800.0, 500.0));
    harness.run_steps(20);
    assert_named(&harness, "an 800×500 window");
}

/// The name of the control that has the keyboard, and where it is.
fn focused(harness: &Harness<'_, App>) -> Option<(String, egui::Rect)> {
    harness.root().children_recursive().find(|node| node.is_focused()).map(|node| {
        let name = node.accesskit_node().label().unwrap_or_default();
        (name, node.rect())
    })
}

#[test]
fn tab_reaches_the_controls_each_on_screen_when_focused() {
    let runtime = runtime();
    let (mut harness, _script, _) = window(&runtime, WINDOW);
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, WINDOW);
    let mut reached = Vec::new();
    for _ in 0..400 {
        harness.key_press(Key::Tab);
        harness.run_steps(1);
        // (Between widgets the window itself has the focus: no rect.)
        let Some((name, rect)) = focused(&harness).filter(|(_, rect)| rect.is_finite()) else { continue };
        assert!(screen.intersects(rect), "{name:?} has the focus off screen: {rect:?}");
        if reached.contains(&name) && name == reached[0] {
            break; // round the window once
        }
        reached.push(name);
    }
    for control in [
        "Hide the side panel",
        "Open capture…",
        "Disconnect",
        "Subscribe to",
        "Subscribe",
        "Unsubscribe",
        "Pause",
        "Filter",
        "Detail",
        "Copy raw",
        "Dismiss the message",
    ] {
        assert!(reached.iter().any(|name| name == control), "Tab never reaches {control:?}: {reached:?}");
    }
}
