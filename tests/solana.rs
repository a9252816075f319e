//! The backend against a real solana-test-validator 3.1.12 (Agave) on 127.0.0.1.
//!
//! The validator takes most of both cores while it runs, so the whole scenario is one test
//! that starts it once: subscriptions of every kind the test validator serves, an airdrop and
//! a signed transfer sent over its HTTP RPC, the server's errors, and a restart.

#[path = "support/solana_tx.rs"]
mod solana_tx;
mod support;

use std::time::Duration;

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use solana_tx::transfer;
use subscope::backend::{EndReason, SubscribeOutcome};
use support::{Driver, free_port, free_validator_port, http_rpc, start_validator};

const SYSTEM_PROGRAM: &str = "11111111111111111111111111111111";
const LONG: Duration = Duration::from_secs(60);

fn random_bytes() -> [u8; 32] {
    std::array::from_fn(|_| fastrand::u8(..))
}

fn result(frame: &Value) -> &Value {
    &frame["params"]["result"]
}

async fn refused(driver: &mut Driver, sub: u64) -> (i64, String) {
    match driver.answer(sub, 0).await {
        (SubscribeOutcome::Failed(err), _) => (err.code, err.message),
        other => panic!("expected the validator to refuse subscription {sub}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn solana_test_validator_pubsub_end_to_end() {
    let rpc_port = free_validator_port();
    let faucet_port = free_port();
    let mut validator = start_validator(rpc_port, faucet_port);
    let ws_url = format!("ws://127.0.0.1:{}", rpc_port + 1);

    let mut driver = Driver::new();
    let conn = driver.connect(&ws_url);

    // Slots and roots.
    let slot = driver.subscribe(conn, "slotSubscribe", None);
    let root = driver.subscribe(conn, "rootSubscribe", None);
    let slots = driver.notified(slot, 3, LONG).await;
    assert!(result(&slots[0])["slot"].as_u64().is_some(), "{}", slots[0]);
    let roots = driver.notified(root, 1, LONG).await;
    assert!(result(&roots[0]).is_u64(), "rootNotification carries a bare slot: {}", roots[0]);

    // Accounts, logs and programs around an airdrop.
    let payer = SigningKey::from_bytes(&random_bytes());
    let payer_key = bs58::encode(payer.verifying_key().to_bytes()).into_string();
    let dest = random_bytes();
    let dest_key = bs58::encode(dest).into_string();
    let account = driver.subscribe(
        conn,
        "accountSubscribe",
        Some(json!([payer_key, {"encoding": "base64", "commitment": "confirmed"}])),
    );
    let dest_account = driver.subscribe(
        conn,
        "accountSubscribe",
        Some(json!([dest_key, {"encoding": "jsonParsed", "commitment": "confirmed"}])),
    );
    let logs = driver.subscribe(
        conn,
        "logsSubscribe",
        Some(json!([{"mentions": [payer_key]}, {"commitment": "confirmed"}])),
    );
    let program = driver.subscribe(
        conn,
        "programSubscribe",
        Some(json!([SYSTEM_PROGRAM, {"encoding": "base64", "commitment": "confirmed", "filters": [{"dataSize": 0}]}])),
    );
    for sub in [account, dest_account, logs, program] {
        driver.active(sub).await;
    }

    let airdrop = http_rpc(rpc_port, "requestAirdrop", json!([payer_key, 2_000_000_000u64]));
    let airdrop_sig =
        airdrop["result"].as_str().unwrap_or_else(|| panic!("airdrop failed: {airdrop}")).to_owned();
    let signature =
        driver.subscribe(conn, "signatureSubscribe", Some(json!([airdrop_sig, {"commitment": "confirmed"}])));
    let confirmed = driver.notified(signature, 1, LONG).await;
    assert_eq!(result(&confirmed[0])["value"], json!({"err": null}));
    assert_eq!(driver.ended(signature).await, EndReason::Completed, "signatureSubscribe ends itself");

    let accounts = driver.notified(account, 1, LONG).await;
    assert_eq!(result(&accounts[0])["value"]["lamports"], json!(2_000_000_000u64));
    assert_eq!(result(&accounts[0])["value"]["owner"], json!(SYSTEM_PROGRAM));
    let airdrop_logs = driver.notified(logs, 1, LONG).await;
    assert_eq!(result(&airdrop_logs[0])["value"]["signature"], json!(airdrop_sig));
    driver
        .until("a programNotification for the payer", LONG, |d| {
            d.notifications(program).iter().any(|e| e.raw.contains(&payer_key)).then_some(())
        })
        .await;

    // A signed transfer sent over HTTP.
    let blockhash = http_rpc(rpc_port, "getLatestBlockhash", json!([{"commitment": "confirmed"}]));
    let blockhash = blockhash["result"]["value"]["blockhash"].as_str().unwrap_or_default().to_owned();
    let (transaction, transfer_sig) = transfer(&payer, &dest, 500_000_000, &blockhash);
    let sent = http_rpc(
        rpc_port,
        "sendTransaction",
        json!([transaction, {"encoding": "base64", "preflightCommitment": "confirmed"}]),
    );
    assert_eq!(sent["result"], json!(transfer_sig), "sendTransaction: {sent}");
    let transfer_sub = driver.subscribe(
        conn,
        "signatureSubscribe",
        Some(json!([transfer_sig, {"commitment": "confirmed"}])),
    );
    driver.notified(transfer_sub, 1, LONG).await;
    assert_eq!(driver.ended(transfer_sub).await, EndReason::Completed);
    let dest_notes = driver.notified(dest_account, 1, LONG).await;
    assert_eq!(result(&dest_notes[0])["value"]["lamports"], json!(500_000_000u64));
    driver
        .until("the transfer's logs", LONG, |d| {
            d.notifications(logs).iter().any(|e| e.raw.contains(&transfer_sig)).then_some(())
        })
        .await;

    // The server's errors, attached to the subscription that caused them.
    let bad_pubkey = driver.subscribe(conn, "accountSubscribe", Some(json!(["notapubkey"])));
    assert_eq!(
        refused(&mut driver, bad_pubkey).await,
        (-32602, "Invalid Request: Invalid pubkey provided".into())
    );
    let two_mentions =
        driver.subscribe(conn, "logsSubscribe", Some(json!([{"mentions": [payer_key, dest_key]}])));
    assert_eq!(
        refused(&mut driver, two_mentions).await,
        (-32602, "Invalid Request: Only 1 address supported".into())
    );

    // Unsubscribe answers true.
    driver.unsubscribe(conn, root);
    assert_eq!(driver.ended(root).await, EndReason::Unsubscribed(Ok(true)));

    // A restarted validator: the slot stream resumes under the same local key.
    let before = driver.notifications(slot).len();
    validator.kill();
    let _validator = start_validator(rpc_port, faucet_port);
    let (outcome, resubscribed) = driver.answer(slot, 1).await;
    assert!(resubscribed && matches!(outcome, SubscribeOutcome::Active(_)), "{outcome:?}");
    driver.notified(slot, before + 2, LONG).await;
    assert!(driver.events.iter().any(|e| matches!(e, subscope::backend::Event::Gap { .. })));
}
