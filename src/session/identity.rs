//! Which chain an endpoint serves, learnt at connect, and which subscriptions the window
//! compares. Two endpoints of one chain kind may be two chains (two demo servers, two dev
//! nodes), so the window asks each connection when it opens, with a one-off request over its
//! WebSocket: `getGenesisHash` (Solana) or `eth_chainId` (Ethereum), both when the kind is not
//! known yet. The window then compares only the subscriptions sent together (the composer's
//! "Also on") on one chain; `record` and `compare` leave this off (they compare every
//! subscription of one request, which the user sent together on the command line).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};

use super::{Session, SessionError};
use crate::backend::RequestKey;
use crate::capture::{ConnId, SubKey};
use crate::catalog::{Chain, Draft};
use crate::protocol::RpcError;

/// What the window asked at connect, and the groups it compares.
#[derive(Debug, Default)]
pub(super) struct Identities {
    /// Whether this session learns identities and compares by group (the window's).
    on: bool,
    /// The identity requests not answered yet: their connection and method.
    asked: HashMap<RequestKey, (ConnId, &'static str)>,
    /// The last group of subscriptions sent together.
    last_batch: u64,
}

/// The one-off requests that name a chain of this kind.
fn identity_methods(chain: Option<Chain>) -> &'static [&'static str] {
    match chain {
        Some(Chain::Solana) => &["getGenesisHash"],
        Some(Chain::Ethereum) => &["eth_chainId"],
        None => &["getGenesisHash", "eth_chainId"],
    }
}

/// The identity an answer names: `getGenesisHash <hash>` or `eth_chainId <id>`.
fn identity_of(method: &str, result: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(result).ok()?;
    value.as_str().map(|text| format!("{method} {text}"))
}

impl Session {
    /// Makes this session the window's: it learns each connection's chain when it opens, and
    /// compares only subscriptions sent together ([`Self::subscribe_together`]) on one chain.
    pub fn compare_by_chain(&mut self) {
        self.identities.on = true;
    }

    /// Asks a connection that just opened which chain it serves.
    pub(super) fn ask_identity(&mut self, conn: ConnId) {
        if !self.identities.on {
            return;
        }
        let endpoint = self.endpoints.iter_mut().find(|endpoint| endpoint.conn == Some(conn));
        // The node behind the URL may have changed since it last opened (a restarted dev node).
        let chain = endpoint.and_then(|endpoint| {
            endpoint.identity = None;
            endpoint.chain
        });
        for &method in identity_methods(chain) {
            // A connection that cannot take the request stays of an unknown chain.
            if let Ok(request) = self.request(conn, method.to_owned(), Some(serde_json::json!([]))) {
                self.identities.asked.insert(request, (conn, method));
            }
        }
    }

    /// Takes the answer to request `request` when it is an identity request (`true`), so it
    /// is not shown as the user's; an error answer leaves the chain unknown.
    pub(super) fn learn_identity(&mut self, request: RequestKey, result: &Result<String, RpcError>) -> bool {
        let Some((conn, method)) = self.identities.asked.remove(&request) else { return false };
        let learnt = result.as_ref().ok().and_then(|text| identity_of(method, text));
        if let Some(identity) = learnt
            && let Some(endpoint) = self.endpoints.iter_mut().find(|endpoint| endpoint.conn == Some(conn))
        {
            endpoint.identity = Some(identity);
        }
        true
    }

    /// Subscribes on each of `conns` with one method and params, as one group to compare
    /// (per chain, when their chains are known and differ).
    pub fn subscribe_together(
        &mut self,
        conns: &[ConnId],
        method: &str,
        params: Option<&serde_json::Value>,
        draft: Option<&Draft>,
    ) -> Vec<Result<SubKey, SessionError>> {
        let sent: Vec<Result<(SubKey, ConnId), SessionError>> = conns
            .iter()
            .map(|&conn| {
                self.subscribe(conn, method.to_owned(), params.cloned(), draft.cloned())
                    .map(|sub| (sub, conn))
            })
            .collect();
        let batch = self.next_batch();
        for &(sub, conn) in sent.iter().flatten() {
            self.tag_for_compare(sub, conn, batch);
        }
        sent.into_iter().map(|result| result.map(|(sub, _)| sub)).collect()
    }

    /// A fresh group of subscriptions sent together.
    pub(super) fn next_batch(&mut self) -> u64 {
        self.identities.last_batch += 1;
        self.identities.last_batch
    }

    /// In the window, puts `sub` on `conn` in group `batch` of its chain for the comparison.
    pub(super) fn tag_for_compare(&mut self, sub: SubKey, conn: ConnId, batch: u64) {
        if !self.identities.on {
            return;
        }
        let identity = self
            .endpoints
            .iter()
            .find(|endpoint| endpoint.conn == Some(conn))
            .and_then(|e| e.identity.as_ref());
        let mut hasher = DefaultHasher::new();
        (batch, identity).hash(&mut hasher);
        self.live.context.compare_groups.insert(sub, hasher.finish());
        self.identify_for_compare();
    }

    /// Has the connections read each notification's item identity while the window compares
    /// any subscription (on the connections' thread, as they classify the frame, rather than
    /// on the UI thread).
    pub(super) fn identify_for_compare(&self) {
        self.backend.queue().identify_items(!self.live.context.compare_groups.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{connected, report};
    use super::RequestKey;
    use crate::backend::{Command, ConnState, Event, SubscribeOutcome};
    use crate::capture::{ConnId, SubKey, now_ms};
    use crate::compare::tests::slot;
    use crate::protocol::SubId;
    use crate::session::{Endpoint, Notice};

    /// The identity requests sent since the last look: (request, method).
    fn asked(script: &mut crate::backend::Script) -> Vec<(RequestKey, String)> {
        let mut asked = Vec::new();
        for command in script.commands() {
            if let Command::Request { request, method, .. } = command {
                asked.push((request, method));
            }
        }
        asked
    }

    #[test]
    fn the_window_asks_a_connection_its_chain_when_it_opens_and_keeps_the_answer_to_itself() {
        let (mut session, mut script, conn) = connected();
        session.compare_by_chain();
        report(&mut session, &script, Event::State { conn, state: ConnState::Open });
        let asked = asked(&mut script);
        let methods: Vec<&str> = asked.iter().map(|(_, method)| method.as_str()).collect();
        assert_eq!(methods, ["getGenesisHash", "eth_chainId"], "both while the chain kind is unknown");
        let not_found =
            crate::protocol::RpcError { code: -32601, message: "Method not found".into(), data: None };
        let answers = [Ok(r#""5eykt4Uso""#.to_owned()), Err(not_found)];
        for ((request, _), result) in asked.into_iter().zip(answers) {
            let notices = report(&mut session, &script, Event::Response { conn, request, result });
            assert!(!notices.iter().any(|notice| matches!(notice, Notice::Response { .. })), "{notices:?}");
        }
        assert_eq!(session.endpoints()[0].identity.as_deref(), Some("getGenesisHash 5eykt4Uso"));
    }

    #[test]
    fn record_and_compare_ask_nothing_at_open() {
        let (mut session, mut script, conn) = connected();
        report(&mut session, &script, Event::State { conn, state: ConnState::Open });
        assert!(asked(&mut script).is_empty());
    }

    /// Confirms `sub` on `conn` with server id `id`.
    fn confirm(
        session: &mut crate::session::Session,
        script: &crate::backend::Script,
        conn: ConnId,
        sub: SubKey,
        id: u64,
    ) {
        let outcome = SubscribeOutcome::Active(SubId::Num(id));
        report(session, script, Event::Subscription { conn, sub, outcome, resubscribed: false });
    }

    /// Agave gives identical subscriptions on one connection one id, and the backend captures
    /// their notifications under the first confirmed. A subscription sent "Also on" another endpoint
    /// from a connection that already had the same one must be compared by what its connection
    /// delivers, not shown missing everything (seen in the window: "missed 82").
    #[test]
    fn a_subscription_sharing_an_older_ones_id_is_compared_by_its_notifications() {
        let (mut session, mut script, a) = connected();
        session.compare_by_chain();
        let other = Endpoint {
            id: 8,
            label: "other".into(),
            url: "ws://127.0.0.1:8901".into(),
            ..Endpoint::default()
        };
        session.add_endpoint(other);
        let b = session.connect(1).unwrap();
        for conn in [a, b] {
            report(&mut session, &script, Event::State { conn, state: ConnState::Open });
        }
        script.commands();
        let first = session.subscribe(a, "slotSubscribe".into(), None, None).unwrap();
        let together = session.subscribe_together(&[a, b], "slotSubscribe", None, None);
        let (second, third) = (together[0].clone().unwrap(), together[1].clone().unwrap());
        for (conn, sub) in [(a, first), (a, second), (b, third)] {
            confirm(&mut session, &script, conn, sub, 0);
        }
        script.frames((1..=3).flat_map(|n| [slot(first, a, n, now_ms()), slot(third, b, n, now_ms())]));
        session.step(std::time::Duration::from_secs(5));
        let compared = session.live().compare.report();
        let group =
            compared.groups.iter().find(|group| group.endpoints.iter().any(|e| e.sub == third)).unwrap();
        let on_a = group.endpoints.iter().find(|e| e.conn == a).expect("A is in the group");
        assert_eq!((on_a.sub, on_a.stats.received, on_a.stats.missed), (second, 3, 0));

        // After a reconnect the backend routes to whichever is confirmed first again.
        let reason = crate::backend::ConnError::Lost(crate::backend::LostReason::Reset);
        let state = ConnState::Reconnecting { retry_at_ms: 5, attempt: 1, reason };
        report(&mut session, &script, Event::State { conn: a, state });
        confirm(&mut session, &script, a, second, 7);
        confirm(&mut session, &script, a, first, 7);
        let shared = &session.live().context.shared_ids;
        assert_eq!(shared.get(&second), Some(&vec![first]), "{shared:?}");

        // The holder unsubscribed: the notifications are the other's own now.
        report(
            &mut session,
            &script,
            Event::SubscriptionEnded {
                conn: a,
                sub: second,
                reason: crate::backend::EndReason::Unsubscribed(Ok(true)),
            },
        );
        assert!(session.live().context.shared_ids.is_empty(), "{:?}", session.live().context.shared_ids);
    }

    /// While the window compares, the connections read each notification's item identity as
    /// they classify it, and the comparison takes it as read: three notifications given one
    /// identity are one item delivered three times.
    #[test]
    fn the_window_has_items_identified_by_the_connections_while_it_compares() {
        let (mut session, script, conn) = connected();
        assert!(!session.backend().queue().identifies_items(), "nothing compared, nothing read twice");
        session.compare_by_chain();
        report(&mut session, &script, Event::State { conn, state: ConnState::Open });
        let sub = session.subscribe(conn, "slotSubscribe".into(), None, None).unwrap();
        assert!(session.backend().queue().identifies_items(), "asked as soon as it is compared");
        confirm(&mut session, &script, conn, sub, 0);
        let mut frames: Vec<_> = (1..=3).map(|n| slot(sub, conn, n, now_ms())).collect();
        let one = crate::catalog::item_fingerprint(&frames[0].raw);
        session.backend().queue().push_identified(&mut frames, &mut vec![(0, one), (1, one), (2, one)]);
        session.step(std::time::Duration::from_secs(5));
        let stats = session.live().compare.stats_of(sub).unwrap();
        assert_eq!((stats.received, stats.duplicates), (3, 2), "taken as read, not read again");

        // Its last comparison gone, nothing is read for it.
        let reason = crate::backend::EndReason::Unsubscribed(Ok(true));
        report(&mut session, &script, Event::SubscriptionEnded { conn, sub, reason });
        session.forget_subscription(sub);
        assert!(!session.backend().queue().identifies_items());
    }
}
