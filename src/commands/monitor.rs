//! `subscope monitor WORKSPACE`: the workspace's subscriptions watched until SIGTERM, served
//! as Prometheus metrics ([`crate::monitor`]).

use std::net::SocketAddr;
use std::path::PathBuf;

use super::Context;
use crate::monitor::{DEFAULT_LISTEN, LogFormat, MonitorOptions};

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
        };
        context.runtime.block_on(crate::monitor::run(options))
    }
}
