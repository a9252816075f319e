//! The window's layout: toolbar, status bar, side panel (endpoints, composer, subscriptions,
//! one-off request), the table with the detail view and the rate plot, and the dialogs. It
//! reads state and hands what the panels return to [`super::actions`].

use std::collections::HashMap;

use egui::{CentralPanel, Key, KeyboardShortcut, Modifiers, Panel, RichText, Ui};

use super::{App, Source};
use crate::capture::{ConnId, SubKey, now_ms};
use crate::session::{CaptureView, Message, Subscription};
use crate::ui::composer::{ConnChoice, request_ui};
use crate::ui::decoding::decoding_title;
use crate::ui::table::{FilterChoices, SubscriptionChoice, connection_label, subscription_label};
use crate::ui::transfer::{ExportCounts, job_progress_ui};
use crate::ui::{
    OpenedStatus, StatusAction, StatusInfo, TableAction, TransferAction, composer_ui, endpoints_ui,
    error_text, events_table_ui, export_dialog_ui, format_count, status_bar_ui, subscriptions_ui,
    table_toolbar_ui, warn_text,
};

/// Below this window width the side panel hides by itself (the table and the inspector need
/// the width); "» Panel" in the toolbar, or Ctrl+B, shows it again.
const SIDE_PANEL_AUTO_HIDE: f32 = 960.0;

impl App {
    /// Draws the whole window (the same code the kittest harness runs). Panel sizes follow the
    /// window, so it stays usable down to 800×500: the side panel collapses (Ctrl+B, or drag
    /// its edge shut; by itself in a window narrower than `SIDE_PANEL_AUTO_HIDE`), and the
    /// inspector never takes more than half of the table's height.
    pub fn show(&mut self, ui: &mut Ui) {
        let narrow = ui.available_width() < SIDE_PANEL_AUTO_HIDE;
        if !narrow {
            // Widened again: the next time it is narrow, the panel starts hidden.
            self.panels.narrow_side_open = false;
        }
        self.shortcuts(ui.ctx());
        self.layout_shortcuts(ui.ctx(), narrow);
        Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui, narrow));
        Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        let width = ui.available_width();
        let mut open = self.side_panel_open(narrow);
        Panel::left("side")
            .resizable(true)
            .default_size((width * 0.3).clamp(260.0, 380.0))
            .size_range(240.0..=(width * 0.5).clamp(240.0, 640.0))
            .show_collapsible(ui, &mut open, |ui| {
                egui::ScrollArea::vertical().id_salt("side_scroll").auto_shrink([false, false]).show(
                    ui,
                    |ui| {
                        self.side_ui(ui);
                    },
                );
            });
        self.set_side_panel_open(narrow, open);
        CentralPanel::default().show(ui, |ui| self.central_ui(ui));
        self.dialogs_ui(ui.ctx());
        self.drop_ui(ui.ctx());
    }

    /// Whether the side panel is shown: the user's choice (saved) in a wide window; in a
    /// narrow one, hidden until the user opens it (not saved).
    fn side_panel_open(&self, narrow: bool) -> bool {
        if narrow { self.panels.narrow_side_open } else { self.settings.side_panel_open }
    }

    fn set_side_panel_open(&mut self, narrow: bool, open: bool) {
        if narrow {
            self.panels.narrow_side_open = open;
        } else {
            self.settings.side_panel_open = open;
        }
    }

    /// Ctrl+B shows or hides the side panel.
    fn layout_shortcuts(&mut self, ctx: &egui::Context, narrow: bool) {
        let toggle = KeyboardShortcut::new(Modifiers::COMMAND, Key::B);
        if ctx.input_mut(|input| input.consume_shortcut(&toggle)) {
            self.set_side_panel_open(narrow, !self.side_panel_open(narrow));
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        let typing = ctx.egui_wants_keyboard_input();
        // A file does not grow: Space pauses only the live view.
        let live = self.source() == Source::Live;
        let (find, clear, undo, export, open, space) = ctx.input_mut(|input| {
            (
                input.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::F)),
                input.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::L)),
                // In a text field, Ctrl+Z is the field's own undo.
                !typing && input.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Z)),
                input.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::E)),
                input.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::O)),
                live && !typing && input.consume_key(Modifiers::NONE, Key::Space),
            )
        });
        if open {
            self.files.export_dialog.open = false; // one dialog at a time
            self.files.open_dialog.show();
        }
        if find {
            self.panels.table.focus_filter = true;
        }
        if clear {
            self.clear();
        }
        if undo {
            self.undo_clear();
        }
        if export {
            self.files.open_dialog.open = false;
            self.files.export_dialog.open = true;
            self.files.export_result = None;
        }
        if space {
            self.toggle_pause();
        }
    }

    pub(super) fn toggle_pause(&mut self) {
        let capture = &self.files.shown(&self.session).capture;
        self.panels.table.toggle_pause(capture);
    }

    fn toolbar_ui(&mut self, ui: &mut Ui, narrow: bool) {
        ui.horizontal(|ui| {
            let open = self.side_panel_open(narrow);
            let (side, name) =
                if open { ("«", "Hide the side panel") } else { ("» Panel", "Show the side panel") };
            if ui.small_button(side).on_hover_text(format!("{name} (Ctrl+B)")).accessible_name(name).clicked()
            {
                self.set_side_panel_open(narrow, !open);
            }
            ui.heading("subscope");
            ui.separator();
            let mut source = self.source();
            ui.selectable_value(&mut source, Source::Live, "Live");
            if let Some(opened) = &self.files.opened {
                ui.selectable_value(
                    &mut source,
                    Source::Opened,
                    format!("{} (read-only)", opened.capture.name),
                );
            }
            if source != self.source() {
                self.set_source(source);
            }
            ui.separator();
            if ui
                .button("Open capture…")
                .on_hover_text("Open an exported .ndjson or .json file, read-only (Ctrl+O)")
                .clicked()
            {
                self.files.open_dialog.show();
            }
            if ui.button("Export… (Ctrl+E)").clicked() {
                self.files.export_dialog.open = true;
                self.files.export_result = None;
            }
            if ui
                .button("Workspace…")
                .on_hover_text("Save what is set up here as the file `subscope monitor` runs, or open one")
                .clicked()
            {
                self.workspace.open = true;
            }
            if let Some(job) = &self.files.job
                && !(if job.is_export() {
                    self.files.export_dialog.open
                } else {
                    self.files.open_dialog.open
                })
                && job_progress_ui(ui, &job.view())
            {
                self.transfer_action(TransferAction::Cancel);
            }
            ui.with_layout(
                egui::Layout::right_to_left(egui::Align::Center),
                crate::ui::appearance::appearance_ui,
            );
        });
    }

    fn status_ui(&mut self, ui: &mut Ui) {
        let now = now_ms();
        let live = &self.session.live().capture;
        let endpoints = self.session.endpoints();
        let info = StatusInfo {
            connections: endpoints.iter().filter(|endpoint| endpoint.is_live()).count(),
            open: endpoints.iter().filter(|endpoint| endpoint.is_open()).count(),
            held: live.len(),
            total: live.total_received(),
            rate: live.rate().per_second(now, 5),
            memory: self.session.memory_held(),
            cap: self.session.limits().max_bytes,
            evicted: live.evicted(),
            cleared: self.session.clear_undoable().filter(|count| *count > 0),
            message: self.message.clone(),
            opened: self.files.opened.as_ref().filter(|opened| opened.shown).map(|opened| OpenedStatus {
                name: opened.capture.name.clone(),
                events: opened.capture.view.capture.len(),
            }),
        };
        match status_bar_ui(ui, &info) {
            Some(StatusAction::SetCap(bytes)) => {
                let limits = crate::capture::CaptureLimits { max_bytes: bytes, ..self.session.limits() };
                if let Err(err) = self.session.set_limits(limits) {
                    self.message = Some(Message::Failure(err.to_string()));
                }
            }
            Some(StatusAction::DismissMessage) => self.message = None,
            Some(StatusAction::UndoClear) => self.undo_clear(),
            None => {}
        }
    }

    fn side_ui(&mut self, ui: &mut Ui) {
        egui::CollapsingHeader::new(RichText::new("Endpoints").heading()).default_open(true).show(ui, |ui| {
            for action in endpoints_ui(ui, self.session.endpoints_mut(), now_ms()) {
                self.endpoint_action(action);
            }
            self.keys.find(&mut self.session);
        });
        let choices: Vec<ConnChoice> = self
            .session
            .endpoints()
            .iter()
            .filter(|endpoint| endpoint.is_live())
            .filter_map(|endpoint| {
                Some(ConnChoice {
                    conn: endpoint.conn?,
                    label: endpoint.label.clone(),
                    state: endpoint.state_word(),
                    chain: endpoint.chain,
                    identity: endpoint.identity.clone(),
                })
            })
            .collect();
        // Edit on a subscription below opens the form, however it was left.
        let reveal = self.panels.composer.reveal_form.then_some(true);
        egui::CollapsingHeader::new(RichText::new("New subscription").heading())
            .default_open(true)
            .open(reveal)
            .show(ui, |ui| {
                let action = composer_ui(
                    ui,
                    &mut self.panels.composer,
                    &mut self.settings.drafts_by_method,
                    &self.settings.saved_drafts,
                    &choices,
                );
                if let Some(action) = action {
                    self.composer_action(action);
                }
            });
        // The count is of the cards listed; how many of them are live, when not all are.
        let rows = self.session.subscriptions();
        let live = rows.iter().filter(|row| row.state.is_live()).count();
        let title = if live == rows.len() {
            format!("Subscriptions ({live})")
        } else {
            format!("Subscriptions ({}, {live} live)", rows.len())
        };
        egui::CollapsingHeader::new(RichText::new(title).heading())
            .id_salt("subscriptions")
            .default_open(true)
            .show(ui, |ui| {
                let action =
                    subscriptions_ui(ui, self.session.subscriptions(), self.session.live(), now_ms());
                if let Some(action) = action {
                    self.subscription_action(action);
                }
            });
        egui::CollapsingHeader::new(RichText::new("One-off request").heading()).default_open(false).show(
            ui,
            |ui| {
                if let Some(action) = request_ui(ui, &mut self.panels.composer, &choices) {
                    self.composer_action(action);
                }
            },
        );
        egui::CollapsingHeader::new(RichText::new(decoding_title(&self.settings.decoding)).heading())
            .id_salt("decoding")
            .default_open(false)
            .show(ui, |ui| self.decoding_panel_ui(ui));
    }

    fn central_ui(&mut self, ui: &mut Ui) {
        let (mut serve, mut audit) = (false, false);
        let (view, opened) = match &self.files.opened {
            Some(opened) if opened.shown => (&opened.capture.view, Some(&opened.capture)),
            _ => (self.session.live(), None),
        };
        if let Some(opened) = opened {
            ui.horizontal_wrapped(|ui| {
                ui.label(warn_text(ui.visuals(), format!("Viewing {} (read-only).", opened.name)));
                if opened.left_out > 0 {
                    ui.label(warn_text(
                        ui.visuals(),
                        format!(
                            "Its oldest {} events did not fit in the memory cap and were left out.",
                            format_count(opened.left_out)
                        ),
                    ));
                }
                if let Some(err) = &opened.error {
                    ui.label(error_text(ui.visuals(), err));
                }
                if opened.ignored_entries > 0 {
                    ui.weak(format!(
                        "{} entries that are not WebSockets (pages, fetches) were left out.",
                        opened.ignored_entries
                    ));
                }
                if ui
                    .button("Serve as an endpoint")
                    .on_hover_text("Replay this capture on 127.0.0.1 and connect to it, to subscribe again")
                    .clicked()
                {
                    serve = true;
                }
                audit = ui
                    .button("Audit against the chain…")
                    .on_hover_text("Ask the chain what each subscription should have delivered, and list what is missing")
                    .clicked();
            });
        }
        let capture = &view.capture;
        if !self.files.export_dialog.open && !self.files.open_dialog.open {
            // Before anything is drawn: a text field that had the keyboard keeps its keys.
            self.panels.table.handle_keys(ui.ctx(), capture);
        }
        let choices = filter_choices(view, self.session.subscriptions());
        let mut action = table_toolbar_ui(ui, &mut self.panels.table, capture, &choices, opened.is_some());
        let live = opened.is_none();
        // The table keeps at least half of the height, the detail view half of the width.
        let (height, width) = (ui.available_height(), ui.available_width());
        let inspector = Panel::bottom("inspector")
            .resizable(true)
            .default_size((height * 0.4).clamp(90.0, 300.0))
            .size_range(80.0..=(height * 0.5).max(80.0));
        inspector.show(ui, |ui| {
            // The inspector keeps to its panel: what does not fit is clipped, never reported as
            // the panel's size. (A bottom panel whose contents are taller than its size is
            // anchored lower than it draws, and the table would be drawn under it.)
            let rect = ui.available_rect_before_wrap();
            let mut inside = ui.new_child(egui::UiBuilder::new().max_rect(rect));
            inside.shrink_clip_rect(rect);
            let view = self.files.shown(&self.session);
            self.panels.inspector.ui(&mut inside, view, &mut self.panels.table, live, width);
            ui.advance_cursor_after_rect(rect);
        });
        let view = self.files.shown(&self.session);
        CentralPanel::default().frame(egui::Frame::NONE).show(ui, |ui| {
            action = action.or(events_table_ui(
                ui,
                &mut self.panels.table,
                &view.capture,
                &view.context,
                &view.reorgs,
            ));
        });
        if serve {
            self.serve_opened();
        }
        if audit {
            self.audit_opened();
        }
        match action {
            Some(TableAction::TogglePause) if live => self.toggle_pause(),
            Some(TableAction::TogglePause) => {}
            Some(TableAction::Clear) => self.clear(),
            Some(TableAction::Export(scope)) => {
                self.files.open_dialog.open = false; // one dialog at a time
                self.files.export_dialog.scope = scope;
                self.files.export_dialog.open = true;
                self.files.export_result = None;
            }
            None => {}
        }
    }

    fn dialogs_ui(&mut self, ctx: &egui::Context) {
        let capture = &self.files.shown(&self.session).capture;
        let counts = ExportCounts { all: capture.len(), filtered: self.panels.table.row_count(capture) };
        let job = self.files.job_view(true);
        if let Some(action) = export_dialog_ui(
            ctx,
            &mut self.files.export_dialog,
            counts,
            job.as_ref(),
            self.files.export_result.as_ref(),
        ) {
            self.transfer_action(action);
        }
        self.open_dialog_ui(ctx);
        self.audit_window_ui(ctx);
        self.workspace_window_ui(ctx);
    }
}

/// The connections and subscriptions the filter offers; a subscription's connection is known
/// from its events, or for a live one from the session.
fn filter_choices(view: &CaptureView, live: &[Subscription]) -> FilterChoices {
    let context = &view.context;
    let mut connections: Vec<(ConnId, String)> =
        context.connections.keys().map(|conn| (*conn, connection_label(context, *conn))).collect();
    connections.sort();
    let mut conn_of: HashMap<SubKey, ConnId> = live
        .iter()
        .filter(|row| context.subscriptions.contains_key(&row.sub))
        .map(|row| (row.sub, row.conn))
        .collect();
    conn_of.extend(view.capture.streams().filter_map(|((conn, sub), _)| Some(((*sub)?, *conn))));
    let mut subscriptions: Vec<SubscriptionChoice> = context
        .subscriptions
        .keys()
        .map(|sub| SubscriptionChoice {
            sub: *sub,
            label: subscription_label(context, *sub),
            conn: conn_of.get(sub).copied(),
        })
        .collect();
    subscriptions.sort_by_key(|choice| choice.sub);
    FilterChoices { connections, subscriptions }
}
