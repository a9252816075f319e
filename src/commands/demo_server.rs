//! `subscope demo-server`: the offline demo server ([`crate::demo`]) alone, until Ctrl-C or
//! SIGTERM.

use super::Context;
use super::args::{name_the_port, parse_speed};
use crate::redact::Secret;

/// What `demo-server --help` says after the options: the HTTP side and the URL's faults.
const AFTER_HELP: &str = "\
The same port answers JSON-RPC over HTTP (POST, Content-Type: application/json): the chain
queries (eth_getBlockByNumber, eth_getLogs, getBlock, getTransaction, getSignaturesForAddress, ...)
from the same chains the WebSocket notifies of.

Faults per connection or request, in the URL's query (ws://127.0.0.1:8910/?delay_ms=200):
  delay_ms=N             delay everything sent (WebSocket) or each answer (HTTP) by N ms
  drop_every=K           drop every K-th notification of each subscription
  disconnect_after_ms=N  drop the connection (no close frame) N ms after it opens, every time
  getlogs_max_range=N    refuse an eth_getLogs spanning more than N blocks (BlockPI's error)
  http_429_every=K       answer every K-th HTTP request 429 with Retry-After: 1 (per query)
On the WebSocket, {\"method\":\"demo_fault\",\"params\":[{\"kind\":\"drop\"}]} injects a fault.";

/// `demo-server`'s arguments.
#[derive(clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct DemoServerArgs {
    /// The port (0 picks a free one).
    #[arg(long, default_value_t = 8910)]
    port: u16,
    /// How much faster than the real chains its clocks run (1 = 400 ms slots, 1 s blocks).
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    speed: f64,
    /// Require this HTTP Basic credential, USER:PASS, of every client (others get 401).
    /// Prefer the environment variable: a command line shows in `ps` to every user.
    #[arg(long, value_name = "USER:PASS", env = "SUBSCOPE_DEMO_BASIC_AUTH", hide_env_values = true)]
    basic_auth: Option<String>,
}

impl DemoServerArgs {
    /// Serves until Ctrl-C or SIGTERM.
    ///
    /// # Errors
    /// The port cannot be bound (said with the address), or the signal handlers cannot be
    /// installed.
    pub fn run(self, context: &mut Context<'_>) -> anyhow::Result<()> {
        // Checked here rather than by clap, whose message would repeat the value.
        if let Some(Err(message)) = self.basic_auth.as_deref().map(crate::demo::check_credential) {
            super::usage_error(clap::error::ErrorKind::ValueValidation, format!("--basic-auth: {message}"));
        }
        let basic_auth = self.basic_auth.map(Secret::new);
        if let Some(credential) = &basic_auth {
            context.secrets.add_key(credential);
        }
        let config = crate::demo::DemoConfig {
            port: self.port,
            speed: self.speed,
            basic_auth,
            ..crate::demo::DemoConfig::default()
        };
        let port = self.port;
        context
            .runtime
            .block_on(crate::demo::run_forever(config))
            .map_err(|err| name_the_port(err.into(), port))
    }
}
