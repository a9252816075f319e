//! `subscope record`: headless capture to NDJSON for scripts.
//!
//! Every `--subscribe` body is checked before anything connects; a failed first connect or a
//! refused subscription ends the run with a non-zero exit and a message naming it. Events are
//! written in the export format ([`crate::export`]) as they arrive and flushed after every
//! batch, so a killed run still leaves whole lines. An existing `--out` file is not touched
//! until the first connection is up: a mistyped URL never destroys yesterday's capture.

use std::fs::File;
use std::io::{self, BufWriter, Seek as _, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};

use crate::backend::{Backend, Command, ConnState, ConnectionConfig, Event, SubscribeOutcome};
use crate::capture::{CaptureLimits, CapturedEvent, ConnId, SubKey};
use crate::export::{CaptureContext, EventWriter, Format, SubscriptionInfo};
use crate::protocol::FrameKind;
use crate::redact::{Secret, Secrets, key_travels_in_clear, redact_url};

/// What to record, from the command line. Its `Debug` shows URLs redacted.
#[derive(Clone, Default)]
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
    /// Stop after this many notifications.
    pub count: Option<u64>,
    /// The API key for `{api_key}` placeholders.
    pub api_key: Option<Secret>,
    /// Seconds between keepalive pings.
    pub ping_interval: Option<Duration>,
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

    /// Recording starts: replace or extend the file, and hand out the writer.
    fn start(&mut self) -> anyhow::Result<EventWriter<BufWriter<Box<dyn Write + Send>>>> {
        let out: Box<dyn Write + Send> = match self.file.take() {
            None => Box::new(io::stdout()),
            Some((mut file, path)) => {
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
                Box::new(file)
            }
        };
        Ok(EventWriter::new(BufWriter::new(out), Format::Ndjson)?)
    }

    /// The run ends without having started: remove a file it created, leave any other alone.
    fn abandon(self) {
        if let Some((file, path)) = self.file
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

/// What a finished recording wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordSummary {
    /// Events written.
    pub events: u64,
    /// Notifications among them.
    pub notifications: u64,
    /// Events lost to the capture limits (the writer could not keep up).
    pub evicted: u64,
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

/// Runs a recording until `--duration`, `--count`, Ctrl-C, or a failure.
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
    let mut writer: Option<EventWriter<BufWriter<Box<dyn Write + Send>>>> = None;
    // Captured before any connection was up (nothing, in practice): written when one is.
    let mut held: Vec<CapturedEvent> = Vec::new();

    let backend =
        Backend::start(&tokio::runtime::Handle::current(), CaptureLimits::default(), Arc::new(|| {}));
    let mut context = CaptureContext::default();
    let mut connections: Vec<(ConnId, String, bool)> = Vec::new();
    let mut sub_names: Vec<(SubKey, String)> = Vec::new();
    for endpoint in &options.endpoints {
        let conn = backend.new_connection_id();
        let shown = redact_url(endpoint);
        let mut config = ConnectionConfig::new(shown.clone(), endpoint.clone());
        config.api_key = options.api_key.clone();
        if let Some(interval) = options.ping_interval {
            config.ping_interval = interval;
        }
        context.add_connection(conn, &shown, endpoint);
        backend.send(Command::Connect { conn, config: Box::new(config) })?;
        for body in &bodies {
            let sub = backend.new_subscription_key();
            context.subscriptions.insert(
                sub,
                SubscriptionInfo {
                    method: body.method.clone(),
                    params: body.params.clone(),
                    server_id: None,
                },
            );
            sub_names.push((sub, format!("{} on {shown}", body.method)));
            backend.send(Command::Subscribe {
                conn,
                sub,
                method: body.method.clone(),
                params: body.params.clone(),
            })?;
        }
        if key_travels_in_clear(endpoint) {
            eprintln!(
                "subscope: warning: {shown} sends the key unencrypted (ws:// to another host); use wss://"
            );
        }
        connections.push((conn, shown, false));
        eprintln!("subscope: connecting to {}", connections.last().map_or("", |c| c.1.as_str()));
    }

    let mut summary = RecordSummary::default();
    let deadline = options.duration.map(|duration| tokio::time::Instant::now() + duration);
    let stop_reason: anyhow::Result<()> = loop {
        let timeout = async {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = backend.queue().wait() => {}
            () = timeout => break Ok(()),
            signal = tokio::signal::ctrl_c() => {
                signal.ok(); // either way we stop
                break Ok(());
            }
        }
        let drained = backend.drain();
        summary.evicted += drained.evicted;
        let failure = check_events(&drained.events, &mut connections, &mut context, &sub_names);
        if writer.is_none() && connections.iter().any(|(_, _, opened)| *opened) {
            writer = Some(output.start()?);
        }
        match &mut writer {
            Some(writer) => {
                if drained.events.iter().any(|event| matches!(event, Event::Subscription { .. })) {
                    writer.context_changed(); // server ids are known now
                }
                for event in held.drain(..).chain(drained.captured) {
                    writer.write(&event, &context)?;
                    summary.events += 1;
                    if event.kind == FrameKind::Notification {
                        summary.notifications += 1;
                    }
                }
                writer.flush()?;
            }
            None => held.extend(drained.captured),
        }
        if let Some(failure) = failure {
            break Err(failure);
        }
        if options.count.is_some_and(|count| summary.notifications >= count) {
            break Ok(());
        }
    };
    for (conn, _, _) in &connections {
        backend.send(Command::Disconnect { conn: *conn }).ok(); // the run ends either way
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    match writer {
        Some(mut writer) => {
            for event in &backend.drain().captured {
                writer.write(event, &context)?;
                summary.events += 1;
            }
            writer.finish()?;
        }
        None => output.abandon(),
    }
    stop_reason?;
    if summary.evicted > 0 {
        eprintln!("subscope: {} events were lost because the output could not keep up", summary.evicted);
    }
    Ok(summary)
}

/// Updates what is known from control events; returns the failure that ends the run.
fn check_events(
    events: &[Event],
    connections: &mut [(ConnId, String, bool)],
    context: &mut CaptureContext,
    sub_names: &[(SubKey, String)],
) -> Option<anyhow::Error> {
    for event in events {
        match event {
            Event::State { conn, state } => {
                let Some(entry) = connections.iter_mut().find(|(id, _, _)| id == conn) else { continue };
                match state {
                    ConnState::Open => {
                        entry.2 = true;
                        eprintln!("subscope: connected to {}", entry.1);
                    }
                    ConnState::Closed { reason: Some(reason) } if !entry.2 => {
                        return Some(anyhow::anyhow!("could not connect to {}: {reason}", entry.1));
                    }
                    ConnState::Reconnecting { reason, retry_at_ms, .. } => {
                        let wait = retry_at_ms.saturating_sub(crate::capture::now_ms());
                        eprintln!(
                            "subscope: {} lost ({reason}); reconnecting in {:.1} s",
                            entry.1,
                            wait as f64 / 1000.0
                        );
                    }
                    _ => {}
                }
            }
            Event::Subscription { sub, outcome, resubscribed, .. } => {
                let name = sub_names
                    .iter()
                    .find(|(key, _)| key == sub)
                    .map_or("subscription", |(_, name)| name.as_str());
                match outcome {
                    SubscribeOutcome::Active(id) => {
                        if let Some(info) = context.subscriptions.get_mut(sub) {
                            info.server_id = Some(id.clone());
                        }
                        let again = if *resubscribed { "re-subscribed" } else { "subscribed" };
                        eprintln!("subscope: {again} {name} (server id {id})");
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
