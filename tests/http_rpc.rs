//! JSON-RPC over HTTP on the demo server's own port, with real sockets on 127.0.0.1: the
//! envelope (single, batch, errors), geth's 413 and 415, silent HTTP clients that cannot hold
//! the port, what was sent over the WebSocket being what HTTP answers (blocks, logs, reorgs,
//! Solana transactions and skipped slots), the provider-limit faults driving the project's
//! own RPC client, and ethers v6 and @solana/web3.js against the HTTP side.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use subscope::demo::{DemoConfig, DemoServer};
use subscope::rpc::{RpcClient, RpcConfig};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(20);

async fn demo(speed: f64, seed: u64) -> DemoServer {
    DemoServer::start(DemoConfig { speed, seed: Some(seed), ..DemoConfig::default() })
        .await
        .unwrap_or_else(|err| panic!("demo server: {err}"))
}

/// Sends `request` (a whole HTTP request) and reads until the server closes or `wait` passes.
async fn exchange(addr: std::net::SocketAddr, request: &[u8], wait: Duration) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap_or_else(|err| panic!("connect: {err}"));
    tcp.write_all(request).await.unwrap_or_else(|err| panic!("write: {err}"));
    let mut answer = Vec::new();
    tokio::time::timeout(wait, tcp.read_to_end(&mut answer)).await.ok();
    String::from_utf8_lossy(&answer).into_owned()
}

/// A JSON POST with `Connection: close`.
fn post(path: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The status line and the body of an answer.
fn split(answer: &str) -> (&str, &str) {
    let status = answer.lines().next().unwrap_or_default();
    (status, answer.split_once("\r\n\r\n").map_or("", |(_, body)| body))
}

/// POSTs one JSON-RPC body to `path` and parses the answer's body.
async fn rpc(addr: std::net::SocketAddr, path: &str, body: &Value) -> Value {
    let answer = exchange(addr, &post(path, "application/json", &body.to_string()), WAIT).await;
    let (status, text) = split(&answer);
    assert_eq!(status, "HTTP/1.1 200 OK", "{answer}");
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {answer}"))
}

/// One call's result over HTTP, failing on an error.
async fn result(addr: std::net::SocketAddr, method: &str, params: Value) -> Value {
    let answer =
        rpc(addr, "/", &json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})).await;
    assert!(answer.get("error").is_none(), "{method} {params}: {answer}");
    answer["result"].clone()
}

async fn ws(url: &str) -> Ws {
    tokio_tungstenite::connect_async(url).await.unwrap_or_else(|err| panic!("connect {url}: {err}")).0
}

/// Subscribes and returns the subscription id.
async fn subscribe(ws: &mut Ws, id: u64, method: &str, params: Value) -> Value {
    let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    ws.send(Message::text(request.to_string())).await.unwrap_or_else(|err| panic!("send: {err}"));
    loop {
        let frame = next(ws).await;
        if frame["id"] == json!(id) {
            assert!(frame.get("error").is_none(), "{frame}");
            return frame["result"].clone();
        }
    }
}

async fn next(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next()).await;
        match message {
            Ok(Some(Ok(Message::Text(text)))) => {
                return serde_json::from_str(text.as_str()).unwrap_or_else(|err| panic!("{err}: {text}"));
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("no frame: {other:?}"),
        }
    }
}

/// Notification results per subscription id, until `done` says there are enough.
async fn collect(
    ws: &mut Ws,
    done: impl Fn(&BTreeMap<String, Vec<Value>>) -> bool,
) -> BTreeMap<String, Vec<Value>> {
    let mut seen: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let deadline = Instant::now() + WAIT;
    while !done(&seen) {
        assert!(Instant::now() < deadline, "not enough notifications: {seen:?}");
        let frame = next(ws).await;
        if let Some(id) = frame["params"]["subscription"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| frame["params"]["subscription"].as_u64().map(|id| id.to_string()))
        {
            seen.entry(id).or_default().push(frame["params"]["result"].clone());
        }
    }
    seen
}

fn key(id: &Value) -> String {
    id.as_str().map_or_else(|| id.to_string(), str::to_owned)
}

#[tokio::test]
async fn json_rpc_over_http_answers_single_requests_batches_and_errors_as_geth() {
    let server = demo(20.0, 1).await;
    let addr = server.addr();
    assert_eq!(result(addr, "eth_chainId", json!([])).await, json!("0x7a69"));
    assert!(result(addr, "getSlot", json!([{"commitment": "processed"}])).await.is_u64());

    // A batch: one entry per request with an id, none for the notification.
    let batch = rpc(
        addr,
        "/",
        &json!([
            {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"},
            {"jsonrpc": "2.0", "method": "eth_chainId"},
            {"jsonrpc": "2.0", "id": "b", "method": "getHealth"},
            {"jsonrpc": "2.0", "id": 3, "method": "eth_subscribe", "params": ["newHeads"]}
        ]),
    )
    .await;
    let items = batch.as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 3, "{batch}");
    assert_eq!(items[1], json!({"jsonrpc": "2.0", "result": "ok", "id": "b"}));
    assert_eq!(items[2]["error"], json!({"code": -32601, "message": "notifications not supported"}));

    let empty = rpc(addr, "/", &json!([])).await;
    assert_eq!(
        empty,
        json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "empty batch"}})
    );
    let answer = exchange(addr, &post("/", "application/json", "{not json"), WAIT).await;
    assert_eq!(
        split(&answer).1,
        r#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}"#
    );
    assert_eq!(rpc(addr, "/", &json!(42)).await["error"]["code"], json!(-32600));
    let unknown = rpc(addr, "/", &json!({"jsonrpc": "2.0", "id": 9, "method": "eth_nope"})).await;
    assert_eq!(unknown["error"]["message"], json!("the method eth_nope does not exist/is not available"));

    // geth's refusals: another content type, a body over 5 MiB (refused from its length).
    let form = exchange(addr, &post("/", "application/x-www-form-urlencoded", "{}"), WAIT).await;
    assert_eq!(
        split(&form),
        ("HTTP/1.1 415 Unsupported Media Type", "invalid content type, only application/json is supported\n")
    );
    let huge =
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 6000000\r\n\r\n{";
    let huge = exchange(addr, huge, WAIT).await;
    assert_eq!(
        split(&huge),
        ("HTTP/1.1 413 Payload Too Large", "content length too large (6000000>5242880)\n")
    );

    // Keep-alive: two requests on one connection, both answered in order.
    let one = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}"#;
    let two = r#"{"jsonrpc":"2.0","id":2,"method":"net_version"}"#;
    let mut pipelined = post("/", "application/json", one);
    pipelined = String::from_utf8_lossy(&pipelined).replace("Connection: close\r\n", "").into_bytes();
    pipelined.extend(post("/", "application/json", two));
    let both = exchange(addr, &pipelined, WAIT).await;
    assert_eq!(both.matches("HTTP/1.1 200 OK").count(), 2, "{both}");
    assert!(
        both.contains(r#""id":1,"result":"0x7a69""#) && both.contains(r#""id":2,"result":"31337""#),
        "{both}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn silent_http_clients_cannot_hold_the_port() {
    let server = demo(20.0, 2).await;
    let addr = server.addr();
    // 300 clients send a JSON-RPC head and never their body: more than the 256 unfinished
    // connections the listener keeps.
    let head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n";
    let mut silent = Vec::new();
    for _ in 0..300 {
        let mut tcp = TcpStream::connect(addr).await.unwrap_or_else(|err| panic!("connect: {err}"));
        tcp.write_all(head).await.unwrap_or_else(|err| panic!("write: {err}"));
        silent.push(tcp);
    }
    let started = Instant::now();
    let mut client = ws(&server.url()).await;
    let id = subscribe(&mut client, 1, "slotSubscribe", json!([])).await;
    assert!(id.is_u64(), "{id}");
    assert!(started.elapsed() < Duration::from_secs(2), "the WebSocket waited {:?}", started.elapsed());
    // And HTTP clients that do send get answered meanwhile.
    assert_eq!(result(addr, "eth_chainId", json!([])).await, json!("0x7a69"));
    // The newest silent client is still held; its body never comes: 408 within the deadline.
    let mut last = silent.pop().unwrap_or_else(|| panic!("no client"));
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(8), last.read_to_end(&mut answer)).await.ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408 Request Timeout"), "{answer}");
    server.shutdown().await;
}

/// The header fields a newHeads notification carries, as `eth_getBlockBy*` must repeat them.
fn same_header(head: &Value, block: &Value) {
    let Some(fields) = head.as_object() else { panic!("not a header: {head}") };
    for (name, value) in fields {
        assert_eq!(&block[name], value, "{name} differs: {head} / {block}");
    }
}

#[tokio::test]
async fn heads_and_logs_sent_over_the_websocket_are_what_http_answers_across_a_reorg() {
    let server = demo(25.0, 3).await;
    let addr = server.addr();
    let address = "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0";
    let topic = "0x48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f";
    let filter = json!({"address": address, "topics": [topic]});
    let mut plain = ws(&server.url()).await;
    let mut delayed = ws(&format!("{}/?delay_ms=150", server.url())).await;
    let heads = key(&subscribe(&mut plain, 1, "eth_subscribe", json!(["newHeads"])).await);
    let logs = key(&subscribe(&mut plain, 2, "eth_subscribe", json!(["logs", filter])).await);
    let all_logs = key(&subscribe(&mut plain, 3, "eth_subscribe", json!(["logs"])).await);
    let delayed_heads = key(&subscribe(&mut delayed, 1, "eth_subscribe", json!(["newHeads"])).await);
    // 21 blocks hold one reorg: 26 heads hold at least one.
    let (seen, seen_delayed) = tokio::join!(
        collect(&mut plain, |seen| seen.get(&heads).is_some_and(|heads| heads.len() >= 26)
            && seen.get(&logs).is_some_and(|logs| logs.len() >= 3)),
        collect(&mut delayed, |seen| seen.get(&delayed_heads).is_some_and(|heads| heads.len() >= 8))
    );
    let heads = &seen[&heads];
    // The delayed connection saw the same chain.
    let hashes: BTreeSet<String> = heads.iter().map(|head| key(&head["hash"])).collect();
    let shared =
        seen_delayed[&delayed_heads].iter().filter(|head| hashes.contains(&key(&head["hash"]))).count();
    assert!(shared >= 4, "the connections saw different chains");

    // Every head is found by its hash with the same fields; the last one at each height is
    // the block at that number; one replaced by a reorg is found by its hash only.
    let mut last_at: BTreeMap<String, &Value> = BTreeMap::new();
    let mut replaced = Vec::new();
    for head in heads {
        let block = result(addr, "eth_getBlockByHash", json!([head["hash"], false])).await;
        same_header(head, &block);
        if let Some(earlier) = last_at.insert(key(&head["number"]), head) {
            replaced.push(earlier);
        }
    }
    assert!(!replaced.is_empty(), "no reorg in {} heads", heads.len());
    for (number, head) in &last_at {
        let block = result(addr, "eth_getBlockByNumber", json!([number, true])).await;
        same_header(head, &block);
    }
    for orphan in &replaced {
        let canonical = result(addr, "eth_getBlockByNumber", json!([orphan["number"], false])).await;
        assert_ne!(canonical["hash"], orphan["hash"], "the replaced block is still canonical");
        assert_eq!(
            canonical["parentHash"],
            result(addr, "eth_getBlockByNumber", json!([quantity_minus_one(&orphan["number"]), false])).await
                ["hash"]
        );
    }

    // Every log still in the chain is returned by eth_getLogs over its block, by hash and
    // by range with the subscription's filter, and its transaction and receipt exist.
    let canonical: BTreeSet<String> = last_at.values().map(|head| key(&head["hash"])).collect();
    let live: Vec<&Value> = seen[&logs]
        .iter()
        .chain(&seen[&all_logs])
        .filter(|log| log["removed"] == json!(false) && canonical.contains(&key(&log["blockHash"])))
        .collect();
    assert!(live.len() >= 3, "{seen:?}");
    for log in &live {
        let in_block = result(addr, "eth_getLogs", json!([{"blockHash": log["blockHash"]}])).await;
        assert!(in_block.as_array().is_some_and(|found| found.contains(log)), "{log} not in {in_block}");
        let receipt = result(addr, "eth_getTransactionReceipt", json!([log["transactionHash"]])).await;
        assert!(
            receipt["logs"]
                .as_array()
                .is_some_and(|found| found.iter().any(|l| l["logIndex"] == log["logIndex"])),
            "{receipt}"
        );
        let tx = result(addr, "eth_getTransactionByHash", json!([log["transactionHash"]])).await;
        assert_eq!(tx["blockHash"], log["blockHash"]);
    }
    for log in seen[&logs]
        .iter()
        .filter(|log| log["removed"] == json!(false) && canonical.contains(&key(&log["blockHash"])))
    {
        let ranged = result(addr, "eth_getLogs", json!([{"fromBlock": log["blockNumber"], "toBlock": log["blockNumber"], "address": address, "topics": [topic]}])).await;
        assert!(ranged.as_array().is_some_and(|found| found.contains(log)), "{log} not in {ranged}");
    }
    server.shutdown().await;
}

fn quantity_minus_one(number: &Value) -> String {
    let value = number.as_str().and_then(|hex| u64::from_str_radix(hex.trim_start_matches("0x"), 16).ok());
    format!("{:#x}", value.unwrap_or(1) - 1)
}

#[tokio::test]
async fn solana_logs_and_slots_sent_over_the_websocket_are_what_http_answers() {
    let server = demo(25.0, 4).await;
    let addr = server.addr();
    let key_mentioned = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin";
    let mut client = ws(&server.url()).await;
    let slots = key(&subscribe(&mut client, 1, "slotSubscribe", json!([])).await);
    let all =
        key(&subscribe(&mut client, 2, "logsSubscribe", json!(["all", {"commitment": "confirmed"}])).await);
    let mentions = key(&subscribe(
        &mut client,
        3,
        "logsSubscribe",
        json!([{"mentions": [key_mentioned]}, {"commitment": "confirmed"}]),
    )
    .await);
    let seen = collect(&mut client, |seen| {
        seen.get(&slots).is_some_and(|slots| slots.len() >= 45)
            && seen.get(&mentions).is_some_and(|found| !found.is_empty())
    })
    .await;

    // Slots with a block were notified; getBlocks over their span answers them, and leaves
    // out the skipped ones (one in 20), which got no notification.
    // The newest notified slot is the processed tip; getBlocks answers from confirmed ones.
    let mut notified: Vec<u64> = seen[&slots].iter().filter_map(|slot| slot["slot"].as_u64()).collect();
    notified.pop();
    let (first, last) = (notified[0], notified[notified.len() - 1]);
    let blocks = result(addr, "getBlocks", json!([first, last, {"commitment": "confirmed"}])).await;
    let blocks: Vec<u64> =
        blocks.as_array().map(|b| b.iter().filter_map(Value::as_u64).collect()).unwrap_or_default();
    assert!(notified.iter().all(|slot| blocks.contains(slot)), "{notified:?} / {blocks:?}");
    assert!((blocks.len() as u64) < last - first + 1, "no skipped slot between {first} and {last}");
    for parent in seen[&slots].iter().filter_map(|slot| slot["parent"].as_u64()) {
        assert!(parent < first || blocks.contains(&parent), "parent {parent} is not a block");
    }

    // Every transaction the logs subscriptions sent is found by its signature, with the
    // same log lines, in the slot the notification named.
    for notification in seen[&all].iter().take(8).chain(&seen[&mentions]) {
        let signature = &notification["value"]["signature"];
        let tx = result(addr, "getTransaction", json!([signature, {"encoding": "json", "maxSupportedTransactionVersion": 0, "commitment": "confirmed"}])).await;
        assert_eq!(tx["meta"]["logMessages"], notification["value"]["logs"], "{signature}");
        assert_eq!(tx["slot"], notification["context"]["slot"]);
        assert_eq!(tx["transaction"]["signatures"][0], *signature);
        let status =
            result(addr, "getSignatureStatuses", json!([[signature], {"searchTransactionHistory": true}]))
                .await;
        assert_eq!(status["value"][0]["slot"], notification["context"]["slot"], "{status}");
    }
    // The key a subscription mentioned: its transactions, newest first.
    let listed = result(
        addr,
        "getSignaturesForAddress",
        json!([key_mentioned, {"limit": 1000, "commitment": "confirmed"}]),
    )
    .await;
    let listed: Vec<&Value> = listed.as_array().map(|l| l.iter().collect()).unwrap_or_default();
    for notification in &seen[&mentions] {
        assert!(
            listed.iter().any(|entry| entry["signature"] == notification["value"]["signature"]),
            "{listed:?}"
        );
    }
    let order: Vec<u64> = listed.iter().filter_map(|entry| entry["slot"].as_u64()).collect();
    assert!(order.windows(2).all(|pair| pair[0] >= pair[1]), "{order:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn getlogs_max_range_and_http_429_every_are_recovered_by_the_rpc_client() {
    let server = demo(100.0, 5).await;
    let addr = server.addr();
    // Wait for 60 blocks.
    let first = 21_000_000_u64;
    let deadline = Instant::now() + WAIT;
    while result(addr, "eth_blockNumber", json!([]))
        .await
        .as_str()
        .and_then(|hex| u64::from_str_radix(&hex[2..], 16).ok())
        .unwrap_or_default()
        < first + 60
    {
        assert!(Instant::now() < deadline, "the chain did not grow");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (from, to) = (first + 2, first + 57);
    let range = json!([{"fromBlock": format!("{from:#x}"), "toBlock": format!("{to:#x}")}]);
    let whole = result(addr, "eth_getLogs", range).await;
    let whole = whole.as_array().cloned().unwrap_or_default();
    assert!(whole.len() > 20, "{}", whole.len());

    let mut config = RpcConfig::new(format!("http://{addr}/?getlogs_max_range=7&http_429_every=3"));
    config.max_retry_after = Duration::from_secs(1);
    config.max_tries = 3;
    let client = RpcClient::new(config).unwrap_or_else(|err| panic!("client: {err}"));
    let logs = client.get_logs(&json!({}), from, to).await.unwrap_or_else(|err| panic!("get_logs: {err}"));
    assert_eq!(logs, whole, "the split ranges gave other logs");
    let stats = client.stats();
    assert!(stats.retries >= 2, "{stats:?}");
    assert!(stats.requests >= 8 + stats.retries, "{stats:?}");

    // The refusal itself, as BlockPI words it, and the 429 with Retry-After.
    let refused = rpc(addr, "/?getlogs_max_range=7", &json!({"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs", "params": [{"fromBlock": format!("{from:#x}"), "toBlock": format!("{:#x}", from + 7)}]})).await;
    assert_eq!(
        refused["error"],
        json!({"code": -32602, "message": "eth_getLogs is limited to 7 block range"})
    );
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}"#;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let answer = exchange(addr, &post("/?http_429_every=2&k=1", "application/json", body), WAIT).await;
        if answer.starts_with("HTTP/1.1 429") {
            assert!(answer.to_ascii_lowercase().contains("\r\nretry-after: 1\r\n"), "{answer}");
        }
        statuses.push(split(&answer).0.to_owned());
    }
    assert_eq!(
        statuses,
        [
            "HTTP/1.1 200 OK",
            "HTTP/1.1 429 Too Many Requests",
            "HTTP/1.1 200 OK",
            "HTTP/1.1 429 Too Many Requests"
        ]
    );
    let bad = exchange(addr, &post("/?http_429_every=0", "application/json", body), WAIT).await;
    assert_eq!(split(&bad).0, "HTTP/1.1 400 Bad Request", "{bad}");
    server.shutdown().await;
}

// ---- real client libraries -----------------------------------------------------------------

/// A demo server and what `script` of tests/js printed after reading its HTTP side.
async fn node_against_demo(script: &'static str, seed: u64) -> (DemoServer, Value) {
    let server = demo(20.0, seed).await;
    let url = format!("http://{}/", server.addr());
    let seen = tokio::task::spawn_blocking(move || support::node_script(script, &[&url]))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    (server, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ethers_v6_reads_blocks_and_logs_from_the_demo_over_http() {
    let (server, seen) = node_against_demo("ethers_http.cjs", 6).await;
    let addr = server.addr();
    assert_eq!(seen["chainId"], json!("31337"));
    let number = seen["block"]["number"].as_u64().unwrap_or_default();
    let block = result(addr, "eth_getBlockByNumber", json!([format!("{number:#x}"), false])).await;
    assert_eq!(seen["block"]["hash"], block["hash"]);
    assert_eq!(seen["block"]["parentHash"], block["parentHash"]);
    let logs = result(addr, "eth_getLogs", json!([{"blockHash": block["hash"]}])).await;
    let hashes: Vec<&Value> =
        logs.as_array().map(|l| l.iter().map(|log| &log["transactionHash"]).collect()).unwrap_or_default();
    let theirs: Vec<&Value> = seen["logs"]
        .as_array()
        .map(|l| l.iter().map(|log| &log["transactionHash"]).collect())
        .unwrap_or_default();
    assert_eq!(theirs, hashes);
    assert!(!theirs.is_empty());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viem_watch_blocks_gets_every_demo_head_as_its_block() {
    let server = demo(20.0, 8).await;
    let url = format!("ws://{}/", server.addr());
    let numbers = tokio::task::spawn_blocking(move || support::viem_watches_blocks(&url, 4, None))
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let numbers: Vec<u64> =
        numbers.iter().filter_map(|n| u64::from_str_radix(n.trim_start_matches("0x"), 16).ok()).collect();
    assert_eq!(numbers.len(), 4);
    // A reorg (every 20th block) brings its height again.
    assert!(
        numbers.windows(2).all(|pair| pair[1] == pair[0] + 1 || pair[1] == pair[0]),
        "consecutive blocks: {numbers:?}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn solana_web3_reads_slots_blocks_and_transactions_from_the_demo_over_http() {
    let (server, seen) = node_against_demo("solana_http.cjs", 7).await;
    let addr = server.addr();
    let blocks: Vec<u64> =
        seen["blocks"].as_array().map(|b| b.iter().filter_map(Value::as_u64).collect()).unwrap_or_default();
    let (start, end) = (seen["start"].as_u64().unwrap_or_default(), seen["end"].as_u64().unwrap_or_default());
    assert_eq!(
        json!(blocks),
        result(addr, "getBlocks", json!([start, end, {"commitment": "confirmed"}])).await
    );
    assert!((blocks.len() as u64) < end - start + 1, "no skipped slot in {start}..={end}");
    assert!(seen["slot"].as_u64().is_some_and(|slot| slot >= end));
    let signature = seen["signature"].clone();
    let tx = result(addr, "getTransaction", json!([signature, {"encoding": "json", "maxSupportedTransactionVersion": 0, "commitment": "confirmed"}])).await;
    assert_eq!(seen["logMessages"], tx["meta"]["logMessages"]);
    assert_eq!(seen["txSlot"], tx["slot"]);
    server.shutdown().await;
}
