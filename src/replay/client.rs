//! One client of a replay: what it asks, what it is answered, and its own timeline for each
//! subscription it made. No socket here: the connection task hands it text and the time, and
//! sends what it returns, so the rules can be tested without a server.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::script::{AnswerKind, Mark, RecordedSubscription, Replay};
use super::{ReplayOptions, Speed};
use crate::catalog::{ETH_UNSUBSCRIBE, is_subscribe_method, is_unsubscribe_method};
use crate::demo::rpc::{self, Dialect, RpcError};

/// When a looped subscription's first notification has no recorded lead time, the next round
/// starts after the recorded mean spacing, or after this long if there is none.
const DEFAULT_LEAD_MS: u64 = 1000;

/// How many slots a made-up blockhash stays valid, as on Solana.
const BLOCKHASH_VALID_SLOTS: u64 = 150;

/// The `solana-core` version a replay reports when `getVersion` was not recorded.
const REPLAY_CORE_VERSION: &str = "subscope-replay";

/// The code of an answer the capture does not hold to a method it knows.
const NOT_RECORDED: i64 = -32000;

/// The chain queries nodes answer that a capture may hold answers to: asked for something
/// not recorded, they get [`NOT_RECORDED`], not "Method not found".
const KNOWN_METHODS: [&str; 22] = [
    "eth_getBlockByNumber",
    "eth_getBlockByHash",
    "eth_getLogs",
    "eth_getTransactionByHash",
    "eth_getTransactionReceipt",
    "eth_getBalance",
    "eth_getCode",
    "eth_call",
    "eth_gasPrice",
    "eth_getTransactionCount",
    "getBlocks",
    "getBlock",
    "getBlockHeight",
    "getTransaction",
    "getSignaturesForAddress",
    "getSignatureStatuses",
    "getAccountInfo",
    "getProgramAccounts",
    "getBalance",
    "getEpochInfo",
    "getMultipleAccounts",
    "getTokenAccountsByOwner",
];

/// Whether nodes have `method` (and a capture may hold answers to it).
fn is_known_method(method: &str) -> bool {
    KNOWN_METHODS.contains(&method)
}

/// A subscription this client made, and where it is in the recorded notifications.
#[derive(Debug)]
struct Timeline {
    /// The recorded subscription (an index into the replay's list).
    sub: usize,
    /// The id this client was given, as JSON.
    id: Value,
    /// That id as JSON text, put into every notification.
    id_text: String,
    /// The next notification to send.
    next: usize,
    /// When the current round started (the confirmation, then each loop's start).
    round_start: Instant,
    /// Whether every notification was sent (and it does not loop).
    done: bool,
}

/// One client's replay: its subscriptions' timelines and the answers it is owed.
pub(super) struct ClientReplay {
    replay: Arc<Replay>,
    options: ReplayOptions,
    /// Server-wide counter for fresh subscription ids.
    ids: Arc<AtomicU64>,
    rng: fastrand::Rng,
    timelines: Vec<Timeline>,
    /// The newest block head and slot this client was sent.
    head: Option<u64>,
    slot: Option<u64>,
    /// An HTTP client: no subscriptions, and the replay is at its newest recorded head and
    /// slot.
    http: bool,
}

impl ClientReplay {
    /// A client with no subscriptions.
    pub(super) fn new(replay: Arc<Replay>, options: ReplayOptions, ids: Arc<AtomicU64>) -> Self {
        Self {
            replay,
            options,
            ids,
            rng: fastrand::Rng::new(),
            timelines: Vec::new(),
            head: None,
            slot: None,
            http: false,
        }
    }

    /// A client over HTTP: what it is answered is the same as over the WebSocket, but it
    /// cannot subscribe, and the replay is at the newest head and slot it holds.
    pub(super) fn over_http(replay: Arc<Replay>, options: ReplayOptions, ids: Arc<AtomicU64>) -> Self {
        let head = replay.history.newest_head().or(replay.heads.map(|(_, last)| last));
        let slot = replay.slots.map(|(_, last)| last);
        Self { head, slot, http: true, ..Self::new(replay, options, ids) }
    }

    /// Answers one text frame: a request, a batch, or something that is not JSON. `None`
    /// when nothing is to be sent back (a notification from the client).
    pub(super) fn on_text(&mut self, text: &str, now: Instant) -> Option<String> {
        match serde_json::from_str::<Value>(text) {
            Err(_) => Some(rpc::parse_error()),
            Ok(Value::Array(items)) if items.is_empty() => Some(rpc::empty_batch()),
            Ok(Value::Array(items)) => {
                let replies: Vec<String> =
                    items.iter().filter_map(|item| self.on_request(item, now)).collect();
                (!replies.is_empty()).then(|| format!("[{}]", replies.join(",")))
            }
            Ok(request) => self.on_request(&request, now),
        }
    }

    /// Answers one request object; `None` for one without an id.
    fn on_request(&mut self, request: &Value, now: Instant) -> Option<String> {
        let Value::Object(map) = request else { return Some(invalid_request(&Value::Null)) };
        let id = map.get("id").cloned();
        let Some(method) = map.get("method").and_then(Value::as_str) else {
            return Some(invalid_request(id.as_ref().unwrap_or(&Value::Null)));
        };
        // Matched as a node reads them; named in messages as sent.
        let sent =
            map.get("params").filter(|params| !params.is_null()).cloned().unwrap_or(Value::Array(Vec::new()));
        let params = crate::catalog::canonical_params(method, Some(sent.clone()));
        let dialect = Dialect::of_method(method);
        let outcome = self.dispatch(method, (&params, &sent), now);
        let id = id?;
        Some(match outcome {
            Ok(result) => rpc::success(dialect, &id, &result),
            Err(Reply::Recorded(kind, raw)) => envelope(dialect, &id, kind.member(), &raw),
            Err(Reply::Error(error)) => rpc::failure(dialect, &id, &error),
        })
    }

    /// Runs one method: `Ok` is a result made here, as JSON.
    fn dispatch(
        &mut self,
        method: &str,
        (params, sent): (&Value, &Value),
        now: Instant,
    ) -> Result<String, Reply> {
        if self.http && (is_subscribe_method(method) || is_unsubscribe_method(method)) {
            return Err(Reply::Error(match Dialect::of_method(method) {
                Dialect::Ethereum => crate::demo::ethereum::notifications_not_supported(),
                Dialect::Solana => RpcError::new(rpc::METHOD_NOT_FOUND, "Method not found"),
            }));
        }
        if let Some(sub) = self.replay.find_subscription(method, params) {
            return Ok(self.subscribe(sub, now));
        }
        let known = self.replay.subscriptions.iter().any(|sub| sub.method == method);
        if known || is_subscribe_method(method) {
            let message = self.replay.unmatched_message(method, sent);
            return Err(Reply::Error(RpcError::invalid_params(message)));
        }
        if is_unsubscribe_method(method) {
            return self.unsubscribe(method, params);
        }
        if let Some(answer) = self.replay.find_answer(method, params) {
            return Err(Reply::Recorded(answer.answer.0, answer.answer.1.clone()));
        }
        if let Some(answer) = self.replay.history.query(method, params) {
            return answer.map_err(Reply::Error);
        }
        self.identity(method).ok_or_else(|| {
            // A method a node has, asked for what the capture did not record, is not an
            // unknown method.
            let code = if is_known_method(method) { NOT_RECORDED } else { rpc::METHOD_NOT_FOUND };
            let lead = if code == NOT_RECORDED { "subscope replay" } else { "Method not found" };
            Reply::Error(RpcError::new(
                code,
                format!("{lead}: the capture holds no answer to {method} with these params"),
            ))
        })
    }

    /// Starts a timeline for recorded subscription `sub`; the result is the fresh id.
    fn subscribe(&mut self, sub: usize, now: Instant) -> String {
        let number = self.ids.fetch_add(1, Ordering::Relaxed);
        let string_ids = self.replay.subscriptions.get(sub).is_some_and(|sub| sub.string_ids);
        let id = if string_ids {
            Value::String(format!("0x{:016x}{number:016x}", self.rng.u64(..)))
        } else {
            Value::from(number)
        };
        let id_text = id.to_string();
        let done = self.replay.subscriptions.get(sub).is_none_or(|sub| sub.notifications.is_empty());
        self.timelines.push(Timeline { sub, id, id_text: id_text.clone(), next: 0, round_start: now, done });
        id_text
    }

    /// Ends a timeline of this client: `true`; an id it does not hold gets `false` from an
    /// Ethereum unsubscribe (as geth) and Agave's error from a Solana one.
    fn unsubscribe(&mut self, method: &str, params: &Value) -> Result<String, Reply> {
        let wanted = params.get(0);
        let same = |held: &Value| match (held, wanted) {
            (Value::String(held), Some(Value::String(wanted))) => held.eq_ignore_ascii_case(wanted),
            (held, Some(wanted)) => held == wanted,
            (_, None) => false,
        };
        let before = self.timelines.len();
        self.timelines.retain(|timeline| !same(&timeline.id));
        let removed = self.timelines.len() < before;
        if removed || method == ETH_UNSUBSCRIBE {
            Ok(removed.to_string())
        } else {
            Err(Reply::Error(RpcError::invalid_params(rpc::INVALID_SUBSCRIPTION_ID)))
        }
    }

    /// Answers the identity requests client libraries make before they subscribe, when the
    /// capture did not record them: from what the replay has sent, what it holds, or flags.
    fn identity(&self, method: &str) -> Option<String> {
        let quantity = |value: u64| format!("\"0x{value:x}\"");
        let before_first = |span: Option<(u64, u64)>| span.map(|(first, _)| first.saturating_sub(1));
        match method {
            "eth_chainId" => Some(quantity(self.options.chain_id)),
            "net_version" => Some(format!("\"{}\"", self.options.chain_id)),
            "eth_blockNumber" => {
                Some(quantity(self.head.or(before_first(self.replay.heads)).unwrap_or_default()))
            }
            "getSlot" => Some(self.slot().to_string()),
            "getVersion" => Some(format!(r#"{{"feature-set":0,"solana-core":"{REPLAY_CORE_VERSION}"}}"#)),
            "getHealth" => Some("\"ok\"".to_owned()),
            "getLatestBlockhash" => {
                let slot = self.slot();
                Some(format!(
                    r#"{{"context":{{"slot":{slot}}},"value":{{"blockhash":"{}","lastValidBlockHeight":{}}}}}"#,
                    made_up_hash(slot),
                    slot + BLOCKHASH_VALID_SLOTS
                ))
            }
            "getGenesisHash" => Some(format!("\"{}\"", made_up_hash(0))),
            _ => None,
        }
    }

    /// The slot the replay is at for this client: the newest it was sent, else the one before
    /// the first recorded, else 0.
    fn slot(&self) -> u64 {
        self.slot.or(self.replay.slots.map(|(first, _)| first.saturating_sub(1))).unwrap_or_default()
    }

    /// When the next notification is due, if any is.
    pub(super) fn next_due(&self) -> Option<Instant> {
        self.timelines.iter().filter_map(|timeline| self.due(timeline)).min()
    }

    /// When a timeline's next notification is due.
    fn due(&self, timeline: &Timeline) -> Option<Instant> {
        if timeline.done {
            return None;
        }
        let sub = self.replay.subscriptions.get(timeline.sub)?;
        let notification = sub.notifications.get(timeline.next)?;
        timeline.round_start.checked_add(scale(self.options.speed, notification.offset_ms))
    }

    /// Up to `max` notifications due at `now`, across subscriptions in the order they are due,
    /// each with this client's subscription id.
    pub(super) fn take_due(&mut self, now: Instant, max: usize) -> Vec<String> {
        let mut frames = Vec::new();
        while frames.len() < max {
            let next = self
                .timelines
                .iter()
                .enumerate()
                .filter_map(|(index, timeline)| self.due(timeline).map(|due| (due, index)))
                .filter(|(due, _)| *due <= now)
                .min();
            let Some((_, index)) = next else { break };
            let replay = Arc::clone(&self.replay);
            let Some(timeline) = self.timelines.get_mut(index) else { break };
            let Some(sub) = replay.subscriptions.get(timeline.sub) else { break };
            let Some(notification) = sub.notifications.get(timeline.next) else { break };
            frames.push(match &notification.id_at {
                Some(at) => {
                    let text = notification.text.as_str();
                    format!("{}{}{}", &text[..at.start], timeline.id_text, &text[at.end..])
                }
                None => notification.text.as_str().to_owned(),
            });
            match notification.mark {
                Mark::Head(number) => self.head = Some(number),
                Mark::Slot(slot) => self.slot = Some(slot),
                Mark::None => {}
            }
            timeline.next += 1;
            if timeline.next == sub.notifications.len() {
                if self.options.looping {
                    timeline.next = 0;
                    match timeline.round_start.checked_add(scale(self.options.speed, round_ms(sub))) {
                        Some(start) => timeline.round_start = start,
                        None => timeline.done = true,
                    }
                } else {
                    timeline.done = true;
                }
            }
        }
        frames
    }
}

/// A recorded span at a speed.
fn scale(speed: Speed, ms: u64) -> Duration {
    match speed {
        Speed::Max => Duration::ZERO,
        Speed::Factor(factor) => {
            Duration::try_from_secs_f64(ms as f64 / 1000.0 / factor).unwrap_or(Duration::MAX)
        }
    }
}

/// How long one round of a looped subscription lasts: up to its last notification, plus the
/// lead its first one had (or the mean spacing, or a second).
fn round_ms(sub: &RecordedSubscription) -> u64 {
    let (Some(first), Some(last)) = (sub.notifications.first(), sub.notifications.last()) else {
        return DEFAULT_LEAD_MS;
    };
    let gaps = sub.notifications.len().saturating_sub(1) as u64;
    let mean_gap = last.offset_ms.saturating_sub(first.offset_ms).checked_div(gaps).unwrap_or(0);
    let lead = [first.offset_ms, mean_gap].into_iter().find(|ms| *ms > 0).unwrap_or(DEFAULT_LEAD_MS);
    last.offset_ms + lead
}

/// What a request gets besides a result made here.
enum Reply {
    /// A recorded `result` or `error`, as received.
    Recorded(AnswerKind, String),
    /// An error made here.
    Error(RpcError),
}

/// A response carrying `member` with its JSON as recorded, in the dialect's member order.
fn envelope(dialect: Dialect, id: &Value, member: &str, raw: &str) -> String {
    let id = rpc::id_json(id);
    match dialect {
        Dialect::Solana => format!(r#"{{"jsonrpc":"2.0","{member}":{raw},"id":{id}}}"#),
        Dialect::Ethereum => format!(r#"{{"jsonrpc":"2.0","id":{id},"{member}":{raw}}}"#),
    }
}

/// -32600 for a frame that is JSON but not a request.
fn invalid_request(id: &Value) -> String {
    rpc::failure(Dialect::Solana, id, &RpcError::new(rpc::INVALID_REQUEST, "Invalid request"))
}

/// A well-formed base58 hash of 32 bytes derived from `seed` (the capture names none).
fn made_up_hash(seed: u64) -> String {
    let mut bytes = [7_u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bs58::encode(bytes).into_string()
}
