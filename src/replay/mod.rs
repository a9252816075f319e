//! Replay: a capture served as a live JSON-RPC WebSocket endpoint on 127.0.0.1, so a dApp's
//! tests run against exactly the traffic that was recorded, offline and repeatably
//! (`subscope replay FILE --port P`).
//!
//! A client that subscribes with a method and params the capture recorded (params compared
//! as JSON values) is confirmed with a fresh id and then sent that subscription's recorded
//! notifications, in order, with `params.subscription` replaced by its id, spaced as recorded
//! divided by the speed ([`Speed`]); with `looping` they start over at the end. Each client
//! has its own timelines. A subscribe that matches nothing gets an error listing what the
//! capture holds; a one-off request gets the recorded answer to the same method and params,
//! or -32601. The identity requests client libraries make before subscribing (`eth_chainId`,
//! `eth_blockNumber`, `getVersion`, `getSlot`, …) are answered from the capture when it
//! recorded them, else from the heads and slots it holds, or from [`ReplayOptions::chain_id`].
//!
//! Layout: `script` prepares a capture once ([`Replay`]); `client` holds one client's rules
//! and timelines, without a socket; `connection` is the socket loop; the accept loop,
//! handshake and close are `crate::loopback`'s, shared with the demo server.

mod client;
mod connection;
mod history;
mod http;
mod script;
#[cfg(test)]
mod tests;

use crate::human::plural;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use script::Replay;

use crate::export::{ImportOptions, Progress, import_file};
use crate::loopback;

/// The chain id `eth_chainId` is answered with when the capture did not record it: anvil's
/// (and hardhat's) default.
pub const DEFAULT_CHAIN_ID: u64 = 31_337;

/// How fast notifications follow each other.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// The recorded spacing divided by this factor (1 = as recorded, 2 = twice as fast).
    Factor(f64),
    /// Every notification at once.
    Max,
}

impl Speed {
    /// `max`, or a factor from 0.01 to 10,000.
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("max") {
            return Ok(Self::Max);
        }
        match text.parse::<f64>() {
            Ok(factor) if (0.01..=10_000.0).contains(&factor) => Ok(Self::Factor(factor)),
            Ok(factor) if factor > 10_000.0 => Err(format!("{text} is too large: at most 10000, or max")),
            Ok(factor) if factor >= 0.0 => Err(format!("{text} is too small: at least 0.01")),
            _ => Err(format!("{text} is not a speed: give a factor from 0.01 to 10000, or max")),
        }
    }
}

/// How a replay is served.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplayOptions {
    /// The port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// How fast notifications follow each other.
    pub speed: Speed,
    /// Start a subscription's notifications over once they are all sent.
    pub looping: bool,
    /// What `eth_chainId` and `net_version` answer when the capture did not record them.
    pub chain_id: u64,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self { port: 0, speed: Speed::Factor(1.0), looping: false, chain_id: DEFAULT_CHAIN_ID }
    }
}

/// A running replay endpoint; dropping it (or [`ReplayServer::shutdown`]) stops it.
pub struct ReplayServer {
    addr: SocketAddr,
    control: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ReplayServer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("ReplayServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl ReplayServer {
    /// Binds 127.0.0.1:`options.port` and serves `replay` on the current tokio runtime.
    ///
    /// # Errors
    /// Fails if the port cannot be bound.
    pub async fn start(replay: Arc<Replay>, options: ReplayOptions) -> std::io::Result<Self> {
        Self::spawn(&tokio::runtime::Handle::current(), replay, options)
    }

    /// Like [`ReplayServer::start`], from outside the runtime (a window's thread): binds at
    /// once and serves on `runtime`.
    ///
    /// # Errors
    /// Fails if the port cannot be bound.
    pub fn spawn(
        runtime: &tokio::runtime::Handle,
        replay: Arc<Replay>,
        options: ReplayOptions,
    ) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, options.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let listener = {
            let _entered = runtime.enter();
            TcpListener::from_std(listener)?
        };
        let (control, watched) = watch::channel(false);
        let ids = Arc::new(AtomicU64::new(1));
        let http = Arc::new(http::ReplayHttp::new(Arc::clone(&replay), options));
        let task = runtime.spawn(loopback::accept_loop(
            listener,
            watched.clone(),
            |stop| *stop,
            loopback::Admission::new("subscope replay"),
            move |accepted| {
                let (replay, ids, http) = (Arc::clone(&replay), Arc::clone(&ids), Arc::clone(&http));
                connection::serve(accepted, replay, options, ids, http, watched.clone())
            },
        ));
        Ok(Self { addr, control, task: Some(task) })
    }

    /// The bound address (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The WebSocket URL, `ws://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Stops listening, closes every client with a 1001 close frame and waits for the tasks.
    pub async fn shutdown(mut self) {
        self.control.send_replace(true);
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(loopback::SHUTDOWN_TIMEOUT, task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        // The listener task notices and winds everything down on its own.
        self.control.send_replace(true);
    }
}

/// A capture file read for replay, and what the import noticed.
#[derive(Debug)]
pub struct Loaded {
    /// The prepared capture.
    pub replay: Replay,
    /// Events read.
    pub events: usize,
    /// HAR entries that were not WebSockets, left out.
    pub ignored_entries: u64,
}

/// Reads a capture file (NDJSON, JSON or HAR) for replay.
///
/// # Errors
/// The file cannot be read, a line or entry is malformed (named), or it holds nothing to
/// replay.
pub fn load(path: &Path) -> anyhow::Result<Loaded> {
    let imported = import_file(path, &Progress::default(), ImportOptions::default());
    if let Some(error) = imported.error {
        anyhow::bail!("{}: {error}", path.display());
    }
    let replay = Replay::from_capture(&imported.events, &imported.context);
    if replay.is_empty() {
        anyhow::bail!(
            "{}: nothing to replay: {}, but no subscription with notifications or answered request",
            path.display(),
            plural(imported.events.len() as u64, "event", "events")
        );
    }
    Ok(Loaded { replay, events: imported.events.len(), ignored_entries: imported.ignored_entries })
}

/// `subscope replay`: serves `loaded` until Ctrl-C or SIGTERM, printing the URL on stdout
/// once listening and what is served on stderr.
///
/// # Errors
/// The port cannot be bound.
pub async fn run_forever(file: &Path, loaded: Loaded, options: ReplayOptions) -> anyhow::Result<()> {
    use std::io::Write as _;

    let replay = Arc::new(loaded.replay);
    let server = ReplayServer::start(Arc::clone(&replay), options).await?;
    let mut stop = crate::signal::StopSignal::listen();
    let mut err = std::io::stderr();
    let events = plural(loaded.events as u64, "event", "events");
    writeln!(err, "subscope: replaying {} ({events}) on {}", file.display(), server.url())?;
    for line in replay.describe_subscriptions() {
        writeln!(err, "subscope:   {line}")?;
    }
    let answers = plural(replay.answer_count() as u64, "recorded answer", "recorded answers");
    writeln!(err, "subscope:   {answers} to one-off requests")?;
    if loaded.ignored_entries > 0 {
        let entries = plural(loaded.ignored_entries, "HAR entry that is", "HAR entries that are");
        writeln!(err, "subscope:   {entries} not WebSockets, left out")?;
    }
    if replay.has_ethereum() && !replay.answers("eth_chainId") {
        let source = if options.chain_id == DEFAULT_CHAIN_ID {
            "anvil's default; set --chain-id"
        } else {
            "--chain-id"
        };
        writeln!(err, "subscope:   eth_chainId was not recorded: answering {} ({source})", options.chain_id)?;
    }
    let mut out = std::io::stdout();
    writeln!(out, "{}", server.url())?;
    out.flush()?;
    stop.requested(1).await;
    server.shutdown().await;
    Ok(())
}
