//! The list of subscriptions: state, count, rate, recovery of missed events, and Unsubscribe.

use egui::{RichText, Ui};

use super::{error_text, format_count, ok_color, ticking, warn_text};
use crate::capture::{Capture, SubKey};
use crate::session::{Backfill, CaptureView, SubState, Subscription};

/// What the user asked the subscription list for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriptionAction {
    /// Unsubscribe.
    Unsubscribe(SubKey),
    /// Remove an ended subscription from the list.
    Remove(SubKey),
    /// Filter the table to it.
    Show(SubKey),
    /// Load its form into the composer.
    Edit(SubKey),
    /// Turn the recovery of what it misses during a reconnect on or off.
    Backfill(SubKey, bool),
}

/// Draws the list; counts and rates come from the capture's cumulative stream stats, and
/// duplicates, block gaps and stalls from the live comparison.
pub fn subscriptions_ui(
    ui: &mut Ui,
    rows: &[Subscription],
    view: &CaptureView,
    now_ms: u64,
) -> Option<SubscriptionAction> {
    if rows.is_empty() {
        ui.weak("No subscriptions yet.");
        return None;
    }
    let mut action = None;
    for row in rows {
        ui.push_id(row.sub, |ui| {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                if let Some(row_action) = row_ui(ui, row, view, now_ms) {
                    action = Some(row_action);
                }
            });
        });
    }
    action
}

fn row_ui(ui: &mut Ui, row: &Subscription, view: &CaptureView, now_ms: u64) -> Option<SubscriptionAction> {
    let (capture, compare) = (&view.capture, &view.compare);
    // The server gave it the id of an older subscription on its connection: the notifications
    // are captured under that one, and are this one's too.
    let holder =
        view.context.shared_ids.iter().find(|(_, sharers)| sharers.contains(&row.sub)).map(|(h, _)| *h);
    let mut action = None;
    let visuals = ui.visuals().clone();
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("#{} {}", row.sub, row.title)).strong());
        ui.weak(format!("on {}", row.conn_label));
    });
    ui.horizontal_wrapped(|ui| {
        let state = match &row.state {
            SubState::Pending => warn_text(&visuals, "pending"),
            SubState::Active(id) => RichText::new(format!("active (id {id})")).color(ok_color(&visuals)),
            SubState::Failed(err) => error_text(&visuals, format!("failed: {err}")),
            SubState::Retrying { error, retry_at_ms } => {
                let secs = retry_at_ms.saturating_sub(now_ms).div_ceil(1000);
                ui.ctx().request_repaint_after(std::time::Duration::from_millis(250));
                warn_text(&visuals, format!("refused ({error}); retrying in {secs} s"))
            }
            SubState::Unsubscribing => warn_text(&visuals, "unsubscribing…"),
            SubState::Ended(reason) => RichText::new(format!("ended: {reason}")).weak(),
        };
        ui.label(state);
        if row.resubscribed > 0 {
            ui.weak(format!("re-subscribed {}×", row.resubscribed));
        }
        let stats = capture.stream_stats(row.conn, Some(holder.unwrap_or(row.sub)));
        let count = stats.map_or(0, |stats| stats.count);
        let rate = stats.map_or(0.0, |stats| stats.rate.per_second(now_ms, 5));
        ui.label(ticking(
            ui,
            ("subscription: events", row.sub),
            format!("{} events · {rate:.1}/s", format_count(count)),
        ));
        if let Some(holder) = holder {
            ui.weak(format!("same stream as #{holder} (one id from the server): its rows show as #{holder}"));
        }
        if let Some(stats) = compare.stats_of(row.sub) {
            let mut problems = Vec::new();
            if stats.duplicates > 0 {
                problems.push(counted(stats.duplicates, "duplicate", "duplicates"));
            }
            if stats.gaps > 0 {
                problems.push(format!(
                    "{} ({} skipped)",
                    counted(stats.gaps, "gap", "gaps"),
                    counted(stats.gap_blocks, "block", "blocks")
                ));
            }
            if stats.stalls > 0 {
                problems.push(format!(
                    "{} (longest {:.1} s)",
                    counted(stats.stalls, "stall", "stalls"),
                    stats.longest_stall_ms as f64 / 1000.0
                ));
            }
            if !problems.is_empty() {
                ui.label(warn_text(&visuals, problems.join(" · ")));
            }
        }
    });
    if let Some(backfill_action) = backfill_ui(ui, row, capture) {
        action = Some(backfill_action);
    }
    ui.horizontal(|ui| {
        if row.state.is_live() {
            let enabled = row.state != SubState::Unsubscribing;
            if ui
                .add_enabled(enabled, egui::Button::new("Unsubscribe").small())
                .on_hover_text(format!("Unsubscribe #{}", row.sub))
                .clicked()
            {
                action = Some(SubscriptionAction::Unsubscribe(row.sub));
            }
        } else if ui.small_button("Remove").on_hover_text("Remove from this list").clicked() {
            action = Some(SubscriptionAction::Remove(row.sub));
        }
        if ui.small_button("Show").on_hover_text("Filter the table to this subscription").clicked() {
            action = Some(SubscriptionAction::Show(row.sub));
        }
        if row.draft.is_some()
            && ui.small_button("Edit").on_hover_text("Load its form into the composer").clicked()
        {
            action = Some(SubscriptionAction::Edit(row.sub));
        }
    });
    action
}

/// A count and its noun as read: `1 stall`, `2 stalls`, `1,024 blocks`.
fn counted(count: u64, one: &str, many: &str) -> String {
    format!("{} {}", format_count(count), if count == 1 { one } else { many })
}

/// The "Recover missed events" checkbox with how many were recovered so far, or, for a kind
/// that cannot be recovered, why.
fn backfill_ui(ui: &mut Ui, row: &Subscription, capture: &Capture) -> Option<SubscriptionAction> {
    let mut on = match row.backfill {
        Backfill::On => true,
        Backfill::Off => false,
        Backfill::Impossible(reason) => {
            let text = RichText::new(format!("Missed events cannot be recovered: {reason}.")).weak();
            ui.add(egui::Label::new(text).wrap());
            return None;
        }
    };
    let mut action = None;
    ui.horizontal_wrapped(|ui| {
        if ui
            .checkbox(&mut on, "Recover missed events")
            .on_hover_text(
                "After a reconnect, ask the endpoint's HTTP JSON-RPC for what this subscription \
                 missed while the connection was down",
            )
            .changed()
        {
            action = Some(SubscriptionAction::Backfill(row.sub, on));
        }
        let recovered = capture.stream_stats(row.conn, Some(row.sub)).map_or(0, |stats| stats.recovered);
        ui.weak(format!("{} recovered", format_count(recovered)));
    });
    action
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn one_of_a_problem_is_singular() {
        assert_eq!(counted(1, "stall", "stalls"), "1 stall");
        assert_eq!(counted(2, "stall", "stalls"), "2 stalls");
        assert_eq!(counted(1_024, "block", "blocks"), "1,024 blocks");
    }
}
