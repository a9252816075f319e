//! Counts that tick with every event are redrawn at most five times a second (issue 27: laying
//! them out anew every frame was over a quarter of the window's text layout at 20,000
//! events/s), and never left behind: a held-back count asks for the frame that shows it.
//! Driven through egui_kittest at 60 frames a second on a scripted backend (no sockets).

#![cfg(feature = "gui")]

mod support;

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use subscope::app::settings::Settings;
use subscope::app::{App, AppOptions, Source};
use subscope::backend::{Backend, Script};
use subscope::capture::{Capture, CaptureLimits, CapturedEvent};
use subscope::export::CaptureContext;
use subscope::ui::ticking::TICK_SECONDS;
use support::ui::runtime;

const FRAME_SECONDS: f32 = 1.0 / 60.0;

fn sixty_hertz(runtime: &tokio::runtime::Runtime) -> (Harness<'static, App>, Script) {
    let settings = Settings { welcomed: true, ..Settings::default() };
    let (backend, script) = Backend::scripted(settings.limits, std::sync::Arc::new(|| {}));
    let options = AppOptions { backend: Some(backend), ..AppOptions::headless(settings) };
    let _guard = runtime.enter();
    let ctx = egui::Context::default();
    let app = App::new(&ctx, runtime.handle().clone(), options);
    let harness =
        Harness::builder().with_size(egui::vec2(1400.0, 900.0)).with_step_dt(FRAME_SECONDS).build_ui_state(
            |ui, app: &mut App| {
                let ctx = ui.ctx().clone();
                app.logic_step(&ctx);
                app.show(ui);
            },
            app,
        );
    (harness, script)
}

fn held(harness: &Harness<'_, App>, count: u64) -> bool {
    harness.query_by_label_contains(&format!("{count} events held")).is_some()
}

/// How long until the window asks for its next frame.
fn repaint_delay(harness: &Harness<'_, App>) -> Duration {
    harness
        .output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .map_or(Duration::MAX, |output| output.repaint_delay)
}

#[test]
fn a_count_ticking_every_frame_is_redrawn_five_times_a_second_and_never_left_behind() {
    let runtime = runtime();
    let (mut harness, mut script) = sixty_hertz(&runtime);
    let frames_per_tick = (TICK_SECONDS / f64::from(FRAME_SECONDS)).ceil() as usize;
    harness.run_steps(frames_per_tick);
    assert!(held(&harness, 0), "an empty capture");

    // The first events after a quiet spell show at once.
    script.frames((0..5).map(|slot| support::slot_notification(1, 1, 100 + slot)));
    harness.run_steps(2);
    assert!(held(&harness, 5));

    // More in the next frame: the table has them, the count waits its turn and asks for the
    // frame that will show it.
    script.frames((5..8).map(|slot| support::slot_notification(1, 1, 100 + slot)));
    harness.run_steps(1);
    assert_eq!(harness.state().visible_rows(), 8, "the rows are never held back");
    assert!(held(&harness, 5), "the count is held back for the rest of its tick");
    let delay = repaint_delay(&harness);
    assert!(
        delay <= Duration::from_secs_f64(TICK_SECONDS),
        "the window asks for the frame that shows it: {delay:?}"
    );

    // Once its tick is up, the count shows what is held.
    harness.run_steps(frames_per_tick);
    assert!(held(&harness, 8), "redrawn when its tick is up");
}

#[test]
fn opening_a_file_shows_its_row_count_at_once() {
    let runtime = runtime();
    let (mut harness, mut script) = sixty_hertz(&runtime);
    script.frames((0..5).map(|slot| support::slot_notification(1, 1, 100 + slot)));
    let frames_per_tick = (TICK_SECONDS / f64::from(FRAME_SECONDS)).ceil() as usize;
    harness.run_steps(frames_per_tick);
    assert!(harness.query_by_label("5 rows").is_some(), "the live view's count");

    // A file opened within the tick of the live count's last change: its own count, at once.
    script.frames([support::slot_notification(1, 1, 105)]);
    harness.run_steps(1);
    let mut file = Capture::new(CaptureLimits::default());
    file.extend(
        (0..7).map(|index| CapturedEvent { seq: index, ..support::slot_notification(8, 1, 200 + index) }),
    );
    harness.state_mut().open_capture("file.ndjson".into(), file, CaptureContext::default());
    harness.run_steps(1);
    assert_eq!(harness.state().source(), Source::Opened);
    assert!(harness.query_by_label("7 rows").is_some(), "the file's count, not the live view's 5 or 6");
}
