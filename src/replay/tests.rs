//! The replay rules on one client, without sockets: matching, id rewriting, timing, loops,
//! unsubscribe, recorded and identity answers.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::client::ClientReplay;
use super::{Replay, ReplayOptions, Speed};
use crate::capture::{CapturedEvent, Direction};
use crate::export::{CaptureContext, SubscriptionInfo};
use crate::protocol::{FrameKind, SubId};

const T0: u64 = 1_795_335_540_000;

fn event(
    seq: u64,
    at: u64,
    sub: Option<u64>,
    direction: Direction,
    kind: FrameKind,
    raw: &str,
) -> CapturedEvent {
    CapturedEvent {
        seq,
        received_at_ms: T0 + at,
        connection: 1,
        subscription: sub,
        direction,
        kind,
        method: None,
        raw: raw.into(),
        redacted: false,
        recovered: None,
    }
}

fn head(number: u64) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","method":"eth_subscription","params":{{"subscription":"0xabc","result":{{"number":"0x{number:x}","hash":"0x01"}}}}}}"#
    )
}

/// newHeads (key 1) at 100, 1100, 2100 ms; logs with object params (key 2), one notification;
/// a recorded eth_getBalance answer and a recorded error.
fn replay() -> Replay {
    let mut context = CaptureContext::default();
    context.add_connection(1, "anvil", "ws://127.0.0.1:8545");
    context.subscriptions.insert(
        1,
        SubscriptionInfo {
            method: "eth_subscribe".into(),
            params: Some(json!(["newHeads"])),
            server_id: Some(SubId::Str("0xabc".into())),
        },
    );
    context.subscriptions.insert(
        2,
        SubscriptionInfo {
            method: "eth_subscribe".into(),
            params: Some(json!(["logs", {"address": "0x01", "topics": []}])),
            server_id: None,
        },
    );
    let (out, inn) = (Direction::Out, Direction::In);
    let events = [
        event(
            0,
            0,
            Some(1),
            out,
            FrameKind::Request,
            r#"{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}"#,
        ),
        event(1, 0, Some(1), inn, FrameKind::Response, r#"{"jsonrpc":"2.0","id":1,"result":"0xabc"}"#),
        event(2, 100, Some(1), inn, FrameKind::Notification, &head(10)),
        event(3, 1100, Some(1), inn, FrameKind::Notification, &head(11)),
        event(
            4,
            1200,
            None,
            out,
            FrameKind::Request,
            r#"{"jsonrpc":"2.0","id":7,"method":"eth_getBalance","params":["0x01","latest"]}"#,
        ),
        event(5, 1201, None, inn, FrameKind::Response, r#"{"jsonrpc":"2.0","id":7,"result":"0x2a"}"#),
        event(
            6,
            1300,
            None,
            out,
            FrameKind::Request,
            r#"{"jsonrpc":"2.0","id":8,"method":"eth_call","params":[]}"#,
        ),
        event(
            7,
            1301,
            None,
            inn,
            FrameKind::Error,
            r#"{"jsonrpc":"2.0","id":8,"error":{"code":3,"message":"reverted","data":{"x":1}}}"#,
        ),
        event(8, 2100, Some(1), inn, FrameKind::Notification, &head(12)),
        event(
            9,
            2200,
            Some(2),
            inn,
            FrameKind::Notification,
            r#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0xdef","result":{"logIndex":"0x0"}}}"#,
        ),
    ];
    Replay::from_capture(&events, &context)
}

fn client_replay(speed: Speed, looping: bool) -> ClientReplay {
    let options = ReplayOptions { speed, looping, ..ReplayOptions::default() };
    ClientReplay::new(Arc::new(replay()), options, Arc::new(AtomicU64::new(1)))
}

fn ask(client: &mut ClientReplay, request: Value, now: Instant) -> Value {
    let reply = client.on_text(&request.to_string(), now).unwrap_or_default();
    serde_json::from_str(&reply).unwrap_or_else(|err| panic!("{err}: {reply}"))
}

fn parsed(frames: &[String]) -> Vec<Value> {
    frames.iter().map(|frame| serde_json::from_str(frame).unwrap_or_default()).collect()
}

#[test]
fn params_match_as_json_and_notifications_carry_the_new_id() {
    let start = Instant::now();
    let mut client = client_replay(Speed::Factor(1.0), false);
    let params = json!(["logs", {"topics": [], "address": "0x01"}]); // other key order
    let reply =
        ask(&mut client, json!({"jsonrpc":"2.0","id":"a","method":"eth_subscribe","params":params}), start);
    let id = reply["result"].as_str().unwrap_or_default().to_owned();
    assert!(id.starts_with("0x") && id.len() == 34, "{reply}");
    let frames = client.take_due(start + Duration::from_secs(3), 10);
    assert_eq!(frames.len(), 1);
    let frame = &parsed(&frames)[0];
    assert_eq!(frame["params"]["subscription"], json!(id));
    assert_eq!(frame["params"]["result"], json!({"logIndex":"0x0"}), "the rest of the frame is as recorded");
}

#[test]
fn notifications_are_spaced_as_recorded_divided_by_the_speed() {
    let start = Instant::now();
    let mut client = client_replay(Speed::Factor(2.0), false);
    ask(&mut client, json!({"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}), start);
    assert_eq!(client.next_due(), Some(start + Duration::from_millis(50)));
    assert_eq!(client.take_due(start + Duration::from_millis(49), 10).len(), 0);
    assert_eq!(client.take_due(start + Duration::from_millis(50), 10).len(), 1);
    assert_eq!(client.next_due(), Some(start + Duration::from_millis(550)));
    let rest = parsed(&client.take_due(start + Duration::from_millis(1050), 10));
    let numbers: Vec<&Value> = rest.iter().map(|frame| &frame["params"]["result"]["number"]).collect();
    assert_eq!(numbers, [&json!("0xb"), &json!("0xc")], "in recorded order");
    assert_eq!(client.next_due(), None, "without --loop the timeline ends");

    let mut max = client_replay(Speed::Max, false);
    ask(&mut max, json!({"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}), start);
    assert_eq!(max.take_due(start, 10).len(), 3, "max sends everything at once");
}

#[test]
fn loop_starts_over_after_the_last_notification() {
    let start = Instant::now();
    let mut client = client_replay(Speed::Factor(1.0), true);
    ask(&mut client, json!({"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}), start);
    let frames = parsed(&client.take_due(start + Duration::from_millis(2100), 10));
    assert_eq!(frames.len(), 3);
    // One round lasts to the last notification plus the first one's lead (100 ms).
    assert_eq!(client.next_due(), Some(start + Duration::from_millis(2200 + 100)));
    let again = parsed(&client.take_due(start + Duration::from_millis(2300), 10));
    assert_eq!(again[0]["params"]["result"]["number"], json!("0xa"));
    let mut max = client_replay(Speed::Max, true);
    ask(&mut max, json!({"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}), start);
    assert_eq!(max.take_due(start, 7).len(), 7, "a max-speed loop is bounded per call");
}

#[test]
fn unsubscribe_stops_the_timeline() {
    let start = Instant::now();
    let mut client = client_replay(Speed::Factor(1.0), false);
    let reply = ask(
        &mut client,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}),
        start,
    );
    let id = reply["result"].clone();
    let unknown =
        ask(&mut client, json!({"jsonrpc":"2.0","id":2,"method":"eth_unsubscribe","params":["0x99"]}), start);
    assert_eq!(unknown["result"], json!(false));
    let done =
        ask(&mut client, json!({"jsonrpc":"2.0","id":3,"method":"eth_unsubscribe","params":[id]}), start);
    assert_eq!(done["result"], json!(true));
    assert_eq!(client.next_due(), None);
    let solana =
        ask(&mut client, json!({"jsonrpc":"2.0","id":4,"method":"slotUnsubscribe","params":[5]}), start);
    assert_eq!(solana["error"]["message"], json!("Invalid subscription id."));
}

#[test]
fn an_unmatched_subscribe_lists_what_the_capture_holds() {
    let mut client = client_replay(Speed::Factor(1.0), false);
    let reply = ask(
        &mut client,
        json!({"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newPendingTransactions"]}),
        Instant::now(),
    );
    let message = reply["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(reply["error"]["code"], json!(-32602));
    assert!(message.contains("newPendingTransactions"), "{message}");
    assert!(message.contains(r#"eth_subscribe ["newHeads"] (3 notifications over 2.1 s)"#), "{message}");
    assert!(message.contains(r#""address":"0x01""#), "{message}");
    let slots = ask(&mut client, json!({"jsonrpc":"2.0","id":2,"method":"slotSubscribe"}), Instant::now());
    assert!(slots["error"]["message"].as_str().is_some_and(|m| m.contains("the capture holds")), "{slots}");
}

#[test]
fn one_offs_get_the_recorded_answer_or_method_not_found() {
    let now = Instant::now();
    let mut client = client_replay(Speed::Factor(1.0), false);
    let balance = ask(
        &mut client,
        json!({"jsonrpc":"2.0","id":42,"method":"eth_getBalance","params":["0x01","latest"]}),
        now,
    );
    assert_eq!(balance, json!({"jsonrpc":"2.0","id":42,"result":"0x2a"}));
    let call = ask(&mut client, json!({"jsonrpc":"2.0","id":43,"method":"eth_call","params":[]}), now);
    assert_eq!(call["error"], json!({"code":3,"message":"reverted","data":{"x":1}}));
    let other = ask(
        &mut client,
        json!({"jsonrpc":"2.0","id":44,"method":"eth_getBalance","params":["0x02","latest"]}),
        now,
    );
    // A method nodes have, asked for what was not recorded: said so, not "Method not found".
    assert_eq!(other["error"]["code"], json!(-32000));
    assert_eq!(
        other["error"]["message"],
        "subscope replay: the capture holds no answer to eth_getBalance with these params"
    );
    assert_eq!(other["id"], json!(44));
    let unknown = ask(&mut client, json!({"jsonrpc":"2.0","id":45,"method":"eth_nope","params":[]}), now);
    assert_eq!(unknown["error"]["code"], json!(-32601));
    let batch = client.on_text(
        r#"[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},{"jsonrpc":"2.0","id":2,"method":"nope"}]"#,
        now,
    );
    let batch: Value = serde_json::from_str(&batch.unwrap_or_default()).unwrap_or_default();
    assert_eq!(batch.as_array().map(Vec::len), Some(2));
    assert!(client.on_text("{not json", now).is_some_and(|reply| reply.contains("-32700")));
}

#[test]
fn identity_requests_are_answered_from_what_the_capture_implies() {
    let start = Instant::now();
    let mut client = client_replay(Speed::Factor(1.0), false);
    let chain = ask(&mut client, json!({"jsonrpc":"2.0","id":1,"method":"eth_chainId"}), start);
    assert_eq!(chain["result"], json!("0x7a69"));
    let before = ask(&mut client, json!({"jsonrpc":"2.0","id":2,"method":"eth_blockNumber"}), start);
    assert_eq!(before["result"], json!("0x9"), "before any head: the one before the first recorded");
    ask(&mut client, json!({"jsonrpc":"2.0","id":3,"method":"eth_subscribe","params":["newHeads"]}), start);
    client.take_due(start + Duration::from_millis(1100), 10);
    let now = ask(&mut client, json!({"jsonrpc":"2.0","id":4,"method":"eth_blockNumber"}), start);
    assert_eq!(now["result"], json!("0xb"), "the newest head this client was sent");
    let version = ask(&mut client, json!({"jsonrpc":"2.0","id":5,"method":"getVersion"}), start);
    assert!(version["result"]["solana-core"].is_string(), "{version}");
    let hash = ask(&mut client, json!({"jsonrpc":"2.0","id":6,"method":"getLatestBlockhash"}), start);
    let text = hash["result"]["value"]["blockhash"].as_str().unwrap_or_default();
    assert_eq!(bs58::decode(text).into_vec().map(|bytes| bytes.len()).ok(), Some(32));
}

/// The listener is the demo server's (`crate::loopback`): 300 silent sockets, opened first,
/// do not keep a client from subscribing within 2 s, and plain HTTP gets a real answer.
#[tokio::test]
async fn replay_serves_clients_behind_silent_sockets_and_answers_plain_http() {
    use futures_util::{SinkExt as _, StreamExt as _};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio_tungstenite::tungstenite::Message;

    let server = super::ReplayServer::start(Arc::new(replay()), ReplayOptions::default())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let mut silent = Vec::new();
    for _ in 0..300 {
        silent
            .push(tokio::net::TcpStream::connect(server.addr()).await.unwrap_or_else(|err| panic!("{err}")));
    }
    let answer = tokio::time::timeout(Duration::from_secs(2), async {
        let (mut ws, _) =
            tokio_tungstenite::connect_async(server.url()).await.map_err(|err| err.to_string())?;
        let subscribe = r#"{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}"#;
        ws.send(Message::text(subscribe)).await.map_err(|err| err.to_string())?;
        match ws.next().await {
            Some(Ok(Message::Text(text))) => Ok(serde_json::from_str::<Value>(&text).unwrap_or_default()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    match answer {
        Ok(Ok(response)) => assert!(response["result"].is_string(), "{response}"),
        Ok(Err(err)) => panic!("the client failed behind 300 silent sockets: {err}"),
        Err(_) => panic!("no subscription within 2 s behind 300 silent sockets"),
    }
    drop(silent);
    let plain = tokio::time::timeout(Duration::from_secs(10), async {
        let mut tcp = tokio::net::TcpStream::connect(server.addr()).await?;
        tcp.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await?;
        let mut answer = String::new();
        tcp.read_to_string(&mut answer).await.map(|_| answer)
    })
    .await;
    let answer = plain.ok().and_then(Result::ok).unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 426 Upgrade Required\r\n"), "{answer:?}");
    assert!(answer.ends_with(
        "subscope replay: this is a WebSocket endpoint: connect with a WebSocket client (ws://…)\n"
    ));
    server.shutdown().await;
}

#[test]
fn a_speed_out_of_range_says_which_way() {
    assert_eq!(Speed::parse("max"), Ok(Speed::Max));
    assert_eq!(Speed::parse(" 2.5 "), Ok(Speed::Factor(2.5)));
    assert!(Speed::parse("1e400").is_err_and(|err| err.contains("too large")));
    assert!(Speed::parse("0.001").is_err_and(|err| err.contains("too small")));
    for bad in ["nan", "-1", "fast", ""] {
        assert!(Speed::parse(bad).is_err_and(|err| err.contains("is not a speed")), "{bad}");
    }
}

/// A client of a capture of `subscriptions` (key, method, params, one notification each) and
/// of `one_offs` (request and response frames), over the WebSocket or over HTTP.
fn client_of(
    subscriptions: &[(u64, &str, Value)],
    one_offs: &[(Option<u64>, &str, &str)],
    http: bool,
) -> ClientReplay {
    let mut context = CaptureContext::default();
    context.add_connection(1, "node", "ws://127.0.0.1:8545");
    let mut events = Vec::new();
    for (key, method, params) in subscriptions {
        context.subscriptions.insert(
            *key,
            SubscriptionInfo { method: (*method).into(), params: Some(params.clone()), server_id: None },
        );
        let frame = format!(
            r#"{{"jsonrpc":"2.0","method":"x","params":{{"subscription":7,"result":{{"key":{key}}}}}}}"#
        );
        events.push(event(
            events.len() as u64,
            10,
            Some(*key),
            Direction::In,
            FrameKind::Notification,
            &frame,
        ));
    }
    for (key, request, response) in one_offs {
        if let Some(key) = key {
            let sent: Value = serde_json::from_str(request).unwrap_or_default();
            let (method, params) = (sent["method"].as_str().unwrap_or_default(), sent["params"].clone());
            context.subscriptions.insert(
                *key,
                SubscriptionInfo { method: method.into(), params: Some(params), server_id: None },
            );
        }
        events.push(event(events.len() as u64, 20, *key, Direction::Out, FrameKind::Request, request));
        events.push(event(events.len() as u64, 21, *key, Direction::In, FrameKind::Response, response));
    }
    let replay = Arc::new(Replay::from_capture(&events, &context));
    let ids = Arc::new(AtomicU64::new(1));
    if http {
        ClientReplay::over_http(replay, ReplayOptions::default(), ids)
    } else {
        ClientReplay::new(replay, ReplayOptions::default(), ids)
    }
}

#[test]
fn a_subscribe_matches_a_recording_as_a_node_reads_it() {
    let checksummed = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    let topic = "0x48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f";
    let recorded = [
        (1, "logsSubscribe", json!(["all"])),
        (2, "eth_subscribe", json!(["logs", {"address": checksummed, "topics": [topic]}])),
        (
            3,
            "accountSubscribe",
            json!(["FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8", {"encoding": "base64"}]),
        ),
    ];
    let asked = [
        (1, "logsSubscribe", json!(["all", {}])),
        (1, "logsSubscribe", json!(["all", {"commitment": "finalized"}])),
        (
            2,
            "eth_subscribe",
            json!(["logs", {"address": checksummed.to_lowercase(), "topics": [topic, null]}]),
        ),
        (
            2,
            "eth_subscribe",
            json!(["logs", {"address": [checksummed.to_uppercase().replace("0X", "0x")], "topics": [[topic]]}]),
        ),
        (
            3,
            "accountSubscribe",
            json!(["FX8tDFrJY5Sf5jxgP1c4TsrBrMFkrHxEBnX9MWZNgwc8", {"encoding": "base64", "commitment": "finalized"}]),
        ),
    ];
    let start = Instant::now();
    for (key, method, params) in asked {
        let mut client = client_of(&recorded, &[], false);
        let reply = ask(&mut client, json!({"jsonrpc":"2.0","id":1,"method":method,"params":params}), start);
        assert!(reply["result"].is_number() || reply["result"].is_string(), "{method} {params}: {reply}");
        let frames = parsed(&client.take_due(start + Duration::from_secs(1), 10));
        assert_eq!(frames.len(), 1, "{method} {params}");
        assert_eq!(frames[0]["params"]["result"]["key"], json!(key), "{method} {params}");
    }
    // What a node reads differently still matches nothing.
    let mut client = client_of(&recorded, &[], false);
    let reply = ask(
        &mut client,
        json!({"jsonrpc":"2.0","id":1,"method":"logsSubscribe","params":["all", {"commitment": "processed"}]}),
        start,
    );
    assert_eq!(reply["error"]["code"], json!(-32602), "{reply}");
    assert!(
        reply["error"]["message"].as_str().is_some_and(|m| m.contains(checksummed)),
        "named as recorded: {reply}"
    );
}

#[test]
fn a_one_off_is_answered_with_its_recorded_bytes_on_the_socket_and_over_http() {
    let request = r#"{"jsonrpc":"2.0","id":3,"method":"eth_getBlockByNumber","params":["0x13",false]}"#;
    let result = r#"{"number":"0x13","hash":"0xAB","transactions":[],"extra":1.50}"#;
    let response = format!(r#"{{"jsonrpc":"2.0","id":3,"result":{result}}}"#);
    // As `record --request` writes it, and as older `record --subscribe` runs tagged it: a
    // subscription whose "answer" was the block.
    for key in [None, Some(4)] {
        for http in [false, true] {
            let mut client = client_of(&[], &[(key, request, &response)], http);
            let asked = r#"{"jsonrpc":"2.0","id":9,"method":"eth_getBlockByNumber","params":["0x13",false]}"#;
            let reply = client.on_text(asked, Instant::now()).unwrap_or_default();
            assert_eq!(
                reply,
                format!(r#"{{"jsonrpc":"2.0","id":9,"result":{result}}}"#),
                "{key:?} http {http}"
            );
        }
    }
}
