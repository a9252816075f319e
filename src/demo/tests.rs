//! Loopback tests of the demo server: a tokio-tungstenite client on 127.0.0.1 against a real
//! `DemoServer`, every wait bounded by a timeout.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async_with_config};

use super::{
    CLOSE_FAULT_REASON, DemoConfig, DemoFault, DemoServer, HUGE_FRAME_BYTES, MALFORMED_BINARY,
    MALFORMED_JSON, MALFORMED_TEXT,
};

/// The test client.
type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The longest any single expected event may take.
const STEP: Duration = Duration::from_secs(10);

/// A valid pubkey used across tests.
const PAYER: &str = "FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8";

/// A second valid pubkey.
const DEST: &str = "By2y8pvcCPRRo9gsrksJ1zZavkfp9JjnKXRBTqJMnJhv";

/// A valid signature (from the solana-test-validator transcript).
const SIGNATURE: &str =
    "GSwqrT6Mbm478B8si4D4nHzfFYzp5o6GMLyjvEnMRWeHTycuoCjzTHPJb5dtsZ2sv478Sj2ZpE6cyquAjety3Md";

/// A fast demo server (slots every 4 ms, blocks every 10 ms).
async fn fast_server() -> DemoServer {
    server_with(DemoConfig { speed: 100.0, seed: Some(7), ..DemoConfig::default() }).await
}

/// A demo server with the given config.
async fn server_with(config: DemoConfig) -> DemoServer {
    DemoServer::start(config).await.unwrap()
}

/// A client with limits large enough for the `huge` fault.
async fn connect(server: &DemoServer) -> Client {
    let config = WebSocketConfig::default().max_message_size(Some(64 << 20)).max_frame_size(Some(32 << 20));
    let (ws, _) =
        timeout(STEP, connect_async_with_config(server.url(), Some(config), true)).await.unwrap().unwrap();
    ws
}

/// The next message, failing on timeout, end of stream or error.
async fn next_message(ws: &mut Client) -> Message {
    match timeout(STEP, ws.next()).await {
        Ok(Some(Ok(message))) => message,
        Ok(Some(Err(err))) => panic!("socket error: {err}"),
        Ok(None) => panic!("socket closed"),
        Err(_) => panic!("timed out waiting for a message"),
    }
}

/// The next text frame as JSON.
async fn next_json(ws: &mut Client) -> Value {
    loop {
        match next_message(ws).await {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected message: {other:?}"),
        }
    }
}

/// Sends a raw text frame.
async fn send_text(ws: &mut Client, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// Sends a request and returns its response, skipping notifications in between.
async fn request(ws: &mut Client, id: u64, method: &str, params: Value) -> Value {
    let frame = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    send_text(ws, &frame.to_string()).await;
    response_to(ws, &json!(id)).await
}

/// Reads until the response with `id` arrives.
async fn response_to(ws: &mut Client, id: &Value) -> Value {
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
async fn call(ws: &mut Client, id: u64, method: &str, params: Value) -> Value {
    let response = request(ws, id, method, params).await;
    assert!(response.get("error").is_none(), "{method} failed: {response}");
    response["result"].clone()
}

/// Reads until a notification of `method` for `subscription` arrives; returns its `result`.
async fn notification(ws: &mut Client, method: &str, subscription: &Value) -> Value {
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
fn assert_error(response: &Value, code: i64, message: &str) {
    assert_eq!(response["error"]["code"], code, "{response}");
    assert_eq!(response["error"]["message"], message, "{response}");
}

/// Asks for a fault and checks the `true` answer.
async fn inject(ws: &mut Client, fault: &DemoFault) {
    send_text(ws, &fault.request(9_000)).await;
    let response = response_to(ws, &json!(9_000)).await;
    assert_eq!(response["result"], true, "{response}");
}

/// Reads until the connection ends; returns whether a close frame arrived and how it ended.
async fn read_to_end(ws: &mut Client) -> (Option<Message>, Option<WsError>) {
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
async fn wait_for_stats(server: &DemoServer, condition: impl Fn(&super::DemoStats) -> bool) {
    let deadline = Instant::now() + STEP;
    while !condition(&server.stats()) {
        assert!(Instant::now() < deadline, "stats never matched: {:?}", server.stats());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn slot_subscription_notifies_increasing_slots() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    let id = call(&mut ws, 1, "slotSubscribe", json!([])).await;
    assert!(id.is_u64());
    let mut last = 0;
    for _ in 0..5 {
        let result = notification(&mut ws, "slotNotification", &id).await;
        let slot = result["slot"].as_u64().unwrap();
        assert!(slot > last);
        assert_eq!(result["parent"].as_u64(), Some(slot - 1));
        assert_eq!(result["root"].as_u64(), Some(slot - 32));
        last = slot;
    }
    assert_eq!(call(&mut ws, 2, "slotUnsubscribe", json!([id])).await, true);
    server.shutdown().await;
}

#[tokio::test]
async fn logs_subscription_notifies_realistic_logs() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    let all = call(&mut ws, 1, "logsSubscribe", json!(["all"])).await;
    let mentions =
        call(&mut ws, 2, "logsSubscribe", json!([{"mentions": [PAYER]}, {"commitment": "confirmed"}])).await;
    assert_ne!(all, mentions);
    for subscription in [&all, &mentions] {
        let result = notification(&mut ws, "logsNotification", subscription).await;
        assert!(result["context"]["slot"].is_u64());
        let signature = result["value"]["signature"].as_str().unwrap();
        assert_eq!(bs58::decode(signature).into_vec().unwrap().len(), 64);
        let logs = result["value"]["logs"].as_array().unwrap();
        assert!(!logs.is_empty());
        assert!(logs[0].as_str().unwrap().starts_with("Program "));
        assert!(result["value"].get("err").is_some());
    }
    server.shutdown().await;
}

#[tokio::test]
async fn every_solana_subscription_kind_notifies() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    let cases = [
        ("rootSubscribe", json!([]), "rootNotification"),
        ("slotsUpdatesSubscribe", json!([]), "slotsUpdatesNotification"),
        ("voteSubscribe", json!([]), "voteNotification"),
        (
            "accountSubscribe",
            json!([PAYER, {"encoding": "base64", "commitment": "confirmed"}]),
            "accountNotification",
        ),
        (
            "programSubscribe",
            json!([DEST, {"encoding": "base64", "filters": [{"dataSize": 120}, {"memcmp": {"offset": 0, "bytes": "2"}}]}]),
            "programNotification",
        ),
        (
            "blockSubscribe",
            json!(["all", {"commitment": "confirmed", "encoding": "json", "transactionDetails": "signatures", "maxSupportedTransactionVersion": 0}]),
            "blockNotification",
        ),
        (
            "transactionSubscribe",
            json!([{"accountInclude": [PAYER]}, {"commitment": "confirmed", "encoding": "base64", "transactionDetails": "full", "maxSupportedTransactionVersion": 0}]),
            "transactionNotification",
        ),
    ];
    for (index, (method, params, notification_method)) in cases.into_iter().enumerate() {
        let id = call(&mut ws, index as u64 + 1, method, params).await;
        let result = notification(&mut ws, notification_method, &id).await;
        match notification_method {
            "rootNotification" => assert!(result.is_u64()),
            "slotsUpdatesNotification" => assert!(result["type"].is_string()),
            "voteNotification" => assert!(result["slots"].is_array()),
            "accountNotification" => {
                let value = &result["value"];
                assert_eq!(value["rentEpoch"].as_u64(), Some(u64::MAX));
                assert_eq!(value["data"][1], "base64");
                assert_eq!(value["executable"], false);
                assert!(value["lamports"].is_u64() && value["space"].is_u64());
            }
            "programNotification" => {
                let account = &result["value"]["account"];
                assert_eq!(account["space"], 120);
                assert_eq!(account["owner"], DEST);
                assert!(result["value"]["pubkey"].is_string());
            }
            "blockNotification" => {
                let block = &result["value"]["block"];
                assert!(block["signatures"].is_array());
                assert_eq!(
                    block["parentSlot"].as_u64().unwrap() + 1,
                    result["value"]["slot"].as_u64().unwrap()
                );
            }
            "transactionNotification" => {
                assert_eq!(result["transaction"]["transaction"][1], "base64");
                let meta = &result["transaction"]["meta"];
                assert_eq!(meta["fee"], 5000);
                assert!(meta["logMessages"].is_array());
                assert!(meta["preBalances"].is_array() && meta["postBalances"].is_array());
                assert!(result["signature"].is_string() && result["slot"].is_u64());
            }
            _ => unreachable!(),
        }
        let unsubscribe = method.replace("Subscribe", "Unsubscribe");
        assert_eq!(call(&mut ws, 100 + index as u64, &unsubscribe, json!([id])).await, true);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn identical_solana_subscriptions_share_one_server_wide_id() {
    let server = fast_server().await;
    let mut first = connect(&server).await;
    let mut second = connect(&server).await;
    let slot = call(&mut first, 1, "slotSubscribe", json!([])).await;
    assert_eq!(slot, 0);
    assert_eq!(call(&mut first, 2, "slotSubscribe", json!([])).await, slot);
    assert_eq!(call(&mut second, 3, "slotSubscribe", json!([])).await, slot);
    let account = call(&mut second, 4, "accountSubscribe", json!([PAYER])).await;
    assert_eq!(account, 1);
    assert_eq!(call(&mut first, 5, "accountSubscribe", json!([PAYER])).await, account);
    let other = call(&mut first, 6, "accountSubscribe", json!([DEST])).await;
    assert_eq!(other, 2);
    // One unsubscribe removes the collapsed duplicate on `first`...
    assert_eq!(call(&mut first, 7, "slotUnsubscribe", json!([slot])).await, true);
    let again = request(&mut first, 8, "slotUnsubscribe", json!([slot])).await;
    assert_error(&again, -32602, "Invalid subscription id.");
    // ...while `second` keeps its subscription under the same id.
    notification(&mut second, "slotNotification", &slot).await;
    server.shutdown().await;
}

#[tokio::test]
async fn solana_errors_match_agave() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    let account = call(&mut ws, 1, "accountSubscribe", json!([PAYER])).await;
    let five_filters =
        json!([{"dataSize": 1}, {"dataSize": 1}, {"dataSize": 1}, {"dataSize": 1}, {"dataSize": 1}]);
    let cases = [
        ("accountSubscribe", json!(["notapubkey"]), -32602, "Invalid Request: Invalid pubkey provided"),
        (
            "accountSubscribe",
            json!(["0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl"]),
            -32602,
            "Invalid Request: Invalid pubkey provided",
        ),
        ("accountSubscribe", json!([]), -32602, "`params` should have at least 1 argument(s)"),
        (
            "accountSubscribe",
            json!([PAYER, {"encoding": "nope"}]),
            -32602,
            "Invalid params: unknown variant `nope`, expected one of `binary`, `base58`, `base64`, `jsonParsed`, `base64+zstd`.",
        ),
        ("programSubscribe", json!(["notapubkey"]), -32602, "Invalid Request: Invalid pubkey provided"),
        (
            "programSubscribe",
            json!(["11111111111111111111111111111111", {"filters": five_filters}]),
            -32602,
            "Too many filters provided; max 4",
        ),
        (
            "programSubscribe",
            json!(["11111111111111111111111111111111", {"filters": [{"memcmp": {"offset": 0, "bytes": "!!!"}}]}]),
            -32602,
            "Invalid params: Invalid param: Base58DecodeError(InvalidCharacter { character: '!', index: 0 })",
        ),
        ("signatureSubscribe", json!(["notasig"]), -32602, "Invalid Request: Invalid signature provided"),
        (
            "logsSubscribe",
            json!([{"mentions": [PAYER, DEST]}]),
            -32602,
            "Invalid Request: Only 1 address supported",
        ),
        (
            "logsSubscribe",
            json!([{"mentions": ["notapubkey"]}]),
            -32602,
            "Invalid Request: Invalid mentions provided",
        ),
        (
            "logsSubscribe",
            json!(["bogus"]),
            -32602,
            "Invalid params: unknown variant `bogus`, expected one of `all`, `allWithVotes`, `mentions`.",
        ),
        (
            "blockSubscribe",
            json!(["all", {"commitment": "processed"}]),
            -32602,
            "Method does not support commitment below `confirmed`",
        ),
        (
            "blockSubscribe",
            json!([{"mentionsAccountOrProgram": "nope"}]),
            -32602,
            "Invalid Request: Invalid mentions_account_or_program provided",
        ),
        ("slotSubscribe", json!(["unexpected"]), -32602, "Invalid parameters: No parameters were expected"),
        ("noSuchSubscribe", json!([]), -32601, "Method not found"),
        ("getBalance", json!([PAYER]), -32601, "Method not found"),
        ("slotUnsubscribe", json!([999_999]), -32602, "Invalid subscription id."),
        // The wrong family is an unknown id too.
        ("logsUnsubscribe", json!([account]), -32602, "Invalid subscription id."),
    ];
    for (index, (method, params, code, message)) in cases.into_iter().enumerate() {
        let response = request(&mut ws, 10 + index as u64, method, params).await;
        assert_error(&response, code, message);
        assert_eq!(response["jsonrpc"], "2.0");
    }
    let no_params = request(&mut ws, 50, "slotSubscribe", json!(["unexpected"])).await;
    assert_eq!(no_params["error"]["data"], r#"Array([String("unexpected")])"#);

    send_text(&mut ws, "{not json").await;
    let parse_error = next_json(&mut ws).await;
    assert_error(&parse_error, -32700, "Parse error");
    assert!(parse_error["id"].is_null());

    send_text(&mut ws, r#"{"id": 778, "method": "slotSubscribe"}"#).await;
    let unsupported = response_to(&mut ws, &json!(778)).await;
    assert_error(&unsupported, -32600, "Unsupported JSON-RPC protocol version");
    assert!(unsupported.get("jsonrpc").is_none());

    send_text(&mut ws, r#"{"jsonrpc": "2.0", "id": 777, "method": "slotSubscribe", "params": "x"}"#).await;
    assert_error(&response_to(&mut ws, &json!(777)).await, -32600, "Invalid request");
    server.shutdown().await;
}

#[tokio::test]
async fn one_off_requests_are_answered() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    assert!(call(&mut ws, 1, "getSlot", json!([])).await.is_u64());
    assert_eq!(call(&mut ws, 2, "getVersion", json!([])).await["solana-core"], "3.1.12");
    assert_eq!(call(&mut ws, 3, "getHealth", json!([])).await, "ok");
    for (index, method) in ["eth_blockNumber", "eth_chainId", "eth_gasPrice"].into_iter().enumerate() {
        let response = request(&mut ws, 10 + index as u64, method, json!([])).await;
        let result = response["result"].as_str().unwrap();
        assert!(result.starts_with("0x"), "{response}");
        assert!(u64::from_str_radix(&result[2..], 16).is_ok());
        // anvil's key order: id before result.
        let text = response.to_string();
        assert!(text.contains(r#""jsonrpc":"2.0""#));
    }
    server.shutdown().await;
}

#[tokio::test]
async fn signature_subscription_is_one_shot() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    let id = call(&mut ws, 1, "signatureSubscribe", json!([SIGNATURE, {"commitment": "confirmed"}])).await;
    let result = notification(&mut ws, "signatureNotification", &id).await;
    assert!(result["context"]["slot"].is_u64());
    assert!(result["value"]["err"].is_null());
    let response = request(&mut ws, 2, "signatureUnsubscribe", json!([id])).await;
    assert_error(&response, -32602, "Invalid subscription id.");
    // No second notification follows.
    let health = call(&mut ws, 3, "getHealth", json!([])).await;
    assert_eq!(health, "ok");
    server.shutdown().await;
}

#[tokio::test]
async fn eth_new_heads_form_a_chain_with_reorgs() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    let id = call(&mut ws, 1, "eth_subscribe", json!(["newHeads"])).await;
    let id_text = id.as_str().unwrap();
    assert_eq!(id_text.len(), 34);
    assert!(id_text.starts_with("0x"));
    let parse = |value: &Value| u64::from_str_radix(&value.as_str().unwrap()[2..], 16).unwrap();
    let mut previous = notification(&mut ws, "eth_subscription", &id).await;
    let mut repeated_height = false;
    for _ in 0..45 {
        let header = notification(&mut ws, "eth_subscription", &id).await;
        let (number, last) = (parse(&header["number"]), parse(&previous["number"]));
        if number == last + 1 {
            assert_eq!(header["parentHash"], previous["hash"]);
        } else {
            assert_eq!(number, last, "heights only advance by one or repeat");
            assert_eq!(header["parentHash"], previous["parentHash"]);
            assert_ne!(header["hash"], previous["hash"]);
            repeated_height = true;
        }
        assert!(header["logsBloom"].as_str().unwrap().len() == 514);
        previous = header;
    }
    assert!(repeated_height, "a reorg repeats a height every 21 blocks");
    assert_eq!(call(&mut ws, 2, "eth_unsubscribe", json!([id])).await, true);
    assert_eq!(call(&mut ws, 3, "eth_unsubscribe", json!([id])).await, false);
    server.shutdown().await;
}

#[tokio::test]
async fn eth_logs_honour_the_filter_and_resend_removed_logs_on_reorg() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    let address = "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0";
    let topic = "0x48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f";
    let id =
        call(&mut ws, 1, "eth_subscribe", json!(["logs", {"address": address, "topics": [topic]}])).await;
    let mut seen = std::collections::HashSet::new();
    let deadline = Instant::now() + STEP;
    loop {
        assert!(Instant::now() < deadline, "no removed log");
        let log = notification(&mut ws, "eth_subscription", &id).await;
        assert_eq!(log["address"], address);
        assert_eq!(log["topics"][0], topic);
        assert!(log["data"].as_str().unwrap().starts_with("0x"));
        let tx = log["transactionHash"].as_str().unwrap().to_owned();
        if log["removed"] == true {
            assert!(seen.contains(&tx), "a removed log repeats an earlier one");
            break;
        }
        assert_eq!(log["removed"], false);
        seen.insert(tx);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn eth_subscription_kinds_and_errors() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    let syncing = call(&mut ws, 1, "eth_subscribe", json!(["syncing"])).await;
    assert_eq!(notification(&mut ws, "eth_subscription", &syncing).await, false);
    let hashes = call(&mut ws, 2, "eth_subscribe", json!(["newPendingTransactions"])).await;
    let hash = notification(&mut ws, "eth_subscription", &hashes).await;
    assert_eq!(hash.as_str().unwrap().len(), 66);
    let full = call(&mut ws, 3, "eth_subscribe", json!(["newPendingTransactions", true])).await;
    let tx = notification(&mut ws, "eth_subscription", &full).await;
    assert!(tx["hash"].is_string() && tx["blockHash"].is_null());
    let mined =
        call(&mut ws, 4, "eth_subscribe", json!(["alchemy_minedTransactions", {"includeRemoved": true}]))
            .await;
    let result = notification(&mut ws, "eth_subscription", &mined).await;
    assert_eq!(result["removed"], false);
    assert!(result["transaction"]["blockNumber"].is_string());
    let from = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
    let pending =
        call(&mut ws, 5, "eth_subscribe", json!(["alchemy_pendingTransactions", {"fromAddress": from}]))
            .await;
    let tx = notification(&mut ws, "eth_subscription", &pending).await;
    assert_eq!(tx["from"], from);

    let unknown = request(&mut ws, 6, "eth_subscribe", json!(["foo"])).await;
    assert_error(&unknown, -32601, r#"no "foo" subscription in eth namespace"#);
    let bad_address = request(&mut ws, 7, "eth_subscribe", json!(["logs", {"address": "0xnothex"}])).await;
    assert_eq!(bad_address["error"]["code"], -32602);
    assert_eq!(call(&mut ws, 8, "eth_unsubscribe", json!(["0xdeadbeef"])).await, false);
    server.shutdown().await;
}

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
    let empty = next_json(&mut ws).await;
    assert_eq!(empty["error"]["code"], -32600);
    server.shutdown().await;
}

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
async fn malformed_fault_sends_three_bad_frames_and_keeps_serving() {
    let server = fast_server().await;
    let mut ws = connect(&server).await;
    inject(&mut ws, &DemoFault::Malformed).await;
    assert_eq!(next_message(&mut ws).await, Message::text(MALFORMED_TEXT));
    assert_eq!(next_message(&mut ws).await, Message::text(MALFORMED_JSON));
    let binary = next_message(&mut ws).await;
    assert_eq!(binary, Message::binary(MALFORMED_BINARY));
    assert!(std::str::from_utf8(&binary.into_data()).is_err());
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
