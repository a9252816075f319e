//! The server as a whole: batches, bad frames, dropping every connection, shutdown.

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::*;

#[tokio::test]
async fn batches_are_answered_with_an_array() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    send_text(
        &mut ws,
        r#"[{"jsonrpc":"2.0","id":901,"method":"slotSubscribe"},{"jsonrpc":"2.0","id":902,"method":"rootSubscribe"},{"jsonrpc":"2.0","id":903,"method":"eth_blockNumber","params":[]},{"jsonrpc":"2.0","id":904,"method":"nope"}]"#,
    )
    .await;
    let batch = loop {
        let value = next_json(&mut ws).await;
        if value.is_array() {
            break value;
        }
    };
    let items = batch.as_array().unwrap();
    assert_eq!(items.len(), 4);
    let ids: Vec<&Value> = items.iter().map(|item| &item["id"]).collect();
    assert_eq!(ids, [&json!(901), &json!(902), &json!(903), &json!(904)]);
    assert!(items[0]["result"].is_u64());
    assert!(items[1]["result"].is_u64());
    assert!(items[2]["result"].as_str().unwrap().starts_with("0x"));
    assert_error(&items[3], -32601, "Method not found");
    send_text(&mut ws, "[]").await;
    // Skips the slot and root notifications: the refusal is the reply with id null.
    let empty = response_to(&mut ws, &Value::Null).await;
    assert_eq!(empty["error"]["code"], -32600);
    server.shutdown().await;
}

#[tokio::test]
async fn non_utf8_binary_from_the_client_ends_the_connection() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    ws.send(Message::binary(vec![0xff_u8, 0xfe])).await.unwrap();
    let (close, _) = read_to_end(&mut ws).await;
    assert!(close.is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn drop_all_connections_keeps_listening() {
    let server = fast_server().await;
    let mut first = connect(&server).await;
    let mut second = connect(&server).await;
    call(&mut first, 1, "slotSubscribe", json!([])).await;
    call(&mut second, 1, "eth_subscribe", json!(["newHeads"])).await;
    wait_for_stats(&server, |stats| stats.connections_open == 2).await;
    server.drop_all_connections();
    for ws in [&mut first, &mut second] {
        let (close, error) = read_to_end(ws).await;
        assert!(close.is_none(), "dropped without a close frame");
        assert!(error.is_some());
    }
    let mut third = connect(&server).await;
    let id = call(&mut third, 1, "slotSubscribe", json!([])).await;
    notification(&mut third, "slotNotification", &id).await;
    let stats = server.stats();
    assert_eq!(stats.connections_accepted, 3);
    assert_eq!(stats.connections_open, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_connections_and_the_listener() {
    let server = fast_server().await;
    let addr = server.addr();
    assert!(addr.ip().is_loopback());
    assert_eq!(server.url(), format!("ws://127.0.0.1:{}", addr.port()));
    let mut ws = connect(&server).await;
    call(&mut ws, 1, "slotSubscribe", json!([])).await;
    let started = Instant::now();
    let shutdown = tokio::spawn(server.shutdown());
    let (close, _) = read_to_end(&mut ws).await;
    match close {
        Some(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("expected a 1001 close frame, got {other:?}"),
    }
    timeout(STEP, shutdown).await.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(TcpStream::connect(addr).await.is_err());
}
