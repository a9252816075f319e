//! Opening capture files in the window, driven through egui_kittest on a scripted backend (no
//! sockets): the Open dialog's typed path, Ctrl+O, a file dropped onto the window, the recent
//! files, and the read-only view of an opened file.

#![cfg(feature = "gui")]
#![expect(clippy::unwrap_used, reason = "tests")]

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use subscope::app::settings::Settings;
use subscope::app::{App, Source};
use subscope::backend::Script;
use subscope::capture::{CapturedEvent, Direction};
use subscope::export::{CaptureContext, Format, Progress, export_to_file};
use subscope::protocol::FrameKind;
use subscope::session::Message;
use support::ui::{runtime, wait_until};

/// The app on a scripted backend, with `live` notifications already in its live capture.
fn scripted(
    runtime: &tokio::runtime::Runtime,
    settings: Settings,
    live: u64,
) -> (Harness<'static, App>, Script) {
    let (mut harness, mut script) = support::ui::scripted(runtime, settings, egui::vec2(1400.0, 900.0));
    script.frames((0..live).map(|index| slot_notification(500 + index)));
    harness.run_steps(3);
    assert_eq!(harness.state().visible_rows(), live as usize, "the live view holds its rows");
    (harness, script)
}

fn slot_notification(slot: u64) -> CapturedEvent {
    CapturedEvent {
        seq: 0,
        received_at_ms: 0,
        connection: 1,
        subscription: Some(1),
        direction: Direction::In,
        kind: FrameKind::Notification,
        method: Some(Arc::from("slotNotification")),
        raw: format!(
            r#"{{"jsonrpc":"2.0","method":"slotNotification","params":{{"result":{{"slot":{slot},"parent":{},"root":0}},"subscription":3}}}}"#,
            slot - 1
        )
        .into(),
        redacted: false,
        recovered: None,
    }
}

/// Writes a capture of `events` slot notifications to `folder/name` through the export API.
fn write_capture(folder: &Path, name: &str, events: u64) -> PathBuf {
    let path = folder.join(name);
    let events: Vec<CapturedEvent> = (0..events)
        .map(|index| CapturedEvent {
            seq: index,
            received_at_ms: 1_000 + index,
            ..slot_notification(100 + index)
        })
        .collect();
    let mut context = CaptureContext::default();
    context.add_connection(1, "local", "ws://127.0.0.1:8900");
    export_to_file(&path, Format::Ndjson, &events, &context, &Progress::default()).unwrap();
    path
}

/// Steps the harness until no export or opening runs.
fn wait_for_job(harness: &mut Harness<'_, App>) {
    harness.step();
    wait_until(harness, "the read to finish", |app| !app.job_running());
}

fn open_dialog(harness: &mut Harness<'_, App>) {
    harness.key_press_modifiers(Modifiers::COMMAND, Key::O);
    harness.run_steps(3);
    assert!(harness.query_by_label("Open a capture").is_some(), "Ctrl+O shows the Open dialog");
}

/// Types `path` into the Open dialog's path field (replacing what is there) and presses Open.
fn open_typed(harness: &mut Harness<'_, App>, path: &Path) {
    harness.get_by_label("File path").focus();
    harness.run_steps(2);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.get_by_label("File path").type_text(path.to_str().unwrap());
    harness.run_steps(2);
    harness.get_by_label("Open").click();
    wait_for_job(harness);
}

fn opened_name(app: &App) -> Option<String> {
    let news = |message: &Message| match message {
        Message::News(text) => Some(text.clone()),
        Message::Failure(_) => None,
    };
    (app.source() == Source::Opened).then(|| app.message().and_then(news)).flatten()
}

#[test]
fn a_typed_path_opens_read_only_with_its_count_and_no_pause() {
    let runtime = runtime();
    let (mut harness, _script) = scripted(&runtime, Settings::default(), 5);
    let folder = tempfile::tempdir().unwrap();
    let path = write_capture(folder.path(), "capture.ndjson", 7);

    assert!(harness.query_by_label("Open a capture").is_none(), "no dialog before Ctrl+O");
    assert!(harness.query_by_label("Pause").is_some(), "the live view offers Pause");
    open_dialog(&mut harness);
    open_typed(&mut harness, &path);

    assert_eq!(harness.state().source(), Source::Opened);
    assert_eq!(harness.state().visible_rows(), 7, "the table shows the file's rows");
    assert!(harness.query_by_label("Open a capture").is_none(), "the dialog closed");
    assert!(
        harness.query_by_label("7 events in capture.ndjson (read-only)").is_some(),
        "the status bar counts the file, not the live capture"
    );
    assert!(
        harness.query_by_label("live: 5 events held · 5 received").is_some(),
        "the live capture is still counted, apart"
    );
    assert!(harness.query_by_label("Pause").is_none(), "a file does not grow: no Pause");
    harness.key_press(Key::Space);
    harness.run_steps(2);
    assert!(!harness.state().table().is_paused(), "Space does nothing on a file");
    assert_eq!(harness.state().visible_rows(), 7);

    // Back to the live view: Pause is offered again, and the status counts the live capture.
    harness.get_by_label("Live").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("Pause").is_some());
    assert!(harness.query_by_label_contains("5 events held").is_some());
}

#[test]
fn a_bad_path_or_file_shows_the_error_in_the_dialog_and_keeps_the_live_view() {
    let runtime = runtime();
    let (mut harness, _script) = scripted(&runtime, Settings::default(), 5);
    let folder = tempfile::tempdir().unwrap();

    open_dialog(&mut harness);
    open_typed(&mut harness, &folder.path().join("no-such-file.ndjson"));
    assert!(harness.query_by_label("Open a capture").is_some(), "the dialog stays open");
    assert!(
        harness.query_by_label_contains("Could not open no-such-file.ndjson").is_some(),
        "the error is shown where the path was typed"
    );
    assert_eq!(harness.state().source(), Source::Live, "the live view stays");
    assert_eq!(harness.state().visible_rows(), 5, "nothing shown is lost");

    let malformed = folder.path().join("malformed.ndjson");
    std::fs::write(&malformed, "{not json\n").unwrap();
    open_typed(&mut harness, &malformed);
    assert!(harness.query_by_label_contains("Could not open malformed.ndjson: line 1").is_some());
    assert_eq!(harness.state().source(), Source::Live);

    let empty = folder.path().join("empty.ndjson");
    std::fs::write(&empty, "").unwrap();
    open_typed(&mut harness, &empty);
    assert!(harness.query_by_label("empty.ndjson holds no events.").is_some());
    assert_eq!(harness.state().visible_rows(), 5);
    assert!(harness.state().settings().recent_files.is_empty(), "failures are not remembered");

    // A good file after the failures opens and clears the error.
    let good = write_capture(folder.path(), "good.ndjson", 2);
    open_typed(&mut harness, &good);
    assert_eq!(harness.state().source(), Source::Opened);
    assert_eq!(harness.state().visible_rows(), 2);
    assert!(harness.query_by_label_contains("Could not open").is_none());
}

#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|err| err.to_string())
    }
}

#[test]
fn a_file_dropped_onto_the_window_opens() {
    let runtime = runtime();
    let (mut harness, _script) = scripted(&runtime, Settings::default(), 3);
    let folder = tempfile::tempdir().unwrap();
    let path = write_capture(folder.path(), "dropped.ndjson", 4);

    harness
        .input_mut()
        .hovered_files
        .push(egui::HoveredFile { path: Some(path.clone()), mime: String::new() });
    harness.step();
    assert_eq!(harness.state().source(), Source::Live, "hovering alone opens nothing");
    harness.input_mut().dropped_files.push(Arc::new(Dropped(path.clone())));
    wait_for_job(&mut harness);

    assert_eq!(harness.state().source(), Source::Opened);
    assert_eq!(harness.state().visible_rows(), 4);
    assert!(harness.query_by_label("4 events in dropped.ndjson (read-only)").is_some());
    assert_eq!(harness.state().settings().recent_files, vec![path]);
}

#[test]
fn opened_files_are_listed_most_recent_first_and_open_again_from_the_list() {
    let runtime = runtime();
    let folder = tempfile::tempdir().unwrap();
    let gone = folder.path().join("gone.ndjson");
    let settings = Settings { recent_files: vec![gone.clone()], ..Settings::default() };
    let (mut harness, _script) = scripted(&runtime, settings, 2);
    let first = write_capture(folder.path(), "first.ndjson", 3);
    let second = write_capture(folder.path(), "second.ndjson", 6);

    open_dialog(&mut harness);
    assert!(harness.query_by_label_contains("(missing)").is_some(), "a missing file is marked");
    open_typed(&mut harness, &first);
    open_dialog(&mut harness);
    open_typed(&mut harness, &second);
    assert_eq!(harness.state().settings().recent_files, vec![second.clone(), first.clone(), gone.clone()]);
    assert_eq!(harness.state().visible_rows(), 6);

    // From the list: the older file opens again and moves to the front.
    open_dialog(&mut harness);
    harness.get_by_label("first.ndjson").click();
    wait_for_job(&mut harness);
    assert_eq!(harness.state().visible_rows(), 3);
    assert!(opened_name(harness.state()).is_some_and(|text| text.contains("first.ndjson")));
    assert_eq!(harness.state().settings().recent_files, vec![first, second, gone]);

    // The missing file can be taken off the list.
    open_dialog(&mut harness);
    assert_eq!(harness.query_all_by_label_contains("Remove ").count(), 3, "one remove button per file");
    harness.get_by_label("Remove gone.ndjson").click();
    harness.run_steps(2);
    assert_eq!(harness.state().settings().recent_files.len(), 2);
    assert!(harness.query_by_label_contains("(missing)").is_none());
}
