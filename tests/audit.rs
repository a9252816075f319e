//! `subscope audit` end to end: captures recorded by `subscope record` from a real anvil and a
//! real solana-test-validator (127.0.0.1), audited untouched, with lines cut or repeated, and
//! after a reorg; and the exit codes and redaction when the chain cannot be asked.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use support::eth::{PING_TOPIC, deploy_ping, ping, receipt};
use support::record::{interrupt, start_record};
use support::{free_port, free_port_and_next, http_rpc, poll, start_anvil, start_validator};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;

const SECRET: &str = "k3yAUDITs3cr3t0123456789";

fn subscope() -> Process {
    let mut command = Process::new(env!("CARGO_BIN_EXE_subscope"));
    command.env_remove("SUBSCOPE_API_KEY");
    command
}

/// What `audit` printed and its exit code; `json` is stdout parsed when it is JSON.
struct Audited {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    json: Value,
}

fn run_audit(command: &mut Process) -> Audited {
    let Output { status, stdout, stderr } = command.output().unwrap_or_else(|err| panic!("{err}"));
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    Audited { code: status.code(), stdout, stderr: String::from_utf8_lossy(&stderr).into_owned(), json }
}

fn audit(file: &Path, args: &[&str]) -> Audited {
    run_audit(subscope().arg("audit").arg(file).arg("--json").args(args))
}

/// The capture's lines with each parsed.
fn lines(path: &Path) -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    text.lines().map(|line| (line.to_owned(), serde_json::from_str(line).unwrap_or(Value::Null))).collect()
}

fn write_lines(path: &Path, lines: &[&str]) {
    std::fs::write(path, lines.iter().map(|line| format!("{line}\n")).collect::<String>())
        .unwrap_or_else(|err| panic!("{err}"));
}

/// A notification's result.
fn result(event: &Value) -> Option<&Value> {
    (event["kind"] == "notification").then(|| &event["frame"]["params"]["result"])
}

fn hex(value: &Value) -> Option<u64> {
    u64::from_str_radix(value.as_str()?.strip_prefix("0x")?, 16).ok()
}

/// A head's or a log's block number.
fn block_of(event: &Value) -> Option<u64> {
    let result = result(event)?;
    hex(&result["number"]).or_else(|| hex(&result["blockNumber"]))
}

/// A recorded anvil capture: heads and the PING contract's logs.
struct AnvilCapture {
    anvil: support::Node,
    dir: tempfile::TempDir,
    file: PathBuf,
    /// The blocks of the PING transactions, in order.
    ping_blocks: Vec<u64>,
}

/// anvil mining a block per transaction; `record` takes newHeads and the contract's Ping logs
/// (address and topic) while `pings` transactions emit one each, then 3 empty blocks.
fn anvil_capture(pings: u64) -> AnvilCapture {
    let anvil = start_anvil(free_port(), &[]);
    let port = anvil.port;
    let contract = deploy_ping(port);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let file = dir.path().join("anvil.ndjson");
    let subscriptions = [
        json!({"method": "eth_subscribe", "params": ["newHeads"]}),
        json!({"method": "eth_subscribe", "params": ["logs", {"address": contract, "topics": [PING_TOPIC]}]}),
    ];
    let record =
        start_record(&format!("ws://127.0.0.1:{port}"), &subscriptions, &["--duration", "10m"], &file);
    // Block timestamps count whole seconds; the blocks to come are made in a later second than
    // the subscribe answer, as on a chain that does not mine many blocks a second.
    http_rpc(port, "evm_increaseTime", json!([2]));
    let mut ping_blocks = Vec::new();
    for n in 1..=pings {
        let receipt = receipt(port, &ping(port, &contract, n));
        ping_blocks.push(hex(&receipt["blockNumber"]).unwrap_or_else(|| panic!("{receipt}")));
    }
    for _ in 0..3 {
        http_rpc(port, "evm_mine", json!([]));
    }
    let head = hex(&http_rpc(port, "eth_blockNumber", json!([]))["result"]).unwrap_or_default();
    poll("the newest head in the capture", Duration::from_secs(20), || {
        lines(&file)
            .iter()
            .any(|(_, event)| result(event).and_then(|r| hex(&r["number"])) == Some(head))
            .then_some(())
    });
    interrupt(record);
    AnvilCapture { anvil, dir, file, ping_blocks }
}

#[test]
fn an_untouched_anvil_capture_misses_nothing_and_a_repeated_line_is_a_duplicate() {
    let capture = anvil_capture(4);
    let audited = audit(&capture.file, &[]);
    assert_eq!(audited.code, Some(0), "{}\n{}", audited.stdout, audited.stderr);
    let [heads, logs] = [&audited.json["subscriptions"][0], &audited.json["subscriptions"][1]];
    assert_eq!(
        (heads["status"].as_str(), logs["status"].as_str()),
        (Some("checked"), Some("checked")),
        "{}",
        audited.stdout
    );
    // Heads from the first ping's block to the third empty block after the last.
    let first = capture.ping_blocks[0];
    let last = capture.ping_blocks[3] + 3;
    assert_eq!((heads["span"]["first"].as_u64(), heads["span"]["last"].as_u64()), (Some(first), Some(last)));
    assert_eq!(heads["expected"].as_u64(), Some(last - first + 1));
    assert_eq!(heads["delivered"], heads["expected"]);
    assert_eq!(logs["expected"], 4);
    assert_eq!(logs["delivered"], 4);
    // The logs' span comes from the heads received while it was active, not the logs' blocks.
    assert_eq!(logs["span"]["last"].as_u64(), Some(last), "{}", logs["span"]);
    for sub in [heads, logs] {
        for count in ["missing", "extra", "reorged"] {
            assert_eq!(sub[count], json!([]), "{count}: {sub}");
        }
        assert_eq!((sub["duplicates"].as_u64(), sub["out_of_order"].as_u64()), (Some(0), Some(0)));
    }

    // One head's line twice: a duplicate, nothing missing.
    let lines = lines(&capture.file);
    let raw: Vec<&str> = lines.iter().map(|(line, _)| line.as_str()).collect();
    let head_line = lines.iter().find(|(_, event)| result(event).is_some_and(|r| r["number"].is_string()));
    let (repeated, _) = head_line.unwrap_or_else(|| panic!("no head in the capture"));
    let doubled = capture.dir.path().join("doubled.ndjson");
    write_lines(&doubled, &[raw.as_slice(), &[repeated.as_str()]].concat());
    let audited = audit(&doubled, &[]);
    assert_eq!(audited.code, Some(0), "{}", audited.stdout);
    let heads = &audited.json["subscriptions"][0];
    assert_eq!((heads["duplicates"].as_u64(), heads["missing"].as_array().map(Vec::len)), (Some(1), Some(0)));
    assert_eq!(heads["delivered"].as_u64(), Some(last - first + 2));

    // Two heads' lines swapped: one out of order, nothing missing.
    let heads_at: Vec<usize> = (0..lines.len())
        .filter(|at| result(&lines[*at].1).is_some_and(|r| r["number"].is_string()))
        .collect();
    let mut swapped = raw.clone();
    swapped.swap(heads_at[1], heads_at[2]);
    let swapped_file = capture.dir.path().join("swapped.ndjson");
    write_lines(&swapped_file, &swapped);
    let audited = audit(&swapped_file, &[]);
    assert_eq!(audited.code, Some(0), "{}", audited.stdout);
    let heads = &audited.json["subscriptions"][0];
    assert_eq!((heads["out_of_order"].as_u64(), heads["duplicates"].as_u64()), (Some(1), Some(0)), "{heads}");
}

#[test]
fn blocks_cut_from_an_anvil_capture_are_listed_missing_with_hash_and_log_index() {
    let capture = anvil_capture(5);
    let cut: BTreeSet<u64> = [capture.ping_blocks[1], capture.ping_blocks[3]].into();
    let lines = lines(&capture.file);
    let (mut kept, mut removed_heads, mut removed_logs) = (Vec::new(), Vec::new(), Vec::new());
    for (line, event) in &lines {
        match block_of(event).filter(|block| cut.contains(block)) {
            Some(block) => {
                let result = &event["frame"]["params"]["result"];
                if result["logIndex"].is_string() {
                    removed_logs.push(json!({"block": block, "hash": result["blockHash"],
                        "transaction": result["transactionHash"], "log_index": hex(&result["logIndex"])}));
                } else {
                    removed_heads.push(json!({"block": block, "hash": result["hash"]}));
                }
            }
            None => kept.push(line.as_str()),
        }
    }
    assert_eq!((removed_heads.len(), removed_logs.len()), (2, 2), "each cut block had a head and a log");
    let file = capture.dir.path().join("cut.ndjson");
    write_lines(&file, &kept);

    let audited = audit(&file, &[]);
    assert_eq!(audited.code, Some(1), "{}\n{}", audited.stdout, audited.stderr);
    let [heads, logs] = [&audited.json["subscriptions"][0], &audited.json["subscriptions"][1]];
    assert_eq!(heads["missing"], json!(removed_heads), "{}", audited.stdout);
    assert_eq!(logs["missing"], json!(removed_logs), "{}", audited.stdout);
    assert_eq!(logs["expected"], 5);
    assert_eq!(logs["delivered"], 3);
    assert_eq!(audited.json["missing"], 4);

    // The text lists the same, one item a line.
    let text = run_audit(subscope().arg("audit").arg(&file));
    assert_eq!(text.code, Some(1));
    for head in &removed_heads {
        let line = format!("      block {}  {}", head["block"], head["hash"].as_str().unwrap_or_default());
        assert!(text.stdout.contains(&line), "{line} in\n{}", text.stdout);
    }
    for log in &removed_logs {
        let transaction = log["transaction"].as_str().unwrap_or_default();
        let line = format!("      block {}  tx {transaction}  log 0", log["block"]);
        assert!(text.stdout.contains(&line), "{line} in\n{}", text.stdout);
    }
    assert!(text.stdout.contains("  missing             2\n"), "{}", text.stdout);
}

#[test]
fn without_heads_a_logs_span_comes_from_block_timestamps_and_finds_a_missing_last_log() {
    let capture = anvil_capture(3);
    let lines = lines(&capture.file);
    let last_ping = capture.ping_blocks[2];
    let mut kept: Vec<String> = lines
        .iter()
        .filter(|(_, event)| event["subscription"]["params"][0] != "newHeads")
        .filter(|(_, event)| block_of(event) != Some(last_ping))
        .map(|(line, _)| line.clone())
        .collect();
    // The recording went on for a minute after the last log: its end is the last event.
    let (_, last) = lines.last().unwrap_or_else(|| panic!("an empty capture"));
    let mut end = last.clone();
    end["time_ms"] = json!(last["time_ms"].as_u64().unwrap_or_default() + 60_000);
    kept.push(end.to_string());
    let file = capture.dir.path().join("logs-only.ndjson");
    write_lines(&file, &kept.iter().map(String::as_str).collect::<Vec<_>>());

    let audited = audit(&file, &[]);
    assert_eq!(audited.code, Some(1), "{}\n{}", audited.stdout, audited.stderr);
    let logs = &audited.json["subscriptions"][0];
    assert!(logs["span"]["basis"].as_str().is_some_and(|basis| basis.contains("timestamps")), "{logs}");
    let missing: Vec<u64> =
        logs["missing"].as_array().into_iter().flatten().filter_map(|item| item["block"].as_u64()).collect();
    assert_eq!(missing, [last_ping], "the last log, past every delivered one, is found: {logs}");
    assert_eq!((logs["expected"].as_u64(), logs["delivered"].as_u64()), (Some(3), Some(2)));
}

#[test]
fn a_reorg_after_recording_reports_the_orphaned_branch_as_reorged() {
    let capture = anvil_capture(2);
    let port = capture.anvil.port;
    let delivered: Vec<(u64, String)> = lines(&capture.file)
        .iter()
        .filter_map(|(_, event)| {
            let result = result(event)?;
            Some((hex(&result["number"])?, result["hash"].as_str()?.to_owned()))
        })
        .collect();
    // The last ping's block and the three empty ones after it go.
    let head = hex(&http_rpc(port, "eth_blockNumber", json!([]))["result"]).unwrap_or_default();
    let answer = http_rpc(port, "anvil_reorg", json!([4, []]));
    assert!(answer.get("error").is_none(), "{answer}");
    let after = hex(&http_rpc(port, "eth_blockNumber", json!([]))["result"]).unwrap_or_default();
    assert!(after >= head, "the new branch is as long: {after} < {head}");

    let audited = audit(&capture.file, &[]);
    assert_eq!(audited.code, Some(1), "the new branch's blocks were never delivered: {}", audited.stdout);
    let heads = &audited.json["subscriptions"][0];
    let orphaned: Vec<Value> = delivered
        .iter()
        .filter(|(number, _)| *number > head - 4)
        .map(|(number, hash)| json!({"block": number, "hash": hash}))
        .collect();
    assert_eq!(orphaned.len(), 4);
    assert_eq!(heads["reorged"], json!(orphaned), "{}", audited.stdout);
    let replaced: Vec<u64> =
        heads["missing"].as_array().into_iter().flatten().filter_map(|item| item["block"].as_u64()).collect();
    assert_eq!(replaced, (head - 3..=head).collect::<Vec<u64>>());
    let logs = &audited.json["subscriptions"][1];
    let reorged_log_blocks: Vec<u64> =
        logs["reorged"].as_array().into_iter().flatten().filter_map(|item| item["block"].as_u64()).collect();
    assert_eq!(reorged_log_blocks, [capture.ping_blocks[1]], "{logs}");
}

/// One notification of `subscription` (`{key, method, params}`) on `endpoint`, as `record`
/// writes it.
fn notification_line(seq: u64, endpoint: &str, subscription: &Value, method: &str, result: Value) -> String {
    json!({"v": 1, "seq": seq, "time_ms": 1_796_000_000_000u64 + seq, "connection": "c", "endpoint": endpoint,
        "subscription": subscription, "direction": "in", "kind": "notification", "method": method,
        "frame": {"jsonrpc": "2.0", "method": method, "params": {"subscription": 7, "result": result}}})
    .to_string()
}

/// A capture of one newHeads subscription on `endpoint`, with two heads, written by hand.
fn hand_capture(dir: &Path, endpoint: &str) -> PathBuf {
    let subscription = json!({"key": 1, "method": "eth_subscribe", "params": ["newHeads"]});
    let head = |number: u64| {
        let result = json!({"number": format!("{number:#x}"), "hash": format!("0x{number:064x}"),
            "parentHash": format!("0x{:064x}", number - 1)});
        notification_line(number, endpoint, &subscription, "eth_subscription", result)
    };
    let file = dir.join("hand.ndjson");
    write_lines(&file, &[&head(5), &head(6)]);
    file
}

/// A capture of one slotSubscribe on the validator preset's URL delivering `slots`, written
/// by hand.
fn slots_capture(dir: &Path, slots: impl Iterator<Item = u64>) -> PathBuf {
    let subscription = json!({"key": 1, "method": "slotSubscribe", "params": null});
    let lines: Vec<String> = slots
        .map(|slot| {
            let result = json!({"slot": slot, "parent": slot - 1, "root": slot - 5});
            notification_line(slot, "ws://127.0.0.1:8900", &subscription, "slotNotification", result)
        })
        .collect();
    let file = dir.join("slots.ndjson");
    write_lines(&file, &lines.iter().map(String::as_str).collect::<Vec<_>>());
    file
}

#[test]
fn an_unreachable_rpc_exits_3_naming_the_url_redacted_and_never_the_key() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let file = hand_capture(dir.path(), "ws://127.0.0.1:8545");
    let port = free_port();
    let in_path = format!("http://127.0.0.1:{port}/v2/{SECRET}");
    let audited = run_audit(subscope().arg("audit").arg(&file).args(["--rpc", &in_path]));
    assert_eq!(audited.code, Some(3), "{}\n{}", audited.stdout, audited.stderr);
    let shown = format!("http://127.0.0.1:{port}/v2/***");
    assert!(audited.stderr.contains(&shown) && audited.stderr.contains("refused"), "{}", audited.stderr);
    assert!(audited.stdout.contains("could not be checked"), "{}", audited.stdout);
    // The key placed at {api_key}, from the environment, is never printed either.
    let template = format!("http://127.0.0.1:{port}/v2/{{api_key}}");
    let placed = run_audit(
        subscope()
            .arg("audit")
            .arg(&file)
            .args(["--rpc", &template, "--json"])
            .env("SUBSCOPE_API_KEY", SECRET),
    );
    assert_eq!(placed.code, Some(3), "{}", placed.stderr);
    assert_eq!(placed.json["subscriptions"][0]["status"], "failed");
    assert_eq!(
        placed.json["subscriptions"][0]["rpc"].as_str(),
        Some(template.as_str()),
        "shown as its template"
    );
    for output in [&audited.stdout, &audited.stderr, &placed.stdout, &placed.stderr] {
        assert!(!output.contains(SECRET), "the key leaked: {output}");
    }
}

#[test]
fn without_rpc_a_masked_endpoint_is_a_usage_error_and_a_missing_file_exits_4() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let file = hand_capture(dir.path(), "wss://eth-mainnet.g.alchemy.com/v2/***");
    let audited = run_audit(subscope().arg("audit").arg(&file));
    assert_eq!(audited.code, Some(2), "{}", audited.stderr);
    assert!(audited.stderr.contains("masked") && audited.stderr.contains("--rpc"), "{}", audited.stderr);
    let placeholder = hand_capture(dir.path(), "wss://eth-mainnet.g.alchemy.com/v2/{api_key}");
    let audited = run_audit(subscope().arg("audit").arg(&placeholder));
    assert_eq!(audited.code, Some(2), "{}", audited.stderr);
    assert!(audited.stderr.contains("needs an API key"), "{}", audited.stderr);
    let missing = run_audit(subscope().arg("audit").arg(dir.path().join("none.ndjson")));
    assert_eq!(missing.code, Some(4), "{}", missing.stderr);
}

/// The slots of the slot subscription's notifications in a capture.
fn slot_of(event: &Value) -> Option<u64> {
    result(event)?.get("parent").and(result(event)?["slot"].as_u64())
}

#[test]
fn validator_slots_and_a_mentioned_airdrop_are_audited_against_the_ledger() {
    let rpc_port = free_port_and_next();
    let _validator = start_validator(rpc_port, free_port());
    let rpc = format!("http://127.0.0.1:{rpc_port}");
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let file = dir.path().join("solana.ndjson");
    let fresh = bs58::encode(std::array::from_fn::<u8, 32, _>(|_| fastrand::u8(..))).into_string();
    let subscriptions = [
        json!({"method": "slotSubscribe"}),
        json!({"method": "logsSubscribe", "params": [{"mentions": [fresh]}, {"commitment": "confirmed"}]}),
    ];
    let record = start_record(
        &format!("ws://127.0.0.1:{}", rpc_port + 1),
        &subscriptions,
        &["--duration", "10m"],
        &file,
    );
    // A few slots before the airdrop, so it lies inside the window.
    let slot = |commitment: &str| {
        http_rpc(rpc_port, "getSlot", json!([{"commitment": commitment}]))["result"].as_u64()
    };
    let started = slot("processed").unwrap_or_default();
    poll("slots to pass", Duration::from_secs(30), || slot("processed").filter(|now| *now >= started + 3));
    let airdrop = http_rpc(rpc_port, "requestAirdrop", json!([fresh, 1_000_000_000u64]));
    let signature = airdrop["result"].as_str().unwrap_or_else(|| panic!("{airdrop}")).to_owned();
    poll("the airdrop's logs in the capture", Duration::from_secs(60), || {
        std::fs::read_to_string(&file).ok().filter(|text| text.contains(&signature)).map(|_| ())
    });
    // The window must reach past the airdrop's slot at the root the stream's commitment trails.
    let airdrop_slot = poll("the airdrop's status", Duration::from_secs(60), || {
        let status = http_rpc(rpc_port, "getSignatureStatuses", json!([[signature]]));
        status["result"]["value"][0]["slot"].as_u64()
    });
    poll("the root to pass the airdrop", Duration::from_secs(90), || {
        slot("finalized").filter(|root| *root > airdrop_slot + 2)
    });
    interrupt(record);

    let audited = audit(&file, &["--rpc", &rpc]);
    assert_eq!(audited.code, Some(0), "{}\n{}", audited.stdout, audited.stderr);
    let [slots, logs] = [&audited.json["subscriptions"][0], &audited.json["subscriptions"][1]];
    assert_eq!(slots["missing"], json!([]), "{slots}");
    assert!(slots["expected"].as_u64().is_some_and(|expected| expected > 10), "{slots}");
    assert_eq!(logs["missing"], json!([]), "{logs}");
    assert_eq!((logs["expected"].as_u64(), logs["delivered"].as_u64()), (Some(1), Some(1)), "{logs}");
    let (first, last) =
        (logs["span"]["first"].as_u64().unwrap_or(u64::MAX), logs["span"]["last"].as_u64().unwrap_or(0));
    assert!(
        first < airdrop_slot && airdrop_slot < last,
        "the span {first}–{last} holds the airdrop's slot {airdrop_slot}"
    );

    // Three slots cut: exactly those are missing; slots without a block are never listed.
    let lines = lines(&file);
    let delivered: Vec<u64> = lines.iter().filter_map(|(_, event)| slot_of(event)).collect();
    let (low, high) = (delivered[0], slots["span"]["last"].as_u64().unwrap_or_default());
    let blocks: BTreeSet<u64> =
        http_rpc(rpc_port, "getBlocks", json!([low, high, {"commitment": "confirmed"}]))["result"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_u64)
            .collect();
    let cut: BTreeSet<u64> = delivered
        .iter()
        .copied()
        .filter(|slot| blocks.contains(slot) && *slot > low + 2)
        .step_by(3)
        .take(3)
        .collect();
    assert_eq!(cut.len(), 3, "{delivered:?}");
    let kept: Vec<&str> = lines
        .iter()
        .filter(|(_, event)| !slot_of(event).is_some_and(|slot| cut.contains(&slot)))
        .map(|(line, _)| line.as_str())
        .collect();
    let cut_file = dir.path().join("cut.ndjson");
    write_lines(&cut_file, &kept);
    let audited = audit(&cut_file, &["--rpc", &rpc]);
    assert_eq!(audited.code, Some(1), "{}", audited.stdout);
    let missing: Vec<u64> = audited.json["subscriptions"][0]["missing"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["slot"].as_u64())
        .collect();
    assert_eq!(missing, cut.iter().copied().collect::<Vec<u64>>());
    let skipped: Vec<u64> = (low..=high).filter(|slot| !blocks.contains(slot)).collect();
    assert!(skipped.iter().all(|slot| !missing.contains(slot)), "skipped {skipped:?} listed missing");

    // The airdrop's line cut: its signature is missing.
    let kept: Vec<&str> =
        lines.iter().filter(|(line, _)| !line.contains(&signature)).map(|(line, _)| line.as_str()).collect();
    let cut_file = dir.path().join("no-airdrop.ndjson");
    write_lines(&cut_file, &kept);
    let audited = audit(&cut_file, &["--rpc", &rpc]);
    assert_eq!(audited.code, Some(1), "{}", audited.stdout);
    let logs = &audited.json["subscriptions"][1];
    assert_eq!(logs["missing"], json!([{"slot": airdrop_slot, "signature": signature}]), "{logs}");
    assert_eq!(audited.json["subscriptions"][0]["missing"], json!([]));
}

/// `audit FILE --json` against the scripted ledger on `port`, off the runtime's threads.
async fn audit_scripted(file: PathBuf, port: u16) -> Audited {
    let rpc = format!("http://127.0.0.1:{port}");
    tokio::task::spawn_blocking(move || audit(&file, &["--rpc", &rpc]))
        .await
        .unwrap_or_else(|err| panic!("{err}"))
}

/// A scripted Solana ledger: its confirmed tip, the slots holding blocks, the widest
/// `getBlocks` range it accepts, and one address's transactions, newest first.
#[derive(Clone, Default)]
struct Ledger {
    tip: u64,
    blocks: Vec<u64>,
    widest: u64,
    signatures: Vec<Value>,
}

impl Ledger {
    /// The answer to `request`: `getSlot` with the tip, `getBlocks` with the block slots in
    /// the range (a range wider than `widest` refused as a provider would),
    /// `getSignaturesForAddress` a page after `before`.
    fn answer(&self, request: &Value) -> Value {
        let id = request["id"].clone();
        let params = &request["params"];
        let result = match request["method"].as_str() {
            Some("getSlot") => json!(self.tip),
            Some("getBlocks") => {
                let (start, end) = (params[0].as_u64().unwrap_or(0), params[1].as_u64().unwrap_or(0));
                if end + 1 - start > self.widest {
                    let message = format!("Slot range too large; max {}", self.widest);
                    return json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32602, "message": message}});
                }
                json!(self.blocks.iter().filter(|slot| (start..=end).contains(*slot)).collect::<Vec<_>>())
            }
            Some("getSignaturesForAddress") => {
                let config = &params[1];
                let after = config["before"].as_str().map_or(0, |before| {
                    self.signatures.iter().position(|info| info["signature"] == before).map_or(0, |at| at + 1)
                });
                let limit = config["limit"].as_u64().unwrap_or(1000) as usize;
                json!(self.signatures.iter().skip(after).take(limit).collect::<Vec<_>>())
            }
            _ => {
                return json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "Method not found"}});
            }
        };
        json!({"jsonrpc": "2.0", "id": id, "result": result})
    }
}

/// A scripted ledger on 127.0.0.1 (see [`Ledger::answer`]), serving each connection's
/// requests in turn; returns its port and the requests it got.
async fn scripted_ledger(ledger: Ledger) -> (u16, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|err| panic!("bind: {err}"));
    let port = listener.local_addr().map_or_else(|err| panic!("addr: {err}"), |addr| addr.port());
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&asked);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (ledger, log) = (ledger.clone(), Arc::clone(&log));
            tokio::spawn(async move {
                let mut reader = BufReader::new(stream);
                loop {
                    let mut length = 0;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(value) = lower.strip_prefix("content-length:") {
                            length = value.trim().parse().unwrap_or(0);
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
                    let answer = ledger.answer(&request).to_string();
                    log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(request);
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    if reader.get_mut().write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, asked)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skipped_slots_are_never_missing_and_a_refused_range_is_asked_in_chunks() {
    // The chain has blocks in 10..=40 but 13 and 22 (skipped by their leaders); its confirmed
    // tip is 30. Delivered: 10..=30 but the skipped ones and 16, then 33.
    let blocks: Vec<u64> = (10..=40).filter(|slot| ![13, 22].contains(slot)).collect();
    let (port, asked) = scripted_ledger(Ledger { tip: 30, blocks, widest: 8, ..Ledger::default() }).await;
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let file = slots_capture(dir.path(), (10..=30).filter(|slot| ![13, 16, 22].contains(slot)).chain([33]));
    let audited = audit_scripted(file, port).await;
    assert_eq!(audited.code, Some(1), "{}\n{}", audited.stdout, audited.stderr);
    let slots = &audited.json["subscriptions"][0];
    assert_eq!(slots["missing"], json!([{"slot": 16}]), "{slots}");
    assert_eq!(slots["expected"], 19, "10..=30 less the two skipped");
    assert_eq!(
        (slots["extra"].clone(), slots["unsettled"].as_u64()),
        (json!([]), Some(1)),
        "33 is past the tip"
    );
    assert_eq!((slots["span"]["first"].as_u64(), slots["span"]["last"].as_u64()), (Some(10), Some(30)));
    // 10..=30 was refused, then walked in halves: every slot asked once, in order.
    let ranges: Vec<(u64, u64)> = asked
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .filter(|request| request["method"] == "getBlocks")
        .filter_map(|request| Some((request["params"][0].as_u64()?, request["params"][1].as_u64()?)))
        .collect();
    assert_eq!(ranges.first(), Some(&(10, 30)), "{ranges:?}");
    let accepted: Vec<&(u64, u64)> = ranges.iter().filter(|(start, end)| end + 1 - start <= 8).collect();
    assert_eq!(accepted.first().map(|range| range.0), Some(10), "{ranges:?}");
    assert_eq!(accepted.last().map(|range| range.1), Some(30), "{ranges:?}");
    assert!(accepted.windows(2).all(|pair| pair[1].0 == pair[0].1 + 1), "{ranges:?}");
}

/// The window's "Audit against the chain…" on an opened capture, against a scripted ledger:
/// the URL derived from the capture's endpoint is offered, an edited one is asked, and the
/// result lists the missing slot.
#[cfg(feature = "gui")]
#[test]
fn the_window_audits_an_opened_capture_against_the_url_typed() {
    use egui::{Key, Modifiers};
    use egui_kittest::kittest::Queryable as _;
    use subscope::app::AppOptions;
    use subscope::app::settings::Settings;
    use subscope::backend::Backend;

    let runtime = support::ui::runtime();
    let blocks: Vec<u64> = (10..=40).filter(|slot| *slot != 13).collect();
    let (port, _) =
        runtime.block_on(scripted_ledger(Ledger { tip: 40, blocks, widest: 500, ..Ledger::default() }));
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let file = slots_capture(dir.path(), (10..=20).filter(|slot| ![13, 16].contains(slot)));

    let settings = Settings::default();
    let (backend, _script) = Backend::scripted(settings.limits, Arc::new(|| {}));
    let options = AppOptions { backend: Some(backend), file: Some(file), ..AppOptions::headless(settings) };
    let mut harness = support::ui::app_harness(&runtime, options, egui::vec2(1400.0, 900.0));
    support::ui::wait_until(&mut harness, "the capture to open", |app| !app.job_running());
    harness.run_steps(3);
    harness.get_by_label("Audit against the chain…").click();
    harness.run_steps(3);
    let field = support::ui::control(&harness, "Audit against (HTTP RPC URL)");
    assert_eq!(
        field.value().as_deref(),
        Some("http://127.0.0.1:8899"),
        "derived from the validator's PubSub URL"
    );

    harness.get_by_label("Audit against (HTTP RPC URL)").focus();
    harness.run_steps(2);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.get_by_label("Audit against (HTTP RPC URL)").type_text(&format!("http://127.0.0.1:{port}"));
    harness.run_steps(2);
    harness.get_by_label("Audit").click();
    let deadline = std::time::Instant::now() + Duration::from_secs(25);
    while harness.query_by_label("1 checked, 1 missing").is_none() {
        assert!(std::time::Instant::now() < deadline, "no audit result");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    let block = harness.query_by_label_contains("slotSubscribe on ws://127.0.0.1:8900");
    let text = block.and_then(|node| node.value()).unwrap_or_default();
    assert!(text.contains("  missing             1\n      slot 16\n"), "{text}");
    assert!(!text.contains("slot 13"), "a skipped slot is not missing: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_slots_a_mentions_span_comes_from_block_times_over_several_pages() {
    // 1,500 transactions of the address, newest first: slot 100 + i, a block time every
    // tenth of them a second later. The subscription was answered at T and ended at T + 60 s.
    const T: i64 = 1_796_000_000;
    let base = T - 38;
    let signatures: Vec<Value> = (0..1500i64)
        .rev()
        .map(|i| json!({"signature": format!("sig{i}"), "slot": 100 + i, "blockTime": base + i / 10, "err": null}))
        .collect();
    let (port, asked) = scripted_ledger(Ledger { tip: 5_000, signatures, ..Ledger::default() }).await;
    // The window less 2 s at each edge is T+2..=T+58: i from 400 to 969. 450, 600 and 900 were
    // not delivered (450 is on the second page).
    let subscription = json!({"key": 1, "method": "logsSubscribe",
        "params": [{"mentions": ["Addr1111111111111111111111111111111111111111"]}, {"commitment": "confirmed"}]});
    let answer = json!({"v": 1, "seq": 0, "time_ms": T * 1000, "connection": "c", "endpoint": "ws://127.0.0.1:8900",
        "subscription": subscription, "direction": "in", "kind": "response", "frame": {"jsonrpc": "2.0", "result": 3, "id": 1}});
    let mut lines = vec![answer.to_string()];
    for i in (400..970).filter(|i| ![450, 600, 900].contains(i)) {
        let result = json!({"context": {"slot": 100 + i}, "value": {"signature": format!("sig{i}"), "err": null, "logs": []}});
        // Received 3 s (and i ms) after the answer: `notification_line` times it by its seq.
        let seq = 3_000 + u64::try_from(i).unwrap_or_default();
        lines.push(notification_line(seq, "ws://127.0.0.1:8900", &subscription, "logsNotification", result));
    }
    let end = json!({"v": 1, "seq": 9_999, "time_ms": (T + 60) * 1000, "connection": "c", "endpoint": "ws://127.0.0.1:8900",
        "direction": "meta", "kind": "meta", "frame": {"subscope": "disconnected"}});
    lines.push(end.to_string());
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let file = dir.path().join("mentions.ndjson");
    write_lines(&file, &lines.iter().map(String::as_str).collect::<Vec<_>>());

    let audited = audit_scripted(file, port).await;
    assert_eq!(audited.code, Some(1), "{}\n{}", audited.stdout, audited.stderr);
    let logs = &audited.json["subscriptions"][0];
    let missing: Vec<&str> = logs["missing"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["signature"].as_str())
        .collect();
    assert_eq!(missing, ["sig450", "sig600", "sig900"], "{logs}");
    assert_eq!((logs["expected"].as_u64(), logs["delivered"].as_u64()), (Some(570), Some(567)));
    assert!(logs["span"]["basis"].as_str().is_some_and(|basis| basis.contains("block time")), "{logs}");
    let pages = asked
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .filter(|request| request["method"] == "getSignaturesForAddress")
        .count();
    assert_eq!(pages, 2, "the second page reaches past the window's start, and no further");
}
