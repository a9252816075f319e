//! Serving WebSockets on 127.0.0.1, the parts the demo server ([`crate::demo`]) and the replay
//! server ([`crate::replay`]) share: the accept loop with its shutdown grace, the bounded
//! handshake, the polite close, and waiting for Ctrl-C or SIGTERM. What a connection says is
//! each server's own business; how connections come and go is the same for both.

use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::handshake::server::Callback;
pub(crate) use tokio_tungstenite::tungstenite::handshake::server::NoCallback;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{WebSocketStream, accept_hdr_async_with_config};

/// A served WebSocket.
pub(crate) type Ws = WebSocketStream<TcpStream>;

/// How long a client may take to complete the WebSocket handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a closing handshake may take before the TCP connection is just dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_millis(500);

/// How long a server that stops lets connections send their close frames before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// How long `shutdown` waits for the listener task as a whole.
pub(crate) const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Pause after a failed `accept` (for example too many open files), so the loop cannot spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// Accepts connections until `is_shutdown(control)` holds (or the control's sender is gone),
/// then gives the connections a grace period and aborts the rest.
///
/// `serve(tcp, open)` is called for every accepted connection, with how many are being
/// served now; it returns the connection's task, or `None` to refuse it (the TCP connection
/// is then dropped).
pub(crate) async fn accept_loop<C, F, Fut>(
    listener: TcpListener,
    mut control: watch::Receiver<C>,
    is_shutdown: fn(&C) -> bool,
    mut serve: F,
) where
    F: FnMut(TcpStream, usize) -> Option<Fut>,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut connections = JoinSet::new();
    // Bounded: ends when the server shuts down (or is dropped).
    loop {
        if is_shutdown(&control.borrow()) {
            break;
        }
        tokio::select! {
            biased;
            changed = control.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((tcp, _peer)) => {
                    if let Some(task) = serve(tcp, connections.len()) {
                        connections.spawn(task);
                    }
                }
                Err(_) => tokio::time::sleep(ACCEPT_ERROR_PAUSE).await,
            },
        }
    }
    drop(listener);
    tokio::time::timeout(SHUTDOWN_GRACE, async { while connections.join_next().await.is_some() {} })
        .await
        .ok();
    connections.shutdown().await;
}

/// The server side of the WebSocket handshake on an accepted connection, bounded in time and
/// abandoned when `cancelled` resolves first. `callback` sees the request (and may refuse
/// it: [`NoCallback`] takes all). Inbound messages and frames are limited to `max_message`
/// bytes.
pub(crate) async fn handshake(
    tcp: TcpStream,
    max_message: usize,
    callback: impl Callback + Unpin,
    cancelled: impl Future,
) -> Option<Ws> {
    // Notifications are small and latency matters more than packet count.
    tcp.set_nodelay(true).ok();
    let config =
        WebSocketConfig::default().max_message_size(Some(max_message)).max_frame_size(Some(max_message));
    tokio::select! {
        biased;
        _ = cancelled => None,
        result = timeout(HANDSHAKE_TIMEOUT, accept_hdr_async_with_config(tcp, callback, Some(config))) => {
            result.ok().and_then(Result::ok)
        }
    }
}

/// Sends a close frame and waits briefly for the client's reply.
pub(crate) async fn close(mut ws: Ws, code: CloseCode, reason: &'static str) {
    let frame = CloseFrame { code, reason: reason.into() };
    if timeout(CLOSE_TIMEOUT, ws.close(Some(frame))).await.is_err() {
        return;
    }
    // Read until the client's close reply ends the stream (bounded by the timeout).
    timeout(CLOSE_TIMEOUT, async { while let Some(Ok(_)) = ws.next().await {} }).await.ok();
}

/// Ctrl-C and SIGTERM, listened for from the moment it is made: a server makes one before it
/// prints its URL, so a signal sent as soon as the URL is seen stops it cleanly instead of
/// killing it (a listener made only when waiting starts leaves that moment uncovered).
pub(crate) struct Termination {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Termination {
    /// Starts listening (on the current tokio runtime).
    ///
    /// # Errors
    /// The signal handlers cannot be installed.
    pub(crate) fn listen() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Waits for Ctrl-C or SIGTERM.
    ///
    /// # Errors
    /// Listening failed.
    pub(crate) async fn wait(mut self) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => {}
                _ = self.terminate.recv() => {}
            }
            Ok(())
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            tokio::signal::ctrl_c().await
        }
    }
}
