//! The bar above the table: Pause/Clear, the row count, the clock, and the filter (text or
//! regex, connection, subscription, kinds, directions).

use egui::{PopupCloseBehavior, Ui};

use super::{FilterChoices, TableAction, TableState, filter_text_id};
use crate::capture::{Capture, ConnId, Direction};
use crate::protocol::FrameKind;
use crate::ui::{Clock, error_text, format_count, ticking, warn_text};

/// The filter bar and the Pause/Clear buttons above the table.
pub fn table_toolbar_ui(
    ui: &mut Ui,
    state: &mut TableState,
    capture: &Capture,
    choices: &FilterChoices,
    read_only: bool,
) -> Option<TableAction> {
    let mut action = None;
    ui.horizontal_wrapped(|ui| {
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
        if !state.filter.is_empty() {
            counts.push_str(&format!(" of {}", format_count(capture.len() as u64)));
        }
        if state.is_scanning() {
            counts.push_str(" (filtering…)");
        }
        // Each view its own count: a switch to the other shows its figure at once.
        ui.weak(ticking(ui, ("table: rows", read_only), counts));
        if state.is_paused() {
            ui.label(warn_text(ui.visuals(), "paused: capture continues"));
        }
        if !state.at_bottom
            && rows > 0
            && ui.small_button("Follow newest").on_hover_text("Scroll to and follow the newest row").clicked()
        {
            state.scroll_to_newest = true;
        }
        ui.separator();
        // One piece: the bar wraps before "Times", never between it and its toggle.
        ui.horizontal(|ui| {
            ui.label("Times");
            ui.selectable_value(&mut state.clock, Clock::Local, "local")
                .on_hover_text("Show times in this computer's time zone");
            ui.selectable_value(&mut state.clock, Clock::Utc, "UTC").on_hover_text("Show times in UTC");
        });
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
        if let Some(err) = &state.filter_error {
            // One short line here (the bar wraps, a long message would split); the table says
            // the whole of it.
            ui.label(error_text(ui.visuals(), "invalid regex")).on_hover_text(err.as_str());
        }
        ui.separator();
        changed |= filter_pickers_ui(ui, state, choices);
        if !state.filter.is_empty()
            && ui.small_button("Reset filter").on_hover_text("Show every event again (Escape)").clicked()
        {
            state.filter = crate::filter::Filter::default();
            changed = true;
        }
        if changed {
            state.apply_filter();
        }
    });
    action
}

fn filter_pickers_ui(ui: &mut Ui, state: &mut TableState, choices: &FilterChoices) -> bool {
    let mut changed = false;
    let filter = &mut state.filter;
    let conn_text = filter.connection.map_or_else(
        || "all connections".to_owned(),
        |conn| label_for(&choices.connections, conn, "connection"),
    );
    let label = label_before(ui, "Connection", 120.0);
    egui::ComboBox::from_id_salt("filter_conn")
        .selected_text(conn_text)
        .width(120.0)
        .show_ui(ui, |ui| {
            changed |= ui.selectable_value(&mut filter.connection, None, "all connections").changed();
            for (conn, label) in &choices.connections {
                changed |= ui.selectable_value(&mut filter.connection, Some(*conn), label).changed();
            }
        })
        .response
        .labelled_by(label.id);
    // Only the chosen connection's subscriptions (all when no connection is chosen).
    let offered: Vec<_> = choices
        .subscriptions
        .iter()
        .filter(|choice| filter.connection.is_none() || choice.conn == filter.connection)
        .collect();
    if changed
        && let Some(sub) = filter.subscription
        && !offered.iter().any(|choice| choice.sub == sub)
    {
        filter.subscription = None;
    }
    let sub_text = filter.subscription.map_or_else(
        || "all subscriptions".to_owned(),
        |sub| {
            choices
                .subscriptions
                .iter()
                .find(|choice| choice.sub == sub)
                .map_or_else(|| format!("subscription {sub}"), |choice| choice.label.clone())
        },
    );
    let label = label_before(ui, "Subscription", 140.0);
    egui::ComboBox::from_id_salt("filter_sub")
        .selected_text(sub_text)
        .width(140.0)
        .show_ui(ui, |ui| {
            changed |= ui.selectable_value(&mut filter.subscription, None, "all subscriptions").changed();
            for choice in offered {
                changed |=
                    ui.selectable_value(&mut filter.subscription, Some(choice.sub), &choice.label).changed();
            }
        })
        .response
        .labelled_by(label.id);
    let kind_text = match filter.kinds.as_slice() {
        [] => "all kinds".to_owned(),
        [kind] => kind.as_str().to_owned(),
        kinds => format!("{} kinds", kinds.len()),
    };
    let label = label_before(ui, "Kind", 100.0);
    egui::ComboBox::from_id_salt("filter_kind")
        .selected_text(kind_text)
        .width(100.0)
        .height(320.0) // every kind without scrolling
        // Several kinds are ticked in one visit.
        .close_behavior(PopupCloseBehavior::CloseOnClickOutside)
        .show_ui(ui, |ui| {
            if ui.selectable_label(filter.kinds.is_empty(), "all kinds").clicked() && !filter.kinds.is_empty()
            {
                filter.kinds.clear();
                changed = true;
            }
            for kind in FrameKind::ALL {
                let mut on = filter.kinds.contains(&kind);
                if ui.checkbox(&mut on, kind.as_str()).changed() {
                    filter.toggle_kind(kind);
                    changed = true;
                }
            }
        })
        .response
        .labelled_by(label.id);
    let direction_text = match filter.directions.as_slice() {
        [] => "all".to_owned(),
        directions => directions.iter().map(|direction| direction.as_str()).collect::<Vec<_>>().join(", "),
    };
    let label = label_before(ui, "Direction", 80.0);
    egui::ComboBox::from_id_salt("filter_direction")
        .selected_text(direction_text)
        .width(80.0)
        .close_behavior(PopupCloseBehavior::CloseOnClickOutside)
        .show_ui(ui, |ui| {
            for (direction, hint) in [
                (Direction::In, "Frames received"),
                (Direction::Out, "Frames sent"),
                (Direction::Meta, "Records subscope made (connects, gaps)"),
            ] {
                let mut on = filter.directions.contains(&direction);
                if ui.checkbox(&mut on, direction.as_str()).on_hover_text(hint).changed() {
                    filter.toggle_direction(direction);
                    changed = true;
                }
            }
        })
        .response
        .on_hover_text("None ticked shows every direction")
        .labelled_by(label.id);
    changed
}

/// A picker's label, on a new line when the picker (`width` wide) would not fit beside it:
/// a label is never left at the end of a line with its picker on the next.
fn label_before(ui: &mut Ui, text: &str, width: f32) -> egui::Response {
    let galley = egui::WidgetText::from(text).into_galley(
        ui,
        Some(egui::TextWrapMode::Extend),
        f32::INFINITY,
        egui::TextStyle::Body,
    );
    // The label, the picker's button with its arrow and padding, and the spacing after each.
    let needed = galley.size().x + width + ui.spacing().icon_width + 4.0 * ui.spacing().item_spacing.x;
    if ui.available_size_before_wrap().x < needed {
        ui.end_row();
    }
    ui.label(text)
}

fn label_for(choices: &[(ConnId, String)], key: ConnId, what: &str) -> String {
    choices
        .iter()
        .find(|(choice, _)| *choice == key)
        .map_or_else(|| format!("{what} {key}"), |(_, label)| label.clone())
}
