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

pub mod appearance;
pub mod compare;
pub mod composer;
pub mod decoding;
pub mod detail;
pub mod endpoints;
pub mod form;
pub mod json_tree;
pub mod open_dialog;
pub mod plot;
pub mod status_bar;
pub mod subscriptions;
pub mod table;
pub mod ticking;
pub mod transfer;

use egui::{Color32, RichText, Visuals};

pub use crate::human::{format_bytes, format_count, shorten, time_of_day, truncate};
pub use composer::{ComposerAction, ComposerState, composer_ui};
pub use detail::{DetailState, detail_ui};
pub use endpoints::{EndpointAction, endpoints_ui};
pub use open_dialog::{OpenAction, OpenDialog, RecentFile, open_dialog_ui};
pub use plot::{rate_plot_ui, series_color};
pub use status_bar::{OpenedStatus, StatusAction, StatusInfo, status_bar_ui};
pub use subscriptions::{SubscriptionAction, subscriptions_ui};
pub use table::{TableAction, TableState, events_table_ui, table_toolbar_ui};
pub use ticking::ticking;
pub use transfer::{ExportDialog, ExportScope, TransferAction, export_dialog_ui};

/// The color for "good" states (open, active), derived from the theme.
pub fn ok_color(visuals: &Visuals) -> Color32 {
    if visuals.dark_mode { Color32::LIGHT_GREEN } else { Color32::DARK_GREEN }
}

/// Text in the theme's error color.
pub fn error_text(visuals: &Visuals, text: impl Into<String>) -> RichText {
    RichText::new(text.into()).color(visuals.error_fg_color)
}

/// A small × that removes `name` from a list; screen readers (and tests) hear it as
/// "Remove NAME", the hover says where from.
pub fn remove_button(ui: &mut egui::Ui, name: &str, from: &str) -> egui::Response {
    let remove = ui.small_button("×").on_hover_text(format!("Remove {name} {from}"));
    remove.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, format!("Remove {name}")));
    remove
}

/// Text in the theme's warning color.
pub fn warn_text(visuals: &Visuals, text: impl Into<String>) -> RichText {
    RichText::new(text.into()).color(visuals.warn_fg_color)
}

/// Which clock the table shows times on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    /// The computer's time zone (daylight saving applied per instant).
    #[default]
    Local,
    /// UTC, as exports write times.
    Utc,
}

impl Clock {
    /// `UTC` or `local`, for column headers.
    pub fn name(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Utc => "UTC",
        }
    }

    /// The time of day of `ms` since the epoch on this clock, with milliseconds:
    /// `08:19:00.123`.
    pub fn time_of_day(self, ms: u64) -> String {
        time_of_day(self.shift(ms))
    }

    /// The time of day to the second: `08:19:00`.
    pub fn time_to_second(self, ms: u64) -> String {
        let mut text = self.time_of_day(ms);
        text.truncate(8);
        text
    }

    fn shift(self, ms: u64) -> u64 {
        match self {
            Self::Utc => ms,
            Self::Local => shift_to(system_time_zone(), ms),
        }
    }
}

/// The computer's time zone, read once (`TZ`, else `/etc/localtime`; UTC when neither says).
fn system_time_zone() -> &'static jiff::tz::TimeZone {
    static ZONE: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();
    ZONE.get_or_init(|| jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC))
}

/// `ms` since the epoch moved by the zone's offset at that instant (so that reading it as UTC
/// gives the zone's wall clock).
fn shift_to(zone: &jiff::tz::TimeZone, ms: u64) -> u64 {
    let Ok(instant) = jiff::Timestamp::from_millisecond(i64::try_from(ms).unwrap_or(i64::MAX)) else {
        return ms;
    };
    let offset_ms = i64::from(zone.to_offset(instant).seconds()) * 1000;
    ms.saturating_add_signed(offset_ms)
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
    fn local_time_follows_the_zone_offset_at_each_instant() {
        let zone = jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(-5));
        assert_eq!(time_of_day(shift_to(&zone, 1_795_335_540_123)), "03:19:00.123");
        let zone = jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(2));
        assert_eq!(time_of_day(shift_to(&zone, 1_795_335_540_123)), "10:19:00.123");
        assert_eq!(Clock::Utc.time_to_second(1_795_335_540_123), "08:19:00");
        assert_eq!(Clock::Utc.time_of_day(1_795_335_540_123), "08:19:00.123");
    }

    #[test]
    fn long_identifiers_keep_head_and_tail() {
        assert_eq!(shorten("abcdefghijkl", 3), "abc…jkl");
        assert_eq!(shorten("short", 3), "short");
        assert_eq!(truncate("héllo world", 5), "héllo…");
        assert_eq!(truncate("hi", 5), "hi");
    }
}
