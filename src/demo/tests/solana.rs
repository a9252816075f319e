//! The Solana methods: every subscription kind, shared ids, Agave's errors, one-off requests.

use serde_json::{Value, json};

use super::*;

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
        // The parent is the slot before, or the one before that when a leader skipped.
        let parent = result["parent"].as_u64().unwrap();
        assert!(parent == slot - 1 || parent == slot - 2, "{result}");
        let root = result["root"].as_u64().unwrap();
        // 32 slots back (33 past a skipped one), and never before the demo's first slot.
        let first = crate::demo::shared::BASE_SLOT;
        assert!(root <= (slot - 32).max(first) && root + 33 >= slot.max(first + 33), "{result}");
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
    // Skips the account's notifications: the parse error is the reply with id null.
    let parse_error = response_to(&mut ws, &Value::Null).await;
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
async fn the_genesis_hash_names_the_server_so_two_servers_are_two_chains() {
    let one = fast_server().await;
    let other = server_with(DemoConfig { speed: 100.0, seed: Some(8), ..DemoConfig::default() }).await;
    let (mut first, mut second, mut elsewhere) =
        (connect(&one).await, connect(&one).await, connect(&other).await);
    let hash = call(&mut first, 1, "getGenesisHash", json!([])).await;
    assert!(hash.as_str().is_some_and(|hash| (32..=44).contains(&hash.len())), "base58 of 32 bytes: {hash}");
    assert_eq!(call(&mut second, 1, "getGenesisHash", json!([])).await, hash, "every connection agrees");
    assert_ne!(
        call(&mut elsewhere, 1, "getGenesisHash", json!([])).await,
        hash,
        "another server, another chain"
    );
    one.shutdown().await;
    other.shutdown().await;
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
