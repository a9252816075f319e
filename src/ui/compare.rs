//! The Compare tab: one table per subscription sent on several endpoints (received, first,
//! missed, late, duplicates, lag percentiles), the lag of each endpoint over time, and when
//! each endpoint delivered the selected row's item.

use egui::{RichText, Ui};
use egui_plot::{Corner, Legend, Line, Plot, PlotPoints};

use super::{Clock, format_count, warn_text};
use crate::compare::{Deliveries, Report};

/// What the Compare tab shows, as plain data.
pub struct CompareView<'a> {
    /// The counts of every group.
    pub report: &'a Report,
    /// A name per endpoint, by connection (the endpoint's label).
    pub label_of: &'a dyn Fn(crate::capture::ConnId) -> String,
    /// Per member of the group shown in the plot: its name and (seconds before now, lag ms)
    /// points.
    pub lag_lines: Vec<(String, Vec<[f64; 2]>)>,
    /// When each endpoint delivered the selected row's item, if it has one.
    pub selected: Option<&'a Deliveries>,
    /// The clock times are shown on (the table's).
    pub clock: Clock,
}

/// State the tab keeps between frames.
#[derive(Debug, Default)]
pub struct CompareState {
    /// The group whose lags are plotted (an index into the report's groups).
    pub plotted: usize,
}

/// Draws the tab.
pub fn compare_ui(ui: &mut Ui, state: &mut CompareState, view: &CompareView<'_>) {
    let compared: Vec<usize> = (0..view.report.groups.len())
        .filter(|index| view.report.groups[*index].endpoints.len() > 1)
        .collect();
    if compared.is_empty() {
        ui.weak(
            "Nothing to compare yet. Send one subscription on several endpoints (the composer's \
             \"Also on\"), and this tab shows which delivers first, which misses items, and by how much \
             each lags.",
        );
        return;
    }
    if !compared.contains(&state.plotted) {
        state.plotted = compared[0];
    }
    egui::ScrollArea::both().id_salt("compare_scroll").auto_shrink([false, false]).show(ui, |ui| {
        if let Some(selected) = view.selected {
            selected_item_ui(ui, view, selected);
            ui.separator();
        }
        for index in &compared {
            group_ui(ui, state, view, *index);
            ui.add_space(6.0);
        }
        lag_plot_ui(ui, view);
    });
}

fn group_ui(ui: &mut Ui, state: &mut CompareState, view: &CompareView<'_>, index: usize) {
    let group = &view.report.groups[index];
    let title = match &group.params {
        Some(params) => format!("{} {params}", group.method),
        None => group.method.clone(),
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(title).strong().monospace());
        if ui.radio(state.plotted == index, "plot lags").clicked() {
            state.plotted = index;
        }
    });
    // Counts first, then gaps and stalls, then the lags in one column: the problems stay on
    // screen in a narrow window (the grid scrolls sideways past that).
    egui::Grid::new(("compare_grid", index)).striped(true).num_columns(9).show(ui, |ui| {
        for heading in ["Endpoint", "received", "first", "missed", "late", "dup", "gaps", "stalls"] {
            ui.strong(heading);
        }
        ui.strong("lag p50 / p90 / p99 / max").on_hover_text("Behind the fastest endpoint, in ms");
        ui.end_row();
        for endpoint in &group.endpoints {
            let name = (view.label_of)(endpoint.conn);
            ui.add(egui::Label::new(super::truncate(&name, 24))).on_hover_text(&endpoint.endpoint);
            let stats = endpoint.stats;
            ui.monospace(format_count(stats.received));
            ui.monospace(format_count(stats.first));
            // The problems in the warning colour, with what they were on hover.
            for (count, problem, what) in [
                (stats.missed, true, String::new()),
                (stats.late, false, String::new()),
                (stats.duplicates, false, String::new()),
                (
                    stats.gaps,
                    true,
                    format!("{} skipped", crate::human::plural(stats.gap_blocks, "block", "blocks")),
                ),
                (stats.stalls, true, format!("longest {:.1} s", stats.longest_stall_ms as f64 / 1000.0)),
            ] {
                if count > 0 && problem {
                    let response = ui.label(warn_text(ui.visuals(), format_count(count)));
                    if !what.is_empty() {
                        response.on_hover_text(what);
                    }
                } else {
                    ui.monospace(format_count(count));
                }
            }
            match endpoint.lag {
                Some(lag) => {
                    ui.monospace(format!("{} / {} / {} / {} ms", lag.p50, lag.p90, lag.p99, lag.max));
                }
                None => {
                    ui.weak("–");
                }
            }
            ui.end_row();
        }
    });
    for note in group.notes() {
        ui.label(warn_text(ui.visuals(), note));
    }
}

fn selected_item_ui(ui: &mut Ui, view: &CompareView<'_>, selected: &Deliveries) {
    ui.strong(format!("Selected item: {}", selected.key));
    let first = selected.members.iter().filter_map(|(_, _, at)| *at).min();
    ui.horizontal_wrapped(|ui| {
        for (_, conn, at) in &selected.members {
            let name = (view.label_of)(*conn);
            match (at, first) {
                (Some(at), Some(first)) if *at == first => {
                    ui.label(format!("{name}: {} (first)", view.clock.time_of_day(*at)));
                }
                (Some(at), Some(first)) => {
                    ui.label(format!("{name}: +{} ms", at - first));
                }
                _ => {
                    ui.label(warn_text(ui.visuals(), format!("{name}: not delivered")));
                }
            }
            ui.separator();
        }
    });
}

fn lag_plot_ui(ui: &mut Ui, view: &CompareView<'_>) {
    ui.strong("Lag behind the fastest endpoint (ms)");
    Plot::new("lag_plot")
        // Over the oldest seconds: the newest lags, on the right, stay in view.
        .legend(Legend::default().position(Corner::LeftTop))
        .height(160.0)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .include_y(0.0)
        .include_x(0.0)
        .x_axis_label("seconds ago")
        .show(ui, |plot_ui| {
            for (name, points) in &view.lag_lines {
                plot_ui.line(Line::new(name.as_str(), PlotPoints::from(points.clone())));
            }
        });
}
