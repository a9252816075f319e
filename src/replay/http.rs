//! A replay's JSON-RPC over HTTP, on its WebSocket port (`crate::loopback::http`): the
//! one-off answers a client on the WebSocket gets, from the whole capture (the newest
//! recorded head and slot, the recorded answers, the recorded chain), without
//! subscriptions, which need a WebSocket.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio::time::Instant;
use tokio_tungstenite::tungstenite::handshake::server::Request;

use super::ReplayOptions;
use super::client::ClientReplay;
use super::script::Replay;
use crate::loopback::{HttpRpc, Reply};

/// A replay server's HTTP side.
pub(super) struct ReplayHttp {
    replay: Arc<Replay>,
    options: ReplayOptions,
}

impl ReplayHttp {
    pub(super) fn new(replay: Arc<Replay>, options: ReplayOptions) -> Self {
        Self { replay, options }
    }
}

impl HttpRpc for ReplayHttp {
    fn answer(&self, _request: &Request, body: &str) -> Reply {
        let mut client =
            ClientReplay::over_http(Arc::clone(&self.replay), self.options, Arc::new(AtomicU64::new(1)));
        Reply::now(client.on_text(body, Instant::now()).unwrap_or_default())
    }
}
