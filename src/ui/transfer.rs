//! The export dialog (Ctrl+E) and the progress of a running export or opening.
//!
//! The dialog only collects choices; the app runs the native file dialog and the writing off
//! the UI thread and reports progress back through [`JobView`].

use std::path::{Path, PathBuf};

use egui::{Context, Id, RichText, Ui};

use super::{error_text, format_bytes, format_count, warn_text};
use crate::export::{Format, iso8601};
use crate::session::Message;

/// Which events to export.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExportScope {
    /// Everything in the capture.
    #[default]
    All,
    /// The rows the table shows (filter and pause applied).
    Filtered,
    /// The selected row (a row's menu, "Export this row…").
    Selected,
}

/// The export dialog's state.
#[derive(Clone, Debug)]
pub struct ExportDialog {
    /// Whether it is shown.
    pub open: bool,
    /// The file format.
    pub format: Format,
    /// Which events.
    pub scope: ExportScope,
    /// A path typed by hand (used when no native file dialog is available). When the dialog
    /// opens empty or naming a file that exists (the last export), it proposes a fresh name.
    pub path: String,
    /// The folder a proposed name goes in (the last export's; else the home folder).
    pub folder: Option<PathBuf>,
    /// The name the dialog proposed, while the field still holds it (it follows the format).
    proposed: Option<String>,
    /// A typed path that exists, and its size as found: the dialog asks before replacing it.
    confirm_replace: Option<(PathBuf, u64)>,
    /// Whether the dialog was drawn in the last frame (so its opening is seen).
    drawn: bool,
    /// Whether the path field takes the keyboard focus on the next frame.
    focus_path: bool,
}

impl Default for ExportDialog {
    fn default() -> Self {
        Self {
            open: false,
            format: Format::Ndjson,
            scope: ExportScope::All,
            path: String::new(),
            folder: None,
            proposed: None,
            confirm_replace: None,
            drawn: false,
            focus_path: false,
        }
    }
}

impl ExportDialog {
    /// Puts a fresh name (no file has it) in the path field, unless the user typed a path that
    /// does not exist yet; returns whether it did.
    fn propose(&mut self, now_ms: u64) -> bool {
        let typed = self.path.trim();
        let keep = !typed.is_empty()
            && self.proposed.as_deref() != Some(self.path.as_str())
            && !Path::new(typed).exists();
        if keep {
            return false;
        }
        let folder = crate::files::default_start_dir(self.folder.as_deref()).unwrap_or_default();
        let path = fresh_path(&folder, now_ms, self.format).to_string_lossy().into_owned();
        self.path.clone_from(&path);
        self.proposed = Some(path);
        self.confirm_replace = None;
        true
    }
}

/// A path in `folder` named [`default_file_name`] that no file has yet (`-2`, `-3`… added
/// when one does).
pub fn fresh_path(folder: &Path, now_ms: u64, format: Format) -> PathBuf {
    let name = default_file_name(now_ms, format);
    let first = folder.join(&name);
    if !first.exists() {
        return first;
    }
    let stem = name.strip_suffix(&format!(".{}", format.extension())).unwrap_or(&name);
    (2..1_000)
        .map(|n| folder.join(format!("{stem}-{n}.{}", format.extension())))
        .find(|path| !path.exists())
        .unwrap_or(first)
}

/// A running export or opening, as the UI shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct JobView {
    /// What is happening ("Exporting 12,000 events to …").
    pub title: String,
    /// How far it is, when known.
    pub fraction: Option<f32>,
}

/// What the user asked for in the dialog or the progress line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransferAction {
    /// Open the native save dialog, then export.
    ChooseExportPath,
    /// Export to this path (typed by hand).
    ExportTo(PathBuf),
    /// Cancel the running job.
    Cancel,
    /// Close the dialog.
    Close,
}

/// The default export file name: `subscope-YYYYMMDD-HHMMSS.ndjson` (UTC).
pub fn default_file_name(now_ms: u64, format: Format) -> String {
    let stamp = iso8601(now_ms);
    let digits: String = stamp.chars().take(19).filter(char::is_ascii_digit).collect();
    let (date, time) = digits.split_at(digits.len().min(8));
    format!("subscope-{date}-{time}.{}", format.extension())
}

/// Counts the dialog offers.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExportCounts {
    /// Events in the capture.
    pub all: usize,
    /// Rows the table shows.
    pub filtered: usize,
}

/// Draws the export dialog when it is open.
pub fn export_dialog_ui(
    ctx: &Context,
    dialog: &mut ExportDialog,
    counts: ExportCounts,
    job: Option<&JobView>,
    last_result: Option<&Message>,
) -> Option<TransferAction> {
    if !dialog.open {
        dialog.drawn = false;
        return None;
    }
    let opening = !std::mem::replace(&mut dialog.drawn, true);
    if opening && dialog.propose(crate::capture::now_ms()) {
        dialog.focus_path = true;
    }
    if dialog.proposed.as_deref() == Some(dialog.path.as_str())
        && !dialog.path.ends_with(&format!(".{}", dialog.format.extension()))
    {
        dialog.propose(crate::capture::now_ms()); // the proposed name follows the format
    }
    let mut action = None;
    let modal = egui::Modal::new(Id::unique("subscope.export")).show(ctx, |ui| {
        ui.set_width(420.0);
        ui.heading("Export events");
        ui.add_space(4.0);
        ui.label(RichText::new("Format").strong());
        ui.horizontal(|ui| {
            ui.radio_value(&mut dialog.format, Format::Ndjson, "NDJSON (one event per line)");
        });
        ui.horizontal(|ui| {
            ui.radio_value(&mut dialog.format, Format::JsonCompact, "JSON array");
            ui.radio_value(&mut dialog.format, Format::JsonPretty, "JSON, indented");
        });
        ui.horizontal(|ui| {
            ui.radio_value(&mut dialog.format, Format::Har, "HAR (browsers' DevTools, HTTP Toolkit)")
                .on_hover_text(
                    "One entry per connection with its frames; subscope's own records are left out",
                );
        });
        ui.label(RichText::new("Events").strong());
        ui.radio_value(
            &mut dialog.scope,
            ExportScope::All,
            format!("All {} events", format_count(counts.all as u64)),
        );
        ui.radio_value(
            &mut dialog.scope,
            ExportScope::Filtered,
            format!("The {} rows the table shows", format_count(counts.filtered as u64)),
        );
        if dialog.scope == ExportScope::Selected {
            ui.radio_value(&mut dialog.scope, ExportScope::Selected, "The selected row");
        }
        ui.weak("Endpoints are written redacted; no API key reaches the file.");
        ui.add_space(6.0);
        if let Some(job) = job {
            if job_progress_ui(ui, job) {
                action = Some(TransferAction::Cancel);
            }
        } else {
            if let Some(path_action) = destination_ui(ui, dialog) {
                action = Some(path_action);
            }
            match last_result {
                Some(Message::News(text)) => {
                    ui.label(text);
                }
                Some(Message::Failure(text)) => {
                    ui.label(error_text(ui.visuals(), text));
                }
                None => {}
            }
        }
        ui.add_space(6.0);
        if ui.button("Close").on_hover_text("Close (Esc); a running export continues").clicked() {
            action = Some(TransferAction::Close);
        }
    });
    if modal.should_close() && action.is_none() {
        action = Some(TransferAction::Close);
    }
    action
}

fn destination_ui(ui: &mut Ui, dialog: &mut ExportDialog) -> Option<TransferAction> {
    let mut action = None;
    if ui.button(RichText::new("Choose file and export…").strong()).clicked() {
        action = Some(TransferAction::ChooseExportPath);
    }
    ui.horizontal(|ui| {
        let width = (ui.available_width() - 90.0).max(120.0);
        // Focused with the proposed name selected: typing replaces it, Enter exports.
        let (field, chosen) = super::open_dialog::path_field(
            ui,
            ("or path", "/path/to/file.ndjson", "Export"),
            width,
            &mut dialog.path,
            &mut dialog.focus_path,
        );
        if field.changed() {
            dialog.confirm_replace = None;
        }
        if let Some(path) = chosen {
            match std::fs::metadata(&path) {
                Ok(meta) => dialog.confirm_replace = Some((path, meta.len())),
                Err(_) => action = Some(TransferAction::ExportTo(path)),
            }
        }
    });
    if let Some((path, size)) = dialog.confirm_replace.clone() {
        let size = format_bytes(size);
        ui.label(warn_text(ui.visuals(), format!("{} already exists ({size}). Replace it?", path.display())));
        ui.horizontal(|ui| {
            if ui.button("Replace").on_hover_text("Write over the file").clicked() {
                dialog.confirm_replace = None;
                action = Some(TransferAction::ExportTo(path.clone()));
            }
            if ui.button("Keep it").on_hover_text("Leave the file and propose a new name").clicked() {
                dialog.confirm_replace = None;
                dialog.propose(crate::capture::now_ms());
                dialog.focus_path = true;
            }
        });
    }
    action
}

/// Draws a job's progress with a Cancel button; returns whether Cancel was clicked.
pub fn job_progress_ui(ui: &mut Ui, job: &JobView) -> bool {
    let mut cancel = false;
    ui.horizontal(|ui| {
        ui.label(&job.title);
        match job.fraction {
            Some(fraction) => {
                ui.add(egui::ProgressBar::new(fraction).show_percentage().desired_width(140.0));
            }
            None => {
                ui.spinner();
            }
        }
        cancel = ui.button("Cancel").clicked();
    });
    cancel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_name_has_date_and_time() {
        assert_eq!(default_file_name(1_795_335_540_123, Format::Ndjson), "subscope-20261122-081900.ndjson");
        assert_eq!(default_file_name(1_795_335_540_123, Format::JsonPretty), "subscope-20261122-081900.json");
    }

    #[test]
    fn a_fresh_path_never_names_a_file_that_exists() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let now = 1_795_335_540_123;
        let first = fresh_path(dir.path(), now, Format::Ndjson);
        assert_eq!(first, dir.path().join("subscope-20261122-081900.ndjson"));
        std::fs::write(&first, "x").unwrap_or_else(|err| panic!("{err}"));
        let second = fresh_path(dir.path(), now, Format::Ndjson);
        assert_eq!(second, dir.path().join("subscope-20261122-081900-2.ndjson"));
    }

    #[test]
    fn a_typed_new_path_is_kept_and_an_existing_one_gives_way_to_a_fresh_name() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let mut dialog = ExportDialog { folder: Some(dir.path().to_path_buf()), ..ExportDialog::default() };
        assert!(dialog.propose(0), "an empty field gets a name");
        assert!(dialog.path.starts_with(dir.path().to_string_lossy().as_ref()), "{}", dialog.path);
        let typed = dir.path().join("mine.json").to_string_lossy().into_owned();
        dialog.path.clone_from(&typed);
        assert!(!dialog.propose(0), "a typed path no file has is the user's");
        assert_eq!(dialog.path, typed);
        std::fs::write(&typed, "x").unwrap_or_else(|err| panic!("{err}"));
        assert!(dialog.propose(0), "one that exists (the last export) is not offered again");
        assert_ne!(dialog.path, typed);
    }
}
