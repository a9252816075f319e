//! The verbs of the `subscope` binary, one file each: what a verb takes on the command line
//! (its clap `Args`) and how it runs, on the engines the library holds ([`crate::record`],
//! [`crate::compare`], [`crate::replay`], [`crate::demo`], the capture readers). `main.rs`
//! builds the runtime and hands the parsed [`Cli`] to [`run`], or opens the window.
//!
//! **Adding a verb:** a file here with its `Args` struct and a `run(self, &mut Context)`, and
//! its line in [`Verb`] and in [`run`]'s match. Values shared by verbs (times, `--subscribe`
//! bodies, what `record` and `compare` connect to) are parsed in `args`.

mod args;
pub mod audit;
pub mod compare;
pub mod demo_server;
pub mod monitor;
pub mod record;
pub mod replay;
pub mod show;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};

use crate::record::RecordError;
use crate::redact::Secrets;

/// Watch blockchain JSON-RPC WebSocket subscriptions (Solana PubSub, Helius, eth_subscribe).
#[derive(Parser)]
#[command(name = "subscope", version, about)]
pub struct Cli {
    /// A capture file (.ndjson or .json) to open in the app, read-only.
    pub file: Option<PathBuf>,

    /// A verb; none opens the window.
    #[command(subcommand)]
    pub verb: Option<Verb>,
}

/// Every verb, and its arguments.
#[derive(Subcommand)]
pub enum Verb {
    /// Record subscriptions to NDJSON without a window.
    Record(record::RecordArgs),
    /// Send the same subscriptions on several endpoints and compare what each delivers: how
    /// many items it had first, missed, repeated, and how far it lagged behind the fastest.
    Compare(compare::CompareArgs),
    /// Run the offline demo server on 127.0.0.1.
    DemoServer(demo_server::DemoServerArgs),
    /// Print every method subscope knows, with its fields and defaults.
    Methods,
    /// Print a capture file as the window's table, one line per event, with decoded events,
    /// calls and Solana log trees.
    Show(show::ShowArgs),
    /// Serve a capture (NDJSON, JSON or HAR) as a JSON-RPC WebSocket endpoint on 127.0.0.1.
    Replay(replay::ReplayArgs),
    /// Hold a capture against the chain: per subscription, what the chain holds over the span
    /// it covered and what it delivered (missing, extra, duplicates, out of order, reorged).
    Audit(audit::AuditArgs),
    /// Watch a workspace's subscriptions for as long as it runs and serve what subscribers
    /// suffer (lag, misses, stalls, reconnects) as Prometheus metrics on /metrics.
    Monitor(monitor::MonitorArgs),
}

/// What a verb runs with: the runtime `main` built, and the secrets its command line holds,
/// which are scrubbed from whatever it fails with.
pub struct Context<'a> {
    /// The one tokio runtime.
    pub runtime: &'a tokio::runtime::Runtime,
    /// Every secret the command line held (endpoint URLs, `--api-key`).
    pub secrets: Secrets,
}

/// Runs a verb to its end: what it prints, and the exit code (0; 1 for a failure, printed
/// with its secrets scrubbed; 130 after a second interrupt).
pub fn run(verb: Verb, runtime: &tokio::runtime::Runtime) -> ExitCode {
    let mut context = Context { runtime, secrets: Secrets::default() };
    let result = match verb {
        Verb::Record(args) => args.run(&mut context),
        Verb::Compare(args) => args.run(&mut context),
        Verb::DemoServer(args) => args.run(&mut context),
        Verb::Methods => {
            print!("{}", crate::catalog::cheat_sheet());
            Ok(())
        }
        Verb::Show(args) => args.run(),
        Verb::Replay(args) => args.run(&mut context),
        Verb::Audit(args) => return args.run(&mut context),
        Verb::Monitor(args) => args.run(&mut context),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("subscope: {}", context.secrets.scrub(&format!("{err:#}")));
            // A second Ctrl-C ends the run at once, with the shell's code for an interrupt.
            let interrupted = matches!(err.downcast_ref(), Some(RecordError::Interrupted { .. }));
            if interrupted { ExitCode::from(130) } else { ExitCode::FAILURE }
        }
    }
}

/// Ends the process as a usage error (exit 2, clap's format) with `message`: for what can
/// only be checked after parsing, or where clap's own message would repeat a secret or a
/// 120 KB value.
pub(crate) fn usage_error(kind: clap::error::ErrorKind, message: impl std::fmt::Display) -> ! {
    Cli::command().error(kind, message).exit()
}
