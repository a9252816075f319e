//! What the app saves: the session's endpoints as the user set them up, and the window's own
//! settings (the theme and zoom among them), written to the settings file; and reading them
//! back at start.
//!
//! Nothing waits for eframe's half-minute autosave: every logic step looks (at most every
//! [`CHECK_EVERY`]) whether what would be saved changed, and a change is written off the UI
//! thread at once, so an unsubscribe is on disk within a second. Writes carry a number, and
//! one that arrives after a newer one was written is dropped: the file never goes back.
//! Closing the window (also on SIGTERM, SIGINT or SIGHUP, see `window`) writes on the UI
//! thread, last.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

use super::{App, AppOptions, Settings, SettingsFile, settings};
use crate::session::Message;
use crate::settings::Theme;

/// How often the logic step compares the settings with the ones last saved.
pub const CHECK_EVERY: Duration = Duration::from_millis(250);

/// The options the real app starts with: the settings file (or, once, settings an older
/// version kept in eframe's storage), with a notice when the file could not be used.
pub(super) fn startup_options(storage: Option<&dyn eframe::Storage>, file: Option<PathBuf>) -> AppOptions {
    let mut settings_file =
        eframe::storage_dir("subscope").map(|dir| SettingsFile::new(dir.join(settings::SETTINGS_FILE_NAME)));
    let loaded = settings_file.as_mut().map(SettingsFile::load).unwrap_or_default();
    let settings = loaded.settings.or_else(|| legacy_settings(storage)).unwrap_or_default();
    AppOptions { settings_file, notice: loaded.notice, ..AppOptions::new(settings, file) }
}

/// Settings an older version kept in eframe's storage (`app.ron`).
fn legacy_settings(storage: Option<&dyn eframe::Storage>) -> Option<Settings> {
    let mut settings: Settings = eframe::get_value(storage?, Settings::LEGACY_STORAGE_KEY)?;
    settings.repair();
    Some(settings)
}

/// The settings file and what is known of the writes to it, shared with the writers.
struct Disk {
    file: SettingsFile,
    /// The number of the newest settings written (or found unchanged).
    written: u64,
    /// Why the last write failed, until the window shows it.
    error: Option<String>,
}

impl Disk {
    /// Writes `settings` numbered `number`, unless newer ones were written already.
    fn write(&mut self, number: u64, settings: &Settings) {
        if number <= self.written {
            return;
        }
        self.written = number;
        self.error = self
            .file
            .save(settings)
            .err()
            .map(|err| format!("Could not save the settings to {}: {err}", self.file.path().display()));
    }
}

/// Keeps the settings file up to date with what the user set up.
pub(super) struct Persist {
    /// `None`: nothing is saved (tests, benchmarks).
    disk: Option<Arc<Mutex<Disk>>>,
    /// The settings last handed to a writer.
    sent: Option<Settings>,
    /// The number of the last settings handed to a writer.
    number: u64,
    /// When the logic step next compares the settings.
    next_check: Instant,
    /// Whether the saved theme and zoom were given to the window's context.
    appearance_applied: bool,
}

impl Persist {
    pub(super) fn new(file: Option<SettingsFile>) -> Self {
        let disk = file.map(|file| Arc::new(Mutex::new(Disk { file, written: 0, error: None })));
        Self { disk, sent: None, number: 0, next_check: Instant::now(), appearance_applied: false }
    }
}

fn lock(disk: &Mutex<Disk>) -> std::sync::MutexGuard<'_, Disk> {
    disk.lock().unwrap_or_else(PoisonError::into_inner)
}

impl App {
    /// The settings as they would be saved now (sanitized).
    pub fn settings(&self) -> Settings {
        self.current_settings().sanitized()
    }

    /// Writes the settings file now, on this thread (only when something changed); a failure
    /// is shown.
    pub fn save_settings(&mut self) {
        let settings = self.current_settings();
        let Some(disk) = self.persist.disk.clone() else { return };
        self.persist.number += 1;
        let mut disk = lock(&disk);
        disk.write(self.persist.number, &settings);
        if let Some(err) = disk.error.take() {
            self.message = Some(Message::Failure(err));
        }
        self.persist.sent = Some(settings);
    }

    /// Runs in every logic step: applies the saved theme and zoom once, follows the user's
    /// changes to them, and writes the settings off the UI thread when they changed (looking
    /// at most every [`CHECK_EVERY`], and again that long after the user's input).
    pub(super) fn persist_step(&mut self, ctx: &egui::Context) {
        if !self.persist.appearance_applied {
            // A new zoom takes effect at the next pass: until then the context has the old one.
            self.persist.appearance_applied = true;
            apply_appearance(ctx, &self.settings);
            ctx.request_repaint();
            return;
        }
        self.settings.theme = theme_choice(ctx.options(|options| options.theme_preference));
        self.settings.zoom = ctx.zoom_factor();
        // Ctrl+Plus/Minus/0 change the zoom after the frame's UI: what the user did in this
        // frame is looked at in a later one.
        if ctx.input(|input| !input.raw.events.is_empty()) {
            ctx.request_repaint_after(CHECK_EVERY);
        }
        let Some(disk) = self.persist.disk.clone() else { return };
        if let Ok(mut disk) = disk.try_lock()
            && let Some(err) = disk.error.take()
        {
            self.message = Some(Message::Failure(err));
        }
        let now = Instant::now();
        if now < self.persist.next_check {
            ctx.request_repaint_after(self.persist.next_check - now);
            return;
        }
        self.persist.next_check = now + CHECK_EVERY;
        let settings = self.current_settings();
        if self.persist.sent.as_ref() == Some(&settings) {
            return;
        }
        self.persist.number += 1;
        self.persist.sent = Some(settings.clone());
        save_in_background(&self.runtime, ctx, disk, self.persist.number, settings);
    }

    /// What the user set up, whatever the connections are doing now.
    fn current_settings(&self) -> Settings {
        let mut settings = self.settings.clone();
        settings.endpoints = self.session.saved_endpoints();
        self.panels.save_into(&mut settings);
        settings.limits = self.session.limits();
        settings
    }
}

/// Writes `settings` on the runtime's blocking threads; a failure is shown by the next step.
fn save_in_background(
    runtime: &Handle,
    ctx: &egui::Context,
    disk: Arc<Mutex<Disk>>,
    number: u64,
    settings: Settings,
) {
    let ctx = ctx.clone();
    runtime.spawn_blocking(move || {
        let mut disk = lock(&disk);
        disk.write(number, &settings);
        if disk.error.is_some() {
            ctx.request_repaint();
        }
    });
}

/// Gives the saved theme and zoom to `ctx` (the zoom takes effect at its next pass).
pub(super) fn apply_appearance(ctx: &egui::Context, settings: &Settings) {
    ctx.set_theme(theme_preference(settings.theme));
    ctx.set_zoom_factor(settings.zoom);
}

fn theme_preference(theme: Theme) -> egui::ThemePreference {
    match theme {
        Theme::System => egui::ThemePreference::System,
        Theme::Light => egui::ThemePreference::Light,
        Theme::Dark => egui::ThemePreference::Dark,
    }
}

fn theme_choice(preference: egui::ThemePreference) -> Theme {
    match preference {
        egui::ThemePreference::System => Theme::System,
        egui::ThemePreference::Light => Theme::Light,
        egui::ThemePreference::Dark => Theme::Dark,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_write_never_replaces_a_newer_one() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let path = dir.path().join(settings::SETTINGS_FILE_NAME);
        let mut disk = Disk { file: SettingsFile::new(&path), written: 0, error: None };
        disk.write(2, &Settings { zoom: 2.0, ..Settings::default() });
        disk.write(1, &Settings { zoom: 1.0, ..Settings::default() });
        let loaded = SettingsFile::new(&path).load().settings.unwrap_or_default();
        assert!((loaded.zoom - 2.0).abs() < f32::EPSILON, "the newer settings stay");
        assert!(disk.error.is_none());
    }

    #[test]
    fn themes_map_both_ways() {
        for theme in [Theme::System, Theme::Light, Theme::Dark] {
            assert_eq!(theme_choice(theme_preference(theme)), theme);
        }
    }
}
