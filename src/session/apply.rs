//! What the backend reports, applied to the model: the one place every front end's
//! connections, subscriptions and notices change on an [`Event`].

use super::{Ending, GapSpan, Notice, Session, SubFailure, SubState};
use crate::backend::{ConnState, EndReason, Event, SubscribeOutcome};
use crate::capture::{ConnId, SubKey};
use crate::catalog;

impl Session {
    /// Applies one event from the backend to the model.
    pub(super) fn apply(&mut self, event: Event) {
        match event {
            Event::State { conn, state } => {
                let opened = state == ConnState::Open;
                self.apply_state(conn, state);
                if opened {
                    self.ask_identity(conn);
                }
            }
            Event::Subscription { conn, sub, outcome, resubscribed } => {
                if let SubscribeOutcome::Active(id) = &outcome {
                    let holder = self.id_holder(conn, sub, id);
                    self.live.context.share_id(sub, holder);
                }
                let Some(row) = self.subscriptions.iter_mut().find(|row| row.sub == sub) else { return };
                if resubscribed {
                    row.resubscribed += 1;
                }
                row.state = match outcome {
                    SubscribeOutcome::Active(id) => {
                        let mut chain = None;
                        if let Some(info) = self.live.context.subscriptions.get_mut(&sub) {
                            info.server_id = Some(id.clone());
                            let first = info.params.as_ref().and_then(|params| params.get(0));
                            chain = catalog::find_by_rpc_method(&info.method, first.and_then(|p| p.as_str()))
                                .and_then(|spec| spec.chain);
                        }
                        // A custom URL's chain is what its first accepted subscription says.
                        if let Some(endpoint) = self.endpoints.iter_mut().find(|endpoint| {
                            endpoint.id == row.endpoint
                                && endpoint.chain.is_none()
                                && endpoint.preset.is_empty()
                        }) && catalog::demo_query(&endpoint.url).is_none()
                        {
                            endpoint.chain = chain;
                        }
                        SubState::Active(id)
                    }
                    SubscribeOutcome::Failed(err) => {
                        // A refused form is not restored; it stays in the composer to fix.
                        row.restore = false;
                        SubState::Failed(SubFailure::Refused(err))
                    }
                    SubscribeOutcome::Retrying { error, retry_in } => {
                        let retry_in_ms = u64::try_from(retry_in.as_millis()).unwrap_or(u64::MAX);
                        let retry_at_ms = crate::capture::now_ms().saturating_add(retry_in_ms);
                        SubState::Retrying { error, retry_at_ms }
                    }
                };
            }
            Event::SubscriptionEnded { conn: _, sub, reason } => {
                self.live.forget(sub);
                self.live.context.unshare_id(sub);
                let Some(row) = self.subscriptions.iter_mut().find(|row| row.sub == sub) else { return };
                let endpoint_wanted = self
                    .endpoints
                    .iter()
                    .any(|endpoint| endpoint.id == row.endpoint && endpoint.keep_connected);
                row.restore &= endpoint_wanted && reason == EndReason::ConnectionClosed;
                row.state = match reason {
                    EndReason::Unsubscribed(Ok(was_active)) => {
                        SubState::Ended(Ending::Unsubscribed { was_active })
                    }
                    EndReason::Unsubscribed(Err(err)) => {
                        SubState::Failed(SubFailure::UnsubscribeRefused(err))
                    }
                    EndReason::Completed => SubState::Ended(Ending::Completed),
                    EndReason::ConnectionClosed => SubState::Ended(Ending::ConnectionClosed),
                };
            }
            Event::Response { conn: _, request, result } => {
                if !self.learn_identity(request, &result) {
                    self.notices.push(Notice::Response { request, result });
                }
            }
            Event::Gap { conn, lost_at_ms, restored_at_ms } => {
                // The node may be a new chain now (a restarted dev node): heights start over.
                let subs: Vec<SubKey> =
                    self.subscriptions.iter().filter(|row| row.conn == conn).map(|row| row.sub).collect();
                self.live.restart_tracking(subs);
                if let Some(endpoint) = self.endpoints.iter_mut().find(|endpoint| endpoint.conn == Some(conn))
                {
                    endpoint.gap = Some(GapSpan { lost_at_ms, restored_at_ms });
                }
            }
            Event::CommandFailed { conn, error } => {
                match conn
                    .and_then(|conn| self.endpoints.iter_mut().find(|endpoint| endpoint.conn == Some(conn)))
                {
                    Some(endpoint) => endpoint.error = Some(error.into()),
                    None => self.notices.push(Notice::Error(error.into())),
                }
            }
        }
    }

    /// The subscription on `conn` whose notifications the backend captures for server id `id`,
    /// when another holds it: the first confirmed with `id` since the connection (re)opened
    /// (the backend routes to it), which is the one confirmed with `id` that shares no other's.
    fn id_holder(&self, conn: ConnId, sub: SubKey, id: &crate::protocol::SubId) -> Option<SubKey> {
        let sharing = &self.live.context.shared_ids;
        self.subscriptions
            .iter()
            .filter(|row| row.conn == conn && row.sub != sub)
            .filter(|row| matches!(&row.state, SubState::Active(other) if other == id))
            .map(|row| row.sub)
            .find(|other| !sharing.values().any(|sharers| sharers.contains(other)))
    }

    fn apply_state(&mut self, conn: ConnId, state: ConnState) {
        let Some(endpoint) = self.endpoints.iter_mut().find(|endpoint| endpoint.conn == Some(conn)) else {
            return;
        };
        if state == ConnState::Open {
            endpoint.error = None;
        }
        match state {
            ConnState::Closed { .. } => {
                // Closed by a failure while the user wants it connected: its subscriptions
                // stay set up (saved, and sent again when it connects).
                let wanted = endpoint.keep_connected;
                for row in self.subscriptions.iter_mut().filter(|row| row.conn == conn && row.state.is_live())
                {
                    row.state = SubState::Ended(Ending::ConnectionClosed);
                    row.restore &= wanted;
                }
            }
            ConnState::Reconnecting { .. } => {
                // The backend re-subscribes after the reconnect; until then nothing arrives.
                for row in self.subscriptions.iter_mut().filter(|row| row.conn == conn) {
                    if let SubState::Active(_) = row.state {
                        row.state = SubState::Pending;
                    }
                }
            }
            ConnState::Connecting { .. } | ConnState::Open => {}
        }
        endpoint.state = Some(state);
    }
}
