//! One task per replay client: read requests and answer them, and send each subscription's
//! notifications when they fall due, until the client leaves or the server stops.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::ReplayOptions;
use super::client::ClientReplay;
use super::http::ReplayHttp;
use super::script::Replay;
use crate::loopback::{self, Accepted, Ws};

/// The largest message a client may send.
const MAX_INBOUND_MESSAGE: usize = 1024 * 1024;

/// The most notifications sent in one go before the client's requests are read again (so a
/// `--speed max --loop` flood still answers an unsubscribe).
const BURST: usize = 256;

/// Serves one accepted TCP connection.
pub(super) async fn serve(
    accepted: Accepted,
    replay: Arc<Replay>,
    options: ReplayOptions,
    ids: Arc<AtomicU64>,
    http: Arc<ReplayHttp>,
    mut control: watch::Receiver<bool>,
) {
    let stopped = control.wait_for(|stop| *stop);
    let Some(mut ws) = accepted.handshake(MAX_INBOUND_MESSAGE, loopback::NoCallback, &http, stopped).await
    else {
        return;
    };
    let mut client = ClientReplay::new(replay, options, ids);
    // Bounded: every iteration reads, sends or ends the connection.
    loop {
        if *control.borrow() {
            return loopback::close(ws, CloseCode::Away, "subscope replay stopped").await;
        }
        let due = client.next_due();
        let sent = tokio::select! {
            biased;
            changed = control.changed() => changed.is_ok(),
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let reply = client.on_text(text.as_str(), Instant::now());
                    send(&mut ws, reply.into_iter()).await
                }
                Some(Ok(Message::Binary(data))) => match std::str::from_utf8(&data) {
                    Ok(text) => {
                        let reply = client.on_text(text, Instant::now());
                        send(&mut ws, reply.into_iter()).await
                    }
                    Err(_) => false,
                },
                // Pings are answered by tungstenite; a close is answered and ends the next read.
                Some(Ok(_)) => true,
                None | Some(Err(_)) => false,
            },
            () = sleep_until_due(due) => {
                let frames = client.take_due(Instant::now(), BURST);
                send(&mut ws, frames.into_iter()).await
            }
        };
        if !sent {
            return;
        }
    }
}

/// Sends frames and flushes them; false when the client is gone.
async fn send(ws: &mut Ws, frames: impl Iterator<Item = String>) -> bool {
    let mut fed = false;
    for frame in frames {
        if ws.feed(Message::text(frame)).await.is_err() {
            return false;
        }
        fed = true;
    }
    !fed || ws.flush().await.is_ok()
}

/// Sleeps until `due`, or forever if nothing is due.
async fn sleep_until_due(due: Option<Instant>) {
    match due {
        Some(due) => sleep_until(due).await,
        None => std::future::pending().await,
    }
}
