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

use super::jobs::{self, ExportPlan, Job, OpenedCapture};
use super::{App, Source};
use crate::export::ImportOptions;
use crate::files::{self, DialogOutcome};
use crate::filter::Filter;
use crate::replay::ReplayServer;
use crate::session::{CaptureView, Message, Session};
use crate::ui::transfer::JobView;
use crate::ui::{ExportDialog, OpenAction, OpenDialog, RecentFile, format_count, open_dialog_ui};

/// What the window does with files: the capture opened from one, the Open and Export
/// dialogs, the one export or opening that runs at a time, and the replays served from
/// opened captures.
#[derive(Default)]
pub(super) struct Files {
    /// The capture opened from a file, if any.
    pub opened: Option<Opened>,
    /// The Open dialog (Ctrl+O).
    pub open_dialog: OpenDialog,
    /// The Export dialog (Ctrl+E).
    pub export_dialog: ExportDialog,
    /// What the last export came to, shown in the Export dialog.
    pub export_result: Option<Message>,
    /// The running export or opening.
    pub job: Option<Job>,
    /// Replays of opened captures this window serves, by the endpoint that connects to each.
    pub replays: Vec<(u64, ReplayServer)>,
    /// The filter of the view the table does not show: each view keeps its own (the table
    /// holds the shown one's).
    pub other_filter: Filter,
}

/// A capture opened from a file, and whether the table shows it (else the live one): there is
/// no "showing a file" without a file.
pub(super) struct Opened {
    pub capture: OpenedCapture,
    pub shown: bool,
}

impl Files {
    /// What the table shows: the opened capture when it is shown, else the session's live one.
    /// It borrows only these two, so a caller can hold it while it changes other parts.
    pub(super) fn shown<'a>(&'a self, session: &'a Session) -> &'a CaptureView {
        match &self.opened {
            Some(opened) if opened.shown => &opened.capture.view,
            _ => session.live(),
        }
    }

    /// Which capture the table shows.
    pub(super) fn source(&self) -> Source {
        if self.opened.as_ref().is_some_and(|opened| opened.shown) { Source::Opened } else { Source::Live }
    }

    /// Shows a capture opened from a file, in place of any opened before; the session counts
    /// it against the memory cap.
    fn show_opened(&mut self, capture: OpenedCapture, session: &mut Session) {
        let held = (capture.view.capture.len(), capture.view.capture.memory_bytes());
        self.opened = Some(Opened { capture, shown: true });
        session.set_opened(held);
    }

    /// Closes the opened capture, if any: the table shows the live one again.
    pub(super) fn close_opened(&mut self, session: &mut Session) {
        self.opened = None;
        session.set_opened((0, 0));
    }

    /// The running job as its dialog shows it: the export dialog shows exports, the Open
    /// dialog openings.
    pub(super) fn job_view(&self, export: bool) -> Option<JobView> {
        self.job.as_ref().filter(|job| job.is_export() == export).map(Job::view)
    }
}

/// What the user is told when a second export or opening would start while one runs.
pub(super) const BUSY: &str = "Another export or import is running; wait or cancel it.";

/// What the user is told when no native file dialog could be shown.
pub(super) const NO_DIALOG: &str = "No file dialog on this system (no desktop portal or zenity)";

impl App {
    /// Shows a capture opened from a file, in place of any opened before. It starts
    /// unfiltered; the live view's filter waits for the live view.
    pub(super) fn show_opened(&mut self, capture: OpenedCapture) {
        let previous = std::mem::take(&mut self.panels.table.filter);
        if self.source() == Source::Live {
            self.files.other_filter = previous;
        }
        self.files.show_opened(capture, &mut self.session);
        self.panels.table.reset();
    }

    /// Switches the table between the live capture and the opened one, each with its own
    /// filter.
    pub(super) fn set_source(&mut self, source: Source) {
        let Some(opened) = &mut self.files.opened else { return };
        if opened.shown != (source == Source::Opened) {
            opened.shown = source == Source::Opened;
            std::mem::swap(&mut self.panels.table.filter, &mut self.files.other_filter);
        }
        self.view_opens();
    }

    /// Closes the opened capture: the live view comes back with its own filter.
    pub(super) fn close_opened(&mut self) {
        if self.source() == Source::Opened {
            self.panels.table.filter = std::mem::take(&mut self.files.other_filter);
        }
        self.files.other_filter = Filter::default();
        self.files.close_opened(&mut self.session);
        self.view_opens();
    }

    /// The table starts over on the view it now shows, dropping from that view's filter a
    /// connection or subscription the view does not hold.
    fn view_opens(&mut self) {
        let context = &self.files.shown(&self.session).context;
        self.panels.table.filter.drop_unheld(
            |conn| context.connections.contains_key(&conn),
            |sub| context.subscriptions.contains_key(&sub),
        );
        self.panels.table.reset();
    }

    /// Acts on what the Open dialog returned.
    pub(super) fn open_action(&mut self, action: OpenAction) {
        match action {
            OpenAction::Browse => self.browse_for_capture(),
            OpenAction::Open(path) => self.open_file(path),
            OpenAction::Forget(path) => files::forget(&mut self.settings.recent_files, &path),
            OpenAction::Cancel => {
                if let Some(job) = self.files.job.take() {
                    let result = job.cancel();
                    self.files.open_dialog.error = result.is_failure().then(|| result.text().to_owned());
                    self.message = Some(result);
                }
            }
            OpenAction::Close => self.files.open_dialog.open = false,
        }
    }

    /// Starts opening `path` read-only, as the Open dialog does; what is shown stays until it
    /// is read.
    pub fn open_file(&mut self, path: PathBuf) {
        if self.files.job.is_some() {
            self.files.open_dialog.show_error(Some(&path), BUSY.to_owned());
            return;
        }
        self.files.open_dialog.error = None;
        self.files.job = Some(jobs::start_opening(&self.runtime, &self.ctx, path, self.open_options()));
    }

    fn browse_for_capture(&mut self) {
        if self.files.job.is_some() {
            self.files.open_dialog.error = Some(BUSY.to_owned());
            return;
        }
        self.files.open_dialog.error = None;
        let last = self.settings.recent_files.first().and_then(|path| path.parent());
        let dialog = rfd::AsyncFileDialog::new()
            .set_title("Open a capture")
            .add_filter("capture", &["ndjson", "json", "jsonl", "har"]);
        let dialog = match files::default_start_dir(last) {
            Some(dir) => dialog.set_directory(dir),
            None => dialog,
        };
        let rx = run_dialog(&self.runtime, &self.ctx, dialog.pick_file());
        self.files.job = Some(Job::ChoosingFileToOpen { rx, options: self.open_options() });
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
        self.files.job = Some(Job::ChoosingExportPath { rx, plan });
    }

    /// An export wrote `path`: the next save dialog starts in its folder.
    pub(super) fn exported(&mut self, path: &std::path::Path, text: String) {
        if let Some(dir) = files::absolute(path).parent() {
            self.settings.last_export_dir = Some(dir.to_path_buf());
            self.files.export_dialog.folder = Some(dir.to_path_buf());
        }
        self.files.export_result = Some(Message::News(text.clone()));
        self.message = Some(Message::News(text));
    }

    /// No native dialog could be shown: say so where the user was, pointing to the typed path.
    pub(super) fn no_dialog(&mut self, export: bool) {
        if export {
            self.files.export_result =
                Some(Message::Failure(format!("{NO_DIALOG}: type the path in the field above.")));
        } else {
            self.files.open_dialog.show_error(None, format!("{NO_DIALOG}: type the file's path above."));
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
            self.files.open_dialog.show_error(capture.path.as_deref(), why);
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
        self.files.open_dialog.open = false;
        self.files.open_dialog.path.clear();
        self.files.open_dialog.error = None;
        self.show_opened(capture);
    }

    /// Draws the Open dialog when it is open and acts on it.
    pub(super) fn open_dialog_ui(&mut self, ctx: &egui::Context) {
        if !self.files.open_dialog.open {
            return;
        }
        let recent: Vec<RecentFile> = self
            .settings
            .recent_files
            .iter()
            .map(|path| RecentFile { path: path.clone(), exists: path.is_file() })
            .collect();
        let job = self.files.job_view(false);
        if let Some(action) = open_dialog_ui(ctx, &mut self.files.open_dialog, &recent, job.as_ref()) {
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
