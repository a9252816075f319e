//! Recovering what a gap lost, against real nodes on 127.0.0.1 behind a TCP proxy the test
//! cuts: every event of the whole run ends up in the capture exactly once, the recovered ones
//! marked, checked against the node's own HTTP answers over the full range.

mod support;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde_json::{Value, json};
use subscope::backend::{Command, Event};
use subscope::capture::{RecoveryReason, RecoveryVia, SubKey};
use support::eth::{PING_TOPIC, deploy_ping, hex_to_u64, ping, receipt};
use support::proxy::Proxy;
use support::{Driver, free_port, http_rpc, start_anvil};

/// A run against anvil through a proxy: 5 pings live, 30 while the proxy is cut, 5 live
/// again; each ping emits one log (anvil mines them into blocks as it likes).
struct Run {
    anvil: support::Node,
    contract: String,
    /// The first and last block of the run.
    blocks: (u64, u64),
    /// The pings' transactions: before, during and after the cut.
    sent: [Vec<String>; 3],
    driver: Driver,
    heads: SubKey,
    logs: SubKey,
    _proxy: Proxy,
}

async fn run_with_a_cut(backfill: bool) -> Run {
    let anvil = start_anvil(free_port(), &[]);
    let contract = deploy_ping(anvil.port);
    let first_block = hex_to_u64(&http_rpc(anvil.port, "eth_blockNumber", json!([]))["result"]) + 1;
    let proxy = Proxy::start(anvil.port).await;
    let mut driver = Driver::new();
    let conn = driver.connect(&format!("ws://127.0.0.1:{}", proxy.port));
    let heads = driver.subscribe(conn, "eth_subscribe", Some(json!(["newHeads"])));
    let filter = json!({"address": contract, "topics": [PING_TOPIC]});
    let logs = driver.subscribe(conn, "eth_subscribe", Some(json!(["logs", filter])));
    if !backfill {
        for sub in [heads, logs] {
            let command = Command::Backfill { conn, sub, on: false };
            driver.backend.send(command).unwrap_or_else(|err| panic!("{err}"));
        }
    }
    driver.active(heads).await;
    driver.active(logs).await;
    let mut word = 0;
    let mut pings = |count: u64| -> Vec<String> {
        (0..count)
            .map(|_| {
                word += 1;
                ping(anvil.port, &contract, word)
            })
            .collect()
    };
    let before = pings(5);
    driver
        .until("5 live logs", Duration::from_secs(20), |d| (d.results(logs).len() >= 5).then_some(()))
        .await;
    proxy.cut();
    driver.lost().await;
    let during = pings(30);
    // Mined before anything gets through again.
    let cut_end = receipt(anvil.port, during.last().map_or("", String::as_str));
    assert_eq!(driver.captured.iter().filter(|e| e.recovered.is_some()).count(), 0);
    proxy.restore();
    driver.until("the reconnect", Duration::from_secs(20), |d| (d.opens() >= 2).then_some(())).await;
    driver
        .until("the re-subscribes", Duration::from_secs(20), |d| {
            let again =
                d.events.iter().filter(|e| matches!(e, Event::Subscription { resubscribed: true, .. }));
            (again.count() >= 2).then_some(())
        })
        .await;
    let after = pings(5);
    let last_block = hex_to_u64(&receipt(anvil.port, after.last().map_or("", String::as_str))["blockNumber"]);
    assert!(hex_to_u64(&cut_end["blockNumber"]) < last_block);
    Run {
        anvil,
        contract,
        blocks: (first_block, last_block),
        sent: [before, during, after],
        driver,
        heads,
        logs,
        _proxy: proxy,
    }
}

/// The node's own logs of the run, in order.
fn chain_logs(run: &Run) -> Vec<Value> {
    let (from, to) = run.blocks;
    let filter = json!({"address": run.contract, "topics": [PING_TOPIC], "fromBlock": format!("{from:#x}"), "toBlock": format!("{to:#x}")});
    let logs = http_rpc(run.anvil.port, "eth_getLogs", json!([filter]))["result"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(logs.len(), 40, "one log per ping");
    logs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_of_30_transactions_is_recovered_exactly_once_and_marked() {
    let mut run = run_with_a_cut(true).await;
    let (first_block, last_block) = run.blocks;
    let (heads, logs) = (run.heads, run.logs);
    let started = std::time::Instant::now();
    loop {
        run.driver.pump().await;
        let seen = run.driver.results(heads).iter().map(|(_, head)| hex_to_u64(&head["number"])).max();
        if seen >= Some(last_block) && run.driver.results(logs).len() >= 40 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not every head and log after 60 s: highest head {seen:?} of {last_block}, {} logs; records: {:#?}",
            run.driver.results(logs).len(),
            run.driver.notes(),
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    run.driver.pump().await;

    let expected = chain_logs(&run);
    let delivered = run.driver.results(logs);
    let keys = |log: &Value| (log["blockHash"].clone(), log["logIndex"].clone());
    let got: Vec<_> = delivered.iter().map(|(_, log)| keys(log)).collect();
    let want: Vec<_> = expected.iter().map(keys).collect();
    assert_eq!(got, want, "every log once, in the chain's order");
    let [before, during, _] = &run.sent;
    let mut cut_blocks = HashSet::new();
    let mut live_blocks = HashSet::new();
    for ((event, log), original) in delivered.iter().zip(&expected) {
        assert_eq!(log, original, "a recovered log is the node's own");
        let tx = log["transactionHash"].as_str().unwrap_or_default().to_owned();
        if during.contains(&tx) {
            let recovery = event
                .recovered
                .unwrap_or_else(|| panic!("the log of {tx}, sent during the cut, is not marked"));
            assert_eq!((recovery.reason(), recovery.via()), (RecoveryReason::Gap, RecoveryVia::EthGetLogs));
            cut_blocks.insert(hex_to_u64(&log["blockNumber"]));
        }
        if before.contains(&tx) {
            assert_eq!(event.recovered, None, "the log of {tx} was delivered live");
            live_blocks.insert(hex_to_u64(&log["blockNumber"]));
        }
    }

    let mut by_number: BTreeMap<u64, HashSet<String>> = BTreeMap::new();
    for (event, head) in &run.driver.results(heads) {
        let number = hex_to_u64(&head["number"]);
        let hash = head["hash"].as_str().unwrap_or_default().to_owned();
        assert!(by_number.entry(number).or_default().insert(hash), "head {number} delivered twice");
        let block = &http_rpc(run.anvil.port, "eth_getBlockByNumber", json!([format!("{number:#x}"), false]))
            ["result"];
        assert_eq!(block["hash"], head["hash"], "head {number} is the chain's");
        if cut_blocks.contains(&number) {
            let recovery = event
                .recovered
                .unwrap_or_else(|| panic!("head {number}, mined during the cut, is not marked"));
            assert_eq!(recovery.via(), RecoveryVia::EthGetBlockByNumber);
        }
        if live_blocks.contains(&number) {
            assert_eq!(event.recovered, None, "head {number} was delivered live");
        }
    }
    let numbers: Vec<u64> = by_number.keys().copied().filter(|n| *n >= first_block).collect();
    assert_eq!(numbers, (first_block..=last_block).collect::<Vec<_>>(), "every height once");
    let notes = run.driver.notes();
    assert!(
        notes
            .iter()
            .any(|note| note.contains("recovered 30 missed notifications") && note.contains("eth_getLogs")),
        "{notes:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_backfill_off_the_gap_stays_a_gap() {
    let mut run = run_with_a_cut(false).await;
    let logs = run.logs;
    run.driver
        .until("the live logs after the cut", Duration::from_secs(30), |d| {
            (d.results(logs).len() >= 10).then_some(())
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    run.driver.pump().await;
    let delivered: HashSet<String> = run
        .driver
        .results(logs)
        .iter()
        .map(|(_, log)| log["transactionHash"].as_str().unwrap_or_default().to_owned())
        .collect();
    let missing: HashSet<String> = chain_logs(&run)
        .iter()
        .map(|log| log["transactionHash"].as_str().unwrap_or_default().to_owned())
        .filter(|tx| !delivered.contains(tx))
        .collect();
    let during: HashSet<String> = run.sent[1].iter().cloned().collect();
    assert_eq!(missing, during, "exactly the cut's logs are missing");
    assert!(run.driver.results(logs).iter().all(|(event, _)| event.recovered.is_none()));
}
