//! The inspector under the table ([`Inspector`]): the selected row's detail, or the
//! comparison of endpoints (its data from the shown capture view), beside the rate plot.

use std::time::{Duration, Instant};

use egui::{CentralPanel, Panel, Ui};

use crate::capture::{SubKey, now_ms};
use crate::compare::{Deliveries, deliveries};
use crate::session::CaptureView;
use crate::ui::compare::{CompareState, CompareView, compare_ui};
use crate::ui::detail::detail_bar_ui;
use crate::ui::table::{TableState, connection_label};
use crate::ui::{DetailState, detail_ui, rate_plot_ui};

/// The inspector under the table: its tabs' states, and the selected row's deliveries.
#[derive(Default)]
pub(super) struct Inspector {
    /// Which tab it shows.
    tab: InspectorTab,
    /// The Detail tab: the selected row's JSON (and decoded view).
    pub detail: DetailState,
    /// The Compare tab.
    compare: CompareState,
    /// When each endpoint delivered the selected row's item, kept between frames.
    deliveries: Option<DeliveriesCache>,
}

/// The inspector's tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum InspectorTab {
    /// The selected row's JSON.
    #[default]
    Detail,
    /// Endpoints compared.
    Compare,
}

/// When each endpoint delivered the selected row's item, worked out again at most this often
/// while the selection stays (a live capture may still bring it from a slower endpoint).
const DELIVERIES_REFRESH: Duration = Duration::from_millis(500);

/// The last answer for the selected row.
struct DeliveriesCache {
    seq: u64,
    at: Instant,
    found: Option<Deliveries>,
}

/// The central area's narrowest width with the rate plot beside the inspector's tabs (below
/// it, the tabs take the whole width: an 800-pixel window with the side panel open).
const PLOT_MIN_WIDTH: f32 = 560.0;

/// The same for the Compare tab, whose table is wider (and which has a plot of its own).
const PLOT_MIN_WIDTH_COMPARE: f32 = 1100.0;

/// How far back the lag plot looks, in seconds.
const LAG_PLOT_SECONDS: f64 = 300.0;

impl Inspector {
    /// Draws the rate plot on the right (when there is room), and the tab bar and the chosen
    /// tab for `view`, the shown capture (live or not) whose rows `table` shows; `width` is
    /// the central area's.
    pub(super) fn ui(
        &mut self,
        ui: &mut Ui,
        view: &CaptureView,
        table: &mut TableState,
        live: bool,
        width: f32,
    ) {
        let narrowest = match self.tab {
            InspectorTab::Detail => PLOT_MIN_WIDTH,
            InspectorTab::Compare => PLOT_MIN_WIDTH_COMPARE,
        };
        if width < narrowest {
            // Too narrow for both: the selected row's detail comes first.
            self.tabs_ui(ui, view, table, live);
            return;
        }
        let plot = Panel::right("plot")
            .resizable(true)
            .default_size((width * 0.4).clamp(160.0, 420.0))
            .size_range(140.0..=(width * 0.5).max(140.0));
        plot.show(ui, |ui| {
            // A file's rates are plotted up to its newest event, live ones up to now.
            let plot_now = if live {
                now_ms()
            } else {
                view.capture.iter().next_back().map_or(0, |event| event.received_at_ms + 1000)
            };
            rate_plot_ui(ui, table, &view.capture, &view.context, plot_now);
        });
        CentralPanel::default().show(ui, |ui| self.tabs_ui(ui, view, table, live));
    }

    fn tabs_ui(&mut self, ui: &mut Ui, view: &CaptureView, table: &TableState, live: bool) {
        let selected = table.selected.and_then(|seq| view.capture.by_seq(seq));
        // One bar: the tabs, and the Detail tab's views and copy buttons (a short inspector
        // keeps its lines for the frame).
        ui.horizontal_wrapped(|ui| {
            ui.selectable_value(&mut self.tab, InspectorTab::Detail, "Detail");
            ui.selectable_value(&mut self.tab, InspectorTab::Compare, "Compare")
                .on_hover_text("The same subscription on several endpoints: first, missed, lag");
            if self.tab == InspectorTab::Detail {
                detail_bar_ui(ui, &mut self.detail, selected);
            }
        });
        ui.separator();
        match self.tab {
            InspectorTab::Detail => {
                detail_ui(ui, &mut self.detail, selected, &view.context);
            }
            InspectorTab::Compare => {
                let found = self.selected_deliveries(view, table.selected, live);
                let now = if live {
                    now_ms()
                } else {
                    view.capture.iter().next_back().map_or(0, |event| event.received_at_ms)
                };
                let report = view.compare.report();
                let plotted = report.groups.get(self.compare.plotted);
                let lag_lines = plotted.map_or_else(Vec::new, |group| {
                    group
                        .endpoints
                        .iter()
                        .map(|endpoint| {
                            (
                                connection_label(&view.context, endpoint.conn),
                                lag_points(view, endpoint.sub, now),
                            )
                        })
                        .collect()
                });
                let label_of = |conn| connection_label(&view.context, conn);
                let compare_view = CompareView {
                    report: &report,
                    label_of: &label_of,
                    lag_lines,
                    selected: found.as_ref(),
                    clock: table.clock,
                };
                compare_ui(ui, &mut self.compare, &compare_view);
            }
        }
    }

    /// When each endpoint of the selected row's group delivered its item (cached).
    fn selected_deliveries(
        &mut self,
        view: &CaptureView,
        selected: Option<u64>,
        live: bool,
    ) -> Option<Deliveries> {
        let seq = selected?;
        if let Some(cache) = &self.deliveries
            && cache.seq == seq
            && (!live || cache.at.elapsed() < DELIVERIES_REFRESH)
        {
            return cache.found.clone();
        }
        let sub = view.capture.by_seq(seq).and_then(|event| event.subscription);
        let members = sub.map(|sub| view.compare.group_of(sub)).unwrap_or_default();
        let found = (members.len() > 1)
            .then(|| {
                deliveries(&view.capture, seq, &members, crate::compare::CompareConfig::default().grace_ms)
            })
            .flatten();
        self.deliveries = Some(DeliveriesCache { seq, at: Instant::now(), found: found.clone() });
        found
    }
}

/// A member's lags as (seconds before `now`, ms) points over the plot's window.
fn lag_points(view: &CaptureView, sub: SubKey, now: u64) -> Vec<[f64; 2]> {
    view.compare.lag_series(sub).map_or_else(Vec::new, |series| {
        series
            .iter()
            .map(|&(at, lag)| [-(now.saturating_sub(at) as f64) / 1000.0, lag as f64])
            .filter(|point| point[0] >= -LAG_PLOT_SECONDS)
            .collect()
    })
}
