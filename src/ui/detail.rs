//! The detail view of the selected event: a header, a collapsible JSON tree, the text, or
//! what the frame decodes to (an event's named arguments, a Solana invocation tree, a parsed
//! account), and copy buttons.

use std::sync::Arc;

use egui::collapsing_header::CollapsingState;
use egui::{Id, RichText, Ui};
use serde_json::Value;

use super::json_tree::json_tree_ui;
use super::table::{connection_label, subscription_label};
use super::{error_text, format_bytes, warn_text};
use crate::capture::{CapturedEvent, Direction};
use crate::decode::{Decoded, Decoder, OutlineLine};
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
    /// What the frame decodes to.
    Decoded,
}

/// The detail view's state: the parsed JSON and the decoding of the selected event, cached.
#[derive(Default)]
pub struct DetailState {
    /// How to show the event.
    pub mode: DetailMode,
    seq: Option<u64>,
    parsed: Option<Result<Value, String>>,
    pretty: Option<String>,
    /// The app's decoder (with the user's ABIs); `None` until the app sets one, then the
    /// built-ins are used.
    decoder: Option<Arc<Decoder>>,
    /// The selected event decoded, with its outline (`None` inside: nothing to decode), made
    /// on first view.
    decoded: Option<Option<(Decoded, Vec<OutlineLine>)>>,
}

impl DetailState {
    /// Decodes with `decoder` from now on (the user changed their ABIs or tokens).
    pub fn set_decoder(&mut self, decoder: Arc<Decoder>) {
        self.decoder = Some(decoder);
        self.decoded = None;
    }

    fn load(&mut self, event: &CapturedEvent) {
        if self.seq == Some(event.seq) {
            return;
        }
        self.seq = Some(event.seq);
        self.parsed = Some(serde_json::from_str(&event.raw).map_err(|err| err.to_string()));
        self.pretty = None;
        self.decoded = None;
    }

    fn decoded(&mut self, event: &CapturedEvent) -> Option<&(Decoded, Vec<OutlineLine>)> {
        if self.decoded.is_none() {
            let decoder = self.decoder.get_or_insert_with(|| Arc::new(Decoder::new()));
            let incoming = event.direction == Direction::In;
            let decoded = incoming.then(|| decoder.decode(&event.raw)).flatten();
            self.decoded = Some(decoded.map(|decoded| {
                let outline = decoded.outline();
                (decoded, outline)
            }));
        }
        self.decoded.as_ref().and_then(Option::as_ref)
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
    header_ui(ui, event, context);
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
        DetailMode::Decoded => match state.decoded(event) {
            Some((decoded, outline)) => {
                let id = ui.scope_id().with(("decoded", event.seq));
                decoded_ui(ui, &decoded.summary, outline, id)
            }
            None => {
                ui.weak(NOTHING_DECODED);
            }
        },
    });
}

/// What the Decoded tab says for a frame with nothing to decode.
const NOTHING_DECODED: &str = "Nothing to decode in this frame. Decoded are Ethereum logs and \
    transactions whose event or function an ABI knows (add a contract's ABI under Decoding in \
    the side panel), Solana logs, and jsonParsed accounts.";

/// The decoded summary, then the outline as a tree: a line with deeper lines under it (an
/// event's signature, an instruction with inner ones) folds.
fn decoded_ui(ui: &mut Ui, summary: &str, lines: &[OutlineLine], id: Id) {
    ui.label(RichText::new(summary).strong());
    ui.add_space(4.0);
    let mut index = 0;
    while index < lines.len() {
        index = outline_node_ui(ui, lines, index, id);
    }
}

/// Draws `lines[index]` and the lines under it; returns the index after them.
fn outline_node_ui(ui: &mut Ui, lines: &[OutlineLine], index: usize, id: Id) -> usize {
    let line = &lines[index];
    let end = lines[index + 1..]
        .iter()
        .position(|next| next.depth <= line.depth)
        .map_or(lines.len(), |offset| index + 1 + offset);
    if end == index + 1 {
        outline_line_ui(ui, line);
        return end;
    }
    CollapsingState::load_with_default_open(ui.ctx(), id.with(index), true)
        .show_header(ui, |ui| outline_line_ui(ui, line))
        .body(|ui| {
            let mut child = index + 1;
            while child < end {
                child = outline_node_ui(ui, lines, child, id);
            }
        });
    end
}

fn outline_line_ui(ui: &mut Ui, line: &OutlineLine) {
    ui.horizontal_wrapped(|ui| {
        if !line.label.is_empty() {
            ui.label(RichText::new(&line.label).strong());
        }
        if !line.value.is_empty() {
            ui.monospace(&line.value);
        }
    });
}

/// The event's header on one line (elided at the inspector's width, whole on hover), so a
/// short inspector keeps its height for the frame.
fn header_ui(ui: &mut Ui, event: &CapturedEvent, context: &CaptureContext) {
    let mut parts = vec![
        format!("#{}", event.seq),
        iso8601(event.received_at_ms),
        connection_label(context, event.connection),
    ];
    if let Some(sub) = event.subscription {
        parts.push(subscription_label(context, sub));
    }
    parts.push(format!("{} {}", event.direction.as_str(), event.kind.as_str()));
    if let Some(method) = &event.method {
        parts.push(method.to_string());
    }
    parts.push(format_bytes(event.size() as u64));
    let line = parts.join("  ·  ");
    let text = if event.kind == crate::protocol::FrameKind::Error {
        error_text(ui.visuals(), &line)
    } else {
        RichText::new(&line)
    };
    ui.add(egui::Label::new(text).truncate()).on_hover_text(&line);
}

/// The view tabs and copy buttons of the selected event, drawn in the inspector's tab bar
/// (nothing when no row is selected).
pub fn detail_bar_ui(ui: &mut Ui, state: &mut DetailState, event: Option<&CapturedEvent>) {
    let Some(event) = event else {
        return;
    };
    state.load(event);
    ui.separator();
    ui.selectable_value(&mut state.mode, DetailMode::Tree, "Tree");
    ui.selectable_value(&mut state.mode, DetailMode::Pretty, "Pretty");
    ui.selectable_value(&mut state.mode, DetailMode::Raw, "Raw");
    ui.selectable_value(&mut state.mode, DetailMode::Decoded, "Decoded")
        .on_hover_text("Event arguments by their ABI, Solana logs as a tree, parsed accounts");
    ui.separator();
    if ui.button("Copy raw").on_hover_text("Copy the frame exactly as received").clicked() {
        ui.ctx().copy_text(event.raw.to_string());
    }
    if let Some(pretty) = state.pretty()
        && ui.button("Copy pretty").on_hover_text("Copy the frame pretty-printed").clicked()
    {
        ui.ctx().copy_text(pretty.to_owned());
    }
    if state.mode == DetailMode::Decoded
        && let Some((decoded, _)) = state.decoded(event)
        && ui.button("Copy decoded").on_hover_text("Copy the decoded fields as JSON").clicked()
        && let Ok(json) = serde_json::to_string_pretty(decoded)
    {
        ui.ctx().copy_text(json);
    }
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
