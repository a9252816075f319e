//! `subscope replay`: a capture served as a live endpoint ([`crate::replay`]) until Ctrl-C or
//! SIGTERM.

use std::path::PathBuf;

use super::Context;
use super::args::name_the_port;
use crate::replay::{DEFAULT_CHAIN_ID, ReplayOptions, Speed, load, run_forever};

/// `replay`'s arguments.
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// The capture file: NDJSON or JSON from subscope, or a HAR file with WebSocket messages.
    file: PathBuf,
    /// The port on 127.0.0.1 (0 picks a free one; the URL is printed on stdout).
    #[arg(long)]
    port: u16,
    /// How much faster than recorded notifications follow each other (0.01 to 10000), or
    /// `max` to send them all at once.
    #[arg(long, default_value = "1", value_parser = Speed::parse)]
    speed: Speed,
    /// Start each subscription's notifications over at the end.
    #[arg(long = "loop")]
    looping: bool,
    /// The chain id `eth_chainId` answers when the capture did not record it.
    #[arg(long, default_value_t = DEFAULT_CHAIN_ID, value_parser = clap::value_parser!(u64).range(1..))]
    chain_id: u64,
}

impl ReplayArgs {
    /// Reads the file and serves it until Ctrl-C or SIGTERM.
    ///
    /// # Errors
    /// The file cannot be read or holds nothing to replay, or the port cannot be bound (said
    /// with the address).
    pub fn run(self, context: &mut Context<'_>) -> anyhow::Result<()> {
        let loaded = load(&self.file)?;
        let options = ReplayOptions {
            port: self.port,
            speed: self.speed,
            looping: self.looping,
            chain_id: self.chain_id,
        };
        context
            .runtime
            .block_on(run_forever(&self.file, loaded, options))
            .map_err(|err| name_the_port(err, self.port))
    }
}
