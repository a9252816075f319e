//! Python client libraries nobody here wrote (web3.py v8, solana-py; installed into .peers/py by
//! scripts/install-peers.sh) against the demo server and against replays of captures: a block
//! watcher gets every head's block, and solana-py's `logs_subscribe()` (which always sends
//! `["all", {}]`) is served a recording of `["all"]`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use serde_json::{Value, json};
use support::demo::DemoProcess;
use support::replay::Replay;
use support::{free_port, start_anvil};

const HEADS: &str = r#"{"method":"eth_subscribe","params":["newHeads"]}"#;

fn temp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// Runs `subscope ARGS` and panics with its stderr if it fails.
fn subscope(args: &[&str]) {
    let output = Process::new(env!("CARGO_BIN_EXE_subscope"))
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("subscope: {err}"));
    assert!(output.status.success(), "subscope {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

/// The results of the notifications a capture recorded for subscriptions of `method`.
fn recorded(capture: &Path, method: &str) -> Vec<Value> {
    std::fs::read_to_string(capture)
        .unwrap_or_else(|err| panic!("{err}"))
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|e| e["kind"] == "notification" && e["subscription"]["method"] == method)
        .map(|e| e["frame"]["params"]["result"].clone())
        .collect()
}

/// Every block web3.py fetched equals the head it fetched it for, field by field.
fn assert_blocks_are_their_heads(seen: &Value, count: usize) {
    let (heads, blocks) = (&seen["heads"], &seen["blocks"]);
    assert_eq!(blocks.as_array().map(Vec::len), Some(count), "{seen}");
    assert_eq!(heads, blocks, "each block as the head that named it");
}

#[test]
fn web3_py_watches_the_demo_blocks() {
    let demo = DemoProcess::start(20.0);
    let seen = support::py_script("web3_blocks.py", &[&demo.url, "4"]);
    assert_eq!(seen["chainId"], json!(31337));
    assert_blocks_are_their_heads(&seen, 4);
}

#[test]
fn web3_py_watches_the_blocks_of_a_replayed_anvil_capture() {
    let anvil = start_anvil(free_port(), &["--block-time", "0.5"]);
    let capture = temp("clients-py-anvil.ndjson");
    let endpoint = format!("ws://127.0.0.1:{}", anvil.port);
    subscope(
        &["record", "--endpoint", &endpoint, "--subscribe", HEADS, "--count", "4", "--out"]
            .into_iter()
            .chain([capture.to_str().unwrap_or_default()])
            .collect::<Vec<_>>(),
    );
    drop(anvil);
    let heads: Vec<Value> = recorded(&capture, "eth_subscribe").iter().map(support::head_header).collect();
    assert_eq!(heads.len(), 4);

    let replay = Replay::start(&capture, &[]);
    let seen = support::py_script("web3_blocks.py", &[&replay.url, "3"]);
    assert_eq!(seen["chainId"], json!(31337), "anvil's chain id, implied");
    assert_blocks_are_their_heads(&seen, 3);
    assert_eq!(seen["heads"], json!(heads[..3]), "the recorded heads, in order");
}

#[test]
fn solana_py_logs_subscribe_is_served_a_recording_of_all() {
    let capture = temp("clients-py-logs.ndjson");
    let logs = r#"{"method":"logsSubscribe","params":["all"]}"#;
    let out = capture.to_str().unwrap_or_default();
    subscope(&["record", "--endpoint", "demo", "--subscribe", logs, "--count", "5", "--out", out]);
    let signatures: Vec<Value> = recorded(&capture, "logsSubscribe")
        .iter()
        .map(|result| result["value"]["signature"].clone())
        .collect();
    assert_eq!(signatures.len(), 5);

    let replay = Replay::start(&capture, &["--speed", "4"]);
    let seen = support::py_script("solana_logs.py", &[&replay.url, "4"]);
    assert_eq!(seen["signatures"], json!(signatures[..4]), "the recorded logs, in order");
}
