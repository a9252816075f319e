//! The rate plot: events per second per subscription over the last minutes, of what the
//! table's filter shows.
//!
//! A filter by connection or subscription (or none) is plotted from the capture's per-stream
//! counts, which cost nothing per frame. A filter by kind, direction or text is plotted from
//! the filtered rows themselves, counted again at most once a second. Each subscription keeps
//! its colour (derived from its key) and its place in the legend while idle.
//!
//! The legend is the plot's own, not egui_plot's: ten subscriptions' names would cover a
//! small plot and run past it. It sits in the plot's top-left corner (the oldest seconds; the
//! newest are on the right), takes at most a third of the plot and scrolls past that, and a
//! click on a name hides or shows its line.

use std::collections::{BTreeMap, BTreeSet};

use egui::accesskit::Role;
use egui::{Color32, Rect, Ui, WidgetInfo};
use egui_plot::{Line, Plot, PlotPoints};

use super::table::{TableState, connection_label, subscription_label};
use crate::capture::{Capture, ConnId, RateWindow, SubKey};
use crate::export::CaptureContext;
use crate::filter::Filter;

/// How far back the plot looks, in seconds.
pub const PLOT_SECONDS: u64 = 180;

/// Per-second counts of the filtered rows, by (connection, subscription), and what they were
/// counted for.
#[derive(Debug, Default)]
pub struct RateCache {
    /// The table's filter generation, the second, and (while the filter scans) the rows.
    counted_for: Option<(u64, u64, usize)>,
    rates: BTreeMap<(ConnId, Option<SubKey>), RateWindow>,
}

/// A stable colour for a subscription: the same key always gets the same hue, whatever
/// other subscriptions come and go, and neighbouring keys get far-apart hues.
pub fn series_color(sub: SubKey) -> Color32 {
    // The golden ratio spreads consecutive keys around the colour wheel.
    let hue = (sub as f64 * 0.618_033_988_749_895).fract() as f32;
    egui::ecolor::Hsva::new(hue, 0.75, 0.9, 1.0).into()
}

/// One line of the plot.
struct Series {
    name: String,
    color: Color32,
    points: Vec<[f64; 2]>,
}

/// Draws one line per subscription the filter lets through (or one for all the events shown
/// when none).
pub fn rate_plot_ui(
    ui: &mut Ui,
    table: &mut TableState,
    capture: &Capture,
    context: &CaptureContext,
    now_ms: u64,
) {
    // Show the last PLOT_SECONDS, or less while the capture is younger than that.
    let oldest = capture.get(0).map_or(now_ms, |event| event.received_at_ms);
    let seconds = (now_ms.saturating_sub(oldest) / 1000 + 5).clamp(30, PLOT_SECONDS);
    ui.strong("Events per second");
    let lines = match table.filter_in_force().cloned() {
        None => {
            ui.weak("The filter is not valid: nothing to plot.");
            return;
        }
        Some(filter) if needs_rows(&filter) => {
            let rates = filtered_rates(table, capture, now_ms, seconds);
            series(
                rates.iter().map(|(key, rate)| (*key, rate)),
                context,
                now_ms,
                seconds,
                "other events shown",
            )
        }
        Some(filter) => {
            let streams = capture.streams().filter(|((conn, sub), _)| {
                filter.connection.is_none_or(|only| only == *conn)
                    && filter.subscription.is_none_or(|only| Some(only) == *sub)
            });
            let mut streams: Vec<_> = streams.map(|(key, stats)| (*key, &stats.rate)).collect();
            streams.sort_by_key(|(key, _)| *key);
            // Unfiltered with no subscription at all: one line of everything.
            if filter.is_empty() && !streams.iter().any(|((_, sub), _)| sub.is_some()) {
                vec![Series {
                    name: "all events".to_owned(),
                    color: ui.visuals().text_color(),
                    points: capture.rate().series(now_ms, seconds),
                }]
            } else {
                series(streams.into_iter(), context, now_ms, seconds, "other events")
            }
        }
    };
    let hidden_id = ui.scope_id().with("rate_plot_hidden");
    let mut hidden: BTreeSet<String> = ui.data_mut(|data| data.get_temp(hidden_id)).unwrap_or_default();
    let plot = Plot::new("rate_plot")
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .include_y(0.0)
        .include_y(1.0)
        .include_x(-(seconds as f64))
        .include_x(0.0)
        // A short plot keeps its height for the lines (the ticks say the seconds).
        .x_axis_label(if ui.available_height() < 160.0 { "" } else { "seconds ago" })
        .show(ui, |plot_ui| {
            for line in lines.iter().filter(|line| !hidden.contains(&line.name)) {
                let points = PlotPoints::from(line.points.clone());
                plot_ui.line(Line::new(line.name.as_str(), points).color(line.color));
            }
        });
    plot.response.widget_info(|| WidgetInfo::labeled(Role::Figure, true, "Events per second plot"));
    if lines.len() > 1 {
        legend_ui(ui, plot.response.rect, &lines, &mut hidden);
    }
    ui.data_mut(|data| data.insert_temp(hidden_id, hidden));
}

/// The legend in the plot's top-left corner: at most half its width and two thirds of its
/// height (a third of its area), scrolled past that; a click on a name hides its line.
fn legend_ui(ui: &mut Ui, plot: Rect, lines: &[Series], hidden: &mut BTreeSet<String>) {
    let margin = 4.0;
    let most = egui::vec2(plot.width() * 0.5, plot.height() * (2.0 / 3.0)) - egui::vec2(margin, margin);
    if most.x < 40.0 || most.y < 12.0 {
        return; // No room for even one name: the lines keep the plot.
    }
    let room = Rect::from_min_size(plot.min + egui::vec2(margin, margin), most);
    let mut child =
        ui.new_child(egui::UiBuilder::new().max_rect(room).layout(egui::Layout::top_down(egui::Align::LEFT)));
    child.set_clip_rect(room.intersect(ui.clip_rect()));
    let visuals = child.visuals().clone();
    let frame = egui::Frame::new()
        .fill(visuals.extreme_bg_color.gamma_multiply(0.85))
        .stroke(visuals.window_stroke())
        .corner_radius(3.0)
        .inner_margin(egui::Margin::symmetric(4, 2));
    let shown = frame.show(&mut child, |ui| {
        ui.spacing_mut().item_spacing.y = 0.0;
        ui.spacing_mut().button_padding.y = 0.0;
        egui::ScrollArea::vertical()
            .id_salt("rate_legend")
            .max_height(most.y - 6.0)
            .min_scrolled_height(0.0)
            .max_width(most.x - 10.0)
            .auto_shrink([true, true])
            .show(ui, |ui| {
                for line in lines {
                    let on = !hidden.contains(&line.name);
                    ui.horizontal(|ui| {
                        ui.spacing_mut().item_spacing.x = 4.0;
                        let (dot, _) = ui.allocate_exact_size(egui::vec2(8.0, 8.0), egui::Sense::hover());
                        let dot_color = if on { line.color } else { visuals.weak_text_color() };
                        ui.painter().circle_filled(dot.center(), 3.5, dot_color);
                        let text = egui::RichText::new(&line.name).small();
                        let text = if on { text } else { text.weak().strikethrough() };
                        let verb = if on { "hide" } else { "show" };
                        let response = ui
                            .add(egui::Button::new(text).frame(false).truncate())
                            .on_hover_text(format!("{}: click to {verb} its line", line.name));
                        // A toggle, named for its line (as egui_plot's legend is).
                        response.widget_info(|| WidgetInfo::selected(Role::CheckBox, true, on, &line.name));
                        if response.clicked() && !hidden.remove(&line.name) {
                            hidden.insert(line.name.clone());
                        }
                    });
                }
            });
    });
    shown.response.widget_info(|| WidgetInfo::labeled(Role::Legend, true, "Legend"));
}

/// Whether the filter looks inside events (kind, direction, text), so the per-stream counts
/// cannot answer and the rows must be counted.
fn needs_rows(filter: &Filter) -> bool {
    !filter.kinds.is_empty() || !filter.directions.is_empty() || !filter.text.is_empty()
}

/// One line per subscription (idle ones too, at 0), then one for the events of no
/// subscription, when there are such events but no subscription at all.
fn series<'a>(
    streams: impl Iterator<Item = ((ConnId, Option<SubKey>), &'a RateWindow)>,
    context: &CaptureContext,
    now_ms: u64,
    seconds: u64,
    other_name: &str,
) -> Vec<Series> {
    let streams: Vec<_> = streams.collect();
    let several_connections = streams.windows(2).any(|pair| (pair[0].0).0 != (pair[1].0).0);
    let mut lines: Vec<Series> = streams
        .iter()
        .filter_map(|((conn, sub), rate)| {
            let sub = (*sub)?;
            let mut name = subscription_label(context, sub);
            if several_connections {
                name.push_str(&format!(" on {}", connection_label(context, *conn)));
            }
            Some(Series { name, color: series_color(sub), points: rate.series(now_ms, seconds) })
        })
        .collect();
    let mut other: Option<Vec<[f64; 2]>> = None;
    for (_, rate) in streams.iter().filter(|((_, sub), _)| sub.is_none()) {
        let points = rate.series(now_ms, seconds);
        match &mut other {
            Some(sum) => sum.iter_mut().zip(points).for_each(|(total, point)| total[1] += point[1]),
            None => other = Some(points),
        }
    }
    if let Some(points) = other
        && (lines.is_empty() || points.iter().any(|point| point[1] > 0.0))
    {
        lines.push(Series { name: other_name.to_owned(), color: Color32::GRAY, points });
    }
    lines
}

/// Counts the rows the table shows over the plotted seconds, per stream; again only when the
/// filter, the second or the rows changed. Subscriptions with no row shown keep a line at 0.
fn filtered_rates<'a>(
    table: &'a mut TableState,
    capture: &Capture,
    now_ms: u64,
    seconds: u64,
) -> &'a BTreeMap<(ConnId, Option<SubKey>), RateWindow> {
    let rows = table.row_count(capture);
    // Only whole seconds are plotted: new rows of the current second can wait for the next
    // one. A scan still under way changes the rows of past seconds, though.
    let key = (table.generation(), now_ms / 1000, if table.is_scanning() { rows } else { 0 });
    if table.rates.counted_for == Some(key) {
        return &table.rates.rates;
    }
    let since_ms = now_ms.saturating_sub((seconds + 1) * 1000);
    let mut rates: BTreeMap<(ConnId, Option<SubKey>), RateWindow> = BTreeMap::new();
    if let Some(filter) = table.filter_in_force() {
        for ((conn, sub), _) in capture.streams() {
            let passes = filter.connection.is_none_or(|only| only == *conn)
                && filter.subscription.is_none_or(|only| Some(only) == *sub);
            if passes && sub.is_some() {
                rates.entry((*conn, *sub)).or_default();
            }
        }
    }
    // Rows are in arrival order: walk back from the newest until the window is passed.
    for row in (0..rows).rev() {
        let Some(event) = table.event_at(capture, row) else { break };
        if event.received_at_ms < since_ms {
            break;
        }
        rates.entry((event.connection, event.subscription)).or_default().record(event.received_at_ms);
    }
    table.rates = RateCache { counted_for: Some(key), rates };
    &table.rates.rates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscription_keeps_its_colour_whatever_else_exists() {
        let before: Vec<Color32> = (1..=4).map(series_color).collect();
        // Subscriptions 1 and 3 end, 9 starts: 2 and 4 keep theirs.
        assert_eq!(series_color(2), before[1]);
        assert_eq!(series_color(4), before[3]);
        // Neighbouring keys are told apart.
        for pair in before.windows(2) {
            assert_ne!(pair[0], pair[1]);
        }
        let distinct: std::collections::HashSet<Color32> = (1..=12).map(series_color).collect();
        assert_eq!(distinct.len(), 12);
    }
}
