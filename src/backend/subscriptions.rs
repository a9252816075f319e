//! The bookkeeping of one connection: which request ids await which answer, which local
//! subscription each server id belongs to, and what to send again after a reconnect.
//!
//! It is pure (no I/O): the connection actor feeds it commands and responses and sends the
//! frames it returns. Local keys are stable; server ids are bound on confirmation, cleared
//! when the connection is lost and bound again after the re-subscribe. Agave gives identical
//! subscriptions the same server id, so one server id can stand for several local keys:
//! notifications go to the first confirmed with it (since the connection last opened), and the
//! server is only asked to unsubscribe when the last local key sharing the id is cancelled.
//!
//! A re-subscribe after a reconnect that the server refuses for a passing reason (a
//! subscription limit, a rate limit, a busy node) is not the end of the subscription: it is
//! retried with a growing delay ([`SubscriptionTable::take_retries`]) until it is accepted or
//! refused for good; a refusal for good ends it as failed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use foldhash::HashMap;
use serde_json::value::RawValue;

use super::{EndReason, Event, ReconnectPolicy, RequestKey, SubscribeOutcome};
use crate::backoff::Backoff;
use crate::capture::{ConnId, SubKey};
use crate::catalog::{Completion, SubscriptionRules};
use crate::protocol::{RpcError, SubId, request_frame};

/// A frame the actor should send.
#[derive(Clone, Debug, PartialEq)]
pub struct Outbound {
    /// The request text.
    pub frame: String,
    /// Its method.
    pub method: Arc<str>,
    /// The subscription it concerns, if any.
    pub sub: Option<SubKey>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    Subscribe { sub: SubKey, resubscribe: bool },
    Unsubscribe { sub: SubKey },
    Request { request: RequestKey },
}

#[derive(Debug)]
struct Entry {
    method: Arc<str>,
    params: Option<serde_json::Value>,
    rules: SubscriptionRules,
    server_id: Option<SubId>,
    confirmed_once: bool,
    cancel_when_confirmed: bool,
    unsubscribing: bool,
    /// Passing refusals of its re-subscribe in a row.
    refusals: u32,
}

/// Whether a subscribe refusal may pass: a subscription or rate limit, a busy or unavailable
/// node, a timeout. Anything else (an unknown method, invalid params) is for good.
pub fn is_transient(err: &RpcError) -> bool {
    const PASSING: [&str; 11] = [
        "limit",
        "rate",
        "too many",
        "try again",
        "busy",
        "overload",
        "timeout",
        "timed out",
        "unavailable",
        "capacity",
        "throttl",
    ];
    let message = err.message.to_ascii_lowercase();
    matches!(err.code, 429 | -32005 | -32029) || PASSING.iter().any(|word| message.contains(word))
}

/// How a refused re-subscribe is retried: 1 s doubling to 30 s, with the reconnect backoff's
/// jitter so many subscriptions do not retry in step.
const RESUBSCRIBE: ReconnectPolicy =
    ReconnectPolicy { enabled: true, initial: Duration::from_secs(1), max: Duration::from_secs(30) };

/// The delay before the `attempt`-th retry of a refused re-subscribe ([`RESUBSCRIBE`]).
pub fn retry_delay(attempt: u32) -> Duration {
    Backoff::jittered(Backoff::base_delay(&RESUBSCRIBE, attempt), fastrand::f64())
}

/// The error reported for requests whose connection was lost before the answer came.
pub fn connection_lost_error() -> RpcError {
    RpcError { code: 0, message: "the connection was lost before the answer arrived".into(), data: None }
}

/// See the module docs.
#[derive(Debug)]
pub struct SubscriptionTable {
    conn: ConnId,
    next_id: u64,
    pending: HashMap<u64, Pending>,
    subs: BTreeMap<SubKey, Entry>,
    by_server: HashMap<SubId, Vec<SubKey>>,
    queued_requests: Vec<(RequestKey, Arc<str>, Option<serde_json::Value>)>,
    /// Re-subscribes refused for a passing reason, to be sent again after their delay.
    retries: Vec<(SubKey, Duration)>,
}

impl SubscriptionTable {
    /// An empty table for connection `conn`.
    pub fn new(conn: ConnId) -> Self {
        Self {
            conn,
            next_id: 1,
            pending: HashMap::default(),
            subs: BTreeMap::new(),
            by_server: HashMap::default(),
            queued_requests: Vec::new(),
            retries: Vec::new(),
        }
    }

    fn outbound(
        &mut self,
        pending: Pending,
        method: &Arc<str>,
        params: Option<&serde_json::Value>,
    ) -> Outbound {
        let id = self.next_id;
        self.next_id += 1;
        self.pending.insert(id, pending);
        let sub = match pending {
            Pending::Subscribe { sub, .. } | Pending::Unsubscribe { sub } => Some(sub),
            Pending::Request { .. } => None,
        };
        Outbound { frame: request_frame(id, method, params), method: Arc::clone(method), sub }
    }

    /// Adds a subscription; returns the frame to send now when the connection is open.
    pub fn subscribe(
        &mut self,
        sub: SubKey,
        method: &str,
        params: Option<serde_json::Value>,
        rules: SubscriptionRules,
        open: bool,
    ) -> Option<Outbound> {
        let method: Arc<str> = method.into();
        let outbound = open
            .then(|| self.outbound(Pending::Subscribe { sub, resubscribe: false }, &method, params.as_ref()));
        self.subs.insert(
            sub,
            Entry {
                method,
                params,
                rules,
                server_id: None,
                confirmed_once: false,
                cancel_when_confirmed: false,
                unsubscribing: false,
                refusals: 0,
            },
        );
        outbound
    }

    /// The re-subscribes refused for a passing reason since the last call, with how long to
    /// wait before sending each again ([`Self::retry`]).
    pub fn take_retries(&mut self) -> Vec<(SubKey, Duration)> {
        std::mem::take(&mut self.retries)
    }

    /// Sends a refused re-subscribe again, unless it was cancelled or bound meanwhile.
    pub fn retry(&mut self, sub: SubKey) -> Option<Outbound> {
        let entry = self.subs.get(&sub)?;
        let waiting =
            self.pending.values().any(|p| matches!(p, Pending::Subscribe { sub: s, .. } if *s == sub));
        if entry.server_id.is_some() || entry.unsubscribing || waiting {
            return None;
        }
        let (method, params) = (Arc::clone(&entry.method), entry.params.clone());
        Some(self.outbound(Pending::Subscribe { sub, resubscribe: true }, &method, params.as_ref()))
    }

    /// Cancels a subscription. Returns the unsubscribe frame to send, or the events to report
    /// at once when no server round trip is needed.
    pub fn unsubscribe(&mut self, sub: SubKey, open: bool) -> (Option<Outbound>, Vec<Event>) {
        let Some(entry) = self.subs.get_mut(&sub) else { return (None, Vec::new()) };
        let Some(server_id) = entry.server_id.clone() else {
            if open
                && self.pending.values().any(|p| matches!(p, Pending::Subscribe { sub: s, .. } if *s == sub))
            {
                entry.cancel_when_confirmed = true;
                return (None, Vec::new());
            }
            self.subs.remove(&sub);
            return (None, vec![self.ended(sub, EndReason::Unsubscribed(Ok(true)))]);
        };
        let shared = self.by_server.get(&server_id).is_some_and(|keys| keys.len() > 1);
        if shared || !open {
            self.forget(sub);
            return (None, vec![self.ended(sub, EndReason::Unsubscribed(Ok(true)))]);
        }
        (self.unsubscribe_frame(sub, &server_id), Vec::new())
    }

    fn unsubscribe_frame(&mut self, sub: SubKey, server_id: &SubId) -> Option<Outbound> {
        let entry = self.subs.get_mut(&sub)?;
        entry.unsubscribing = true;
        let method = Arc::clone(&entry.rules.unsubscribe_method);
        let params = serde_json::Value::Array(vec![server_id.to_json()]);
        Some(self.outbound(Pending::Unsubscribe { sub }, &method, Some(&params)))
    }

    /// A one-off request: the frame to send now when the connection is open, else it is
    /// queued and sent on open.
    pub fn request(
        &mut self,
        request: RequestKey,
        method: &str,
        params: Option<serde_json::Value>,
        open: bool,
    ) -> Option<Outbound> {
        if open {
            Some(self.outbound(Pending::Request { request }, &method.into(), params.as_ref()))
        } else {
            self.queued_requests.push((request, method.into(), params));
            None
        }
    }

    /// The frames that re-send every subscription after the connection (re)opened, then the
    /// one-off requests queued while it was closed.
    pub fn on_open(&mut self) -> Vec<Outbound> {
        let mut frames = self.replay_subscriptions();
        for (request, method, params) in std::mem::take(&mut self.queued_requests) {
            frames.push(self.outbound(Pending::Request { request }, &method, params.as_ref()));
        }
        frames
    }

    fn replay_subscriptions(&mut self) -> Vec<Outbound> {
        let replay: Vec<(SubKey, Arc<str>, Option<serde_json::Value>, bool)> = self
            .subs
            .iter()
            .map(|(sub, entry)| (*sub, Arc::clone(&entry.method), entry.params.clone(), entry.confirmed_once))
            .collect();
        replay
            .into_iter()
            .map(|(sub, method, params, resubscribe)| {
                self.outbound(Pending::Subscribe { sub, resubscribe }, &method, params.as_ref())
            })
            .collect()
    }

    /// The connection was lost: server ids are void and unanswered requests fail. Returns the
    /// events to report; subscriptions stay, to be sent again by [`Self::on_open`].
    pub fn on_close(&mut self) -> Vec<Event> {
        self.by_server.clear();
        let mut events = Vec::new();
        for (_, pending) in std::mem::take(&mut self.pending) {
            if let Pending::Request { request } = pending {
                events.push(Event::Response {
                    conn: self.conn,
                    request,
                    result: Err(connection_lost_error()),
                });
            }
        }
        let ending: Vec<SubKey> = self
            .subs
            .iter()
            .filter(|(_, entry)| entry.unsubscribing || entry.cancel_when_confirmed)
            .map(|(sub, _)| *sub)
            .collect();
        for sub in ending {
            self.subs.remove(&sub);
            events.push(self.ended(sub, EndReason::Unsubscribed(Ok(true))));
        }
        for entry in self.subs.values_mut() {
            entry.server_id = None;
        }
        events
    }

    /// The connection is closed for good: every subscription ends.
    pub fn close_for_good(&mut self) -> Vec<Event> {
        let mut events = self.on_close();
        for (request, _, _) in std::mem::take(&mut self.queued_requests) {
            events.push(Event::Response {
                conn: self.conn,
                request,
                result: Err(RpcError {
                    code: 0,
                    message: "the connection closed before it was sent".into(),
                    data: None,
                }),
            });
        }
        let subs: Vec<SubKey> = self.subs.keys().copied().collect();
        for sub in subs {
            self.subs.remove(&sub);
            events.push(self.ended(sub, EndReason::ConnectionClosed));
        }
        events
    }

    /// Feeds a response; returns the events to report and any frame to send in turn.
    pub fn on_response(
        &mut self,
        id: u64,
        outcome: Result<&RawValue, RpcError>,
    ) -> (Vec<Event>, Option<Outbound>) {
        let Some(pending) = self.pending.remove(&id) else { return (Vec::new(), None) };
        match pending {
            Pending::Request { request } => {
                let result = outcome.map(|raw| raw.get().to_owned());
                (vec![Event::Response { conn: self.conn, request, result }], None)
            }
            Pending::Subscribe { sub, resubscribe } => self.on_subscribe_answer(sub, resubscribe, outcome),
            Pending::Unsubscribe { sub } => {
                let result = outcome.map(|raw| raw.get().trim() == "true");
                self.forget(sub);
                (vec![self.ended(sub, EndReason::Unsubscribed(result))], None)
            }
        }
    }

    fn on_subscribe_answer(
        &mut self,
        sub: SubKey,
        resubscribe: bool,
        outcome: Result<&RawValue, RpcError>,
    ) -> (Vec<Event>, Option<Outbound>) {
        let conn = self.conn;
        let server_id = outcome.and_then(|raw| {
            SubId::from_raw(raw).ok_or_else(|| RpcError {
                code: 0,
                message: format!("the server answered with {} instead of a subscription id", raw.get()),
                data: None,
            })
        });
        let Some(entry) = self.subs.get_mut(&sub) else { return (Vec::new(), None) };
        match server_id {
            Ok(server_id) => {
                entry.server_id = Some(server_id.clone());
                entry.confirmed_once = true;
                entry.refusals = 0;
                let cancel = entry.cancel_when_confirmed;
                self.by_server.entry(server_id.clone()).or_default().push(sub);
                let event = Event::Subscription {
                    conn,
                    sub,
                    outcome: SubscribeOutcome::Active(server_id.clone()),
                    resubscribed: resubscribe,
                };
                if cancel {
                    let (frame, mut events) = self.unsubscribe(sub, true);
                    events.insert(0, event);
                    return (events, frame);
                }
                (vec![event], None)
            }
            Err(err) if resubscribe && is_transient(&err) && !entry.cancel_when_confirmed => {
                entry.refusals += 1;
                let retry_in = retry_delay(entry.refusals);
                self.retries.push((sub, retry_in));
                let outcome = SubscribeOutcome::Retrying { error: err, retry_in };
                (vec![Event::Subscription { conn, sub, outcome, resubscribed: true }], None)
            }
            Err(err) => {
                self.subs.remove(&sub);
                (
                    vec![Event::Subscription {
                        conn,
                        sub,
                        outcome: SubscribeOutcome::Failed(err),
                        resubscribed: resubscribe,
                    }],
                    None,
                )
            }
        }
    }

    /// The local subscription a notification for `server_id` belongs to.
    pub fn route(&self, server_id: &SubId) -> Option<SubKey> {
        self.by_server.get(server_id).and_then(|keys| keys.first().copied())
    }

    /// How a local subscription ends besides being cancelled.
    pub fn completion_of(&self, sub: SubKey) -> Option<Completion> {
        self.subs.get(&sub).map(|entry| entry.rules.completion)
    }

    /// The server ended a subscription by itself (signatureSubscribe after its final
    /// notification): every local key sharing its id ends.
    pub fn complete(&mut self, server_id: &SubId) -> Vec<Event> {
        let keys = self.by_server.remove(server_id).unwrap_or_default();
        keys.into_iter()
            .map(|sub| {
                self.subs.remove(&sub);
                self.ended(sub, EndReason::Completed)
            })
            .collect()
    }

    /// How many subscriptions the table holds.
    pub fn len(&self) -> usize {
        self.subs.len()
    }

    /// Whether the table holds no subscription.
    pub fn is_empty(&self) -> bool {
        self.subs.is_empty()
    }

    fn forget(&mut self, sub: SubKey) {
        if let Some(entry) = self.subs.remove(&sub)
            && let Some(server_id) = entry.server_id
            && let Some(keys) = self.by_server.get_mut(&server_id)
        {
            keys.retain(|key| *key != sub);
            if keys.is_empty() {
                self.by_server.remove(&server_id);
            }
        }
    }

    fn ended(&self, sub: SubKey, reason: EndReason) -> Event {
        Event::SubscriptionEnded { conn: self.conn, sub, reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Subscribes with the rules the catalogue gives the method, as every caller does.
    trait WithRules {
        fn sub(
            &mut self,
            sub: SubKey,
            method: &str,
            params: Option<serde_json::Value>,
            open: bool,
        ) -> Option<Outbound>;
    }

    impl WithRules for SubscriptionTable {
        fn sub(
            &mut self,
            sub: SubKey,
            method: &str,
            params: Option<serde_json::Value>,
            open: bool,
        ) -> Option<Outbound> {
            let rules = crate::catalog::rules_for(method, params.as_ref());
            self.subscribe(sub, method, params, rules, open)
        }
    }

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap_or_else(|err| panic!("{err}"))
    }

    fn request_id(outbound: &Outbound) -> u64 {
        let value: serde_json::Value = serde_json::from_str(&outbound.frame).unwrap_or_default();
        value["id"].as_u64().unwrap_or(u64::MAX)
    }

    fn limit_reached() -> RpcError {
        RpcError {
            code: -32603,
            message: "Internal Error: Subscription refused. Node subscription limit reached".into(),
            data: None,
        }
    }

    #[test]
    fn a_passing_refusal_of_a_resubscribe_is_retried_until_accepted() {
        let mut table = SubscriptionTable::new(1);
        let out = table.sub(7, "rootSubscribe", None, true).unwrap_or_else(|| panic!("no frame"));
        table.on_response(request_id(&out), Ok(&raw("3")));
        table.on_close();
        let replay = table.on_open();
        let (events, _) = table.on_response(request_id(&replay[0]), Err(limit_reached()));
        assert!(
            matches!(
                &events[..],
                [Event::Subscription { outcome: SubscribeOutcome::Retrying { .. }, resubscribed: true, .. }]
            ),
            "{events:?}"
        );
        let retries = table.take_retries();
        assert_eq!(retries.len(), 1);
        assert!(retries[0].1 >= Duration::from_millis(500) && retries[0].1 <= Duration::from_millis(1000));
        assert_eq!(table.len(), 1, "it is kept");
        // Refused again: the delay grows.
        let again = table.retry(7).unwrap_or_else(|| panic!("retried"));
        assert!(again.frame.contains("rootSubscribe"));
        assert!(table.retry(7).is_none(), "one try at a time");
        table.on_response(request_id(&again), Err(limit_reached()));
        assert!(table.take_retries()[0].1 >= Duration::from_millis(1000));
        let third = table.retry(7).unwrap_or_else(|| panic!("retried"));
        let (events, _) = table.on_response(request_id(&third), Ok(&raw("9")));
        assert!(matches!(
            &events[..],
            [Event::Subscription { outcome: SubscribeOutcome::Active(SubId::Num(9)), .. }]
        ));
        assert_eq!(table.route(&SubId::Num(9)), Some(7));
        assert!(table.retry(7).is_none(), "bound: nothing to retry");
    }

    #[test]
    fn a_refusal_for_good_ends_the_resubscribe_and_first_refusals_are_not_retried() {
        let mut table = SubscriptionTable::new(1);
        let out = table.sub(7, "blockSubscribe", None, true).unwrap_or_else(|| panic!("no frame"));
        table.on_response(request_id(&out), Ok(&raw("3")));
        table.on_close();
        let replay = table.on_open();
        let gone = RpcError { code: -32601, message: "Method not found".into(), data: None };
        let (events, _) = table.on_response(request_id(&replay[0]), Err(gone));
        assert!(matches!(&events[..], [Event::Subscription { outcome: SubscribeOutcome::Failed(_), .. }]));
        assert!(table.is_empty() && table.take_retries().is_empty());
        // The user's own subscribe is answered as it is: the user sees the limit at once.
        let out = table.sub(8, "rootSubscribe", None, true).unwrap_or_else(|| panic!("no frame"));
        let (events, _) = table.on_response(request_id(&out), Err(limit_reached()));
        assert!(matches!(&events[..], [Event::Subscription { outcome: SubscribeOutcome::Failed(_), .. }]));
    }

    #[test]
    fn passing_refusals_are_told_apart_from_final_ones() {
        let error = |code, message: &str| RpcError { code, message: message.into(), data: None };
        assert!(is_transient(&limit_reached()));
        assert!(is_transient(&error(-32005, "daily request count exceeded")));
        assert!(is_transient(&error(429, "Too Many Requests")));
        assert!(is_transient(&error(-32000, "Node is busy, try again")));
        assert!(!is_transient(&error(-32601, "Method not found")));
        assert!(!is_transient(&error(-32602, "Invalid params: invalid pubkey")));
    }

    #[test]
    fn confirmation_binds_the_server_id_for_routing() {
        let mut table = SubscriptionTable::new(1);
        let out = table.sub(10, "slotSubscribe", None, true).unwrap_or_else(|| panic!("no frame"));
        assert_eq!(out.frame, r#"{"jsonrpc":"2.0","id":1,"method":"slotSubscribe"}"#);
        let (events, _) = table.on_response(request_id(&out), Ok(&raw("0")));
        assert_eq!(
            events,
            vec![Event::Subscription {
                conn: 1,
                sub: 10,
                outcome: SubscribeOutcome::Active(SubId::Num(0)),
                resubscribed: false
            }]
        );
        assert_eq!(table.route(&SubId::Num(0)), Some(10));
        assert_eq!(table.route(&SubId::Num(1)), None);
    }

    #[test]
    fn reconnect_resends_and_rebinds_under_the_same_local_key() {
        let mut table = SubscriptionTable::new(1);
        let params = serde_json::json!(["logs", {"address": "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0"}]);
        let out = table.sub(5, "eth_subscribe", Some(params), true).unwrap_or_else(|| panic!());
        table.on_response(request_id(&out), Ok(&raw("\"0xaaaa\"")));
        assert!(table.on_close().is_empty());
        assert_eq!(table.route(&SubId::Str("0xaaaa".into())), None, "old ids are void after a loss");
        let replay = table.on_open();
        assert_eq!(replay.len(), 1);
        assert!(
            replay[0]
                .frame
                .contains(r#""params":["logs",{"address":"0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0"}]"#)
        );
        let (events, _) = table.on_response(request_id(&replay[0]), Ok(&raw("\"0xbbbb\"")));
        assert!(matches!(events[0], Event::Subscription { sub: 5, resubscribed: true, .. }));
        assert_eq!(table.route(&SubId::Str("0xbbbb".into())), Some(5));
    }

    #[test]
    fn subscriptions_made_while_closed_are_sent_on_open() {
        let mut table = SubscriptionTable::new(1);
        assert!(table.sub(1, "rootSubscribe", None, false).is_none());
        let frames = table.on_open();
        assert_eq!(frames.len(), 1);
        let (events, _) = table.on_response(request_id(&frames[0]), Ok(&raw("3")));
        assert!(matches!(events[0], Event::Subscription { resubscribed: false, .. }));
    }

    #[test]
    fn refused_subscription_reports_the_server_error_and_is_not_replayed() {
        let mut table = SubscriptionTable::new(2);
        let out = table
            .sub(1, "accountSubscribe", Some(serde_json::json!(["bad"])), true)
            .unwrap_or_else(|| panic!());
        let err =
            RpcError { code: -32602, message: "Invalid Request: Invalid pubkey provided".into(), data: None };
        let (events, _) = table.on_response(request_id(&out), Err(err.clone()));
        assert_eq!(
            events,
            vec![Event::Subscription {
                conn: 2,
                sub: 1,
                outcome: SubscribeOutcome::Failed(err),
                resubscribed: false
            }]
        );
        assert!(table.on_open().is_empty());
    }

    #[test]
    fn unsubscribe_sends_the_family_method_with_the_server_id() {
        let mut table = SubscriptionTable::new(1);
        let out = table
            .sub(3, "accountSubscribe", Some(serde_json::json!(["x"])), true)
            .unwrap_or_else(|| panic!());
        table.on_response(request_id(&out), Ok(&raw("42")));
        let (frame, events) = table.unsubscribe(3, true);
        assert!(events.is_empty());
        let frame = frame.unwrap_or_else(|| panic!("no unsubscribe frame"));
        assert!(frame.frame.contains(r#""method":"accountUnsubscribe","params":[42]"#), "{}", frame.frame);
        let (events, _) = table.on_response(request_id(&frame), Ok(&raw("true")));
        assert_eq!(
            events,
            vec![Event::SubscriptionEnded { conn: 1, sub: 3, reason: EndReason::Unsubscribed(Ok(true)) }]
        );
        assert_eq!(table.route(&SubId::Num(42)), None);
        assert!(table.is_empty());
    }

    #[test]
    fn agave_shared_ids_route_to_the_oldest_and_unsubscribe_only_with_the_last() {
        let mut table = SubscriptionTable::new(1);
        let a = table.sub(1, "slotSubscribe", None, true).unwrap_or_else(|| panic!());
        let b = table.sub(2, "slotSubscribe", None, true).unwrap_or_else(|| panic!());
        table.on_response(request_id(&a), Ok(&raw("0")));
        table.on_response(request_id(&b), Ok(&raw("0")));
        assert_eq!(table.route(&SubId::Num(0)), Some(1));
        let (frame, events) = table.unsubscribe(1, true);
        assert!(frame.is_none(), "the server id is still used by sub 2");
        assert_eq!(events.len(), 1);
        assert_eq!(table.route(&SubId::Num(0)), Some(2));
        let (frame, _) = table.unsubscribe(2, true);
        assert!(frame.is_some());
    }

    #[test]
    fn cancel_before_confirmation_unsubscribes_once_confirmed() {
        let mut table = SubscriptionTable::new(1);
        let out =
            table.sub(9, "logsSubscribe", Some(serde_json::json!(["all"])), true).unwrap_or_else(|| panic!());
        let (frame, events) = table.unsubscribe(9, true);
        assert!(frame.is_none() && events.is_empty());
        let (events, frame) = table.on_response(request_id(&out), Ok(&raw("5")));
        assert_eq!(events.len(), 1);
        assert!(frame.is_some_and(|f| f.frame.contains("logsUnsubscribe")));
    }

    #[test]
    fn lost_connection_fails_pending_requests() {
        let mut table = SubscriptionTable::new(4);
        table.request(77, "getSlot", None, true);
        let events = table.on_close();
        assert_eq!(
            events,
            vec![Event::Response { conn: 4, request: 77, result: Err(connection_lost_error()) }]
        );
    }

    #[test]
    fn requests_made_while_closed_are_sent_on_open_or_fail_on_close() {
        let mut table = SubscriptionTable::new(1);
        assert!(table.request(5, "getSlot", None, false).is_none());
        let frames = table.on_open();
        assert!(frames.len() == 1 && frames[0].frame.contains("getSlot"));
        table.request(6, "getVersion", None, false);
        let events = table.close_for_good();
        assert!(
            matches!(
                &events[..],
                [
                    Event::Response { request: 5, result: Err(_), .. },
                    Event::Response { request: 6, result: Err(_), .. }
                ]
            ),
            "the sent request is lost, the queued one never sent: {events:?}"
        );
    }

    #[test]
    fn completed_signature_subscription_is_removed() {
        let mut table = SubscriptionTable::new(1);
        let out = table
            .sub(8, "signatureSubscribe", Some(serde_json::json!(["sig"])), true)
            .unwrap_or_else(|| panic!());
        table.on_response(request_id(&out), Ok(&raw("8")));
        let events = table.complete(&SubId::Num(8));
        assert_eq!(events, vec![Event::SubscriptionEnded { conn: 1, sub: 8, reason: EndReason::Completed }]);
        assert!(table.on_open().is_empty(), "a completed subscription is not replayed");
    }

    #[test]
    fn one_off_responses_carry_the_raw_result() {
        let mut table = SubscriptionTable::new(1);
        let out = table.request(3, "eth_chainId", None, true).unwrap_or_else(|| panic!("no frame"));
        let (events, _) = table.on_response(request_id(&out), Ok(&raw("\"0x7a69\"")));
        assert_eq!(events, vec![Event::Response { conn: 1, request: 3, result: Ok("\"0x7a69\"".into()) }]);
        let (events, _) = table.on_response(999, Ok(&raw("1")));
        assert!(events.is_empty(), "an unknown id is ignored here (the frame is still captured)");
    }
}
