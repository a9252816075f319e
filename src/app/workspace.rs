//! The Workspace window: the endpoints, subscriptions and comparisons set up in this window,
//! saved to (and opened from) the workspace file `subscope monitor` runs
//! ([`crate::workspace`]), without any key.

use std::path::PathBuf;

use egui::{TextEdit, Window};

use super::App;
use crate::ui::error_text;
use crate::workspace::Workspace;

/// The window's state: the file as typed and what the last step did.
#[derive(Default)]
pub(super) struct WorkspaceWindow {
    pub(super) open: bool,
    path: String,
    result: Option<Result<String, String>>,
}

impl App {
    /// Writes what the window has set up now to `path` as a workspace (no key in it).
    ///
    /// # Errors
    ///
    /// The file cannot be written, or an endpoint's URL holds a key the window could not
    /// turn back into `{api_key}`: said in words for the window.
    pub fn save_workspace(&self, path: &std::path::Path) -> Result<(), String> {
        Workspace::from_session(&self.session).save(path).map_err(|err| err.to_string())
    }

    /// Opens the workspace at `path`: its endpoints join this window's, connected, with its
    /// subscriptions and comparisons. Returns what could not be done, one line each.
    ///
    /// # Errors
    ///
    /// The file cannot be read or is not a workspace: said in words for the window.
    pub fn open_workspace(&mut self, path: &std::path::Path) -> Result<Vec<String>, String> {
        let workspace = Workspace::load(path).map_err(|err| err.to_string())?;
        let problems = workspace.open_in(&mut self.session);
        Ok(problems)
    }

    pub(super) fn workspace_window_ui(&mut self, ctx: &egui::Context) {
        let mut open = self.workspace.open;
        Window::new("Workspace").open(&mut open).collapsible(false).show(ctx, |ui| {
            ui.label(
                "The endpoints, subscriptions and comparisons set up here, as one file without keys: \
                 `subscope monitor FILE` runs it, and this window opens it again.",
            );
            ui.horizontal(|ui| {
                let label = ui.label("Workspace file");
                let field =
                    TextEdit::singleline(&mut self.workspace.path).hint_text("subscope.workspace.json");
                ui.add(field).labelled_by(label.id);
            });
            let path = PathBuf::from(self.workspace.path.trim());
            let typed = !self.workspace.path.trim().is_empty();
            ui.horizontal(|ui| {
                if ui.add_enabled(typed, egui::Button::new("Save workspace")).clicked() {
                    self.workspace.result =
                        Some(self.save_workspace(&path).map(|()| format!("Saved to {}.", path.display())));
                }
                if ui.add_enabled(typed, egui::Button::new("Open workspace")).clicked() {
                    self.workspace.result = Some(self.open_workspace(&path).map(|problems| {
                        if problems.is_empty() {
                            format!("Opened {}.", path.display())
                        } else {
                            format!("Opened {}, but: {}", path.display(), problems.join("; "))
                        }
                    }));
                }
            });
            match &self.workspace.result {
                Some(Ok(done)) => {
                    ui.label(done.as_str());
                }
                Some(Err(err)) => {
                    ui.label(error_text(ui.visuals(), err));
                }
                None => {}
            }
        });
        self.workspace.open &= open;
    }
}
