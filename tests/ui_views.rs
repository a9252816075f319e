//! The live view and an opened capture each keep their own filter (issue 25 item 1): a
//! capture never opens showing no rows because the live view was filtered to a connection
//! the file does not hold, and Reset in one view leaves the other's filter alone. Driven
//! through egui_kittest on a scripted backend (no sockets).

#![cfg(feature = "gui")]

mod support;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use subscope::app::{App, Source};
use subscope::capture::{Capture, CaptureLimits, CapturedEvent};
use subscope::export::CaptureContext;
use support::ui::{runtime, type_into};

/// The connection the opened file's events came on (a replay, say): not the live one.
const FILE_CONN: u32 = 8;

/// A capture of `events` slot notifications on [`FILE_CONN`], as a file would hold it.
fn file_capture(events: u64) -> (Capture, CaptureContext) {
    let mut capture = Capture::new(CaptureLimits::default());
    capture.extend((0..events).map(|index| CapturedEvent {
        seq: index,
        received_at_ms: 1_000 + index,
        ..support::slot_notification(FILE_CONN, 1, 200 + index)
    }));
    let mut context = CaptureContext::default();
    context.add_connection(FILE_CONN, "Replay of cap.ndjson", "ws://127.0.0.1:9");
    (capture, context)
}

fn rows(harness: &Harness<'_, App>) -> usize {
    harness.state().visible_rows()
}

#[test]
fn each_view_keeps_its_own_filter_and_a_file_never_opens_empty() {
    let runtime = runtime();
    let (mut harness, mut script) =
        support::ui::scripted(&runtime, support::ui::one_subscription(), egui::vec2(1400.0, 900.0));
    let (conn, sub) = support::ui::open_and_activate(&mut script);
    script.frames((100..105).map(|slot| support::slot_notification(conn, sub, slot)));
    harness.run_steps(3);

    // The live view filtered to its subscription (its "Show"), as in the report.
    harness.get_by_label("Show").click();
    harness.run_steps(3);
    let live_filtered = rows(&harness);
    assert_eq!(live_filtered, 5, "the subscription's notifications");
    assert!(harness.query_by_label("Reset filter").is_some(), "the live view is filtered");

    // A file opened now shows all its rows, under no filter of the live view's.
    let (capture, context) = file_capture(204);
    harness.state_mut().open_capture("other.ndjson".into(), capture, context);
    harness.run_steps(3);
    assert_eq!(harness.state().source(), Source::Opened);
    assert_eq!(rows(&harness), 204, "the file opens with every row");
    assert!(harness.query_by_label_contains("No events match the filter").is_none());
    let picker = support::ui::control(&harness, "Connection").value();
    assert_eq!(
        picker.as_deref(),
        Some("all connections"),
        "the Connection picker does not name the live one"
    );
    assert!(harness.query_by_label("Reset filter").is_none(), "the file's view is unfiltered");

    // The file's own filter, then Reset there: the live view's filter is untouched.
    type_into(&mut harness, "Filter", "\"slot\":20");
    assert_eq!(rows(&harness), 10, "slots 200 to 209");
    harness.get_by_label("Live").click();
    harness.run_steps(3);
    assert_eq!(rows(&harness), live_filtered, "the live view comes back with its own filter");
    harness.get_all_by_label_contains("(read-only)").next().unwrap().click();
    harness.run_steps(3);
    assert_eq!(rows(&harness), 10, "and the file's view with its own");
    harness.get_by_label("Reset filter").click();
    harness.run_steps(3);
    assert_eq!(rows(&harness), 204);
    harness.get_by_label("Live").click();
    harness.run_steps(3);
    assert_eq!(rows(&harness), live_filtered, "Reset in the file's view left the live filter alone");

    // Closing the file from its view brings the live view back, still filtered.
    harness.get_all_by_label_contains("(read-only)").next().unwrap().click();
    harness.run_steps(2);
    harness.get_by_label("Close file").click();
    harness.run_steps(3);
    assert_eq!(harness.state().source(), Source::Live);
    assert_eq!(rows(&harness), live_filtered);
    assert!(harness.query_by_label("Reset filter").is_some());
}
