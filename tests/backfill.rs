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
use support::eth::{PING_TOPIC, deploy_ping, hex_to_u64, ping, receipt};
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
        .until("5 live logs", Duration::from_secs(20), |d| (results(d, logs).len() >= 5).then_some(()))
        .await;
    proxy.cut();
    driver.lost().await;
    let during = pings(30);
    // Mined before anything gets through again.
    let cut_end = receipt(anvil.port, during.last().map_or("", String::as_str));
    assert_eq!(driver.captured.iter().filter(|e| e.recovered.is_some()).count(), 0);
    proxy.restore();
    driver.until("the reconnect", Duration::from_secs(20), |d| (opens(d) >= 2).then_some(())).await;
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
        let seen = results(&run.driver, heads).iter().map(|(_, head)| hex_to_u64(&head["number"])).max();
        if seen >= Some(last_block) && results(&run.driver, logs).len() >= 40 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not every head and log after 60 s: highest head {seen:?} of {last_block}, {} logs; records: {:#?}",
            results(&run.driver, logs).len(),
            notes(&run.driver),
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    run.driver.pump().await;

    let expected = chain_logs(&run);
    let delivered = results(&run.driver, logs);
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
    for (event, head) in &results(&run.driver, heads) {
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
    let notes = notes(&run.driver);
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
            (results(d, logs).len() >= 10).then_some(())
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    run.driver.pump().await;
    let delivered: HashSet<String> = results(&run.driver, logs)
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
    assert!(results(&run.driver, logs).iter().all(|(event, _)| event.recovered.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_during_the_gap_is_walked_back_and_the_replaced_heads_recovered() {
    let anvil = start_anvil(free_port(), &[]);
    let contract = deploy_ping(anvil.port);
    let proxy = Proxy::start(anvil.port).await;
    let mut driver = Driver::new();
    let conn = driver.connect(&format!("ws://127.0.0.1:{}", proxy.port));
    let heads = driver.subscribe(conn, "eth_subscribe", Some(json!(["newHeads"])));
    driver.active(heads).await;
    for word in 1..=5 {
        ping(anvil.port, &contract, word);
    }
    let tip = hex_to_u64(&http_rpc(anvil.port, "eth_blockNumber", json!([]))["result"]);
    let live_tip = |d: &Driver| results(d, heads).iter().map(|(_, head)| hex_to_u64(&head["number"])).max();
    driver
        .until("the live heads", Duration::from_secs(20), |d| (live_tip(d) == Some(tip)).then_some(()))
        .await;
    let hash_at = |number: u64| {
        http_rpc(anvil.port, "eth_getBlockByNumber", json!([format!("{number:#x}"), false]))["result"]["hash"]
            .clone()
    };
    let delivered_before = [hash_at(tip - 1), hash_at(tip)];

    proxy.cut();
    driver.lost().await;
    let reorg = http_rpc(anvil.port, "anvil_reorg", json!([2, []]));
    assert!(reorg.get("error").is_none(), "anvil_reorg: {reorg}");
    assert_ne!(hash_at(tip), delivered_before[1], "the reorg replaced the last head");
    for word in 6..=8 {
        ping(anvil.port, &contract, word);
    }
    let new_tip = hex_to_u64(&http_rpc(anvil.port, "eth_blockNumber", json!([]))["result"]);
    proxy.restore();
    driver
        .until("the heads after the gap", Duration::from_secs(30), |d| {
            (live_tip(d) == Some(new_tip)).then_some(())
        })
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    driver.pump().await;

    let seen = results(&driver, heads);
    for (number, orphaned) in [(tip - 1, &delivered_before[0]), (tip, &delivered_before[1])] {
        let at: Vec<_> = seen.iter().filter(|(_, head)| hex_to_u64(&head["number"]) == number).collect();
        assert_eq!(at.len(), 2, "height {number}: the orphaned head and its replacement");
        assert_eq!(
            (&at[0].1["hash"], at[0].0.recovered),
            (orphaned, None),
            "height {number} first as delivered live"
        );
        assert_eq!(at[1].1["hash"], hash_at(number), "then the chain's own");
        assert!(at[1].0.recovered.is_some(), "the replacement is marked recovered");
    }
    for number in tip + 1..=new_tip {
        let at: Vec<_> = seen.iter().filter(|(_, head)| hex_to_u64(&head["number"]) == number).collect();
        assert_eq!(at.len(), 1, "height {number} once");
        assert_eq!(at[0].1["hash"], hash_at(number));
    }
    let notes = notes(&driver);
    assert!(notes.iter().any(|note| note.contains("orphaned 2 delivered head(s)")), "{notes:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_limits_on_the_http_side_are_split_and_retried_and_nothing_is_lost() {
    let demo = subscope::demo::DemoServer::start(subscope::demo::DemoConfig {
        speed: 20.0,
        seed: Some(7),
        ..Default::default()
    })
    .await
    .unwrap_or_else(|err| panic!("demo: {err}"));
    let proxy = Proxy::start(demo.addr().port()).await;
    let mut driver = Driver::new();
    // The query reaches the HTTP side too: every third request is refused 429, and any
    // eth_getLogs over more than 3 blocks is refused as too large.
    let conn =
        driver.connect(&format!("ws://127.0.0.1:{}/?getlogs_max_range=3&http_429_every=3", proxy.port));
    let heads = driver.subscribe(conn, "eth_subscribe", Some(json!(["newHeads"])));
    let logs = driver.subscribe(conn, "eth_subscribe", Some(json!(["logs", {}])));
    driver.active(heads).await;
    driver.active(logs).await;
    driver
        .until("some live logs", Duration::from_secs(20), |d| (results(d, logs).len() >= 3).then_some(()))
        .await;
    proxy.cut();
    driver.lost().await;
    tokio::time::sleep(Duration::from_millis(1500)).await; // about 30 blocks at 20x
    proxy.restore();
    driver
        .until("recovered logs", Duration::from_secs(60), |d| {
            results(d, logs).iter().any(|(event, _)| event.recovered.is_some()).then_some(())
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    driver.pump().await;
    let client = subscope::rpc::RpcClient::new(subscope::rpc::RpcConfig::new(format!(
        "http://127.0.0.1:{}/",
        demo.addr().port()
    )))
    .unwrap_or_else(|err| panic!("{err}"));
    let delivered = results(&driver, logs);
    let first = hex_to_u64(&delivered[0].1["blockNumber"]);
    let last = delivered.iter().map(|(_, log)| hex_to_u64(&log["blockNumber"])).max().unwrap_or(first);
    let range = json!([{"fromBlock": format!("{first:#x}"), "toBlock": format!("{last:#x}")}]);
    let chain = client.call("eth_getLogs", range).await.unwrap_or_else(|err| panic!("{err}"));
    let key = |log: &Value| (log["blockHash"].clone(), log["logIndex"].clone());
    let got: HashSet<_> = delivered.iter().map(|(_, log)| key(log)).collect();
    let missing: Vec<_> =
        chain.as_array().into_iter().flatten().filter(|log| !got.contains(&key(log))).collect();
    assert!(missing.is_empty(), "{} canonical logs missing, e.g. {:?}", missing.len(), missing.first());
    let notes = notes(&driver);
    assert!(
        notes.iter().any(|note| note.contains("by eth_getLogs") && note.contains("recovered")),
        "{notes:#?}"
    );
    demo.shutdown().await;
}
