//! `subscope monitor`: a workspace ([`crate::workspace`]) watched headless for as long as it
//! runs, measured for Prometheus.
//!
//! ```text
//!   workspace ─▶ Monitor::apply ─▶ Session ─▶ backend (one actor per endpoint: reconnect,
//!   (SIGHUP: again)                  │            resubscribe, backfill)
//!                                    ▼
//!            step: frames + events ─▶ counters, heads ─┐
//!            tick: Compare per group ─▶ lag, misses ───┼─▶ Metrics ─▶ GET /metrics
//!                                                      └─▶ /readyz
//! ```
//!
//! Every metric is labelled by names from the workspace only (endpoint, subscription, group),
//! so a scrape never shows a URL or key and the series are as many as the workspace's
//! entries. Each comparison group runs its own [`crate::compare::Compare`] with the group's
//! grace window; a subscription in no group has one of its own, for its stalls. What the
//! comparisons count is turned into counters that only grow: `compare_missed_total` counts
//! an item once its grace window ends without it, even if it comes late or is recovered
//! later (those are counted apart). Memory is bounded as `record`'s is: the backend's queue
//! under [`CaptureLimits`], taken as it fills; each comparison under its own caps.

mod capture;
mod http;
mod log;
pub mod metrics;
mod state;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;

pub use self::capture::RotateOptions;
pub use self::log::{Level, Log, LogFormat};
use self::state::Monitor;
use crate::backend::Backend;
use crate::capture::CaptureLimits;
use crate::redact::Secret;
use crate::session::Session;
use crate::signal::{ReloadSignal, StopSignal};
use crate::workspace::Workspace;
pub use http::Shared;
pub use metrics::Metrics;

/// Every secret a workspace and its keys hold, to scrub from whatever is printed.
pub fn secrets_of(workspace: &Workspace, keys: &BTreeMap<String, Secret>) -> crate::redact::Secrets {
    Monitor::secrets_of(workspace, keys)
}

/// The address `/metrics` is served on unless told otherwise: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9464";

/// How often comparisons settle and gauges are refreshed.
const TICK: Duration = Duration::from_millis(250);

/// How long a stopping monitor waits for its connections to close.
const DRAIN: Duration = Duration::from_millis(1500);

/// How long a stopping monitor waits for its last capture file to be written and gzip'd.
const CAPTURE_CLOSE: Duration = Duration::from_secs(2);

/// What to monitor and how.
#[derive(Clone, Debug)]
pub struct MonitorOptions {
    /// The workspace file (read again on SIGHUP).
    pub workspace: PathBuf,
    /// Where `/metrics`, `/healthz` and `/readyz` are served.
    pub listen: SocketAddr,
    /// How log lines look.
    pub log_format: LogFormat,
    /// The memory cap of what waits to be taken.
    pub limits: CaptureLimits,
    /// Where and how to write NDJSON captures too (`--out`), if at all.
    pub capture: Option<RotateOptions>,
}

/// Reads a workspace and its keys (from the process environment or the key file).
///
/// # Errors
///
/// What [`Workspace::load`] and [`Workspace::keys`] fail with.
pub fn load(path: &std::path::Path) -> anyhow::Result<(Workspace, BTreeMap<String, Secret>)> {
    let workspace = Workspace::load(path)?;
    let keys = workspace.keys(path, |name| std::env::var(name).ok())?;
    Ok((workspace, keys))
}

/// Runs the monitor until SIGINT or SIGTERM; then it closes its connections and returns.
///
/// # Errors
///
/// The workspace cannot be read, or the address cannot be bound (before anything connects).
pub async fn run(options: MonitorOptions) -> anyhow::Result<()> {
    let mut stop = StopSignal::listen_without_hangup();
    let mut reload = ReloadSignal::listen();
    let (mut workspace, keys) = load(&options.workspace)?;
    let log = Log::new(options.log_format, Monitor::secrets_of(&workspace, &keys));
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("could not listen on {}", options.listen))?;
    let address =
        listener.local_addr().map_or_else(|_| options.listen.to_string(), |address| address.to_string());
    // Nothing is connected yet: /readyz says so from its first answer, before the first tick
    // looks at the connections (it answered "ready" until then).
    let mut not_ready: Vec<String> =
        workspace.endpoints.iter().map(|endpoint| endpoint.name.clone()).collect();
    not_ready.sort();
    let shared = Arc::new(Shared { metrics: Metrics::new(), not_ready: Mutex::new(not_ready) });
    let (stop_http, stopped) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(http::serve(listener, Arc::clone(&shared), stopped));
    let subscriptions = workspace.subscriptions.len().to_string();
    let endpoints = workspace.endpoints.len().to_string();
    log.event(
        Level::Info,
        "listening",
        &[("address", &address), ("endpoints", &endpoints), ("subscriptions", &subscriptions)],
    );

    let backend = Backend::start(&tokio::runtime::Handle::current(), options.limits, Arc::new(|| {}));
    let session = Session::new(backend, options.limits, &[]);
    let mut monitor = Monitor::new(session, Arc::clone(&shared), log.clone());
    if let Some(capture) = options.capture.clone() {
        monitor.set_captures(capture::Captures::start(capture)?);
    }
    monitor.apply(&workspace, &keys).await;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // Stopping first, then a reload, then the clock; frames whenever they come.
        tokio::select! {
            biased;
            () = stop.requested(1) => break,
            () = reload.next() => match load(&options.workspace) {
                Ok((next, keys)) => {
                    monitor.apply(&next, &keys).await;
                    workspace = next;
                    log.event(Level::Info, "reloaded", &[("workspace", &options.workspace.display().to_string())]);
                }
                Err(err) => log.event(Level::Error, "reload_failed", &[("reason", &format!("{err:#}"))]),
            },
            _ = tick.tick() => monitor.tick(&workspace).await,
            () = monitor.session().backend().queue().wait() => monitor.step(),
        }
    }
    log.event(Level::Info, "stopping", &[]);
    tokio::select! {
        () = monitor.drain(DRAIN) => {}
        () = stop.requested(2) => {}
    }
    if let Err(err) = monitor.close_captures(CAPTURE_CLOSE).await {
        log.event(Level::Error, "capture_failed", &[("reason", &format!("{err:#}"))]);
    }
    stop_http.send(true).ok(); // the server may have ended already
    tokio::time::timeout(Duration::from_secs(1), server).await.ok();
    log.event(Level::Info, "stopped", &[]);
    Ok(())
}
