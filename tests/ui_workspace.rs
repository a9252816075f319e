//! The Workspace window (issue 26 item 1): what the window set up is saved as the workspace
//! file `subscope monitor` runs, without a key, and a window opens it again: its endpoints
//! join, connect and get their subscriptions. Driven through egui_kittest on a scripted
//! backend.

#![cfg(feature = "gui")]

mod support;

use egui_kittest::kittest::Queryable as _;
use subscope::app::settings::Settings;
use subscope::backend::Command;
use support::ui::{control, one_subscription, open_and_activate, runtime, scripted, type_into};

#[test]
fn a_workspace_saved_from_the_window_opens_in_another_with_its_subscriptions() {
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let path = dir.path().join("team.workspace.json");
    let size = egui::vec2(1400.0, 900.0);

    let (mut harness, mut script) = scripted(&runtime, one_subscription(), size);
    harness.run_steps(3);
    open_and_activate(&mut script);
    harness.run_steps(3);
    harness.get_by_label("Workspace…").click();
    harness.run_steps(2);
    type_into(&mut harness, "Workspace file", &path.to_string_lossy());
    control(&harness, "Save workspace").click();
    harness.run_steps(3);
    assert_eq!(harness.query_all_by_label_contains("Saved to").count(), 1, "the window says it saved");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{err}"));
    let saved: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|err| panic!("{err}: {text}"));
    assert_eq!(saved["format"], 1, "{text}");
    assert_eq!(saved["endpoints"][0]["name"], "local", "{text}");
    assert_eq!(saved["endpoints"][0]["url"], "ws://127.0.0.1:9", "{text}");
    assert_eq!(saved["subscriptions"][0]["method"], "slotSubscribe", "{text}");

    // Another window, with nothing set up, opens it.
    let (mut other, mut script) =
        scripted(&runtime, Settings { welcomed: true, ..Settings::default() }, size);
    other.run_steps(3);
    let before = other.state().endpoints().len();
    other.get_by_label("Workspace…").click();
    other.run_steps(2);
    type_into(&mut other, "Workspace file", &path.to_string_lossy());
    control(&other, "Open workspace").click();
    other.run_steps(3);
    assert_eq!(other.query_all_by_label_contains("Opened").count(), 1, "the window says it opened it");
    let endpoints = other.state().endpoints();
    assert_eq!(endpoints.len(), before + 1);
    assert_eq!(endpoints[before].label, "local");
    let commands = script.commands();
    assert!(commands.iter().any(|command| matches!(command, Command::Connect { .. })), "{commands:?}");
    assert!(
        commands.iter().any(
            |command| matches!(command, Command::Subscribe { method, .. } if &**method == "slotSubscribe")
        ),
        "{commands:?}"
    );

    // A file that is not a workspace is refused in words, and nothing is added.
    std::fs::write(dir.path().join("not.json"), "{\"hello\": 1}").unwrap_or_else(|err| panic!("{err}"));
    let field = other.get_by_label("Workspace file");
    field.focus();
    other.run_steps(1);
    other.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    other.run_steps(1);
    type_into(&mut other, "Workspace file", &dir.path().join("not.json").to_string_lossy());
    control(&other, "Open workspace").click();
    other.run_steps(3);
    assert_eq!(other.state().endpoints().len(), before + 1, "nothing added");
    assert_eq!(other.query_all_by_label_contains("Opened").count(), 0);
}
