//! `subscope record` end to end, as a script would run it, against a real anvil.

mod support;

use std::process::Command as Process;

use serde_json::Value;
use support::demo::DemoProcess;
use support::{free_port, start_anvil};

const SECRET: &str = "k3y-SECRET-never-shown-42";

fn subscope() -> Process {
    let mut command = Process::new(env!("CARGO_BIN_EXE_subscope"));
    command.env_remove("SUBSCOPE_API_KEY");
    command
}

fn lines(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("bad line {line}: {err}")))
        .collect()
}

#[test]
fn records_new_heads_to_ndjson_and_stops_at_the_count() {
    let anvil = start_anvil(free_port(), &["--block-time", "0.2"]);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let out = dir.path().join("heads.ndjson");
    let output = subscope()
        .args(["record", "--endpoint", &format!("ws://127.0.0.1:{}/?api-key={{api_key}}", anvil.port)])
        .args(["--subscribe", r#"{"method":"eth_subscribe","params":["newHeads"]}"#, "--count", "3"])
        .arg("--out")
        .arg(&out)
        .env("SUBSCOPE_API_KEY", SECRET)
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "record failed: {stderr}");
    let events = lines(&out);
    let heads: Vec<&Value> = events.iter().filter(|e| e["kind"] == "notification").collect();
    assert!(heads.len() >= 3, "{events:?}");
    for head in &heads {
        assert_eq!(head["v"], 1);
        assert_eq!(head["direction"], "in");
        assert_eq!(head["subscription"]["method"], "eth_subscribe");
        assert_eq!(head["subscription"]["params"], serde_json::json!(["newHeads"]));
        assert!(head["server_id"].as_str().is_some_and(|id| id.starts_with("0x")));
        assert!(head["frame"]["params"]["result"]["number"].is_string());
        assert!(head["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
    assert!(
        events.iter().any(|e| e["kind"] == "request" && e["direction"] == "out"),
        "the subscribe request is recorded"
    );
    let file = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(!file.contains(SECRET) && !stderr.contains(SECRET), "the API key leaked");
    assert!(file.contains("api-key={api_key}"), "the endpoint is recorded as its template, without the key");
    assert!(stderr.contains("recorded"), "{stderr}");
}

#[test]
fn an_invalid_subscription_body_exits_non_zero_naming_the_field_before_connecting() {
    // Nothing listens on this port: if record tried to connect first, the error would say so.
    let port = free_port();
    let output = subscope()
        .args(["record", "--endpoint", &format!("ws://127.0.0.1:{port}")])
        .args(["--subscribe", r#"{"method":"accountSubscribe","params":["0OIl0OIl"]}"#, "--count", "1"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("accountSubscribe") && stderr.to_lowercase().contains("base58"), "{stderr}");
    assert!(!stderr.contains("connecting"), "nothing may be sent: {stderr}");
}

#[test]
fn a_failed_connect_exits_non_zero_with_the_reason_and_no_key() {
    let port = free_port();
    let output = subscope()
        .args(["record", "--endpoint", &format!("ws://127.0.0.1:{port}/v2/{{api_key}}")])
        .args(["--api-key", SECRET, "--subscribe", r#"{"method":"slotSubscribe"}"#, "--count", "1"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("could not connect") && stderr.contains("refused"), "{stderr}");
    assert!(stderr.contains("/v2/{api_key}"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");

    // A key pasted straight into the URL is masked wherever the URL is shown.
    let output = subscope()
        .args(["record", "--endpoint", &format!("ws://127.0.0.1:{port}/?api-key={SECRET}")])
        .args(["--subscribe", r#"{"method":"slotSubscribe"}"#, "--count", "1"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("api-key=***") && !stderr.contains(SECRET), "{stderr}");
}

#[test]
fn a_refused_subscription_exits_non_zero_with_the_server_error() {
    let anvil = start_anvil(free_port(), &[]);
    let output = subscope()
        .args(["record", "--endpoint", &format!("ws://127.0.0.1:{}", anvil.port)])
        .args(["--subscribe", r#"{"method":"eth_subscribe","params":["syncing"]}"#, "--count", "1"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("Not implemented") && stderr.contains("-32603"), "{stderr}");
}

#[test]
fn ctrl_c_stops_a_recording_cleanly_with_every_line_whole() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let out = dir.path().join("slots.ndjson");
    let child = subscope()
        .args(["record", "--endpoint", "demo", "--subscribe", r#"{"method":"slotSubscribe"}"#])
        .arg("--out")
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    support::poll("a few notifications on disk", std::time::Duration::from_secs(20), || {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        (text.lines().filter(|line| line.contains(r#""kind":"notification""#)).count() >= 2).then_some(())
    });
    let interrupted = Process::new("kill").args(["-INT", &child.id().to_string()]).status();
    assert!(interrupted.is_ok_and(|status| status.success()));
    let output = child.wait_with_output().unwrap_or_else(|err| panic!("{err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "Ctrl-C is a clean stop: {stderr}");
    let events = lines(&out); // panics on a partial line
    assert!(events.iter().filter(|e| e["kind"] == "notification").count() >= 2);
    assert!(events.iter().any(|e| e["kind"] == "meta"), "connection records are kept too");
    assert!(
        events.iter().any(|e| e["kind"] == "meta" && e["frame"]["subscope"] == "disconnected"),
        "the run's end is recorded as a disconnect (a comparison counts no stall after it)"
    );
}

#[test]
fn demo_server_runs_alone_and_serves_record() {
    let port = free_port();
    let mut server = subscope()
        .args(["demo-server", "--port", &port.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    support::poll("the demo server to listen", std::time::Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    let output = subscope()
        .args(["record", "--endpoint", &format!("ws://127.0.0.1:{port}")])
        .args(["--subscribe", r#"{"method":"eth_subscribe","params":["newHeads"]}"#, "--count", "1"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    server.kill().ok();
    server.wait().ok();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.lines().any(|line| line.contains("\"eth_subscription\"")), "NDJSON on stdout: {stdout}");
}

#[test]
fn methods_prints_the_cheat_sheet() {
    let output = subscope().arg("methods").output().unwrap_or_else(|err| panic!("{err}"));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for method in [
        "accountSubscribe",
        "blockSubscribe",
        "transactionSubscribe",
        "alchemy_minedTransactions",
        "newHeads",
    ] {
        assert!(text.contains(method), "{method} missing from `subscope methods`");
    }
}

#[test]
fn a_key_pasted_anywhere_in_the_url_reaches_no_output() {
    let demo = DemoProcess::start(1.0);
    let port = demo.port;
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    // Each URL shape a provider uses, with the token that must not be seen again.
    let cases = [
        (
            format!("ws://127.0.0.1:{port}/abcdef0123456789abcdef0123456789/"),
            "abcdef0123456789abcdef0123456789",
        ),
        (format!("ws://127.0.0.1:{port}/?dkey=SEKRIT"), "SEKRIT"),
        (format!("ws://127.0.0.1:{port}/SEKRIT123456"), "SEKRIT123456"),
        (format!("ws://127.0.0.1:{port}/ws/#SEKRIT"), "SEKRIT"),
        (format!("ws://127.0.0.1:{port}/v2/Short1"), "Short1"),
        (format!("ws://user:SEKRITpass@127.0.0.1:{port}/"), "SEKRITpass"),
    ];
    for (index, (url, token)) in cases.iter().enumerate() {
        let out = dir.path().join(format!("k{index}.ndjson"));
        let output = subscope()
            .args(["record", "--endpoint", url, "--subscribe", r#"{"method":"slotSubscribe"}"#])
            .args(["--count", "2", "--duration", "10", "--out"])
            .arg(&out)
            .output()
            .unwrap_or_else(|err| panic!("{err}"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let file = std::fs::read_to_string(&out).unwrap_or_default();
        assert!(!stdout.contains(token) && !stderr.contains(token), "{url}: {stdout}{stderr}");
        assert!(!file.contains(token), "{url} leaked into the capture: {file}");
        if output.status.success() {
            let events = lines(&out);
            assert!(events.iter().any(|e| e["kind"] == "notification"), "{url}: {stderr}");
            assert!(events.iter().all(|e| e["endpoint"].as_str().is_some_and(|shown| shown.contains("***"))));
        } else {
            // A URL the handshake cannot use is an error that names the problem, not the key.
            assert!(stderr.contains("could not connect"), "{url}: {stderr}");
        }
    }
}

#[test]
fn a_run_that_cannot_connect_leaves_an_existing_out_file_intact() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let out = dir.path().join("yesterday.ndjson");
    let yesterday = b"{\"v\":1,\"seq\":1,\"kind\":\"notification\"}\n{\"v\":1,\"seq\":2,\"kind\":\"no";
    std::fs::write(&out, yesterday).unwrap_or_else(|err| panic!("{err}"));
    let port = free_port(); // nothing listens here
    for extra in [&[][..], &["--append"][..]] {
        let output = subscope()
            .args(["record", "--endpoint", &format!("ws://127.0.0.1:{port}/mistyped")])
            .args(["--subscribe", r#"{"method":"slotSubscribe"}"#, "--count", "1", "--out"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap_or_else(|err| panic!("{err}"));
        assert!(!output.status.success());
        assert_eq!(std::fs::read(&out).unwrap_or_default(), yesterday, "the file is byte for byte as it was");
    }
    // A file that did not exist is not left behind empty.
    let fresh = dir.path().join("never.ndjson");
    let output = subscope()
        .args(["record", "--endpoint", &format!("ws://127.0.0.1:{port}")])
        .args(["--subscribe", r#"{"method":"slotSubscribe"}"#, "--count", "1", "--out"])
        .arg(&fresh)
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(!output.status.success());
    assert!(!fresh.exists(), "no empty file for a run that never started");
}

#[test]
fn append_adds_whole_lines_after_what_was_there() {
    let demo = DemoProcess::start(1.0);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let out = dir.path().join("slots.ndjson");
    let record = || {
        let output = subscope()
            .args(["record", "--endpoint", &format!("ws://127.0.0.1:{}", demo.port)])
            .args(["--subscribe", r#"{"method":"slotSubscribe"}"#, "--count", "2", "--append", "--out"])
            .arg(&out)
            .output()
            .unwrap_or_else(|err| panic!("{err}"));
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    };
    record();
    let first = lines(&out);
    record();
    let both = lines(&out);
    assert_eq!(&both[..first.len()], &first[..], "the first run's lines are kept as they were");
    assert!(both.len() > first.len() + 1, "the second run's lines follow");
}

#[test]
fn a_run_replaces_what_an_existing_out_file_held_and_writes_a_new_one() {
    let demo = DemoProcess::start(1.0);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let record = |out: &std::path::Path| {
        let output = subscope()
            .args(["record", "--endpoint", &format!("ws://127.0.0.1:{}", demo.port)])
            .args(["--subscribe", r#"{"method":"slotSubscribe"}"#, "--count", "2", "--out"])
            .arg(out)
            .output()
            .unwrap_or_else(|err| panic!("{err}"));
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    };
    // Longer than what the run writes: nothing of it may be left at the end.
    let old = dir.path().join("old.ndjson");
    std::fs::write(&old, "{\"old\":true}\n".repeat(10_000)).unwrap_or_else(|err| panic!("{err}"));
    record(&old);
    let replaced = lines(&old);
    assert!(replaced.iter().all(|line| line.get("old").is_none()), "the old lines are gone");
    assert_eq!(replaced.iter().filter(|line| line["kind"] == "notification").count(), 2);
    // An empty file and a new one are written the same way.
    let empty = dir.path().join("empty.ndjson");
    std::fs::write(&empty, "").unwrap_or_else(|err| panic!("{err}"));
    record(&empty);
    let new = dir.path().join("new.ndjson");
    record(&new);
    for path in [&empty, &new] {
        let written = lines(path);
        assert_eq!(
            written.iter().filter(|line| line["kind"] == "notification").count(),
            2,
            "{}",
            path.display()
        );
    }
}

/// Every notification line of an NDJSON text parses; returns how many lines there are.
fn whole_lines(text: &str) -> usize {
    for line in text.lines() {
        serde_json::from_str::<Value>(line)
            .unwrap_or_else(|err| panic!("a partial line ({err}): {line:.120}"));
    }
    text.lines().count()
}

#[test]
fn bad_values_are_refused_with_exit_code_2_and_nothing_panics() {
    let record = ["record", "--endpoint", "ws://127.0.0.1:1", "--subscribe", r#"{"method":"slotSubscribe"}"#];
    let refused: [&[&str]; 14] = [
        &["--duration", "nan"],
        &["--duration", "inf"],
        &["--duration=-1"],
        &["--duration", "0"],
        &["--duration", "1e19"],
        &["--duration", "abc"],
        &["--duration", "5x"],
        &["--ping-interval", "1e20"],
        &["--ping-interval", "0"],
        &["--ping-interval", "NaN"],
        &["--count", "0"],
        &["--count=-1"],
        &["--count", "1e3"],
        &["--count", "18446744073709551616"],
    ];
    for extra in refused {
        let output = subscope().args(record).args(extra).output().unwrap_or_else(|err| panic!("{err}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{extra:?}: {stderr}");
        let flag = extra[0].split('=').next().unwrap_or_default();
        assert!(stderr.contains(flag) && !stderr.contains("panicked"), "{extra:?}: {stderr}");
    }
    let other: [(&[&str], i32); 7] = [
        (&["demo-server", "--port", "70000"], 2),
        (&["demo-server", "--speed", "nan"], 2),
        (&["record"], 2),
        (&["methods", "extra"], 2),
        (&["record", "--endpoint", "demo", "--subscribe", "{"], 2),
        (&["record", "--endpoint", "ws://[::1", "--subscribe", r#"{"method":"slotSubscribe"}"#], 1),
        (&["record", "--endpoint", "", "--subscribe", r#"{"method":"slotSubscribe"}"#, "--count", "1"], 1),
    ];
    for (args, code) in other {
        let output = subscope().args(args).output().unwrap_or_else(|err| panic!("{err}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.trim().is_empty(), "{args:?}: {stderr}");
    }
}

#[test]
fn count_stops_at_exactly_that_many_notifications() {
    let demo = DemoProcess::start(20.0);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let out = dir.path().join("count.ndjson");
    let url = format!("ws://127.0.0.1:{}", demo.port);
    let logs = r#"{"method":"logsSubscribe","params":["all"]}"#;
    let output = subscope()
        .args(["record", "--endpoint", &url, "--endpoint", &url])
        .args(["--subscribe", logs, "--subscribe", logs, "--subscribe", r#"{"method":"slotSubscribe"}"#])
        .args(["--count", "200", "--out"])
        .arg(&out)
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let notifications = lines(&out).iter().filter(|e| e["kind"] == "notification").count();
    assert_eq!(notifications, 200, "{stderr}");
    assert!(stderr.contains("(200 notifications)"), "{stderr}");
}

/// `record` with its stdout piped to a reader that never reads, and stderr in a file.
fn record_into_a_stalled_pipe(
    demo: &DemoProcess,
    stderr: &std::path::Path,
    extra: &[&str],
) -> std::process::Child {
    let logs = r#"{"method":"logsSubscribe","params":["all"]}"#;
    let url = format!("ws://127.0.0.1:{}", demo.port);
    subscope()
        .args(["record", "--endpoint", &url, "--subscribe", logs, "--subscribe", logs, "--subscribe", logs])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(stderr).unwrap_or_else(|err| panic!("{err}")))
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"))
}

/// Waits for a child to exit, at most `limit`; returns its code and how long it took.
fn wait_at_most(
    child: &mut std::process::Child,
    limit: std::time::Duration,
) -> (Option<i32>, std::time::Duration) {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|err| panic!("{err}")) {
            return (status.code(), started.elapsed());
        }
        if started.elapsed() > limit {
            child.kill().ok();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn signal(child: &std::process::Child, name: &str) {
    let sent = Process::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status();
    assert!(sent.is_ok_and(|status| status.success()), "kill -{name}");
}

#[test]
fn a_stalled_reader_neither_delays_the_duration_nor_hides_what_was_not_written() {
    let demo = DemoProcess::start(50.0);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let stderr = dir.path().join("stderr");
    let mut child = record_into_a_stalled_pipe(&demo, &stderr, &["--duration", "2"]);
    // 2 s of recording, then at most the 5 s flush allowance.
    let (code, took) = wait_at_most(&mut child, std::time::Duration::from_secs(15));
    let said = std::fs::read_to_string(&stderr).unwrap_or_default();
    assert!(took < std::time::Duration::from_secs(9), "took {took:?}: {said}");
    assert_eq!(code, Some(1), "events were left unwritten: {said}");
    assert!(said.contains("events could not be written"), "{said}");
}

#[test]
fn ctrl_c_takes_effect_while_the_output_is_blocked_and_a_second_one_ends_it_at_once() {
    let demo = DemoProcess::start(50.0);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let stderr = dir.path().join("stderr");
    let wait_subscribed = |path: &std::path::Path| {
        support::poll("the subscriptions", std::time::Duration::from_secs(20), || {
            std::fs::read_to_string(path).unwrap_or_default().contains("subscribed").then_some(())
        });
        std::thread::sleep(std::time::Duration::from_millis(1500)); // the pipe fills
    };

    let mut child = record_into_a_stalled_pipe(&demo, &stderr, &[]);
    wait_subscribed(&stderr);
    signal(&child, "INT");
    let (code, took) = wait_at_most(&mut child, std::time::Duration::from_secs(15));
    let said = std::fs::read_to_string(&stderr).unwrap_or_default();
    assert!(took < std::time::Duration::from_secs(7), "Ctrl-C took {took:?}: {said}");
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("events could not be written"), "{said}");

    let mut child = record_into_a_stalled_pipe(&demo, &stderr, &[]);
    wait_subscribed(&stderr);
    signal(&child, "INT");
    std::thread::sleep(std::time::Duration::from_millis(200));
    signal(&child, "INT");
    let (code, took) = wait_at_most(&mut child, std::time::Duration::from_secs(10));
    let said = std::fs::read_to_string(&stderr).unwrap_or_default();
    assert!(took < std::time::Duration::from_secs(1), "the second Ctrl-C took {took:?}: {said}");
    assert_eq!(code, Some(130), "{said}");
    assert!(said.contains("interrupted again"), "{said}");
}

#[test]
fn sigterm_stops_a_recording_cleanly_and_kill_9_leaves_only_whole_lines() {
    let demo = DemoProcess::start(50.0);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let url = format!("ws://127.0.0.1:{}", demo.port);
    let logs = r#"{"method":"logsSubscribe","params":["all"]}"#;
    let start = |out: &std::path::Path| {
        subscope()
            .args(["record", "--endpoint", &url, "--subscribe", logs, "--subscribe", logs, "--out"])
            .arg(out)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("{err}"))
    };
    let until_bytes = |out: &std::path::Path, bytes: u64| {
        support::poll("lines on disk", std::time::Duration::from_secs(20), || {
            (std::fs::metadata(out).map_or(0, |meta| meta.len()) >= bytes).then_some(())
        });
    };

    let out = dir.path().join("term.ndjson");
    let mut child = start(&out);
    until_bytes(&out, 50_000);
    signal(&child, "TERM");
    let (code, _) = wait_at_most(&mut child, std::time::Duration::from_secs(10));
    assert_eq!(code, Some(0), "SIGTERM is a clean stop");
    assert!(whole_lines(&std::fs::read_to_string(&out).unwrap_or_default()) > 50);

    // Killed outright at three different moments: never half a line.
    for (round, bytes) in [(0, 20_000), (1, 300_000), (2, 1_000_000)] {
        let out = dir.path().join(format!("killed-{round}.ndjson"));
        let mut child = start(&out);
        until_bytes(&out, bytes);
        child.kill().ok(); // SIGKILL
        child.wait().ok();
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        assert!(text.is_empty() || text.ends_with('\n'), "round {round} ends mid-line");
        whole_lines(&text);
    }
}

#[test]
fn a_full_disk_ends_the_run_with_its_cause() {
    let demo = DemoProcess::start(20.0);
    let full =
        std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap_or_else(|err| panic!("{err}"));
    let mut child = subscope()
        .args(["record", "--endpoint", &format!("ws://127.0.0.1:{}", demo.port)])
        .args(["--subscribe", r#"{"method":"logsSubscribe","params":["all"]}"#])
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    let (code, _) = wait_at_most(&mut child, std::time::Duration::from_secs(20));
    let mut said = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap_or_else(|| panic!("stderr")), &mut said)
        .ok();
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("No space left on device"), "{said}");
}

/// A disk that fills mid-run: a file size limit makes the kernel take what fits of a write and
/// refuse the rest, as a full disk does (`SIGXFSZ` ignored, so the write fails instead of the
/// process dying). The file keeps only whole lines, and the run says how many events it could
/// not write, which is exactly how many it took in less what the file holds.
#[test]
fn a_disk_that_fills_mid_run_leaves_only_whole_lines_and_counts_what_was_not_written() {
    let demo = DemoProcess::start(20.0);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let out = dir.path().join("full.ndjson");
    let logs = r#"{"method":"logsSubscribe","params":["all"]}"#;
    // 256 blocks of 512 bytes (dash's unit): 128 KiB, so the limit falls within a chunk.
    let mut child = Process::new("sh")
        .args(["-c", r#"trap '' XFSZ; ulimit -f 256; exec "$0" "$@""#, env!("CARGO_BIN_EXE_subscope")])
        .args(["record", "--endpoint", &format!("ws://127.0.0.1:{}", demo.port), "--subscribe", logs])
        .arg("--out")
        .arg(&out)
        .env_remove("SUBSCOPE_API_KEY")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    let (code, _) = wait_at_most(&mut child, std::time::Duration::from_secs(30));
    let mut said = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap_or_else(|| panic!("stderr")), &mut said)
        .ok();
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("File too large"), "the cause is named: {said}");
    let text = std::fs::read_to_string(&out).unwrap_or_else(|err| panic!("{err}"));
    assert!(text.len() > 100_000 && text.len() <= 256 * 512, "{} bytes", text.len());
    assert!(text.ends_with('\n'), "a cut line was left: {:?}", &text[text.len().saturating_sub(80)..]);
    let kept = whole_lines(&text);
    let not_written = said
        .split_whitespace()
        .collect::<Vec<_>>()
        .windows(3)
        .find(|words| matches!((words[1], words[2]), ("events", "were") | ("event", "was")))
        .and_then(|words| words[0].parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no count of the events not written: {said}"));
    assert!(not_written > 0 && kept > 0, "{said}");
}

/// `record` (or `compare`) with `--subscribe BODY` and `extra`, to an endpoint nothing listens on.
fn refused_subscribe(verb: &str, body: &str) -> (Option<i32>, String) {
    let output = subscope()
        .args([verb, "--endpoint", &format!("ws://127.0.0.1:{}", free_port()), "--subscribe", body])
        .args(["--count", "1"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_bad_subscribe_body_is_a_usage_error_that_says_what_is_wrong() {
    let cases = [
        ("nope", "not JSON"),
        ("{", "not JSON"),
        ("[1,2]", "must be a JSON object, not an array"),
        ("42", "must be a JSON object, not a number"),
        ("{}", r#"needs a non-empty "method""#),
        (r#"{"method":""}"#, r#"needs a non-empty "method""#),
        (r#"{"method":"  "}"#, r#"needs a non-empty "method""#),
        (r#"{"method":5}"#, r#""method" must be a string"#),
        (r#"{"method":"accountSubscribe","params":["0OIl0OIl"]}"#, "base58"),
    ];
    for verb in ["record", "compare"] {
        for (body, says) in cases {
            let (code, stderr) = refused_subscribe(verb, body);
            assert_eq!(code, Some(2), "{verb} {body}: {stderr}");
            assert!(stderr.contains("--subscribe") && stderr.contains(says), "{verb} {body}: {stderr}");
            assert!(!stderr.contains("connecting"), "refused before connecting: {stderr}");
        }
    }
}

#[test]
fn a_huge_bad_body_is_quoted_by_its_first_characters_only() {
    let filler = "x".repeat(120_000);
    let bodies = [
        format!(r#"{{"method":"slotSubscribe","params":["{filler}"#), // cut off: not JSON
        format!("[{}1]", "1,".repeat(60_000)),
        format!(r#"{{"method":"logsSubscribe","params":["all",{{"commitment":"{filler}"}}]}}"#),
        format!(r#"{{"method":"","params":["{filler}"]}}"#),
    ];
    for body in &bodies {
        let (code, stderr) = refused_subscribe("record", body);
        assert_eq!(code, Some(2), "{stderr:.2000}");
        assert!(stderr.len() < 1024, "{} bytes of stderr: {stderr:.2000}", stderr.len());
        assert!(stderr.contains(&body[..40]), "the start of the body is quoted: {stderr}");
    }
}

#[test]
fn a_time_far_too_large_is_called_too_large() {
    let endpoint = format!("ws://127.0.0.1:{}", free_port());
    let body = r#"{"method":"slotSubscribe"}"#;
    let cases: [&[&str]; 6] = [
        &["record", "--duration", "1e400"],
        &["record", "--duration", "1e19"],
        &["record", "--duration", "1E400s"],
        &["record", "--ping-interval", "1e400"],
        &["compare", "--grace", "1e400"],
        &["compare", "--duration", "2e400m"],
    ];
    for args in cases {
        let output = subscope()
            .args(&args[..1])
            .args(["--endpoint", &endpoint, "--subscribe", body])
            .args(&args[1..])
            .output()
            .unwrap_or_else(|err| panic!("{err}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("too large") && !stderr.contains("unit"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_demo_speed_far_too_large_is_called_too_large() {
    let output = subscope()
        .args(["demo-server", "--port", "0", "--speed", "1e400"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--speed") && stderr.contains("too large"), "{stderr}");
}

#[test]
fn a_port_in_use_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|err| panic!("{err}"));
    let port = taken.local_addr().unwrap_or_else(|err| panic!("{err}")).port().to_string();
    let har = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/chrome-websockets.har");
    let servers: [&[&str]; 2] = [&["demo-server", "--port", &port], &["replay", har, "--port", &port]];
    for args in servers {
        let output = subscope().args(args).output().unwrap_or_else(|err| panic!("{err}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(&format!("127.0.0.1:{port} is already in use")), "{args:?}: {stderr}");
    }
}

#[test]
fn one_notification_is_counted_in_the_singular() {
    let demo = DemoProcess::start(1.0);
    let url = format!("ws://127.0.0.1:{}", demo.port);
    let body = r#"{"method":"slotSubscribe"}"#;
    for verb in ["record", "compare"] {
        let output = subscope()
            .args([verb, "--endpoint", &url, "--subscribe", body, "--count", "1"])
            .output()
            .unwrap_or_else(|err| panic!("{err}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{verb}: {stderr}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(last.contains("1 notification") && !last.contains("1 notifications"), "{verb}: {last}");
        assert!(!last.contains(" 1 endpoints"), "{verb}: {last}");
    }
}

#[test]
fn a_gap_is_recovered_marked_in_the_file_and_counted_in_the_summary() {
    let demo = DemoProcess::start(20.0);
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|err| panic!("{err}"));
    let proxy = runtime.block_on(support::proxy::Proxy::start(demo.port));
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let out = dir.path().join("gap.ndjson");
    let heads = r#"{"method":"eth_subscribe","params":["newHeads"]}"#;
    let child = subscope()
        .args(["record", "--endpoint", &format!("ws://127.0.0.1:{}", proxy.port), "--subscribe", heads])
        .args(["--duration", "5", "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    support::poll("live heads", std::time::Duration::from_secs(20), || {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        (text.matches("\"kind\":\"notification\"").count() >= 3).then_some(())
    });
    proxy.cut();
    std::thread::sleep(std::time::Duration::from_millis(1200)); // about 24 blocks at 20x
    proxy.restore();
    let output = child.wait_with_output().unwrap_or_else(|err| panic!("{err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("recovered after reconnects"), "{stderr}");

    let events = lines(&out);
    let recovered: Vec<&Value> = events.iter().filter(|event| event.get("source").is_some()).collect();
    assert!(!recovered.is_empty(), "no recovered event in the file");
    for event in &recovered {
        assert_eq!(event["source"], serde_json::json!({"recovered": "gap", "via": "eth_getBlockByNumber"}));
        assert_eq!(event["kind"], "notification");
        assert!(event["frame"]["params"]["result"]["hash"].is_string(), "{event}");
    }
    // The last head seen at each height covers every height of the run.
    let mut heights: Vec<u64> = events
        .iter()
        .filter(|event| event["kind"] == "notification")
        .filter_map(|event| event["frame"]["params"]["result"]["number"].as_str())
        .filter_map(|hex| u64::from_str_radix(hex.trim_start_matches("0x"), 16).ok())
        .collect();
    heights.sort_unstable();
    heights.dedup();
    let (first, last) = (heights[0], heights[heights.len() - 1]);
    assert_eq!(heights, (first..=last).collect::<Vec<_>>(), "a height is missing");

    let shown = subscope().arg("show").arg(&out).output().unwrap_or_else(|err| panic!("{err}"));
    let shown = String::from_utf8_lossy(&shown.stdout);
    let rows: Vec<&str> = shown.lines().filter(|row| row.contains(" recovered ")).collect();
    assert_eq!(rows.len(), recovered.len(), "{shown}");
    // And `show --json` marks them as the capture does.
    let json = subscope().arg("show").arg(&out).arg("--json").output().unwrap_or_else(|err| panic!("{err}"));
    let marked = String::from_utf8_lossy(&json.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|row| row["source"] == serde_json::json!({"recovered": "gap", "via": "eth_getBlockByNumber"}))
        .count();
    assert_eq!(marked, recovered.len(), "show --json marks every recovered row");
    assert!(rows.iter().all(|row| row.contains("recovered (missed while")), "{shown}");
}

#[test]
fn rpc_urls_are_checked_before_anything_connects() {
    let subscribe = ["--subscribe", r#"{"method":"slotSubscribe"}"#];
    let key = "wsKeyInRpcUrl0123456789";
    let output = subscope()
        .args(["record", "--endpoint", "demo"])
        .args(subscribe)
        .args(["--rpc", &format!("wss://node.example/{key}")])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--rpc") && stderr.contains("http://") && !stderr.contains(key), "{stderr}");
    let output = subscope()
        .args(["record", "--endpoint", "demo", "--endpoint", "demo"])
        .args(subscribe)
        .args(["--rpc", "http://127.0.0.1:1/", "--duration", "1"])
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("one --rpc per --endpoint"), "{stderr}");
    let help = subscope().args(["record", "--help"]).output().unwrap_or_else(|err| panic!("{err}"));
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--no-backfill") && help.contains("By default, after every reconnect"), "{help}");
}
