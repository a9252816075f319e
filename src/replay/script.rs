//! What a capture holds for replay, prepared once and shared by every client: each recorded
//! subscription with its notifications (their times, and where the subscription id sits in
//! each frame), the recorded answers to one-off requests, and the newest block head and slot
//! the notifications name.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::history::{self, History, Recorded};
use crate::capture::{CapturedEvent, ConnId, Direction, SubKey, Text};
use crate::catalog::{ETH_SUBSCRIBE, canonical_params, is_ethereum_subscribe, is_one_off_method};
use crate::export::CaptureContext;
use crate::protocol::{FrameKind, ReceivedResponse, SentRequest, SubId};

/// At most this many subscriptions are named in the error a subscribe that matches nothing
/// gets; the rest are counted.
const LISTED_SUBSCRIPTIONS: usize = 20;

/// A capture prepared for replay. Build it once ([`Replay::from_capture`]) and serve it with
/// [`ReplayServer`](super::ReplayServer); it is immutable and shared by every client.
#[derive(Debug, Default)]
pub struct Replay {
    /// Recorded subscriptions, one per distinct method and params, in the order they were
    /// first made.
    pub(super) subscriptions: Vec<RecordedSubscription>,
    /// Recorded answers to one-off requests, the first per method and params.
    pub(super) answers: Vec<RecordedAnswer>,
    /// The first and newest block numbers of recorded `newHeads` notifications.
    pub(super) heads: Option<(u64, u64)>,
    /// The first and newest slots named by recorded Solana notifications.
    pub(super) slots: Option<(u64, u64)>,
    /// The chain the notifications show, for chain queries.
    pub(super) history: History,
}

/// One recorded subscription.
#[derive(Debug)]
pub(super) struct RecordedSubscription {
    /// The subscribe method.
    pub(super) method: String,
    /// Its params as a node reads them ([`canonical_params`]), to match requests against.
    pub(super) params: Value,
    /// Its params as recorded, to name it by.
    pub(super) recorded_params: Value,
    /// Whether the server named it with a string (Ethereum) rather than a number (Solana).
    pub(super) string_ids: bool,
    /// Its notifications in recorded order.
    pub(super) notifications: Vec<RecordedNotification>,
}

/// One recorded notification.
#[derive(Debug)]
pub(super) struct RecordedNotification {
    /// Milliseconds after the subscription was confirmed.
    pub(super) offset_ms: u64,
    /// The frame as received.
    pub(super) text: Text,
    /// Where `params.subscription`'s value sits in `text`, to be replaced by a client's id.
    pub(super) id_at: Option<Range<usize>>,
    /// The block number or slot it announces, if it names one.
    pub(super) mark: Mark,
}

/// The chain position a notification names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mark {
    /// Nothing the identity answers use.
    None,
    /// A `newHeads` block number.
    Head(u64),
    /// A Solana slot.
    Slot(u64),
}

/// A recorded answer to a one-off request.
#[derive(Debug)]
pub(super) struct RecordedAnswer {
    /// The method.
    pub(super) method: String,
    /// Its params as a node reads them ([`canonical_params`]).
    pub(super) params: Value,
    /// `result` or `error`, and that member's JSON as received.
    pub(super) answer: (AnswerKind, String),
}

/// Which member an answer was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AnswerKind {
    /// A `result`.
    Result,
    /// An `error`.
    Error,
}

impl AnswerKind {
    /// The member's name.
    pub(super) fn member(self) -> &'static str {
        match self {
            Self::Result => "result",
            Self::Error => "error",
        }
    }
}

/// A notification's `params.subscription` and the chain position its result names.
#[derive(Deserialize)]
struct NotificationFrame<'a> {
    #[serde(default, borrow)]
    params: Option<NotificationParams<'a>>,
}

#[derive(Deserialize)]
struct NotificationParams<'a> {
    #[serde(default, borrow)]
    subscription: Option<&'a RawValue>,
    #[serde(default, borrow)]
    result: Option<&'a RawValue>,
}

/// The members of a notification's result that name a block or slot.
#[derive(Deserialize)]
struct MarkResult {
    #[serde(default)]
    number: Option<Value>,
    #[serde(default)]
    slot: Option<Value>,
    #[serde(default)]
    context: Option<MarkContext>,
}

#[derive(Deserialize)]
struct MarkContext {
    #[serde(default)]
    slot: Option<u64>,
}

/// A subscription as the events show it, before it is merged with equal ones.
#[derive(Default)]
struct Building {
    confirmed_ms: Option<u64>,
    requested_ms: Option<u64>,
    string_ids: Option<bool>,
    notifications: Vec<(u64, Text, Option<Range<usize>>, Mark)>,
}

impl Replay {
    /// Prepares events (in capture order) and the context naming their subscriptions. Only
    /// frames that went over a connection count: requests sent and what answered them, and
    /// notifications of subscriptions the context names.
    pub fn from_capture<'a>(
        events: impl IntoIterator<Item = &'a CapturedEvent>,
        context: &CaptureContext,
    ) -> Self {
        let mut building: HashMap<SubKey, Building> = HashMap::new();
        let mut order: Vec<SubKey> = Vec::new();
        let mut pending: HashMap<(ConnId, String), (String, Value)> = HashMap::new();
        let mut answers: Vec<RecordedAnswer> = Vec::new();
        for event in events {
            // A one-off request sent as if it were a subscription (older `record --subscribe`
            // runs did) is answered as the one-off it is, never with a subscription id.
            let subscription = event.subscription.filter(|key| {
                context.subscriptions.get(key).is_some_and(|info| !is_one_off_method(&info.method))
            });
            let Some(key) = subscription else {
                note_one_off(event, &mut pending, &mut answers);
                continue;
            };
            if !building.contains_key(&key) {
                order.push(key);
            }
            let sub = building.entry(key).or_default();
            let at = event.received_at_ms;
            match (event.direction, event.kind) {
                (Direction::Out, FrameKind::Request) => {
                    sub.requested_ms.get_or_insert(at);
                }
                (Direction::In, FrameKind::Response) => {
                    sub.confirmed_ms.get_or_insert(at);
                    if let Ok(frame) = serde_json::from_str::<ReceivedResponse<'_>>(&event.raw) {
                        let string = frame.result.is_some_and(|result| result.get().starts_with('"'));
                        sub.string_ids.get_or_insert(string);
                    }
                }
                (Direction::In, FrameKind::Notification) => {
                    let (id_at, mark) = locate(&event.raw);
                    sub.notifications.push((at, event.raw.clone(), id_at, mark));
                }
                _ => {}
            }
        }
        let mut replay = Self { answers, ..Self::default() };
        for key in order {
            let (Some(info), Some(sub)) = (context.subscriptions.get(&key), building.remove(&key)) else {
                continue;
            };
            let params = canonical_params(&info.method, info.params.clone());
            if replay.subscriptions.iter().any(|known| known.method == info.method && known.params == params)
            {
                continue; // the same subscription on another connection, or again
            }
            let first = sub.notifications.first().map(|(at, ..)| *at);
            let start = sub.confirmed_ms.or(sub.requested_ms).or(first).unwrap_or(0);
            let string_ids = sub.string_ids.unwrap_or(match &info.server_id {
                Some(id) => matches!(id, SubId::Str(_)),
                None => is_ethereum_subscribe(&info.method),
            });
            let notifications = sub
                .notifications
                .into_iter()
                .map(|(at, text, id_at, mark)| RecordedNotification {
                    offset_ms: at.saturating_sub(start),
                    text,
                    id_at,
                    mark,
                })
                .collect();
            replay.subscriptions.push(RecordedSubscription {
                method: info.method.clone(),
                params,
                recorded_params: info
                    .params
                    .clone()
                    .filter(|params| !params.is_null())
                    .unwrap_or(Value::Array(Vec::new())),
                string_ids,
                notifications,
            });
        }
        replay.history = replay.recorded_history();
        replay.heads = span(replay.marks(|mark| if let Mark::Head(n) = mark { Some(n) } else { None }));
        replay.slots = span(replay.marks(|mark| if let Mark::Slot(n) = mark { Some(n) } else { None }));
        replay
    }

    /// The chain the recorded `newHeads`, `logs` and `slotSubscribe` notifications show.
    fn recorded_history(&self) -> History {
        let mut history = History::default();
        for sub in &self.subscriptions {
            let kind: for<'a> fn(&'a Value) -> Recorded<'a> =
                if sub.method == ETH_SUBSCRIBE && history::is_new_heads(&sub.params) {
                    |value| Recorded::Head(value)
                } else if let Some(option) =
                    (sub.method == ETH_SUBSCRIBE).then(|| history::logs_option(&sub.params)).flatten()
                {
                    history.note_log_filter(option);
                    |value| Recorded::Log(value)
                } else if sub.method == crate::catalog::solana::SLOT.rpc_method {
                    |value| Recorded::Slot(value)
                } else {
                    continue;
                };
            for notification in &sub.notifications {
                if let Ok(frame) = serde_json::from_str::<Value>(notification.text.as_str()) {
                    history.note(kind(&frame["params"]["result"]));
                }
            }
        }
        history
    }

    /// The marks of one kind, in recorded order per subscription.
    fn marks(&self, pick: impl Fn(Mark) -> Option<u64>) -> impl Iterator<Item = u64> {
        self.subscriptions.iter().flat_map(|sub| sub.notifications.iter()).filter_map(move |n| pick(n.mark))
    }

    /// Whether the capture holds nothing to serve: no subscription and no recorded answer.
    pub fn is_empty(&self) -> bool {
        self.subscriptions.is_empty() && self.answers.is_empty()
    }

    /// How many distinct subscriptions it serves.
    pub fn subscription_count(&self) -> usize {
        self.subscriptions.len()
    }

    /// How many recorded answers to one-off requests it holds.
    pub fn answer_count(&self) -> usize {
        self.answers.len()
    }

    /// Whether it recorded an answer to `method` (whatever the params).
    pub fn answers(&self, method: &str) -> bool {
        self.answers.iter().any(|answer| answer.method == method)
    }

    /// Whether any recorded subscription is an `eth_subscribe`.
    pub fn has_ethereum(&self) -> bool {
        self.subscriptions.iter().any(|sub| is_ethereum_subscribe(&sub.method))
    }

    /// One line per subscription: method, params, notifications and their recorded span.
    pub fn describe_subscriptions(&self) -> Vec<String> {
        self.subscriptions
            .iter()
            .map(|sub| {
                let span_ms = sub.notifications.last().map_or(0, |last| last.offset_ms);
                let count = sub.notifications.len();
                format!(
                    "{} ({count} notification{} over {:.1} s)",
                    call_text(&sub.method, &sub.recorded_params),
                    if count == 1 { "" } else { "s" },
                    span_ms as f64 / 1000.0
                )
            })
            .collect()
    }

    /// The recorded subscription `method` with `params` asks for.
    pub(super) fn find_subscription(&self, method: &str, params: &Value) -> Option<usize> {
        self.subscriptions.iter().position(|sub| sub.method == method && &sub.params == params)
    }

    /// The recorded answer to `method` with `params`.
    pub(super) fn find_answer(&self, method: &str, params: &Value) -> Option<&RecordedAnswer> {
        self.answers.iter().find(|answer| answer.method == method && &answer.params == params)
    }

    /// The message of the error a subscribe that matches nothing gets (`params` as the client
    /// sent them): what the capture holds.
    pub(super) fn unmatched_message(&self, method: &str, params: &Value) -> String {
        let mut message =
            format!("subscope replay: no recorded subscription matches {}; ", call_text(method, params));
        if self.subscriptions.is_empty() {
            message.push_str("the capture holds no subscriptions");
            return message;
        }
        message.push_str("the capture holds: ");
        let lines = self.describe_subscriptions();
        message.push_str(&lines.iter().take(LISTED_SUBSCRIPTIONS).cloned().collect::<Vec<_>>().join("; "));
        if lines.len() > LISTED_SUBSCRIPTIONS {
            let _ = write!(message, "; and {} more", lines.len() - LISTED_SUBSCRIPTIONS);
        }
        message
    }
}

/// `method params` as a person reads it (`slotSubscribe`, `eth_subscribe ["newHeads"]`).
fn call_text(method: &str, params: &Value) -> String {
    match params {
        Value::Array(items) if items.is_empty() => method.to_owned(),
        params => format!("{method} {params}"),
    }
}

/// The lowest and highest of some numbers, if any.
fn span(values: impl Iterator<Item = u64>) -> Option<(u64, u64)> {
    values.fold(None, |span, value| match span {
        None => Some((value, value)),
        Some((low, high)) => Some((low.min(value), high.max(value))),
    })
}

/// Remembers a one-off request sent, or records the answer to one.
fn note_one_off(
    event: &CapturedEvent,
    pending: &mut HashMap<(ConnId, String), (String, Value)>,
    answers: &mut Vec<RecordedAnswer>,
) {
    match (event.direction, event.kind) {
        (Direction::Out, FrameKind::Request) => {
            let Ok(frame) = serde_json::from_str::<SentRequest<'_>>(&event.raw) else { return };
            let (Some(id), Some(method)) = (frame.id, frame.method) else { return };
            let params = canonical_params(&method, frame.params);
            pending.insert((event.connection, id.get().to_owned()), (method, params));
        }
        (Direction::In, FrameKind::Response | FrameKind::Error) => {
            let Ok(frame) = serde_json::from_str::<ReceivedResponse<'_>>(&event.raw) else { return };
            let Some(id) = frame.id else { return };
            let Some((method, params)) = pending.remove(&(event.connection, id.get().to_owned())) else {
                return;
            };
            let answer = match (frame.result, frame.error) {
                (_, Some(error)) => (AnswerKind::Error, error.get().to_owned()),
                (Some(result), None) => (AnswerKind::Result, result.get().to_owned()),
                (None, None) => return,
            };
            if !answers.iter().any(|known| known.method == method && known.params == params) {
                answers.push(RecordedAnswer { method, params, answer });
            }
        }
        _ => {}
    }
}

/// Where a notification's subscription id sits in its text, and the block or slot it names.
fn locate(text: &str) -> (Option<Range<usize>>, Mark) {
    let Ok(NotificationFrame { params: Some(params) }) = serde_json::from_str::<NotificationFrame<'_>>(text)
    else {
        return (None, Mark::None);
    };
    let id_at = params.subscription.and_then(|raw| {
        // The raw value is a slice of `text`: its place is the distance between the two.
        let start = (raw.get().as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
        let range = start..start + raw.get().len();
        (text.get(range.clone()) == Some(raw.get())).then_some(range)
    });
    let result = params.result.and_then(|raw| serde_json::from_str::<MarkResult>(raw.get()).ok());
    let mark = result.map_or(Mark::None, |result| {
        let hex = result.number.as_ref().and_then(Value::as_str).and_then(parse_quantity);
        let slot = result.slot.as_ref().and_then(Value::as_u64).or(result.context.and_then(|c| c.slot));
        match (hex, slot) {
            (Some(number), _) => Mark::Head(number),
            (None, Some(slot)) => Mark::Slot(slot),
            (None, None) => Mark::None,
        }
    });
    (id_at, mark)
}

/// An Ethereum quantity (`0x1b4`).
fn parse_quantity(text: &str) -> Option<u64> {
    u64::from_str_radix(text.strip_prefix("0x")?, 16).ok()
}
