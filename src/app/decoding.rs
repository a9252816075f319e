//! Decoding in the window: one [`Decoder`] made from the user's ABI files and tokens (saved
//! in the settings), shared by the table's Details column and the detail view's Decoded tab,
//! and made again whenever the list changes.

use egui::Ui;
use tokio::sync::oneshot;

use super::App;
use crate::decode::{AbiCounts, AbiError, AbiSource};
use crate::files::{self, DialogOutcome};
use crate::session::Message;
use crate::ui::decoding::{DecodingAction, DecodingForm, DecodingView, decoding_ui};

/// What the Decoding panel shows besides the saved lists, and its forms. (The decoder itself
/// is held by the table and the detail view, which decode with it.)
#[derive(Default)]
pub(super) struct Decoding {
    /// Per saved ABI, in order: what it declared, or why it is left out.
    abis: Vec<Result<AbiCounts, AbiError>>,
    /// Per saved token, in order: whether it is used (one edited by hand may not be).
    tokens: Vec<Result<(), String>>,
    /// The panel's forms.
    form: DecodingForm,
    /// The native file dialog choosing an ABI file, while it is open.
    dialog: Option<oneshot::Receiver<DialogOutcome>>,
}

impl Decoding {
    /// Keeps what building the decoder found, per saved ABI and token, for the panel.
    pub(super) fn set_report(
        &mut self,
        abis: Vec<Result<AbiCounts, AbiError>>,
        tokens: Vec<Result<(), String>>,
    ) {
        self.abis = abis;
        self.tokens = tokens;
    }

    /// A chosen ABI file goes into the form's path (the user may still bind it to a contract
    /// before adding it); a system with no dialog is told to type the path.
    fn poll_dialog(&mut self) {
        let Some(rx) = &mut self.dialog else {
            return;
        };
        let outcome = match rx.try_recv() {
            Ok(outcome) => outcome,
            Err(oneshot::error::TryRecvError::Empty) => return,
            Err(oneshot::error::TryRecvError::Closed) => DialogOutcome::Cancelled,
        };
        self.dialog = None;
        let form = &mut self.form;
        match outcome {
            DialogOutcome::Chosen(path) => {
                form.abi_path = path.display().to_string();
                form.abi_error = None;
            }
            DialogOutcome::Cancelled => {}
            DialogOutcome::Unavailable => {
                form.abi_error = Some(format!("{}: type the path.", super::files::NO_DIALOG));
            }
        }
    }
}

impl App {
    /// Makes the decoder again from the saved ABIs and tokens (each file is read now) and
    /// hands it to the table and the detail view.
    pub(super) fn rebuild_decoder(&mut self) {
        let built = self.settings.decoding.build();
        self.panels.use_decoder(built);
    }

    /// Draws the Decoding panel and acts on it.
    pub(super) fn decoding_panel_ui(&mut self, ui: &mut Ui) {
        self.panels.decoding.poll_dialog();
        let view = DecodingView {
            sources: &self.settings.decoding,
            abis: &self.panels.decoding.abis,
            tokens: &self.panels.decoding.tokens,
        };
        if let Some(action) = decoding_ui(ui, &mut self.panels.decoding.form, &view) {
            self.decoding_action(action);
        }
    }

    fn decoding_action(&mut self, action: DecodingAction) {
        match action {
            DecodingAction::AddAbi(mut source) => {
                source.path = files::absolute(&source.path);
                let form = &mut self.panels.decoding.form;
                if self.settings.decoding.abis.contains(&source) {
                    form.abi_error = Some(format!("{} is already in the list.", source.label()));
                    return;
                }
                // Built with the new file first: one that cannot be used is refused at the form
                // and the saved list stays as it was.
                let mut sources = self.settings.decoding.clone();
                sources.abis.push(source);
                let built = sources.build();
                match built.abis.last() {
                    Some(Ok(counts)) => {
                        let label = sources.abis.last().map(AbiSource::label).unwrap_or_default();
                        self.message = Some(Message::News(format!(
                            "Added {label}: {} events, {} functions",
                            counts.events, counts.functions
                        )));
                        form.abi_added();
                        self.settings.decoding = sources;
                        self.panels.use_decoder(built);
                        self.save_settings();
                    }
                    Some(Err(err)) => form.abi_error = Some(err.to_string()),
                    None => {}
                }
            }
            DecodingAction::BrowseAbi => {
                let last = self.settings.decoding.abis.last().and_then(|abi| abi.path.parent());
                let dialog = rfd::AsyncFileDialog::new()
                    .set_title("Add a contract ABI")
                    .add_filter("JSON ABI or artifact", &["json", "abi"]);
                let dialog = match files::default_start_dir(last) {
                    Some(dir) => dialog.set_directory(dir),
                    None => dialog,
                };
                self.panels.decoding.dialog =
                    Some(super::files::run_dialog(&self.runtime, &self.ctx, dialog.pick_file()));
            }
            DecodingAction::RemoveAbi(index) => {
                if index < self.settings.decoding.abis.len() {
                    self.settings.decoding.abis.remove(index);
                    self.rebuild_decoder();
                    self.save_settings();
                }
            }
            DecodingAction::Reload => self.rebuild_decoder(),
            DecodingAction::AddToken(token) => {
                // A token replaces an earlier entry for the same contract.
                let tokens = &mut self.settings.decoding.tokens;
                tokens.retain(|old| !old.address.eq_ignore_ascii_case(&token.address));
                tokens.push(token);
                self.rebuild_decoder();
                self.save_settings();
            }
            DecodingAction::RemoveToken(index) => {
                if index < self.settings.decoding.tokens.len() {
                    self.settings.decoding.tokens.remove(index);
                    self.rebuild_decoder();
                    self.save_settings();
                }
            }
        }
    }
}
