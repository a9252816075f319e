//! Every connection to one server sees one chain, and the faults a URL's query asks for.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;

/// Subscribes `method` with `params` and collects the notification results of the next
/// `count` of them, keyed by what names their item.
async fn collect(ws: &mut Client, id: u64, method: &str, params: Value, count: usize) -> Vec<Value> {
    let subscription = call(ws, id, method, params).await;
    let mut results = Vec::new();
    while results.len() < count {
        let value = next_json(ws).await;
        if value["params"]["subscription"] == subscription {
            results.push(value["params"]["result"].clone());
        }
    }
    results
}

/// The items two connections both delivered, by `key`, with what each said about them.
fn common(a: &[Value], b: &[Value], key: impl Fn(&Value) -> String) -> Vec<(Value, Value)> {
    let b: BTreeMap<String, &Value> = b.iter().map(|value| (key(value), value)).collect();
    a.iter().filter_map(|value| b.get(&key(value)).map(|other| (value.clone(), (*other).clone()))).collect()
}

#[tokio::test]
async fn two_connections_see_the_same_slots_transactions_and_blocks() {
    let server = server_with(DemoConfig { speed: 20.0, ..DemoConfig::default() }).await;
    let (mut a, mut b) = (connect(&server).await, connect(&server).await);
    let logs = json!(["all"]);
    let (logs_a, logs_b) = tokio::join!(
        collect(&mut a, 1, "logsSubscribe", logs.clone(), 40),
        collect(&mut b, 1, "logsSubscribe", logs, 40)
    );
    // Per slot, the same signatures in the same order.
    let by_slot = |values: &[Value]| {
        let mut slots: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for value in values {
            let slot = value["context"]["slot"].as_u64().unwrap();
            slots.entry(slot).or_default().push(value["value"]["signature"].as_str().unwrap().to_owned());
        }
        slots
    };
    let (slots_a, slots_b) = (by_slot(&logs_a), by_slot(&logs_b));
    let shared: Vec<u64> = slots_a.keys().filter(|slot| slots_b.contains_key(slot)).copied().collect();
    assert!(shared.len() >= 5, "{slots_a:?} {slots_b:?}");
    // The first and last slot may be cut short by where each collection started and stopped.
    for slot in &shared[1..shared.len() - 1] {
        assert_eq!(slots_a[slot], slots_b[slot], "slot {slot}");
    }

    let heads = json!(["newHeads"]);
    let (heads_a, heads_b) = tokio::join!(
        collect(&mut a, 2, "eth_subscribe", heads.clone(), 5),
        collect(&mut b, 2, "eth_subscribe", heads, 5)
    );
    // By hash: a reorg repeats a number.
    let same = common(&heads_a, &heads_b, |head| head["hash"].to_string());
    assert!(same.len() >= 3, "{heads_a:?} {heads_b:?}");
    for (head_a, head_b) in same {
        assert_eq!(head_a, head_b);
    }
    let eth_logs = json!(["logs", {}]);
    let (logs_a, logs_b) = tokio::join!(
        collect(&mut a, 3, "eth_subscribe", eth_logs.clone(), 12),
        collect(&mut b, 3, "eth_subscribe", eth_logs, 12)
    );
    let key = |log: &Value| format!("{}{}", log["blockHash"], log["logIndex"]);
    let same = common(&logs_a, &logs_b, key);
    assert!(same.len() >= 4, "{logs_a:?} {logs_b:?}");
    for (log_a, log_b) in same {
        assert_eq!(log_a["transactionHash"], log_b["transactionHash"]);
    }
    server.shutdown().await;
}

/// A client of `server` whose URL carries `query`.
async fn connect_with(server: &DemoServer, query: &str) -> Result<Client, WsError> {
    let url = format!("{}/?{query}", server.url());
    timeout(STEP, tokio_tungstenite::connect_async(url)).await.unwrap().map(|(ws, _)| ws)
}

/// Subscribes to slots and returns the next `count` slot numbers, each with when it arrived.
async fn slots(ws: &mut Client, count: usize) -> Vec<(u64, Instant)> {
    let subscription = call(ws, 1, "slotSubscribe", json!([])).await;
    let mut slots = Vec::new();
    while slots.len() < count {
        let value = next_json(ws).await;
        if value["params"]["subscription"] == subscription {
            slots.push((value["params"]["result"]["slot"].as_u64().unwrap(), Instant::now()));
        }
    }
    slots
}

#[tokio::test]
async fn a_delay_in_the_url_delays_that_connection_only() {
    let server = server_with(DemoConfig { speed: 4.0, ..DemoConfig::default() }).await; // 100 ms slots
    let mut plain = connect(&server).await;
    let mut delayed = connect_with(&server, "delay_ms=200").await.unwrap();
    let (fast, slow) = tokio::join!(slots(&mut plain, 12), slots(&mut delayed, 10));
    let fast: BTreeMap<u64, Instant> = fast.into_iter().collect();
    let lags: Vec<u128> = slow
        .iter()
        .filter_map(|(slot, at)| fast.get(slot).map(|first| at.saturating_duration_since(*first).as_millis()))
        .collect();
    assert!(lags.len() >= 5, "{lags:?}");
    let mut sorted = lags.clone();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2];
    assert!((170..=300).contains(&median), "{lags:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn drop_every_in_the_url_leaves_out_every_kth_notification() {
    let seed = 3;
    let server = server_with(DemoConfig { speed: 40.0, seed: Some(seed), ..DemoConfig::default() }).await;
    let mut ws = connect_with(&server, "drop_every=3").await.unwrap();
    let seen = slots(&mut ws, 40).await;
    let numbers: Vec<u64> = seen.iter().map(|(slot, _)| *slot).collect();
    // Slots with a block come one by one; every third is missing: steps of 1 and 2 alternate,
    // counted in slots with a block (skipped slots get no notification).
    let produced = |from: u64, to: u64| {
        (from + 1..=to).filter(|slot| !crate::demo::solana::is_skipped(seed, *slot)).count() as u64
    };
    let steps: Vec<u64> = numbers.windows(2).map(|pair| produced(pair[0], pair[1])).collect();
    assert_eq!(steps.iter().filter(|step| **step == 2).count(), steps.len() / 2, "{numbers:?}");
    assert!(steps.iter().all(|step| *step == 1 || *step == 2), "{numbers:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_fault_value_the_demo_cannot_use_is_refused_with_400_and_a_reason() {
    let server = fast_server().await;
    for (query, says) in [
        ("delay_ms=soon", "delay_ms must be a whole number from 0 to 60000, got \"soon\""),
        ("drop_every=0", "drop_every must be a whole number from 1"),
        ("drop_every=5&delay_ms=1e3", "delay_ms must be a whole number from 0 to 60000, got \"1e3\""),
    ] {
        match connect_with(&server, query).await {
            Err(WsError::Http(response)) => {
                assert_eq!(response.status(), 400);
                let body =
                    String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).into_owned();
                assert!(body.contains(says), "{query}: {body}");
            }
            Err(other) => panic!("{query}: {other}"),
            Ok(_) => panic!("{query} was accepted"),
        }
    }
    assert!(connect_with(&server, "delay_ms=0&drop_every=2").await.is_ok());
    assert!(connect_with(&server, "api-key=k3y&dropevery=5").await.is_ok(), "other names are ignored");
    server.shutdown().await;
}
