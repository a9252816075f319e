//! Recovering a 1,000-block gap over HTTP the way subscope does, against the naive way, on a
//! real anvil on 127.0.0.1.
//!
//! The history: a contract that emits ten logs per call, called once per block (automine off,
//! `evm_mine` after each call), 1,000 times. Then, for a `logs` subscription and a
//! `newHeads` one that each delivered block B0 (the block before the history) and missed the
//! rest:
//! - subscope: [`subscope::backfill::run`] on the job each one's tracker makes, the engine the
//!   connection runs after a reconnect (logs: one `eth_getLogs` over the whole range, split
//!   only if the node refuses it; heads: one `eth_getBlockByNumber` per missing height, as a
//!   header cannot be had any other way);
//! - naive: one `eth_getLogs` per block plus one `eth_getBlockByNumber` per block, at the same
//!   bound on requests in flight as subscope's client (4), so the difference is the requests.
//!
//! Wall time and HTTP requests (`RpcClient::stats`, a fresh client per measurement), median of
//! ROUNDS rounds (3). Both ways must recover every log and head (checked); timings are printed,
//! never asserted.
//!
//! Run: `cargo bench --no-default-features --bench backfill` (BLOCKS=1000, LOGS_PER_BLOCK is
//! fixed at 10 by the contract, ROUNDS=3; SUBSCOPE_ANVIL=path overrides .peers/bin/anvil).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use serde_json::{Value, json};
use subscope::backfill::{self, Tracker};
use subscope::capture::Text;
use subscope::protocol::SubId;
use subscope::rpc::{RpcClient, RpcConfig};
use support::eth::{DEV_ACCOUNT, PING_TOPIC, hex_to_u64, receipt, send_tx};
use support::{free_port, http_rpc, start_anvil};

/// How many logs one call of the contract emits.
const LOGS_PER_BLOCK: usize = 10;

/// How many requests the naive way keeps in flight: subscope's client's default bound.
const IN_FLIGHT: usize = 4;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Init code returning a runtime that stores the first calldata word and emits
/// LOG1(PING_TOPIC, word) ten times.
fn ten_logs_contract() -> String {
    let topic = PING_TOPIC.trim_start_matches("0x");
    let mut runtime = String::from("600035600052"); // PUSH1 0 CALLDATALOAD PUSH1 0 MSTORE
    for _ in 0..LOGS_PER_BLOCK {
        runtime.push_str(&format!("7f{topic}60206000a1")); // PUSH32 topic, PUSH1 32, PUSH1 0, LOG1
    }
    runtime.push_str("00"); // STOP
    let length = runtime.len() / 2;
    // PUSH2 length, PUSH1 14 (this init's length), PUSH1 0, CODECOPY, PUSH2 length, PUSH1 0, RETURN
    format!("0x61{length:04x}600e60003961{length:04x}6000f3{runtime}")
}

/// A notification frame of a subscription with `result`, as the tracker sees one.
fn frame(result: &Value) -> Text {
    json!({"jsonrpc": "2.0", "method": "eth_subscription", "params": {"subscription": "0x1", "result": result}})
        .to_string()
        .into()
}

/// One measurement: what it cost and how much it recovered.
#[derive(Clone, Copy)]
struct Cost {
    wall: Duration,
    requests: u64,
    items: usize,
}

fn client(port: u16) -> RpcClient {
    RpcClient::new(RpcConfig::new(format!("http://127.0.0.1:{port}"))).unwrap_or_else(|err| panic!("{err}"))
}

/// subscope: the tracker of a subscription that delivered `seen`, its job, the engine.
async fn subscope(port: u16, method_params: Value, seen: &[Value]) -> Cost {
    let plan =
        backfill::plan_for("eth_subscribe", Some(&method_params)).unwrap_or_else(|err| panic!("{err}"));
    let mut tracker = Tracker::new("eth_subscribe", plan);
    for result in seen {
        tracker.seen(&frame(result));
    }
    let client = client(port);
    let started = Instant::now();
    let outcome = backfill::run(tracker.job(&SubId::Str("0x1".into()), 0), client.clone()).await;
    let wall = started.elapsed();
    assert!(outcome.error.is_none(), "{}", outcome.note);
    Cost { wall, requests: client.stats().requests, items: outcome.recovered.len() }
}

/// Naive logs: one `eth_getLogs` per block.
async fn naive_logs(port: u16, filter: &Value, blocks: (u64, u64)) -> Cost {
    let client = client(port);
    let started = Instant::now();
    let per_block: Vec<usize> = stream::iter(blocks.0..=blocks.1)
        .map(|number| {
            let (client, mut query) = (client.clone(), filter.clone());
            query["fromBlock"] = json!(format!("{number:#x}"));
            query["toBlock"] = json!(format!("{number:#x}"));
            async move {
                let logs = client.call("eth_getLogs", json!([query])).await?;
                Ok::<_, subscope::rpc::RpcCallError>(logs.as_array().map_or(0, Vec::len))
            }
        })
        .buffered(IN_FLIGHT)
        .try_collect()
        .await
        .unwrap_or_else(|err| panic!("eth_getLogs: {err}"));
    Cost { wall: started.elapsed(), requests: client.stats().requests, items: per_block.iter().sum() }
}

/// Naive heads: one `eth_getBlockByNumber` per block.
async fn naive_heads(port: u16, blocks: (u64, u64)) -> Cost {
    let client = client(port);
    let started = Instant::now();
    let heads: Vec<Box<serde_json::value::RawValue>> =
        stream::iter(blocks.0..=blocks.1)
            .map(|number| {
                let client = client.clone();
                async move {
                    client.call_raw("eth_getBlockByNumber", json!([format!("{number:#x}"), false])).await
                }
            })
            .buffered(IN_FLIGHT)
            .try_collect()
            .await
            .unwrap_or_else(|err| panic!("eth_getBlockByNumber: {err}"));
    Cost { wall: started.elapsed(), requests: client.stats().requests, items: heads.len() }
}

fn median(mut costs: Vec<Cost>) -> Cost {
    costs.sort_by_key(|cost| cost.wall);
    costs[costs.len() / 2]
}

fn row(name: &str, cost: Cost) {
    println!(
        "| {name:<44} | {:>8} | {:>9.1} | {:>6} |",
        cost.requests,
        cost.wall.as_secs_f64() * 1e3,
        cost.items
    );
}

fn sum(a: Cost, b: Cost) -> Cost {
    Cost { wall: a.wall + b.wall, requests: a.requests + b.requests, items: a.items + b.items }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let blocks = env_usize("BLOCKS", 1000) as u64;
    let rounds = env_usize("ROUNDS", 3).max(1);
    let anvil = start_anvil(free_port(), &[]);
    let port = anvil.port;

    let deploy = send_tx(port, json!({"from": DEV_ACCOUNT, "data": ten_logs_contract(), "gas": "0x200000"}));
    let contract = receipt(port, &deploy)["contractAddress"].as_str().unwrap_or_default().to_owned();
    let call = |word: u64| {
        let data = format!("0x{word:064x}");
        send_tx(port, json!({"from": DEV_ACCOUNT, "to": contract, "data": data, "gas": "0x40000"}))
    };
    // Block B0: delivered live before the gap.
    let last_live = call(0);
    let b0 = hex_to_u64(&receipt(port, &last_live)["blockNumber"]);
    // One call per block, each mined on its own (automine may put two in one block).
    let answer = http_rpc(port, "evm_setAutomine", json!([false]));
    assert!(answer.get("error").is_none(), "evm_setAutomine: {answer}");
    let built = Instant::now();
    let mut last = String::new();
    for word in 1..=blocks {
        last = call(word);
        let mined = http_rpc(port, "evm_mine", json!([]));
        assert!(mined.get("error").is_none(), "evm_mine: {mined}");
    }
    let tip = hex_to_u64(&receipt(port, &last)["blockNumber"]);
    assert_eq!(tip, b0 + blocks, "one block per call");
    let build_time = built.elapsed();

    let filter = json!({"address": contract, "topics": [PING_TOPIC]});
    let b0_hex = format!("{b0:#x}");
    let seen_logs =
        http_rpc(port, "eth_getLogs", json!([{"address": contract, "fromBlock": b0_hex, "toBlock": b0_hex}]));
    let seen_logs = seen_logs["result"].as_array().cloned().unwrap_or_default();
    assert_eq!(seen_logs.len(), LOGS_PER_BLOCK, "block B0's logs");
    let seen_head = http_rpc(port, "eth_getBlockByNumber", json!([b0_hex, false]))["result"].clone();
    let expected_logs = blocks as usize * LOGS_PER_BLOCK;

    let mut measured: [Vec<Cost>; 4] = Default::default();
    for _ in 0..rounds {
        let costs = [
            subscope(port, json!(["logs", filter]), &seen_logs).await,
            subscope(port, json!(["newHeads"]), std::slice::from_ref(&seen_head)).await,
            naive_logs(port, &filter, (b0 + 1, tip)).await,
            naive_heads(port, (b0 + 1, tip)).await,
        ];
        let expected = [expected_logs, blocks as usize, expected_logs, blocks as usize];
        for ((cost, expected), all) in costs.iter().zip(expected).zip(&mut measured) {
            assert_eq!(cost.items, expected, "every missed log and head recovered");
            all.push(*cost);
        }
    }
    let [logs, heads, naive_logs, naive_heads] = measured.map(median);
    let (ours, naive) = (sum(logs, heads), sum(naive_logs, naive_heads));

    println!(
        "\nbackfill of a {blocks}-block gap, {LOGS_PER_BLOCK} logs per block (anvil on 127.0.0.1; history built in {:.1} s), median of {rounds} round(s)\n",
        build_time.as_secs_f64()
    );
    println!("| {:<44} | {:>8} | {:>9} | {:>6} |", "approach", "requests", "wall ms", "items");
    println!("|{:-<46}|{:->10}|{:->11}|{:->8}|", "", "", "", "");
    row("subscope logs: eth_getLogs over the range", logs);
    row("subscope newHeads: eth_getBlockByNumber each", heads);
    row("subscope total", ours);
    row("naive logs: eth_getLogs per block", naive_logs);
    row("naive newHeads: eth_getBlockByNumber each", naive_heads);
    row("naive total", naive);
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    println!(
        "\nnaive / subscope: logs {:.1}x requests, {:.1}x time; total {:.1}x requests, {:.1}x time",
        ratio(naive_logs.requests as f64, logs.requests as f64),
        ratio(naive_logs.wall.as_secs_f64(), logs.wall.as_secs_f64()),
        ratio(naive.requests as f64, ours.requests as f64),
        ratio(naive.wall.as_secs_f64(), ours.wall.as_secs_f64()),
    );
}
