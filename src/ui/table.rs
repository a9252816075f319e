//! The live table: a virtualized [`TableBuilder`] over the capture (or an imported file),
//! filtered by a [`FilteredView`], following the newest row until the user scrolls away.
//!
//! Only the rows on screen are drawn, and only they are summarized (the catalogue's
//! [`summarize`] reads the raw frame); summaries are cached by sequence number.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use egui::{Align, Id, RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::{error_text, format_bytes, format_count, shorten, time_of_day, truncate, warn_text};
use crate::capture::{Capture, CapturedEvent, ConnId, Direction, SubKey};
use crate::catalog::{Summary, summarize};
use crate::export::CaptureContext;
use crate::filter::{Filter, FilteredView};
use crate::protocol::FrameKind;

/// How many columns the table has (for persisted widths).
pub const COLUMN_COUNT: usize = 10;

/// Default column widths, in points.
const DEFAULT_WIDTHS: [f32; COLUMN_COUNT] = [96.0, 84.0, 92.0, 96.0, 80.0, 108.0, 84.0, 100.0, 140.0, 56.0];

/// Summaries kept for drawn rows before the cache is emptied.
const SUMMARY_CACHE: usize = 4_096;

/// The id of the filter text field (Ctrl+F focuses it).
pub fn filter_text_id() -> Id {
    Id::unique("subscope.filter_text")
}

/// Table state: the filter form and its view, pause, selection and the summary cache.
pub struct TableState {
    /// The filter as the form shows it.
    pub filter: Filter,
    /// The filtered rows, or `None` when the filter is empty (every event is a row).
    view: Option<FilteredView>,
    /// Why the filter cannot be used (a bad regex), shown at the field.
    pub filter_error: Option<String>,
    scanning: bool,
    /// While paused, the newest sequence number shown.
    pub paused_through: Option<u64>,
    /// The selected event.
    pub selected: Option<u64>,
    /// Set to move keyboard focus to the filter field on the next frame.
    pub focus_filter: bool,
    /// Column widths as last drawn (persisted by the app).
    pub column_widths: Vec<f32>,
    summaries: HashMap<u64, Summary>,
    scroll_to_newest: bool,
    at_bottom: bool,
}

impl Default for TableState {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

/// Rows named for the filter's connection and subscription pickers.
#[derive(Clone, Debug, Default)]
pub struct FilterChoices {
    /// Connections: id and label.
    pub connections: Vec<(ConnId, String)>,
    /// Subscriptions: key and label.
    pub subscriptions: Vec<(SubKey, String)>,
}

/// What the user asked the table toolbar for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableAction {
    /// Pause or resume the view.
    TogglePause,
    /// Clear the capture.
    Clear,
}

/// Marks for rows the catalogue flags by context (a block height seen twice).
pub use crate::session::ReorgMarks;

impl TableState {
    /// An unfiltered table with these persisted column widths.
    pub fn new(column_widths: Vec<f32>) -> Self {
        let column_widths =
            if column_widths.len() == COLUMN_COUNT { column_widths } else { DEFAULT_WIDTHS.to_vec() };
        Self {
            filter: Filter::default(),
            view: None,
            filter_error: None,
            scanning: false,
            paused_through: None,
            selected: None,
            focus_filter: false,
            column_widths,
            summaries: HashMap::new(),
            scroll_to_newest: false,
            at_bottom: true,
        }
    }

    /// Rebuilds the view from the filter form; a bad regex is kept as the field's error and
    /// the previous view stays.
    pub fn apply_filter(&mut self) {
        if self.filter.is_empty() {
            self.view = None;
            self.filter_error = None;
            self.scanning = false;
            return;
        }
        match FilteredView::new(self.filter.clone()) {
            Ok(view) => {
                self.view = Some(view);
                self.filter_error = None;
                self.scanning = true;
            }
            Err(err) => self.filter_error = Some(err.to_string()),
        }
    }

    /// Starts over after the capture was cleared or replaced.
    pub fn reset(&mut self) {
        self.apply_filter();
        self.summaries.clear();
        self.selected = None;
        self.paused_through = None;
    }

    /// Scans new events into the view for at most `budget` of time; returns whether the scan
    /// is complete.
    pub fn refresh(&mut self, capture: &Capture, budget: Duration) -> bool {
        const CHUNK: usize = 4_096;
        let Some(view) = &mut self.view else {
            self.scanning = false;
            return true;
        };
        let started = Instant::now();
        loop {
            if view.update_with_budget(capture, CHUNK) < CHUNK {
                self.scanning = false;
                return true;
            }
            if started.elapsed() >= budget {
                self.scanning = true;
                return false;
            }
        }
    }

    /// Whether the filter is still scanning older events.
    pub fn is_scanning(&self) -> bool {
        self.scanning
    }

    /// Pauses (freezing the rows shown at the newest event now) or resumes.
    pub fn toggle_pause(&mut self, capture: &Capture) {
        self.paused_through = match self.paused_through {
            Some(_) => None,
            None => Some(capture.iter().next_back().map_or(0, |event| event.seq)),
        };
        if self.paused_through.is_none() {
            self.scroll_to_newest = true;
        }
    }

    /// Whether the view is paused.
    pub fn is_paused(&self) -> bool {
        self.paused_through.is_some()
    }

    /// How many rows the view shows (all matching rows, or up to the pause point).
    pub fn row_count(&self, capture: &Capture) -> usize {
        let rows = self.view.as_ref().map_or(capture.len(), |view| view.len_in(capture));
        let Some(through) = self.paused_through else {
            return rows;
        };
        // Rows are in sequence order: find the first row past the pause point.
        let (mut low, mut high) = (0, rows);
        while low < high {
            let mid = low + (high - low) / 2;
            match self.event_at(capture, mid) {
                Some(event) if event.seq <= through => low = mid + 1,
                _ => high = mid,
            }
        }
        low
    }

    /// The event shown at a row.
    pub fn event_at<'a>(&self, capture: &'a Capture, row: usize) -> Option<&'a CapturedEvent> {
        match &self.view {
            Some(view) => view.event_at(capture, row),
            None => capture.get(row),
        }
    }

    /// The sequence numbers of every row the view shows (for exporting the filtered view).
    pub fn visible_seqs(&self, capture: &Capture) -> Vec<u64> {
        let rows = self.row_count(capture);
        (0..rows).filter_map(|row| self.event_at(capture, row).map(|event| event.seq)).collect()
    }

    /// Limits the filter to one subscription (and its connection) and applies it.
    pub fn show_subscription(&mut self, conn: ConnId, sub: SubKey) {
        self.filter.connection = Some(conn);
        self.filter.subscription = Some(sub);
        self.apply_filter();
    }

    fn summary(&mut self, event: &CapturedEvent) -> &Summary {
        if self.summaries.len() >= SUMMARY_CACHE && !self.summaries.contains_key(&event.seq) {
            self.summaries.clear();
        }
        self.summaries.entry(event.seq).or_insert_with(|| {
            if event.direction == Direction::In { summarize(&event.raw) } else { Summary::default() }
        })
    }
}

/// The filter bar and the Pause/Clear buttons above the table.
pub fn table_toolbar_ui(
    ui: &mut Ui,
    state: &mut TableState,
    capture: &Capture,
    choices: &FilterChoices,
    read_only: bool,
) -> Option<TableAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        // A file does not grow: only the live view pauses.
        let pause = if state.is_paused() { "Resume" } else { "Pause" };
        if !read_only && ui.button(pause).on_hover_text("Pause the view; capture continues (Space)").clicked()
        {
            action = Some(TableAction::TogglePause);
        }
        let clear = if read_only { "Close file" } else { "Clear" };
        if ui.button(clear).on_hover_text("Drop every captured event (Ctrl+L)").clicked() {
            action = Some(TableAction::Clear);
        }
        ui.separator();
        let rows = state.row_count(capture);
        let mut counts = format!("{} rows", format_count(rows as u64));
        if state.view.is_some() {
            counts.push_str(&format!(" of {}", format_count(capture.len() as u64)));
        }
        if state.is_scanning() {
            counts.push_str(" (filtering…)");
        }
        ui.weak(counts);
        if state.is_paused() {
            ui.label(warn_text(ui.visuals(), "paused: capture continues"));
        }
        if !state.at_bottom
            && rows > 0
            && ui.small_button("Follow newest").on_hover_text("Scroll to and follow the newest row").clicked()
        {
            state.scroll_to_newest = true;
        }
    });
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Filter");
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut state.filter.text)
                    .id(filter_text_id())
                    .hint_text("text or regex (Ctrl+F)")
                    .desired_width(200.0),
            )
            .labelled_by(label.id);
        if state.focus_filter {
            response.request_focus();
            state.focus_filter = false;
        }
        let mut changed = response.changed();
        changed |= ui.checkbox(&mut state.filter.regex, "regex").changed();
        ui.separator();
        changed |= filter_pickers_ui(ui, state, choices);
        if !state.filter.is_empty()
            && ui.small_button("Reset filter").on_hover_text("Show every event again").clicked()
        {
            state.filter = Filter::default();
            changed = true;
        }
        if changed {
            state.apply_filter();
        }
        if let Some(err) = &state.filter_error {
            ui.label(error_text(ui.visuals(), err));
        }
    });
    action
}

fn filter_pickers_ui(ui: &mut Ui, state: &mut TableState, choices: &FilterChoices) -> bool {
    let mut changed = false;
    let conn_text = state.filter.connection.map_or_else(
        || "all connections".to_owned(),
        |conn| label_for(&choices.connections, conn, "connection"),
    );
    let label = ui.label("Connection");
    egui::ComboBox::from_id_salt("filter_conn")
        .selected_text(conn_text)
        .width(120.0)
        .show_ui(ui, |ui| {
            changed |= ui.selectable_value(&mut state.filter.connection, None, "all connections").changed();
            for (conn, label) in &choices.connections {
                changed |= ui.selectable_value(&mut state.filter.connection, Some(*conn), label).changed();
            }
        })
        .response
        .labelled_by(label.id);
    let sub_text = state.filter.subscription.map_or_else(
        || "all subscriptions".to_owned(),
        |sub| label_for(&choices.subscriptions, sub, "subscription"),
    );
    let label = ui.label("Subscription");
    egui::ComboBox::from_id_salt("filter_sub")
        .selected_text(sub_text)
        .width(140.0)
        .show_ui(ui, |ui| {
            changed |=
                ui.selectable_value(&mut state.filter.subscription, None, "all subscriptions").changed();
            for (sub, label) in &choices.subscriptions {
                changed |= ui.selectable_value(&mut state.filter.subscription, Some(*sub), label).changed();
            }
        })
        .response
        .labelled_by(label.id);
    let kind_text = state.filter.kind.map_or("all kinds", FrameKind::as_str);
    let label = ui.label("Kind");
    egui::ComboBox::from_id_salt("filter_kind")
        .selected_text(kind_text)
        .width(100.0)
        .show_ui(ui, |ui| {
            changed |= ui.selectable_value(&mut state.filter.kind, None, "all kinds").changed();
            for kind in FrameKind::ALL {
                changed |= ui.selectable_value(&mut state.filter.kind, Some(kind), kind.as_str()).changed();
            }
        })
        .response
        .labelled_by(label.id);
    changed
}

fn label_for<K: PartialEq + std::fmt::Display>(choices: &[(K, String)], key: K, what: &str) -> String {
    choices
        .iter()
        .find(|(choice, _)| *choice == key)
        .map_or_else(|| format!("{what} {key}"), |(_, label)| label.clone())
}

/// A subscription's short name for the table: `logs #3`, `newHeads #5`.
pub fn subscription_label(context: &CaptureContext, sub: SubKey) -> String {
    match context.subscriptions.get(&sub) {
        Some(info) => {
            format!("{} #{sub}", crate::catalog::rules_for(&info.method, info.params.as_ref()).short_name)
        }
        None => format!("#{sub}"),
    }
}

/// A connection's label for the table.
pub fn connection_label(context: &CaptureContext, conn: ConnId) -> String {
    context.connections.get(&conn).map_or_else(|| format!("#{conn}"), |info| info.label.clone())
}

/// Draws the table over `capture`; clicking a row selects it.
pub fn events_table_ui(
    ui: &mut Ui,
    state: &mut TableState,
    capture: &Capture,
    context: &CaptureContext,
    reorgs: &ReorgMarks,
) {
    let rows = state.row_count(capture);
    if rows == 0 {
        let hint = if capture.is_empty() {
            "No events yet. Connect an endpoint and subscribe; rows appear here as they arrive."
        } else {
            "No events match the filter."
        };
        ui.add_space(12.0);
        ui.weak(hint);
        return;
    }
    // Cells are plain text: a click anywhere on a row selects it (no text selection).
    ui.style_mut().interaction.selectable_labels = false;
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    let widths = state.column_widths.clone();
    let width = |index: usize| widths.get(index).copied().unwrap_or(DEFAULT_WIDTHS[index]);
    let mut builder = TableBuilder::new(ui)
        .id_salt("events")
        .striped(true)
        .resizable(true)
        .stick_to_bottom(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(Align::Center))
        .min_scrolled_height(0.0);
    for index in 0..COLUMN_COUNT {
        let column = match index {
            8 => Column::remainder().at_least(80.0).clip(true),
            9 => Column::initial(width(index)).at_least(40.0),
            _ => Column::initial(width(index)).at_least(30.0).clip(true),
        };
        builder = builder.column(column);
    }
    if std::mem::take(&mut state.scroll_to_newest) {
        builder = builder.scroll_to_row(rows.saturating_sub(1), Some(Align::BOTTOM));
    }
    let header_names = [
        "Time (UTC)",
        "Connection",
        "Subscription",
        "Kind",
        "Slot / block",
        "Signature / hash",
        "Account",
        "Value",
        "Details",
        "Size",
    ];
    let mut drawn_widths = Vec::new();
    let output = builder
        .header(row_height + 2.0, |mut header| {
            for name in header_names {
                header.col(|ui| {
                    ui.strong(name);
                });
            }
        })
        .body(|body| {
            drawn_widths = body.widths().to_vec();
            body.rows(row_height, rows, |mut row| {
                let Some(event) = state.event_at(capture, row.index()) else {
                    return;
                };
                row.set_selected(state.selected == Some(event.seq));
                let reorg = reorgs.get(&event.seq).cloned();
                let summary = state.summary(event).clone();
                row_cells(&mut row, event, &summary, context, reorg.as_deref());
                if row.response().clicked() {
                    state.selected = Some(event.seq);
                }
            });
        });
    if drawn_widths.len() == COLUMN_COUNT {
        state.column_widths = drawn_widths;
    }
    let visible_bottom = output.state.clamped_offset().y + output.inner_rect.height();
    state.at_bottom = visible_bottom + row_height >= output.content_size.y;
}

fn row_cells(
    row: &mut egui_extras::TableRow<'_, '_>,
    event: &CapturedEvent,
    summary: &Summary,
    context: &CaptureContext,
    reorg: Option<&str>,
) {
    row.col(|ui| {
        ui.monospace(time_of_day(event.received_at_ms));
    });
    row.col(|ui| {
        ui.label(truncate(&connection_label(context, event.connection), 24));
    });
    row.col(|ui| {
        if let Some(sub) = event.subscription {
            ui.label(subscription_label(context, sub));
        }
    });
    row.col(|ui| kind_cell_ui(ui, event, summary, reorg));
    row.col(|ui| {
        if let Some(slot) = summary.slot_or_block {
            ui.monospace(slot.to_string());
        }
    });
    row.col(|ui| {
        if let Some(signature) = &summary.signature_or_hash {
            ui.monospace(shorten(signature, 6)).on_hover_text(signature);
        }
    });
    row.col(|ui| {
        // accountNotification does not repeat the account: it is the subscription's pubkey.
        let account = summary.account.clone().or_else(|| subscribed_account(context, event));
        if let Some(account) = account {
            ui.monospace(shorten(&account, 5)).on_hover_text(account);
        }
    });
    row.col(|ui| {
        if let Some(value) = &summary.value {
            ui.monospace(value);
        }
    });
    row.col(|ui| details_cell_ui(ui, event, summary, reorg));
    row.col(|ui| {
        ui.label(format_bytes(event.size() as u64));
    });
}

fn subscribed_account(context: &CaptureContext, event: &CapturedEvent) -> Option<String> {
    let info = context.subscriptions.get(&event.subscription?)?;
    if info.method != "accountSubscribe" || event.direction != Direction::In {
        return None;
    }
    info.params.as_ref()?.get(0)?.as_str().map(str::to_owned)
}

fn kind_cell_ui(ui: &mut Ui, event: &CapturedEvent, summary: &Summary, reorg: Option<&str>) {
    // The arrows exist only in the monospace font; the kind reads better proportional.
    let arrow = match event.direction {
        Direction::In => "←",
        Direction::Out => "→",
        Direction::Meta => "·",
    };
    ui.spacing_mut().item_spacing.x = 4.0;
    ui.label(RichText::new(arrow).monospace().weak());
    let kind = event.kind.as_str();
    let visuals = ui.visuals().clone();
    if summary.removed {
        ui.label(warn_text(&visuals, "removed (reorg)"));
    } else if reorg.is_some() {
        ui.label(warn_text(&visuals, "reorg"));
    } else if event.kind == FrameKind::Error {
        ui.label(error_text(&visuals, kind));
    } else if event.direction == Direction::In {
        ui.label(kind);
    } else {
        ui.label(RichText::new(kind).weak());
    }
}

fn details_cell_ui(ui: &mut Ui, event: &CapturedEvent, summary: &Summary, reorg: Option<&str>) {
    let visuals = ui.visuals().clone();
    if let Some(note) = reorg {
        ui.label(warn_text(&visuals, note));
        return;
    }
    if let Some(error) = &summary.error {
        ui.label(error_text(&visuals, truncate(error, 120))).on_hover_text(error);
        return;
    }
    let mut parts: Vec<String> = Vec::new();
    if let Some(method) = &event.method {
        parts.push(method.to_string());
    }
    if let Some(kind) = &summary.kind {
        parts.push(kind.clone());
    }
    if let Some(lines) = summary.log_lines {
        parts.push(format!("{lines} log lines"));
    }
    if let Some(owner) = &summary.owner {
        parts.push(format!("owner {}", shorten(owner, 5)));
    }
    if event.direction == Direction::Meta || (parts.is_empty() && event.kind != FrameKind::Notification) {
        parts.push(truncate(&event.raw, 160));
    }
    ui.label(parts.join(" · "));
}
