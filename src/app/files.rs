//! Opening and saving files from the window: the Open dialog (Ctrl+O), files dropped onto the
//! window, the recent files, and the native file dialogs. A native dialog runs off the UI
//! thread; closing it without a choice is silent, and only a system with no dialog at all is
//! told so, with a pointer to the typed path.

use std::future::Future;
use std::path::PathBuf;
use std::time::Instant;

use egui::{Align2, Color32, FontId, LayerId, Order};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use super::App;
use super::jobs::{self, ExportPlan, Job, OpenedCapture};
use crate::export::ImportOptions;
use crate::files::{self, DialogOutcome};
use crate::session::Message;
use crate::ui::{OpenAction, RecentFile, format_count, open_dialog_ui};

/// What the user is told when no native file dialog could be shown.
pub(super) const NO_DIALOG: &str = "No file dialog on this system (no desktop portal or zenity)";

impl App {
    /// Acts on what the Open dialog returned.
    pub(super) fn open_action(&mut self, action: OpenAction) {
        match action {
            OpenAction::Browse => self.browse_for_capture(),
            OpenAction::Open(path) => self.open_file(path),
            OpenAction::Forget(path) => files::forget(&mut self.settings.recent_files, &path),
            OpenAction::Cancel => {
                if let Some(job) = self.job.take() {
                    let result = job.cancel();
                    self.open_dialog.error = result.is_failure().then(|| result.text().to_owned());
                    self.message = Some(result);
                }
            }
            OpenAction::Close => self.open_dialog.open = false,
        }
    }

    /// Starts opening `path` read-only, as the Open dialog does; what is shown stays until it
    /// is read.
    pub fn open_file(&mut self, path: PathBuf) {
        if self.job.is_some() {
            let busy = "Another export or import is running; wait or cancel it.".to_owned();
            self.open_dialog.show_error(Some(&path), busy);
            return;
        }
        self.open_dialog.error = None;
        self.job = Some(jobs::start_opening(&self.runtime, &self.ctx, path, self.open_options()));
    }

    fn browse_for_capture(&mut self) {
        if self.job.is_some() {
            self.open_dialog.error =
                Some("Another export or import is running; wait or cancel it.".to_owned());
            return;
        }
        self.open_dialog.error = None;
        let last = self.settings.recent_files.first().and_then(|path| path.parent());
        let dialog = rfd::AsyncFileDialog::new()
            .set_title("Open a capture")
            .add_filter("capture", &["ndjson", "json", "jsonl"]);
        let dialog = match files::default_start_dir(last) {
            Some(dir) => dialog.set_directory(dir),
            None => dialog,
        };
        let rx = run_dialog(&self.runtime, &self.ctx, dialog.pick_file());
        self.job = Some(Job::ChoosingFileToOpen { rx, options: self.open_options() });
    }

    /// Starts the native save dialog for an export, in the folder of the last export (else the
    /// home folder).
    pub(super) fn choose_export_path(&mut self, plan: ExportPlan, file_name: String) {
        let dialog = rfd::AsyncFileDialog::new()
            .set_title("Export events")
            .set_file_name(file_name)
            .add_filter("capture", &[plan.format.extension()]);
        let dialog = match files::default_start_dir(self.settings.last_export_dir.as_deref()) {
            Some(dir) => dialog.set_directory(dir),
            None => dialog,
        };
        let rx = run_dialog(&self.runtime, &self.ctx, dialog.save_file());
        self.job = Some(Job::ChoosingExportPath { rx, plan });
    }

    /// An export wrote `path`: the next save dialog starts in its folder.
    pub(super) fn exported(&mut self, path: &std::path::Path, text: String) {
        if let Some(dir) = files::absolute(path).parent() {
            self.settings.last_export_dir = Some(dir.to_path_buf());
        }
        self.export_result = Some(Message::News(text.clone()));
        self.message = Some(Message::News(text));
    }

    /// No native dialog could be shown: say so where the user was, pointing to the typed path.
    pub(super) fn no_dialog(&mut self, export: bool) {
        if export {
            self.export_result = Some(Message::Failure(format!("{NO_DIALOG}: type a path below.")));
        } else {
            self.open_dialog.show_error(None, format!("{NO_DIALOG}: type the file's path above."));
        }
    }

    /// Shows a file that was read, and remembers it; when nothing could be read from it, the
    /// Open dialog shows why and what was shown before stays.
    pub(super) fn finish_opening(&mut self, capture: OpenedCapture) {
        let events = capture.view.capture.len();
        if events == 0 && capture.left_out == 0 {
            let why = match &capture.error {
                Some(err) => format!("Could not open {}: {err}", capture.name),
                None => format!("{} holds no events.", capture.name),
            };
            self.open_dialog.show_error(capture.path.as_deref(), why);
            return;
        }
        let text = format!("Opened {} ({} events, read-only)", capture.name, format_count(events as u64));
        self.message = Some(match &capture.error {
            Some(err) => Message::Failure(format!("{text}: {err}")),
            None => Message::News(text),
        });
        if let Some(path) = &capture.path {
            files::remember(&mut self.settings.recent_files, files::absolute(path));
        }
        self.open_dialog.open = false;
        self.open_dialog.path.clear();
        self.open_dialog.error = None;
        self.show_opened(capture);
    }

    /// Draws the Open dialog when it is open and acts on it.
    pub(super) fn open_dialog_ui(&mut self, ctx: &egui::Context) {
        if !self.open_dialog.open {
            return;
        }
        let recent: Vec<RecentFile> = self
            .settings
            .recent_files
            .iter()
            .map(|path| RecentFile { path: path.clone(), exists: path.is_file() })
            .collect();
        let job = self.job.as_ref().filter(|job| !job.is_export()).map(Job::view);
        if let Some(action) = open_dialog_ui(ctx, &mut self.open_dialog, &recent, job.as_ref()) {
            self.open_action(action);
        }
    }

    /// Opens a file dropped onto the window, and says what a drop would do while one hovers.
    pub(super) fn drop_ui(&mut self, ctx: &egui::Context) {
        let (hovering, dropped) = ctx.input(|input| {
            let dropped = input
                .raw
                .dropped_files
                .iter()
                .map(|file| file.path().to_path_buf())
                .find(|path| !path.as_os_str().is_empty());
            (!input.raw.hovered_files.is_empty(), dropped)
        });
        if let Some(path) = dropped {
            self.open_file(path);
        }
        if hovering {
            let painter =
                ctx.layer_painter(LayerId::new(Order::Foreground, egui::Id::unique("subscope.drop")));
            let rect = ctx.content_rect();
            painter.rect_filled(rect, 0.0, Color32::from_black_alpha(170));
            painter.text(
                rect.center(),
                Align2::CENTER_CENTER,
                "Drop to open the capture (read-only)",
                FontId::proportional(24.0),
                Color32::WHITE,
            );
        }
    }

    pub(super) fn open_options(&self) -> ImportOptions {
        ImportOptions { limits: self.session.limits_for_opened(), ..Default::default() }
    }
}

/// Runs a native file dialog on `runtime`; the answer says whether one was chosen, the dialog
/// was closed, or no dialog could be shown.
pub(super) fn run_dialog(
    runtime: &Handle,
    ctx: &egui::Context,
    dialog: impl Future<Output = Option<rfd::FileHandle>> + Send + 'static,
) -> oneshot::Receiver<DialogOutcome> {
    let (tx, rx) = oneshot::channel();
    let ctx = ctx.clone();
    let started = Instant::now();
    runtime.spawn(async move {
        let chosen = dialog.await.map(|handle| handle.path().to_path_buf());
        tx.send(DialogOutcome::from_answer(chosen, started.elapsed())).ok(); // the job may be gone
        ctx.request_repaint();
    });
    rx
}
