//! One-off requests through `record --request` and `replay`, and replay matching requests as
//! a node reads them, end to end on loopback: a real anvil recorded, the capture replayed, and
//! a WebSocket client (and plain HTTP) asking it what a client library would ask.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use support::eth::{DEV_ACCOUNT, PING_TOPIC, Pinger, deploy_ping, receipt};
use support::record::{start_record, wait_for};
use support::replay::Replay;
use support::{free_port, http_rpc_text, start_anvil};
use tokio_tungstenite::tungstenite::Message;

fn subscope(args: &[&str]) -> Process {
    let mut command = Process::new(env!("CARGO_BIN_EXE_subscope"));
    command.env_remove("SUBSCOPE_API_KEY").args(args);
    command
}

fn run(command: &mut Process) -> Output {
    command.output().unwrap_or_else(|err| panic!("{err}"))
}

fn temp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// A member of a JSON object as its exact text.
fn member(text: &str, name: &str) -> Option<String> {
    let members: BTreeMap<String, Box<RawValue>> = serde_json::from_str(text).ok()?;
    members.get(name).map(|raw| raw.get().to_owned())
}

/// Sends `request` on a fresh WebSocket to `url`; returns the answer to it as sent, and the
/// `count` notifications that follow (panics if they do not come within 10 s).
async fn ask(url: &str, request: Value, count: usize) -> (String, Vec<Value>) {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap_or_else(|err| panic!("{err}"));
    ws.send(Message::text(request.to_string())).await.unwrap_or_else(|err| panic!("{err}"));
    let (mut answer, mut notifications) = (None, Vec::new());
    while answer.is_none() || notifications.len() < count {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next()).await;
        let Ok(Some(Ok(Message::Text(text)))) = frame else {
            panic!("{request}: {} of {count} notifications, answer {answer:?}", notifications.len())
        };
        let parsed: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
        if parsed.get("id") == request.get("id") {
            answer = Some(text.as_str().to_owned());
        } else {
            notifications.push(parsed);
        }
    }
    (answer.unwrap_or_default(), notifications)
}

#[test]
fn record_takes_one_off_requests_and_replay_answers_them_with_the_recorded_bytes() {
    let anvil = start_anvil(free_port(), &[]);
    let endpoint = format!("ws://127.0.0.1:{}", anvil.port);
    let checksummed = subscope::catalog::eip55_checksum(DEV_ACCOUNT).unwrap_or_default();
    let requests = [
        json!({"method": "eth_getBlockByNumber", "params": ["0x0", false]}),
        json!({"method": "eth_getBalance", "params": [checksummed, "latest"]}),
        json!({"method": "eth_getBlockByHash", "params": ["0x12", false]}), // refused by anvil
    ];

    // A one-off given as a subscription is a usage error that names --request.
    let block = requests[0].to_string();
    let refused = run(&mut subscope(&["record", "--endpoint", &endpoint, "--subscribe", &block]));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("eth_getBlockByNumber is a one-off request") && stderr.contains("--request"),
        "{stderr}"
    );
    let logs = r#"{"method":"logsSubscribe","params":["all"]}"#;
    let refused = run(&mut subscope(&["record", "--endpoint", &endpoint, "--request", logs]));
    assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stderr));

    // With no subscription, record ends by itself once every request is answered.
    let capture = temp("requests-anvil.ndjson");
    let mut command = subscope(&["record", "--endpoint", &endpoint, "--duration", "60", "--out"]);
    command.arg(&capture);
    for request in &requests {
        command.args(["--request", &request.to_string()]);
    }
    let recorded = run(&mut command);
    let stderr = String::from_utf8_lossy(&recorded.stderr);
    assert!(recorded.status.success(), "{stderr}");
    assert!(
        stderr.contains("eth_getBlockByHash on ws://") && stderr.contains("answered with an error"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&capture).unwrap_or_else(|err| panic!("{err}"));
    let lines: Vec<&str> = text.lines().collect();
    let events: Vec<Value> =
        lines.iter().map(|line| serde_json::from_str(line).unwrap_or_default()).collect();
    // Each sent once and answered once, as one-offs: no subscription in the capture.
    let sent = events.iter().filter(|event| event["kind"] == "request").count();
    let answered =
        events.iter().filter(|event| event["kind"] == "response" || event["kind"] == "error").count();
    assert_eq!((sent, answered), (3, 3), "{text}");
    assert!(events.iter().all(|event| event["subscription"].is_null()), "{text}");
    drop(anvil);

    // The replay answers each with what anvil answered, byte for byte, on its WebSocket and
    // over HTTP, and matches params as anvil reads them (an address in any case).
    let recorded_answer = |kind: &str, id: &Value| -> String {
        let line =
            lines.iter().zip(&events).find(|(_, event)| event["kind"] == kind && &event["frame"]["id"] == id);
        let frame = line.and_then(|(line, _)| member(line, "frame")).unwrap_or_default();
        member(&frame, if kind == "error" { "error" } else { "result" }).unwrap_or_default()
    };
    let ids: Vec<Value> = events
        .iter()
        .filter(|event| event["kind"] == "request")
        .map(|event| event["frame"]["id"].clone())
        .collect();
    let served = Replay::start(&capture, &["--speed", "max"]);
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|err| panic!("{err}"));
    let mut lowercase = requests[1].clone();
    lowercase["params"][0] = json!(DEV_ACCOUNT);
    let asked = [
        (&requests[0], "result", &ids[0]),
        (&lowercase, "result", &ids[1]),
        (&requests[2], "error", &ids[2]),
    ];
    for (request, member_name, id) in asked {
        let kind = if member_name == "error" { "error" } else { "response" };
        let expected = recorded_answer(kind, id);
        assert!(expected.len() > 2, "{kind} {id}: {text}");
        let method = request["method"].as_str().unwrap_or_default();
        let body = json!({"jsonrpc": "2.0", "id": 77, "method": method, "params": request["params"]});
        let (answer, _) = runtime.block_on(ask(&served.url, body, 0));
        assert_eq!(member(&answer, member_name), Some(expected.clone()), "{request}: {answer}");
        assert!(!answer.contains("\"result\":1,") && !answer.contains("\"result\":1}"), "{answer}");
        let over_http = http_rpc_text(served.port(), method, request["params"].clone());
        assert_eq!(member(&over_http, member_name), Some(expected), "{request} over HTTP: {over_http}");
    }
}

#[test]
fn a_replayed_anvil_logs_capture_serves_a_lowercase_address_subscription() {
    let anvil = start_anvil(free_port(), &[]);
    let contract = deploy_ping(anvil.port);
    let checksummed = subscope::catalog::eip55_checksum(&contract).unwrap_or_default();
    assert_ne!(checksummed, contract.to_lowercase(), "the address has letters to check");
    let capture = temp("replay-anvil-logs.ndjson");
    // start_record waits for the subscription's answer in the file: not last run's.
    std::fs::remove_file(&capture).ok();
    let filter = json!({"address": checksummed, "topics": [PING_TOPIC]});
    let subscribe = json!({"method": "eth_subscribe", "params": ["logs", filter]});
    let endpoint = format!("ws://127.0.0.1:{}", anvil.port);
    let child = start_record(&endpoint, &[subscribe], &["--count", "3"], &capture);
    let mut pinger = Pinger::new(anvil.port, &contract);
    for _ in 0..3 {
        for tx in pinger.send(1) {
            receipt(anvil.port, &tx); // one block per log, each mined before the next
        }
    }
    wait_for(child, Duration::from_secs(30));
    drop(anvil);
    let text = std::fs::read_to_string(&capture).unwrap_or_else(|err| panic!("{err}"));
    let recorded: Vec<Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["kind"] == "notification")
        .map(|event| event["frame"]["params"]["result"].clone())
        .collect();
    assert_eq!(recorded.len(), 3, "{text}");

    // ethers and viem send the address as given, often lowercase, and may pad topics.
    let served = Replay::start(&capture, &["--speed", "max"]);
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|err| panic!("{err}"));
    let lowercase = json!({"address": contract.to_lowercase(), "topics": [PING_TOPIC.to_uppercase().replace("0X", "0x"), null]});
    let request =
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["logs", lowercase]});
    let (answer, notifications) = runtime.block_on(ask(&served.url, request, 3));
    assert!(member(&answer, "result").is_some_and(|id| id.starts_with("\"0x")), "{answer}");
    let results: Vec<Value> = notifications.iter().map(|frame| frame["params"]["result"].clone()).collect();
    assert_eq!(results, recorded);
}

#[test]
fn a_logs_subscribe_with_an_empty_config_gets_a_recording_of_all() {
    let capture = temp("replay-demo-logs-all.ndjson");
    let recorded = run(subscope(&["record", "--endpoint", "demo", "--count", "3", "--out"])
        .arg(&capture)
        .args(["--subscribe", r#"{"method":"logsSubscribe","params":["all"]}"#]));
    assert!(recorded.status.success(), "{}", String::from_utf8_lossy(&recorded.stderr));
    let served = Replay::start(&capture, &["--speed", "max"]);
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|err| panic!("{err}"));
    // What solana-py always sends, and what a client naming the default commitment sends.
    for params in [json!(["all", {}]), json!(["all", {"commitment": "finalized"}])] {
        let request = json!({"jsonrpc": "2.0", "id": 5, "method": "logsSubscribe", "params": params});
        let (answer, notifications) = runtime.block_on(ask(&served.url, request, 3));
        assert!(member(&answer, "result").is_some_and(|id| id.parse::<u64>().is_ok()), "{params}: {answer}");
        assert!(notifications.iter().all(|frame| frame["method"] == "logsNotification"), "{notifications:?}");
    }
    // A commitment a node reads differently is not the recording.
    let request = json!({"jsonrpc": "2.0", "id": 6, "method": "logsSubscribe", "params": ["all", {"commitment": "processed"}]});
    let (answer, _) = runtime.block_on(ask(&served.url, request, 0));
    assert!(answer.contains("-32602"), "{answer}");
}
