//! What the app saves: the session's endpoints as the user set them up, and the window's own
//! settings, written to the settings file; and reading them back at start.

use std::path::PathBuf;

use super::{App, AppOptions, Settings, SettingsFile, settings};
use crate::session::Message;

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

impl App {
    /// The settings as they would be saved now (sanitized).
    pub fn settings(&self) -> Settings {
        self.current_settings().sanitized()
    }

    /// Writes the settings file now (only when something changed); a failure is shown.
    pub fn save_settings(&mut self) {
        let settings = self.current_settings();
        if let Some(file) = &mut self.settings_file
            && let Err(err) = file.save(&settings)
        {
            self.message = Some(Message::Failure(format!(
                "Could not save the settings to {}: {err}",
                file.path().display()
            )));
        }
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
