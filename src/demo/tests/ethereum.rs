//! The Ethereum methods: the block chain with its reorgs, log filters, every subscription kind.

use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn eth_new_heads_form_a_chain_with_reorgs() {
    // Blocks every 40 ms: a connection only jumps ahead (instead of advancing by one) when it
    // falls five blocks behind, which 10 ms blocks allow on a busy machine.
    let server = server_with(DemoConfig { speed: 25.0, seed: Some(7), ..DemoConfig::default() }).await;
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
