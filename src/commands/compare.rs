//! `subscope compare`: every `--subscribe` sent on every `--endpoint`, compared until the run
//! stops (`--duration`, `--count`, Ctrl-C or SIGTERM, as `record`), then reported. It runs on
//! `record`'s machinery ([`crate::record`]) with the comparison engine ([`crate::compare`])
//! watching, so `--out` writes the capture as `record` does; without `--out` nothing is
//! written.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;

use super::Context;
use super::args::{RunArgs, parse_grace};
use crate::backend::{Command, Identity, take_identity};
use crate::capture::{CapturedEvent, now_ms};
use crate::compare::{Compare, CompareConfig, Missed, Report, render_table};
use crate::export::CaptureContext;
use crate::human::plural;
use crate::record::{self, Observer, Output, RecordOptions, RecordSummary};

/// `compare`'s arguments.
#[derive(clap::Args)]
pub struct CompareArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Also write the capture here as NDJSON, as `record --out` does (a file, not `-`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// How long after one endpoint delivers an item the others may still deliver it before
    /// it counts as missed: seconds, or a number with s, m or h.
    #[arg(long, default_value = "10", value_parser = parse_grace)]
    grace: Duration,
}

impl CompareArgs {
    /// Compares until the run stops, then prints the table (or JSON) on stdout.
    ///
    /// # Errors
    /// What [`compare`] fails with.
    pub fn run(self, context: &mut Context<'_>) -> anyhow::Result<()> {
        if self.run.subscribe.is_empty() {
            super::usage_error(
                clap::error::ErrorKind::MissingRequiredArgument,
                "compare needs at least one --subscribe",
            );
        }
        let options = self.run.options(self.out, false);
        context.secrets = options.secrets();
        let grace_ms = u64::try_from(self.grace.as_millis()).unwrap_or(u64::MAX);
        let config = CompareConfig { grace_ms, ..CompareConfig::default() };
        let (report, summary) = context.runtime.block_on(compare(&options, config))?;
        // Endpoints are shown redacted already; the scrub is for anything else.
        let text = if self.json { report.to_json() + "\n" } else { render_table(&report) };
        print!("{}", context.secrets.scrub_report(&text));
        let notifications = plural(summary.notifications, "notification", "notifications");
        let endpoints = plural(options.endpoints.len() as u64, "endpoint", "endpoints");
        eprintln!("subscope: compared {notifications} from {endpoints}");
        Ok(())
    }
}

impl Observer for Compare {
    fn observe(
        &mut self,
        events: &[CapturedEvent],
        identities: &mut VecDeque<Identity>,
        context: &CaptureContext,
    ) {
        for event in events {
            self.observe_identified(event, take_identity(identities, event.seq), context);
        }
    }

    /// Read by the connections as they classify frames: the frame is in their cache then, and
    /// read once rather than twice.
    fn identifies_items(&self) -> bool {
        true
    }

    /// Each item an endpoint missed (another delivered it), asked of that endpoint over HTTP.
    fn commands(&mut self) -> Vec<Command> {
        let missed = self.take_missed();
        missed
            .into_iter()
            .map(|Missed { sub, conn, height }| Command::Recover { conn, sub, height })
            .collect()
    }
}

/// Runs a comparison; returns what it found and what the run took.
///
/// # Errors
///
/// What `record` refuses (a bad body, no endpoint, a failed first connect, a refused
/// subscription, a second interrupt), no `--subscribe`, or `--out -` (stdout carries the
/// report).
pub async fn compare(
    options: &RecordOptions,
    config: CompareConfig,
) -> anyhow::Result<(Report, RecordSummary)> {
    let bodies = record::check(options)?;
    if bodies.is_empty() {
        bail!("give at least one --subscribe to compare");
    }
    let output = match options.out.as_deref() {
        None => Output::discard(),
        Some(path) if path.as_os_str() == "-" => {
            bail!("--out - is not possible here: stdout carries the comparison; give a file")
        }
        Some(path) => Output::prepare(Some(path), options.append)?,
    };
    let mut compare = Compare::new(config);
    let summary = record::drive(options, &bodies, output, &mut compare).await?;
    compare.finish(now_ms());
    Ok((compare.report(), summary))
}
