//! One task per WebSocket connection: it reads requests, answers them, generates the
//! notifications of its subscriptions on the chain clocks, and executes injected faults.
//!
//! Everything the connection sends goes through one FIFO outbox, so responses, notifications
//! and fault actions leave in the order they were produced, and the `delay` fault only has to
//! stamp each entry with a due time.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt as _, StreamExt as _};
use serde::Deserialize as _;
use serde_json::Value;
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{Instant, Interval, MissedTickBehavior, interval_at, sleep_until, timeout};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{WebSocketStream, accept_async_with_config};

use super::ethereum::{self, BlockCtx, BlockRef, EthKind, EthSub};
use super::fault::{
    self, CLOSE_FAULT_CODE, CLOSE_FAULT_REASON, DemoFault, FLOOD_CHUNK, FloodBuilder, FloodTarget,
    MAX_DELAY_MS, MAX_FLOOD_COUNT,
};
use super::rpc::{self, Dialect, RpcError};
use super::shared::{Acquired, Counters, Shared};
use super::solana::{self, AfterSlot, SlotCtx, SolKind};
use crate::catalog::{ETH_SUBSCRIBE, ETH_UNSUBSCRIBE, GETH_MAX_BATCH_ITEMS, MethodSpec};

/// The WebSocket type the demo serves.
type Ws = WebSocketStream<TcpStream>;

/// The largest inbound message the demo accepts. Deliberately not Agave's
/// [`AGAVE_MAX_REQUEST_BYTES`](crate::catalog::AGAVE_MAX_REQUEST_BYTES): one demo socket also serves Helius and Ethereum methods, whose
/// servers take far larger requests (50,000 Helius accounts, 1,000 Alchemy addresses).
const MAX_INBOUND_MESSAGE: usize = 1024 * 1024;

/// How long a client may take to complete the WebSocket handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a closing handshake may take before the TCP connection is just dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_millis(500);

/// A connection that falls this many clock ticks behind jumps to the current height.
const MAX_TICK_LAG: u64 = 5;

/// Server-wide control state, broadcast to every connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Control {
    /// The server is shutting down: close every connection.
    pub(crate) shutdown: bool,
    /// Bumped by `drop_all_connections`: connections from an older generation drop.
    pub(crate) drop_generation: u64,
}

/// Why a connection stops because of its server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// Close politely with 1001.
    Shutdown,
    /// Drop the TCP connection without a close frame.
    Dropped,
}

/// The server's verdict on this connection, if it must stop.
fn stop_reason(control: &watch::Receiver<Control>, generation: u64) -> Option<Stop> {
    let state = *control.borrow();
    if state.shutdown {
        Some(Stop::Shutdown)
    } else if state.drop_generation != generation {
        Some(Stop::Dropped)
    } else {
        None
    }
}

/// A fault that changes what goes on the wire, executed in outbox order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    /// Drop the TCP connection.
    Drop,
    /// Send close 1011.
    Close,
    /// Send the three malformed frames.
    Malformed,
    /// Send one 10 MiB frame.
    Huge,
    /// Send this many small frames as fast as possible.
    Flood(u64),
    /// Stop reading and writing.
    Silence,
    /// Send one frame of this many bytes over this long.
    Trickle(usize, Duration),
}

/// One outbox entry.
#[derive(Debug)]
enum Outgoing {
    /// A text frame.
    Frame(String),
    /// A fault action.
    Act(Action),
}

/// What a request produces besides its response, applied after the response is queued.
#[derive(Debug)]
enum After {
    /// Queue something.
    Send(Outgoing),
    /// Change the added latency for everything queued from now on.
    SetDelay(Duration),
}

/// An outbox entry with its due time (`None` = now).
#[derive(Debug)]
struct Queued {
    /// When it may be sent.
    due: Option<Instant>,
    /// What to send.
    item: Outgoing,
}

/// What the connection loop does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    /// Keep serving.
    Continue,
    /// The client is gone, lagged or asked for a drop: end without a close frame.
    End,
    /// The close fault: send close 1011 and end.
    Close,
    /// The silence fault: stop talking.
    Silence,
    /// The server shuts down.
    Shutdown,
}

/// Serves one accepted TCP connection until the client leaves, a fault ends it, or the server
/// drops or shuts down its connections.
pub(crate) async fn serve(
    tcp: TcpStream,
    shared: Arc<Shared>,
    mut control: watch::Receiver<Control>,
    generation: u64,
    number: u64,
) {
    // Notifications are small and latency matters more than packet count.
    tcp.set_nodelay(true).ok();
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_INBOUND_MESSAGE))
        .max_frame_size(Some(MAX_INBOUND_MESSAGE));
    let handshake = tokio::select! {
        biased;
        _ = control.wait_for(|state| state.shutdown || state.drop_generation != generation) => return,
        result = timeout(HANDSHAKE_TIMEOUT, accept_async_with_config(tcp, Some(config))) => result,
    };
    let Ok(Ok(ws)) = handshake else {
        return;
    };
    let connection = Connection::new(shared, number);
    connection.run(ws, control, generation).await;
}

/// The state of one connection.
struct Connection {
    /// The server's shared state.
    shared: Arc<Shared>,
    /// This connection's random source.
    rng: fastrand::Rng,
    /// Solana subscriptions by server-wide id (the lowest id is the "first" one).
    solana: BTreeMap<u64, SolKind>,
    /// Ethereum subscriptions in creation order.
    ethereum: Vec<EthSub>,
    /// Everything waiting to be sent, in order.
    outbox: VecDeque<Queued>,
    /// Latency added to everything queued (the `delay` fault).
    delay: Duration,
    /// Whether the next subscribe is refused (the `refuse` fault).
    refuse_next: bool,
    /// The outbox overflowed: the client cannot keep up and is dropped (as Agave does).
    lagged: bool,
    /// The last slot this connection announced.
    last_slot: Option<u64>,
    /// The last block tick this connection announced.
    last_block_tick: Option<u64>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        for id in self.solana.keys() {
            self.shared.registry.release(*id);
        }
        self.shared.stats.connections_open.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A clock that first fires one period from now and skips missed ticks.
fn ticker(period: Duration) -> Interval {
    let mut ticker = interval_at(Instant::now() + period, period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    ticker
}

/// Sleeps until `due`, or forever if there is nothing due.
async fn sleep_until_due(due: Option<Instant>) {
    match due {
        Some(due) => sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// The wall clock in milliseconds since the Unix epoch.
fn unix_ms() -> u64 {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

/// The next clock position of a connection: one step after the last, unless the shared clock
/// is far ahead (a stalled connection catches up) or this is the first step.
fn next_tick(last: Option<u64>, clock: u64) -> u64 {
    match last {
        Some(last) if clock <= last.saturating_add(MAX_TICK_LAG) => last.saturating_add(1),
        _ => clock,
    }
}

impl Connection {
    /// A fresh connection with no subscriptions.
    fn new(shared: Arc<Shared>, number: u64) -> Self {
        Counters::bump(&shared.stats.connections_open);
        let rng = fastrand::Rng::with_seed(shared.seed ^ number.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        Self {
            shared,
            rng,
            solana: BTreeMap::new(),
            ethereum: Vec::new(),
            outbox: VecDeque::new(),
            delay: Duration::ZERO,
            refuse_next: false,
            lagged: false,
            last_slot: None,
            last_block_tick: None,
        }
    }

    /// The connection's main loop.
    async fn run(mut self, mut ws: Ws, mut control: watch::Receiver<Control>, generation: u64) {
        let faults = self.shared.connection_faults.clone();
        let mut after = Vec::new();
        for fault in faults {
            self.apply_fault(fault, &mut after);
        }
        self.apply_after(after);

        let clock = &self.shared.clock;
        let mut slot_ticker = ticker(clock.slot_interval);
        let mut block_ticker = ticker(clock.block_interval);
        let mut mempool_ticker = ticker(clock.mempool_interval);
        // Bounded: every iteration either sends, reads, ticks or ends the connection.
        loop {
            if let Some(stop) = stop_reason(&control, generation) {
                return finish(ws, stop).await;
            }
            let flow = if self.front_is_due(Instant::now()) {
                tokio::select! {
                    biased;
                    changed = control.changed() => changed_flow(changed),
                    flow = self.drain(&mut ws) => flow,
                }
            } else {
                let next_due = self.outbox.front().and_then(|queued| queued.due);
                // Priority: server control, then what is due, then the client, then the clocks.
                tokio::select! {
                    biased;
                    changed = control.changed() => changed_flow(changed),
                    () = sleep_until_due(next_due) => Flow::Continue,
                    message = ws.next() => self.on_message(message),
                    _ = slot_ticker.tick() => self.on_slot(),
                    _ = block_ticker.tick() => self.on_block(),
                    _ = mempool_ticker.tick() => self.on_mempool(),
                }
            };
            match flow {
                Flow::Continue => {}
                Flow::End => return,
                Flow::Shutdown => return finish(ws, Stop::Shutdown).await,
                Flow::Close => return close_with_error(ws).await,
                Flow::Silence => return silence(ws, control, generation).await,
            }
        }
    }

    /// Whether the first outbox entry may be sent at `now`.
    fn front_is_due(&self, now: Instant) -> bool {
        self.outbox.front().is_some_and(|queued| queued.due.is_none_or(|due| due <= now))
    }

    /// Queues an entry behind everything else, with the current delay.
    fn enqueue(&mut self, item: Outgoing) {
        let now = Instant::now();
        let mut due = now + self.delay;
        if let Some(last) = self.outbox.back().and_then(|queued| queued.due) {
            // Keep the order even when the delay shrinks.
            due = due.max(last);
        }
        let due = (due > now).then_some(due);
        self.outbox.push_back(Queued { due, item });
        if self.outbox.len() > self.shared.max_outbox {
            self.lagged = true;
        }
    }

    /// Queues a batch of notification frames.
    fn enqueue_frames(&mut self, frames: Vec<String>) {
        for frame in frames {
            self.enqueue(Outgoing::Frame(frame));
        }
    }

    /// Sends every due outbox entry, executing fault actions in order.
    async fn drain(&mut self, ws: &mut Ws) -> Flow {
        let now = Instant::now();
        let mut unflushed = false;
        while self.front_is_due(now) {
            let Some(queued) = self.outbox.pop_front() else {
                break;
            };
            let action = match queued.item {
                Outgoing::Frame(text) => {
                    let len = text.len();
                    if ws.feed(Message::text(text)).await.is_err() {
                        return Flow::End;
                    }
                    self.shared.stats.frame_sent(len);
                    unflushed = true;
                    continue;
                }
                Outgoing::Act(action) => action,
            };
            if unflushed && ws.flush().await.is_err() {
                return Flow::End;
            }
            unflushed = false;
            let sent = match action {
                Action::Drop => return Flow::End,
                Action::Close => return Flow::Close,
                Action::Silence => {
                    self.outbox.clear();
                    return Flow::Silence;
                }
                Action::Malformed => self.send_malformed(ws).await,
                Action::Huge => self.send_huge(ws).await,
                Action::Flood(count) => self.flood(ws, count).await,
                Action::Trickle(bytes, over) => self.trickle(ws, bytes, over).await,
            };
            if sent.is_err() {
                return Flow::End;
            }
        }
        if unflushed && ws.flush().await.is_err() {
            return Flow::End;
        }
        Flow::Continue
    }

    /// The malformed fault: a non-JSON text frame, a JSON frame of unknown shape and a
    /// non-UTF-8 binary frame.
    async fn send_malformed(&mut self, ws: &mut Ws) -> Result<(), WsError> {
        let frames = [
            Message::text(fault::MALFORMED_TEXT),
            Message::text(fault::MALFORMED_JSON),
            Message::binary(fault::MALFORMED_BINARY),
        ];
        for frame in frames {
            let len = frame.len();
            ws.feed(frame).await?;
            self.shared.stats.frame_sent(len);
        }
        ws.flush().await
    }

    /// The huge fault: one logsNotification of at least 10 MiB.
    async fn send_huge(&mut self, ws: &mut Ws) -> Result<(), WsError> {
        let subscription = self.first_solana_logs().unwrap_or(0);
        let frame = fault::huge_frame(subscription, self.shared.clock.slot(), &mut self.rng);
        let len = frame.len();
        ws.send(Message::text(frame)).await?;
        self.shared.stats.frame_sent(len);
        Ok(())
    }

    /// The trickle fault: one big frame written straight to the TCP socket in slices, evenly
    /// over `over`, so the client receives its bytes slowly and nothing else meanwhile.
    async fn trickle(&mut self, ws: &mut Ws, bytes: usize, over: Duration) -> Result<(), WsError> {
        use tokio::io::AsyncWriteExt as _;

        const SLICES: u32 = 50;
        let subscription = self.first_solana_logs().unwrap_or(0);
        let payload = fault::sized_frame(subscription, self.shared.clock.slot(), bytes, &mut self.rng);
        // An unmasked text frame with a 64-bit length: what tungstenite would send, written by
        // hand so it can be slowed down.
        let mut frame = Vec::with_capacity(payload.len() + 10);
        frame.push(0x81);
        frame.push(127);
        frame.extend_from_slice(&(payload.len() as u64).to_be_bytes());
        frame.extend_from_slice(payload.as_bytes());
        ws.flush().await?; // nothing of tungstenite's may be half written before ours
        let slice = frame.len().div_ceil(SLICES as usize);
        let pause = over / SLICES;
        let socket = ws.get_mut();
        for part in frame.chunks(slice) {
            socket.write_all(part).await?;
            socket.flush().await?;
            tokio::time::sleep(pause).await;
        }
        self.shared.stats.frame_sent(payload.len());
        Ok(())
    }

    /// The flood fault: `count` small logs frames, fed in chunks and flushed once per chunk.
    async fn flood(&mut self, ws: &mut Ws, count: u64) -> Result<(), WsError> {
        let (target, height) = match (self.first_solana_logs(), self.first_eth_logs()) {
            (Some(id), _) => (FloodTarget::SolanaLogs(id), self.shared.clock.slot()),
            (None, Some(id)) => {
                (FloodTarget::EthLogs(id), BlockRef::at_tick(self.shared.clock.block_tick()).number)
            }
            (None, None) => (FloodTarget::SolanaLogs(0), self.shared.clock.slot()),
        };
        let builder = FloodBuilder::new(&target, height, &mut self.rng);
        let chunk = u64::try_from(FLOOD_CHUNK).unwrap_or(1);
        let mut sent = 0_u64;
        // Bounded: `count` is capped at MAX_FLOOD_COUNT and every pass sends a chunk.
        while sent < count {
            let size = usize::try_from((count - sent).min(chunk)).unwrap_or(FLOOD_CHUNK);
            let mut bytes = 0_usize;
            for frame in builder.chunk(sent, size) {
                bytes += frame.len();
                ws.feed(frame).await?;
            }
            ws.flush().await?;
            let stats = &self.shared.stats;
            stats
                .frames_sent
                .fetch_add(u64::try_from(size).unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
            stats
                .bytes_sent
                .fetch_add(u64::try_from(bytes).unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
            sent = sent.saturating_add(u64::try_from(size).unwrap_or(chunk));
        }
        Ok(())
    }

    /// The lowest-numbered Solana logs subscription of this connection.
    fn first_solana_logs(&self) -> Option<u64> {
        self.solana.iter().find(|(_, kind)| matches!(kind, SolKind::Logs { .. })).map(|(id, _)| *id)
    }

    /// The first Ethereum logs subscription of this connection.
    fn first_eth_logs(&self) -> Option<String> {
        self.ethereum.iter().find(|sub| matches!(sub.kind, EthKind::Logs(_))).map(|sub| sub.id.clone())
    }

    /// Handles one inbound WebSocket message.
    fn on_message(&mut self, message: Option<Result<Message, WsError>>) -> Flow {
        let Some(Ok(message)) = message else {
            return Flow::End;
        };
        match message {
            Message::Text(text) => self.on_text(text.as_str()),
            Message::Binary(data) => match std::str::from_utf8(&data) {
                Ok(text) => self.on_text(text),
                // Agave closes the connection without replying to non-UTF-8 data.
                Err(_) => return Flow::End,
            },
            // Pings are answered by tungstenite; a close is answered and ends the next read.
            Message::Ping(_) | Message::Pong(_) | Message::Close(_) | Message::Frame(_) => {}
        }
        if self.lagged { Flow::End } else { Flow::Continue }
    }

    /// Handles one text frame: a request, a batch, or garbage.
    fn on_text(&mut self, text: &str) {
        let mut after = Vec::new();
        let response = match serde_json::from_str::<Value>(text) {
            Err(_) => {
                Counters::bump(&self.shared.stats.requests_received);
                Some(rpc::parse_error())
            }
            Ok(Value::Array(items)) => self.on_batch(&items, &mut after),
            Ok(request) => {
                Counters::bump(&self.shared.stats.requests_received);
                self.on_request(&request, &mut after)
            }
        };
        if let Some(response) = response {
            self.enqueue(Outgoing::Frame(response));
        }
        self.apply_after(after);
    }

    /// Applies what requests produced besides their responses.
    fn apply_after(&mut self, after: Vec<After>) {
        for item in after {
            match item {
                After::Send(item) => self.enqueue(item),
                After::SetDelay(delay) => self.delay = delay,
            }
        }
    }

    /// Answers a batch with one array (or nothing if it held only notifications).
    fn on_batch(&mut self, items: &[Value], after: &mut Vec<After>) -> Option<String> {
        let invalid = |message: &str| {
            Some(rpc::failure(Dialect::Solana, &Value::Null, &RpcError::new(rpc::INVALID_REQUEST, message)))
        };
        if items.is_empty() {
            Counters::bump(&self.shared.stats.requests_received);
            return invalid("Invalid request");
        }
        if items.len() > GETH_MAX_BATCH_ITEMS {
            Counters::bump(&self.shared.stats.requests_received);
            return invalid("batch too large");
        }
        let mut responses = Vec::with_capacity(items.len());
        for item in items {
            Counters::bump(&self.shared.stats.requests_received);
            if let Some(response) = self.on_request(item, after) {
                responses.push(response);
            }
        }
        (!responses.is_empty()).then(|| format!("[{}]", responses.join(",")))
    }

    /// Answers one request object; `None` for a notification (no `id`).
    fn on_request(&mut self, request: &Value, after: &mut Vec<After>) -> Option<String> {
        let invalid_request = |dialect, id: &Value| {
            rpc::failure(dialect, id, &RpcError::new(rpc::INVALID_REQUEST, "Invalid request"))
        };
        let Value::Object(map) = request else {
            return Some(invalid_request(Dialect::Solana, &Value::Null));
        };
        let method = map.get("method").and_then(Value::as_str);
        let dialect = method.map_or(Dialect::Solana, Dialect::of_method);
        let id = match map.get("id") {
            None => None,
            Some(id @ (Value::Null | Value::Number(_) | Value::String(_))) => Some(id.clone()),
            Some(_) => return Some(invalid_request(dialect, &Value::Null)),
        };
        let reply_id = id.clone().unwrap_or(Value::Null);
        if map.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Some(match dialect {
                Dialect::Solana => rpc::unsupported_version(&reply_id),
                Dialect::Ethereum => invalid_request(dialect, &reply_id),
            });
        }
        let Some(method) = method else {
            return Some(invalid_request(dialect, &reply_id));
        };
        let params: &[Value] = match map.get("params") {
            None | Some(Value::Null) => &[],
            Some(Value::Array(params)) => params,
            Some(Value::Object(_)) => {
                let error =
                    RpcError::invalid_params("Invalid params: invalid type: map, expected a sequence.");
                return id.map(|id| rpc::failure(dialect, &id, &error));
            }
            Some(_) => return Some(invalid_request(dialect, &reply_id)),
        };
        let result = self.dispatch(method, params, after);
        let id = id?;
        Some(match result {
            Ok(result) => rpc::success(dialect, &id, &result),
            Err(error) => rpc::failure(dialect, &id, &error),
        })
    }

    /// Runs one method; the result is JSON.
    fn dispatch(
        &mut self,
        method: &str,
        params: &[Value],
        after: &mut Vec<After>,
    ) -> Result<String, RpcError> {
        if method == fault::FAULT_METHOD {
            return self.fault_request(params, after);
        }
        if Dialect::of_method(method) == Dialect::Ethereum {
            return match method {
                ETH_SUBSCRIBE => self.eth_subscribe(params, after),
                ETH_UNSUBSCRIBE => self.eth_unsubscribe(params),
                _ => {
                    let head = BlockRef::at_tick(self.shared.clock.block_tick()).number;
                    ethereum::one_off(method, head, &mut self.rng)
                        .ok_or_else(|| ethereum::unknown_method(method))
                }
            };
        }
        if let Some(parse) = solana::subscribe_parser(method) {
            return self.solana_subscribe(parse(params)?);
        }
        if let Some(spec) = solana::unsubscribed_by(method) {
            return self.solana_unsubscribe(spec, params);
        }
        solana::one_off(method, params, self.shared.clock.slot())
            .ok_or_else(|| RpcError::new(rpc::METHOD_NOT_FOUND, "Method not found"))
    }

    /// The `refuse` fault and the per-connection cap, checked by every subscribe.
    fn admit_subscription(&mut self) -> Result<(), RpcError> {
        let refused = || RpcError::new(rpc::INTERNAL_ERROR, rpc::SUBSCRIPTION_REFUSED);
        if self.refuse_next {
            self.refuse_next = false;
            return Err(refused());
        }
        if self.solana.len() + self.ethereum.len() >= self.shared.max_subscriptions_per_connection {
            return Err(refused());
        }
        Ok(())
    }

    /// A Solana subscribe whose params parsed: admit, de-duplicate server-wide, remember.
    fn solana_subscribe(&mut self, kind: SolKind) -> Result<String, RpcError> {
        self.admit_subscription()?;
        let key = kind.deduplicated().then(|| format!("{}:{kind:?}", kind.spec().rpc_method));
        let held = &self.solana;
        let id = match self.shared.registry.acquire(key, |id| held.contains_key(&id)) {
            Acquired::Id(id) => id,
            Acquired::Refused => {
                return Err(RpcError::new(rpc::INTERNAL_ERROR, rpc::SUBSCRIPTION_REFUSED));
            }
        };
        self.solana.insert(id, kind);
        Counters::bump(&self.shared.stats.subscriptions_created);
        Ok(id.to_string())
    }

    /// The unsubscribe method of `spec`: true, or "Invalid subscription id." for ids this
    /// connection does not hold as subscriptions of that method.
    fn solana_unsubscribe(&mut self, spec: &MethodSpec, params: &[Value]) -> Result<String, RpcError> {
        let id = solana::parse_unsubscribe(params)?;
        match self.solana.get(&id) {
            Some(kind) if kind.spec().id == spec.id => {
                self.solana.remove(&id);
                self.shared.registry.release(id);
                Ok("true".to_owned())
            }
            _ => Err(RpcError::invalid_params(rpc::INVALID_SUBSCRIPTION_ID)),
        }
    }

    /// `eth_subscribe`: validate, create a random id, remember.
    fn eth_subscribe(&mut self, params: &[Value], after: &mut Vec<After>) -> Result<String, RpcError> {
        let kind = ethereum::parse_subscribe(params)?;
        self.admit_subscription()?;
        let sub = EthSub::new(kind, &mut self.rng);
        let id = sub.id.clone();
        if let Some(frame) = ethereum::syncing_notification(&sub) {
            after.push(After::Send(Outgoing::Frame(frame)));
        }
        self.ethereum.push(sub);
        Counters::bump(&self.shared.stats.subscriptions_created);
        Ok(super::fake::json_str(&id))
    }

    /// `eth_unsubscribe`: true if the id existed on this connection, else false (as anvil).
    fn eth_unsubscribe(&mut self, params: &[Value]) -> Result<String, RpcError> {
        let id = ethereum::parse_unsubscribe(params)?;
        let before = self.ethereum.len();
        self.ethereum.retain(|sub| !sub.id.eq_ignore_ascii_case(id));
        Ok((self.ethereum.len() < before).to_string())
    }

    /// `demo_fault [{"kind":…}]`.
    fn fault_request(&mut self, params: &[Value], after: &mut Vec<After>) -> Result<String, RpcError> {
        let first = params.first().ok_or_else(|| rpc::missing_params(1))?;
        let fault = DemoFault::deserialize(first)
            .map_err(|err| RpcError::invalid_params(format!("Invalid params: {err}.")))?;
        self.apply_fault(fault, after);
        Ok("true".to_owned())
    }

    /// Turns a fault into state changes and queued actions.
    fn apply_fault(&mut self, fault: DemoFault, after: &mut Vec<After>) {
        Counters::bump(&self.shared.stats.faults_injected);
        let action = match fault {
            DemoFault::Delay { ms } => {
                after.push(After::SetDelay(Duration::from_millis(ms.min(MAX_DELAY_MS))));
                return;
            }
            DemoFault::Refuse => {
                self.refuse_next = true;
                return;
            }
            DemoFault::Drop => Action::Drop,
            DemoFault::Close => Action::Close,
            DemoFault::Malformed => Action::Malformed,
            DemoFault::Huge => Action::Huge,
            DemoFault::Flood { count } => Action::Flood(count.min(MAX_FLOOD_COUNT)),
            DemoFault::Silence => Action::Silence,
            DemoFault::Trickle { bytes, ms } => Action::Trickle(
                bytes.min(fault::MAX_TRICKLE_BYTES),
                Duration::from_millis(ms.min(fault::MAX_DELAY_MS)),
            ),
        };
        after.push(After::Send(Outgoing::Act(action)));
    }

    /// One Solana slot: every Solana subscription may notify.
    fn on_slot(&mut self) -> Flow {
        if self.solana.is_empty() {
            self.last_slot = None;
            return Flow::Continue;
        }
        let slot = next_tick(self.last_slot, self.shared.clock.slot());
        self.last_slot = Some(slot);
        let ctx = SlotCtx { slot, unix_ms: unix_ms(), seed: self.shared.clock.seed };
        let mut frames = Vec::new();
        let mut finished = Vec::new();
        for (id, kind) in &mut self.solana {
            if solana::notify_slot(*id, kind, &ctx, &mut self.rng, &mut frames) == AfterSlot::Remove {
                finished.push(*id);
            }
        }
        for id in finished {
            self.solana.remove(&id);
            self.shared.registry.release(id);
        }
        self.enqueue_frames(frames);
        if self.lagged { Flow::End } else { Flow::Continue }
    }

    /// One Ethereum block (or reorg): heads, logs and mined transactions.
    fn on_block(&mut self) -> Flow {
        let watches_blocks = self.ethereum.iter().any(|sub| {
            matches!(sub.kind, EthKind::NewHeads | EthKind::Logs(_) | EthKind::AlchemyMined { .. })
        });
        if !watches_blocks {
            self.last_block_tick = None;
            return Flow::Continue;
        }
        let tick = next_tick(self.last_block_tick, self.shared.clock.block_tick());
        self.last_block_tick = Some(tick);
        let ctx = BlockCtx {
            block: BlockRef::at_tick(tick),
            timestamp: unix_ms() / 1000,
            seed: self.shared.clock.seed,
        };
        let mut frames = Vec::new();
        for sub in &mut self.ethereum {
            ethereum::notify_block(sub, &ctx, &mut self.rng, &mut frames);
        }
        self.enqueue_frames(frames);
        if self.lagged { Flow::End } else { Flow::Continue }
    }

    /// One mempool tick: pending transactions.
    fn on_mempool(&mut self) -> Flow {
        let mut frames = Vec::new();
        for sub in &self.ethereum {
            ethereum::notify_mempool(sub, &mut self.rng, &mut frames);
        }
        self.enqueue_frames(frames);
        if self.lagged { Flow::End } else { Flow::Continue }
    }
}

/// A connection with no socket, so tests can hand client messages straight to the handler the
/// socket loop uses (`on_message`) and read what it queued, without a server per case.
#[cfg(test)]
pub(super) struct Detached(Connection);

#[cfg(test)]
impl Detached {
    /// A fresh connection of the server whose state is `shared`.
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self(Connection::new(shared, 1))
    }

    /// Handles one client message as the socket loop does. Returns the text frames it queued
    /// (responses and notifications, in order; fault actions are left out) and whether the
    /// connection goes on.
    pub(super) fn receive(&mut self, message: Message) -> (Vec<String>, bool) {
        let flow = self.0.on_message(Some(Ok(message)));
        (self.take_frames(), flow == Flow::Continue)
    }

    /// Runs one slot, block and mempool tick and returns the notifications they queued.
    pub(super) fn tick(&mut self) -> Vec<String> {
        self.0.on_slot();
        self.0.on_block();
        self.0.on_mempool();
        self.take_frames()
    }

    /// Empties the outbox, keeping the text frames.
    fn take_frames(&mut self) -> Vec<String> {
        self.0
            .outbox
            .drain(..)
            .filter_map(|queued| match queued.item {
                Outgoing::Frame(text) => Some(text),
                Outgoing::Act(_) => None,
            })
            .collect()
    }
}

/// The flow after the control channel changed (or its sender is gone).
fn changed_flow(changed: Result<(), watch::error::RecvError>) -> Flow {
    match changed {
        // The loop re-reads the control state at its top.
        Ok(()) => Flow::Continue,
        Err(_) => Flow::Shutdown,
    }
}

/// Ends a connection on the server's behalf.
async fn finish(ws: Ws, stop: Stop) {
    match stop {
        // Dropping the stream closes TCP without a close frame.
        Stop::Dropped => drop(ws),
        Stop::Shutdown => {
            close(ws, CloseCode::Away, "demo server shutting down").await;
        }
    }
}

/// The close fault: close 1011 with a reason.
async fn close_with_error(ws: Ws) {
    close(ws, CloseCode::from(CLOSE_FAULT_CODE), CLOSE_FAULT_REASON).await;
}

/// Sends a close frame and waits briefly for the client's reply.
async fn close(mut ws: Ws, code: CloseCode, reason: &'static str) {
    let frame = CloseFrame { code, reason: reason.into() };
    if timeout(CLOSE_TIMEOUT, ws.close(Some(frame))).await.is_err() {
        return;
    }
    // Read until the client's close reply ends the stream (bounded by the timeout).
    timeout(CLOSE_TIMEOUT, async { while let Some(Ok(_)) = ws.next().await {} }).await.ok();
}

/// The silence fault: stop answering anything (pings included) but keep the TCP connection
/// open, discarding what arrives, until the client leaves or the server stops this connection.
async fn silence(ws: Ws, mut control: watch::Receiver<Control>, generation: u64) {
    let mut tcp = ws.into_inner();
    let mut sink = vec![0_u8; 4096];
    // Bounded: ends at EOF, on a read error, or when the server stops the connection.
    loop {
        if stop_reason(&control, generation).is_some() {
            return;
        }
        tokio::select! {
            changed = control.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            read = tcp.read(&mut sink) => {
                if matches!(read, Ok(0) | Err(_)) {
                    return;
                }
            }
        }
    }
}
