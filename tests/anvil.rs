//! The backend against a real anvil 1.7.1 on 127.0.0.1 (installed by scripts/install-peers.sh).

mod support;

use std::time::Duration;

use serde_json::json;
use subscope::backend::{EndReason, Event, SubscribeOutcome};
use subscope::protocol::{FrameKind, SubId};
use support::eth::{DEV_ACCOUNT, OTHER_ACCOUNT, PING_CONTRACT, PING_TOPIC, hex_to_u64, receipt, send_tx};
use support::{Driver, free_port, start_anvil};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_heads_arrive_in_order_as_blocks_are_mined() {
    let anvil = start_anvil(free_port(), &["--block-time", "0.2"]);
    let mut driver = Driver::new();
    let conn = driver.connect(&format!("ws://127.0.0.1:{}", anvil.port));
    let sub = driver.subscribe(conn, "eth_subscribe", Some(json!(["newHeads"])));
    let id = driver.active(sub).await;
    assert!(matches!(&id, SubId::Str(hex) if hex.starts_with("0x") && hex.len() == 34), "{id:?}");
    let heads = driver.notified(sub, 3, Duration::from_secs(10)).await;
    let numbers: Vec<u64> = heads.iter().map(|h| hex_to_u64(&h["params"]["result"]["number"])).collect();
    assert!(numbers.windows(2).all(|pair| pair[1] == pair[0] + 1), "block numbers {numbers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_filter_by_address_and_topic_after_an_emitting_transaction() {
    let anvil = start_anvil(free_port(), &[]);
    let deploy = send_tx(anvil.port, json!({"from": DEV_ACCOUNT, "data": PING_CONTRACT, "gas": "0x100000"}));
    let contract = receipt(anvil.port, &deploy)["contractAddress"].as_str().unwrap_or_default().to_owned();
    assert!(contract.starts_with("0x"), "no contract address");

    let mut driver = Driver::new();
    let conn = driver.connect(&format!("ws://127.0.0.1:{}", anvil.port));
    let matching = driver.subscribe(
        conn,
        "eth_subscribe",
        Some(json!(["logs", {"address": contract, "topics": [PING_TOPIC]}])),
    );
    let other_topic = "0x1111111111111111111111111111111111111111111111111111111111111111";
    let silent = driver.subscribe(
        conn,
        "eth_subscribe",
        Some(json!(["logs", {"address": contract, "topics": [other_topic]}])),
    );
    driver.active(matching).await;
    driver.active(silent).await;

    let word = "0x000000000000000000000000000000000000000000000000000000000000002a";
    let tx =
        send_tx(anvil.port, json!({"from": DEV_ACCOUNT, "to": contract, "data": word, "gas": "0x30000"}));
    let logs = driver.notified(matching, 1, Duration::from_secs(10)).await;
    let log = &logs[0]["params"]["result"];
    assert_eq!(log["transactionHash"], json!(tx));
    assert_eq!(log["topics"], json!([PING_TOPIC]));
    assert_eq!(log["data"], json!(word));
    assert_eq!(log["removed"], json!(false));
    tokio::time::sleep(Duration::from_millis(800)).await;
    driver.pump().await;
    assert!(driver.notifications(silent).is_empty(), "the non-matching topic filter must stay silent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_transactions_report_the_sent_hash() {
    let anvil = start_anvil(free_port(), &[]);
    let mut driver = Driver::new();
    let conn = driver.connect(&format!("ws://127.0.0.1:{}", anvil.port));
    let hashes = driver.subscribe(conn, "eth_subscribe", Some(json!(["newPendingTransactions"])));
    let full = driver.subscribe(conn, "eth_subscribe", Some(json!(["newPendingTransactions", true])));
    driver.active(hashes).await;
    driver.active(full).await;
    let tx =
        send_tx(anvil.port, json!({"from": DEV_ACCOUNT, "to": OTHER_ACCOUNT, "value": "0xde0b6b3a7640000"}));
    let hash_note = driver.notified(hashes, 1, Duration::from_secs(10)).await;
    assert_eq!(hash_note[0]["params"]["result"], json!(tx));
    let full_note = driver.notified(full, 1, Duration::from_secs(10)).await;
    assert_eq!(full_note[0]["params"]["result"]["hash"], json!(tx));
    assert_eq!(full_note[0]["params"]["result"]["from"], json!(DEV_ACCOUNT));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribe_returns_true_and_the_stream_stops() {
    let anvil = start_anvil(free_port(), &["--block-time", "0.2"]);
    let mut driver = Driver::new();
    let conn = driver.connect(&format!("ws://127.0.0.1:{}", anvil.port));
    let sub = driver.subscribe(conn, "eth_subscribe", Some(json!(["newHeads"])));
    driver.notified(sub, 2, Duration::from_secs(10)).await;
    driver.unsubscribe(conn, sub);
    assert_eq!(driver.ended(sub).await, EndReason::Unsubscribed(Ok(true)));
    let sent = driver.captured.iter().find(|e| e.raw.contains("eth_unsubscribe")).map(|e| e.raw.to_string());
    assert!(
        sent.is_some_and(|frame| frame.contains("\"params\":[\"0x")),
        "eth_unsubscribe must carry the server id"
    );
    driver.pump().await;
    let after_end = driver.notifications(sub).len();
    tokio::time::sleep(Duration::from_millis(1200)).await; // six block times
    driver.pump().await;
    assert_eq!(driver.notifications(sub).len(), after_end, "no newHeads after eth_unsubscribe");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_subscription_name_reports_anvils_error() {
    let anvil = start_anvil(free_port(), &[]);
    let mut driver = Driver::new();
    let conn = driver.connect(&format!("ws://127.0.0.1:{}", anvil.port));
    let sub = driver.subscribe(conn, "eth_subscribe", Some(json!(["foo"])));
    match driver.answer(sub, 0).await {
        (SubscribeOutcome::Failed(err), false) => {
            assert_eq!(err.code, -32602);
            assert_eq!(err.message, "data did not match any variant of untagged enum EthRpcCall");
        }
        other => panic!("expected anvil's error, got {other:?}"),
    }
    assert!(driver.captured.iter().any(|e| e.kind == FrameKind::Error && e.subscription == Some(sub)));
    let syncing = driver.subscribe(conn, "eth_subscribe", Some(json!(["syncing"])));
    match driver.answer(syncing, 0).await {
        (SubscribeOutcome::Failed(err), _) => {
            assert_eq!((err.code, err.message.as_str()), (-32603, "Not implemented"))
        }
        other => panic!("anvil does not implement syncing, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_off_requests_get_their_response() {
    let anvil = start_anvil(free_port(), &[]);
    let mut driver = Driver::new();
    let conn = driver.connect(&format!("ws://127.0.0.1:{}", anvil.port));
    let chain = driver.request(conn, "eth_chainId", Some(json!([])));
    assert_eq!(driver.response(chain).await, Ok("\"0x7a69\"".into()));
    let gas = driver.request(conn, "eth_gasPrice", None);
    let price = driver.response(gas).await.unwrap_or_else(|err| panic!("{err}"));
    assert!(price.starts_with("\"0x"), "{price}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_anvil_resumes_the_stream_without_a_manual_step() {
    let port = free_port();
    let mut anvil = start_anvil(port, &["--block-time", "0.2"]);
    let mut driver = Driver::new();
    let conn = driver.connect(&format!("ws://127.0.0.1:{port}"));
    let sub = driver.subscribe(conn, "eth_subscribe", Some(json!(["newHeads"])));
    let first_id = driver.active(sub).await;
    driver.notified(sub, 2, Duration::from_secs(10)).await;

    anvil.kill();
    driver.lost().await;
    let before_restart = driver.notifications(sub).len();
    let _anvil = start_anvil(port, &["--block-time", "0.2"]);

    let (outcome, resubscribed) = driver.answer(sub, 1).await;
    assert!(resubscribed, "the second answer is a re-subscribe");
    let SubscribeOutcome::Active(second_id) = outcome else { panic!("re-subscribe failed: {outcome:?}") };
    assert_ne!(first_id, second_id, "anvil gives a new id; the local key stays the same");
    driver.notified(sub, before_restart + 2, Duration::from_secs(10)).await;
    let gap = driver.events.iter().find_map(|e| match e {
        Event::Gap { lost_at_ms, restored_at_ms, .. } => Some((*lost_at_ms, *restored_at_ms)),
        _ => None,
    });
    let (lost, restored) = gap.unwrap_or_else(|| panic!("no gap recorded"));
    assert!(restored >= lost);
    assert!(driver.captured.iter().any(|e| e.kind == FrameKind::Meta && e.raw.contains("\"gap\"")));
}
