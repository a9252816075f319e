//! One actor task per connection: connect, read every frame at once, answer commands, keep
//! the connection alive, and reconnect with backoff, re-sending every subscription.
//!
//! The socket is read first (real nodes drop clients that lag), but never at the expense of
//! the user: after every batch of frames, commands and keepalive that are due are served, so
//! Disconnect and Unsubscribe take effect within a batch even under a flood that never leaves
//! the socket idle. Every byte read counts as a sign of life, so a big frame arriving slowly
//! (longer than the pong timeout) is not mistaken for a dead connection.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::{self, Message};

use super::connect::{Socket, connect};
use super::error::{ConnError, LostReason};
use super::keepalive::{Keepalive, KeepaliveStep};
use super::recover::{Backfills, Recovered, Results};
use super::subscriptions::{Outbound, SubscriptionTable};
use super::{Backoff, Command, ConnState, ConnectionConfig, Event, EventQueue, SubscribeOutcome};
use crate::capture::{CapturedEvent, ConnId, Direction, SubKey, Text, now_ms};
use crate::catalog::ItemFingerprint;
use crate::protocol::FrameKind;
use crate::redact::{Secrets, redact_url};

mod backfilled;
mod incoming;

/// How many ready frames are read before they are handed to the queue in one push (and
/// commands and keepalive get their turn).
const BATCH: usize = 512;

/// A batch is handed over early once its frames hold this many bytes, so big frames never
/// pile up outside the queue's limits.
const BATCH_BYTES: usize = 4 << 20;

/// Frames up to this size are copied out of tungstenite's read buffer as they are read (see
/// [`detach`]); a bigger one has that buffer (nearly) to itself anyway. Half the default
/// 128 KiB read buffer.
const DETACH_MAX: usize = 64 << 10;

/// How many distinct method names a connection shares between its events; names past it,
/// or longer than [`MAX_INTERNED_LEN`], are not kept beside the frame (the frame has them).
const MAX_INTERNED: usize = 1024;

/// The longest method name kept beside its frame.
const MAX_INTERNED_LEN: usize = 256;

/// How one open socket's time ended.
enum ConnectionEnd {
    /// The user closed it.
    Closed,
    /// It was lost.
    Lost(LostReason),
}

/// How a wait without a socket ended.
enum Offline {
    /// The user asked to try again now.
    RetryNow,
    /// The user disconnected (or the handle is gone).
    Disconnected,
}

/// What woke the loop that serves an open socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Turn {
    Socket,
    Command,
    Disconnect,
    Keepalive,
    Backfilled,
}

/// Runs one connection until it is closed for good.
pub(super) async fn run(
    conn: ConnId,
    config: ConnectionConfig,
    mut commands: mpsc::Receiver<Command>,
    queue: Arc<EventQueue>,
) {
    let (backfills, mut results) = Backfills::new(&config);
    let mut actor = Actor::new(conn, &config, queue, backfills);
    let mut backoff = Backoff::new(config.reconnect.clone());
    let mut attempt = 0;
    let mut lost: Option<(u64, LostReason)> = None;
    loop {
        actor.state(ConnState::Connecting { attempt });
        let connecting = connect(&config);
        tokio::pin!(connecting);
        let connected = loop {
            tokio::select! {
                result = &mut connecting => break result,
                offline = actor.serve_offline(&mut commands, &mut results) => match offline {
                    Offline::RetryNow => {} // it is trying already
                    Offline::Disconnected => return actor.close_for_good(None),
                },
            }
        };
        let (socket, received) = match connected {
            Ok(connected) => connected,
            Err(err) if lost.is_none() && attempt == 0 => {
                // The first connect failed: report it instead of retrying a wrong URL or key.
                return actor.close_for_good(Some(err.into()));
            }
            Err(err) => {
                if !actor
                    .wait_to_retry(&mut backoff, &mut attempt, err.into(), &mut commands, &mut results)
                    .await
                {
                    return;
                }
                continue;
            }
        };
        let opened_at = now_ms();
        actor.state(ConnState::Open);
        actor.meta(&format!("connected to {}", redact_url(&config.url)));
        if lost.is_none() && actor.secrets.kept_in_frames() {
            actor.meta(crate::protocol::meta::KEPT_IN_FRAMES);
        }
        if let Some((lost_at_ms, reason)) = lost.take() {
            actor.gap(lost_at_ms, opened_at, &reason.to_string());
        }
        let end = actor.serve_socket(socket, received, (&mut commands, &mut results), &config).await;
        let reason = match end {
            ConnectionEnd::Closed => {
                actor.meta(crate::protocol::meta::DISCONNECTED);
                return actor.close_for_good(None);
            }
            ConnectionEnd::Lost(reason) => reason,
        };
        actor.meta(&format!("connection lost: {reason}"));
        actor.release_due_recoveries(true);
        let events = actor.table.on_close();
        actor.events(events);
        actor.flush();
        if !config.reconnect.enabled {
            return actor.close_for_good(Some(reason.into()));
        }
        if now_ms().saturating_sub(opened_at) > 10_000 {
            backoff.reset(); // It stayed up: start over with short delays.
        }
        lost = Some((now_ms(), reason.clone()));
        if !actor.wait_to_retry(&mut backoff, &mut attempt, reason.into(), &mut commands, &mut results).await
        {
            return;
        }
    }
}

/// A small frame in an allocation of its own, so that nothing keeps pointing into the read
/// buffer once the frame is read.
///
/// tungstenite hands out each frame as a slice of its read buffer, and can refill that buffer
/// in place only when no slice of it is alive. Frames are kept (captured, queued for the
/// window or a writer thread), so without the copy nearly every refill takes a fresh buffer:
/// a new allocation whose pages the kernel faults in and zeroes, or, when the last slice has
/// just been dropped, a reallocation copying the whole buffer. The copy costs one allocation
/// of the frame's exact size and a copy of its bytes (`record` under a flood of 300 B frames:
/// about 15 % less time), and a kept frame holds only its own bytes.
fn detach(message: Message) -> Message {
    match message {
        Message::Text(text) if text.len() <= DETACH_MAX => Message::Text(Text::from(text.as_str())),
        Message::Binary(bytes) if bytes.len() <= DETACH_MAX => {
            Message::Binary(tungstenite::Bytes::copy_from_slice(&bytes))
        }
        other => other,
    }
}

struct Actor {
    conn: ConnId,
    queue: Arc<EventQueue>,
    /// The connection's secrets, scrubbed from every text that leaves the actor.
    secrets: Secrets,
    table: SubscriptionTable,
    batch: Vec<CapturedEvent>,
    /// The item identities read of notifications in `batch`, with their places in it, when the
    /// consumer asked for them ([`EventQueue::identify_items`]).
    identities: Vec<(usize, Option<ItemFingerprint>)>,
    /// The messages read in one go, before they are handled (kept for its allocation).
    read: Vec<Message>,
    /// Control events waiting for the frames that caused them to be queued first.
    pending_events: Vec<Event>,
    methods: foldhash::HashSet<Arc<str>>,
    /// The method interned last: a stream's notifications all name the same one.
    last_method: Option<Arc<str>>,
    /// When the frames being read now arrived (one clock read per batch).
    batch_time_ms: Option<u64>,
    outbox: Vec<Outbound>,
    /// Refused re-subscribes to send again, and when.
    retry_at: Vec<(Instant, SubKey)>,
    /// What each subscription missed during a gap, recovered over HTTP.
    backfills: Backfills,
    /// Records to make once the frame being handled is captured.
    notes: Vec<String>,
}

impl Actor {
    fn new(conn: ConnId, config: &ConnectionConfig, queue: Arc<EventQueue>, backfills: Backfills) -> Self {
        Self {
            conn,
            queue,
            secrets: config.secrets(),
            table: SubscriptionTable::new(conn),
            batch: Vec::with_capacity(BATCH),
            identities: Vec::new(),
            read: Vec::with_capacity(BATCH),
            pending_events: Vec::new(),
            methods: foldhash::HashSet::default(),
            last_method: None,
            batch_time_ms: None,
            outbox: Vec::new(),
            retry_at: Vec::new(),
            backfills,
            notes: Vec::new(),
        }
    }

    fn state(&mut self, state: ConnState) {
        self.flush();
        let state = match state {
            ConnState::Reconnecting { retry_at_ms, attempt, reason } => {
                ConnState::Reconnecting { retry_at_ms, attempt, reason: reason.scrubbed(&self.secrets) }
            }
            ConnState::Closed { reason } => {
                ConnState::Closed { reason: reason.map(|reason| reason.scrubbed(&self.secrets)) }
            }
            other @ (ConnState::Connecting { .. } | ConnState::Open) => other,
        };
        self.queue.push_event(Event::State { conn: self.conn, state });
    }

    /// Queues control events after the frames captured so far (at the next [`Self::flush`]),
    /// so a consumer never sees an event before the frame that caused it.
    fn events(&mut self, events: Vec<Event>) {
        self.pending_events.extend(events);
    }

    /// The shared copy of a method name, so a million notifications hold one string. A server
    /// that sends endless distinct names (or absurdly long ones) gets no copy beside the frame:
    /// the names a connection keeps are bounded, whatever it sends.
    fn intern(&mut self, method: &str) -> Option<Arc<str>> {
        if let Some(last) = self.last_method.as_ref().filter(|last| ***last == *method) {
            return Some(Arc::clone(last));
        }
        if let Some(known) = self.methods.get(method) {
            self.last_method = Some(Arc::clone(known));
            return Some(Arc::clone(known));
        }
        if method.len() > MAX_INTERNED_LEN || self.methods.len() >= MAX_INTERNED {
            return None;
        }
        let method: Arc<str> = method.into();
        self.methods.insert(Arc::clone(&method));
        self.last_method = Some(Arc::clone(&method));
        Some(method)
    }

    fn capture(
        &mut self,
        direction: Direction,
        kind: FrameKind,
        method: Option<Arc<str>>,
        sub: Option<SubKey>,
        raw: Text,
    ) {
        self.batch.push(CapturedEvent {
            seq: 0,
            received_at_ms: self.batch_time_ms.unwrap_or_else(now_ms),
            connection: self.conn,
            subscription: sub,
            direction,
            kind,
            method,
            raw,
            redacted: false,
            recovered: None,
        });
    }

    fn flush(&mut self) {
        self.queue.push_identified(&mut self.batch, &mut self.identities);
        for event in self.pending_events.drain(..) {
            self.queue.push_event(event);
        }
    }

    /// Records something subscope itself observed, as a meta event in the capture.
    fn meta(&mut self, message: &str) {
        let raw = crate::protocol::meta::note_json(&self.secrets.scrub(message));
        self.capture(Direction::Meta, FrameKind::Meta, None, None, raw.into());
        self.flush();
    }

    fn gap(&mut self, lost_at_ms: u64, restored_at_ms: u64, reason: &str) {
        // Every subscription the table holds is sent again now that the socket is back.
        let raw = crate::protocol::meta::gap_json(&crate::protocol::meta::GapRecord {
            lost_at_ms,
            restored_at_ms,
            reason: Some(self.secrets.scrub(reason)),
            resubscribed: Some(self.table.len() as u64),
        });
        self.capture(Direction::Meta, FrameKind::Meta, None, None, raw.into());
        self.events(vec![Event::Gap { conn: self.conn, lost_at_ms, restored_at_ms }]);
        self.backfills.lost_at(lost_at_ms);
        self.flush();
    }

    fn close_for_good(&mut self, reason: Option<ConnError>) {
        let events = self.table.close_for_good();
        self.events(events);
        self.flush();
        self.state(ConnState::Closed { reason });
    }

    /// Waits out the backoff delay while still taking commands. Returns false when the user
    /// closed the connection meanwhile.
    async fn wait_to_retry(
        &mut self,
        backoff: &mut Backoff,
        attempt: &mut u32,
        reason: ConnError,
        commands: &mut mpsc::Receiver<Command>,
        results: &mut Results,
    ) -> bool {
        let (next, delay) = backoff.next_delay();
        *attempt = next;
        let retry_at = Instant::now() + delay;
        self.state(ConnState::Reconnecting {
            retry_at_ms: now_ms() + delay.as_millis() as u64,
            attempt: next,
            reason,
        });
        tokio::select! {
            () = sleep_until(retry_at) => true,
            offline = self.serve_offline(commands, results) => match offline {
                Offline::RetryNow => true,
                Offline::Disconnected => {
                    self.close_for_good(None);
                    false
                }
            }
        }
    }

    /// Handles commands (and finished recoveries) while there is no open socket; returns when
    /// the user asks to retry at once, or disconnects (or the handle is gone).
    async fn serve_offline(
        &mut self,
        commands: &mut mpsc::Receiver<Command>,
        results: &mut Results,
    ) -> Offline {
        loop {
            let command = tokio::select! {
                command = commands.recv() => command,
                Some(finished) = results.recv() => {
                    self.on_backfilled(finished, true);
                    continue;
                }
            };
            let Some(command) = command else { break };
            match command {
                Command::Disconnect { .. } => return Offline::Disconnected,
                Command::RetryNow { .. } => return Offline::RetryNow,
                Command::Subscribe { sub, method, params, rules, .. } => {
                    self.backfills.watch(sub, &method, params.as_ref());
                    self.table.subscribe(sub, &method, params, rules, false);
                }
                Command::Backfill { sub, on, .. } => self.backfills.set(sub, on),
                Command::Recover { sub, height, .. } => self.backfills.recover_missed(sub, height),
                Command::Unsubscribe { sub, .. } => {
                    self.batch.extend(self.backfills.forget(sub));
                    let (_, events) = self.table.unsubscribe(sub, false);
                    self.events(events);
                    self.flush();
                }
                Command::Request { request, method, params, .. } => {
                    self.table.request(request, &method, params, false);
                }
                Command::Connect { .. } | Command::SetLimits(_) => {}
            }
        }
        Offline::Disconnected
    }

    /// Runs one open connection until it is lost or closed.
    async fn serve_socket(
        &mut self,
        socket: Socket,
        received: Arc<AtomicU64>,
        (commands, results): (&mut mpsc::Receiver<Command>, &mut Results),
        config: &ConnectionConfig,
    ) -> ConnectionEnd {
        // One owner reads and writes in turns: no lock between two halves on every poll.
        let mut socket = socket;
        self.outbox = self.table.on_open();
        if let Err(reason) = self.send_outbox(&mut socket).await {
            return ConnectionEnd::Lost(reason);
        }
        let mut keepalive =
            Keepalive::new(config.ping_interval, config.pong_timeout, received, Instant::now());
        self.retry_at.clear(); // the open replayed every subscription
        loop {
            // Priority: the socket first (real nodes drop clients that lag), then the user's
            // commands, then keepalive; after a socket batch the others get their turn anyway.
            let turn = tokio::select! {
                biased;
                message = socket.next() => {
                    if let Some(end) = self.on_first_message(message, &mut socket, &mut keepalive) {
                        return end;
                    }
                    Turn::Socket
                }
                command = commands.recv() => match command {
                    None | Some(Command::Disconnect { .. }) => Turn::Disconnect,
                    Some(command) => {
                        self.on_command(command);
                        Turn::Command
                    }
                },
                () = sleep_until(self.next_timer(&keepalive)) => Turn::Keepalive,
                Some(finished) = results.recv() => {
                    self.on_backfilled(finished, false);
                    Turn::Backfilled
                }
            };
            let disconnect =
                turn == Turn::Disconnect || (turn == Turn::Socket && self.serve_due_commands(commands));
            if disconnect {
                socket.send(Message::Close(None)).await.ok(); // best effort: we are leaving anyway
                return ConnectionEnd::Closed;
            }
            match keepalive.check(Instant::now()) {
                KeepaliveStep::Idle => {}
                KeepaliveStep::Ping => {
                    if let Err(err) = socket.send(Message::Ping(Vec::new().into())).await {
                        return ConnectionEnd::Lost(LostReason::from_socket(&err));
                    }
                }
                KeepaliveStep::Dead => {
                    return ConnectionEnd::Lost(LostReason::NoPong { timeout: keepalive.pong_timeout() });
                }
            }
            self.send_due_retries();
            self.release_due_recoveries(false);
            if let Err(reason) = self.send_outbox(&mut socket).await {
                return ConnectionEnd::Lost(reason);
            }
        }
    }

    /// When the next timer is due: a ping, a pong deadline, a refused re-subscribe, or the
    /// end of a recovery's wait for the live stream.
    fn next_timer(&self, keepalive: &Keepalive) -> Instant {
        let retry = self.retry_at.iter().map(|(at, _)| *at).chain(self.backfills.next_deadline()).min();
        retry.map_or(keepalive.next_due(), |retry| retry.min(keepalive.next_due()))
    }

    /// Sends again every refused re-subscribe whose delay has passed.
    fn send_due_retries(&mut self) {
        let now = Instant::now();
        let due: Vec<SubKey> =
            self.retry_at.iter().filter(|(at, _)| *at <= now).map(|(_, sub)| *sub).collect();
        self.retry_at.retain(|(at, _)| *at > now);
        for sub in due {
            self.outbox.extend(self.table.retry(sub));
        }
    }

    /// Serves every command already waiting (after a socket batch, so a flood cannot starve
    /// them). Returns true when the user disconnected.
    fn serve_due_commands(&mut self, commands: &mut mpsc::Receiver<Command>) -> bool {
        loop {
            match commands.try_recv() {
                Ok(Command::Disconnect { .. }) | Err(mpsc::error::TryRecvError::Disconnected) => return true,
                Ok(command) => self.on_command(command),
                Err(mpsc::error::TryRecvError::Empty) => return false,
            }
        }
    }

    /// Reads every frame that is already readable after `message` (up to [`BATCH`] or
    /// [`BATCH_BYTES`]), then handles them all and hands them to the queue in one push.
    /// Reading first and classifying after keeps each of the two warm over the batch (under a
    /// flood, about 6 % less CPU than taking turns frame by frame).
    fn on_first_message(
        &mut self,
        message: Option<Result<Message, tungstenite::Error>>,
        socket: &mut Socket,
        keepalive: &mut Keepalive,
    ) -> Option<ConnectionEnd> {
        self.batch_time_ms = Some(now_ms()); // they are all here now: one clock read
        let mut read = std::mem::take(&mut self.read);
        let mut bytes = 0;
        let mut next = message;
        let lost = loop {
            match next {
                None => break Some(ConnectionEnd::Lost(LostReason::Ended)),
                Some(Err(err)) => break Some(ConnectionEnd::Lost(LostReason::from_socket(&err))),
                Some(Ok(message)) => {
                    bytes += message.len();
                    read.push(detach(message));
                }
            }
            if read.len() >= BATCH || bytes >= BATCH_BYTES {
                break None;
            }
            match socket.next().now_or_never() {
                Some(message) => next = message,
                None => break None,
            }
        };
        let mut end = None;
        for message in read.drain(..) {
            // Nothing follows a close frame (tungstenite reads no further).
            if end.is_none() {
                end = self.on_message(message, keepalive);
            }
        }
        self.read = read;
        self.batch_time_ms = None;
        self.flush();
        end.or(lost)
    }

    fn on_message(&mut self, message: Message, keepalive: &mut Keepalive) -> Option<ConnectionEnd> {
        match message {
            Message::Text(text) => self.on_text(text),
            Message::Binary(bytes) => self.on_binary(bytes),
            Message::Pong(_) => keepalive.answered(),
            Message::Ping(_) | Message::Frame(_) => {} // tungstenite answers pings itself
            Message::Close(frame) => {
                return Some(ConnectionEnd::Lost(LostReason::close_frame(frame.as_ref())));
            }
        }
        None
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Subscribe { sub, method, params, rules, .. } => {
                self.backfills.watch(sub, &method, params.as_ref());
                let frame = self.table.subscribe(sub, &method, params, rules, true);
                self.outbox.extend(frame);
            }
            Command::Backfill { sub, on, .. } => self.backfills.set(sub, on),
            Command::Recover { sub, height, .. } => self.backfills.recover_missed(sub, height),
            Command::Unsubscribe { sub, .. } => {
                self.batch.extend(self.backfills.forget(sub));
                let (frame, events) = self.table.unsubscribe(sub, true);
                self.events(events);
                self.outbox.extend(frame);
                self.flush();
            }
            Command::Request { request, method, params, .. } => {
                let frame = self.table.request(request, &method, params, true);
                self.outbox.extend(frame);
            }
            Command::Connect { .. }
            | Command::Disconnect { .. }
            | Command::RetryNow { .. }
            | Command::SetLimits(_) => {}
        }
    }

    async fn send_outbox(&mut self, socket: &mut Socket) -> Result<(), LostReason> {
        if self.outbox.is_empty() {
            return Ok(());
        }
        for outbound in std::mem::take(&mut self.outbox) {
            let Outbound { frame, method, sub } = outbound;
            socket
                .feed(Message::Text(frame.as_str().into()))
                .await
                .map_err(|err| LostReason::from_socket(&err))?;
            self.capture(Direction::Out, FrameKind::Request, Some(method), sub, frame.into());
        }
        self.flush();
        socket.flush().await.map_err(|err| LostReason::from_socket(&err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame as tungstenite hands it out: a slice of a larger read buffer.
    fn sliced(buffer: &tungstenite::Bytes, len: usize) -> tungstenite::Bytes {
        buffer.slice(1..=len)
    }

    #[test]
    fn a_small_frame_is_copied_out_of_the_read_buffer_and_a_big_one_is_not() {
        let buffer = tungstenite::Bytes::from(vec![b'x'; DETACH_MAX + 2]);
        for len in [1, 300, DETACH_MAX] {
            let frame = sliced(&buffer, len);
            let at = frame.as_ptr();
            let text = Message::Text(Text::try_from(frame.clone()).expect("ASCII"));
            let Message::Text(text) = detach(text) else { panic!("a text frame stays text") };
            assert_eq!(text.as_bytes(), &frame[..], "{len} B: the same text");
            assert_ne!(text.as_ptr(), at, "{len} B: copied");
            let Message::Binary(binary) = detach(Message::Binary(frame.clone())) else {
                panic!("binary stays binary")
            };
            assert_eq!(binary, frame, "{len} B: the same bytes");
            assert_ne!(binary.as_ptr(), at, "{len} B: copied");
        }
        let big = sliced(&buffer, DETACH_MAX + 1);
        let Message::Text(text) = detach(Message::Text(Text::try_from(big.clone()).expect("ASCII"))) else {
            panic!("a text frame stays text")
        };
        assert_eq!(text.as_ptr(), big.as_ptr(), "a big frame keeps its buffer");
        let Message::Binary(binary) = detach(Message::Binary(big.clone())) else {
            panic!("binary stays binary")
        };
        assert_eq!(binary.as_ptr(), big.as_ptr(), "a big frame keeps its buffer");
    }
}
