//! `subscope record`: subscriptions to NDJSON without a window, on [`crate::record`].

use std::path::PathBuf;

use super::Context;
use super::args::{REQUEST_BODY, RunArgs};
use crate::human::plural;

/// `record`'s arguments.
#[derive(clap::Args)]
pub struct RecordArgs {
    #[command(flatten)]
    run: RunArgs,
    /// A one-off JSON-RPC request sent once on every endpoint as it connects, its answer
    /// recorded (and replayed), e.g. '{"method":"eth_getBlockByNumber","params":["0x13",false]}'.
    /// Repeatable. With no --subscribe, the run ends once every request is answered.
    #[arg(long = "request", value_parser = REQUEST_BODY)]
    requests: Vec<String>,
    /// Where to write NDJSON (default: stdout). An existing file is replaced only once the
    /// first connection is up, so a run that cannot connect leaves it as it was.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Add to the --out file instead of replacing it.
    #[arg(long, requires = "out")]
    append: bool,
}

impl RecordArgs {
    /// Records until `--duration`, `--count`, Ctrl-C or SIGTERM, then says what it wrote.
    ///
    /// # Errors
    /// What [`crate::record::record`] fails with.
    pub fn run(self, context: &mut Context<'_>) -> anyhow::Result<()> {
        let options = crate::record::RecordOptions {
            requests: self.requests,
            ..self.run.options(self.out, self.append)
        };
        context.secrets = options.secrets();
        let summary = context.runtime.block_on(crate::record::record(options))?;
        let events = plural(summary.events, "event", "events");
        let notifications = plural(summary.notifications, "notification", "notifications");
        if summary.recovered > 0 {
            eprintln!(
                "subscope: recorded {events} ({notifications}, {} recovered after reconnects)",
                summary.recovered
            );
        } else {
            eprintln!("subscope: recorded {events} ({notifications})");
        }
        Ok(())
    }
}
