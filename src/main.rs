//! The `subscope` binary: the desktop app, and the headless `record`, `demo-server` and
//! `methods` commands.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use subscope::record::{RecordOptions, record};
use subscope::redact::{Secret, Secrets};

/// Watch blockchain JSON-RPC WebSocket subscriptions (Solana PubSub, Helius, eth_subscribe).
#[derive(Parser)]
#[command(name = "subscope", version, about)]
struct Cli {
    /// A capture file (.ndjson or .json) to open in the app, read-only.
    file: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Commands>,
}

#[derive(Subcommand)]
enum Commands {
    /// Record subscriptions to NDJSON without a window.
    Record {
        /// An endpoint URL (ws:// or wss://; `{api_key}` marks where the key goes), or `demo`
        /// for the built-in offline demo server. Repeat for several connections.
        #[arg(long = "endpoint", required = true)]
        endpoints: Vec<String>,
        /// A JSON-RPC request body sent on every endpoint, e.g.
        /// '{"method":"logsSubscribe","params":["all"]}'. Repeatable.
        #[arg(long = "subscribe")]
        subscribe: Vec<String>,
        /// Where to write NDJSON (default: stdout). An existing file is replaced only once the
        /// first connection is up, so a run that cannot connect leaves it as it was.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Add to the --out file instead of replacing it.
        #[arg(long, requires = "out")]
        append: bool,
        /// Stop after this many seconds.
        #[arg(long)]
        duration: Option<f64>,
        /// Stop after this many notifications.
        #[arg(long)]
        count: Option<u64>,
        /// The API key placed at `{api_key}` in endpoint URLs (or set SUBSCOPE_API_KEY).
        #[arg(long, env = "SUBSCOPE_API_KEY", hide_env_values = true)]
        api_key: Option<String>,
        /// Seconds between keepalive pings.
        #[arg(long, default_value_t = 30.0)]
        ping_interval: f64,
    },
    /// Run the offline demo server on 127.0.0.1.
    DemoServer {
        /// The port (0 picks a free one).
        #[arg(long, default_value_t = 8910)]
        port: u16,
    },
    /// Print every method subscope knows, with its fields and defaults.
    Methods,
}

#[cfg(feature = "gui")]
fn run_app(runtime: &tokio::runtime::Runtime, file: Option<PathBuf>) -> anyhow::Result<()> {
    let _guard = runtime.enter();
    subscope::app::run(runtime.handle().clone(), file)
}

#[cfg(not(feature = "gui"))]
fn run_app(_runtime: &tokio::runtime::Runtime, _file: Option<PathBuf>) -> anyhow::Result<()> {
    anyhow::bail!("this subscope was built without the `gui` feature; use `subscope record`")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("subscope-io").build() {
            Ok(runtime) => runtime,
            Err(err) => {
                eprintln!("subscope: could not start the async runtime: {err}");
                return ExitCode::FAILURE;
            }
        };
    // Whatever fails, the message is printed with every secret the command line held removed.
    let mut secrets = Secrets::default();
    let result = match cli.command {
        None => run_app(&runtime, cli.file),
        Some(Commands::Methods) => {
            print!("{}", subscope::catalog::cheat_sheet());
            Ok(())
        }
        Some(Commands::DemoServer { port }) => {
            runtime.block_on(subscope::demo::run_forever(port)).map_err(anyhow::Error::from)
        }
        Some(Commands::Record {
            endpoints,
            subscribe,
            out,
            append,
            duration,
            count,
            api_key,
            ping_interval,
        }) => {
            let options = RecordOptions {
                endpoints,
                subscribe,
                out,
                append,
                duration: duration.map(Duration::from_secs_f64),
                count,
                api_key: api_key.map(Secret::new),
                ping_interval: Some(Duration::from_secs_f64(ping_interval.max(0.1))),
            };
            secrets = options.secrets();
            runtime.block_on(record(options)).map(|summary| {
                eprintln!(
                    "subscope: recorded {} events ({} notifications)",
                    summary.events, summary.notifications
                );
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("subscope: {}", secrets.scrub(&format!("{err:#}")));
            ExitCode::FAILURE
        }
    }
}
