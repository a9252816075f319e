//! The status bar: connections, events (the opened file's when the table shows one), rate,
//! memory against the cap, evictions, and the last app-wide message (an export finished, a
//! command failed).

use egui::{RichText, Ui};

use super::{error_text, format_bytes, format_count, ok_color, ticking, warn_text};
use crate::session::Message;

/// Memory caps offered in the status bar, in bytes.
pub const CAP_CHOICES: [usize; 6] = [128 << 20, 256 << 20, 512 << 20, 1 << 30, 2 << 30, 4 << 30];

/// What the status bar shows.
#[derive(Clone, Debug, Default)]
pub struct StatusInfo {
    /// Connections in the endpoints list that are live.
    pub connections: usize,
    /// Of those, how many are open.
    pub open: usize,
    /// Events held in the live capture.
    pub held: usize,
    /// Events ever received.
    pub total: u64,
    /// Events per second over the last seconds.
    pub rate: f64,
    /// Bytes held.
    pub memory: usize,
    /// The memory cap.
    pub cap: usize,
    /// Events evicted to stay under the cap.
    pub evicted: u64,
    /// Events the last Clear took, while it can be undone.
    pub cleared: Option<usize>,
    /// The last message.
    pub message: Option<Message>,
    /// The file the table shows instead of the live capture, if any.
    pub opened: Option<OpenedStatus>,
}

/// A file shown read-only in the table.
#[derive(Clone, Debug, Default)]
pub struct OpenedStatus {
    /// Its file name.
    pub name: String,
    /// The events read from it.
    pub events: usize,
}

/// What the user asked the status bar for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusAction {
    /// Set the memory cap to this many bytes.
    SetCap(usize),
    /// Dismiss the message.
    DismissMessage,
    /// Put back what the last Clear took.
    UndoClear,
}

/// Draws the status bar. In a narrow window it wraps onto a second line (and a long message
/// wraps on its own) rather than cutting text at the window's edge.
pub fn status_bar_ui(ui: &mut Ui, info: &StatusInfo) -> Option<StatusAction> {
    let mut action = None;
    let visuals = ui.visuals().clone();
    ui.horizontal_wrapped(|ui| {
        let connections =
            format!("{} connection{} ({} open)", info.connections, plural(info.connections), info.open);
        if info.open > 0 {
            ui.label(RichText::new(connections).color(ok_color(&visuals)));
        } else {
            ui.label(connections);
        }
        ui.separator();
        // The counts tick with every event: redrawn at most five times a second.
        let live = ticking(
            ui,
            "status: events",
            format!("{} events held · {} received", format_count(info.held as u64), format_count(info.total)),
        );
        match &info.opened {
            Some(opened) => {
                ui.label(format!(
                    "{} events in {} (read-only)",
                    format_count(opened.events as u64),
                    opened.name
                ));
                ui.separator();
                ui.weak(format!("live: {live}"));
            }
            None => {
                ui.label(live);
            }
        }
        ui.separator();
        ui.label(ticking(ui, "status: rate", format!("{:.1} events/s", info.rate)));
        ui.separator();
        let used = ticking(
            ui,
            "status: memory",
            format!("memory {} / {}", format_bytes(info.memory as u64), format_bytes(info.cap as u64)),
        );
        let near_cap = info.memory as f64 >= info.cap as f64 * 0.9;
        ui.menu_button(if near_cap { warn_text(&visuals, used) } else { RichText::new(used) }, |ui| {
            ui.label("Memory cap (oldest events are evicted past it):");
            for cap in CAP_CHOICES {
                if ui.selectable_label(cap == info.cap, format_bytes(cap as u64)).clicked() {
                    action = Some(StatusAction::SetCap(cap));
                    ui.close();
                }
            }
        });
        ui.separator();
        if info.evicted > 0 {
            let evicted = ticking(ui, "status: evicted", format!("{} evicted", format_count(info.evicted)));
            ui.label(warn_text(&visuals, evicted))
                .on_hover_text("Oldest events dropped to stay under the memory cap");
        } else {
            ui.weak("0 evicted");
        }
        if let Some(count) = info.cleared {
            ui.separator();
            ui.label(format!("cleared {} event{}", format_count(count as u64), plural(count)));
            if ui.small_button("Undo").on_hover_text("Put the cleared events back (Ctrl+Z)").clicked() {
                action = Some(StatusAction::UndoClear);
            }
        }
        if let Some(message) = &info.message {
            ui.separator();
            match message {
                Message::News(text) => ui.label(text),
                Message::Failure(text) => ui.label(error_text(&visuals, text)),
            };
            if ui.small_button("×").on_hover_text("Dismiss").accessible_name("Dismiss the message").clicked()
            {
                action = Some(StatusAction::DismissMessage);
            }
        }
    });
    action
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
