//! `subscope replay` end to end, on loopback: captures made by `subscope record` (from the
//! demo server and from a real anvil) and HAR files served as a live endpoint, checked with a
//! WebSocket client, with `subscope record` itself, and with the real client libraries a
//! dApp's tests use (ethers v6, @solana/web3.js, from .peers/js).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use support::replay::Replay;
use support::{free_port, start_anvil};
use tokio_tungstenite::tungstenite::Message;

const LOGS: &str = r#"{"method":"logsSubscribe","params":["all"]}"#;
const HEADS: &str = r#"{"method":"eth_subscribe","params":["newHeads"]}"#;
const SLOTS: &str = r#"{"method":"slotSubscribe"}"#;
const TRANSACTIONS: &str = r#"{"method":"transactionSubscribe","params":[{"vote":false,"failed":false},{"commitment":"confirmed","encoding":"jsonParsed","transactionDetails":"signatures","maxSupportedTransactionVersion":0}]}"#;

fn subscope() -> Process {
    let mut command = Process::new(env!("CARGO_BIN_EXE_subscope"));
    command.env_remove("SUBSCOPE_API_KEY");
    command
}

fn lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}")))
        .collect()
}

/// Runs `subscope record` to `out` and panics with its stderr if it fails.
fn record(endpoint: &str, subscribe: &[&str], stop: &[&str], out: &Path) {
    let mut command = subscope();
    command.args(["record", "--endpoint", endpoint]);
    for body in subscribe {
        command.args(["--subscribe", body]);
    }
    let output = command.args(stop).arg("--out").arg(out).output().unwrap_or_else(|err| panic!("{err}"));
    assert!(output.status.success(), "record failed: {}", String::from_utf8_lossy(&output.stderr));
}

/// One capture from the demo server (logs, newHeads, slots, Helius transactions over four
/// seconds), recorded once for every test of this file.
fn demo_capture() -> &'static Path {
    static CAPTURE: OnceLock<PathBuf> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("replay-demo.ndjson");
        record("demo", &[LOGS, HEADS, SLOTS, TRANSACTIONS], &["--duration", "4"], &out);
        out
    })
}

/// The notifications of a capture file, as (subscribe method, params, result) in file order.
fn notifications(events: &[Value]) -> Vec<(Value, Value, Value)> {
    events
        .iter()
        .filter(|e| e["kind"] == "notification")
        .map(|e| {
            let sub = &e["subscription"];
            let params = if sub["params"].is_null() { json!([]) } else { sub["params"].clone() };
            (sub["method"].clone(), params, e["frame"]["params"]["result"].clone())
        })
        .collect()
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A JSON-RPC client over one WebSocket.
struct Client {
    ws: Socket,
    next_id: u64,
}

impl Client {
    async fn connect(url: &str) -> Self {
        let (ws, _) =
            tokio_tungstenite::connect_async(url).await.unwrap_or_else(|err| panic!("{url}: {err}"));
        Self { ws, next_id: 1 }
    }

    /// The next frame, within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<Value> {
        loop {
            match tokio::time::timeout(wait, self.ws.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(text.as_str()).ok(),
                Ok(Some(Ok(_))) => {}
                _ => return None,
            }
        }
    }

    /// Sends a request and returns its response (notifications before it are dropped).
    async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.ws.send(Message::text(request.to_string())).await.unwrap_or_else(|err| panic!("{err}"));
        loop {
            let frame =
                self.next(Duration::from_secs(10)).await.unwrap_or_else(|| panic!("no answer to {method}"));
            if frame["id"] == json!(id) {
                return frame;
            }
        }
    }

    /// Collects `count` notifications (with when each arrived), or panics after `wait`.
    async fn notifications(&mut self, count: usize, wait: Duration) -> Vec<(Instant, Value)> {
        let deadline = Instant::now() + wait;
        let mut seen = Vec::new();
        while seen.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(frame) = self.next(left).await else {
                panic!("{} of {count} notifications after {wait:?}", seen.len());
            };
            if frame.get("method").is_some() {
                seen.push((Instant::now(), frame));
            }
        }
        seen
    }
}

/// The recorded notifications of one subscription, in order, with their times.
fn recorded(events: &[Value], method: &str) -> Vec<(u64, Value)> {
    events
        .iter()
        .filter(|e| e["kind"] == "notification" && e["subscription"]["method"] == method)
        .map(|e| (e["time_ms"].as_u64().unwrap_or_default(), e["frame"]["params"]["result"].clone()))
        .collect()
}

#[test]
fn recording_a_replay_gives_the_same_notifications_in_the_same_order() {
    let original = lines(demo_capture());
    let wanted = notifications(&original);
    assert!(wanted.len() >= 10, "{} notifications recorded", wanted.len());
    let replay = Replay::start(demo_capture(), &["--speed", "4"]);
    let again = Path::new(env!("CARGO_TARGET_TMPDIR")).join("replay-again.ndjson");
    let count = wanted.len().to_string();
    record(
        &replay.url,
        &[LOGS, HEADS, SLOTS, TRANSACTIONS],
        &["--count", &count, "--duration", "30"],
        &again,
    );
    let events = lines(&again);
    let got = notifications(&events);
    for body in [LOGS, HEADS, SLOTS, TRANSACTIONS] {
        let body: Value = serde_json::from_str(body).unwrap_or_default();
        let params = if body["params"].is_null() { json!([]) } else { body["params"].clone() };
        let of = |list: &[(Value, Value, Value)]| -> Vec<Value> {
            list.iter()
                .filter(|(m, p, _)| *m == body["method"] && *p == params)
                .map(|(.., r)| r.clone())
                .collect()
        };
        assert_eq!(of(&got), of(&wanted), "{body}: results identical and in order");
    }
    // Each notification carries the id the replay gave; Ethereum's (random) differ from the
    // recorded ones.
    let recorded_ids: Vec<&Value> = original.iter().filter_map(|e| e.get("server_id")).collect();
    for event in events.iter().filter(|e| e["kind"] == "notification") {
        assert_eq!(event["frame"]["params"]["subscription"], event["server_id"], "{event}");
        if event["server_id"].is_string() {
            assert!(!recorded_ids.contains(&&event["server_id"]), "a fresh id: {event}");
        }
    }
}

#[tokio::test]
async fn params_in_another_key_order_match_and_speed_scales_the_spacing() {
    let events = lines(demo_capture());
    let wanted = recorded(&events, "transactionSubscribe");
    assert!(wanted.len() >= 6, "{} transactions recorded", wanted.len());
    let span_ms = wanted.last().map_or(0, |l| l.0) - wanted.first().map_or(0, |f| f.0);
    // The same params, keys in another order and with whitespace.
    let params = json!([
        {"failed": false, "vote": false},
        {"maxSupportedTransactionVersion": 0, "transactionDetails": "signatures", "encoding": "jsonParsed", "commitment": "confirmed"}
    ]);
    for (speed, expected_ms) in [("2", span_ms / 2), ("max", 0)] {
        let replay = Replay::start(demo_capture(), &["--speed", speed]);
        let mut client = Client::connect(&replay.url).await;
        let reply = client.call("transactionSubscribe", params.clone()).await;
        let id = reply["result"].clone();
        assert!(id.is_u64(), "{reply}");
        let got = client.notifications(wanted.len(), Duration::from_secs(30)).await;
        let results: Vec<Value> = got.iter().map(|(_, f)| f["params"]["result"].clone()).collect();
        let expected: Vec<Value> = wanted.iter().map(|(_, r)| r.clone()).collect();
        assert_eq!(results, expected, "in recorded order");
        assert!(got.iter().all(|(_, f)| f["params"]["subscription"] == id), "rewritten to {id}");
        let took =
            got.last().map(|l| l.0).zip(got.first().map(|f| f.0)).map(|(l, f)| l - f).unwrap_or_default();
        let took_ms = took.as_millis() as u64;
        eprintln!(
            "--speed {speed}: recorded span {span_ms} ms, replayed in {took_ms} ms (expected ~{expected_ms})"
        );
        if speed == "max" {
            assert!(took < Duration::from_secs(1), "max sends at once: {took:?}");
        } else {
            assert!(
                took_ms.abs_diff(expected_ms) <= expected_ms / 5 + 150,
                "{took_ms} ms vs {expected_ms} ms"
            );
        }
    }
}

#[tokio::test]
async fn unmatched_subscribes_list_the_capture_and_one_offs_are_answered() {
    let replay = Replay::start(demo_capture(), &["--chain-id", "10"]);
    let mut client = Client::connect(&replay.url).await;
    let reply = client.call("eth_subscribe", json!(["logs", {"address": "0x01"}])).await;
    let message = reply["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(reply["error"]["code"], json!(-32602), "{reply}");
    for held in [
        r#"eth_subscribe ["newHeads"]"#,
        r#"logsSubscribe ["all"]"#,
        "slotSubscribe (",
        "transactionSubscribe",
    ] {
        assert!(message.contains(held), "{held} missing: {message}");
    }
    let chain = client.call("eth_chainId", json!([])).await;
    assert_eq!(chain["result"], json!("0xa"), "--chain-id answers what was not recorded");
    // A method nodes have, not recorded: said so (-32000), not "Method not found".
    let unrecorded = client.call("getBalance", json!(["11111111111111111111111111111111"])).await;
    assert_eq!(unrecorded["error"]["code"], json!(-32000), "{unrecorded}");
    let unknown = client.call("getNothing", json!([])).await;
    assert_eq!(unknown["error"]["code"], json!(-32601), "{unknown}");
    let version = client.call("getVersion", json!([])).await;
    assert!(version["result"]["solana-core"].is_string(), "{version}");
    let sub = client.call("slotSubscribe", json!([])).await;
    let id = sub["result"].clone();
    client.notifications(1, Duration::from_secs(5)).await;
    let done = client.call("slotUnsubscribe", json!([id])).await;
    assert_eq!(done["result"], json!(true));
    assert!(client.next(Duration::from_millis(1500)).await.is_none(), "nothing after unsubscribe");
}

#[tokio::test]
async fn two_clients_at_once_each_have_their_own_timeline() {
    let wanted = recorded(&lines(demo_capture()), "slotSubscribe");
    let replay = Replay::start(demo_capture(), &["--speed", "2"]);
    let mut first = Client::connect(&replay.url).await;
    let first_id = first.call("slotSubscribe", json!([])).await["result"].clone();
    let early = first.notifications(2, Duration::from_secs(10)).await;
    let mut second = Client::connect(&replay.url).await;
    let second_id = second.call("slotSubscribe", Value::Null).await["result"].clone();
    assert_ne!(first_id, second_id);
    let (a, b) = tokio::join!(
        first.notifications(wanted.len() - 2, Duration::from_secs(20)),
        second.notifications(wanted.len(), Duration::from_secs(20))
    );
    let slots = |list: &[(Instant, Value)]| -> Vec<Value> {
        list.iter().map(|(_, f)| f["params"]["result"]["slot"].clone()).collect()
    };
    let expected: Vec<Value> = wanted.iter().map(|(_, r)| r["slot"].clone()).collect();
    assert_eq!([slots(&early), slots(&a)].concat(), expected);
    assert_eq!(slots(&b), expected, "the second client starts from the beginning");
    assert!(b.iter().all(|(_, f)| f["params"]["subscription"] == second_id));
}

#[tokio::test]
async fn loop_starts_over_at_the_end() {
    let wanted = recorded(&lines(demo_capture()), "eth_subscribe");
    let replay = Replay::start(demo_capture(), &["--speed", "20", "--loop"]);
    let mut client = Client::connect(&replay.url).await;
    client.call("eth_subscribe", json!(["newHeads"])).await;
    let got = client.notifications(wanted.len() * 2 + 1, Duration::from_secs(20)).await;
    let numbers: Vec<Value> = got.iter().map(|(_, f)| f["params"]["result"]["number"].clone()).collect();
    let once: Vec<Value> = wanted.iter().map(|(_, r)| r["number"].clone()).collect();
    assert_eq!(numbers[..once.len()], once[..]);
    assert_eq!(numbers[once.len()..once.len() * 2], once[..], "the second round repeats the first");
}

#[test]
fn bad_values_exit_2_bad_files_exit_1_and_ctrl_c_stops_cleanly() {
    for args in [&["--speed", "0"][..], &["--speed", "fast"], &["--chain-id", "0"], &["--port", "70000"]] {
        let output = subscope().arg("replay").arg(demo_capture()).args(["--port", "0"]).args(args).output();
        let output = output.unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    }
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let bad = dir.path().join("bad.har");
    std::fs::write(
        &bad,
        r#"{"log":{"entries":[{"_resourceType":"websocket","_webSocketMessages":[{"type":"send"}]}]}}"#,
    )
    .unwrap_or_else(|err| panic!("{err}"));
    let output = subscope()
        .arg("replay")
        .arg(&bad)
        .args(["--port", "0"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("log.entries[0]._webSocketMessages[0]") && stderr.contains("time"), "{stderr}");

    let replay = Replay::start(demo_capture(), &[]);
    let interrupted = Process::new("kill").args(["-INT", &replay.child.id().to_string()]).status();
    assert!(interrupted.is_ok_and(|status| status.success()));
    let mut replay = replay;
    let status =
        support::poll("replay to stop", Duration::from_secs(10), || replay.child.try_wait().ok().flatten());
    assert!(status.success(), "Ctrl-C is a clean stop: {status:?}");
}

#[tokio::test]
async fn a_har_file_replays_like_a_capture() {
    let har = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/firefox-websockets.har");
    let replay = Replay::start(&har, &["--speed", "max"]);
    let mut client = Client::connect(&replay.url).await;
    assert_eq!(client.call("eth_chainId", json!([])).await["result"], json!("0x1"), "recorded answer");
    assert_eq!(client.call("eth_blockNumber", json!([])).await["result"], json!("0x144ffff"));
    let filter = json!({"topics": ["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"], "address": "0xdac17f958d2ee523a2206206994597c13d831ec7"});
    let id = client.call("eth_subscribe", json!(["logs", filter])).await["result"].clone();
    assert!(id.as_str().is_some_and(|id| id.starts_with("0x")), "{id}");
    let got = client.notifications(4, Duration::from_secs(5)).await;
    let indexes: Vec<Value> = got.iter().map(|(_, f)| f["params"]["result"]["logIndex"].clone()).collect();
    assert_eq!(indexes, [json!("0x0"), json!("0x1"), json!("0x2"), json!("0x3")]);
    assert!(got.iter().all(|(_, f)| f["params"]["subscription"] == id));
}

/// A demo capture with newHeads, every Ethereum log and slots, recorded once.
fn chain_capture() -> &'static Path {
    static CAPTURE: OnceLock<PathBuf> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("replay-chain.ndjson");
        let logs = r#"{"method":"eth_subscribe","params":["logs"]}"#;
        record("demo", &[HEADS, logs, SLOTS], &["--duration", "4"], &out);
        out
    })
}

/// The HTTP port of a replay's WebSocket URL.
fn http_port(url: &str) -> u16 {
    url.rsplit(':').next().and_then(|port| port.trim_end_matches('/').parse().ok()).unwrap_or_default()
}

#[test]
fn a_replay_answers_http_from_what_it_recorded() {
    let events = lines(chain_capture());
    let results = |params: Value| -> Vec<Value> {
        notifications(&events)
            .into_iter()
            .filter(|(_, p, _)| *p == params)
            .map(|(_, _, result)| result)
            .collect()
    };
    let heads = results(json!(["newHeads"]));
    let logs: Vec<Value> =
        results(json!(["logs"])).into_iter().filter(|log| log["removed"] == json!(false)).collect();
    let slots: Vec<u64> = results(json!([])).iter().filter_map(|slot| slot["slot"].as_u64()).collect();
    assert!(heads.len() >= 2 && !logs.is_empty() && slots.len() >= 4, "{heads:?} {logs:?} {slots:?}");
    let newest = heads.last().cloned().unwrap_or_default();
    let replay = Replay::start(chain_capture(), &[]);
    let port = http_port(&replay.url);
    let ask = |method: &str, params: Value| support::http_rpc(port, method, params);

    assert_eq!(ask("eth_blockNumber", json!([]))["result"], newest["number"], "the newest recorded head");
    let block = ask("eth_getBlockByNumber", json!([newest["number"], false]))["result"].clone();
    for (name, value) in newest.as_object().into_iter().flatten() {
        assert_eq!(&block[name], value, "{name}");
    }
    // The transactions are those the capture saw logs of in that block.
    let mut seen: Vec<&Value> = logs
        .iter()
        .filter(|log| log["blockHash"] == newest["hash"])
        .map(|log| &log["transactionHash"])
        .collect();
    seen.dedup();
    assert_eq!(block["transactions"].as_array().map(|t| t.iter().collect::<Vec<_>>()), Some(seen));
    let by_hash = ask("eth_getBlockByHash", json!([newest["hash"], false]));
    assert_eq!(by_hash["result"]["number"], newest["number"]);
    let whole = ask("eth_getBlockByNumber", json!([newest["number"], true]));
    assert_eq!(whole["error"]["code"], json!(-32000), "{whole}");
    assert!(
        whole["error"]["message"].as_str().is_some_and(|m| m.contains("transactions were not recorded")),
        "{whole}"
    );

    // Logs by range are the recorded ones still in the chain; outside it, or for what no
    // recorded subscription covers, the answer says what the replay holds.
    let (first, last) = (&logs[0]["blockNumber"], &logs[logs.len() - 1]["blockNumber"]);
    let ranged = ask("eth_getLogs", json!([{"fromBlock": first, "toBlock": last}]))["result"].clone();
    for log in logs.iter().filter(|log| {
        heads
            .iter()
            .rev()
            .find(|head| head["number"] == log["blockNumber"])
            .is_none_or(|head| head["hash"] == log["blockHash"])
    }) {
        assert!(ranged.as_array().is_some_and(|found| found.contains(log)), "{log} not in {ranged}");
    }
    let address = ask(
        "eth_getLogs",
        json!([{"fromBlock": first, "toBlock": last, "address": "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0"}]),
    );
    assert!(
        address["result"].as_array().is_some_and(|found| found
            .iter()
            .all(|log| log["address"] == "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0")),
        "{address}"
    );
    let beyond = ask("eth_getLogs", json!([{"fromBlock": "0x1", "toBlock": last}]));
    assert_eq!(beyond["error"]["code"], json!(-32000), "{beyond}");

    assert_eq!(ask("getSlot", json!([]))["result"], json!(slots.iter().max()));
    let (low, high) = (slots[0], slots[slots.len() - 1]);
    let mut sorted = slots.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(ask("getBlocks", json!([low, high]))["result"], json!(sorted));
    let unrecorded = ask("eth_getTransactionByHash", json!([logs[0]["transactionHash"]]));
    assert_eq!(unrecorded["error"]["code"], json!(-32000), "{unrecorded}");
    let subscribe = ask("eth_subscribe", json!(["newHeads"]));
    assert_eq!(subscribe["error"], json!({"code": -32601, "message": "notifications not supported"}));

    // ethers v6 reads a recorded block and its logs through JsonRpcProvider.
    let number =
        u64::from_str_radix(newest["number"].as_str().unwrap_or_default().trim_start_matches("0x"), 16)
            .unwrap_or_default();
    let seen =
        support::node_script("ethers_http.cjs", &[&format!("http://127.0.0.1:{port}/"), &number.to_string()]);
    assert_eq!(seen["block"]["hash"], newest["hash"]);
    assert_eq!(
        seen["logs"].as_array().map(Vec::len),
        Some(logs.iter().filter(|log| log["blockHash"] == newest["hash"]).count())
    );
}

// ---- real client libraries -----------------------------------------------------------------

/// Runs a script of tests/js against `url`, waiting for `count` items.
fn node(script: &str, url: &str, count: usize) -> Value {
    support::node_script(script, &[url, &count.to_string()])
}

#[test]
fn ethers_v6_follows_the_blocks_of_a_replayed_anvil_capture() {
    let anvil = start_anvil(free_port(), &["--block-time", "0.5"]);
    let capture = Path::new(env!("CARGO_TARGET_TMPDIR")).join("replay-anvil.ndjson");
    record(&format!("ws://127.0.0.1:{}", anvil.port), &[HEADS], &["--count", "4"], &capture);
    drop(anvil);
    let heads: Vec<u64> = recorded(&lines(&capture), "eth_subscribe")
        .iter()
        .filter_map(|(_, head)| {
            u64::from_str_radix(head["number"].as_str()?.trim_start_matches("0x"), 16).ok()
        })
        .collect();
    assert_eq!(heads.len(), 4);

    let replay = Replay::start(&capture, &[]);
    let seen = node("ethers_blocks.cjs", &replay.url, 3);
    assert_eq!(seen["chainId"], json!("31337"), "anvil's chain id, implied");
    assert_eq!(seen["blocks"], json!(heads[..3]), "the recorded heads, in order");

    // viem's watchBlocks fetches each head's block: the replay answers from the recorded heads.
    let recorded_heads: Vec<Value> = recorded(&lines(&capture), "eth_subscribe")
        .iter()
        .map(|(_, head)| support::head_header(head))
        .collect();
    let watched = support::viem_watches_blocks(&replay.url, 3, Some(&recorded_heads));
    let numbers: Vec<String> = heads[..3].iter().map(|number| format!("{number:#x}")).collect();
    assert_eq!(watched, numbers, "the recorded heads, in order");

    // The same loop as from the demo: a recording of the replay holds the same heads.
    let again = Path::new(env!("CARGO_TARGET_TMPDIR")).join("replay-anvil-again.ndjson");
    record(&replay.url, &[HEADS], &["--count", "4"], &again);
    let results = |path: &Path| -> Vec<Value> {
        recorded(&lines(path), "eth_subscribe").into_iter().map(|r| r.1).collect()
    };
    assert_eq!(results(&again), results(&capture));
}

#[test]
fn solana_web3_follows_the_slots_of_a_replayed_record_capture() {
    let wanted: Vec<Value> =
        recorded(&lines(demo_capture()), "slotSubscribe").iter().map(|(_, r)| r["slot"].clone()).collect();
    let replay = Replay::start(demo_capture(), &["--speed", "2"]);
    let seen = node("solana_slots.cjs", &replay.url, 4);
    assert_eq!(seen["slots"], json!(wanted[..4]));
}

#[test]
fn solana_web3_follows_the_slots_of_a_replayed_validator_capture() {
    let port = support::free_port_and_next();
    let validator = support::start_validator(port, free_port());
    let capture = Path::new(env!("CARGO_TARGET_TMPDIR")).join("replay-validator.ndjson");
    record(&format!("ws://127.0.0.1:{}", port + 1), &[SLOTS], &["--count", "5"], &capture);
    drop(validator);
    let wanted: Vec<Value> =
        recorded(&lines(&capture), "slotSubscribe").iter().map(|(_, r)| r["slot"].clone()).collect();
    assert_eq!(wanted.len(), 5);
    let replay = Replay::start(&capture, &["--speed", "4"]);
    let seen = node("solana_slots.cjs", &replay.url, 4);
    assert_eq!(seen["slots"], json!(wanted[..4]), "the validator's slots, in order");
}

#[test]
fn ethers_v6_follows_a_replayed_chrome_har() {
    let har = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chrome-websockets.har");
    let replay = Replay::start(&har, &["--speed", "10"]);
    let seen = node("ethers_blocks.cjs", &replay.url, 3);
    assert_eq!(seen["chainId"], json!("1"), "the recorded eth_chainId");
    assert_eq!(seen["blocks"], json!([21_300_000, 21_300_001, 21_300_002]));
}

#[test]
fn the_library_serves_an_in_memory_capture_started_from_outside_the_runtime() {
    use subscope::export::{ImportOptions, Progress, import_file};
    use subscope::replay::{Replay, ReplayOptions, ReplayServer, Speed};

    // As the window would: a capture already in memory, a runtime handle, no async caller.
    let har = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chrome-websockets.har");
    let imported = import_file(&har, &Progress::default(), ImportOptions::default());
    let replay = std::sync::Arc::new(Replay::from_capture(&imported.events, &imported.context));
    assert_eq!(replay.subscription_count(), 3);
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|err| panic!("{err}"));
    let options = ReplayOptions { speed: Speed::Max, ..ReplayOptions::default() };
    let server = ReplayServer::spawn(runtime.handle(), replay, options).unwrap_or_else(|err| panic!("{err}"));
    assert_ne!(server.port(), 0);
    let url = server.url();
    let slots = runtime.block_on(async {
        let mut client = Client::connect(&url).await;
        client.call("slotSubscribe", json!([])).await;
        client.notifications(3, Duration::from_secs(5)).await
    });
    let slots: Vec<Value> = slots.iter().map(|(_, f)| f["params"]["result"]["slot"].clone()).collect();
    assert_eq!(slots, [json!(300_000_001), json!(300_000_002), json!(300_000_003)]);
    runtime.block_on(server.shutdown());
    let refused = runtime.block_on(tokio_tungstenite::connect_async(url));
    assert!(refused.is_err(), "nothing listens after shutdown");
}

/// The frames a capture file holds, each exactly as written (`frame`, or `frame_text`), with
/// whether the event is marked redacted; subscope's own notes apart.
fn frames_as_written(path: &Path) -> (Vec<String>, Vec<String>) {
    #[derive(serde::Deserialize)]
    struct Line<'a> {
        direction: &'a str,
        #[serde(borrow)]
        frame: Option<&'a serde_json::value::RawValue>,
        frame_text: Option<String>,
        #[serde(default)]
        redacted: bool,
    }
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let (mut frames, mut notes) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let line: Line = serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}"));
        assert!(!line.redacted, "nothing to mask, yet marked: {}", path.display());
        let frame =
            line.frame.map_or_else(|| line.frame_text.unwrap_or_default(), |raw| raw.get().to_owned());
        if line.direction == "meta" { notes.push(frame) } else { frames.push(frame) }
    }
    (frames, notes)
}

/// A short or plain query value (`?foo=0`, `?x=1`, a number the stream holds) is masked where
/// the URL is shown, but never in the frames: a capture is evidence. Recording the same replay
/// with such a query gives byte for byte the frames of a recording without one.
#[test]
fn a_plain_query_value_changes_no_frame_of_a_capture() {
    let slot = lines(demo_capture())
        .iter()
        .find_map(|e| e["frame"]["params"]["result"]["slot"].as_u64())
        .unwrap_or_else(|| panic!("the demo capture holds slots"));
    // A replay of its own for each run, so each is given the same subscription ids.
    let record_with = |query: &str| {
        let replay = Replay::start(demo_capture(), &["--speed", "8"]);
        let base = replay.url.trim_end_matches('/');
        let name: String = query.chars().filter(char::is_ascii_alphanumeric).collect();
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("query-{name}.ndjson"));
        record(&format!("{base}/{query}"), &[SLOTS], &["--count", "6", "--duration", "30"], &out);
        let (frames, notes) = frames_as_written(&out);
        let connected = notes.iter().find(|note| note.contains("connected to")).cloned().unwrap_or_default();
        (frames, connected.replace(base, "ws://replay"))
    };
    let (plain, _) = record_with("");
    assert!(plain.len() >= 8, "{plain:?}");
    for query in
        ["?foo=0".to_owned(), "?x=1".to_owned(), format!("?r={slot}"), "?v=2.0&id=jsonrpc".to_owned()]
    {
        let (frames, connected) = record_with(&query);
        assert_eq!(frames, plain, "{query}: the frames are as the server sent them");
        // The URL is still shown masked, and nothing else in the note is.
        let masked = query
            .split('&')
            .map(|pair| pair.split_once('=').map_or(pair.to_owned(), |(name, _)| format!("{name}=***")));
        let expected = format!("connected to ws://replay/{}", masked.collect::<Vec<_>>().join("&"))
            .replace("v=***", "v=2.0");
        assert!(connected.contains(&expected), "{query}: {connected}");
    }
}
