//! The Open dialog (Ctrl+O): a typed path, the system's file dialog when there is one, and the
//! recent files. It only collects the choice; the app reads the file off the UI thread and
//! reports back through the dialog's `error` and a [`JobView`].

use std::path::{Path, PathBuf};

use egui::{Context, Id, Key, RichText, Ui};

use super::error_text;
use super::transfer::{JobView, job_progress_ui};

/// The Open dialog's state.
#[derive(Clone, Debug, Default)]
pub struct OpenDialog {
    /// Whether it is shown.
    pub open: bool,
    /// The path typed by hand.
    pub path: String,
    /// Why the last attempt failed (shown until the next attempt).
    pub error: Option<String>,
    /// Whether the path field takes the keyboard focus on the next frame.
    pub focus_path: bool,
}

impl OpenDialog {
    /// Shows the dialog with the path field focused and no old error.
    pub fn show(&mut self) {
        self.open = true;
        self.error = None;
        self.focus_path = true;
    }

    /// Shows the dialog with `error` about `path`, so the user can correct it.
    pub fn show_error(&mut self, path: Option<&Path>, error: String) {
        self.open = true;
        if let Some(path) = path {
            self.path = path.display().to_string();
        }
        self.error = Some(error);
    }
}

/// A file in the recent list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecentFile {
    /// Where it is.
    pub path: PathBuf,
    /// Whether it is still there (a missing one is greyed out).
    pub exists: bool,
}

/// What the user asked for in the Open dialog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenAction {
    /// Choose the file with the system's file dialog.
    Browse,
    /// Open this file.
    Open(PathBuf),
    /// Take this file off the recent list.
    Forget(PathBuf),
    /// Stop the running read.
    Cancel,
    /// Close the dialog.
    Close,
}

/// Draws the Open dialog when it is open.
pub fn open_dialog_ui(
    ctx: &Context,
    dialog: &mut OpenDialog,
    recent: &[RecentFile],
    job: Option<&JobView>,
) -> Option<OpenAction> {
    if !dialog.open {
        return None;
    }
    let mut action = None;
    let modal = egui::Modal::new(Id::unique("subscope.open")).show(ctx, |ui| {
        ui.set_width(520.0);
        ui.heading("Open a capture");
        ui.label(
            "An .ndjson or .json file exported by subscope or written by subscope record, or a \
             .har file saved from a browser's DevTools or HTTP Toolkit.",
        );
        ui.weak("It opens read-only beside the live capture. You can also drop a file onto the window.");
        ui.add_space(6.0);
        if let Some(job) = job {
            if job_progress_ui(ui, job) {
                action = Some(OpenAction::Cancel);
            }
        } else {
            if let Some(chosen) = path_ui(ui, dialog) {
                action = Some(chosen);
            }
        }
        if let Some(error) = &dialog.error {
            ui.label(error_text(ui.visuals(), error));
        }
        ui.add_space(6.0);
        if let Some(chosen) = recent_ui(ui, recent, job.is_none()) {
            action = Some(chosen);
        }
        ui.add_space(6.0);
        if ui.button("Close").on_hover_text("Close (Esc)").clicked() {
            action = Some(OpenAction::Close);
        }
    });
    if modal.should_close() && action.is_none() {
        action = Some(OpenAction::Close);
    }
    action
}

fn path_ui(ui: &mut Ui, dialog: &mut OpenDialog) -> Option<OpenAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        let width = (ui.available_width() - 70.0).max(160.0);
        // Focused with the last path selected: typing replaces it, Enter opens it again.
        let (_, chosen) = path_field(
            ui,
            ("File path", "/path/to/capture.ndjson", "Open"),
            width,
            &mut dialog.path,
            &mut dialog.focus_path,
        );
        if let Some(path) = chosen {
            action = Some(OpenAction::Open(path));
        }
    });
    if ui
        .button("Browse…")
        .on_hover_text("Choose the file with the system's file dialog (a desktop portal or zenity)")
        .clicked()
    {
        action = Some(OpenAction::Browse);
    }
    action
}

fn recent_ui(ui: &mut Ui, recent: &[RecentFile], enabled: bool) -> Option<OpenAction> {
    let mut action = None;
    ui.label(RichText::new("Recent files").strong());
    if recent.is_empty() {
        ui.weak("None yet: files you open are listed here.");
        return None;
    }
    for file in recent {
        ui.horizontal(|ui| {
            let name = file_name(&file.path);
            let folder = file.path.parent().map(|folder| folder.display().to_string()).unwrap_or_default();
            let button = ui
                .add_enabled(enabled && file.exists, egui::Link::new(&name))
                .on_hover_text(file.path.display().to_string())
                .on_disabled_hover_text(if file.exists { "Wait for the running read" } else { "Not found" });
            if button.clicked() {
                action = Some(OpenAction::Open(file.path.clone()));
            }
            if file.exists {
                ui.weak(folder);
            } else {
                ui.weak(format!("{folder} (missing)"));
            }
            if super::remove_button(ui, &name, "from the recent files").clicked() {
                action = Some(OpenAction::Forget(file.path.clone()));
            }
        });
    }
    action
}

/// The last component of `path`, or the whole path when it has none.
pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned())
}

/// A labelled path field and its button, in a horizontal `ui`: `(label, hint, button)`. When
/// `focus` is set the field takes the keyboard with its text selected (typing replaces it).
/// Returns the field's response and the trimmed path when the button is clicked or Enter
/// pressed in the field.
pub(super) fn path_field(
    ui: &mut Ui,
    (label, hint, button): (&str, &str, &str),
    width: f32,
    path: &mut String,
    focus: &mut bool,
) -> (egui::Response, Option<PathBuf>) {
    let label = ui.label(label);
    let mut output = egui::TextEdit::singleline(path).hint_text(hint).desired_width(width).show(ui);
    let field = output.response.response.clone().labelled_by(label.id);
    if std::mem::take(focus) {
        field.request_focus();
        output.state.cursor.set_char_range(Some(egui::text::CCursorRange::select_all_str(path)));
        output.state.store(ui.ctx(), field.id);
    }
    let typed = path.trim();
    let entered = field.lost_focus() && ui.input(|input| input.key_pressed(Key::Enter));
    let clicked = ui.add_enabled(!typed.is_empty(), egui::Button::new(button)).clicked();
    let chosen = ((entered || clicked) && !typed.is_empty()).then(|| PathBuf::from(typed));
    (field, chosen)
}
