//! The cells of one row, and the readable line a record subscope made itself (a reconnect gap,
//! a connection note) shows instead of its raw JSON.

use egui::{RichText, Stroke, Ui};

use super::{connection_label, subscription_label};
use crate::capture::{CapturedEvent, Direction};
use crate::catalog::Summary;
use crate::export::CaptureContext;
use crate::protocol::meta::{self, GapRecord, MetaRecord};
use crate::row::{self, Tone};
use crate::ui::{Clock, error_text, format_bytes, shorten, truncate, warn_text};

/// What every cell of a row may need besides the event.
pub(super) struct CellContext<'a> {
    /// Names for the ids.
    pub context: &'a CaptureContext,
    /// The row's reorg note, if it is flagged.
    pub reorg: Option<&'a str>,
    /// The clock times are shown on.
    pub clock: Clock,
    /// The width from the Slot / block column to the end of Details: the line of a record
    /// subscope made spans them (they are empty for it).
    pub meta_span: f32,
    /// The decoded one-liner, when the frame decodes: Details shows it first.
    pub decoded: Option<&'a str>,
    /// The line between columns.
    pub grid: Stroke,
}

/// The line between this cell and the one before it, at the cell's left edge (where the table
/// draws a column's resize handle).
pub(super) fn column_line(ui: &Ui, stroke: Stroke) {
    let cell = ui.max_rect();
    // The cell clips at its own edge: a line on it would be cut in half.
    let clip = ui.clip_rect().expand2(egui::vec2(stroke.width.max(1.0), 0.0));
    egui::Painter::new(ui.ctx().clone(), ui.layer_id(), clip).vline(cell.left(), cell.y_range(), stroke);
}

/// One readable line for a gap: `lost 13:55:04 → restored 13:55:48, 43.9 s, 2 re-subscribed`.
pub fn gap_line(gap: &GapRecord, clock: Clock) -> String {
    let mut line = format!(
        "lost {} → restored {}, {:.1} s",
        clock.time_to_second(gap.lost_at_ms),
        clock.time_to_second(gap.restored_at_ms),
        gap.duration_ms() as f64 / 1000.0
    );
    if let Some(count) = gap.resubscribed {
        line.push_str(&format!(", {count} re-subscribed"));
    }
    line
}

pub(super) fn row_cells(
    row: &mut egui_extras::TableRow<'_, '_>,
    event: &CapturedEvent,
    summary: &Summary,
    cell: &CellContext<'_>,
) {
    let context = cell.context;
    let record = if event.direction == Direction::Meta { meta::parse(&event.raw) } else { None };
    // A record's line spans Slot / block through Details: no column lines inside it.
    let line = |ui: &Ui, index: usize| {
        if index > 0 && !(record.is_some() && (5..=8).contains(&index)) {
            column_line(ui, cell.grid);
        }
    };
    row.col(|ui| {
        ui.monospace(cell.clock.time_of_day(event.received_at_ms));
    });
    row.col(|ui| {
        line(ui, 1);
        ui.label(truncate(&connection_label(context, event.connection), 24));
    });
    row.col(|ui| {
        line(ui, 2);
        if let Some(sub) = event.subscription {
            ui.label(subscription_label(context, sub));
        }
    });
    row.col(|ui| {
        line(ui, 3);
        kind_cell_ui(ui, event, summary, cell.reorg, record.as_ref());
    });
    row.col(|ui| {
        line(ui, 4);
        if let Some(record) = &record {
            spanning_ui(ui, cell.meta_span, |ui| meta_line_ui(ui, record, cell.clock));
        } else if let Some(slot) = summary.slot_or_block {
            ui.monospace(slot.to_string());
        }
    });
    row.col(|ui| {
        line(ui, 5);
        if let Some(signature) = &summary.signature_or_hash {
            ui.monospace(shorten(signature, 6)).on_hover_text(signature);
        }
    });
    row.col(|ui| {
        line(ui, 6);
        if let Some(account) = row::account(context, event, summary) {
            ui.monospace(shorten(&account, 5)).on_hover_text(account);
        }
    });
    row.col(|ui| {
        line(ui, 7);
        if let Some(value) = &summary.value {
            ui.monospace(value);
        }
    });
    row.col(|ui| {
        line(ui, 8);
        if record.is_none() {
            details_cell_ui(ui, event, summary, cell);
        }
    });
    row.col(|ui| {
        line(ui, 9);
        ui.label(format_bytes(event.size() as u64));
    });
}

fn kind_cell_ui(
    ui: &mut Ui,
    event: &CapturedEvent,
    summary: &Summary,
    reorg: Option<&str>,
    record: Option<&MetaRecord>,
) {
    // The arrows exist only in the monospace font; the kind reads better proportional. They
    // stand 4 points apart: the cursor steps back from the usual spacing (setting the spacing
    // would copy the whole style, text styles and all, for every row drawn).
    ui.label(RichText::new(row::arrow(event.direction)).monospace().weak());
    ui.add_space(4.0 - ui.spacing().item_spacing.x);
    let gap = matches!(record, Some(MetaRecord::Gap(_)));
    let (kind, tone) = row::kind_label(event, summary, reorg.is_some(), gap);
    match tone {
        Tone::Plain => ui.label(kind),
        Tone::Quiet => ui.label(RichText::new(kind).weak()),
        Tone::Warn => ui.label(warn_text(ui.visuals(), kind)),
        Tone::Error => ui.label(error_text(ui.visuals(), kind)),
    };
}

/// Draws across the cells to the right of this one (empty in this row), up to `width`, still
/// clipped to the table's body.
fn spanning_ui(ui: &mut Ui, width: f32, add_contents: impl FnOnce(&mut Ui)) {
    let cell = ui.max_rect();
    let rect = egui::Rect::from_min_size(cell.min, egui::vec2(width.max(cell.width()), cell.height()));
    let clip = ui.clip_rect();
    let clip =
        egui::Rect::from_x_y_ranges(clip.left()..=rect.right().min(clip.left() + width), clip.y_range());
    let mut span = ui.new_child(egui::UiBuilder::new().max_rect(rect).layout(*ui.layout()));
    span.set_clip_rect(clip);
    add_contents(&mut span);
}

fn meta_line_ui(ui: &mut Ui, record: &MetaRecord, clock: Clock) {
    match record {
        MetaRecord::Gap(gap) => {
            let line = gap_line(gap, clock);
            // The arrow exists only in the monospace font.
            let response = ui.label(warn_text(ui.visuals(), &line).monospace());
            if let Some(reason) = &gap.reason {
                response
                    .on_hover_text(format!("Nothing was received while the connection was down ({reason})."));
            }
        }
        MetaRecord::Note(note) => {
            ui.label(RichText::new(truncate(note, 160)).weak());
        }
    }
}

fn details_cell_ui(ui: &mut Ui, event: &CapturedEvent, summary: &Summary, cell: &CellContext<'_>) {
    if let Some(note) = cell.reorg {
        ui.label(warn_text(ui.visuals(), note));
        return;
    }
    if let Some(error) = &summary.error {
        // A failed transaction that decodes reads as its instructions ("failed: Token:
        // Transfer (custom program error: 0x1)"); the raw error is on hover.
        let text = cell.decoded.map_or_else(|| truncate(error, 120), |decoded| truncate(decoded, 200));
        ui.label(error_text(ui.visuals(), text)).on_hover_text(error);
        return;
    }
    let words = row::detail_words(event, summary);
    if let Some(decoded) = cell.decoded {
        // What the frame means first; the method and kind after it, quieter.
        ui.label(truncate(decoded, 200)).on_hover_text(decoded);
        if !words.is_empty() {
            ui.weak(words);
        }
        return;
    }
    ui.label(words);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_reads_as_one_line() {
        let gap = GapRecord {
            lost_at_ms: 1_795_335_304_000,
            restored_at_ms: 1_795_335_347_900,
            reason: None,
            resubscribed: Some(2),
        };
        assert_eq!(gap_line(&gap, Clock::Utc), "lost 08:15:04 → restored 08:15:47, 43.9 s, 2 re-subscribed");
        let old = GapRecord { resubscribed: None, ..gap };
        assert_eq!(gap_line(&old, Clock::Utc), "lost 08:15:04 → restored 08:15:47, 43.9 s");
    }
}
