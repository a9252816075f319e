//! Every `demo_fault`, and faults configured for every connection.

use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::*;
use crate::demo::{
    CLOSE_FAULT_REASON, HUGE_FRAME_BYTES, MALFORMED_BINARY, MALFORMED_BINARY_TEXT, MALFORMED_JSON,
    MALFORMED_TEXT,
};

#[tokio::test]
async fn drop_fault_closes_tcp_without_a_close_frame() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    call(&mut ws, 1, "slotSubscribe", json!([])).await;
    inject(&mut ws, &DemoFault::Drop).await;
    let (close, error) = read_to_end(&mut ws).await;
    assert!(close.is_none(), "no close frame: {close:?}");
    assert!(
        matches!(error, Some(WsError::Protocol(_) | WsError::Io(_) | WsError::ConnectionClosed)),
        "{error:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn close_fault_sends_1011_with_a_reason() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    inject(&mut ws, &DemoFault::Close).await;
    let (close, _) = read_to_end(&mut ws).await;
    let Some(Message::Close(Some(frame))) = close else {
        panic!("no close frame: {close:?}");
    };
    assert_eq!(frame.code, CloseCode::Error);
    assert_eq!(u16::from(frame.code), 1011);
    assert_eq!(frame.reason.as_str(), CLOSE_FAULT_REASON);
    server.shutdown().await;
}

#[tokio::test]
async fn malformed_fault_sends_four_bad_frames_and_keeps_serving() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    inject(&mut ws, &DemoFault::Malformed).await;
    assert_eq!(next_message(&mut ws).await, Message::text(MALFORMED_TEXT));
    assert_eq!(next_message(&mut ws).await, Message::text(MALFORMED_JSON));
    let binary = next_message(&mut ws).await;
    assert_eq!(binary, Message::binary(MALFORMED_BINARY));
    assert!(std::str::from_utf8(&binary.into_data()).is_err());
    assert_eq!(next_message(&mut ws).await, Message::binary(MALFORMED_BINARY_TEXT));
    assert_eq!(call(&mut ws, 2, "getHealth", json!([])).await, "ok");
    server.shutdown().await;
}

#[tokio::test]
async fn huge_fault_sends_one_whole_ten_mib_frame() {
    let server = server_with(DemoConfig { speed: 1.0, ..DemoConfig::default() }).await;
    let mut ws = connect(&server).await;
    let logs = call(&mut ws, 1, "logsSubscribe", json!(["all"])).await;
    inject(&mut ws, &DemoFault::Huge).await;
    let deadline = Instant::now() + STEP;
    loop {
        assert!(Instant::now() < deadline, "no huge frame");
        let Message::Text(text) = next_message(&mut ws).await else {
            continue;
        };
        if text.len() < HUGE_FRAME_BYTES {
            continue;
        }
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["method"], "logsNotification");
        assert_eq!(value["params"]["subscription"], logs);
        assert!(value["params"]["result"]["value"]["logs"].as_array().unwrap().len() > 1000);
        break;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn flood_fault_sends_exactly_count_frames_in_order() {
    const COUNT: u64 = 20_000;
    let server = server_with(DemoConfig { speed: 1.0, ..DemoConfig::default() }).await;
    let mut ws = connect(&server).await;
    let logs = call(&mut ws, 1, "logsSubscribe", json!(["all"])).await;
    let frames_before = server.stats().frames_sent;
    inject(&mut ws, &DemoFault::Flood { count: COUNT }).await;
    // The health answer is queued after the whole flood, so it marks its end.
    send_text(&mut ws, r#"{"jsonrpc":"2.0","id":77,"method":"getHealth"}"#).await;
    let mut flood = 0_u64;
    loop {
        let Message::Text(text) = next_message(&mut ws).await else {
            continue;
        };
        if let Some(position) = text.find("flood #") {
            let rest = &text[position + "flood #".len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            assert_eq!(digits.parse::<u64>().unwrap(), flood, "in order");
            if flood == 0 {
                let value: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(value["params"]["subscription"], logs);
                assert!((250..500).contains(&text.len()), "{} bytes", text.len());
            }
            flood += 1;
        } else if text.contains(r#""id":77"#) {
            break;
        }
    }
    assert_eq!(flood, COUNT);
    assert!(server.stats().frames_sent >= frames_before + COUNT);
    server.shutdown().await;
}

#[tokio::test]
async fn refuse_fault_refuses_the_next_subscribe_only() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    inject(&mut ws, &DemoFault::Refuse).await;
    let refused = request(&mut ws, 1, "slotSubscribe", json!([])).await;
    assert_error(&refused, -32603, "Internal Error: Subscription refused. Node subscription limit reached");
    assert!(call(&mut ws, 2, "slotSubscribe", json!([])).await.is_u64());
    inject(&mut ws, &DemoFault::Refuse).await;
    let refused = request(&mut ws, 3, "eth_subscribe", json!(["newHeads"])).await;
    assert_eq!(refused["error"]["code"], -32603);
    server.shutdown().await;
}

#[tokio::test]
async fn connection_faults_from_the_config_apply_to_every_connection() {
    let server = server_with(DemoConfig {
        speed: 100.0,
        connection_faults: vec![DemoFault::Refuse],
        ..DemoConfig::default()
    })
    .await;
    for _ in 0..2 {
        let mut ws = connect(&server).await;
        let refused = request(&mut ws, 1, "rootSubscribe", json!([])).await;
        assert_eq!(refused["error"]["code"], -32603);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn delay_fault_delays_later_responses() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    let started = Instant::now();
    inject(&mut ws, &DemoFault::Delay { ms: 300 }).await;
    assert!(started.elapsed() < Duration::from_millis(300), "the answer itself is not delayed");
    let asked = Instant::now();
    assert_eq!(call(&mut ws, 2, "getHealth", json!([])).await, "ok");
    assert!(asked.elapsed() >= Duration::from_millis(300));
    inject(&mut ws, &DemoFault::Delay { ms: 0 }).await;
    let asked = Instant::now();
    call(&mut ws, 3, "getHealth", json!([])).await;
    assert!(asked.elapsed() < Duration::from_millis(300));
    server.shutdown().await;
}

#[tokio::test]
async fn silence_fault_leaves_pings_unanswered() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    ws.send(Message::Ping(b"before".to_vec().into())).await.unwrap();
    assert_eq!(next_message(&mut ws).await, Message::Pong(b"before".to_vec().into()));
    inject(&mut ws, &DemoFault::Silence).await;
    ws.send(Message::Ping(b"after".to_vec().into())).await.unwrap();
    let quiet = timeout(Duration::from_millis(500), ws.next()).await;
    assert!(quiet.is_err(), "expected silence, got {quiet:?}");
    drop(ws);
    wait_for_stats(&server, |stats| stats.connections_open == 0).await;
    server.shutdown().await;
}
