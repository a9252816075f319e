//! What the panels asked for, turned into verbs on the session, keychain work, or jobs.

use std::path::PathBuf;

use super::jobs::{self, ExportPlan, Selection};
use super::keys::new_endpoint_id;
use super::{App, Source, settings};
use crate::capture::now_ms;
use crate::session::{Endpoint, Message};
use crate::ui::composer::{ResponseState, ResponseView};
use crate::ui::transfer::default_file_name;
use crate::ui::{ComposerAction, EndpointAction, ExportScope, SubscriptionAction, TransferAction};

impl App {
    pub(super) fn endpoint_action(&mut self, action: EndpointAction) {
        match action {
            EndpointAction::Connect(index) => self.keys.connect(&mut self.session, index),
            EndpointAction::Disconnect(index) => {
                if let Some(endpoint) = self.session.endpoints().get(index) {
                    self.keys.disconnected(endpoint.id);
                }
                self.session.disconnect(index);
            }
            EndpointAction::Remove(index) => {
                if let Some(removed) = self.session.remove_endpoint(index) {
                    self.keys.removed(removed.id);
                    self.stop_serving(removed.id);
                }
            }
            EndpointAction::Add => {
                let id = new_endpoint_id(self.session.endpoints());
                let label = format!("Endpoint {}", self.session.endpoints().len() + 1);
                self.session.add_endpoint(Endpoint { id, label, ..Endpoint::default() });
            }
            EndpointAction::RememberKey(index) => self.keys.store(&mut self.session, index, true),
            EndpointAction::ForgetKey(index) => self.keys.store(&mut self.session, index, false),
            EndpointAction::MoveKeyToKeyField(index, field) => {
                if self.session.move_key_to_key_field(index, field).is_some() && self.keys.has_store() {
                    self.keys.store(&mut self.session, index, true);
                }
            }
            EndpointAction::RetryKeychain(index) => self.keys.retry(&mut self.session, index),
            EndpointAction::RetryNow(index) => self.session.retry_now(index),
        }
    }

    pub(super) fn composer_action(&mut self, action: ComposerAction) {
        match action {
            ComposerAction::Subscribe { conns, draft, built } => {
                let sent = self.session.subscribe_together(
                    &conns,
                    &built.method,
                    built.params.as_ref(),
                    Some(&draft),
                );
                for err in sent.into_iter().filter_map(Result::err) {
                    self.message = Some(Message::Failure(err.to_string()));
                }
            }
            ComposerAction::Request { conn, built }
            | ComposerAction::Raw { conn, built, subscribe: false } => {
                let method = built.method.clone();
                let state = match self.session.request(conn, built.method, built.params) {
                    Ok(request) => {
                        self.panels.composer.response =
                            Some(ResponseView { request, conn, method, state: ResponseState::Pending });
                        return;
                    }
                    Err(err) => ResponseState::Failed(err.to_string()),
                };
                self.panels.composer.response = Some(ResponseView { request: 0, conn, method, state });
            }
            ComposerAction::Raw { conn, built, subscribe: true } => {
                let method = built.method.clone();
                self.message = Some(match self.session.subscribe(conn, built.method, built.params, None) {
                    Ok(_) => Message::News(format!("Subscribed with {method}: see Subscriptions")),
                    Err(err) => Message::Failure(err.to_string()),
                });
            }
            ComposerAction::SaveDraft { name, draft } => {
                self.message = Some(Message::News(format!("Saved draft \u{201c}{name}\u{201d}")));
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

    pub(super) fn subscription_action(&mut self, action: SubscriptionAction) {
        match action {
            SubscriptionAction::Unsubscribe(sub) => self.session.unsubscribe(sub),
            SubscriptionAction::Remove(sub) => self.session.remove_subscription(sub),
            SubscriptionAction::Show(sub) => {
                let conn = self.session.subscriptions().iter().find(|row| row.sub == sub).map(|row| row.conn);
                if let Some(conn) = conn {
                    if self.source() != Source::Live {
                        self.set_source(Source::Live);
                    }
                    self.panels.table.show_subscription(conn, sub);
                }
            }
            SubscriptionAction::Backfill(sub, on) => {
                if let Err(err) = self.session.set_backfill(sub, on) {
                    self.message = Some(Message::Failure(err.to_string()));
                }
            }
            SubscriptionAction::Edit(sub) => {
                let draft = self
                    .session
                    .subscriptions()
                    .iter()
                    .find(|row| row.sub == sub)
                    .and_then(|row| row.draft.clone());
                if let Some(draft) = draft {
                    self.panels.composer.draft = draft;
                    self.panels.composer.touched.clear();
                    self.panels.composer.reveal_form = true;
                }
            }
        }
    }

    pub(super) fn transfer_action(&mut self, action: TransferAction) {
        match action {
            TransferAction::ChooseExportPath | TransferAction::ExportTo(_) if self.files.job.is_some() => {
                self.files.export_result = Some(Message::Failure(super::files::BUSY.to_owned()));
            }
            TransferAction::ChooseExportPath => {
                let plan = self.export_plan();
                let name = default_file_name(now_ms(), self.files.export_dialog.format);
                self.choose_export_path(plan, name);
                self.files.export_result = None;
            }
            TransferAction::ExportTo(path) => {
                self.files.job = Some(jobs::start_snapshot(path, self.export_plan()));
                self.files.export_result = None;
            }
            TransferAction::Cancel => {
                if let Some(job) = self.files.job.take() {
                    let result = job.cancel();
                    self.files.export_result = Some(result.clone());
                    self.message = Some(result);
                }
            }
            TransferAction::Close => self.files.export_dialog.open = false,
        }
    }

    fn export_plan(&self) -> ExportPlan {
        let from_opened = self.source() == Source::Opened;
        let view = self.shown();
        let capture = &view.capture;
        let selection = match self.files.export_dialog.scope {
            ExportScope::All => Selection::Range {
                last: capture.iter().next_back().map_or(0, |event| event.seq),
                after: None,
            },
            ExportScope::Filtered => {
                Selection::Seqs { seqs: self.panels.table.visible_seqs(capture), next: 0 }
            }
            ExportScope::Selected => {
                Selection::Seqs { seqs: self.panels.table.selected.into_iter().collect(), next: 0 }
            }
        };
        let total = match &selection {
            Selection::Range { .. } => capture.len(),
            Selection::Seqs { seqs, .. } => seqs.len(),
        };
        ExportPlan {
            selection,
            total,
            format: self.files.export_dialog.format,
            context: Box::new(view.context.clone()),
            from_opened,
        }
    }

    /// Drops the shown capture's events: the live one is cleared, an opened one is closed.
    pub(super) fn clear(&mut self) {
        match self.source() {
            Source::Live => {
                self.session.clear();
                self.panels.table.reset();
            }
            Source::Opened => self.close_opened(),
        }
    }

    /// Puts back what the last Clear of the live view took, before what came since.
    pub(super) fn undo_clear(&mut self) {
        if self.session.undo_clear() && self.source() == Source::Live {
            self.panels.table.reset();
        }
    }

    /// Starts exporting to `path` as if typed in the export dialog (for tests and scripts).
    pub fn export_to(&mut self, path: PathBuf, scope: ExportScope) {
        self.files.export_dialog.scope = scope;
        self.transfer_action(TransferAction::ExportTo(path));
    }
}
