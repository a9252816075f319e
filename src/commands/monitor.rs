//! `subscope monitor WORKSPACE`: the workspace's subscriptions watched until SIGTERM, served
//! as Prometheus metrics ([`crate::monitor`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::Context;
use super::args::parse_duration;
use crate::monitor::{DEFAULT_LISTEN, LogFormat, MonitorOptions, RotateOptions};

/// What `monitor --help` says after the options.
const AFTER_HELP: &str = "\
Serves GET /metrics (Prometheus text format), /healthz and /readyz. Keys come from
SUBSCOPE_KEY_<ENDPOINT> (the endpoint's name in capitals, other characters as _) or from the
workspace's key_file (mode 0600), never from the workspace. SIGHUP reads the workspace again
(added and removed subscriptions are applied, the others keep running); SIGTERM or Ctrl-C
closes the connections and exits 0. Try: subscope monitor assets/monitoring/demo.workspace.json";

/// `monitor`'s arguments.
#[derive(clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct MonitorArgs {
    /// The workspace file (JSON, `"format": 1`), as the window saves it.
    workspace: PathBuf,
    /// Where to serve the metrics. Loopback by default; `0.0.0.0:9464` serves every
    /// interface, for a Prometheus on another machine.
    #[arg(long, default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// How log lines on stderr look: `text` (key=value) or `json` (one object a line).
    #[arg(long, default_value = "text", value_parser = parse_log_format)]
    log_format: LogFormat,
    /// Also write what arrives as NDJSON captures into this folder, rotated by size and age;
    /// closed files are gzip'd (`show` and the window open them as they are).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Close a capture file once it holds this many MiB (before compression).
    #[arg(long, default_value_t = 64, requires = "out", value_parser = clap::value_parser!(u64).range(1..))]
    rotate_mib: u64,
    /// Close a capture file once it has been open this long: seconds, or a number with s, m
    /// or h.
    #[arg(long, default_value = "1h", requires = "out", value_parser = parse_duration)]
    rotate_every: Duration,
    /// How many closed capture files to keep; the oldest beyond are deleted.
    #[arg(long, default_value_t = 48, requires = "out", value_parser = clap::value_parser!(u64).range(1..))]
    keep: u64,
}

fn parse_log_format(text: &str) -> Result<LogFormat, String> {
    match text {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        other => Err(format!("`{other}` is not a log format: give text or json")),
    }
}

impl MonitorArgs {
    /// Monitors until SIGINT or SIGTERM.
    ///
    /// # Errors
    /// What [`crate::monitor::run`] fails with.
    pub fn run(self, context: &mut Context<'_>) -> anyhow::Result<()> {
        if let Ok((workspace, keys)) = crate::monitor::load(&self.workspace) {
            context.secrets = crate::monitor::secrets_of(&workspace, &keys);
        }
        let options = MonitorOptions {
            workspace: self.workspace,
            listen: self.listen,
            log_format: self.log_format,
            limits: crate::capture::CaptureLimits::default(),
            capture: self.out.map(|dir| RotateOptions {
                dir,
                max_bytes: self.rotate_mib << 20,
                max_age: self.rotate_every,
                keep: usize::try_from(self.keep).unwrap_or(usize::MAX),
            }),
        };
        context.runtime.block_on(crate::monitor::run(options))
    }
}
