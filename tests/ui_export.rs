//! The export dialog never replaces a file without asking (issue 25 item 2): it proposes a
//! fresh name each time it opens, and a typed path naming a file that exists is written only
//! after "Replace". Driven through egui_kittest on a scripted backend (no sockets).

#![cfg(feature = "gui")]

mod support;

use std::path::Path;

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use subscope::app::App;
use subscope::app::settings::Settings;
use support::ui::{runtime, wait_until};

fn open_export(harness: &mut Harness<'_, App>) {
    harness.key_press_modifiers(Modifiers::COMMAND, Key::E);
    harness.run_steps(3);
    assert!(harness.query_by_label("Export events").is_some(), "Ctrl+E opens the dialog");
}

fn path_field(harness: &Harness<'_, App>) -> String {
    harness.get_by_label("or path").value().unwrap_or_default()
}

/// Replaces what the path field holds with `path`.
fn type_path(harness: &mut Harness<'_, App>, path: &Path) {
    harness.get_by_label("or path").focus();
    harness.run_steps(2);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.get_by_label("or path").type_text(path.to_str().unwrap_or_default());
    harness.run_steps(2);
}

fn export_and_wait(harness: &mut Harness<'_, App>, what: &str) {
    harness.get_by_label("Export").click();
    harness.step();
    wait_until(harness, what, |app| !app.job_running());
}

#[test]
fn export_proposes_a_fresh_name_and_asks_before_replacing_a_file() {
    let runtime = runtime();
    let folder = tempfile::tempdir().unwrap();
    let settings = Settings { last_export_dir: Some(folder.path().to_path_buf()), ..Settings::default() };
    let (mut harness, mut script) = support::ui::scripted(&runtime, settings, egui::vec2(1400.0, 900.0));
    script.frames((0..5).map(|slot| support::slot_notification(1, 1, 100 + slot)));
    harness.run_steps(3);

    // The dialog proposes a name no file has, in the last export's folder, and exports there.
    open_export(&mut harness);
    let first = path_field(&harness);
    assert!(first.starts_with(folder.path().to_str().unwrap()), "{first}");
    assert!(first.ends_with(".ndjson") && first.contains("subscope-"), "{first}");
    export_and_wait(&mut harness, "the first export");
    let written = std::fs::read(&first).unwrap();
    assert!(!written.is_empty());
    harness.key_press(Key::Escape);
    harness.run_steps(2);

    // Opened again, it proposes another name, not the file just written.
    open_export(&mut harness);
    let second = path_field(&harness);
    assert_ne!(second, first, "a fresh name, not the last export's");
    assert!(!Path::new(&second).exists(), "{second}");

    // A typed path that exists is not written over without asking.
    let kept = folder.path().join("eth-export.json");
    std::fs::write(&kept, b"the other export").unwrap();
    type_path(&mut harness, &kept);
    harness.get_by_label("Export").click();
    harness.run_steps(3);
    assert!(!harness.state().job_running(), "nothing is written yet");
    assert!(harness.query_by_label_contains("already exists").is_some(), "the dialog asks");
    assert_eq!(std::fs::read(&kept).unwrap(), b"the other export");

    // "Keep it" leaves the file and proposes a fresh name instead.
    harness.get_by_label("Keep it").click();
    harness.run_steps(3);
    assert_eq!(std::fs::read(&kept).unwrap(), b"the other export");
    assert!(harness.query_by_label_contains("already exists").is_none());
    let fresh = path_field(&harness);
    assert!(fresh.ends_with(".ndjson") && !Path::new(&fresh).exists(), "{fresh}");

    // "Replace" writes over it.
    type_path(&mut harness, &kept);
    harness.get_by_label("Export").click();
    harness.run_steps(3);
    harness.get_by_label("Replace").click();
    harness.step();
    wait_until(&mut harness, "the export over the file", |app| !app.job_running());
    let replaced = std::fs::read_to_string(&kept).unwrap();
    assert_ne!(replaced, "the other export", "replaced once the user said so");
    assert!(replaced.contains("slotNotification"), "{replaced}");
}
