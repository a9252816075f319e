//! The offline demo server: a real WebSocket JSON-RPC server on 127.0.0.1 that speaks Solana
//! PubSub (Agave, plus Helius `transactionSubscribe`) and Ethereum `eth_subscribe` (geth/anvil,
//! plus Alchemy's enhanced subscriptions) with realistic payloads and the real servers' error
//! messages.
//!
//! It lets a new user see live data without an API key (`--endpoint demo` starts it in-process,
//! `subscope demo-server --port P` runs it alone), and tests use it for faults no real node
//! produces on demand: send `{"jsonrpc":"2.0","id":1,"method":"demo_fault","params":[{"kind":"drop"}]}`
//! over the same socket (see [`DemoFault`]), or ask for them in the URL's query
//! (`?delay_ms=`, `?drop_every=`, and the provider limits `?getlogs_max_range=` and
//! `?http_429_every=`: `url_faults.rs`).
//!
//! **HTTP.** The same port answers JSON-RPC over HTTP POST (`http.rs`, on
//! `loopback::http`), as a node's HTTP port does, so a backfill or an audit can run
//! offline. Its chains have a history: every block and slot is derived from the seed and its
//! place (`ethereum/chain.rs`, `solana/ledger.rs`), with events for the filters and keys
//! clients subscribed with (`interest.rs`), so what a subscription was sent over the
//! WebSocket is what `eth_getBlockByNumber`, `eth_getLogs`, `getBlock` or `getTransaction`
//! answer later, over HTTP or as one-off requests on a WebSocket (`calls.rs`), across
//! connections, delays and reorgs. Solana leaders skip one slot in twenty: no slot
//! notification, absent from `getBlocks`.
//!
//! Layout: [`DemoServer`] owns the listener task, which spawns one task per connection
//! (`connection/`). Each connection owns its subscriptions and an ordered outbox; the chain
//! clocks and Solana subscription ids are shared (`shared.rs`). `solana/` and `ethereum/` say
//! which methods of the catalogue (`crate::catalog`, where every method name, notification
//! name and limit is defined) the demo serves, parse their params with the real servers'
//! error messages, and build payloads from the random but well-formed values of `fake.rs`.

mod auth;
mod calls;
mod connection;
pub(crate) mod ethereum;
mod fake;
mod fault;
mod http;
mod interest;
pub(crate) mod rpc;
mod shared;
mod solana;
mod url_faults;

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use auth::check_credential;
pub use fault::{
    CLOSE_FAULT_CODE, CLOSE_FAULT_REASON, DemoFault, FAULT_METHOD, HUGE_FRAME_BYTES, MALFORMED_BINARY,
    MALFORMED_BINARY_TEXT, MALFORMED_JSON, MALFORMED_TEXT, MAX_DELAY_MS, MAX_FLOOD_COUNT,
};

use crate::catalog::ALCHEMY_MAX_SUBSCRIPTIONS_PER_CONNECTION;
use crate::loopback::{self, Admission};
use crate::redact::Secret;
use connection::Control;
use shared::{Counters, Shared};

/// How the demo server runs.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoConfig {
    /// The port on 127.0.0.1; 0 picks any free port.
    pub port: u16,
    /// How much faster than the real chains the clocks run: 1.0 gives 400 ms slots and 1 s
    /// blocks; tests use 50–1000. Non-finite or non-positive values count as 1.0.
    pub speed: f64,
    /// Faults applied to every new connection right after its handshake (for example a
    /// `Delay` for every client of a test server).
    pub connection_faults: Vec<DemoFault>,
    /// Seed for every random value, for reproducible payloads; `None` picks one at random.
    pub seed: Option<u64>,
    /// The most WebSocket connections served at once; a client beyond them is answered
    /// `503 Service Unavailable` with `Retry-After`.
    pub max_connections: usize,
    /// The most distinct Solana subscriptions the whole server holds (Agave's
    /// `max_active_subscriptions`); beyond it subscribes get the "Subscription refused" error.
    pub max_subscriptions: usize,
    /// The most subscriptions one connection may hold (by default Alchemy's
    /// [`ALCHEMY_MAX_SUBSCRIPTIONS_PER_CONNECTION`]).
    pub max_subscriptions_per_connection: usize,
    /// The most frames waiting to be sent on one connection; a client that falls further
    /// behind is dropped without a close frame, as Agave drops lagging clients.
    pub max_queued_frames: usize,
    /// A credential every client must send as HTTP Basic auth, `USER:PASS`
    /// ([`check_credential`]); without it, or with another, the handshake is answered 401.
    /// `None` lets everyone in.
    pub basic_auth: Option<Secret>,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            port: 0,
            speed: 1.0,
            connection_faults: Vec::new(),
            seed: None,
            max_connections: 256,
            max_subscriptions: 100_000,
            max_subscriptions_per_connection: ALCHEMY_MAX_SUBSCRIPTIONS_PER_CONNECTION,
            max_queued_frames: 100_000,
            basic_auth: None,
        }
    }
}

/// A snapshot of the server's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemoStats {
    /// TCP connections accepted since start.
    pub connections_accepted: u64,
    /// WebSocket connections being served now.
    pub connections_open: u64,
    /// JSON-RPC requests received (each batch item counts, as does an unparsable frame).
    pub requests_received: u64,
    /// WebSocket data frames sent (responses, notifications and fault frames).
    pub frames_sent: u64,
    /// Payload bytes of those frames.
    pub bytes_sent: u64,
    /// Subscriptions created (Solana and Ethereum, de-duplicated ones included).
    pub subscriptions_created: u64,
    /// Faults injected (`demo_fault` requests and configured connection faults).
    pub faults_injected: u64,
    /// Distinct Solana subscription ids live now, server-wide.
    pub active_solana_subscriptions: u64,
}

/// A running demo server; dropping it (or calling [`DemoServer::shutdown`]) stops it.
pub struct DemoServer {
    /// The bound loopback address.
    addr: SocketAddr,
    /// The shared state, for statistics.
    shared: Arc<Shared>,
    /// Shutdown and drop-all signals for the listener and every connection.
    control: watch::Sender<Control>,
    /// The listener task; `None` once shut down.
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for DemoServer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("DemoServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl DemoServer {
    /// Binds 127.0.0.1:`config.port` and starts serving on the current tokio runtime.
    ///
    /// # Errors
    /// Fails if `config.basic_auth` is not `USER:PASS`, or the port cannot be bound (for
    /// example, it is in use).
    pub async fn start(config: DemoConfig) -> std::io::Result<Self> {
        if let Some(credential) = &config.basic_auth {
            check_credential(credential.expose())
                .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidInput, message))?;
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let addr = listener.local_addr()?;
        let max_connections = config.max_connections;
        let shared = Arc::new(Shared::new(config));
        let (control, control_rx) = watch::channel(Control::default());
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared), control_rx, max_connections));
        Ok(Self { addr, shared, control, task: Some(task) })
    }

    /// The bound address (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The WebSocket URL, `ws://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> DemoStats {
        self.shared.stats.snapshot(self.shared.registry.active())
    }

    /// Abruptly drops every open connection (TCP closed, no close frame) and keeps listening,
    /// so clients can reconnect.
    pub fn drop_all_connections(&self) {
        self.control.send_modify(|control| {
            control.drop_generation = control.drop_generation.wrapping_add(1);
        });
    }

    /// Stops listening, closes every connection with a 1001 close frame (clients that do not
    /// answer within a short grace period are dropped) and waits for all tasks to end.
    pub async fn shutdown(mut self) {
        self.control.send_modify(|control| control.shutdown = true);
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(loopback::SHUTDOWN_TIMEOUT, task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        // The listener task notices and winds everything down on its own.
        self.control.send_modify(|control| control.shutdown = true);
    }
}

/// Accepts connections until shutdown ([`loopback::accept_loop`]), counting each; at most
/// `max_connections` are served at once (a client beyond them is answered 503).
async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    control: watch::Receiver<Control>,
    max_connections: usize,
) {
    let mut number = 0_u64;
    let watched = control.clone();
    let admission = Admission { max_connections, ..Admission::new("subscope demo server") };
    let http = Arc::new(http::DemoHttp::new(Arc::clone(&shared)));
    loopback::accept_loop(
        listener,
        watched,
        |control: &Control| control.shutdown,
        admission,
        move |accepted| {
            Counters::bump(&shared.stats.connections_accepted);
            number = number.wrapping_add(1);
            let generation = control.borrow().drop_generation;
            connection::serve(
                accepted,
                Arc::clone(&shared),
                Arc::clone(&http),
                control.clone(),
                generation,
                number,
            )
        },
    )
    .await;
}

/// Runs a demo server with `config` on 127.0.0.1 until Ctrl-C (or SIGTERM), printing its URL
/// on stdout once listening. This is `subscope demo-server --port P --speed S`.
///
/// # Errors
/// Fails if the port cannot be bound.
pub async fn run_forever(config: DemoConfig) -> std::io::Result<()> {
    use std::io::Write as _;

    let server = DemoServer::start(config).await?;
    let mut stop = crate::signal::StopSignal::listen();
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", server.url())?;
    stdout.flush()?;
    stop.requested(1).await;
    server.shutdown().await;
    Ok(())
}
