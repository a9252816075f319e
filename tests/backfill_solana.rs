//! Recovering what a gap lost on Solana, against a real solana-test-validator 3.1.12 on
//! 127.0.0.1.
//!
//! The connection's PubSub and its HTTP RPC (`rpc_url`) each go through a TCP proxy, and the
//! test cuts and restores both together, as when an endpoint goes away: nothing can be asked
//! over HTTP during the gap either, so what was missed can only be asked for after the
//! re-subscribe. The test's own calls (the transactions, and the truth the capture is compared
//! with) go straight to the validator.
//!
//! The validator takes most of both cores, so one test starts it once and makes one cut of at
//! least ten slots with four subscriptions on the connection: `slotSubscribe`; a
//! `signatureSubscribe` for a transfer signed before the cut and sent during it; the logs
//! mentioning the transfer's recipient and the recipient's account, which that transfer and an
//! airdrop during the cut both change. Each kind is then checked on its own, and every check
//! that fails is reported.

#[path = "support/solana_tx.rs"]
mod solana_tx;
mod support;

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use solana_tx::{address, airdrop, confirmed_slot, random_bytes, send, signed_transfer};
use subscope::backend::{EndReason, Event};
use subscope::backfill::{self, Outcome, Tracker};
use subscope::capture::{CapturedEvent, Recovery, RecoveryReason, RecoveryVia, SubKey};
use subscope::protocol::SubId;
use subscope::rpc::{RpcClient, RpcConfig};
use support::proxy::Proxy;
use support::{Driver, Node, free_port, free_validator_port, http_rpc, poll, start_validator, test_config};

const LONG: Duration = Duration::from_secs(60);
const SOL: u64 = 1_000_000_000;
/// How many slots the cut lasts at least (400 ms each).
const CUT_SLOTS: u64 = 10;

/// An HTTP call straight to the validator; its `result`, or a panic with its error.
fn rpc(port: u16, method: &str, params: Value) -> Value {
    let answer = http_rpc(port, method, params);
    assert!(answer.get("error").is_none(), "{method}: {answer}");
    answer["result"].clone()
}

fn slot(port: u16, commitment: &str) -> u64 {
    rpc(port, "getSlot", json!([{"commitment": commitment}])).as_u64().unwrap_or_default()
}

/// Whether a notification was recovered after the gap by `via`.
fn recovered_by(recovery: Option<Recovery>, via: RecoveryVia) -> bool {
    recovery.is_some_and(|recovery| recovery.reason() == RecoveryReason::Gap && recovery.via() == via)
}

/// What [`backfill::run`] recovers for a subscription of `method` with `params` that has
/// delivered nothing yet, asking the validator straight.
async fn engine_recovery(method: &str, params: Value, port: u16) -> Outcome {
    let plan = backfill::plan_for(method, Some(&params)).unwrap_or_else(|err| panic!("{method}: {err}"));
    let job = Tracker::new(method, plan).job(&SubId::Num(1), 0);
    let client = RpcClient::new(RpcConfig::new(format!("http://127.0.0.1:{port}")));
    backfill::run(job, client.unwrap_or_else(|err| panic!("{err}"))).await
}

/// The run: the connection, its four subscriptions, and what was sent when.
struct Run {
    /// The validator's RPC port (PubSub is the next one).
    port: u16,
    driver: Driver,
    slots: SubKey,
    signature: SubKey,
    logs: SubKey,
    account: SubKey,
    recipient: String,
    /// The transfer to the recipient delivered live before the cut.
    live_tx: String,
    /// The subscribed transfer and the airdrop, both to the recipient, sent during the cut.
    cut_txs: [String; 2],
    /// What the engine alone recovers for a new subscription to the transfer's signature.
    engine_signature: Outcome,
    _proxies: [Proxy; 2],
    _validator: Node,
}

/// Whether every subscription's recovery was captured, and the slot stream went on live
/// for a few slots after it.
fn settled(driver: &Driver, slots: SubKey) -> bool {
    let notes = driver.notes();
    let recovered = ["slotSubscribe", "signatureSubscribe", "logsSubscribe", "accountSubscribe"]
        .iter()
        .all(|method| notes.iter().any(|note| note.contains(&format!("\"{method}: "))));
    let delivered = driver.results(slots);
    let last_recovered = delivered.iter().rposition(|(event, _)| event.recovered.is_some());
    recovered && last_recovered.is_some_and(|at| delivered.len() - at > 5)
}

async fn run_with_a_cut() -> Run {
    let port = free_validator_port();
    let validator = start_validator(port, free_port());
    let pubsub = Proxy::start(port + 1).await;
    let http = Proxy::start(port).await;
    let mut config = test_config(&format!("ws://127.0.0.1:{}", pubsub.port));
    config.rpc_url = Some(format!("http://127.0.0.1:{}", http.port));
    let mut driver = Driver::new();
    let conn = driver.connect_with(config);

    let payer = SigningKey::from_bytes(&random_bytes());
    confirmed_slot(port, &airdrop(port, &address(&payer.verifying_key().to_bytes()), 10 * SOL));
    let recipient_bytes = random_bytes();
    let recipient = address(&recipient_bytes);
    let confirmed = json!({"commitment": "confirmed"});
    let slots = driver.subscribe(conn, "slotSubscribe", None);
    let logs = driver.subscribe(conn, "logsSubscribe", Some(json!([{"mentions": [recipient]}, confirmed])));
    let account_config = json!({"encoding": "base64", "commitment": "confirmed"});
    let account = driver.subscribe(conn, "accountSubscribe", Some(json!([recipient, account_config])));
    for sub in [slots, logs, account] {
        driver.active(sub).await;
    }

    // Live before the cut: a transfer to the recipient, its logs and the new account.
    let live_tx = send(port, &signed_transfer(port, &payer, &recipient_bytes, SOL).0);
    driver
        .until("the live transfer's logs and account", LONG, |d| {
            (!d.results(logs).is_empty() && !d.results(account).is_empty()).then_some(())
        })
        .await;

    // A transfer signed now, subscribed to, and sent only once the connection is cut.
    let (watched_tx, watched_sig) = signed_transfer(port, &payer, &recipient_bytes, SOL / 2);
    let signature =
        driver.subscribe(conn, "signatureSubscribe", Some(json!([watched_sig, {"commitment": "confirmed"}])));
    driver.active(signature).await;
    let live_slots = driver.results(slots).len();
    driver.notified(slots, live_slots + 3, LONG).await;

    pubsub.cut();
    http.cut();
    driver.lost().await;
    let cut_at = slot(port, "processed");
    assert_eq!(send(port, &watched_tx), watched_sig);
    let dropped = airdrop(port, &recipient, 3 * SOL);
    confirmed_slot(port, &watched_sig);
    confirmed_slot(port, &dropped);
    poll("the cut's slots", LONG, || (slot(port, "processed") >= cut_at + CUT_SLOTS).then_some(()));
    driver.pump().await;
    assert!(driver.captured.iter().all(|event| event.recovered.is_none()), "nothing recovered while cut");
    pubsub.restore();
    http.restore();

    driver.until("the reconnect", LONG, |d| (d.opens() >= 2).then_some(())).await;
    driver.until("every recovery, then live slots", LONG, |d| settled(d, slots).then_some(())).await;
    let engine_signature = engine_recovery("signatureSubscribe", json!([watched_sig, confirmed]), port).await;
    Run {
        port,
        driver,
        slots,
        signature,
        logs,
        account,
        recipient,
        live_tx,
        cut_txs: [watched_sig, dropped],
        engine_signature,
        _proxies: [pubsub, http],
        _validator: validator,
    }
}

/// Every produced slot between the last live one before the cut and the first live one after
/// it is captured exactly once, in order; the recovered ones are marked and are all produced
/// slots (none that its leader skipped).
fn slots_are_recovered_exactly_once(run: &Run) {
    let delivered: Vec<(u64, Option<Recovery>)> = run
        .driver
        .results(run.slots)
        .iter()
        .map(|(event, result)| (result["slot"].as_u64().unwrap_or_default(), event.recovered))
        .collect();
    for pair in delivered.windows(2) {
        assert!(pair[0].0 < pair[1].0, "slots out of order or twice: {pair:?} in {delivered:?}");
    }
    let first = delivered.iter().position(|(_, recovery)| recovery.is_some());
    let last = delivered.iter().rposition(|(_, recovery)| recovery.is_some());
    let (Some(first), Some(last)) = (first, last) else { panic!("no slot recovered: {delivered:?}") };
    let recovered: Vec<u64> = delivered[first..=last].iter().map(|(slot, _)| *slot).collect();
    for (slot, recovery) in &delivered[first..=last] {
        assert!(
            recovered_by(*recovery, RecoveryVia::GetBlocks),
            "slot {slot} between recovered ones: {recovery:?}"
        );
    }
    let before = delivered[..first].last().map(|(slot, _)| *slot);
    let after = delivered.get(last + 1).map(|(slot, _)| *slot);
    let (Some(before), Some(after)) = (before, after) else {
        panic!("no live slot around the recovered ones: {delivered:?}")
    };
    let (Some(&(start, _)), Some(&(end, _))) = (delivered.first(), delivered.last()) else { return };
    poll("the last slot to be confirmed", LONG, || (slot(run.port, "confirmed") >= end).then_some(()));
    let produced: Vec<u64> =
        serde_json::from_value(rpc(run.port, "getBlocks", json!([start, end, {"commitment": "confirmed"}])))
            .unwrap_or_default();
    let captured: HashSet<u64> = delivered.iter().map(|(slot, _)| *slot).collect();
    let lost: Vec<&u64> = produced.iter().filter(|slot| !captured.contains(slot)).collect();
    assert!(lost.is_empty(), "produced slots of the run never captured: {lost:?}");
    let between: Vec<u64> =
        produced.iter().copied().filter(|slot| (before + 1..after).contains(slot)).collect();
    assert_eq!(recovered, between, "the produced slots between live slot {before} and live slot {after}");
    // The test validator is the only leader and has not skipped a slot in any run so far;
    // the checks above hold with skips too (a skipped slot is in no getBlocks answer).
    let skipped = (start..=end).filter(|slot| !produced.contains(slot)).count();
    println!("slots {start}..={end}: {} recovered ({before}..{after}), {skipped} skipped", recovered.len());
}

/// The transfer that confirmed during the cut completes its subscription with one final
/// notification. The validator sends a new subscription the status of a transaction it still
/// holds, so after a short cut the live stream delivers it too: whichever way it came, the
/// subscription gets it once and ends once, and no copy is left without its subscription.
/// The engine alone, asked about the same transaction over HTTP, recovers it by
/// `getSignatureStatuses` at the transaction's slot and completes the subscription.
fn the_signature_completes_with_one_final_notification(run: &Run) {
    let slot = confirmed_slot(run.port, &run.cut_txs[0]);
    let [recovered] = run.engine_signature.recovered.as_slice() else {
        panic!("the engine recovered {:?}", run.engine_signature)
    };
    let frame: Value = serde_json::from_str(&recovered.frame).unwrap_or_default();
    assert_eq!(frame["params"]["result"], json!({"context": {"slot": slot}, "value": {"err": null}}));
    assert!(run.engine_signature.completes, "{:?}", run.engine_signature);

    let delivered = run.driver.results(run.signature);
    let [(event, result)] = delivered.as_slice() else {
        panic!("one final notification, not {}: {delivered:?}", delivered.len())
    };
    assert_eq!(result["value"], json!({"err": null}));
    let record = run.driver.notes().into_iter().find(|note| note.contains("\"signatureSubscribe: "));
    let record = record.unwrap_or_default();
    assert!(record.contains("reached confirmed during the gap"), "{record}");
    match event.recovered {
        Some(recovery) => {
            assert!(recovered_by(Some(recovery), RecoveryVia::GetSignatureStatuses), "{recovery:?}");
            assert_eq!(result["context"]["slot"].as_u64(), Some(slot), "the transaction's slot");
            println!("signatureSubscribe: the recovered final notification");
        }
        None => {
            assert!(record.contains("live stream delivered it too"), "{record}");
            println!("signatureSubscribe: the live final notification; the recovered one left out");
        }
    }
    let strays = run.driver.captured.iter().filter(|event| {
        event.subscription.is_none() && event.raw.contains("\"method\":\"signatureNotification\"")
    });
    assert_eq!(strays.count(), 0, "a final notification with no subscription");
    let ends: Vec<&EndReason> = run
        .driver
        .events
        .iter()
        .filter_map(|e| match e {
            Event::SubscriptionEnded { sub, reason, .. } if *sub == run.signature => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(ends, [&EndReason::Completed], "the subscription ends once, completed");
}

/// The logs of both transactions of the cut are captured once each, recovered, as the
/// validator's `getTransaction` has them; the one delivered live is not recovered again.
fn the_cuts_logs_are_recovered_once_each(run: &Run) {
    let delivered = run.driver.results(run.logs);
    let signatures: Vec<&str> = delivered
        .iter()
        .map(|(_, result)| result["value"]["signature"].as_str().unwrap_or_default())
        .collect();
    let unique: HashSet<&str> = signatures.iter().copied().collect();
    assert_eq!(unique.len(), signatures.len(), "a transaction's logs twice: {signatures:?}");
    let expected: HashSet<&str> =
        [run.live_tx.as_str(), run.cut_txs[0].as_str(), run.cut_txs[1].as_str()].into_iter().collect();
    assert_eq!(unique, expected, "the transactions mentioning {}", run.recipient);
    let mut slots = Vec::new();
    for (event, result) in &delivered {
        let signature = result["value"]["signature"].as_str().unwrap_or_default();
        if signature == run.live_tx {
            assert_eq!(event.recovered, None, "the live transfer's logs were delivered live");
            continue;
        }
        assert!(
            recovered_by(event.recovered, RecoveryVia::GetTransaction),
            "{signature}: {:?}",
            event.recovered
        );
        let config =
            json!({"encoding": "json", "maxSupportedTransactionVersion": 0, "commitment": "confirmed"});
        let transaction = rpc(run.port, "getTransaction", json!([signature, config]));
        let logs = &transaction["meta"]["logMessages"];
        assert!(logs.as_array().is_some_and(|logs| !logs.is_empty()), "{transaction}");
        assert_eq!(&result["value"]["logs"], logs, "{signature}'s logs");
        assert_eq!(result["value"]["err"], Value::Null);
        assert_eq!(result["context"]["slot"], transaction["slot"], "{signature}'s slot");
        slots.push(transaction["slot"].as_u64().unwrap_or_default());
    }
    assert!(slots.is_sorted(), "recovered in the chain's order: {slots:?}");
}

/// The account the cut changed gets one recovered notification with its new balance, at a
/// slot no earlier than the changes.
fn the_account_gets_its_new_state_once(run: &Run) {
    let delivered = run.driver.results(run.account);
    let after_live: Vec<&(&CapturedEvent, Value)> =
        delivered.iter().skip_while(|(event, _)| event.recovered.is_none()).collect();
    let [(event, result)] = after_live.as_slice() else {
        panic!("one notification after the live ones, not {}: {after_live:?}", after_live.len())
    };
    assert!(recovered_by(event.recovered, RecoveryVia::GetAccountInfo), "{:?}", event.recovered);
    let balance = rpc(run.port, "getBalance", json!([run.recipient, {"commitment": "confirmed"}]));
    assert_eq!(balance["value"], json!(SOL + SOL / 2 + 3 * SOL));
    assert_eq!(result["value"]["lamports"], balance["value"]);
    let changed = run.cut_txs.iter().map(|tx| confirmed_slot(run.port, tx)).max().unwrap_or_default();
    let at = result["context"]["slot"].as_u64().unwrap_or_default();
    assert!(at >= changed, "the state at slot {at}, before the cut's last change at {changed}");
    let live = delivered.iter().filter(|(event, _)| event.recovered.is_none());
    let live: Vec<&Value> = live.map(|(_, result)| &result["value"]["lamports"]).collect();
    assert_eq!(live, [&json!(SOL)], "the live notification before the cut");
}

/// A check of the run, by the subscription method it is about.
type Check = (&'static str, fn(&Run));

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_is_recovered_for_slots_signatures_logs_and_accounts() {
    let mut run = run_with_a_cut().await;
    // Whatever else the stream had on its way.
    run.driver.pump().await;
    let checks: [Check; 4] = [
        ("slotSubscribe", slots_are_recovered_exactly_once),
        ("signatureSubscribe", the_signature_completes_with_one_final_notification),
        ("logsSubscribe", the_cuts_logs_are_recovered_once_each),
        ("accountSubscribe", the_account_gets_its_new_state_once),
    ];
    let failed: Vec<&str> = checks
        .iter()
        .filter(|(_, check)| catch_unwind(AssertUnwindSafe(|| check(&run))).is_err())
        .map(|(name, _)| *name)
        .collect();
    assert!(
        failed.is_empty(),
        "failed (see the panics above): {failed:?}\nrecords: {:#?}",
        run.driver.notes()
    );
}
