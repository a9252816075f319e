//! `subscope audit`: a capture held against the chain ([`crate::audit`]), per subscription:
//! what the chain holds over the span it covered and what it delivered.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use super::Context;
use super::args::RPC_URL;
use crate::audit::{AuditProgress, AuditReport, audit, read_capture, render_text, to_json};
use crate::export::Progress;
use crate::redact::{Secret, Secrets, lost_its_key, redact_url};
use crate::rpc::{RpcCallError, RpcClient, RpcConfig, rpc_url_for};

/// Exit code: something the chain holds was not delivered.
pub const EXIT_MISSING: u8 = 1;

/// Exit code: the chain could not be asked about at least one subscription.
pub const EXIT_CHAIN_UNREACHABLE: u8 = 3;

/// Exit code: the capture could not be read.
pub const EXIT_UNREADABLE: u8 = 4;

/// `audit`'s arguments.
#[derive(clap::Args)]
#[command(after_help = "Exit codes: 0 nothing missing (every checkable subscription checked); 1 something \
    missing; 2 a usage error (a bad argument, no --rpc and a capture endpoint that cannot give one); 3 the \
    chain could not be asked (RPC unreachable or refusing) for at least one subscription; 4 the capture \
    could not be read.")]
pub struct AuditArgs {
    /// The capture file (NDJSON or JSON from subscope, or HAR).
    file: PathBuf,
    /// The chain's HTTP JSON-RPC URL (`{api_key}` marks where the key goes). Without it, the
    /// URL is derived from each subscription's endpoint in the capture, when that holds no
    /// masked part.
    #[arg(long, value_parser = RPC_URL)]
    rpc: Option<String>,
    /// The API key placed at `{api_key}` (or set SUBSCOPE_API_KEY).
    #[arg(long, env = "SUBSCOPE_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    json: bool,
}

impl AuditArgs {
    /// Reads the capture, asks the chain, prints the report on stdout; the exit code says
    /// what it found (see `--help`).
    pub fn run(self, context: &mut Context<'_>) -> ExitCode {
        let key = self.api_key.map(Secret::new).filter(|key| !key.is_empty());
        let mut secrets = Secrets::default();
        if let Some(rpc) = &self.rpc {
            secrets.add_url(rpc);
        }
        if let Some(key) = &key {
            secrets.add_key(key);
        }
        context.secrets = secrets;
        let capture = match read_capture(&self.file, &Progress::default()) {
            Ok(capture) => capture,
            Err(err) => {
                eprintln!("subscope: {}: {err}", self.file.display());
                return ExitCode::from(EXIT_UNREADABLE);
            }
        };
        let endpoints: Vec<&str> = capture.subscriptions.iter().map(|sub| sub.endpoint.as_str()).collect();
        let chains = match clients(self.rpc.as_deref(), key.as_ref(), &endpoints) {
            Ok(chains) => chains,
            Err(message) => {
                super::usage_error(clap::error::ErrorKind::ValueValidation, context.secrets.scrub(&message))
            }
        };
        let progress = Arc::new(AuditProgress::default());
        let report = context.runtime.block_on(async {
            let ticker =
                std::io::stderr().is_terminal().then(|| tokio::spawn(show_progress(Arc::clone(&progress))));
            let report = audit(&capture, &chains, &progress).await;
            if let Some(ticker) = ticker {
                ticker.abort();
                eprint!("\r\x1b[2K");
            }
            report
        });
        let text = if self.json { to_json(&report) + "\n" } else { render_text(&report) };
        print!("{}", context.secrets.scrub_report(&text));
        exit_code(&report, &context.secrets)
    }
}

/// The exit code, saying on stderr what could not be checked.
fn exit_code(report: &AuditReport, secrets: &Secrets) -> ExitCode {
    if report.failed() > 0 {
        for audit in &report.subscriptions {
            if let crate::audit::Outcome::Failed { error } = &audit.outcome {
                eprintln!("subscope: could not audit subscription {}: {}", audit.key, secrets.scrub(error));
            }
        }
        return ExitCode::from(EXIT_CHAIN_UNREACHABLE);
    }
    if report.missing() > 0 { ExitCode::from(EXIT_MISSING) } else { ExitCode::SUCCESS }
}

/// A client per endpoint of the capture: `--rpc` for all, else each endpoint's own HTTP side.
/// A message for a usage error when one cannot be made.
fn clients(
    rpc: Option<&str>,
    key: Option<&Secret>,
    endpoints: &[&str],
) -> Result<HashMap<String, RpcClient>, String> {
    let client = |url: &str| {
        let mut config = RpcConfig::new(url);
        config.api_key = key.cloned();
        RpcClient::new(config).map_err(|err| match err {
            RpcCallError::NeedsKey => {
                format!("{} needs an API key: give --api-key or set SUBSCOPE_API_KEY", redact_url(url))
            }
            other => format!("--rpc: {other}"),
        })
    };
    let mut chains = HashMap::new();
    if let Some(rpc) = rpc {
        let one = client(rpc)?;
        for endpoint in endpoints {
            chains.insert((*endpoint).to_owned(), one.clone());
        }
        return Ok(chains);
    }
    for endpoint in endpoints {
        if chains.contains_key(*endpoint) {
            continue;
        }
        if lost_its_key(endpoint) {
            return Err(format!(
                "the capture's endpoint {endpoint} was recorded with its key masked; give the RPC URL with --rpc"
            ));
        }
        let Some(url) = rpc_url_for(endpoint) else {
            return Err(format!(
                "no HTTP RPC URL can be derived from the capture's endpoint {endpoint}; give --rpc"
            ));
        };
        chains.insert((*endpoint).to_owned(), client(&url)?);
    }
    Ok(chains)
}

/// A progress line on stderr (a terminal), redrawn a few times a second until aborted.
async fn show_progress(progress: Arc<AuditProgress>) {
    let mut interval = tokio::time::interval(Duration::from_millis(250));
    loop {
        interval.tick().await;
        let (stage, done, total) = progress.get();
        let count = if total > 0 {
            format!(" {done}/{total}")
        } else if done > 0 {
            format!(" {done}")
        } else {
            String::new()
        };
        eprint!("\r\x1b[2Kauditing {stage}{count}");
    }
}
