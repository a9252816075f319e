//! The egui panels. Each file is one panel: a state struct the app owns and a `*_ui` function
//! that draws it and returns what the user asked for (an action enum), never a backend call.
//!
//! ```text
//! ┌ toolbar ─────────────────────────────────────────────────────────────┐
//! │ endpoints  │ filter bar                                              │
//! │ (endpoints)│ live table (table)                                      │
//! │────────────│─────────────────────────────────────────────────────────│
//! │ composer   │ detail (detail, json_tree)      │ rate plot (plot)      │
//! ├ status bar (status_bar) ─────────────────────────────────────────────┤
//! ```
//! The export dialog is `transfer`, the Open dialog `open_dialog`; colors come from
//! `ui.visuals()`.

pub mod composer;
pub mod detail;
pub mod endpoints;
pub mod form;
pub mod json_tree;
pub mod open_dialog;
pub mod plot;
pub mod status_bar;
pub mod subscriptions;
pub mod table;
pub mod transfer;

use egui::{Color32, RichText, Visuals};

pub use composer::{ComposerAction, ComposerState, composer_ui};
pub use detail::{DetailState, detail_ui};
pub use endpoints::{EndpointAction, endpoints_ui};
pub use open_dialog::{OpenAction, OpenDialog, RecentFile, open_dialog_ui};
pub use plot::rate_plot_ui;
pub use status_bar::{OpenedStatus, StatusAction, StatusInfo, status_bar_ui};
pub use subscriptions::{SubscriptionAction, subscriptions_ui};
pub use table::{TableAction, TableState, events_table_ui, table_toolbar_ui};
pub use transfer::{ExportDialog, ExportScope, TransferAction, export_dialog_ui};

/// The color for "good" states (open, active), derived from the theme.
pub fn ok_color(visuals: &Visuals) -> Color32 {
    if visuals.dark_mode { Color32::LIGHT_GREEN } else { Color32::DARK_GREEN }
}

/// Text in the theme's error color.
pub fn error_text(visuals: &Visuals, text: impl Into<String>) -> RichText {
    RichText::new(text.into()).color(visuals.error_fg_color)
}

/// Text in the theme's warning color.
pub fn warn_text(visuals: &Visuals, text: impl Into<String>) -> RichText {
    RichText::new(text.into()).color(visuals.warn_fg_color)
}

/// A byte count for people: `512 B`, `12.3 KiB`, `1.2 MiB`, `1.00 GiB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.digits$} {}", UNITS[unit])
}

/// A count with thousands separators: `1,234,567`.
pub fn format_count(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The UTC time of day of `ms` since the epoch: `08:19:00.123`.
pub fn time_of_day(ms: u64) -> String {
    let secs = ms / 1000;
    format!("{:02}:{:02}:{:02}.{:03}", secs / 3600 % 24, secs / 60 % 60, secs % 60, ms % 1000)
}

/// Shortens a long identifier (a pubkey, a hash) to its head and tail: `4Nd1…Xx9a`.
pub fn shorten(text: &str, keep: usize) -> String {
    let count = text.chars().count();
    if count <= keep * 2 + 1 {
        return text.to_owned();
    }
    let head: String = text.chars().take(keep).collect();
    let tail: String = text.chars().skip(count - keep).collect();
    format!("{head}…{tail}")
}

/// Cuts text to at most `max` characters, with an ellipsis when it was cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_scaled_to_a_readable_unit() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(1536), "1.50 KiB");
        assert_eq!(format_bytes(1 << 30), "1.00 GiB");
        assert_eq!(format_bytes(300 << 20), "300 MiB");
    }

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1_000), "1,000");
        assert_eq!(format_count(1_234_567), "1,234,567");
    }

    #[test]
    fn time_of_day_is_utc_with_milliseconds() {
        assert_eq!(time_of_day(1_795_335_540_123), "08:19:00.123");
    }

    #[test]
    fn long_identifiers_keep_head_and_tail() {
        assert_eq!(shorten("abcdefghijkl", 3), "abc…jkl");
        assert_eq!(shorten("short", 3), "short");
        assert_eq!(truncate("héllo world", 5), "héllo…");
        assert_eq!(truncate("hi", 5), "hi");
    }
}
