//! `subscope record`: headless capture to NDJSON for scripts.
//!
//! Every `--subscribe` and `--request` body is checked before anything connects; a failed
//! first connect, a refused subscription or a request left unanswered by a lost connection
//! ends the run with a non-zero exit and a message naming it. A `--request` is sent once per
//! endpoint and recorded with its answer; a run with requests and no subscription ends once
//! every request is answered.
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

pub(crate) mod output;
mod run;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};

#[cfg(doc)]
use crate::backend::take_identity;
use crate::backend::{Backend, Identity};
use crate::capture::{CaptureLimits, CapturedEvent};
use crate::export::CaptureContext;
use crate::human::plural;
use crate::protocol::request::{RequestBody, RequestError, parse_request};
use crate::redact::{Secret, Secrets, redact_url};
use crate::session::Session;
use crate::signal::StopSignal;
pub(crate) use output::Output;
use run::Run;

/// The most events taken from the queue for one batch.
const MAX_BATCH: usize = 8_192;

/// How many batches may wait for the writer thread.
const CHANNEL_BATCHES: usize = 8;

/// What to record, from the command line. Its `Debug` shows URLs redacted.
#[derive(Clone)]
pub struct RecordOptions {
    /// Endpoint URLs (or `demo`), one connection each.
    pub endpoints: Vec<String>,
    /// JSON-RPC subscribe bodies, sent on every endpoint (and again after a reconnect).
    pub subscribe: Vec<String>,
    /// JSON-RPC one-off request bodies, sent once on every endpoint and answered once.
    pub requests: Vec<String>,
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
    /// Each endpoint's HTTP JSON-RPC URL, in `endpoints`' order (none: derived from each).
    pub rpc_urls: Vec<String>,
    /// Whether notifications missed during a reconnect are recovered over HTTP.
    pub backfill: bool,
}

impl Default for RecordOptions {
    fn default() -> Self {
        Self {
            endpoints: Vec::new(),
            subscribe: Vec::new(),
            requests: Vec::new(),
            out: None,
            append: false,
            duration: None,
            count: None,
            api_key: None,
            ping_interval: None,
            limits: CaptureLimits::default(),
            flush_timeout: Duration::from_secs(5),
            rpc_urls: Vec::new(),
            backfill: true,
        }
    }
}

impl std::fmt::Debug for RecordOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let endpoints: Vec<String> = self.endpoints.iter().map(|url| redact_url(url)).collect();
        f.debug_struct("RecordOptions")
            .field("endpoints", &endpoints)
            .field("subscribe", &self.subscribe)
            .field("requests", &self.requests)
            .field("out", &self.out)
            .field("append", &self.append)
            .field("duration", &self.duration)
            .field("count", &self.count)
            .field("api_key", &self.api_key)
            .field("ping_interval", &self.ping_interval)
            .field("limits", &self.limits)
            .field("flush_timeout", &self.flush_timeout)
            .field("rpc_urls", &self.rpc_urls.iter().map(|url| redact_url(url)).collect::<Vec<_>>())
            .field("backfill", &self.backfill)
            .finish()
    }
}

impl RecordOptions {
    /// Every secret the run knows: the key and whatever the endpoint URLs hold in clear, to
    /// scrub from any message printed about the run.
    pub fn secrets(&self) -> Secrets {
        let mut secrets = Secrets::default();
        for endpoint in self.endpoints.iter().chain(&self.rpc_urls) {
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
    /// Notifications among them recovered over HTTP after a reconnect.
    pub recovered: u64,
}

/// Why a recording ended without a summary.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A second SIGINT or SIGTERM: the run ended at once.
    #[error(
        "interrupted again; stopped without writing {}",
        plural(*.unwritten, "queued event", "queued events")
    )]
    Interrupted {
        /// Events that were still waiting for the output.
        unwritten: u64,
    },
    /// The output did not take what was queued in time (a stalled reader, a full disk).
    #[error(
        "{} could not be written: the output was still busy after {waited:?}",
        plural(*.unwritten, "event", "events")
    )]
    Unwritten {
        /// How many.
        unwritten: u64,
        /// How long the run waited.
        waited: Duration,
    },
}

/// What is wrong with a `--subscribe` body. The message never quotes the body (it can be a
/// 100 KB paste): whoever shows it quotes [`excerpt_body`] beside it.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Not a JSON-RPC request.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// A known method whose params break its rules.
    #[error("{method}: {}: {}", .error.field, .error.message)]
    Params {
        /// The method.
        method: String,
        /// The first field found wrong.
        error: crate::catalog::FieldError,
    },
    /// A one-off request given as a subscription.
    #[error("{method} is a one-off request, not a subscription: record takes it with --request")]
    OneOff {
        /// The method.
        method: String,
    },
    /// A subscription (or its cancelling) given as a one-off request.
    #[error("{method} is not a one-off request: give a subscription with --subscribe")]
    NotOneOff {
        /// The method.
        method: String,
    },
}

/// The start of a `--subscribe` body, to quote beside a [`BodyError`].
pub fn excerpt_body(text: &str) -> String {
    crate::human::excerpt(text, 60)
}

/// Parses and validates a `--subscribe` body: a JSON object with a non-empty `method` string
/// and optional `params`; known methods are checked field by field, and a method the
/// catalogue knows as a one-off request is refused (it belongs in `--request`).
///
/// # Errors
///
/// What is wrong with it, first found first.
pub fn parse_subscribe_body(text: &str) -> Result<RequestBody, BodyError> {
    let RequestBody { method, params } = parse_request(text)?;
    if crate::catalog::is_one_off_method(&method) {
        return Err(BodyError::OneOff { method });
    }
    crate::catalog::check_request(&method, params.as_ref())
        .map_err(|error| BodyError::Params { method: method.clone(), error })?;
    Ok(RequestBody { method, params })
}

/// Parses a `--request` body: a JSON object with a non-empty `method` string and optional
/// `params`, for a method that does not open or cancel a subscription.
///
/// # Errors
///
/// What is wrong with it.
pub fn parse_request_body(text: &str) -> Result<RequestBody, BodyError> {
    let body = parse_request(text)?;
    if crate::catalog::is_subscribe_method(&body.method)
        || crate::catalog::is_unsubscribe_method(&body.method)
    {
        return Err(BodyError::NotOneOff { method: body.method });
    }
    Ok(body)
}

/// Why the run loop stopped.
enum Stopped {
    /// SIGINT or SIGTERM.
    Signal,
    /// `--duration` passed.
    Duration,
    /// `--count` notifications were written.
    Count,
    /// Every `--request` was answered, and there is no `--subscribe` to wait on.
    Answered,
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
    let bodies = check(&options)?;
    let output = Output::prepare(options.out.as_deref(), options.append)?;
    drive(&options, &bodies, output, &mut ()).await
}

/// Checks what can be checked before anything connects: an endpoint, and every
/// `--subscribe` body.
pub fn check(options: &RecordOptions) -> anyhow::Result<Vec<RequestBody>> {
    if options.endpoints.is_empty() {
        bail!("give at least one --endpoint");
    }
    if !options.rpc_urls.is_empty() && options.rpc_urls.len() != options.endpoints.len() {
        bail!(
            "give one --rpc per --endpoint, in the same order ({} for {})",
            options.rpc_urls.len(),
            options.endpoints.len()
        );
    }
    for text in &options.requests {
        parse_request_body(text).with_context(|| format!("--request '{}'", excerpt_body(text)))?;
    }
    let parse = |text: &String| {
        parse_subscribe_body(text).with_context(|| format!("--subscribe '{}'", excerpt_body(text)))
    };
    options.subscribe.iter().map(parse).collect()
}

/// Sees every captured event a run takes, in order, with the names of its ids.
pub(crate) trait Observer {
    /// A batch of events, and the context that names their connections and subscriptions;
    /// `identities` are the item identities the connections read of some of them, by sequence
    /// number, in order (when the observer asked for them: [`Self::identifies_items`]).
    /// Each is taken from `identities` with its frame ([`take_identity`]).
    fn observe(
        &mut self,
        events: &[CapturedEvent],
        identities: &mut VecDeque<Identity>,
        context: &CaptureContext,
    );

    /// Whether the connections should read each notification's item identity as they
    /// classify it, for [`Self::observe`].
    fn identifies_items(&self) -> bool {
        false
    }

    /// What it asks the connections to do after a batch (a comparison: fetch the items an
    /// endpoint missed).
    fn commands(&mut self) -> Vec<crate::backend::Command> {
        Vec::new()
    }
}

impl Observer for () {
    fn observe(
        &mut self,
        _events: &[CapturedEvent],
        _identities: &mut VecDeque<Identity>,
        _context: &CaptureContext,
    ) {
    }
}

/// Connects every endpoint, sends every body on each, and hands what arrives to `output`
/// and `observer` until `--duration`, `--count`, SIGINT/SIGTERM, or a failure (`record`
/// and `compare` both run on this).
pub(crate) async fn drive(
    options: &RecordOptions,
    bodies: &[RequestBody],
    mut output: Output,
    observer: &mut dyn Observer,
) -> anyhow::Result<RecordSummary> {
    if options.secrets().kept_in_frames() {
        eprintln!("subscope: {}", crate::protocol::meta::KEPT_IN_FRAMES);
    }
    let mut stop = StopSignal::listen();
    let backend = Backend::start(&tokio::runtime::Handle::current(), options.limits, Arc::new(|| {}));
    backend.queue().identify_items(observer.identifies_items());
    let mut run = Run::new(Session::new(backend, options.limits, &[]), options, bodies).await?;

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
        match run.step(&mut output, options.count, observer) {
            Ok(None) => {}
            Ok(Some(stopped)) => break stopped,
            Err(err) => break Stopped::Failure(err),
        }
    };
    run.finish(&mut output, stopped, &mut stop, options.flush_timeout, observer).await
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_body_says_what_is_wrong_without_quoting_all_of_it() {
        let refused =
            |text: &str| parse_subscribe_body(text).err().map(|err| err.to_string()).unwrap_or_default();
        assert!(refused("nope").starts_with("not JSON: expected ident at line 1 column 2"));
        assert_eq!(refused("[1]"), "must be a JSON object, not an array");
        assert!(refused("{}").starts_with(r#"needs a non-empty "method" string"#));
        assert!(refused(r#"{"method":" "}"#).starts_with(r#"needs a non-empty "method" string"#));
        assert_eq!(refused(r#"{"method":null}"#), r#""method" must be a string, not null"#);
        let long = format!(r#"{{"method":"logsSubscribe","params":["{}"]}}"#, "x".repeat(100_000));
        assert!(refused(&long).len() < 200, "{}", refused(&long));

        // A caller that skips the command line's check gets the same message, quoting the start.
        let options = RecordOptions {
            endpoints: vec!["demo".to_owned()],
            subscribe: vec![format!("[{}]", "1,".repeat(50_000) + "1")],
            ..RecordOptions::default()
        };
        let message = check(&options).err().map(|err| format!("{err:#}")).unwrap_or_default();
        assert!(message.starts_with("--subscribe '[1,1,"), "{message}");
        assert!(message.ends_with("…': must be a JSON object, not an array"), "{message}");
    }

    #[test]
    fn a_one_off_belongs_in_request_and_a_subscription_in_subscribe() {
        let block = r#"{"method":"eth_getBlockByNumber","params":["0x13",false]}"#;
        let refused = parse_subscribe_body(block).err().map(|err| err.to_string()).unwrap_or_default();
        assert_eq!(
            refused,
            "eth_getBlockByNumber is a one-off request, not a subscription: record takes it with --request"
        );
        assert!(parse_request_body(block).is_ok());
        assert!(parse_request_body(r#"{"method":"getSlot"}"#).is_ok());
        for subscription in
            [r#"{"method":"slotSubscribe"}"#, r#"{"method":"eth_unsubscribe","params":["0x1"]}"#]
        {
            let refused =
                parse_request_body(subscription).err().map(|err| err.to_string()).unwrap_or_default();
            assert!(
                refused.ends_with("is not a one-off request: give a subscription with --subscribe"),
                "{refused}"
            );
            assert!(parse_request_body(subscription).is_err());
        }
        // A method the catalogue does not know stays the user's call.
        assert!(parse_subscribe_body(r#"{"method":"madeUpSubscribe"}"#).is_ok());

        let options = RecordOptions {
            endpoints: vec!["demo".to_owned()],
            requests: vec![r#"{"method":"rootSubscribe"}"#.to_owned()],
            ..RecordOptions::default()
        };
        let message = check(&options).err().map(|err| format!("{err:#}")).unwrap_or_default();
        assert!(
            message.starts_with(r#"--request '{"method":"rootSubscribe"}': rootSubscribe is not"#),
            "{message}"
        );
    }
}
