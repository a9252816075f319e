//! One task per WebSocket connection: it reads requests, answers them, generates the
//! notifications of its subscriptions on the chain clocks, and executes injected faults.
//!
//! Everything the connection sends goes through one FIFO outbox (`outbox.rs`), so responses,
//! notifications and fault actions leave in the order they were produced, and the `delay`
//! fault only has to stamp each entry with a due time. This file holds the socket loop;
//! requests are answered in `dispatch.rs`, faults carried out in `faults.rs`, and the chain
//! clocks' notifications generated in `clocks.rs`.

mod clocks;
mod dispatch;
mod faults;
mod outbox;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::io::AsyncReadExt as _;
use tokio::sync::watch;
use tokio::time::{Instant, Interval, MissedTickBehavior, interval_at, sleep_until};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::ethereum::{EthSub, Limits};
use super::fault::{CLOSE_FAULT_CODE, CLOSE_FAULT_REASON};
use super::shared::{Clock, Counters, Shared};
use super::solana::SolKind;
use crate::demo::http::DemoHttp;
use crate::demo::url_faults::{self, UrlFaults};
use crate::loopback::{Accepted, Ws, close};
#[cfg(test)]
use outbox::Outgoing;
use outbox::Queued;
#[cfg(test)]
use tokio_tungstenite::tungstenite::Message;

/// The largest inbound message the demo accepts. Deliberately not Agave's
/// [`AGAVE_MAX_REQUEST_BYTES`](crate::catalog::AGAVE_MAX_REQUEST_BYTES): one demo socket also
/// serves Helius and Ethereum methods, whose servers take far larger requests (50,000 Helius
/// accounts, 1,000 Alchemy addresses).
const MAX_INBOUND_MESSAGE: usize = 1024 * 1024;

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
    accepted: Accepted,
    shared: Arc<Shared>,
    http: Arc<DemoHttp>,
    mut control: watch::Receiver<Control>,
    generation: u64,
    number: u64,
) {
    let stopped = control.wait_for(|state| state.shutdown || state.drop_generation != generation);
    let mut faults = UrlFaults::default();
    let read_faults = url_faults::read_faults(&mut faults);
    let auth = shared.basic_auth.as_ref();
    // Missing credentials are refused (401) before a query is looked at (400).
    #[expect(clippy::result_large_err, reason = "the signature tungstenite's handshake callback has")]
    let callback = |request: &Request, response: Response| {
        if let Some(auth) = auth {
            auth.check(request)?;
        }
        read_faults(request, response)
    };
    let Some(ws) = accepted.handshake(MAX_INBOUND_MESSAGE, callback, &http, stopped).await else {
        return; // refused (and answered), served over HTTP, dropped, or the server stopped
    };
    let mut connection = Connection::new(shared, number);
    connection.delay = faults.delay;
    connection.drop_every = faults.drop_every;
    connection.limits = Limits { getlogs_max_range: faults.getlogs_max_range };
    let run = connection.run(ws, control, generation);
    match faults.disconnect_after {
        // Dropping the connection's future drops its socket: gone without a close frame.
        Some(after) => drop(tokio::time::timeout(after, run).await),
        None => run.await,
    }
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
    /// Latency added to everything queued (the `delay` fault, or `?delay_ms=` in the URL).
    delay: Duration,
    /// Every this-many-th notification of each subscription is dropped (`?drop_every=`).
    drop_every: Option<u64>,
    /// The provider limits the URL asked for (`?getlogs_max_range=`).
    limits: Limits,
    /// Notifications produced by the clocks so far per subscription, sent or dropped.
    notifications: HashMap<u64, u64>,
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

/// A clock that fires on the server's boundaries of `period` (so every connection ticks
/// together), from the next one on, and skips missed ticks.
fn ticker(clock: &Clock, period: Duration) -> Interval {
    let mut ticker = interval_at(clock.next_boundary(period), period);
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
            drop_every: None,
            limits: Limits::default(),
            notifications: HashMap::new(),
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
        let mut slot_ticker = ticker(clock, clock.slot_interval);
        let mut block_ticker = ticker(clock, clock.block_interval);
        let mut mempool_ticker = ticker(clock, clock.mempool_interval);
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
