//! Loopback tests of the demo server: a tokio-tungstenite client on 127.0.0.1 against a real
//! `DemoServer`, every wait bounded by a timeout. The helpers are here; the tests are grouped
//! by what they exercise: Solana methods, Ethereum methods, faults, the server itself, and its
//! listener under misuse.

mod chain;
mod clock;
mod ethereum;
mod faults;
mod listener;
mod server;
mod solana;

use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async_with_config};

use super::{DemoConfig, DemoFault, DemoServer};

/// The test client.
pub(super) type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The longest any single expected event may take.
pub(super) const STEP: Duration = Duration::from_secs(10);

/// A valid pubkey used across tests.
pub(super) const PAYER: &str = "FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8";

/// A second valid pubkey.
pub(super) const DEST: &str = "By2y8pvcCPRRo9gsrksJ1zZavkfp9JjnKXRBTqJMnJhv";

/// A valid signature (from the solana-test-validator transcript).
pub(super) const SIGNATURE: &str =
    "GSwqrT6Mbm478B8si4D4nHzfFYzp5o6GMLyjvEnMRWeHTycuoCjzTHPJb5dtsZ2sv478Sj2ZpE6cyquAjety3Md";

/// A fast demo server (slots every 4 ms, blocks every 10 ms).
pub(super) async fn fast_server() -> DemoServer {
    server_with(DemoConfig { speed: 100.0, seed: Some(7), ..DemoConfig::default() }).await
}

/// A demo server with the given config.
pub(super) async fn server_with(config: DemoConfig) -> DemoServer {
    DemoServer::start(config).await.unwrap()
}

/// A client with limits large enough for the `huge` fault.
pub(super) async fn connect(server: &DemoServer) -> Client {
    let config = WebSocketConfig::default().max_message_size(Some(64 << 20)).max_frame_size(Some(32 << 20));
    let (ws, _) =
        timeout(STEP, connect_async_with_config(server.url(), Some(config), true)).await.unwrap().unwrap();
    ws
}

/// The next message, failing on timeout, end of stream or error.
pub(super) async fn next_message(ws: &mut Client) -> Message {
    match timeout(STEP, ws.next()).await {
        Ok(Some(Ok(message))) => message,
        Ok(Some(Err(err))) => panic!("socket error: {err}"),
        Ok(None) => panic!("socket closed"),
        Err(_) => panic!("timed out waiting for a message"),
    }
}

/// The next text frame as JSON.
pub(super) async fn next_json(ws: &mut Client) -> Value {
    loop {
        match next_message(ws).await {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected message: {other:?}"),
        }
    }
}

/// Sends a raw text frame.
pub(super) async fn send_text(ws: &mut Client, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// Sends a request and returns its response, skipping notifications in between.
pub(super) async fn request(ws: &mut Client, id: u64, method: &str, params: Value) -> Value {
    let frame = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    send_text(ws, &frame.to_string()).await;
    response_to(ws, &json!(id)).await
}

/// Reads until the response with `id` arrives.
pub(super) async fn response_to(ws: &mut Client, id: &Value) -> Value {
    let deadline = Instant::now() + STEP;
    while Instant::now() < deadline {
        let value = next_json(ws).await;
        if value.get("id") == Some(id) {
            return value;
        }
    }
    panic!("no response to {id}");
}

/// The `result` of a successful request.
pub(super) async fn call(ws: &mut Client, id: u64, method: &str, params: Value) -> Value {
    let response = request(ws, id, method, params).await;
    assert!(response.get("error").is_none(), "{method} failed: {response}");
    response["result"].clone()
}

/// Reads until a notification of `method` for `subscription` arrives; returns its `result`.
pub(super) async fn notification(ws: &mut Client, method: &str, subscription: &Value) -> Value {
    let deadline = Instant::now() + STEP;
    while Instant::now() < deadline {
        let value = next_json(ws).await;
        if value["method"] == method && &value["params"]["subscription"] == subscription {
            return value["params"]["result"].clone();
        }
    }
    panic!("no {method} for {subscription}");
}

/// Asserts the `(code, message)` of an error response.
pub(super) fn assert_error(response: &Value, code: i64, message: &str) {
    assert_eq!(response["error"]["code"], code, "{response}");
    assert_eq!(response["error"]["message"], message, "{response}");
}

/// Asks for a fault and checks the `true` answer.
pub(super) async fn inject(ws: &mut Client, fault: &DemoFault) {
    send_text(ws, &fault.request(9_000)).await;
    let response = response_to(ws, &json!(9_000)).await;
    assert_eq!(response["result"], true, "{response}");
}

/// Reads until the connection ends; returns whether a close frame arrived and how it ended.
pub(super) async fn read_to_end(ws: &mut Client) -> (Option<Message>, Option<WsError>) {
    let mut close = None;
    loop {
        match timeout(STEP, ws.next()).await {
            Ok(Some(Ok(message @ Message::Close(_)))) => close = Some(message),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(err))) => return (close, Some(err)),
            Ok(None) => return (close, None),
            Err(_) => panic!("the connection did not end"),
        }
    }
}

/// Waits until `condition` holds for the server's stats.
pub(super) async fn wait_for_stats(server: &DemoServer, condition: impl Fn(&super::DemoStats) -> bool) {
    let deadline = Instant::now() + STEP;
    while !condition(&server.stats()) {
        assert!(Instant::now() < deadline, "stats never matched: {:?}", server.stats());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
