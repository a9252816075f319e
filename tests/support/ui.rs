//! The window under egui_kittest: the app in a harness (on a scripted backend or a real one),
//! and the gestures every UI test makes: typing into a field, finding a control beside its
//! label, waiting for the app to get somewhere.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use subscope::app::settings::{SavedEndpoint, Settings};
use subscope::app::{App, AppOptions};
use subscope::backend::{Backend, Command, ConnState, Event, Script, SubscribeOutcome};
use subscope::capture::{ConnId, SubKey};
use subscope::catalog::Draft;
use subscope::protocol::SubId;

/// The runtime the app's backend runs on in a test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|err| panic!("runtime: {err}"))
}

/// The real app in a kittest harness of `size`, running the same logic step and UI as the
/// window.
pub fn app_harness(
    runtime: &tokio::runtime::Runtime,
    options: AppOptions,
    size: egui::Vec2,
) -> Harness<'static, App> {
    let _guard = runtime.enter();
    let ctx = egui::Context::default();
    let app = App::new(&ctx, runtime.handle().clone(), options);
    Harness::builder().with_size(size).build_ui_state(
        |ui, app: &mut App| {
            let ctx = ui.ctx().clone();
            app.logic_step(&ctx);
            app.show(ui);
        },
        app,
    )
}

/// The app on a scripted backend (no sockets, no sleeps) in a window of `size`, and the
/// script that plays the backend.
pub fn scripted(
    runtime: &tokio::runtime::Runtime,
    settings: Settings,
    size: egui::Vec2,
) -> (Harness<'static, App>, Script) {
    let (backend, script) = Backend::scripted(settings.limits, Arc::new(|| {}));
    let options = AppOptions { backend: Some(backend), ..AppOptions::headless(settings) };
    (app_harness(runtime, options, size), script)
}

/// Settings with one endpoint ("local", a closed loopback port) that connects on start and
/// restores a slot subscription.
pub fn one_subscription() -> Settings {
    let endpoint = SavedEndpoint {
        id: 1,
        label: "local".into(),
        url: "ws://127.0.0.1:9".into(),
        connect_on_start: true,
        subscriptions: vec![Draft::for_method("slotSubscribe").unwrap_or_default()],
        ..SavedEndpoint::default()
    };
    Settings { welcomed: true, endpoints: vec![endpoint], ..Settings::default() }
}

/// Plays the backend's side of [`one_subscription`]'s start: the connection opens and the
/// subscription is active (server id 3). Returns the connection and the subscription.
pub fn open_and_activate(script: &mut Script) -> (ConnId, SubKey) {
    let commands = script.commands();
    let Some(Command::Subscribe { conn, sub, .. }) = commands.get(1) else { panic!("{commands:?}") };
    let (conn, sub) = (*conn, *sub);
    script.event(Event::State { conn, state: ConnState::Open });
    script.event(Event::Subscription {
        conn,
        sub,
        outcome: SubscribeOutcome::Active(SubId::Num(3)),
        resubscribed: false,
    });
    (conn, sub)
}

/// Focuses the field labelled `label` and types `text` into it.
pub fn type_into(harness: &mut Harness<'_, App>, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.run_steps(2);
    harness.get_by_label(label).type_text(text);
    harness.run_steps(3);
}

/// The control named `label` (a field or a button), not the text label beside it.
pub fn control<'a>(harness: &'a Harness<'_, App>, label: &'a str) -> egui_kittest::Node<'a> {
    harness
        .get_all_by_label(label)
        .find(|node| node.accesskit_node().role() != Role::Label)
        .unwrap_or_else(|| panic!("no control named {label:?}"))
}

/// Steps the harness until `done` holds (for work on the backend's runtime or a job's
/// thread), failing with `what` after 25 s.
pub fn wait_until(harness: &mut Harness<'_, App>, what: &str, mut done: impl FnMut(&App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(25);
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run_steps(3);
}

/// The rows (by their slot) drawn whole between the table's header and the inspector.
pub fn rows_in_view(harness: &Harness<'_, App>, slots: std::ops::Range<u64>) -> Vec<u64> {
    let top = harness.get_by_label("Slot / block").rect().bottom();
    let bottom = harness.get_by_label("Detail").rect().top();
    slots
        .filter(|slot| {
            harness
                .query_all_by_label(&slot.to_string())
                .any(|node| node.rect().top() >= top - 0.5 && node.rect().bottom() <= bottom + 0.5)
        })
        .collect()
}
