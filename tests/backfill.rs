//! Recovering what a gap lost, against real nodes on 127.0.0.1 behind a TCP proxy the test
//! cuts: every event of the whole run ends up in the capture exactly once, the recovered ones
//! marked, checked against the node's own HTTP answers over the full range.

mod support;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde_json::{Value, json};
use subscope::backend::{Command, ConnState, Event};
use subscope::capture::{CapturedEvent, Direction, RecoveryReason, RecoveryVia, SubKey};
use subscope::protocol::FrameKind;
use support::eth::{PING_TOPIC, deploy_ping, hex_to_u64, ping};
use support::proxy::Proxy;
use support::{Driver, free_port, http_rpc, start_anvil};

/// The notifications of `sub` that carry a result, in capture order.
fn results(driver: &Driver, sub: SubKey) -> Vec<(&CapturedEvent, Value)> {
    driver
        .captured
        .iter()
        .filter(|event| event.subscription == Some(sub) && event.kind == FrameKind::Notification)
        .filter_map(|event| {
            let frame: Value = serde_json::from_str(&event.raw).ok()?;
            Some((event, frame["params"]["result"].clone()))
        })
        .collect()
}

fn opens(driver: &Driver) -> usize {
    driver.events.iter().filter(|event| matches!(event, Event::State { state: ConnState::Open, .. })).count()
}

fn notes(driver: &Driver) -> Vec<String> {
    driver
        .captured
        .iter()
        .filter(|event| event.direction == Direction::Meta)
        .map(|event| event.raw.to_string())
        .collect()
}

/// A run against anvil through a proxy: 5 live blocks, 30 while the proxy is cut, 5 live
/// again, every block mined by a ping, so each has one log.
struct Run {
    anvil: support::Node,
    contract: String,
    /// The first block of the run.
    first_block: u64,
    driver: Driver,
    heads: SubKey,
    logs: SubKey,
    _proxy: Proxy,
}

async fn run_with_a_cut(backfill: bool) -> Run {
    let anvil = start_anvil(free_port(), &[]);
    let contract = deploy_ping(anvil.port);
    let first_block = hex_to_u64(&http_rpc(anvil.port, "eth_blockNumber", json!([]))["result"]) + 1;
    let (driver, heads, logs, proxy) = cut_and_restore(anvil.port, &contract, backfill).await;
    Run { anvil, contract, first_block, driver, heads, logs, _proxy: proxy }
}

async fn cut_and_restore(anvil_port: u16, contract: &str, backfill: bool) -> (Driver, SubKey, SubKey, Proxy) {
    let proxy = Proxy::start(anvil_port).await;
    let mut driver = Driver::new();
    let conn = driver.connect(&format!("ws://127.0.0.1:{}", proxy.port));
    let heads = driver.subscribe(conn, "eth_subscribe", Some(json!(["newHeads"])));
    let logs = driver.subscribe(
        conn,
        "eth_subscribe",
        Some(json!(["logs", {"address": contract, "topics": [PING_TOPIC]}])),
    );
    if !backfill {
        for sub in [heads, logs] {
            driver
                .backend
                .send(Command::Backfill { conn, sub, on: false })
                .unwrap_or_else(|err| panic!("{err}"));
        }
    }
    driver.active(heads).await;
    driver.active(logs).await;
    let mut word = 0;
    let mut pings = |count: u64| {
        for _ in 0..count {
            word += 1;
            ping(anvil_port, contract, word);
        }
    };
    pings(5);
    driver
        .until("5 live logs", Duration::from_secs(20), |d| (results(d, logs).len() >= 5).then_some(()))
        .await;

    proxy.cut();
    driver.lost().await;
    pings(30); // while nothing gets through
    proxy.restore();
    driver.until("the reconnect", Duration::from_secs(20), |d| (opens(d) >= 2).then_some(())).await;
    driver
        .until("the re-subscribes", Duration::from_secs(20), |d| {
            let active = d
                .events
                .iter()
                .filter(|e| matches!(e, Event::Subscription { resubscribed: true, .. }))
                .count();
            (active >= 2).then_some(())
        })
        .await;
    pings(5);
    (driver, heads, logs, proxy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_of_30_blocks_is_recovered_exactly_once_and_marked() {
    let Run { anvil, contract, first_block, mut driver, heads, logs, _proxy } = run_with_a_cut(true).await;
    let last_block = first_block + 39;
    let started = std::time::Instant::now();
    loop {
        driver.pump().await;
        let seen = results(&driver, heads).iter().map(|(_, head)| hex_to_u64(&head["number"])).max();
        if seen >= Some(last_block) && results(&driver, logs).len() >= 40 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not every head and log after 60 s: highest head {seen:?} of {last_block}, {} logs; records: {:#?}; heads {:?}",
            results(&driver, logs).len(),
            notes(&driver),
            results(&driver, heads)
                .iter()
                .map(|(e, h)| (hex_to_u64(&h["number"]), e.recovered.is_some(), e.seq))
                .collect::<Vec<_>>()
        );
    }
    driver.pump().await;

    // The node's own answer over the whole run.
    let expected = http_rpc(
        anvil.port,
        "eth_getLogs",
        json!([{"address": contract, "topics": [PING_TOPIC], "fromBlock": format!("{first_block:#x}"), "toBlock": format!("{last_block:#x}")}]),
    )["result"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(expected.len(), 40);
    let delivered = results(&driver, logs);
    let keys = |log: &Value| (log["blockHash"].clone(), log["logIndex"].clone());
    let got: Vec<_> = delivered.iter().map(|(_, log)| keys(log)).collect();
    let want: Vec<_> = expected.iter().map(keys).collect();
    assert_eq!(got, want, "every log once, in the chain's order");
    for ((event, log), original) in delivered.iter().zip(&expected) {
        assert_eq!(log, original, "a recovered log is the node's own");
        let block = hex_to_u64(&log["blockNumber"]);
        let in_gap = (first_block + 5..first_block + 35).contains(&block);
        if in_gap {
            let recovery =
                event.recovered.unwrap_or_else(|| panic!("block {block}'s log is not marked recovered"));
            assert_eq!((recovery.reason(), recovery.via()), (RecoveryReason::Gap, RecoveryVia::EthGetLogs));
        }
        if block < first_block + 5 {
            assert_eq!(event.recovered, None, "block {block} was delivered live");
        }
    }

    let heads_seen = results(&driver, heads);
    let mut by_number: BTreeMap<u64, HashSet<String>> = BTreeMap::new();
    for (event, head) in &heads_seen {
        let number = hex_to_u64(&head["number"]);
        let hash = head["hash"].as_str().unwrap_or_default().to_owned();
        assert!(by_number.entry(number).or_default().insert(hash), "head {number} delivered twice");
        let block =
            &http_rpc(anvil.port, "eth_getBlockByNumber", json!([format!("{number:#x}"), false]))["result"];
        assert_eq!(block["hash"], head["hash"], "head {number} is the chain's");
        if (first_block + 5..first_block + 35).contains(&number) {
            let recovery = event.recovered.unwrap_or_else(|| panic!("head {number} is not marked recovered"));
            assert_eq!(recovery.via(), RecoveryVia::EthGetBlockByNumber);
        }
    }
    let numbers: Vec<u64> = by_number.keys().copied().filter(|n| *n >= first_block).collect();
    assert_eq!(numbers, (first_block..=last_block).collect::<Vec<_>>(), "every height once");
    let notes = notes(&driver);
    assert!(
        notes
            .iter()
            .any(|note| note.contains("recovered 30 missed notifications") && note.contains("eth_getLogs")),
        "{notes:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_backfill_off_the_gap_stays_a_gap() {
    // Bound whole: the node and the proxy must outlive the checks.
    let Run { first_block, mut driver, logs, anvil: _anvil, _proxy, .. } = run_with_a_cut(false).await;
    driver
        .until("the live logs after the cut", Duration::from_secs(30), |d| {
            (results(d, logs).len() >= 10).then_some(())
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    driver.pump().await;
    let blocks: Vec<u64> =
        results(&driver, logs).iter().map(|(_, log)| hex_to_u64(&log["blockNumber"])).collect();
    let missing = (first_block..first_block + 40).filter(|block| !blocks.contains(block)).count();
    assert_eq!(missing, 30, "exactly the cut's blocks are missing: {blocks:?}");
    assert!(results(&driver, logs).iter().all(|(event, _)| event.recovered.is_none()));
}
