//! How the monitor takes the backend's control events: connection states, subscription
//! answers and ends, gaps; each one logged as one line and turned into its metrics.

use super::Monitor;
use crate::backend::{Backoff, ConnState, EndReason, Event, ReconnectPolicy, SubscribeOutcome};
use crate::capture::{ConnId, now_ms};
use crate::monitor::log::Level;

impl Monitor {
    pub(super) fn on_event(&mut self, event: &Event) {
        match event {
            Event::State { conn, state } => self.on_state(*conn, state),
            Event::Subscription { sub, outcome, resubscribed, .. } => {
                let Some(live) = self.subs.get(sub) else { return };
                let fields = [("endpoint", live.endpoint.as_str()), ("subscription", live.name.as_str())];
                match outcome {
                    SubscribeOutcome::Active(_) => {
                        live.active.set(1);
                        let word = if *resubscribed { "resubscribed" } else { "subscribed" };
                        self.log.event(Level::Info, word, &fields);
                    }
                    SubscribeOutcome::Retrying { error, .. } => {
                        live.active.set(0);
                        self.log.event(
                            Level::Warn,
                            "subscribe_retrying",
                            &[fields[0], fields[1], ("reason", &error.to_string())],
                        );
                    }
                    SubscribeOutcome::Failed(error) => {
                        live.active.set(0);
                        self.log.event(
                            Level::Error,
                            "subscribe_refused",
                            &[fields[0], fields[1], ("reason", &error.to_string())],
                        );
                    }
                }
            }
            Event::SubscriptionEnded { sub, reason, .. } => {
                let Some(live) = self.subs.get(sub) else {
                    // One the monitor cancelled (a reload took it out): nothing names it any more.
                    self.session.forget_subscription(*sub);
                    return;
                };
                live.active.set(0);
                if !self.stopping && !matches!(reason, EndReason::Unsubscribed(_)) {
                    let fields = [("endpoint", live.endpoint.as_str()), ("subscription", live.name.as_str())];
                    self.log.event(Level::Warn, "subscription_ended", &fields);
                }
            }
            Event::Gap { conn, lost_at_ms, restored_at_ms } => {
                let Some(live) = self.endpoint_of(*conn) else { return };
                let metrics = &self.shared.metrics;
                metrics.reconnects.get_or_create(&live.labels).inc();
                let seconds = restored_at_ms.saturating_sub(*lost_at_ms) as f64 / 1000.0;
                metrics.gap_seconds.get_or_create(&live.labels).inc_by(seconds);
                let gap = format!("{seconds:.3}");
                self.log.event(Level::Warn, "gap", &[("endpoint", &live.config.name), ("seconds", &gap)]);
            }
            Event::CommandFailed { conn, error } => {
                let name = conn.and_then(|conn| self.endpoint_of(conn)).map(|live| live.config.name.clone());
                let reason = error.to_string();
                self.log.event(
                    Level::Error,
                    "command_failed",
                    &[("endpoint", name.as_deref().unwrap_or("")), ("reason", &reason)],
                );
            }
            Event::Response { .. } => {}
        }
    }

    fn on_state(&mut self, conn: ConnId, state: &ConnState) {
        let Some(name) = self.endpoint_of(conn).map(|live| live.config.name.clone()) else { return };
        let Some(live) = self.endpoints.get_mut(&name) else { return };
        let up = self.shared.metrics.up.get_or_create_owned(&live.labels);
        match state {
            ConnState::Open => {
                up.set(1);
                live.open = true;
                live.opened = true;
                live.backoff = Backoff::new(ReconnectPolicy::default());
                self.log.event(Level::Info, "connected", &[("endpoint", &name)]);
            }
            ConnState::Connecting { .. } => {}
            ConnState::Reconnecting { reason, attempt, .. } => {
                up.set(0);
                live.open = false;
                let attempt = attempt.to_string();
                let reason = reason.to_string();
                self.log.event(
                    Level::Warn,
                    "reconnecting",
                    &[("endpoint", &name), ("attempt", &attempt), ("reason", &reason)],
                );
            }
            ConnState::Closed { .. } if self.stopping => {
                up.set(0);
                live.open = false;
                self.log.event(Level::Info, "closed", &[("endpoint", &name)]);
            }
            ConnState::Closed { reason } => {
                up.set(0);
                live.open = false;
                // Not asked for: it comes back from scratch after a wait (a node down at start).
                let (_, wait) = live.backoff.next_delay();
                live.retry_at_ms = Some(now_ms() + wait.as_millis() as u64);
                let reason = reason.as_ref().map(ToString::to_string).unwrap_or_default();
                let retry = format!("{:.1}", wait.as_secs_f64());
                self.log.event(
                    Level::Error,
                    "closed",
                    &[("endpoint", &name), ("reason", &reason), ("retry_in_seconds", &retry)],
                );
            }
        }
    }
}
