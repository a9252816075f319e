//! The desktop app: state, the per-frame logic step, and the panel layout.
//!
//! [`App::logic_step`] drains the backend under a time budget into the [`Capture`], updates
//! connection and subscription state and advances export/import jobs; [`App::show`] only reads
//! state, draws the panels (`crate::ui`) and turns what they return into [`Command`]s. The
//! backend's waker asks egui for a repaint, coalesced to one frame per
//! [`REPAINT_COALESCE`], so a 500 msg/s stream costs tens of frames per second, not hundreds.
//! Capture never waits on the UI: a stalled frame only lets the backend's queue grow, up to
//! the memory cap, and every eviction is counted in the status bar.

mod jobs;
pub mod keychain;
pub use crate::settings;

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

use egui::{CentralPanel, Key, KeyboardShortcut, Modifiers, Panel, RichText, Ui};
use tokio::runtime::Handle;

use crate::backend::{Backend, Command, ConnState, ConnectionConfig, EndReason, Event, SubscribeOutcome};
use crate::capture::{Capture, CaptureLimits, CapturedEvent, ConnId, SubKey, now_ms};
use crate::catalog::{self, Draft, ReorgTracker, presets};
use crate::export::{CaptureContext, ImportOptions, SubscriptionInfo};
use crate::redact::{Secret, extract_key};
use crate::ui::composer::{ConnChoice, ResponseState, ResponseView, request_ui};
use crate::ui::endpoints::{KeySource, KeychainLookup};
use crate::ui::table::{FilterChoices, ReorgMarks, connection_label, subscription_label};
use crate::ui::transfer::{ExportCounts, JobView, default_file_name, job_progress_ui};
use crate::ui::{
    ComposerAction, ComposerState, DetailState, Endpoint, EndpointAction, ExportDialog, ExportScope,
    StatusAction, StatusInfo, SubState, SubscriptionAction, SubscriptionRow, TableAction, TableState,
    TransferAction, composer_ui, detail_ui, endpoints_ui, error_text, events_table_ui, export_dialog_ui,
    rate_plot_ui, status_bar_ui, subscriptions_ui, table_toolbar_ui, truncate, warn_text,
};
use jobs::{ExportPlan, ImportedCapture, Job, JobOutcome, Selection};
use keychain::{KeyStore, KeychainError, OsKeychain};
pub use settings::{Settings, SettingsFile};

/// The window title; it never contains a URL or a key.
pub const WINDOW_TITLE: &str = "subscope";

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
    /// The imported file (read-only).
    Imported,
}

/// A keychain operation's result, sent back from a blocking thread.
enum KeyResult {
    Loaded { endpoint: u64, key: Result<Option<Secret>, KeychainError> },
    Stored { endpoint: u64, result: Result<(), KeychainError> },
    Deleted { endpoint: u64, result: Result<(), KeychainError> },
}

/// The app.
pub struct App {
    runtime: Handle,
    ctx: egui::Context,
    backend: Backend,
    settings: Settings,
    settings_file: Option<SettingsFile>,
    keychain: Option<Arc<dyn KeyStore>>,
    /// `SUBSCOPE_API_KEY`, for endpoints with no key of their own.
    env_key: Option<Secret>,
    live: Capture,
    live_context: CaptureContext,
    live_reorgs: ReorgMarks,
    reorg_tracker: ReorgTracker,
    new_heads: HashSet<SubKey>,
    /// Drained from the backend, not yet in the capture (moved a few ms per frame).
    pending: VecDeque<CapturedEvent>,
    /// The memory `pending` holds.
    pending_bytes: usize,
    imported: Option<ImportedCapture>,
    source: Source,
    endpoints: Vec<Endpoint>,
    /// Endpoints to connect once their keychain lookup answers.
    connect_after_key: HashSet<u64>,
    subscriptions: Vec<SubscriptionRow>,
    composer: ComposerState,
    table: TableState,
    detail: DetailState,
    export_dialog: ExportDialog,
    export_result: Option<Result<String, String>>,
    job: Option<Job>,
    message: Option<Result<String, String>>,
    keys_tx: SyncSender<KeyResult>,
    keys_rx: Receiver<KeyResult>,
}

/// Runs the desktop app until its window closes; `file` (a capture) opens read-only.
///
/// # Errors
///
/// The window could not be created (no display, no OpenGL).
pub fn run(runtime: Handle, file: Option<PathBuf>) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(WINDOW_TITLE)
            .with_app_id("subscope")
            .with_inner_size([1400.0, 860.0])
            .with_min_inner_size([900.0, 560.0])
            .with_icon(icon()),
        renderer: eframe::Renderer::Glow,
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        WINDOW_TITLE,
        options,
        Box::new(move |cc| {
            cc.egui_ctx.options_mut(|options| options.theme_preference = egui::ThemePreference::System);
            let mut settings_file = eframe::storage_dir("subscope")
                .map(|dir| SettingsFile::new(dir.join(settings::SETTINGS_FILE_NAME)));
            let loaded = settings_file.as_mut().map(SettingsFile::load).unwrap_or_default();
            // Settings of an older version lived in eframe's storage; carry them over once.
            let settings = loaded.settings.or_else(|| legacy_settings(cc.storage)).unwrap_or_default();
            let options =
                AppOptions { settings_file, notice: loaded.notice, ..AppOptions::new(settings, file) };
            Ok(Box::new(App::new(&cc.egui_ctx, runtime, options)))
        }),
    )
    .map_err(|err| anyhow::anyhow!("the window could not open: {err}"))
}

/// Settings an older version kept in eframe's storage (`app.ron`).
fn legacy_settings(storage: Option<&dyn eframe::Storage>) -> Option<Settings> {
    let mut settings: Settings = eframe::get_value(storage?, Settings::LEGACY_STORAGE_KEY)?;
    settings.repair();
    Some(settings)
}

/// The window icon, drawn in code: a ring with a dot (a scope) on a transparent square.
fn icon() -> egui::IconData {
    const SIZE: u32 = 64;
    let mut rgba = Vec::with_capacity((SIZE * SIZE * 4) as usize);
    let center = (SIZE as f32 - 1.0) / 2.0;
    for y in 0..SIZE {
        for x in 0..SIZE {
            let distance = ((x as f32 - center).powi(2) + (y as f32 - center).powi(2)).sqrt();
            let ring = (distance - 24.0).abs() < 4.0;
            let dot = distance < 7.0;
            let pixel: [u8; 4] = if ring || dot { [90, 200, 250, 255] } else { [0, 0, 0, 0] };
            rgba.extend_from_slice(&pixel);
        }
    }
    egui::IconData { rgba, width: SIZE, height: SIZE }
}

impl App {
    /// Builds the app, starts the backend on `runtime`, and performs the start-up actions
    /// (open `file`, reconnect endpoints, or the first-run demo).
    pub fn new(ctx: &egui::Context, runtime: Handle, options: AppOptions) -> Self {
        let AppOptions { settings, settings_file, notice, file, keychain, env_key, first_run_demo } = options;
        let waker_ctx = ctx.clone();
        let waker: crate::backend::Waker =
            Arc::new(move || waker_ctx.request_repaint_after(REPAINT_COALESCE));
        let backend = Backend::start(&runtime, settings.limits, waker);
        let (keys_tx, keys_rx) = sync_channel(64);
        let composer = ComposerState::new(
            settings
                .drafts_by_method
                .get(&settings.composer_method)
                .cloned()
                .or_else(|| Draft::for_method(&settings.composer_method)),
            settings.request_draft.clone(),
        );
        let mut app = Self {
            runtime,
            ctx: ctx.clone(),
            backend,
            live: Capture::new(settings.limits.consumer_share()),
            table: TableState::new(settings.column_widths.clone()),
            settings,
            settings_file,
            keychain,
            env_key,
            live_context: CaptureContext::default(),
            live_reorgs: HashMap::new(),
            reorg_tracker: ReorgTracker::new(),
            new_heads: HashSet::new(),
            pending: VecDeque::new(),
            pending_bytes: 0,
            imported: None,
            source: Source::Live,
            endpoints: Vec::new(),
            connect_after_key: HashSet::new(),
            subscriptions: Vec::new(),
            composer,
            detail: DetailState::default(),
            export_dialog: ExportDialog::default(),
            export_result: None,
            job: None,
            message: notice.map(Err),
            keys_tx,
            keys_rx,
        };
        app.restore_endpoints();
        match file {
            Some(path) => {
                app.job = Some(jobs::start_import(&app.runtime, &app.ctx, path, app.import_options()));
            }
            None => app.start_connections(first_run_demo),
        }
        app
    }

    fn restore_endpoints(&mut self) {
        for entry in &self.settings.endpoints {
            self.endpoints.push(Endpoint {
                id: entry.id,
                label: entry.label.clone(),
                preset: entry.preset.clone(),
                url: entry.url.clone(),
                keep_connected: entry.connect_on_start,
                restore: entry.subscriptions.clone(),
                ..Endpoint::default()
            });
        }
        if self.endpoints.is_empty()
            && let Some(demo) = presets().iter().find(|preset| preset.is_demo())
        {
            self.endpoints.push(Endpoint::from_preset(new_endpoint_id(&self.endpoints), demo));
        }
        self.find_keys();
    }

    /// Finds the key of every endpoint that needs one and has none: its own keychain entry
    /// (asked off the UI thread; connecting waits for the answer), else `SUBSCOPE_API_KEY`.
    fn find_keys(&mut self) {
        for index in 0..self.endpoints.len() {
            let endpoint = &mut self.endpoints[index];
            if !endpoint.needs_key()
                || !endpoint.api_key.is_empty()
                || endpoint.keychain != KeychainLookup::NotAsked
            {
                continue;
            }
            if self.keychain.is_some() {
                endpoint.keychain = KeychainLookup::Asking;
                self.load_key(index);
            } else {
                endpoint.keychain = KeychainLookup::Answered;
                use_env_key(endpoint, self.env_key.as_ref());
            }
        }
    }

    fn start_connections(&mut self, first_run_demo: bool) {
        if !self.settings.welcomed && first_run_demo {
            self.settings.welcomed = true;
            if let Some(index) = self.endpoints.iter().position(|endpoint| endpoint.url == catalog::DEMO_URL)
            {
                if let Some(draft) = Draft::for_method("logsSubscribe") {
                    self.endpoints[index].restore.push(draft);
                }
                self.connect(index);
            }
            return;
        }
        for index in 0..self.endpoints.len() {
            if self.endpoints[index].keep_connected {
                self.connect(index);
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Read access, for tests and the headless harness.

    /// The live capture.
    pub fn capture(&self) -> &Capture {
        &self.live
    }

    /// The endpoints list.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The subscriptions list.
    pub fn subscriptions(&self) -> &[SubscriptionRow] {
        &self.subscriptions
    }

    /// The settings as they would be saved now.
    pub fn settings(&self) -> Settings {
        let mut settings = self.settings.clone();
        self.fill_settings(&mut settings);
        settings.sanitized()
    }

    /// The imported capture, if a file is open.
    pub fn imported(&self) -> Option<&Capture> {
        self.imported.as_ref().map(|imported| &imported.capture)
    }

    /// Which capture the table shows.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The table's state (filter, pause, selection).
    pub fn table(&self) -> &TableState {
        &self.table
    }

    /// How many rows the table shows now (filter and pause applied).
    pub fn visible_rows(&self) -> usize {
        match (self.source, &self.imported) {
            (Source::Imported, Some(imported)) => self.table.row_count(&imported.capture),
            _ => self.table.row_count(&self.live),
        }
    }

    /// The events the table shows now, oldest first (for tests; it walks every row).
    pub fn visible_events(&self) -> Vec<&CapturedEvent> {
        let capture = match (self.source, &self.imported) {
            (Source::Imported, Some(imported)) => &imported.capture,
            _ => &self.live,
        };
        (0..self.table.row_count(capture)).filter_map(|row| self.table.event_at(capture, row)).collect()
    }

    /// The selected event, if it is still held.
    pub fn selected_event(&self) -> Option<&CapturedEvent> {
        let seq = self.table.selected?;
        match (self.source, &self.imported) {
            (Source::Imported, Some(imported)) => imported.capture.by_seq(seq),
            _ => self.live.by_seq(seq),
        }
    }

    /// Shows `capture` read-only in the table, as an opened file is shown.
    pub fn open_capture(&mut self, name: String, capture: Capture, context: CaptureContext) {
        let reorgs = jobs::find_reorgs(capture.iter(), &context);
        self.imported = Some(ImportedCapture { name, capture, context, reorgs, error: None, left_out: 0 });
        self.live.set_limits(self.live_limits());
        self.set_source(Source::Imported);
    }

    /// The memory (bytes) every captured event held for the window takes: the capture, what
    /// waits to enter it, and the backend's queue. It stays within the cap.
    pub fn memory_held(&self) -> usize {
        self.live.memory_bytes() + self.pending_bytes + self.backend.queue().held().1
    }

    /// Whether an export or import is running.
    pub fn job_running(&self) -> bool {
        self.job.is_some()
    }

    /// The last app-wide message (`Err` for a failure).
    pub fn message(&self) -> Option<&Result<String, String>> {
        self.message.as_ref()
    }

    // ---------------------------------------------------------------------------------------
    // Logic: runs before every frame (and while the window is hidden).

    /// Drains the backend into the capture under [`LOGIC_BUDGET`], applies control events,
    /// advances jobs and asks for the next repaint. Shows no UI.
    pub fn logic_step(&mut self, ctx: &egui::Context) {
        let started = Instant::now();
        self.poll_keys();
        self.step_job(LOGIC_BUDGET / 2);
        if self.pending.is_empty() {
            let drained = self.backend.drain();
            self.live.add_evicted(drained.evicted);
            for event in drained.events {
                self.apply_event(event);
            }
            self.pending = drained.captured;
            self.pending_bytes = self.pending.iter().map(CapturedEvent::memory_cost).sum();
            self.make_room_for_pending();
        }
        self.absorb_pending(started);
        // What the window holds counts against the same cap as the backend's queue.
        self.backend.queue().set_downstream(
            self.live.len() + self.pending.len(),
            self.live.memory_bytes() + self.pending_bytes,
        );
        let remaining = LOGIC_BUDGET.saturating_sub(started.elapsed()).max(Duration::from_millis(1));
        let scanned = match (self.source, &self.imported) {
            (Source::Imported, Some(imported)) => self.table.refresh(&imported.capture, remaining),
            _ => self.table.refresh(&self.live, remaining),
        };
        if !self.pending.is_empty() || !scanned {
            ctx.request_repaint();
        } else if self.endpoints.iter().any(Endpoint::is_live) {
            // Keep the rate, the plot and reconnect countdowns moving while connected.
            ctx.request_repaint_after(Duration::from_millis(500));
        }
    }

    /// Keeps the capture and what waits to enter it within the capture's limits together,
    /// evicting the oldest first (from the capture, then from what waits), counted.
    fn make_room_for_pending(&mut self) {
        let limits = self.live.limits();
        while limits
            .exceeded_by(self.live.len() + self.pending.len(), self.live.memory_bytes() + self.pending_bytes)
        {
            if self.live.evict_oldest() {
                continue;
            }
            let Some(oldest) = self.pending.pop_front() else { break };
            self.pending_bytes -= oldest.memory_cost();
            self.live.add_evicted(1);
        }
    }

    /// What the live capture may hold: the consumer's share of the cap, less what an opened
    /// file holds (but never under a quarter of the share).
    fn live_limits(&self) -> CaptureLimits {
        let share = self.settings.limits.consumer_share();
        let (events, bytes) = self
            .imported
            .as_ref()
            .map_or((0, 0), |imported| (imported.capture.len(), imported.capture.memory_bytes()));
        CaptureLimits {
            max_events: share.max_events.saturating_sub(events).max(share.max_events / 4),
            max_bytes: share.max_bytes.saturating_sub(bytes).max(share.max_bytes / 4),
        }
    }

    /// How much an opened file may hold: three quarters of the consumer's share of the cap.
    fn import_options(&self) -> ImportOptions {
        let share = self.settings.limits.consumer_share();
        ImportOptions {
            limits: CaptureLimits {
                max_events: share.max_events / 4 * 3,
                max_bytes: share.max_bytes / 4 * 3,
            },
            ..ImportOptions::default()
        }
    }

    fn absorb_pending(&mut self, started: Instant) {
        let mut moved = 0usize;
        while let Some(event) = self.pending.pop_front() {
            self.pending_bytes -= event.memory_cost();
            if let Some(sub) = event.subscription
                && self.new_heads.contains(&sub)
                && let Some(note) = jobs::observe_head(&mut self.reorg_tracker, sub, &event)
            {
                self.live_reorgs.insert(event.seq, note);
            }
            self.live.push(event);
            moved += 1;
            if moved.is_multiple_of(256) && started.elapsed() >= LOGIC_BUDGET {
                break;
            }
        }
        if self.live_reorgs.len() > 100_000
            && let Some(first) = self.live.first_seq()
        {
            self.live_reorgs.retain(|seq, _| *seq >= first);
        }
    }

    fn apply_event(&mut self, event: Event) {
        match event {
            Event::State { conn, state } => self.apply_state(conn, state),
            Event::Subscription { conn: _, sub, outcome, resubscribed } => {
                let Some(row) = self.subscriptions.iter_mut().find(|row| row.sub == sub) else { return };
                if resubscribed {
                    row.resubscribed += 1;
                }
                match outcome {
                    SubscribeOutcome::Active(id) => {
                        if let Some(info) = self.live_context.subscriptions.get_mut(&sub) {
                            info.server_id = Some(id.clone());
                        }
                        row.state = SubState::Active(id);
                    }
                    SubscribeOutcome::Failed(err) => {
                        // A refused form is not restored; it stays in the composer to fix.
                        row.restore = false;
                        row.state = SubState::Failed(err.to_string());
                    }
                    SubscribeOutcome::Retrying { error, retry_in } => {
                        row.state = SubState::Retrying(format!(
                            "refused ({error}); retrying in {:.0} s",
                            retry_in.as_secs_f64().ceil()
                        ));
                    }
                }
            }
            Event::SubscriptionEnded { conn: _, sub, reason } => {
                self.reorg_tracker.forget(sub);
                let Some(row) = self.subscriptions.iter_mut().find(|row| row.sub == sub) else { return };
                let endpoint_wanted = self
                    .endpoints
                    .iter()
                    .any(|endpoint| endpoint.id == row.endpoint && endpoint.keep_connected);
                row.restore &= endpoint_wanted && reason == EndReason::ConnectionClosed;
                row.state = match reason {
                    EndReason::Unsubscribed(Ok(true)) => SubState::Ended("unsubscribed".to_owned()),
                    EndReason::Unsubscribed(Ok(false)) => {
                        SubState::Ended("unsubscribed (the server said it was not active)".to_owned())
                    }
                    EndReason::Unsubscribed(Err(err)) => {
                        SubState::Failed(format!("unsubscribe refused: {err}"))
                    }
                    EndReason::Completed => SubState::Ended("completed by the server".to_owned()),
                    EndReason::ConnectionClosed => SubState::Ended("connection closed".to_owned()),
                };
            }
            Event::Response { conn: _, request, result } => {
                if let Some(response) =
                    self.composer.response.as_mut().filter(|response| response.request == request)
                {
                    response.state = match result {
                        Ok(raw) => ResponseState::Answered(pretty_json(&raw)),
                        Err(err) => ResponseState::Failed(err.to_string()),
                    };
                }
            }
            Event::Gap { conn, lost_at_ms, restored_at_ms } => {
                let note = format!(
                    "No data for {:.1} s while reconnecting ({} to {} UTC)",
                    restored_at_ms.saturating_sub(lost_at_ms) as f64 / 1000.0,
                    crate::ui::time_of_day(lost_at_ms),
                    crate::ui::time_of_day(restored_at_ms),
                );
                if let Some(endpoint) = self.endpoints.iter_mut().find(|endpoint| endpoint.conn == Some(conn))
                {
                    endpoint.gap_note = Some(note);
                }
            }
            Event::CommandFailed { conn, message } => {
                match conn
                    .and_then(|conn| self.endpoints.iter_mut().find(|endpoint| endpoint.conn == Some(conn)))
                {
                    Some(endpoint) => endpoint.error = Some(message),
                    None => self.message = Some(Err(message)),
                }
            }
        }
    }

    fn apply_state(&mut self, conn: ConnId, state: ConnState) {
        let Some(endpoint) = self.endpoints.iter_mut().find(|endpoint| endpoint.conn == Some(conn)) else {
            return;
        };
        if state == ConnState::Open {
            endpoint.error = None;
        }
        match state {
            ConnState::Closed { .. } => {
                // Closed by a failure while the user wants it connected: its subscriptions
                // stay set up (saved, and sent again when it connects).
                let wanted = endpoint.keep_connected;
                for row in self.subscriptions.iter_mut().filter(|row| row.conn == conn && row.state.is_live())
                {
                    row.state = SubState::Ended("connection closed".to_owned());
                    row.restore &= wanted;
                }
            }
            ConnState::Reconnecting { .. } => {
                // The backend re-subscribes after the reconnect; until then nothing arrives.
                for row in self.subscriptions.iter_mut().filter(|row| row.conn == conn) {
                    if let SubState::Active(_) = row.state {
                        row.state = SubState::Pending;
                    }
                }
            }
            ConnState::Connecting { .. } | ConnState::Open => {}
        }
        endpoint.state = Some(state);
    }

    fn step_job(&mut self, budget: Duration) {
        let Some(job) = self.job.take() else { return };
        let imported = self.imported.as_ref().map(|imported| &imported.capture);
        match jobs::step(job, &self.runtime, &self.ctx, &self.live, imported, budget) {
            JobOutcome::Running(job) => self.job = Some(job),
            JobOutcome::Done(result) => {
                self.export_result = Some(result.clone());
                self.message = Some(result);
            }
            JobOutcome::Imported(imported) => {
                let mut text = format!(
                    "Opened {} ({} events, read-only)",
                    imported.name,
                    crate::ui::format_count(imported.capture.len() as u64)
                );
                let result = match &imported.error {
                    Some(err) => {
                        text.push_str(&format!(": {err}"));
                        Err(text)
                    }
                    None => Ok(text),
                };
                self.message = Some(result);
                self.imported = Some(*imported);
                self.live.set_limits(self.live_limits());
                self.set_source(Source::Imported);
            }
        }
    }

    fn poll_keys(&mut self) {
        while let Ok(result) = self.keys_rx.try_recv() {
            match result {
                KeyResult::Loaded { endpoint, key } => {
                    let Some(index) = self.endpoints.iter().position(|entry| entry.id == endpoint) else {
                        continue;
                    };
                    let entry = &mut self.endpoints[index];
                    match key {
                        Ok(Some(key)) => {
                            entry.keychain = KeychainLookup::Answered;
                            if entry.key_source != KeySource::Typed {
                                entry.api_key = key.expose().to_owned();
                                entry.key_source = KeySource::Keychain;
                                entry.key_note = None;
                            }
                        }
                        Ok(None) => {
                            entry.keychain = KeychainLookup::Answered;
                            use_env_key(entry, self.env_key.as_ref());
                        }
                        Err(KeychainError::Locked(reason)) => {
                            // It may hold a key of this endpoint's: no stand-in from the
                            // environment, and no connect until it answers.
                            entry.keychain = KeychainLookup::Locked(reason);
                            entry.key_note = Some(Err(
                                "The OS keychain is locked or refused access; unlock it and retry."
                                    .to_owned(),
                            ));
                            continue;
                        }
                        Err(err @ KeychainError::Unavailable(_)) => {
                            // Nothing went wrong that the user did: say it plainly, not as an error.
                            entry.keychain = KeychainLookup::Unavailable(err.to_string());
                            use_env_key(entry, self.env_key.as_ref());
                            if entry.key_source == KeySource::None {
                                entry.key_note = Some(Ok(format!(
                                    "No OS keychain on this system: a pasted key is kept for this \
                                     session only (or set {}).",
                                    settings::API_KEY_ENV
                                )));
                            }
                        }
                    }
                    if self.connect_after_key.remove(&endpoint) {
                        self.connect(index);
                    }
                }
                KeyResult::Stored { endpoint, result } => {
                    if let Some(entry) = self.endpoints.iter_mut().find(|entry| entry.id == endpoint) {
                        if result.is_ok() {
                            entry.key_source = KeySource::Keychain;
                        }
                        entry.key_note = Some(
                            result
                                .map(|()| "Saved in the OS keychain.".to_owned())
                                .map_err(|err| err.to_string()),
                        );
                    }
                }
                KeyResult::Deleted { endpoint, result } => {
                    if let Some(entry) = self.endpoints.iter_mut().find(|entry| entry.id == endpoint) {
                        if result.is_ok() {
                            entry.key_source = KeySource::Typed;
                        }
                        entry.key_note = Some(
                            result
                                .map(|()| "Removed from the OS keychain.".to_owned())
                                .map_err(|err| err.to_string()),
                        );
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Commands: what the panels' actions turn into.

    /// Connects an endpoint and sends what was set up on it: the subscriptions to restore,
    /// and those that ended with a connection that failed. An endpoint whose keychain lookup
    /// has not answered yet connects when it does.
    fn connect(&mut self, index: usize) {
        let Some(endpoint) = self.endpoints.get_mut(index) else { return };
        if endpoint.keychain == KeychainLookup::Asking && endpoint.api_key.trim().is_empty() {
            self.connect_after_key.insert(endpoint.id);
            endpoint.keep_connected = true;
            return;
        }
        if let Some(blocker) = endpoint.connect_blocker() {
            endpoint.error = Some(blocker);
            return;
        }
        let url = endpoint.url.trim().to_owned();
        let key = endpoint.api_key.trim();
        let conn = self.backend.new_connection_id();
        let mut config = ConnectionConfig::new(endpoint.label.clone(), url.clone());
        if !key.is_empty() {
            config.api_key = Some(Secret::new(key));
        }
        if let Err(err) = self.backend.send(Command::Connect { conn, config: Box::new(config) }) {
            endpoint.error = Some(format!("Could not connect: {err}"));
            return;
        }
        self.live_context.add_connection(conn, &endpoint.label, &url);
        endpoint.conn = Some(conn);
        endpoint.state = Some(ConnState::Connecting { attempt: 0 });
        endpoint.error = None;
        endpoint.gap_note = None;
        endpoint.keep_connected = true;
        let endpoint_id = endpoint.id;
        let mut drafts = std::mem::take(&mut endpoint.restore);
        // Subscriptions that ended with a failed connection come back with the new one.
        let ended: Vec<SubKey> = self
            .subscriptions
            .iter()
            .filter(|row| row.endpoint == endpoint_id && row.restore && !row.state.is_live())
            .map(|row| row.sub)
            .collect();
        for sub in ended {
            if let Some(position) = self.subscriptions.iter().position(|row| row.sub == sub) {
                drafts.extend(self.subscriptions.remove(position).draft);
            }
        }
        for draft in drafts {
            self.subscribe_draft(conn, draft);
        }
    }

    /// Disconnects an endpoint for good: it is no longer connected on start, and its
    /// subscriptions are no longer restored.
    fn disconnect(&mut self, index: usize) {
        let Some(endpoint) = self.endpoints.get_mut(index) else { return };
        endpoint.keep_connected = false;
        endpoint.restore.clear();
        self.connect_after_key.remove(&endpoint.id);
        let endpoint_id = endpoint.id;
        for row in self.subscriptions.iter_mut().filter(|row| row.endpoint == endpoint_id) {
            row.restore = false;
        }
        let Some(conn) = endpoint.conn else { return };
        if let Err(err) = self.backend.send(Command::Disconnect { conn }) {
            endpoint.error = Some(format!("Could not disconnect: {err}"));
        }
    }

    fn subscribe_draft(&mut self, conn: ConnId, draft: Draft) {
        match catalog::build(&draft) {
            Ok(built) => self.subscribe(conn, draft, built.method, built.params),
            Err(errors) => {
                let first = errors.first().map_or_else(String::new, |err| err.message.clone());
                self.message = Some(Err(format!("A saved subscription was not sent: {first}")));
                // Kept: it is what the user set up, and a later catalogue may take it.
                if let Some(endpoint) = self.endpoints.iter_mut().find(|endpoint| endpoint.conn == Some(conn))
                {
                    endpoint.restore.push(draft);
                }
            }
        }
    }

    fn subscribe(&mut self, conn: ConnId, draft: Draft, method: String, params: Option<serde_json::Value>) {
        let sub = self.backend.new_subscription_key();
        let command = Command::Subscribe { conn, sub, method: method.clone(), params: params.clone() };
        if let Err(err) = self.backend.send(command) {
            self.message = Some(Err(format!("Could not subscribe: {err}")));
            return;
        }
        if method == "eth_subscribe"
            && params.as_ref().and_then(|params| params.get(0)).and_then(serde_json::Value::as_str)
                == Some("newHeads")
        {
            self.new_heads.insert(sub);
        }
        let title = subscription_title(&draft, params.as_ref());
        self.live_context
            .subscriptions
            .insert(sub, SubscriptionInfo { method: method.clone(), params, server_id: None });
        let conn_label = connection_label(&self.live_context, conn);
        let endpoint = self.endpoints.iter().find(|endpoint| endpoint.conn == Some(conn)).map_or(0, |e| e.id);
        self.subscriptions.push(SubscriptionRow {
            conn,
            sub,
            method,
            title,
            conn_label,
            state: SubState::Pending,
            resubscribed: 0,
            draft: Some(draft),
            endpoint,
            restore: true,
        });
    }

    fn unsubscribe(&mut self, sub: SubKey) {
        let Some(row) = self.subscriptions.iter_mut().find(|row| row.sub == sub) else { return };
        row.restore = false;
        match self.backend.send(Command::Unsubscribe { conn: row.conn, sub }) {
            Ok(()) => row.state = SubState::Unsubscribing,
            Err(err) => row.state = SubState::Failed(format!("could not unsubscribe: {err}")),
        }
    }

    fn request(&mut self, conn: ConnId, method: String, params: Option<serde_json::Value>) {
        let request = self.backend.new_request_key();
        let command = Command::Request { conn, request, method: method.clone(), params };
        let state = match self.backend.send(command) {
            Ok(()) => ResponseState::Pending,
            Err(err) => ResponseState::Failed(format!("Could not send: {err}")),
        };
        self.composer.response = Some(ResponseView { request, method, state });
    }

    fn load_key(&mut self, index: usize) {
        let (Some(endpoint), Some(store)) = (self.endpoints.get(index), self.keychain.clone()) else {
            return;
        };
        let (id, url) = (endpoint.id, endpoint.url.clone());
        let sender = self.keys_tx.clone();
        let ctx = self.ctx.clone();
        self.runtime.spawn_blocking(move || {
            let key = keychain::load_endpoint_key(store.as_ref(), id, &url);
            send_key_result(&sender, KeyResult::Loaded { endpoint: id, key });
            ctx.request_repaint();
        });
    }

    fn store_key(&mut self, index: usize, remember: bool) {
        let Some(endpoint) = self.endpoints.get_mut(index) else { return };
        let Some(store) = self.keychain.clone() else {
            endpoint.key_note = Some(Err(format!("The OS keychain is off; set {}.", settings::API_KEY_ENV)));
            return;
        };
        let (id, account) = (endpoint.id, keychain::account_for(endpoint.id));
        let key = Secret::new(endpoint.api_key.clone());
        let sender = self.keys_tx.clone();
        let ctx = self.ctx.clone();
        self.runtime.spawn_blocking(move || {
            let result = if remember {
                KeyResult::Stored { endpoint: id, result: store.store(&account, &key) }
            } else {
                KeyResult::Deleted { endpoint: id, result: store.delete(&account) }
            };
            send_key_result(&sender, result);
            ctx.request_repaint();
        });
    }

    /// Deletes a removed endpoint's keychain entry, so a later endpoint never inherits it.
    fn forget_removed_key(&self, endpoint_id: u64) {
        let Some(store) = self.keychain.clone() else { return };
        self.runtime.spawn_blocking(move || {
            store.delete(&keychain::account_for(endpoint_id)).ok(); // nothing to report: it is gone
        });
    }

    /// Turns the key pasted into an endpoint's URL into `{api_key}`, moves the key to the
    /// key field and, with a keychain, stores it there.
    fn move_key_to_key_field(&mut self, index: usize) {
        let Some(endpoint) = self.endpoints.get_mut(index) else { return };
        let Some((template, key)) = extract_key(&endpoint.url) else { return };
        endpoint.url = template;
        endpoint.api_key = key.expose().to_owned();
        endpoint.key_source = KeySource::Typed;
        endpoint.keychain = KeychainLookup::Answered;
        endpoint.preset.clear();
        endpoint.error = None;
        endpoint.key_note = None;
        if self.keychain.is_some() {
            self.store_key(index, true);
        }
    }

    fn set_source(&mut self, source: Source) {
        self.source =
            if source == Source::Imported && self.imported.is_none() { Source::Live } else { source };
        self.table.reset();
    }

    fn clear(&mut self) {
        match self.source {
            Source::Live => {
                self.live.clear();
                self.live_reorgs.clear();
                self.pending.clear();
                self.pending_bytes = 0;
            }
            Source::Imported => {
                self.imported = None;
                self.live.set_limits(self.live_limits());
            }
        }
        self.set_source(Source::Live);
    }

    /// Puts what the user set up into `settings`: endpoints with whether they are to be
    /// connected and the subscriptions to restore, whatever their connections are doing now.
    fn fill_settings(&self, settings: &mut Settings) {
        settings.endpoints = self
            .endpoints
            .iter()
            .map(|endpoint| settings::SavedEndpoint {
                id: endpoint.id,
                label: endpoint.label.clone(),
                preset: endpoint.preset.clone(),
                url: endpoint.url.clone(),
                connect_on_start: endpoint.keep_connected,
                subscriptions: self
                    .subscriptions
                    .iter()
                    .filter(|row| row.endpoint == endpoint.id && row.restore)
                    .filter_map(|row| row.draft.clone())
                    .chain(endpoint.restore.iter().cloned())
                    .collect(),
            })
            .collect();
        settings.composer_method = self.composer.draft.method.clone();
        settings.request_draft = Some(self.composer.request.clone());
        settings.column_widths = self.table.column_widths.clone();
        settings.limits = self.settings.limits;
    }

    /// Writes the settings file now (only when something changed); a failure is shown.
    pub fn save_settings(&mut self) {
        let mut settings = self.settings.clone();
        self.fill_settings(&mut settings);
        if let Some(file) = &mut self.settings_file
            && let Err(err) = file.save(&settings)
        {
            self.message =
                Some(Err(format!("Could not save the settings to {}: {err}", file.path().display())));
        }
    }

    // ---------------------------------------------------------------------------------------
    // UI: reads state, returns intent.

    /// Draws the whole window (the same code the kittest harness runs).
    pub fn show(&mut self, ui: &mut Ui) {
        self.shortcuts(ui.ctx());
        Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui));
        Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        Panel::left("side").resizable(true).default_size(380.0).size_range(280.0..=640.0).show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("side_scroll").auto_shrink([false, false]).show(ui, |ui| {
                self.side_ui(ui);
            });
        });
        CentralPanel::default().show(ui, |ui| self.central_ui(ui));
        self.dialogs_ui(ui.ctx());
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        let typing = ctx.egui_wants_keyboard_input();
        let (find, clear, export, space) = ctx.input_mut(|input| {
            (
                input.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::F)),
                input.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::L)),
                input.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::E)),
                !typing && input.consume_key(Modifiers::NONE, Key::Space),
            )
        });
        if find {
            self.table.focus_filter = true;
        }
        if clear {
            self.clear();
        }
        if export {
            self.export_dialog.open = true;
            self.export_result = None;
        }
        if space {
            self.toggle_pause();
        }
    }

    fn toggle_pause(&mut self) {
        match (self.source, &self.imported) {
            (Source::Imported, Some(imported)) => self.table.toggle_pause(&imported.capture),
            _ => self.table.toggle_pause(&self.live),
        }
    }

    fn toolbar_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.heading("subscope");
            ui.separator();
            let mut source = self.source;
            ui.selectable_value(&mut source, Source::Live, "Live");
            if let Some(imported) = &self.imported {
                ui.selectable_value(&mut source, Source::Imported, format!("{} (read-only)", imported.name));
            }
            if source != self.source {
                self.set_source(source);
            }
            ui.separator();
            let busy = self.job.is_some();
            if ui
                .add_enabled(!busy, egui::Button::new("Open capture…"))
                .on_hover_text("Open an exported .ndjson or .json file, read-only")
                .clicked()
            {
                self.transfer_action(TransferAction::ChooseImportFile);
            }
            if ui.button("Export… (Ctrl+E)").clicked() {
                self.export_dialog.open = true;
                self.export_result = None;
            }
            if let Some(job) = &self.job
                && !(self.export_dialog.open && job.is_export())
                && job_progress_ui(ui, &job.view())
            {
                self.transfer_action(TransferAction::Cancel);
            }
        });
    }

    fn status_ui(&mut self, ui: &mut Ui) {
        let now = now_ms();
        let live_endpoints: Vec<&Endpoint> =
            self.endpoints.iter().filter(|endpoint| endpoint.is_live()).collect();
        let info = StatusInfo {
            connections: live_endpoints.len(),
            open: live_endpoints.iter().filter(|endpoint| endpoint.is_open()).count(),
            held: self.live.len(),
            total: self.live.total_received(),
            rate: self.live.rate().per_second(now, 5),
            memory: self.memory_held(),
            cap: self.settings.limits.max_bytes,
            evicted: self.live.evicted(),
            message: self.message.clone(),
        };
        match status_bar_ui(ui, &info) {
            Some(StatusAction::SetCap(bytes)) => {
                let limits = CaptureLimits { max_bytes: bytes, ..self.settings.limits };
                self.settings.limits = limits;
                self.live.set_limits(self.live_limits());
                if let Err(err) = self.backend.send(Command::SetLimits(limits)) {
                    self.message = Some(Err(format!("Could not change the cap: {err}")));
                }
            }
            Some(StatusAction::DismissMessage) => self.message = None,
            None => {}
        }
    }

    fn side_ui(&mut self, ui: &mut Ui) {
        egui::CollapsingHeader::new(RichText::new("Endpoints").heading()).default_open(true).show(ui, |ui| {
            for action in endpoints_ui(ui, &mut self.endpoints, now_ms()) {
                self.endpoint_action(action);
            }
            self.find_keys();
        });
        let choices: Vec<ConnChoice> = self
            .endpoints
            .iter()
            .filter(|endpoint| endpoint.is_live())
            .filter_map(|endpoint| {
                Some(ConnChoice {
                    conn: endpoint.conn?,
                    label: endpoint.label.clone(),
                    state: endpoint.state_word(),
                })
            })
            .collect();
        egui::CollapsingHeader::new(RichText::new("New subscription").heading()).default_open(true).show(
            ui,
            |ui| {
                let action = composer_ui(
                    ui,
                    &mut self.composer,
                    &mut self.settings.drafts_by_method,
                    &self.settings.saved_drafts,
                    &choices,
                );
                if let Some(action) = action {
                    self.composer_action(action);
                }
            },
        );
        let title = format!(
            "Subscriptions ({})",
            self.subscriptions.iter().filter(|row| row.state.is_live()).count()
        );
        egui::CollapsingHeader::new(RichText::new(title).heading())
            .id_salt("subscriptions")
            .default_open(true)
            .show(ui, |ui| {
                if let Some(action) = subscriptions_ui(ui, &self.subscriptions, &self.live, now_ms()) {
                    self.subscription_action(action);
                }
            });
        egui::CollapsingHeader::new(RichText::new("One-off request").heading()).default_open(false).show(
            ui,
            |ui| {
                if let Some(action) = request_ui(ui, &mut self.composer, &choices) {
                    self.composer_action(action);
                }
            },
        );
    }

    fn central_ui(&mut self, ui: &mut Ui) {
        let (capture, context, reorgs) = match (self.source, &self.imported) {
            (Source::Imported, Some(imported)) => (&imported.capture, &imported.context, &imported.reorgs),
            _ => (&self.live, &self.live_context, &self.live_reorgs),
        };
        if let (Source::Imported, Some(imported)) = (self.source, &self.imported) {
            ui.horizontal_wrapped(|ui| {
                ui.label(warn_text(ui.visuals(), format!("Viewing {} (read-only).", imported.name)));
                if imported.left_out > 0 {
                    ui.label(warn_text(
                        ui.visuals(),
                        format!(
                            "Its oldest {} events did not fit in the memory cap and were left out.",
                            crate::ui::format_count(imported.left_out)
                        ),
                    ));
                }
                if let Some(err) = &imported.error {
                    ui.label(error_text(ui.visuals(), err));
                }
            });
        }
        let choices = filter_choices(context);
        let read_only = self.source == Source::Imported;
        let source = if self.imported.is_some() { self.source } else { Source::Live };
        let action = table_toolbar_ui(ui, &mut self.table, capture, &choices, read_only);
        let selected = self.table.selected.and_then(|seq| capture.by_seq(seq));
        Panel::bottom("inspector").resizable(true).default_size(300.0).size_range(120.0..=700.0).show(
            ui,
            |ui| {
                Panel::right("plot").resizable(true).default_size(420.0).size_range(200.0..=900.0).show(
                    ui,
                    |ui| {
                        // A file's rates are plotted up to its newest event, live ones up to now.
                        let plot_now = match source {
                            Source::Imported => {
                                capture.iter().next_back().map_or(0, |event| event.received_at_ms + 1000)
                            }
                            Source::Live => now_ms(),
                        };
                        rate_plot_ui(ui, capture, context, plot_now);
                    },
                );
                CentralPanel::default().show(ui, |ui| detail_ui(ui, &mut self.detail, selected, context));
            },
        );
        CentralPanel::default().frame(egui::Frame::NONE).show(ui, |ui| {
            events_table_ui(ui, &mut self.table, capture, context, reorgs);
        });
        match action {
            Some(TableAction::TogglePause) => self.toggle_pause(),
            Some(TableAction::Clear) => self.clear(),
            None => {}
        }
    }

    fn dialogs_ui(&mut self, ctx: &egui::Context) {
        let (capture, rows) = match (self.source, &self.imported) {
            (Source::Imported, Some(imported)) => {
                (&imported.capture, self.table.row_count(&imported.capture))
            }
            _ => (&self.live, self.table.row_count(&self.live)),
        };
        let counts = ExportCounts { all: capture.len(), filtered: rows };
        let job: Option<JobView> = self.job.as_ref().filter(|job| job.is_export()).map(Job::view);
        if let Some(action) =
            export_dialog_ui(ctx, &mut self.export_dialog, counts, job.as_ref(), self.export_result.as_ref())
        {
            self.transfer_action(action);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Actions.

    fn endpoint_action(&mut self, action: EndpointAction) {
        match action {
            EndpointAction::Connect(index) => self.connect(index),
            EndpointAction::Disconnect(index) => self.disconnect(index),
            EndpointAction::Remove(index) => {
                if self.endpoints.get(index).is_some_and(|endpoint| !endpoint.is_live()) {
                    let removed = self.endpoints.remove(index);
                    self.connect_after_key.remove(&removed.id);
                    for row in self.subscriptions.iter_mut().filter(|row| row.endpoint == removed.id) {
                        row.restore = false;
                    }
                    self.forget_removed_key(removed.id);
                }
            }
            EndpointAction::Add => {
                let id = new_endpoint_id(&self.endpoints);
                let label = format!("Endpoint {}", self.endpoints.len() + 1);
                self.endpoints.push(Endpoint { id, label, ..Endpoint::default() });
            }
            EndpointAction::RememberKey(index) => self.store_key(index, true),
            EndpointAction::ForgetKey(index) => self.store_key(index, false),
            EndpointAction::MoveKeyToKeyField(index) => self.move_key_to_key_field(index),
            EndpointAction::RetryKeychain(index) => {
                if let Some(endpoint) = self.endpoints.get_mut(index) {
                    endpoint.keychain = KeychainLookup::NotAsked;
                    endpoint.key_note = None;
                }
                self.find_keys();
            }
        }
    }

    fn composer_action(&mut self, action: ComposerAction) {
        match action {
            ComposerAction::Subscribe { conn, draft, built } => {
                self.subscribe(conn, draft, built.method, built.params);
            }
            ComposerAction::Request { conn, built } => self.request(conn, built.method, built.params),
            ComposerAction::SaveDraft { name, draft } => {
                self.message = Some(Ok(format!("Saved draft \u{201c}{name}\u{201d}")));
                let saved = settings::SavedDraft { name, draft };
                match self.settings.saved_drafts.iter_mut().find(|entry| entry.name == saved.name) {
                    Some(entry) => *entry = saved,
                    None => self.settings.saved_drafts.push(saved),
                }
            }
            ComposerAction::DeleteSaved(index) => {
                if index < self.settings.saved_drafts.len() {
                    self.settings.saved_drafts.remove(index);
                }
            }
        }
    }

    fn subscription_action(&mut self, action: SubscriptionAction) {
        match action {
            SubscriptionAction::Unsubscribe(sub) => self.unsubscribe(sub),
            SubscriptionAction::Remove(sub) => {
                self.subscriptions.retain(|row| row.sub != sub || row.state.is_live())
            }
            SubscriptionAction::Show(sub) => {
                if let Some(conn) = self.subscriptions.iter().find(|row| row.sub == sub).map(|row| row.conn) {
                    if self.source != Source::Live {
                        self.set_source(Source::Live);
                    }
                    self.table.show_subscription(conn, sub);
                }
            }
            SubscriptionAction::Edit(sub) => {
                if let Some(draft) =
                    self.subscriptions.iter().find(|row| row.sub == sub).and_then(|row| row.draft.clone())
                {
                    self.composer.draft = draft;
                    self.composer.touched.clear();
                }
            }
        }
    }

    fn transfer_action(&mut self, action: TransferAction) {
        match action {
            TransferAction::ChooseExportPath | TransferAction::ExportTo(_) if self.job.is_some() => {
                self.export_result =
                    Some(Err("Another export or import is running; wait or cancel it.".to_owned()));
            }
            TransferAction::ChooseExportPath => {
                if self.job.is_none() {
                    let plan = self.export_plan();
                    let name = default_file_name(now_ms(), self.export_dialog.format);
                    self.job = Some(jobs::choose_export_path(&self.runtime, &self.ctx, plan, name));
                    self.export_result = None;
                }
            }
            TransferAction::ExportTo(path) => {
                if self.job.is_none() {
                    let plan = self.export_plan();
                    self.job = Some(jobs::start_snapshot(path, plan));
                    self.export_result = None;
                }
            }
            TransferAction::ChooseImportFile => {
                if self.job.is_none() {
                    self.job =
                        Some(jobs::choose_import_file(&self.runtime, &self.ctx, self.import_options()));
                }
            }
            TransferAction::ImportFrom(path) => {
                if self.job.is_none() {
                    self.job =
                        Some(jobs::start_import(&self.runtime, &self.ctx, path, self.import_options()));
                }
            }
            TransferAction::Cancel => {
                if let Some(job) = self.job.take() {
                    let result = job.cancel();
                    self.export_result = Some(result.clone());
                    self.message = Some(result);
                }
            }
            TransferAction::Close => self.export_dialog.open = false,
        }
    }

    fn export_plan(&self) -> ExportPlan {
        let from_import = self.source == Source::Imported && self.imported.is_some();
        let (capture, context) = match (&self.imported, from_import) {
            (Some(imported), true) => (&imported.capture, &imported.context),
            _ => (&self.live, &self.live_context),
        };
        let selection = match self.export_dialog.scope {
            ExportScope::All => Selection::Range {
                last: capture.iter().next_back().map_or(0, |event| event.seq),
                after: None,
            },
            ExportScope::Filtered => Selection::Seqs { seqs: self.table.visible_seqs(capture), next: 0 },
        };
        let total = match &selection {
            Selection::Range { .. } => capture.len(),
            Selection::Seqs { seqs, .. } => seqs.len(),
        };
        ExportPlan {
            selection,
            total,
            format: self.export_dialog.format,
            context: context.clone(),
            from_import,
        }
    }

    /// Starts exporting to `path` as if typed in the export dialog (for tests and scripts).
    pub fn export_to(&mut self, path: PathBuf, scope: ExportScope) {
        self.export_dialog.scope = scope;
        self.transfer_action(TransferAction::ExportTo(path));
    }

    /// Starts importing `path` (read-only), as the Open button does after its dialog.
    pub fn import_from(&mut self, path: PathBuf) {
        self.transfer_action(TransferAction::ImportFrom(path));
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
        // The settings have a file of their own now; eframe keeps only window and panel state.
        if storage.get_string(Settings::LEGACY_STORAGE_KEY).is_some() {
            storage.remove_string(Settings::LEGACY_STORAGE_KEY);
        }
        self.save_settings();
    }
}

/// A fresh endpoint id: random, so a removed endpoint's keychain entry is never inherited by
/// a new one that happens to take its place in the list.
fn new_endpoint_id(endpoints: &[Endpoint]) -> u64 {
    loop {
        let id = fastrand::u64(1..u64::from(u32::MAX));
        if endpoints.iter().all(|endpoint| endpoint.id != id) {
            return id;
        }
    }
}

/// Gives an endpoint with no key of its own the one from `SUBSCOPE_API_KEY`, if set.
fn use_env_key(endpoint: &mut Endpoint, env_key: Option<&Secret>) {
    if endpoint.api_key.is_empty()
        && let Some(key) = env_key
    {
        endpoint.api_key = key.expose().to_owned();
        endpoint.key_source = KeySource::Env;
    }
}

fn send_key_result(sender: &SyncSender<KeyResult>, result: KeyResult) {
    match sender.try_send(result) {
        Ok(()) | Err(TrySendError::Disconnected(_)) => {} // the app has closed
        Err(TrySendError::Full(result)) => {
            sender.send(result).ok(); // wait: key results are rare and must not be lost
        }
    }
}

fn filter_choices(context: &CaptureContext) -> FilterChoices {
    let mut connections: Vec<(ConnId, String)> =
        context.connections.keys().map(|conn| (*conn, connection_label(context, *conn))).collect();
    connections.sort();
    let mut subscriptions: Vec<(SubKey, String)> =
        context.subscriptions.keys().map(|sub| (*sub, subscription_label(context, *sub))).collect();
    subscriptions.sort();
    FilterChoices { connections, subscriptions }
}

/// A subscription's title for the list: the method's label and its first parameter.
fn subscription_title(draft: &Draft, params: Option<&serde_json::Value>) -> String {
    let label = draft.spec().map_or_else(|| draft.method.clone(), |spec| spec.label.to_owned());
    let first =
        params.and_then(|params| params.get(0)).filter(|first| !first.is_object() && !first.is_null());
    match (draft.spec().and_then(|spec| spec.subscription_kind), first) {
        (Some(_), _) | (None, None) => label,
        (None, Some(first)) => format!("{label} {}", truncate(&first.to_string(), 48)),
    }
}

fn pretty_json(raw: &str) -> String {
    serde_json::from_str::<serde_json::Value>(raw)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| raw.to_owned())
}
