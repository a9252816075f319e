//! The detail view of the selected event: a header, a collapsible JSON tree or the raw text,
//! and copy buttons.

use egui::{RichText, Ui};
use serde_json::Value;

use super::json_tree::json_tree_ui;
use super::table::{connection_label, subscription_label};
use super::{error_text, format_bytes, warn_text};
use crate::capture::CapturedEvent;
use crate::export::{CaptureContext, iso8601};

/// The most raw text the Raw tab lays out (Copy always copies everything).
const MAX_RAW_SHOWN: usize = 256 * 1024;

/// How the selected event is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DetailMode {
    /// A collapsible JSON tree.
    #[default]
    Tree,
    /// Pretty-printed JSON text.
    Pretty,
    /// The frame exactly as received.
    Raw,
}

/// The detail view's state: the parsed JSON of the selected event, cached.
#[derive(Default)]
pub struct DetailState {
    /// How to show the event.
    pub mode: DetailMode,
    seq: Option<u64>,
    parsed: Option<Result<Value, String>>,
    pretty: Option<String>,
}

impl DetailState {
    fn load(&mut self, event: &CapturedEvent) {
        if self.seq == Some(event.seq) {
            return;
        }
        self.seq = Some(event.seq);
        self.parsed = Some(serde_json::from_str(&event.raw).map_err(|err| err.to_string()));
        self.pretty = None;
    }

    fn pretty(&mut self) -> Option<&str> {
        if self.pretty.is_none()
            && let Some(Ok(value)) = &self.parsed
        {
            self.pretty = serde_json::to_string_pretty(value).ok();
        }
        self.pretty.as_deref()
    }
}

/// Draws the selected event (or a hint when none is selected).
pub fn detail_ui(
    ui: &mut Ui,
    state: &mut DetailState,
    event: Option<&CapturedEvent>,
    context: &CaptureContext,
) {
    let Some(event) = event else {
        ui.weak("Select a row to see its JSON.");
        return;
    };
    state.load(event);
    header_ui(ui, state, event, context);
    ui.separator();
    egui::ScrollArea::both().id_salt("detail").auto_shrink([false, false]).show(ui, |ui| match state.mode {
        DetailMode::Tree => match &state.parsed {
            Some(Ok(value)) => json_tree_ui(ui, "frame", value),
            Some(Err(err)) => {
                ui.label(warn_text(ui.visuals(), format!("Not JSON ({err}); showing the text.")));
                raw_text_ui(ui, &event.raw);
            }
            None => {}
        },
        DetailMode::Pretty => match state.pretty() {
            Some(pretty) => {
                let pretty = pretty.to_owned();
                raw_text_ui(ui, &pretty);
            }
            None => raw_text_ui(ui, &event.raw),
        },
        DetailMode::Raw => raw_text_ui(ui, &event.raw),
    });
}

fn header_ui(ui: &mut Ui, state: &mut DetailState, event: &CapturedEvent, context: &CaptureContext) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("#{}", event.seq)).strong());
        ui.label(iso8601(event.received_at_ms));
        ui.label(connection_label(context, event.connection));
        if let Some(sub) = event.subscription {
            ui.label(subscription_label(context, sub));
        }
        let kind = format!("{} {}", event.direction.as_str(), event.kind.as_str());
        if event.kind == crate::protocol::FrameKind::Error {
            ui.label(error_text(ui.visuals(), kind));
        } else {
            ui.label(kind);
        }
        if let Some(method) = &event.method {
            ui.monospace(method.as_ref());
        }
        ui.weak(format_bytes(event.size() as u64));
    });
    ui.horizontal(|ui| {
        ui.selectable_value(&mut state.mode, DetailMode::Tree, "Tree");
        ui.selectable_value(&mut state.mode, DetailMode::Pretty, "Pretty");
        ui.selectable_value(&mut state.mode, DetailMode::Raw, "Raw");
        ui.separator();
        if ui.button("Copy raw").on_hover_text("Copy the frame exactly as received").clicked() {
            ui.ctx().copy_text(event.raw.to_string());
        }
        if let Some(pretty) = state.pretty()
            && ui.button("Copy pretty").on_hover_text("Copy the frame pretty-printed").clicked()
        {
            ui.ctx().copy_text(pretty.to_owned());
        }
    });
}

fn raw_text_ui(ui: &mut Ui, text: &str) {
    let mut shown = text;
    if text.len() > MAX_RAW_SHOWN {
        let mut at = MAX_RAW_SHOWN;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        shown = &text[..at];
        ui.weak(format!(
            "Showing the first {} of {}; Copy copies all.",
            format_bytes(at as u64),
            format_bytes(text.len() as u64)
        ));
    }
    ui.add(
        egui::TextEdit::multiline(&mut shown)
            .code_editor()
            .desired_width(f32::INFINITY)
            .desired_rows(4)
            .hint_text("frame text"),
    );
}
