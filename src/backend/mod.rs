//! The background half of subscope: one tokio task per connection, driven by [`Command`]s,
//! reporting [`Event`]s and captured frames through a queue that never blocks a socket.
//!
//! ```text
//! UI / recorder ──Command──▶ supervisor ──▶ connection actor (one per endpoint) ◀──▶ server
//!        ▲                                            │
//!        └──── waker() ◀── EventQueue ◀── Event + CapturedEvent (seq, time, raw text)
//! ```
//!
//! The queue is the only link back: the actors push into it and call the waker, the consumer
//! drains it whenever it likes. Frames are never dropped because the consumer is slow; only
//! the capture limits evict them (oldest first, counted), so a UI stalled behind a modal
//! dialog costs memory up to the cap, never data below it. This module never uses egui.

mod connect;
mod connection;
mod error;
mod keepalive;
mod queue;
mod recover;
mod subscriptions;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::mpsc;

pub use crate::backoff::{Backoff, ReconnectPolicy};
pub use error::{ConnError, ConnectError, LostReason, TlsProblem};
pub use queue::{Drained, EventQueue, Identity, take_identity};
pub use subscriptions::{SubscriptionTable, is_transient};

use crate::capture::{CaptureLimits, CapturedEvent, ConnId, SubKey};
use crate::catalog::SubscriptionRules;
use crate::protocol::{RpcError, SubId};
use crate::redact::{MASK, Secret, Secrets};

/// A one-off request's local id.
pub type RequestKey = u64;

/// Something to be called after events were queued; it must be cheap and must not block.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Everything needed to open one connection. Its `Debug` shows the URL redacted and no key
/// or header value.
#[derive(Clone)]
pub struct ConnectionConfig {
    /// A name for the user (e.g. "Helius mainnet").
    pub label: String,
    /// The URL, possibly with an `{api_key}` placeholder; `demo` means the built-in demo server.
    pub url: String,
    /// The API key placed at the placeholder at connect time.
    pub api_key: Option<Secret>,
    /// Extra HTTP headers for the handshake; `{api_key}` in a value is replaced by the key.
    pub headers: Vec<(String, String)>,
    /// How long the TCP + TLS + WebSocket handshake may take.
    pub connect_timeout: Duration,
    /// How often to ping when the connection is open.
    pub ping_interval: Duration,
    /// How long to wait for the pong before the connection counts as lost.
    pub pong_timeout: Duration,
    /// What to do after the connection is lost.
    pub reconnect: ReconnectPolicy,
    /// The largest message accepted from the server.
    pub max_message_bytes: usize,
    /// Whether notifications missed during a gap are recovered over HTTP (each subscription
    /// may turn it off: [`Command::Backfill`]).
    pub backfill: bool,
    /// The endpoint's HTTP JSON-RPC URL (with the same `{api_key}` placeholder and key);
    /// `None` derives it from `url` ([`crate::rpc::rpc_url_for`]).
    pub rpc_url: Option<String>,
}

impl ConnectionConfig {
    /// A config with defaults: 10 s connect timeout, ping every 30 s, 20 s pong timeout,
    /// reconnect on, 256 MiB messages (a Solana account can be 10 MiB before encoding).
    pub fn new(label: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            url: url.into(),
            api_key: None,
            headers: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(30),
            pong_timeout: Duration::from_secs(20),
            reconnect: ReconnectPolicy::default(),
            max_message_bytes: 256 << 20,
            backfill: true,
            rpc_url: None,
        }
    }

    /// The URL as it may be shown: every secret masked.
    pub fn display_url(&self) -> String {
        crate::redact::redact_url(&self.url)
    }

    /// Every secret this connection knows in clear: the key, what the URL holds besides its
    /// placeholder (a pasted key; its user info, and the password and Basic token made of
    /// it), and the credentials in header values. Scrubbed from every message, meta record
    /// and frame the connection reports.
    pub fn secrets(&self) -> Secrets {
        let mut secrets = Secrets::of_endpoint(&self.url, self.api_key.as_ref(), &self.headers);
        if let Some(rpc_url) = &self.rpc_url {
            secrets.add_url(rpc_url);
        }
        secrets
    }
}

impl std::fmt::Debug for ConnectionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<String> = self.headers.iter().map(|(name, _)| format!("{name}: {MASK}")).collect();
        f.debug_struct("ConnectionConfig")
            .field("label", &self.label)
            .field("url", &self.display_url())
            .field("api_key", &self.api_key)
            .field("headers", &headers)
            .field("connect_timeout", &self.connect_timeout)
            .field("ping_interval", &self.ping_interval)
            .field("pong_timeout", &self.pong_timeout)
            .field("reconnect", &self.reconnect)
            .field("max_message_bytes", &self.max_message_bytes)
            .field("backfill", &self.backfill)
            .field("rpc_url", &self.rpc_url.as_deref().map(crate::redact::redact_url))
            .finish()
    }
}

/// What the UI (or the recorder) asks the backend to do.
#[derive(Debug)]
pub enum Command {
    /// Opens a connection under a fresh id from [`Backend::new_connection_id`].
    Connect {
        /// The id the caller allocated.
        conn: ConnId,
        /// Where and how to connect.
        config: Box<ConnectionConfig>,
    },
    /// Closes a connection for good; its subscriptions are dropped.
    Disconnect {
        /// Which connection.
        conn: ConnId,
    },
    /// Subscribes; the request is sent now if open, else when the connection opens, and again
    /// after every reconnect until unsubscribed.
    Subscribe {
        /// Which connection.
        conn: ConnId,
        /// The local id from [`Backend::new_subscription_key`].
        sub: SubKey,
        /// The subscribe method, e.g. `logsSubscribe` or `eth_subscribe`.
        method: String,
        /// Its params.
        params: Option<serde_json::Value>,
        /// What the catalogue says about it (how it is cancelled, whether it ends itself),
        /// looked up once by whoever made it ([`crate::catalog::rules_for`]).
        rules: SubscriptionRules,
    },
    /// Cancels a subscription (sends its `*Unsubscribe` when it has a server id).
    Unsubscribe {
        /// Which connection.
        conn: ConnId,
        /// Which subscription.
        sub: SubKey,
    },
    /// Sends a one-off request and reports its response.
    Request {
        /// Which connection.
        conn: ConnId,
        /// The local id from [`Backend::new_request_key`].
        request: RequestKey,
        /// The method, e.g. `getSlot`.
        method: String,
        /// Its params.
        params: Option<serde_json::Value>,
    },
    /// Turns the recovery of a subscription's missed notifications on or off.
    Backfill {
        /// Which connection.
        conn: ConnId,
        /// Which subscription.
        sub: SubKey,
        /// Whether to recover them.
        on: bool,
    },
    /// Fetches over HTTP the item at `height` (a block or slot) that another endpoint of a
    /// comparison delivered and this subscription did not; it is captured marked recovered
    /// (`compare_miss`) unless the subscription delivered it after all.
    Recover {
        /// Which connection.
        conn: ConnId,
        /// Which subscription.
        sub: SubKey,
        /// The block number or slot.
        height: u64,
    },
    /// Ends a reconnecting connection's backoff wait and tries at once (the node is back).
    RetryNow {
        /// Which connection.
        conn: ConnId,
    },
    /// Changes the limits of the event queue.
    SetLimits(CaptureLimits),
}

/// A connection's state, as a badge shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum ConnState {
    /// Opening (TCP, TLS, WebSocket handshake).
    Connecting {
        /// 0 for the first try, then 1, 2, … while reconnecting.
        attempt: u32,
    },
    /// Open.
    Open,
    /// Lost, and waiting to try again.
    Reconnecting {
        /// When the next try starts, in ms since the epoch.
        retry_at_ms: u64,
        /// The try that comes next (1 = first retry).
        attempt: u32,
        /// Why it was lost, or why the last try to reopen it failed; with secrets removed.
        reason: ConnError,
    },
    /// Closed for good.
    Closed {
        /// Why, with secrets removed; `None` when the user closed it.
        reason: Option<ConnError>,
    },
}

/// What a subscription's request ended in.
#[derive(Clone, Debug, PartialEq)]
pub enum SubscribeOutcome {
    /// Active under this server id.
    Active(SubId),
    /// The server refused it for good; it has ended.
    Failed(RpcError),
    /// The server refused a re-subscribe for a passing reason (a limit, a busy node); it is
    /// sent again after `retry_in`.
    Retrying {
        /// The refusal.
        error: RpcError,
        /// How long until the next try.
        retry_in: Duration,
    },
}

/// What the backend reports besides captured frames.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A connection changed state.
    State {
        /// Which connection.
        conn: ConnId,
        /// Its new state.
        state: ConnState,
    },
    /// A subscribe (or a re-subscribe after a reconnect) was answered.
    Subscription {
        /// Which connection.
        conn: ConnId,
        /// Which subscription.
        sub: SubKey,
        /// The answer.
        outcome: SubscribeOutcome,
        /// Whether this answers a re-subscribe after a reconnect.
        resubscribed: bool,
    },
    /// A subscription ended: unsubscribed (`result` is the server's answer, `Ok(true)` for
    /// success), completed by the server (a signature subscription after its notification),
    /// or dropped with its connection.
    SubscriptionEnded {
        /// Which connection.
        conn: ConnId,
        /// Which subscription.
        sub: SubKey,
        /// Why it ended.
        reason: EndReason,
    },
    /// A one-off request was answered (raw JSON of the result) or failed.
    Response {
        /// Which connection.
        conn: ConnId,
        /// Which request.
        request: RequestKey,
        /// The raw result, or the error.
        result: Result<String, RpcError>,
    },
    /// The connection was lost at one time and restored at another: notifications in between
    /// were not received.
    Gap {
        /// Which connection.
        conn: ConnId,
        /// When it was lost, ms since the epoch.
        lost_at_ms: u64,
        /// When it was open again, ms since the epoch.
        restored_at_ms: u64,
    },
    /// A command could not be carried out (unknown connection, no demo server…).
    CommandFailed {
        /// The connection it named, if any.
        conn: Option<ConnId>,
        /// What went wrong.
        error: CommandError,
    },
}

/// Why the backend could not carry out a command. It holds no server text, so no secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The built-in demo server could not start (the local I/O error's text).
    #[error("the demo server could not start: {0}")]
    DemoServer(String),
    /// The connection's actor has ended.
    #[error("the connection is closed")]
    ConnectionClosed,
    /// No connection has this id.
    #[error("no such connection (connect first)")]
    NoSuchConnection,
}

/// Why a subscription ended.
#[derive(Clone, Debug, PartialEq)]
pub enum EndReason {
    /// The user unsubscribed; the server answered this (`Ok(true)` for success).
    Unsubscribed(Result<bool, RpcError>),
    /// The server ended it by itself after its final notification (signatureSubscribe).
    Completed,
    /// Its connection was closed for good.
    ConnectionClosed,
}

/// Errors of the backend handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The command queue is full: the backend is not keeping up with commands.
    #[error("the backend is busy; command not sent")]
    Busy,
    /// The backend has stopped (its runtime shut down).
    #[error("the backend has stopped")]
    Stopped,
}

/// The handle the UI and the recorder hold.
pub struct Backend {
    commands: mpsc::Sender<Command>,
    queue: Arc<EventQueue>,
    next_conn: AtomicU32,
    next_sub: AtomicU64,
    next_request: AtomicU64,
}

impl Backend {
    /// Starts the backend's supervisor on `runtime`; `waker` is called after events are queued.
    pub fn start(runtime: &Handle, limits: CaptureLimits, waker: Waker) -> Self {
        // rustls needs one process-wide crypto provider; another part may have installed it.
        rustls::crypto::ring::default_provider().install_default().ok();
        let queue = Arc::new(EventQueue::new(limits, waker));
        let (commands, receiver) = mpsc::channel(1024);
        runtime.spawn(supervise(receiver, Arc::clone(&queue)));
        Self {
            commands,
            queue,
            next_conn: AtomicU32::new(1),
            next_sub: AtomicU64::new(1),
            next_request: AtomicU64::new(1),
        }
    }

    /// A backend with no connections behind it, driven by a [`Script`]: the commands sent to
    /// it are read from the script, and the events and frames it reports are put there by
    /// the script. A front end runs against it exactly as against a real one, with no
    /// sockets, no runtime and no waiting: the test seam of the window.
    pub fn scripted(limits: CaptureLimits, waker: Waker) -> (Self, Script) {
        let queue = Arc::new(EventQueue::new(limits, waker));
        let (commands, receiver) = mpsc::channel(1024);
        let backend = Self {
            commands,
            queue: Arc::clone(&queue),
            next_conn: AtomicU32::new(1),
            next_sub: AtomicU64::new(1),
            next_request: AtomicU64::new(1),
        };
        (backend, Script { commands: receiver, queue, next_seq_time: 0 })
    }

    /// Sends a command without waiting.
    pub fn send(&self, command: Command) -> Result<(), BackendError> {
        self.commands.try_send(command).map_err(|err| match err {
            mpsc::error::TrySendError::Full(_) => BackendError::Busy,
            mpsc::error::TrySendError::Closed(_) => BackendError::Stopped,
        })
    }

    /// Sends a command, waiting while the command queue is full: for callers that may wait
    /// (`record` starting hundreds of subscriptions at once), never the UI thread.
    ///
    /// # Errors
    ///
    /// The backend has stopped.
    pub async fn send_waiting(&self, command: Command) -> Result<(), BackendError> {
        self.commands.send(command).await.map_err(|_| BackendError::Stopped)
    }

    /// Waits until the command queue has room for one more command (so a [`Self::send`] that
    /// follows at once is not refused as busy): for callers that may wait, never the UI.
    pub async fn room_for_command(&self) {
        if let Ok(permit) = self.commands.reserve().await {
            drop(permit); // only the room was wanted
        }
    }

    /// Takes everything queued so far.
    pub fn drain(&self) -> Drained {
        self.queue.drain()
    }

    /// The queue, for consumers that wait on it asynchronously ([`EventQueue::wait`]).
    pub fn queue(&self) -> &Arc<EventQueue> {
        &self.queue
    }

    /// A fresh connection id.
    pub fn new_connection_id(&self) -> ConnId {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// A fresh subscription key.
    pub fn new_subscription_key(&self) -> SubKey {
        self.next_sub.fetch_add(1, Ordering::Relaxed)
    }

    /// A fresh request key.
    pub fn new_request_key(&self) -> RequestKey {
        self.next_request.fetch_add(1, Ordering::Relaxed)
    }
}

/// The other end of [`Backend::scripted`]: what the front end asked for, and what it is told.
pub struct Script {
    commands: mpsc::Receiver<Command>,
    queue: Arc<EventQueue>,
    next_seq_time: u64,
}

impl Script {
    /// Every command sent since the last call, in order.
    pub fn commands(&mut self) -> Vec<Command> {
        std::iter::from_fn(|| self.commands.try_recv().ok()).collect()
    }

    /// Reports a control event, as a connection actor does.
    pub fn event(&self, event: Event) {
        self.queue.push_event(event);
    }

    /// Reports frames received (or sent), as a connection actor does; their sequence numbers
    /// are given by the queue, and their times, when 0, count up from the epoch's first day.
    pub fn frames(&mut self, frames: impl IntoIterator<Item = CapturedEvent>) {
        let mut batch: Vec<CapturedEvent> = frames
            .into_iter()
            .map(|mut frame| {
                if frame.received_at_ms == 0 {
                    self.next_seq_time += 1;
                    frame.received_at_ms = self.next_seq_time;
                }
                frame
            })
            .collect();
        self.queue.push_captured(&mut batch);
    }
}

/// Routes commands to connection actors, starting and stopping them.
async fn supervise(mut commands: mpsc::Receiver<Command>, queue: Arc<EventQueue>) {
    let mut actors: HashMap<ConnId, mpsc::Sender<Command>> = HashMap::new();
    let mut demo: Option<crate::demo::DemoServer> = None;
    while let Some(command) = commands.recv().await {
        actors.retain(|_, sender| !sender.is_closed());
        let conn = match &command {
            Command::Connect { conn, .. }
            | Command::Disconnect { conn }
            | Command::Subscribe { conn, .. }
            | Command::Unsubscribe { conn, .. }
            | Command::Request { conn, .. }
            | Command::Backfill { conn, .. }
            | Command::Recover { conn, .. }
            | Command::RetryNow { conn } => *conn,
            Command::SetLimits(limits) => {
                queue.set_limits(*limits);
                continue;
            }
        };
        match command {
            Command::Connect { conn, mut config } => {
                if let Some(query) = crate::catalog::demo_query(&config.url) {
                    match demo_url(&mut demo).await {
                        Ok(url) => config.url = format!("{url}/{query}"),
                        Err(err) => {
                            queue.push_event(Event::CommandFailed {
                                conn: Some(conn),
                                error: CommandError::DemoServer(err.to_string()),
                            });
                            continue;
                        }
                    }
                }
                let (sender, receiver) = mpsc::channel(1024);
                tokio::spawn(connection::run(conn, *config, receiver, Arc::clone(&queue)));
                if let Some(previous) = actors.insert(conn, sender) {
                    previous.try_send(Command::Disconnect { conn }).ok(); // it may have ended already
                }
            }
            other => match actors.get(&conn) {
                Some(sender) => {
                    let disconnect = matches!(other, Command::Disconnect { .. });
                    if sender.send(other).await.is_err() && !disconnect {
                        queue.push_event(Event::CommandFailed {
                            conn: Some(conn),
                            error: CommandError::ConnectionClosed,
                        });
                    }
                }
                None => queue.push_event(Event::CommandFailed {
                    conn: Some(conn),
                    error: CommandError::NoSuchConnection,
                }),
            },
        }
    }
}

async fn demo_url(demo: &mut Option<crate::demo::DemoServer>) -> std::io::Result<String> {
    if let Some(server) = demo {
        return Ok(server.url());
    }
    let server = crate::demo::DemoServer::start(crate::demo::DemoConfig::default()).await?;
    let url = server.url();
    *demo = Some(server);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::demo_query;

    #[test]
    fn demo_urls_may_carry_a_query_of_faults() {
        assert_eq!(demo_query("demo"), Some(""));
        assert_eq!(demo_query(" demo?delay_ms=200 "), Some("?delay_ms=200"));
        assert_eq!(demo_query("demonstration"), None);
        assert_eq!(demo_query("ws://demo"), None);
    }

    #[test]
    fn a_config_never_prints_or_forgets_its_secrets() {
        let mut config =
            ConnectionConfig::new("QuickNode", "wss://n.quiknode.pro/0123456789abcdef0123456789/");
        config.api_key = Some(Secret::new("placed-key-42"));
        config.headers.push(("Authorization".into(), "Bearer header-token-7".into()));
        let debug =
            format!("{config:?} {:?}", Command::Connect { conn: 1, config: Box::new(config.clone()) });
        for secret in ["0123456789abcdef0123456789", "placed-key-42", "header-token-7"] {
            assert!(!debug.contains(secret), "{debug}");
            let scrubbed = config.secrets().scrub(&format!("HTTP 401: bad credentials {secret}"));
            assert!(!scrubbed.contains(secret), "{scrubbed}");
        }
        assert!(debug.contains("wss://n.quiknode.pro/***/"), "{debug}");
        assert!(config.secrets().scrub("Bearer is a scheme, not a secret").contains("Bearer"));
    }

    #[test]
    fn user_info_credentials_are_secrets_pasted_or_placed() {
        use base64::Engine as _;
        // `p@ss:word`, pasted into the URL, or moved to the key field ("Move the key…").
        let pasted = ConnectionConfig::new("basic", "wss://alice:p%40ss%3Aword@node.example.com/");
        let mut placed = ConnectionConfig::new("basic", "wss://{api_key}@node.example.com/");
        placed.api_key = Some(Secret::new("alice:p%40ss%3Aword"));
        let token = base64::engine::general_purpose::STANDARD.encode("alice:p@ss:word");
        assert_eq!(pasted.display_url(), "wss://***@node.example.com/");
        for config in [pasted, placed] {
            for secret in ["p%40ss%3Aword", "p@ss:word", token.as_str()] {
                let scrubbed = config.secrets().scrub(&format!("401: {secret} is not valid"));
                assert_eq!(scrubbed, "401: *** is not valid", "{secret}");
            }
        }
    }
}
