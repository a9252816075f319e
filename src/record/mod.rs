//! `subscope record`: headless capture to NDJSON for scripts.
//!
//! Every `--subscribe` body is checked before anything connects; a failed first connect or a
//! refused subscription ends the run with a non-zero exit and a message naming it.
//!
//! ```text
//! connections ─▶ queue ─▶ run loop ─(bounded channel of batches)─▶ writer thread ─▶ file/stdout
//!                            ▲
//!      SIGINT / SIGTERM ─────┘ (one listener for the whole run)
//! ```
//!
//! The output is written by a thread of its own, so a reader that stalls or a disk that fills
//! never holds up the run: Ctrl-C, SIGTERM and `--duration` take effect at once. The run loop
//! takes events from the queue only when the channel has room; until then they wait in the
//! queue, where only the capture limits evict them, counted. On a stop, what is queued is
//! written within [`RecordOptions::flush_timeout`], or the run says how many events it could
//! not write; a second Ctrl-C ends it at once. Each batch reaches the file in one write of
//! whole lines, so a killed run leaves whole lines. An existing `--out` file is not touched
//! until the first connection is up: a mistyped URL never destroys yesterday's capture.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Seek as _, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::sync::{mpsc, oneshot, watch};

use crate::backend::{Backend, ConnState, Event, SubscribeOutcome};
use crate::capture::{CaptureLimits, CapturedEvent, ConnId, SubKey};
use crate::export::{CaptureContext, EventWriter, Format};
use crate::protocol::FrameKind;
use crate::redact::{Secret, Secrets, key_travels_in_clear, redact_url};
use crate::session::{Endpoint, Session};

/// The most events taken from the queue for one batch.
const MAX_BATCH: usize = 8_192;

/// How many batches may wait for the writer thread.
const CHANNEL_BATCHES: usize = 8;

/// What to record, from the command line. Its `Debug` shows URLs redacted.
#[derive(Clone)]
pub struct RecordOptions {
    /// Endpoint URLs (or `demo`), one connection each.
    pub endpoints: Vec<String>,
    /// JSON-RPC request bodies, sent on every endpoint.
    pub subscribe: Vec<String>,
    /// Where to write NDJSON; stdout when `None` or `-`.
    pub out: Option<PathBuf>,
    /// Add to an existing `out` file instead of replacing it.
    pub append: bool,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop after exactly this many notifications.
    pub count: Option<u64>,
    /// The API key for `{api_key}` placeholders.
    pub api_key: Option<Secret>,
    /// Seconds between keepalive pings.
    pub ping_interval: Option<Duration>,
    /// How much may wait in memory for the output.
    pub limits: CaptureLimits,
    /// How long a stopping run waits for the output to take what is queued.
    pub flush_timeout: Duration,
}

impl Default for RecordOptions {
    fn default() -> Self {
        Self {
            endpoints: Vec::new(),
            subscribe: Vec::new(),
            out: None,
            append: false,
            duration: None,
            count: None,
            api_key: None,
            ping_interval: None,
            limits: CaptureLimits::default(),
            flush_timeout: Duration::from_secs(5),
        }
    }
}

impl std::fmt::Debug for RecordOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let endpoints: Vec<String> = self.endpoints.iter().map(|url| redact_url(url)).collect();
        f.debug_struct("RecordOptions")
            .field("endpoints", &endpoints)
            .field("subscribe", &self.subscribe)
            .field("out", &self.out)
            .field("append", &self.append)
            .field("duration", &self.duration)
            .field("count", &self.count)
            .field("api_key", &self.api_key)
            .field("ping_interval", &self.ping_interval)
            .field("limits", &self.limits)
            .field("flush_timeout", &self.flush_timeout)
            .finish()
    }
}

impl RecordOptions {
    /// Every secret the run knows: the key and whatever the endpoint URLs hold in clear, to
    /// scrub from any message printed about the run.
    pub fn secrets(&self) -> Secrets {
        let mut secrets = Secrets::default();
        for endpoint in &self.endpoints {
            secrets.add_url(endpoint);
        }
        if let Some(key) = &self.api_key {
            secrets.add_key(key);
        }
        secrets
    }
}

/// What a finished recording wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordSummary {
    /// Events written.
    pub events: u64,
    /// Notifications among them.
    pub notifications: u64,
    /// Events lost to the capture limits (the output could not keep up).
    pub evicted: u64,
}

/// Why a recording ended without a summary.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A second SIGINT or SIGTERM: the run ended at once.
    #[error("interrupted again; stopped without writing {unwritten} queued events")]
    Interrupted {
        /// Events that were still waiting for the output.
        unwritten: u64,
    },
    /// The output did not take what was queued in time (a stalled reader, a full disk).
    #[error("{unwritten} events could not be written: the output did not take them within {waited:?}")]
    Unwritten {
        /// How many.
        unwritten: u64,
        /// How long the run waited.
        waited: Duration,
    },
}

/// One `--subscribe` body, parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct SubscribeBody {
    /// The method.
    pub method: String,
    /// Its params.
    pub params: Option<serde_json::Value>,
}

/// Parses and validates a `--subscribe` body: a JSON object with a `method` string and
/// optional `params`; known methods are checked field by field.
pub fn parse_subscribe_body(text: &str) -> anyhow::Result<SubscribeBody> {
    let value: serde_json::Value =
        serde_json::from_str(text).with_context(|| format!("--subscribe is not valid JSON: {text}"))?;
    let Some(object) = value.as_object() else { bail!("--subscribe must be a JSON object, got: {text}") };
    let Some(method) = object.get("method").and_then(serde_json::Value::as_str) else {
        bail!("--subscribe needs a \"method\" string: {text}");
    };
    let params = object.get("params").cloned();
    if let Err(err) = crate::catalog::check_request(method, params.as_ref()) {
        bail!("--subscribe {method}: {}: {}", err.field, err.message);
    }
    Ok(SubscribeBody { method: method.to_owned(), params })
}

/// Why the run loop stopped.
enum Stopped {
    /// SIGINT or SIGTERM.
    Signal,
    /// `--duration` passed.
    Duration,
    /// `--count` notifications were written.
    Count,
    /// A connection or subscription failed, or the output did.
    Failure(anyhow::Error),
}

/// Runs a recording until `--duration`, `--count`, SIGINT/SIGTERM, or a failure.
///
/// # Errors
///
/// A bad `--subscribe` body or output path (before anything connects), a failed first
/// connect, a refused subscription, an output that fails or does not take what is queued in
/// time ([`RecordError::Unwritten`]), or a second interrupt ([`RecordError::Interrupted`]).
pub async fn record(options: RecordOptions) -> anyhow::Result<RecordSummary> {
    if options.endpoints.is_empty() {
        bail!("give at least one --endpoint");
    }
    let bodies = options
        .subscribe
        .iter()
        .map(|text| parse_subscribe_body(text))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut output = Output::prepare(options.out.as_deref(), options.append)?;
    let mut stop = StopSignal::listen();
    let backend = Backend::start(&tokio::runtime::Handle::current(), options.limits, Arc::new(|| {}));
    let mut run = Run::new(Session::new(backend, options.limits, &[]), &options, &bodies).await?;

    let deadline = options.duration.map(|duration| tokio::time::Instant::now() + duration);
    let stopped = loop {
        let room = tokio::select! {
            biased;
            () = stop.requested(1) => break Stopped::Signal,
            () = sleep_until(deadline) => break Stopped::Duration,
            room = run.room() => room,
        };
        if let Err(err) = room {
            break Stopped::Failure(err);
        }
        match run.step(&mut output, options.count) {
            Ok(None) => {}
            Ok(Some(stopped)) => break stopped,
            Err(err) => break Stopped::Failure(err),
        }
    };
    run.finish(&mut output, stopped, &mut stop, options.flush_timeout).await
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// One recording: the session it drives, and the output.
struct Run {
    /// Endpoints, subscriptions and what arrived, as the window has them.
    session: Session,
    /// The connections that opened at least once (a refusal before that ends the run).
    opened: HashSet<ConnId>,
    /// Created when the first connection opens.
    writer: Option<OutputWriter>,
    /// Captured before any connection was up (nothing, in practice): written when one is.
    held: Vec<CapturedEvent>,
    summary: RecordSummary,
}

impl Run {
    /// Connects every endpoint and subscribes every body on it (waiting for room in the
    /// command queue: 100 endpoints with 20 subscriptions each are 2,100 commands).
    async fn new(
        mut session: Session,
        options: &RecordOptions,
        bodies: &[SubscribeBody],
    ) -> anyhow::Result<Self> {
        for (index, url) in options.endpoints.iter().enumerate() {
            let shown = redact_url(url);
            let endpoint = Endpoint {
                id: index as u64 + 1,
                label: shown.clone(),
                url: url.clone(),
                api_key: options.api_key.as_ref().map(|key| key.expose().to_owned()).unwrap_or_default(),
                ping_interval: options.ping_interval,
                ..Endpoint::default()
            };
            if endpoint.needs_key() && endpoint.api_key.is_empty() {
                bail!("{shown} needs an API key: give --api-key or set {}", crate::settings::API_KEY_ENV);
            }
            session.add_endpoint(endpoint);
            session.backend().room_for_command().await;
            let conn = session
                .connect(index)
                .map_err(|err| anyhow::anyhow!("could not connect to {shown}: {err}"))?;
            for body in bodies {
                session.backend().room_for_command().await;
                if session.subscribe(conn, body.method.clone(), body.params.clone(), None).is_none() {
                    let notices = session.take_notices();
                    bail!("{} on {shown} was not sent: {notices:?}", body.method);
                }
            }
            if key_travels_in_clear(url) {
                eprintln!(
                    "subscope: warning: {shown} sends the key unencrypted (ws:// to another host); use wss://"
                );
            }
            eprintln!("subscope: connecting to {shown}");
        }
        Ok(Self {
            session,
            opened: HashSet::new(),
            writer: None,
            held: Vec::new(),
            summary: RecordSummary::default(),
        })
    }

    /// Waits until there are events to take and room for them in the output.
    async fn room(&self) -> anyhow::Result<()> {
        self.session.backend().queue().wait().await;
        match &self.writer {
            Some(writer) => writer.room().await,
            None => Ok(()),
        }
    }

    /// Takes a batch from the session and hands it to the output. Returns why the run stops,
    /// if it does.
    fn step(&mut self, output: &mut Output, count: Option<u64>) -> anyhow::Result<Option<Stopped>> {
        let taken = self.session.take(MAX_BATCH);
        self.summary.evicted += taken.evicted;
        let failure = self.report(&taken.events);
        let mut context_changed =
            taken.events.iter().any(|event| matches!(event, Event::Subscription { .. }));
        let mut events: Vec<CapturedEvent> = self.held.drain(..).chain(taken.frames).collect();
        let mut stopped = failure.map(Stopped::Failure);
        if let Some(count) = count {
            // Exactly `count`: the batch ends with the notification that reaches it.
            let mut notifications = self.summary.notifications;
            if let Some(last) = events.iter().position(|event| {
                notifications += u64::from(event.kind == FrameKind::Notification);
                notifications >= count
            }) {
                events.truncate(last + 1);
                stopped = stopped.or(Some(Stopped::Count));
            }
        }
        if self.writer.is_none() && !self.opened.is_empty() {
            self.writer = Some(OutputWriter::start(output.start()?)?);
            context_changed = true; // the thread starts with no names for the ids
        }
        if self.writer.is_some() {
            self.count(&events);
        }
        match &self.writer {
            Some(writer) => {
                let context = context_changed.then(|| self.session.live().context.clone());
                writer.send(events, context)?;
                let (in_flight_events, in_flight_bytes) = writer.in_flight();
                self.session.backend().queue().set_downstream(in_flight_events, in_flight_bytes);
            }
            None => self.held.extend(events),
        }
        Ok(stopped)
    }

    fn count(&mut self, events: &[CapturedEvent]) {
        self.summary.events += events.len() as u64;
        self.summary.notifications +=
            events.iter().filter(|event| event.kind == FrameKind::Notification).count() as u64;
    }

    /// Stops the connections, writes what is left, and waits for the output.
    async fn finish(
        mut self,
        output: &mut Output,
        stopped: Stopped,
        stop: &mut StopSignal,
        flush_timeout: Duration,
    ) -> anyhow::Result<RecordSummary> {
        for index in 0..self.session.endpoints().len() {
            self.session.backend().room_for_command().await;
            self.session.disconnect(index);
        }
        // Until every connection has closed (its last frames queued), at most a second, unless
        // the user insists.
        let mut rest: Vec<CapturedEvent> = self.held.drain(..).collect();
        let session = &mut self.session;
        let summary = &mut self.summary;
        let closing = async {
            while session.any_live() {
                session.backend().queue().wait().await;
                let taken = session.take(usize::MAX);
                summary.evicted += taken.evicted;
                rest.extend(taken.frames);
            }
        };
        tokio::select! {
            () = closing => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = stop.requested(2) => {}
        }
        let taken = self.session.take(usize::MAX);
        self.summary.evicted += taken.evicted;
        rest.extend(taken.frames);
        if matches!(stopped, Stopped::Count) {
            rest.retain(|event| event.kind != FrameKind::Notification); // exactly `--count`
        }
        let failure = match stopped {
            Stopped::Failure(err) => Some(err),
            Stopped::Signal | Stopped::Duration | Stopped::Count => None,
        };
        match self.writer.take() {
            Some(writer) => {
                self.count(&rest);
                match (writer.close(rest, stop, flush_timeout).await, failure) {
                    (Ok(()), None) => {}
                    (Ok(()), Some(err)) | (Err(err), None) => return Err(err),
                    (Err(flushing), Some(err)) => return Err(flushing.context(format!("{err:#}"))),
                }
            }
            None => {
                output.abandon();
                if let Some(err) = failure {
                    return Err(err);
                }
            }
        }
        if self.summary.evicted > 0 {
            eprintln!(
                "subscope: {} events were lost because the output could not keep up",
                self.summary.evicted
            );
        }
        Ok(self.summary)
    }

    /// Reports control events on stderr (the session has applied them); returns the failure
    /// that ends the run.
    fn report(&mut self, events: &[Event]) -> Option<anyhow::Error> {
        for event in events {
            match event {
                Event::State { conn, state } => {
                    let shown = self.connection_name(*conn);
                    match state {
                        ConnState::Open => {
                            self.opened.insert(*conn);
                            eprintln!("subscope: connected to {shown}");
                        }
                        ConnState::Closed { reason: Some(reason) } if !self.opened.contains(conn) => {
                            let reason = reason.with_hint();
                            return Some(anyhow::anyhow!("could not connect to {shown}: {reason}"));
                        }
                        ConnState::Reconnecting { reason, retry_at_ms, .. } => {
                            let wait = retry_at_ms.saturating_sub(crate::capture::now_ms());
                            eprintln!(
                                "subscope: {shown} lost ({reason}); reconnecting in {:.1} s",
                                wait as f64 / 1000.0
                            );
                        }
                        _ => {}
                    }
                }
                Event::Subscription { sub, outcome, resubscribed, .. } => {
                    let name = self.subscription_name(*sub);
                    match outcome {
                        SubscribeOutcome::Active(id) => {
                            let again = if *resubscribed { "re-subscribed" } else { "subscribed" };
                            eprintln!("subscope: {again} {name} (server id {id})");
                        }
                        SubscribeOutcome::Retrying { error, retry_in } => {
                            eprintln!(
                                "subscope: {name} was refused on re-subscribing ({error}); retrying in {:.1} s",
                                retry_in.as_secs_f64()
                            );
                        }
                        SubscribeOutcome::Failed(err) if *resubscribed => {
                            // The others go on; this one is reported and stays dead.
                            eprintln!("subscope: {name} was refused on re-subscribing: {err}");
                        }
                        SubscribeOutcome::Failed(err) => {
                            return Some(anyhow::anyhow!("{name} was refused: {err}"));
                        }
                    }
                }
                Event::Gap { lost_at_ms, restored_at_ms, .. } => {
                    eprintln!(
                        "subscope: gap of {} ms while reconnecting",
                        restored_at_ms.saturating_sub(*lost_at_ms)
                    );
                }
                Event::CommandFailed { message, .. } => return Some(anyhow::anyhow!("{message}")),
                Event::SubscriptionEnded { .. } | Event::Response { .. } => {}
            }
        }
        None
    }

    /// A connection's URL as shown.
    fn connection_name(&self, conn: ConnId) -> String {
        let endpoint = self.session.endpoints().iter().find(|endpoint| endpoint.conn == Some(conn));
        endpoint.map_or_else(|| format!("#{conn}"), |endpoint| endpoint.label.clone())
    }

    /// `method on URL` for a subscription.
    fn subscription_name(&self, sub: SubKey) -> String {
        let row = self.session.subscriptions().iter().find(|row| row.sub == sub);
        row.map_or_else(|| "subscription".to_owned(), |row| format!("{} on {}", row.method, row.conn_label))
    }
}

/// SIGINT and SIGTERM, listened for once for the whole run.
struct StopSignal {
    count: watch::Receiver<u32>,
}

impl StopSignal {
    /// Starts the one listener. The handlers are installed before this returns, so a signal
    /// that comes at once is not lost (nor does it kill the process the default way).
    fn listen() -> Self {
        let (tx, count) = watch::channel(0);
        let mut signals = Signals::install();
        tokio::spawn(async move {
            let mut received = 0;
            while signals.next().await {
                received += 1;
                if tx.send(received).is_err() {
                    return; // the run is over
                }
            }
        });
        Self { count }
    }

    /// Resolves once `times` signals have arrived.
    async fn requested(&mut self, times: u32) {
        if self.count.wait_for(|count| *count >= times).await.is_err() {
            std::future::pending::<()>().await; // no listener: no signal will come
        }
    }
}

/// The signals that stop a run, registered once for the whole run.
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        Self {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    #[cfg(not(unix))]
    fn install() -> Self {
        Self {}
    }

    /// Waits for the next SIGINT or SIGTERM; false when neither can be listened for.
    #[cfg(unix)]
    async fn next(&mut self) -> bool {
        async fn recv(signal: Option<&mut tokio::signal::unix::Signal>) -> Option<()> {
            match signal {
                Some(signal) => signal.recv().await,
                None => std::future::pending().await,
            }
        }
        if self.interrupt.is_none() && self.terminate.is_none() {
            return false;
        }
        tokio::select! {
            received = recv(self.interrupt.as_mut()) => received.is_some(),
            received = recv(self.terminate.as_mut()) => received.is_some(),
        }
    }

    /// Waits for the next Ctrl-C; false when it cannot be listened for.
    #[cfg(not(unix))]
    async fn next(&mut self) -> bool {
        tokio::signal::ctrl_c().await.is_ok()
    }
}

/// One batch for the writer thread, with the context when it changed.
struct Batch {
    events: Vec<CapturedEvent>,
    context: Option<CaptureContext>,
}

/// The output's thread, behind a bounded channel of batches.
struct OutputWriter {
    batches: mpsc::Sender<Batch>,
    /// Events sent and written, and the memory of those in between.
    sent: AtomicU64,
    written: Arc<AtomicU64>,
    in_flight_bytes: Arc<AtomicUsize>,
    done: oneshot::Receiver<io::Result<()>>,
}

impl OutputWriter {
    fn start(out: Box<dyn Write + Send>) -> anyhow::Result<Self> {
        let (batches, receiver) = mpsc::channel(CHANNEL_BATCHES);
        let (finished, done) = oneshot::channel();
        let written = Arc::new(AtomicU64::new(0));
        let in_flight_bytes = Arc::new(AtomicUsize::new(0));
        let (thread_written, thread_bytes) = (Arc::clone(&written), Arc::clone(&in_flight_bytes));
        std::thread::Builder::new()
            .name("subscope-writer".into())
            .spawn(move || {
                let result = write_batches(receiver, out, &thread_written, &thread_bytes);
                finished.send(result).ok(); // the run may have ended without waiting
            })
            .context("could not start the output thread")?;
        Ok(Self { batches, sent: AtomicU64::new(0), written, in_flight_bytes, done })
    }

    /// Waits until the channel has room for a batch.
    async fn room(&self) -> anyhow::Result<()> {
        match self.batches.reserve().await {
            Ok(permit) => {
                drop(permit); // only the room was wanted; the batch follows at once
                Ok(())
            }
            Err(_) => bail!("the output stopped"),
        }
    }

    /// Hands a batch to the thread (there is room: [`Self::room`] was awaited).
    fn send(&self, events: Vec<CapturedEvent>, context: Option<CaptureContext>) -> anyhow::Result<()> {
        if events.is_empty() && context.is_none() {
            return Ok(());
        }
        let bytes: usize = events.iter().map(CapturedEvent::memory_cost).sum();
        self.in_flight_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.sent.fetch_add(events.len() as u64, Ordering::Relaxed);
        self.batches.try_send(Batch { events, context }).map_err(|_| anyhow::anyhow!("the output stopped"))
    }

    /// Events and bytes handed over but not written yet.
    fn in_flight(&self) -> (usize, usize) {
        let pending = self.sent.load(Ordering::Relaxed).saturating_sub(self.written.load(Ordering::Relaxed));
        (usize::try_from(pending).unwrap_or(usize::MAX), self.in_flight_bytes.load(Ordering::Relaxed))
    }

    /// Sends the last events and waits, at most `timeout` (or until a second interrupt), for
    /// the thread to write everything.
    async fn close(
        self,
        rest: Vec<CapturedEvent>,
        stop: &mut StopSignal,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let Self { batches, sent, written, done, .. } = self;
        let unwritten = || sent.load(Ordering::Relaxed).saturating_sub(written.load(Ordering::Relaxed));
        let deadline = tokio::time::Instant::now() + timeout;
        let total = rest.len() as u64;
        let handed = tokio::select! {
            biased;
            () = stop.requested(2) => return Err(RecordError::Interrupted { unwritten: unwritten() + total }.into()),
            () = tokio::time::sleep_until(deadline) => false,
            result = batches.send(Batch { events: rest, context: None }) => result.is_ok(),
        };
        if handed {
            sent.fetch_add(total, Ordering::Relaxed);
        }
        drop(batches); // the thread ends once it has written what it holds
        tokio::select! {
            biased;
            () = stop.requested(2) => Err(RecordError::Interrupted { unwritten: unwritten() }.into()),
            () = tokio::time::sleep_until(deadline) => {
                let left = unwritten() + if handed { 0 } else { total };
                Err(RecordError::Unwritten { unwritten: left, waited: timeout }.into())
            }
            result = done => match result {
                Ok(Ok(())) if handed => Ok(()),
                Ok(Ok(())) => Err(RecordError::Unwritten { unwritten: total, waited: timeout }.into()),
                Ok(Err(err)) => Err(anyhow::Error::from(err).context(format!("{} events could not be written", unwritten()))),
                Err(_) => bail!("the output thread stopped"),
            },
        }
    }
}

/// The writer thread: renders each batch to NDJSON and hands it to the output in chunks that
/// end with whole lines, so the file only ever ends with a whole line.
fn write_batches(
    mut batches: mpsc::Receiver<Batch>,
    out: Box<dyn Write + Send>,
    written: &AtomicU64,
    in_flight_bytes: &AtomicUsize,
) -> io::Result<()> {
    let mut writer = EventWriter::new(out, Format::Ndjson)?;
    let mut context = CaptureContext::default();
    while let Some(batch) = batches.blocking_recv() {
        if let Some(changed) = batch.context {
            context = changed;
            writer.context_changed();
        }
        for event in &batch.events {
            writer.write(event, &context)?;
        }
        writer.flush()?;
        let bytes: usize = batch.events.iter().map(CapturedEvent::memory_cost).sum();
        in_flight_bytes.fetch_sub(bytes, Ordering::Relaxed);
        written.fetch_add(batch.events.len() as u64, Ordering::Relaxed);
    }
    writer.finish().map(drop)
}

/// Where a recording writes. A file is opened at start without being changed (so a path
/// that cannot be written is reported before anything connects), and only truncated or
/// appended to once the first connection is up; a run that never gets there leaves an
/// existing file as it was and removes one it created.
struct Output {
    /// The file and its path; `None` for stdout.
    file: Option<(File, PathBuf)>,
    append: bool,
    /// Whether this run created the file.
    created: bool,
}

impl Output {
    fn prepare(path: Option<&Path>, append: bool) -> anyhow::Result<Self> {
        let Some(path) = path.filter(|path| path.as_os_str() != "-") else {
            return Ok(Self { file: None, append, created: false });
        };
        let existed = path.exists();
        let file = std::fs::OpenOptions::new()
            .read(append) // to see whether the last line ended
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("could not open {} for writing", path.display()))?;
        Ok(Self { file: Some((file, path.to_owned())), append, created: !existed })
    }

    /// Recording starts: replace or extend the file, and hand out where to write.
    fn start(&mut self) -> anyhow::Result<Box<dyn Write + Send>> {
        let Some((mut file, path)) = self.file.take() else { return Ok(Box::new(io::stdout())) };
        let context = || format!("could not write {}", path.display());
        if self.append {
            let end = file.seek(io::SeekFrom::End(0)).with_context(context)?;
            if end > 0 && !ends_with_newline(&mut file)? {
                file.write_all(b"\n").with_context(context)?; // keep lines apart
            }
        } else {
            file.set_len(0).with_context(context)?;
            file.seek(io::SeekFrom::Start(0)).with_context(context)?;
        }
        self.created = false; // it is the recording's file now
        Ok(Box::new(file))
    }

    /// The run ends without having started: remove a file it created, leave any other alone.
    fn abandon(&mut self) {
        if let Some((file, path)) = self.file.take()
            && self.created
        {
            drop(file);
            std::fs::remove_file(path).ok(); // it was empty and ours
        }
    }
}

/// Whether a file (positioned at its end) ends with a newline.
fn ends_with_newline(file: &mut File) -> anyhow::Result<bool> {
    use std::io::Read as _;
    let mut last = [0u8; 1];
    file.seek(io::SeekFrom::End(-1))?;
    file.read_exact(&mut last)?;
    file.seek(io::SeekFrom::End(0))?;
    Ok(last[0] == b'\n')
}
