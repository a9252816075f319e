//! A capture read for an audit: what each subscription delivered, when it was active, and
//! the clocks (heads and slots received over time) that map its active window to blocks.
//!
//! The file is streamed through the same import as `show` and the window's Open, and only the
//! items' identities are kept, so an audit holds a few hundred bytes per notification,
//! however large the frames.

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::capture::{CapturedEvent, ConnId, Direction, SubKey};
use crate::catalog::{ItemKey, Payload, is_unsubscribe_method, item_key, payload_for};
use crate::export::{CaptureContext, ImportError, ImportOptions, Progress, import_file_each};
use crate::protocol::FrameKind;

/// One notification's item, as delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveredItem {
    /// Its place in the capture.
    pub seq: u64,
    /// When it was received, ms since the epoch.
    pub at_ms: u64,
    /// What it is (slot, head, log, transaction).
    pub key: ItemKey,
    /// A log's block number (its key names the block by hash only).
    pub block: Option<u64>,
    /// A slot notification's root.
    pub root: Option<u64>,
    /// Whether a backfill recovered it rather than the subscription delivering it.
    pub recovered: bool,
}

/// What one subscription of the capture delivered, and when it was active.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivered {
    /// The subscription's local key in the capture.
    pub key: SubKey,
    /// The connection it was made on.
    pub connection: ConnId,
    /// That connection's endpoint, as the capture holds it (redacted).
    pub endpoint: String,
    /// The subscribe method.
    pub method: String,
    /// Its params.
    pub params: Option<Value>,
    /// What its notifications carry.
    pub payload: Payload,
    /// When the server first confirmed it, ms since the epoch (`None` when the capture
    /// holds no answer for it).
    pub answered_at_ms: Option<u64>,
    /// When it stopped: its unsubscribe request, else the last event on its connection.
    pub ended_at_ms: u64,
    /// Its notifications' items, in capture order.
    pub items: Vec<DeliveredItem>,
    /// Notifications whose item could not be read (a frame of another shape).
    pub unreadable: u64,
    /// Whether the server refused it (an error answer and never a confirmation).
    pub refused: bool,
}

impl Delivered {
    /// When the subscription became active: its answer, else its first notification.
    pub fn started_at_ms(&self) -> Option<u64> {
        self.answered_at_ms.or_else(|| self.items.first().map(|item| item.at_ms))
    }
}

/// A block or slot seen on an endpoint at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tick {
    /// When it was received, ms since the epoch.
    pub at_ms: u64,
    /// The block number or slot.
    pub height: u64,
    /// For a slot, the root the node had then.
    pub root: Option<u64>,
}

/// A capture as an audit reads it.
#[derive(Clone, Debug, Default)]
pub struct AuditCapture {
    /// Every subscription, in the order the capture first names them.
    pub subscriptions: Vec<Delivered>,
    /// Heads received per endpoint (`newHeads`), in time order.
    pub heads: HashMap<String, Vec<Tick>>,
    /// Slots received per endpoint (`slotSubscribe`), in time order.
    pub slots: HashMap<String, Vec<Tick>>,
}

/// Reads a capture file (NDJSON, JSON or HAR) for an audit.
///
/// # Errors
/// The file cannot be read, or a line of it is not an event (named).
pub fn read_capture(path: &Path, progress: &Progress) -> Result<AuditCapture, ImportError> {
    let mut reading = Reading::default();
    let mut each = |context: &CaptureContext, event: CapturedEvent| {
        reading.observe(context, &event);
        ControlFlow::Continue(())
    };
    let imported = import_file_each(path, progress, ImportOptions::default(), &mut each);
    if let Some(error) = imported.error {
        return Err(error);
    }
    Ok(reading.finish(&imported.context))
}

/// What is gathered while the file streams by.
#[derive(Default)]
struct Reading {
    /// Subscriptions by key, with the order they were first seen.
    subscriptions: BTreeMap<SubKey, (u64, Delivered)>,
    /// The last event's time per connection.
    last_at: HashMap<ConnId, u64>,
    seen: u64,
}

impl Reading {
    fn observe(&mut self, context: &CaptureContext, event: &CapturedEvent) {
        let last = self.last_at.entry(event.connection).or_default();
        *last = (*last).max(event.received_at_ms);
        let Some(key) = event.subscription else { return };
        let seen = self.seen;
        let (_, delivered) =
            self.subscriptions.entry(key).or_insert_with(|| (seen, blank(context, key, event.connection)));
        self.seen += 1;
        match (event.direction, event.kind) {
            (Direction::In, FrameKind::Response) => {
                delivered.answered_at_ms.get_or_insert(event.received_at_ms);
            }
            (Direction::In, FrameKind::Error) => delivered.refused = true,
            (Direction::Out, FrameKind::Request)
                if event.method.as_deref().is_some_and(is_unsubscribe_method)
                    && delivered.ended_at_ms == 0 =>
            {
                delivered.ended_at_ms = event.received_at_ms;
            }
            (Direction::In, FrameKind::Notification) => {
                let Some(key) = item_key(&event.raw) else {
                    delivered.unreadable += 1;
                    return;
                };
                // Only logs and slots carry something their key leaves out.
                let extra = matches!(delivered.payload, Payload::EthLogs | Payload::SolanaSlot)
                    .then(|| extra_of(&event.raw))
                    .flatten();
                delivered.items.push(DeliveredItem {
                    seq: event.seq,
                    at_ms: event.received_at_ms,
                    key,
                    block: extra.as_ref().and_then(Extra::block_number),
                    root: extra.and_then(|extra| extra.root),
                    recovered: is_recovered(event),
                });
            }
            _ => {}
        }
    }

    fn finish(self, context: &CaptureContext) -> AuditCapture {
        let mut ordered: Vec<(u64, Delivered)> = self.subscriptions.into_values().collect();
        ordered.sort_by_key(|(seen, _)| *seen);
        let mut capture = AuditCapture::default();
        for (_, mut delivered) in ordered {
            if let Some(info) = context.subscriptions.get(&delivered.key) {
                delivered.method.clone_from(&info.method);
                delivered.params.clone_from(&info.params);
            }
            if let Some(connection) = context.connections.get(&delivered.connection) {
                delivered.endpoint.clone_from(&connection.endpoint);
            }
            delivered.payload = payload_for(&delivered.method, delivered.params.as_ref());
            if delivered.ended_at_ms == 0 {
                delivered.ended_at_ms = self.last_at.get(&delivered.connection).copied().unwrap_or_default();
            }
            capture.add_ticks(&delivered);
            capture.subscriptions.push(delivered);
        }
        for ticks in capture.heads.values_mut().chain(capture.slots.values_mut()) {
            ticks.sort_by_key(|tick| tick.at_ms);
        }
        capture
    }
}

impl AuditCapture {
    /// A heads or slots subscription's items, as the clock of its endpoint.
    fn add_ticks(&mut self, delivered: &Delivered) {
        let clock = match delivered.payload {
            Payload::EthNewHeads => &mut self.heads,
            Payload::SolanaSlot => &mut self.slots,
            _ => return,
        };
        let ticks = clock.entry(delivered.endpoint.clone()).or_default();
        // A recovered row was received when the backfill ran, not when the chain made it.
        let live = delivered.items.iter().filter(|item| !item.recovered);
        ticks.extend(
            live.filter_map(|item| {
                Some(Tick { at_ms: item.at_ms, height: item.key.height?, root: item.root })
            }),
        );
    }
}

/// A subscription first seen, named as the capture names it so far (the end of the file may
/// name it again; [`Reading::finish`] takes the last word).
fn blank(context: &CaptureContext, key: SubKey, connection: ConnId) -> Delivered {
    let info = context.subscriptions.get(&key);
    let method = info.map(|info| info.method.clone()).unwrap_or_default();
    let params = info.and_then(|info| info.params.clone());
    Delivered {
        key,
        connection,
        endpoint: String::new(),
        payload: payload_for(&method, params.as_ref()),
        method,
        params,
        answered_at_ms: None,
        ended_at_ms: 0,
        items: Vec::new(),
        unreadable: 0,
        refused: false,
    }
}

/// Whether an event is a row a backfill recovered rather than one the subscription delivered
/// (the capture marks it: `"source":{"recovered":…}`). The one place that decides it.
fn is_recovered(event: &CapturedEvent) -> bool {
    event.recovered.is_some()
}

/// What an item's key leaves out: a log's block number, a slot notification's root.
#[derive(Deserialize)]
struct Frame {
    params: Option<Params>,
}

#[derive(Deserialize)]
struct Params {
    result: Option<Extra>,
}

#[derive(Deserialize)]
struct Extra {
    #[serde(default, rename = "blockNumber")]
    block_number: Option<String>,
    #[serde(default)]
    root: Option<u64>,
}

impl Extra {
    /// The log's block number.
    fn block_number(&self) -> Option<u64> {
        crate::rpc::quantity(&Value::from(self.block_number.as_deref()?))
    }
}

/// What a log or slot notification's key leaves out.
fn extra_of(raw: &str) -> Option<Extra> {
    serde_json::from_str::<Frame>(raw).ok()?.params?.result
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::capture::{Recovery, RecoveryReason, RecoveryVia};
    use crate::export::SubscriptionInfo;

    fn event(
        seq: u64,
        sub: SubKey,
        direction: Direction,
        kind: FrameKind,
        method: Option<&str>,
        raw: &str,
    ) -> CapturedEvent {
        CapturedEvent {
            seq,
            received_at_ms: 1_000 + seq,
            connection: 1,
            subscription: Some(sub),
            direction,
            kind,
            method: method.map(Arc::from),
            raw: raw.to_owned().into(),
            redacted: false,
            recovered: None,
        }
    }

    fn recovered(mut event: CapturedEvent) -> CapturedEvent {
        event.recovered = Some(Recovery::new(RecoveryReason::Gap, RecoveryVia::GetBlocks));
        event
    }

    fn context() -> CaptureContext {
        let mut context = CaptureContext::default();
        context.add_connection(1, "node", "ws://127.0.0.1:8900");
        for (key, method, params) in [
            (1, "slotSubscribe", None),
            (2, "logsSubscribe", Some(json!([{"mentions": ["A"]}]))),
            (3, "rootSubscribe", None),
        ] {
            let info = SubscriptionInfo { method: method.into(), params, server_id: None };
            context.subscriptions.insert(key, info);
        }
        context
    }

    #[test]
    fn windows_items_clocks_and_refusals_are_read_from_the_events() {
        let context = context();
        let slot = |seq, slot: u64| {
            let raw = format!(
                r#"{{"method":"slotNotification","params":{{"result":{{"slot":{slot},"parent":{},"root":{}}},"subscription":0}}}}"#,
                slot - 1,
                slot - 3
            );
            event(seq, 1, Direction::In, FrameKind::Notification, Some("slotNotification"), &raw)
        };
        let events = [
            event(0, 1, Direction::In, FrameKind::Response, None, r#"{"result":0,"id":1}"#),
            event(1, 2, Direction::In, FrameKind::Response, None, r#"{"result":1,"id":2}"#),
            event(
                2,
                3,
                Direction::In,
                FrameKind::Error,
                None,
                r#"{"error":{"code":-32603,"message":"no"},"id":3}"#,
            ),
            slot(3, 40),
            slot(4, 41),
            event(
                5,
                2,
                Direction::Out,
                FrameKind::Request,
                Some("logsUnsubscribe"),
                r#"{"method":"logsUnsubscribe","params":[1],"id":4}"#,
            ),
            recovered(slot(6, 42)),
            event(
                7,
                1,
                Direction::In,
                FrameKind::Notification,
                Some("slotNotification"),
                r#"{"method":"slotNotification","params":{"result":"odd"}}"#,
            ),
        ];
        let mut reading = Reading::default();
        for event in &events {
            reading.observe(&context, event);
        }
        let capture = reading.finish(&context);
        let [slots, logs, roots] =
            [&capture.subscriptions[0], &capture.subscriptions[1], &capture.subscriptions[2]];
        assert_eq!(
            (slots.payload, slots.answered_at_ms, slots.ended_at_ms),
            (Payload::SolanaSlot, Some(1_000), 1_007)
        );
        assert_eq!(
            slots.items.iter().map(|item| (item.key.height, item.root)).collect::<Vec<_>>(),
            [(Some(40), Some(37)), (Some(41), Some(38)), (Some(42), Some(39))]
        );
        assert_eq!(slots.unreadable, 1);
        let recovered: Vec<bool> = slots.items.iter().map(|item| item.recovered).collect();
        assert_eq!(recovered, [false, false, true], "the backfilled slot is marked");
        assert_eq!((logs.answered_at_ms, logs.ended_at_ms), (Some(1_001), 1_005), "ended by its unsubscribe");
        assert!(roots.refused && !slots.refused);
        let clock = &capture.slots["ws://127.0.0.1:8900"];
        assert_eq!(
            clock.iter().map(|tick| (tick.at_ms, tick.height)).collect::<Vec<_>>(),
            [(1_003, 40), (1_004, 41)]
        );
        assert!(capture.heads.is_empty());
    }
}
