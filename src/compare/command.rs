//! `subscope compare`: every `--subscribe` sent on every `--endpoint`, compared until the run
//! stops (`--duration`, `--count`, Ctrl-C or SIGTERM, as `record`), then reported. It runs on
//! `record`'s machinery ([`crate::record`]), so `--out` writes the capture as `record` does;
//! without `--out` nothing is written.

use anyhow::bail;

use super::{Compare, CompareConfig, Report};
use crate::capture::{CapturedEvent, now_ms};
use crate::export::CaptureContext;
use crate::record::{self, Observer, Output, RecordOptions, RecordSummary};

impl Observer for Compare {
    fn observe(&mut self, events: &[CapturedEvent], context: &CaptureContext) {
        for event in events {
            Compare::observe(self, event, context);
        }
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
