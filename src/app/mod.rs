//! The desktop app: the window around a [`Session`].
//!
//! The [`Session`] (no egui) holds the model: endpoints, subscriptions, the live capture, and
//! what the backend reports. [`App`] keeps what only a window has, in a few owned parts, each
//! with the methods that are its own business:
//!
//! - the [`Settings`] it saves besides the session's endpoints, and their file (`persist`);
//! - `Keys` (`keys`): where each endpoint's key comes from (the OS keychain, asked off the UI
//!   thread, or `SUBSCOPE_API_KEY`) and the endpoints that connect once it answers;
//! - `Files` (`files`): the capture opened from a file, the Open and Export dialogs, the one
//!   export or opening job that runs at a time ([`jobs`]), and the replays served from opened
//!   captures (`serve`);
//! - `Panels` (`panels`): the composer, the table, the inspector under it (`inspector`) and
//!   the Decoding panel (`decoding`);
//! - the app-wide message for the status bar.
//!
//! A capture read from a file is "opened" everywhere (`Source::Opened`, [`App::opened`]);
//! "session" is only ever the [`Session`]. [`App::logic_step`] (`logic`) takes what arrived
//! under a time budget; [`App::show`] (`layout`) only reads state, draws the panels
//! (`crate::ui`) and turns what they return into verbs (`actions`). The parts borrow apart:
//! what the table shows is `Files::shown(&session)`, held while the panels change. The
//! backend's waker asks egui for a repaint, coalesced to one frame per [`REPAINT_COALESCE`],
//! so a 500 msg/s stream costs tens of frames per second, not hundreds.

mod actions;
mod audit;
mod decoding;
mod files;
mod inspector;
pub mod jobs;
pub mod keychain;
mod keys;
mod layout;
mod logic;
mod panels;
mod persist;
mod serve;
mod window;
mod workspace;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use egui::Ui;
use tokio::runtime::Handle;

use crate::backend::{Backend, Waker};
use crate::capture::{Capture, CapturedEvent};
use crate::catalog::{Draft, presets};
use crate::export::CaptureContext;
use crate::redact::Secret;
use crate::session::{CaptureView, Endpoint, Message, Session, Subscription};
pub use crate::settings;
use crate::ui::TableState;
use files::Files;
use jobs::OpenedCapture;
use keychain::{KeyStore, OsKeychain};
use keys::Keys;
use panels::Panels;
pub use settings::{Settings, SettingsFile};
pub use window::run;

/// The window title; it never contains a URL or a key.
pub const WINDOW_TITLE: &str = "subscope";

/// The Wayland app id and X11 class: the desktop entry's `StartupWMClass` and icon name.
pub const APP_ID: &str = "subscope";

/// How long one frame's logic may spend moving events into the capture and the filter.
pub const LOGIC_BUDGET: Duration = Duration::from_millis(4);

/// The shortest time between frames that new data asks for.
pub const REPAINT_COALESCE: Duration = Duration::from_millis(16);

/// How the app starts.
pub struct AppOptions {
    /// Persisted settings (or defaults).
    pub settings: Settings,
    /// Where the settings are saved; `None` saves nothing.
    pub settings_file: Option<SettingsFile>,
    /// Something to tell the user at start (settings that could not be read).
    pub notice: Option<String>,
    /// A capture file to open read-only.
    pub file: Option<PathBuf>,
    /// Where API keys are kept between runs; `None` keeps them in memory only.
    pub keychain: Option<Arc<dyn KeyStore>>,
    /// The key for endpoints with no key of their own (`SUBSCOPE_API_KEY`).
    pub env_key: Option<Secret>,
    /// Whether a first run connects to the offline demo and subscribes.
    pub first_run_demo: bool,
    /// A backend to use instead of starting one (tests drive the window with
    /// [`Backend::scripted`]).
    pub backend: Option<Backend>,
}

impl AppOptions {
    /// Options for the real app: these settings, the OS keychain, the first-run demo.
    pub fn new(settings: Settings, file: Option<PathBuf>) -> Self {
        Self {
            settings,
            settings_file: None,
            notice: None,
            file,
            keychain: Some(Arc::new(OsKeychain)),
            env_key: settings::env_api_key(),
            first_run_demo: true,
            backend: None,
        }
    }

    /// Options without a keychain, an environment key, a settings file or the first-run
    /// demo (tests, benchmarks).
    pub fn headless(settings: Settings) -> Self {
        Self { keychain: None, env_key: None, first_run_demo: false, ..Self::new(settings, None) }
    }
}

/// Which capture the table shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The live capture.
    Live,
    /// A capture opened from a file (read-only).
    Opened,
}

/// The app.
pub struct App {
    runtime: Handle,
    ctx: egui::Context,
    session: Session,
    /// What is saved besides the session's endpoints (drafts, widths, the cap).
    settings: Settings,
    /// The settings file, written within a second of every change.
    persist: persist::Persist,
    /// The endpoints' keys: the keychain, the environment's key, connecting once they answer.
    keys: Keys,
    /// The capture opened from a file, the Open and Export dialogs, the running job, replays.
    files: Files,
    /// The composer, the table, the inspector and the Decoding panel.
    panels: Panels,
    /// The last app-wide message, for the status bar.
    message: Option<Message>,
    /// "Audit against the chain…" on the opened capture.
    audit: audit::AuditWindow,
    /// The Workspace window (save or open the file `subscope monitor` runs).
    workspace: workspace::WorkspaceWindow,
}

impl App {
    /// Builds the app, starts the backend on `runtime`, and performs the start-up actions
    /// (open `file`, reconnect endpoints, or the first-run demo).
    pub fn new(ctx: &egui::Context, runtime: Handle, options: AppOptions) -> Self {
        let AppOptions { settings, settings_file, notice, file, keychain, env_key, first_run_demo, backend } =
            options;
        let waker_ctx = ctx.clone();
        let waker: Waker = Arc::new(move || waker_ctx.request_repaint_after(REPAINT_COALESCE));
        let backend = backend.unwrap_or_else(|| Backend::start(&runtime, settings.limits, waker));
        let mut session = Session::new(backend, settings.limits, &settings.endpoints);
        session.compare_by_chain();
        let keys = Keys::new(keychain, env_key, runtime.clone(), ctx.clone());
        let mut app = Self {
            runtime,
            ctx: ctx.clone(),
            keys,
            session,
            panels: Panels::new(&settings),
            settings,
            persist: persist::Persist::new(settings_file),
            files: Files::default(),
            message: notice.map(Message::Failure),
            audit: audit::AuditWindow::default(),
            workspace: workspace::WorkspaceWindow::default(),
        };
        if app.session.endpoints().is_empty()
            && let Some(demo) = presets().iter().find(|preset| preset.is_demo())
        {
            let id = keys::new_endpoint_id(app.session.endpoints());
            app.session.add_endpoint(Endpoint::from_preset(id, demo));
        }
        app.files.export_dialog.folder.clone_from(&app.settings.last_export_dir);
        app.rebuild_decoder();
        app.keys.find(&mut app.session);
        match file {
            Some(path) => app.open_file(path),
            None => app.start_connections(first_run_demo),
        }
        app
    }

    /// Connects what the user left connected, or on a first run the offline demo with a
    /// suggested subscription.
    fn start_connections(&mut self, first_run_demo: bool) {
        if !self.settings.welcomed && first_run_demo {
            self.settings.welcomed = true;
            let demo =
                self.session.endpoints().iter().position(|endpoint| endpoint.url == crate::catalog::DEMO_URL);
            if let Some(index) = demo {
                if let Some(draft) = Draft::for_method(crate::catalog::DEFAULT_METHOD) {
                    self.session.endpoints_mut()[index].restore.push(draft);
                }
                self.keys.connect(&mut self.session, index);
            }
            return;
        }
        for index in 0..self.session.endpoints().len() {
            if self.session.endpoints()[index].keep_connected {
                self.keys.connect(&mut self.session, index);
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Read access, for tests and the headless harness.

    /// The live capture.
    pub fn capture(&self) -> &Capture {
        &self.session.live().capture
    }

    /// The endpoints list.
    pub fn endpoints(&self) -> &[Endpoint] {
        self.session.endpoints()
    }

    /// The subscriptions list.
    pub fn subscriptions(&self) -> &[Subscription] {
        self.session.subscriptions()
    }

    /// The capture opened from a file, if any.
    pub fn opened(&self) -> Option<&Capture> {
        self.files.opened.as_ref().map(|opened| &opened.capture.view.capture)
    }

    /// Which capture the table shows.
    pub fn source(&self) -> Source {
        self.files.source()
    }

    /// What the table shows: the opened file's capture when it is shown, else the live one.
    fn shown(&self) -> &CaptureView {
        self.files.shown(&self.session)
    }

    /// The table's state (filter, pause, selection).
    pub fn table(&self) -> &TableState {
        &self.panels.table
    }

    /// How many rows the table shows now (filter and pause applied).
    pub fn visible_rows(&self) -> usize {
        self.panels.table.row_count(&self.shown().capture)
    }

    /// The events the table shows now, oldest first (for tests; it walks every row).
    pub fn visible_events(&self) -> Vec<&CapturedEvent> {
        let capture = &self.shown().capture;
        (0..self.panels.table.row_count(capture))
            .filter_map(|row| self.panels.table.event_at(capture, row))
            .collect()
    }

    /// The selected event, if it is still held.
    pub fn selected_event(&self) -> Option<&CapturedEvent> {
        self.panels.table.selected.and_then(|seq| self.shown().capture.by_seq(seq))
    }

    /// Shows `capture` read-only in the table, as an opened file is shown.
    pub fn open_capture(&mut self, name: String, capture: Capture, context: CaptureContext) {
        let view = CaptureView::from_events(capture.iter().cloned(), context);
        self.show_opened(OpenedCapture {
            name,
            path: None,
            view,
            error: None,
            left_out: 0,
            ignored_entries: 0,
        });
    }

    /// The memory (bytes) every captured event held for the window takes: the capture, what
    /// waits to enter it, and the backend's queue. It stays within the cap.
    pub fn memory_held(&self) -> usize {
        self.session.memory_held()
    }

    /// Whether an export or an opening is running.
    pub fn job_running(&self) -> bool {
        self.files.job.is_some()
    }

    /// What the comparison of endpoints in the shown capture found so far.
    pub fn compare_report(&self) -> crate::compare::Report {
        self.shown().compare.report()
    }

    /// The last app-wide message.
    pub fn message(&self) -> Option<&Message> {
        self.message.as_ref()
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.logic_step(ctx);
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        // The settings have a file of their own; eframe keeps only window and panel state.
        if storage.get_string(Settings::LEGACY_STORAGE_KEY).is_some() {
            storage.remove_string(Settings::LEGACY_STORAGE_KEY);
        }
        self.save_settings();
    }
}
