//! The rate plot: events per second per subscription over the last minutes.

use egui::Ui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::table::{connection_label, subscription_label};
use crate::capture::Capture;
use crate::export::CaptureContext;

/// How far back the plot looks, in seconds.
pub const PLOT_SECONDS: u64 = 180;

/// Draws one line per subscription (or one for all events when there are none).
pub fn rate_plot_ui(ui: &mut Ui, capture: &Capture, context: &CaptureContext, now_ms: u64) {
    let mut streams: Vec<_> = capture
        .streams()
        .filter_map(|((conn, sub), stats)| sub.map(|sub| (*conn, sub, stats)))
        .filter(|(_, _, stats)| stats.last_at_ms + PLOT_SECONDS * 1000 >= now_ms)
        .collect();
    streams.sort_by_key(|(conn, sub, _)| (*conn, *sub));
    // Show the last PLOT_SECONDS, or less while the capture is younger than that.
    let oldest = capture.get(0).map_or(now_ms, |event| event.received_at_ms);
    let seconds = (now_ms.saturating_sub(oldest) / 1000 + 5).clamp(30, PLOT_SECONDS);
    let several_connections = streams.windows(2).any(|pair| pair[0].0 != pair[1].0);
    let lines: Vec<(String, Vec<[f64; 2]>)> = if streams.is_empty() {
        vec![("all events".to_owned(), capture.rate().series(now_ms, seconds))]
    } else {
        streams
            .iter()
            .map(|(conn, sub, stats)| {
                let mut name = subscription_label(context, *sub);
                if several_connections {
                    name.push_str(&format!(" on {}", connection_label(context, *conn)));
                }
                (name, stats.rate.series(now_ms, seconds))
            })
            .collect()
    };
    ui.strong("Events per second");
    Plot::new("rate_plot")
        .legend(Legend::default())
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .include_y(0.0)
        .include_y(1.0)
        .include_x(-(seconds as f64))
        .include_x(0.0)
        .x_axis_label("seconds ago")
        .show(ui, |plot_ui| {
            for (name, points) in lines {
                plot_ui.line(Line::new(name, PlotPoints::from(points)));
            }
        });
}
