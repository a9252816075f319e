//! Recovering what a gap lost, against real nodes on 127.0.0.1 behind a TCP proxy the test
//! cuts: every event of the whole run ends up in the capture exactly once, the recovered ones
//! marked, checked against the node's own HTTP answers over the full range.

mod support;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde_json::{Value, json};
use subscope::backend::{Command, Event};
use subscope::capture::{RecoveryReason, RecoveryVia, SubKey};
use support::eth::{PING_TOPIC, Pinger, deploy_ping, hex_to_u64, receipt};
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
    let mut pinger = Pinger::new(anvil.port, &contract);
    let mut pings = |count: u64| pinger.send(count);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_during_the_gap_is_walked_back_and_the_replaced_heads_recovered() {
    let anvil = start_anvil(free_port(), &[]);
    let contract = deploy_ping(anvil.port);
    let proxy = Proxy::start(anvil.port).await;
    let mut driver = Driver::new();
    let conn = driver.connect(&format!("ws://127.0.0.1:{}", proxy.port));
    let heads = driver.subscribe(conn, "eth_subscribe", Some(json!(["newHeads"])));
    driver.active(heads).await;
    // anvil answers a transaction before it is mined: its receipt says which block holds it.
    let mut pinger = Pinger::new(anvil.port, &contract);
    let mined = |tx: Option<String>| hex_to_u64(&receipt(anvil.port, &tx.unwrap_or_default())["blockNumber"]);
    let tip = mined(pinger.send(5).pop());
    let live_tip = |d: &Driver| d.results(heads).iter().map(|(_, head)| hex_to_u64(&head["number"])).max();
    let heights =
        |d: &Driver| d.results(heads).iter().map(|(_, head)| hex_to_u64(&head["number"])).collect::<Vec<_>>();
    let what = format!("the live heads up to {tip}");
    driver.until(&what, Duration::from_secs(20), |d| (live_tip(d) == Some(tip)).then_some(())).await;
    assert!(heights(&driver).len() >= 2, "{:?}", heights(&driver));
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
    let new_tip = mined(pinger.send(3).pop());
    proxy.restore();
    let started = std::time::Instant::now();
    while live_tip(&driver) != Some(new_tip) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no head {new_tip} after the gap: {:?}; records {:#?}",
            heights(&driver),
            driver.notes()
        );
        driver.pump().await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    driver.pump().await;

    let seen = driver.results(heads);
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
    let notes = driver.notes();
    assert!(notes.iter().any(|note| note.contains("orphaned 2 delivered head(s)")), "{notes:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_limits_on_the_http_side_are_split_and_retried_and_nothing_is_lost() {
    let demo = subscope::demo::DemoServer::start(subscope::demo::DemoConfig {
        speed: 10.0,
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
    let logs = driver.subscribe(conn, "eth_subscribe", Some(json!(["logs", {}])));
    driver.active(logs).await;
    driver
        .until("some live logs", Duration::from_secs(20), |d| (d.results(logs).len() >= 3).then_some(()))
        .await;
    proxy.cut();
    driver.lost().await;
    tokio::time::sleep(Duration::from_millis(1500)).await; // about 15 blocks at 10x
    proxy.restore();
    driver
        .until("recovered logs", Duration::from_secs(60), |d| {
            d.results(logs).iter().any(|(event, _)| event.recovered.is_some()).then_some(())
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    driver.pump().await;
    let client = subscope::rpc::RpcClient::new(subscope::rpc::RpcConfig::new(format!(
        "http://127.0.0.1:{}/",
        demo.addr().port()
    )))
    .unwrap_or_else(|err| panic!("{err}"));
    let delivered = driver.results(logs);
    let first = hex_to_u64(&delivered[0].1["blockNumber"]);
    let last = delivered.iter().map(|(_, log)| hex_to_u64(&log["blockNumber"])).max().unwrap_or(first);
    let range = json!([{"fromBlock": format!("{first:#x}"), "toBlock": format!("{last:#x}")}]);
    let chain = client.call("eth_getLogs", range).await.unwrap_or_else(|err| panic!("{err}"));
    let key = |log: &Value| (log["blockHash"].clone(), log["logIndex"].clone());
    let got: HashSet<_> = delivered.iter().map(|(_, log)| key(log)).collect();
    let missing: Vec<_> =
        chain.as_array().into_iter().flatten().filter(|log| !got.contains(&key(log))).collect();
    assert!(missing.is_empty(), "{} canonical logs missing, e.g. {:?}", missing.len(), missing.first());
    let notes = driver.notes();
    assert!(
        notes.iter().any(|note| note.contains("by eth_getLogs") && note.contains("recovered")),
        "{notes:#?}"
    );
    demo.shutdown().await;
}

/// `record` through the proxy (backfill on or off) while 30 pings happen during a cut, then
/// `audit` of its file: the parsed `--json` report, its exit code, and the cut's transactions
/// and blocks.
async fn record_then_audit(backfill: bool) -> (Value, Option<i32>, HashSet<String>, HashSet<u64>) {
    use support::record::{interrupt, start_record};
    let anvil = start_anvil(free_port(), &[]);
    let contract = deploy_ping(anvil.port);
    let proxy = Proxy::start(anvil.port).await;
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let out = dir.path().join("run.ndjson");
    let subscriptions = [
        json!({"method": "eth_subscribe", "params": ["newHeads"]}),
        json!({"method": "eth_subscribe", "params": ["logs", {"address": contract, "topics": [PING_TOPIC]}]}),
    ];
    let off: &[&str] = if backfill { &[] } else { &["--no-backfill"] };
    let record = start_record(&format!("ws://127.0.0.1:{}", proxy.port), &subscriptions, off, &out);
    let file_has = |what: &str, count: usize| {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        (text.matches(what).count() >= count).then_some(())
    };
    let mut pinger = Pinger::new(anvil.port, &contract);
    let mut pings = |count: u64| pinger.send(count);
    let wait = Duration::from_secs(30);
    let last = pings(5).pop().unwrap_or_default();
    support::poll("the live logs", wait, || file_has(&last, 1));
    proxy.cut();
    support::poll("the cut to be seen", wait, || file_has("connection lost", 1));
    let during = pings(30);
    let cut_blocks: HashSet<u64> =
        during.iter().map(|tx| hex_to_u64(&receipt(anvil.port, tx)["blockNumber"])).collect();
    proxy.restore();
    support::poll("the re-subscribes", wait, || file_has("\"kind\":\"response\"", 4));
    let last = pings(5).pop().unwrap_or_default();
    support::poll("the logs after the cut", wait, || file_has(&last, 1));
    tokio::time::sleep(Duration::from_millis(500)).await;
    interrupt(record);

    let audit = std::process::Command::new(env!("CARGO_BIN_EXE_subscope"))
        .arg("audit")
        .arg(&out)
        .args(["--rpc", &format!("http://127.0.0.1:{}/", anvil.port), "--json"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let report: Value = serde_json::from_slice(&audit.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&audit.stderr)));
    (report, audit.status.code(), during.into_iter().collect(), cut_blocks)
}

/// The audit's entry for the subscription whose params start with `kind`.
fn audited<'a>(report: &'a Value, kind: &str) -> &'a Value {
    let subscriptions = report["subscriptions"].as_array().map(Vec::as_slice).unwrap_or_default();
    subscriptions
        .iter()
        .find(|entry| entry["params"][0] == kind)
        .unwrap_or_else(|| panic!("no {kind}: {report}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_finds_nothing_missing_in_a_backfilled_capture_and_exactly_the_cut_without() {
    let (report, code, _, _) = record_then_audit(true).await;
    assert_eq!((code, report["missing"].as_u64()), (Some(0), Some(0)), "{report:#}");
    for kind in ["newHeads", "logs"] {
        let entry = audited(&report, kind);
        assert_eq!(entry["status"], "checked", "{entry:#}");
        assert!(entry["recovered"].as_u64() > Some(0), "{kind}: nothing recovered: {entry:#}");
    }

    let (report, code, during, cut_blocks) = record_then_audit(false).await;
    assert_eq!(code, Some(1), "{report:#}");
    let missing = |kind: &str| audited(&report, kind)["missing"].as_array().cloned().unwrap_or_default();
    let missing_txs: HashSet<String> =
        missing("logs").iter().filter_map(|item| item["transaction"].as_str().map(str::to_owned)).collect();
    assert_eq!(missing_txs, during, "exactly the cut's logs are missing");
    let missing_heads: HashSet<u64> =
        missing("newHeads").iter().filter_map(|item| item["block"].as_u64()).collect();
    assert_eq!(missing_heads, cut_blocks, "exactly the cut's heads are missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_height_the_stream_skips_without_a_reconnect_is_recovered_before_the_next_head() {
    let demo =
        subscope::demo::DemoServer::start(subscope::demo::DemoConfig { speed: 20.0, ..Default::default() })
            .await
            .unwrap_or_else(|err| panic!("demo: {err}"));
    let mut driver = Driver::new();
    // Every third head is not sent: a provider under load skipping heights.
    let conn = driver.connect(&format!("{}/?drop_every=3", demo.url()));
    let heads = driver.subscribe(conn, "eth_subscribe", Some(json!(["newHeads"])));
    driver.until("15 heads", Duration::from_secs(30), |d| (d.results(heads).len() >= 15).then_some(())).await;
    let seen: Vec<(u64, Option<subscope::capture::Recovery>, Value)> = driver
        .results(heads)
        .iter()
        .map(|(event, head)| (hex_to_u64(&head["number"]), event.recovered, head["hash"].clone()))
        .collect();
    let heights: Vec<u64> = seen.iter().map(|(number, ..)| *number).collect();
    let mut unique = heights.clone();
    unique.dedup(); // a reorg repeats a height, in a row
    assert_eq!(
        unique,
        (unique[0]..=unique[unique.len() - 1]).collect::<Vec<_>>(),
        "a height is missing: {heights:?}"
    );
    let recovered: Vec<_> = seen.iter().filter(|(_, recovery, _)| recovery.is_some()).collect();
    assert!(recovered.len() >= 3, "{seen:?}");
    let client = subscope::rpc::RpcClient::new(subscope::rpc::RpcConfig::new(
        demo.url().replacen("ws://", "http://", 1),
    ))
    .unwrap_or_else(|err| panic!("{err}"));
    for (number, recovery, hash) in recovered {
        let recovery = recovery.unwrap_or_else(|| unreachable!());
        assert_eq!(
            (recovery.reason(), recovery.via()),
            (RecoveryReason::HeightSkip, RecoveryVia::EthGetBlockByNumber)
        );
        let block = client
            .call("eth_getBlockByHash", json!([hash, false]))
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(hex_to_u64(&block["number"]), *number, "the recovered head {number} is the demo's own");
    }
    let notes = driver.notes();
    assert!(notes.iter().any(|note| note.contains("which the stream skipped")), "{notes:#?}");
    demo.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_heads_gap_is_asked_in_batches_and_a_server_without_them_one_by_one() {
    use subscope::backfill::{self, Tracker};
    use subscope::protocol::SubId;
    let anvil = start_anvil(free_port(), &[]);
    // The last head the subscription saw, then 250 more mined while it was away.
    let seen = http_rpc(anvil.port, "eth_getBlockByNumber", json!(["latest", false]))["result"].clone();
    let frame = json!({"jsonrpc": "2.0", "method": "eth_subscription", "params": {"subscription": "0x1", "result": seen}});
    let mined = http_rpc(anvil.port, "anvil_mine", json!(["0xfa"]));
    assert!(mined.get("error").is_none(), "{mined}");
    let plan =
        backfill::plan_for("eth_subscribe", Some(&json!(["newHeads"]))).unwrap_or_else(|err| panic!("{err}"));
    let mut tracker = Tracker::new("eth_subscribe", plan);
    tracker.seen(&frame.to_string().into());
    let client = subscope::rpc::RpcClient::new(subscope::rpc::RpcConfig::new(format!(
        "http://127.0.0.1:{}/",
        anvil.port
    )))
    .unwrap_or_else(|err| panic!("{err}"));
    let outcome = backfill::run(tracker.job(&SubId::Str("0x1".into()), 0), client.clone()).await;
    assert_eq!((outcome.recovered.len(), outcome.error), (250, None));
    // eth_blockNumber, then 100 + 100 + 50 heights in three batches.
    assert_eq!(client.stats().requests, 4, "{:?}", client.stats());

    // A server that refuses batches (a proxy in front of anvil answering any batch with an error)
    // gets the same heads one request at a time.
    let refusing = support::proxy::rpc_refusing_batches(anvil.port).await;
    let client =
        subscope::rpc::RpcClient::new(subscope::rpc::RpcConfig::new(format!("http://127.0.0.1:{refusing}/")))
            .unwrap_or_else(|err| panic!("{err}"));
    let again = backfill::run(tracker.job(&SubId::Str("0x1".into()), 0), client.clone()).await;
    assert_eq!(again.recovered, outcome.recovered, "the same heads, in the same order");
    assert!(client.stats().requests > 250, "{:?}", client.stats());
}

// ---- items other endpoints delivered (what `compare` asks for) -------------------------------

/// Misses reported in a burst (as a comparison settles several at once) are all recovered, each
/// once, though every one but the first arrives while a recovery of the subscription runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misses_reported_in_a_burst_are_all_recovered_once() {
    use subscope::demo::{DemoConfig, DemoServer};
    let server = DemoServer::start(DemoConfig { speed: 10.0, seed: Some(24), ..DemoConfig::default() })
        .await
        .unwrap_or_else(|err| panic!("demo: {err}"));
    let mut driver = Driver::new();
    let conn = driver.connect(&format!("{}?drop_every=2", server.url()));
    let slots = driver.subscribe(conn, "slotSubscribe", None);
    driver.notified(slots, 16, Duration::from_secs(20)).await;
    let slot_of = |result: &Value| result["slot"].as_u64();
    let delivered: HashSet<u64> = driver.results(slots).iter().filter_map(|(_, r)| slot_of(r)).collect();
    let (low, high) =
        (delivered.iter().min().copied().unwrap_or(0), delivered.iter().max().copied().unwrap_or(0));
    let port = server.addr().port();
    let produced = tokio::task::spawn_blocking(move || {
        http_rpc(port, "getBlocks", json!([low, high, {"commitment": "confirmed"}]))["result"].clone()
    })
    .await
    .unwrap_or_else(|err| panic!("{err}"));
    let missing: Vec<u64> = produced
        .as_array()
        .map(|list| list.iter().filter_map(Value::as_u64).filter(|slot| !delivered.contains(slot)).collect())
        .unwrap_or_default();
    assert!(missing.len() >= 5, "drop_every=2 dropped too few confirmed slots: {missing:?} ({produced})");
    for &height in &missing {
        driver
            .backend
            .send(Command::Recover { conn, sub: slots, height })
            .unwrap_or_else(|err| panic!("{err}"));
    }
    let recovered = |d: &Driver| -> Vec<u64> {
        d.results(slots)
            .iter()
            .filter(|(e, _)| e.recovered.is_some())
            .filter_map(|(_, r)| slot_of(r))
            .collect()
    };
    let mut got = driver
        .until("every missed slot recovered", Duration::from_secs(20), |d| {
            let got = recovered(d);
            (got.len() >= missing.len()).then_some(got)
        })
        .await;
    got.sort_unstable();
    assert_eq!(got, missing, "each missed slot once, nothing delivered live");
    assert!(driver.results(slots).iter().filter(|(e, _)| e.recovered.is_some()).all(|(e, _)| {
        e.recovered
            .is_some_and(|r| r.reason() == RecoveryReason::CompareMiss && r.via() == RecoveryVia::GetBlocks)
    }));
    server.shutdown().await;
}
