//! `subscope compare` end to end, as a script would run it: against the demo server with
//! faults in the URL, and against real anvil and solana-test-validator nodes (two
//! connections to one node must agree on everything). Every address is 127.0.0.1.

mod support;

use std::process::{Command as Process, Output};
use std::time::Duration;

use serde_json::{Value, json};
use support::demo::DemoProcess;
use support::{free_port, http_rpc, poll, start_anvil, start_validator};

fn subscope() -> Process {
    let mut command = Process::new(env!("CARGO_BIN_EXE_subscope"));
    command.env_remove("SUBSCOPE_API_KEY");
    command
}

/// Runs `compare --json` with these endpoints, bodies and extra arguments; the parsed report.
fn compare_json(endpoints: &[&str], bodies: &[&str], extra: &[&str]) -> Value {
    let output = run_compare(endpoints, bodies, extra, true);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "compare failed: {stderr}");
    assert_eq!(stdout.lines().count(), 1, "one JSON object on one line: {stdout}");
    serde_json::from_str(&stdout).unwrap_or_else(|err| panic!("{err}: {stdout}"))
}

fn run_compare(endpoints: &[&str], bodies: &[&str], extra: &[&str], json: bool) -> Output {
    let mut command = subscope();
    command.arg("compare");
    for endpoint in endpoints {
        command.args(["--endpoint", endpoint]);
    }
    for body in bodies {
        command.args(["--subscribe", body]);
    }
    if json {
        command.arg("--json");
    }
    command.args(extra).output().unwrap_or_else(|err| panic!("{err}"))
}

/// `compare --json` of slots on two connections to one demo server running `speed` times
/// faster than real: a plain one and one with the faults in `query`.
fn slots_on_two_connections(speed: f64, query: &str, extra: &[&str]) -> Value {
    let demo = DemoProcess::start(speed);
    let faulty = format!("{}?{query}", demo.url);
    let report = compare_json(&[&demo.url, &faulty], &[r#"{"method":"slotSubscribe"}"#], extra);
    assert_eq!(report["subscriptions"][0]["endpoints"][1]["endpoint"], faulty.as_str(), "{report}");
    report
}

/// The counts of endpoint `index` of subscription `sub`, checking the shape on the way.
fn endpoint(report: &Value, sub: usize, index: usize) -> &Value {
    let found = &report["subscriptions"][sub]["endpoints"][index];
    let every = ["received", "first", "missed", "recovered", "late", "duplicates", "gaps", "gap_blocks"];
    for field in every.into_iter().chain(["stalls", "longest_stall_ms"]) {
        assert!(found[field].is_u64(), "{field} in {found}");
    }
    for field in ["p50", "p90", "p99", "max"] {
        assert!(found["lag_ms"][field].is_u64() || found["lag_ms"][field].is_null(), "{field} in {found}");
    }
    assert!(found["endpoint"].is_string(), "{found}");
    found
}

fn count(value: &Value, field: &str) -> u64 {
    value[field].as_u64().unwrap_or_else(|| panic!("no {field} in {value}"))
}

fn lag(value: &Value, field: &str) -> u64 {
    value["lag_ms"][field].as_u64().unwrap_or_else(|| panic!("no lag {field} in {value}"))
}

#[test]
fn a_delayed_connection_lags_by_its_delay_and_is_almost_never_first() {
    let demo = DemoProcess::start(5.0); // 80 ms slots
    let delayed = format!("{}?delay_ms=200", demo.url);
    let bodies = [r#"{"method":"slotSubscribe"}"#, r#"{"method":"logsSubscribe","params":["all"]}"#];
    let report = compare_json(&[&demo.url, &delayed], &bodies, &["--duration", "6"]);
    let subscriptions = report["subscriptions"].as_array().map_or(0, Vec::len);
    assert_eq!(subscriptions, 2, "{report}");
    assert_eq!(report["subscriptions"][0]["request"], json!({"method": "slotSubscribe"}));
    assert_eq!(report["subscriptions"][1]["request"], json!({"method": "logsSubscribe", "params": ["all"]}));
    for sub in 0..2 {
        let (plain, slow) = (endpoint(&report, sub, 0), endpoint(&report, sub, 1));
        assert_eq!(plain["endpoint"], demo.url.as_str(), "command-line order");
        assert_eq!(slow["endpoint"], delayed.as_str(), "the delay is shown, not masked");
        assert!(count(plain, "received") >= 40, "{report}");
        assert!((150..=400).contains(&lag(slow, "p50")), "{report}");
        assert!(lag(plain, "p50") <= 20, "{report}");
        assert!(count(slow, "first") * 50 <= count(slow, "received"), "almost never first: {report}");
        assert!(count(plain, "missed") <= 1 && count(slow, "missed") <= 1, "{report}");
        assert_eq!(count(plain, "duplicates") + count(slow, "duplicates"), 0, "{report}");
    }
}

#[test]
fn an_endpoint_behind_by_four_grace_windows_is_late_by_its_delay_and_every_item_is_first_once() {
    // The demo at real speed: a slot every 400 ms, so about 12 in 5 s.
    let report = slots_on_two_connections(1.0, "delay_ms=800", &["--duration", "5", "--grace", "0.2"]);
    assert_eq!(report["format"], 1, "{report}");
    let (plain, slow) = (endpoint(&report, 0, 0), endpoint(&report, 0, 1));
    let items = count(plain, "received");
    assert!((10..=14).contains(&items), "{report}");
    assert_eq!(count(plain, "first") + count(slow, "first"), items, "each item first once: {report}");
    assert_eq!(
        (count(plain, "first"), count(plain, "missed"), count(plain, "late")),
        (items, 0, 0),
        "{report}"
    );
    assert_eq!((count(slow, "first"), count(slow, "missed")), (0, 0), "{report}");
    assert_eq!(count(slow, "late"), count(slow, "received"), "{report}");
    assert!(count(slow, "received") + 3 >= items, "the last ~2 are due after the stop: {report}");
    for field in ["p50", "max"] {
        assert!(lag(slow, field).abs_diff(800) <= 50, "{field}: {report}");
    }
}

#[test]
fn a_connection_that_drops_every_fifth_misses_about_a_fifth() {
    // What it misses live: nothing is recovered.
    let report =
        slots_on_two_connections(5.0, "drop_every=5", &["--duration", "7", "--grace", "2", "--no-backfill"]);
    let (plain, dropping) = (endpoint(&report, 0, 0), endpoint(&report, 0, 1));
    let delivered = count(plain, "received");
    assert!(delivered >= 50, "{report}");
    assert_eq!(count(plain, "missed"), 0, "{report}");
    let share = count(dropping, "missed") as f64 / delivered as f64;
    assert!((0.15..=0.25).contains(&share), "{share}: {report}");
    assert_eq!(count(dropping, "received") + count(dropping, "missed"), delivered, "{report}");
    assert_eq!(count(dropping, "recovered"), 0, "{report}");
}

#[test]
fn what_one_endpoint_misses_and_another_delivers_is_recovered_from_the_first_and_counted_apart() {
    let demo = DemoProcess::start(5.0);
    let lossy = format!("{}?drop_every=5", demo.url);
    let bodies = [r#"{"method":"slotSubscribe"}"#];
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let out = dir.path().join("both.ndjson");
    let out_arg = out.to_string_lossy().into_owned();
    let report = compare_json(
        &[&demo.url, &lossy],
        &bodies,
        &["--duration", "7", "--grace", "0.5", "--out", &out_arg],
    );
    let (plain, dropping) = (endpoint(&report, 0, 0), endpoint(&report, 0, 1));
    let delivered = count(plain, "received");
    assert!(delivered >= 50, "{report}");
    let recovered = count(dropping, "recovered");
    // Every dropped slot is asked of the lossy endpoint once settled missed; those dropped in
    // the last moments of the run may still be on their way.
    assert!(recovered as f64 >= 0.12 * delivered as f64, "{report}");
    assert!(count(dropping, "missed") <= 3, "{report}");
    let text = std::fs::read_to_string(&out).unwrap_or_else(|err| panic!("{err}"));
    let marked: Vec<Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["source"]["recovered"] == "compare_miss")
        .collect();
    assert_eq!(marked.len() as u64, recovered, "each recovered row is in the capture, marked");
    assert!(
        marked.iter().all(|event| event["endpoint"].as_str().is_some_and(|url| url.contains("drop_every")))
    );
}

/// A hand-assembled contract whose runtime emits LOG1(keccak("Ping(uint256)"), calldata[0]).
const PING_CONTRACT: &str = "0x602d600c600039602d6000f36000356000527f48257dc961b6f792c2b78a080dacfed693b660960a702de21cee364e20270e2f60206000a100";

const DEV_ACCOUNT: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

fn send_tx(port: u16, tx: Value) -> String {
    let answer = http_rpc(port, "eth_sendTransaction", json!([tx]));
    answer["result"].as_str().unwrap_or_else(|| panic!("eth_sendTransaction failed: {answer}")).to_owned()
}

#[test]
fn two_connections_to_one_anvil_miss_no_head_and_no_log() {
    let anvil = start_anvil(free_port(), &["--block-time", "0.25"]);
    let port = anvil.port;
    let deploy = send_tx(port, json!({"from": DEV_ACCOUNT, "data": PING_CONTRACT, "gas": "0x100000"}));
    let contract = poll("the contract", Duration::from_secs(20), || {
        let receipt = http_rpc(port, "eth_getTransactionReceipt", json!([deploy]));
        receipt["result"]["contractAddress"].as_str().map(str::to_owned)
    });
    // Logs while the comparison runs: one call every 150 ms.
    let sender = std::thread::Builder::new()
        .name("logs-sender".into())
        .spawn(move || {
            for n in 0..25u64 {
                std::thread::sleep(Duration::from_millis(150));
                let data = format!("0x{n:064x}");
                send_tx(port, json!({"from": DEV_ACCOUNT, "to": contract, "data": data, "gas": "0x100000"}));
            }
        })
        .unwrap_or_else(|err| panic!("{err}"));
    let url = format!("ws://127.0.0.1:{port}");
    let bodies = [
        r#"{"method":"eth_subscribe","params":["newHeads"]}"#,
        r#"{"method":"eth_subscribe","params":["logs",{}]}"#,
    ];
    let report = compare_json(&[&url, &url], &bodies, &["--duration", "5"]);
    sender.join().ok();
    for (sub, at_least) in [(0, 10), (1, 10)] {
        let (a, b) = (endpoint(&report, sub, 0), endpoint(&report, sub, 1));
        assert!(count(a, "received") >= at_least && count(b, "received") >= at_least, "{report}");
        assert_eq!((count(a, "missed"), count(b, "missed")), (0, 0), "{report}");
        assert_eq!((count(a, "duplicates"), count(b, "duplicates")), (0, 0), "{report}");
        assert!(
            count(a, "received").abs_diff(count(b, "received")) <= 1,
            "only the last may differ: {report}"
        );
    }
}

#[test]
fn two_connections_to_one_validator_miss_no_slot_and_no_root() {
    let rpc_port = loop {
        let port = free_port();
        if port < 65000 && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            break port;
        }
    };
    let _validator = start_validator(rpc_port, free_port());
    // Roots come once the validator finalizes (some 30 slots in): wait for that first.
    poll("a finalized slot", Duration::from_secs(120), || {
        let answer = http_rpc(rpc_port, "getSlot", json!([{"commitment": "finalized"}]));
        answer["result"].as_u64().filter(|slot| *slot >= 1)
    });
    let url = format!("ws://127.0.0.1:{}", rpc_port + 1);
    let bodies = [r#"{"method":"slotSubscribe"}"#, r#"{"method":"rootSubscribe"}"#];
    let report = compare_json(&[&url, &url], &bodies, &["--duration", "8"]);
    for (sub, at_least) in [(0, 10), (1, 3)] {
        let (a, b) = (endpoint(&report, sub, 0), endpoint(&report, sub, 1));
        assert!(count(a, "received") >= at_least && count(b, "received") >= at_least, "{report}");
        assert_eq!((count(a, "missed"), count(b, "missed")), (0, 0), "{report}");
        // solana-test-validator 3.1.12 sends each root twice (N and N+1, then N+1 and N+2…):
        // both connections see the same repeats.
        assert!(count(a, "duplicates").abs_diff(count(b, "duplicates")) <= 1, "{report}");
        let items = |value| count(value, "received") - count(value, "duplicates");
        assert_eq!(count(a, "first") + count(b, "first"), items(a).max(items(b)), "{report}");
    }
    assert_eq!(count(endpoint(&report, 0, 0), "duplicates"), 0, "no slot comes twice: {report}");
}

#[test]
fn the_table_names_every_endpoint_and_out_writes_the_capture_of_both() {
    let demo = DemoProcess::start(20.0);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let out = dir.path().join("both.ndjson");
    let delayed = format!("{}?delay_ms=50", demo.url);
    let output = run_compare(
        &[&demo.url, &delayed],
        &[r#"{"method":"slotSubscribe"}"#],
        &["--count", "40", "--out", out.to_str().unwrap_or_default()],
        false,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.starts_with("slotSubscribe\n"), "{stdout}");
    for header in ["received", "first", "missed", "dup", "p50", "p99", "max", "gaps", "stalls"] {
        assert!(stdout.contains(header), "{header}: {stdout}");
    }
    assert!(stdout.contains(&delayed), "{stdout}");
    let text = std::fs::read_to_string(&out).unwrap_or_else(|err| panic!("{err}"));
    let notifications: Vec<Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["kind"] == "notification")
        .collect();
    assert_eq!(notifications.len(), 40, "exactly --count");
    let endpoints: std::collections::BTreeSet<String> =
        notifications.iter().map(|event| event["endpoint"].to_string()).collect();
    assert_eq!(endpoints.len(), 2, "both connections are in the capture: {endpoints:?}");
}

#[test]
fn record_sends_every_body_on_every_endpoint() {
    let demo = DemoProcess::start(20.0);
    let other = format!("{}?delay_ms=1", demo.url);
    let output = subscope()
        .args(["record", "--endpoint", &demo.url, "--endpoint", &other])
        .args([
            "--subscribe",
            r#"{"method":"slotSubscribe"}"#,
            "--subscribe",
            r#"{"method":"rootSubscribe"}"#,
        ])
        .args(["--duration", "1.5"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let requests: Vec<(String, String)> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["kind"] == "request" && event["direction"] == "out")
        .map(|event| (event["endpoint"].to_string(), event["subscription"]["method"].to_string()))
        .collect();
    assert_eq!(requests.len(), 4, "{requests:?}");
}

#[test]
fn bad_arguments_are_refused_before_anything_connects() {
    let slot = r#"{"method":"slotSubscribe"}"#;
    let cases: [(&[&str], i32, &str); 6] = [
        (&["compare", "--endpoint", "demo"], 2, "--subscribe"),
        (&["compare", "--subscribe", slot], 2, "--endpoint"),
        (&["compare", "--endpoint", "demo", "--subscribe", slot, "--grace", "0"], 2, "--grace"),
        (&["compare", "--endpoint", "demo", "--subscribe", slot, "--grace", "soon"], 2, "--grace"),
        (&["compare", "--endpoint", "demo", "--subscribe", slot, "--out", "-"], 1, "stdout"),
        (&["compare", "--endpoint", "demo", "--subscribe", "{", "--count", "1"], 2, "not JSON"),
    ];
    for (args, code, says) in cases {
        let output = subscope().args(args).output().unwrap_or_else(|err| panic!("{err}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(says) && !stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("connecting"), "{args:?}: nothing may connect: {stderr}");
    }
}

#[test]
fn a_fault_value_the_demo_cannot_use_fails_the_run_with_the_reason() {
    let demo = DemoProcess::start(1.0);
    let typo = format!("{}?delay_ms=200ms", demo.url);
    let output =
        run_compare(&[&demo.url, &typo], &[r#"{"method":"slotSubscribe"}"#], &["--duration", "3"], true);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("400") && stderr.contains("delay_ms must be a whole number"), "{stderr}");
}

/// What a connection to the demo server captures in `wanted` notifications (slots and logs),
/// and the item identities it read of them, with the consumer asking for them or not.
async fn identified_by_the_connection(
    url: &str,
    identify: bool,
    wanted: usize,
) -> (Vec<subscope::capture::CapturedEvent>, Vec<subscope::backend::Identity>) {
    use std::sync::Arc;
    use subscope::backend::{Backend, Command, ConnectionConfig};
    use subscope::capture::CaptureLimits;
    use subscope::protocol::FrameKind;

    let backend =
        Backend::start(&tokio::runtime::Handle::current(), CaptureLimits::default(), Arc::new(|| {}));
    backend.queue().identify_items(identify);
    let conn = backend.new_connection_id();
    let config = Box::new(ConnectionConfig::new("demo", url));
    backend.send(Command::Connect { conn, config }).unwrap_or_else(|err| panic!("{err}"));
    for (sub, method, params) in [(1, "slotSubscribe", None), (2, "logsSubscribe", Some(json!(["all"])))] {
        let rules = subscope::catalog::rules_for(method, params.as_ref());
        let command = Command::Subscribe { conn, sub, method: method.into(), params, rules };
        backend.send(command).unwrap_or_else(|err| panic!("{err}"));
    }
    let (mut frames, mut identities) = (Vec::new(), Vec::new());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let notifications = |frames: &[subscope::capture::CapturedEvent]| {
        frames.iter().filter(|event| event.kind == FrameKind::Notification).count()
    };
    while notifications(&frames) < wanted {
        assert!(tokio::time::Instant::now() < deadline, "{} notifications came", notifications(&frames));
        tokio::time::timeout(Duration::from_millis(50), backend.queue().wait()).await.ok();
        let drained = backend.drain();
        frames.extend(drained.captured);
        identities.extend(drained.identities);
    }
    (frames, identities)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_reads_each_notifications_item_while_it_classifies_it_when_asked() {
    let demo = DemoProcess::start(20.0);
    let (frames, identities) = identified_by_the_connection(&demo.url, true, 40).await;
    let mut identities = identities.into_iter().peekable();
    let mut kinds = std::collections::HashSet::new();
    for event in &frames {
        let read = identities.next_if(|(seq, _)| *seq == event.seq).map(|(_, identity)| identity);
        if event.kind != subscope::protocol::FrameKind::Notification {
            assert_eq!(read, None, "an identity for a frame that is no notification: {}", event.raw);
            continue;
        }
        // Every one of them: the demo sends them as plainly as the nodes do.
        let expected = subscope::catalog::item_fingerprint(&event.raw);
        assert_eq!(read, Some(expected), "notification {} ({})", event.seq, event.raw);
        kinds.extend(subscope::catalog::item_key(&event.raw).map(|key| key.kind));
    }
    assert_eq!(identities.next(), None, "an identity without its frame");
    assert_eq!(kinds.len(), 2, "slots and logs: {kinds:?}");

    // Nobody asked: nothing is read twice for nothing.
    let (frames, identities) = identified_by_the_connection(&demo.url, false, 5).await;
    assert!(frames.len() >= 5 && identities.is_empty(), "{} identities", identities.len());
}
