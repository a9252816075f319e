//! `subscope monitor` end to end, as an operator runs it: a real Prometheus (Debian's
//! `prometheus`, installed by scripts/install-peers.sh) scrapes it while it watches a demo
//! server in another process, and PromQL through Prometheus's HTTP API reads what the
//! connections' faults cost. The shipped alert rules and dashboard are checked against the
//! metrics it serves; SIGHUP and SIGTERM as systemd sends them. Every address is 127.0.0.1.

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::demo::DemoProcess;
use support::{free_port, poll};

fn subscope() -> Process {
    let mut command = Process::new(env!("CARGO_BIN_EXE_subscope"));
    command.env_remove("SUBSCOPE_API_KEY");
    command
}

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/monitoring")
}

/// A child process killed when dropped (unless it has ended).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// `subscope monitor WORKSPACE --listen 127.0.0.1:PORT` with stderr in `log`; returns once
/// `/healthz` answers.
fn monitor(workspace: &Path, port: u16, log: &Path, env: &[(&str, &str)], extra: &[&str]) -> Running {
    let stderr = std::fs::File::create(log).unwrap_or_else(|err| panic!("{err}"));
    let child = subscope()
        .arg("monitor")
        .arg(workspace)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--log-format", "json"])
        .args(extra)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    let running = Running(child);
    poll("the monitor to serve /healthz", Duration::from_secs(20), || {
        try_get(port, "/healthz").filter(|(status, _)| *status == 200)
    });
    running
}

/// One HTTP/1.0 GET (no chunked answer): status and body, or `None` when nothing listens.
fn try_get(port: u16, target: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    write!(stream, "GET {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

fn get(port: u16, target: &str) -> (u16, String) {
    try_get(port, target).unwrap_or_else(|| panic!("GET {target} on {port} failed"))
}

/// The value of one sample line of an exposition (`name{labels} value`).
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, value.to_string()).unwrap_or_else(|err| panic!("{err}"));
}

/// A real Prometheus scraping 127.0.0.1:`target` every second, with the shipped rules.
struct Prometheus {
    _child: Running,
    port: u16,
}

impl Prometheus {
    fn start(dir: &Path, target: u16) -> Self {
        std::fs::copy(assets().join("alerts.yml"), dir.join("alerts.yml"))
            .unwrap_or_else(|err| panic!("{err}"));
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [alerts.yml]\n\
             scrape_configs:\n  - job_name: subscope\n    static_configs:\n      - targets: ['127.0.0.1:{target}']\n"
        );
        std::fs::write(dir.join("prometheus.yml"), config).unwrap_or_else(|err| panic!("{err}"));
        let port = free_port();
        let log = std::fs::File::create(dir.join("prometheus.log")).unwrap_or_else(|err| panic!("{err}"));
        let child = Process::new("prometheus")
            .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| panic!("prometheus (run scripts/install-peers.sh): {err}"));
        let prometheus = Self { _child: Running(child), port };
        poll("Prometheus to be ready", Duration::from_secs(30), || {
            try_get(port, "/-/ready").filter(|(status, _)| *status == 200)
        });
        prometheus
    }

    /// An instant PromQL query's single value, `None` while it has none.
    fn value(&self, query: &str) -> Option<f64> {
        let (status, body) = get(self.port, &format!("/api/v1/query?query={}", percent_encode(query)));
        assert_eq!(status, 200, "{query}: {body}");
        let answer: Value = serde_json::from_str(&body).unwrap_or_else(|err| panic!("{err}: {body}"));
        let result = answer["data"]["result"].as_array()?;
        assert!(result.len() <= 1, "{query} has several series: {answer}");
        result.first()?["value"][1].as_str()?.parse().ok().filter(|value: &f64| value.is_finite())
    }
}

/// A workspace on one demo server: a delayed and a dropping connection comparing slots.
fn faulty_pair(url: &str) -> Value {
    json!({
        "format": 1,
        "endpoints": [
            {"name": "delayed", "url": format!("{url}?delay_ms=300")},
            {"name": "dropping", "url": format!("{url}?drop_every=5"), "backfill": false}
        ],
        "subscriptions": [{"name": "slots", "method": "slotSubscribe"}],
        "groups": [{"name": "slots", "subscription": "slots", "grace_seconds": 1}]
    })
}

#[test]
fn prometheus_reads_the_delay_and_the_misses_of_two_faulty_connections() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let demo = DemoProcess::start(10.0);
    let url = demo.url.clone(); // 40 ms slots
    write_json(&dir.path().join("w.json"), &faulty_pair(&url));
    let port = free_port();
    let _monitor = monitor(&dir.path().join("w.json"), port, &dir.path().join("monitor.log"), &[], &[]);
    let prometheus = Prometheus::start(dir.path(), port);

    // Enough items for a share of a fifth to be read to a few per cent.
    let items = "subscope_compare_items_total{group=\"slots\"}";
    poll("150 items in Prometheus", Duration::from_secs(40), || {
        prometheus.value(items).filter(|n| *n >= 150.0)
    });
    let p50 = prometheus
        .value(r#"histogram_quantile(0.5, sum by (le) (rate(subscope_compare_lag_seconds_bucket{endpoint="delayed"}[1m])))"#)
        .unwrap_or_else(|| panic!("no p50"));
    assert!((0.255..=0.345).contains(&p50), "p50 lag of the delayed connection: {p50}");
    // Items are counted as they come, misses one grace window (1 s) later: the items of a
    // second ago are the ones whose misses are all counted now.
    let missed = r#"subscope_compare_missed_total{endpoint="dropping"} / ignoring(endpoint) (subscope_compare_items_total offset 1s)"#;
    let share = prometheus.value(missed).unwrap_or_else(|| panic!("no miss rate"));
    assert!((0.15..=0.25).contains(&share), "miss rate of the dropping connection: {share}");
    // A group that never held 65,536 items settled none early: its misses are all real.
    let early = prometheus.value(r#"subscope_compare_settled_early_total{group="slots"}"#);
    assert_eq!(early, Some(0.0), "exported, and none");
    eprintln!(
        "measured through Prometheus: p50 lag {p50:.3} s (delay_ms=300), miss rate {share:.3} (drop_every=5)"
    );
    let delayed_missed = prometheus.value(r#"subscope_compare_missed_total{endpoint="delayed"}"#);
    assert_eq!(delayed_missed, Some(0.0), "the delayed connection misses nothing");
    assert_eq!(prometheus.value(r#"subscope_connection_up{endpoint="dropping"}"#), Some(1.0));

    // Everything the dashboard and the alert rules ask for is served.
    let (_, metrics) = get(port, "/metrics");
    let dashboard = std::fs::read_to_string(assets().join("grafana-dashboard.json")).unwrap_or_default();
    let rules = std::fs::read_to_string(assets().join("alerts.yml")).unwrap_or_default();
    let mut asked = metric_names(&dashboard);
    asked.extend(metric_names(&rules));
    assert!(asked.len() >= 10, "{asked:?}");
    for name in asked {
        assert!(
            metrics.lines().any(|line| line.starts_with(&format!("{name}{{"))),
            "{name} is not in /metrics"
        );
    }
}

/// The `subscope_…` names a text refers to.
fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("subscope_") {
        let name: String =
            rest[at..].chars().take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '_').collect();
        rest = &rest[at + name.len()..];
        // The dashboard's uid and the unit's name are not metrics.
        if name != "subscope_monitor" {
            names.insert(name);
        }
    }
    names
}

#[test]
fn the_alert_rules_pass_promtool_and_their_unit_tests() {
    for args in [["check", "rules", "alerts.yml"], ["test", "rules", "alerts.test.yml"]] {
        let output = Process::new("promtool")
            .args(args)
            .current_dir(assets())
            .output()
            .unwrap_or_else(|err| panic!("promtool (run scripts/install-peers.sh): {err}"));
        let said =
            String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "promtool {args:?}: {said}");
        assert!(said.contains("SUCCESS"), "{said}");
    }
}

#[test]
fn sighup_applies_the_changed_workspace_and_sigterm_exits_0_within_5_seconds() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let demo = DemoProcess::start(5.0);
    let url = demo.url.clone();
    let path = dir.path().join("w.json");
    let before = json!({
        "format": 1,
        "endpoints": [{"name": "a", "url": url}, {"name": "b", "url": format!("{url}?delay_ms=20")}],
        "subscriptions": [
            {"name": "slots", "method": "slotSubscribe"},
            {"name": "roots", "method": "rootSubscribe", "endpoints": ["a"]}
        ],
        "groups": [{"name": "slots", "subscription": "slots", "grace_seconds": 1}]
    });
    write_json(&path, &before);
    let port = free_port();
    let captures = dir.path().join("captures");
    let out = captures.to_string_lossy().into_owned();
    let mut monitor =
        monitor(&path, port, &dir.path().join("monitor.log"), &[], &["--out", &out, "--rotate-every", "1.5"]);
    let slots = r#"subscope_notifications_total{endpoint="a",subscription="slots"}"#;
    let roots = r#"subscope_notifications_total{endpoint="a",subscription="roots"}"#;
    let counted = poll("slots and roots counted", Duration::from_secs(20), || {
        let (_, metrics) = get(port, "/metrics");
        let slots = sample(&metrics, slots).filter(|n| *n >= 10.0)?;
        sample(&metrics, roots).filter(|n| *n >= 1.0).map(|_| slots)
    });
    let items = |metrics: &str| sample(metrics, r#"subscope_compare_items_total{group="slots"}"#);
    let items_before = items(&get(port, "/metrics").1).unwrap_or_default();

    // Roots leave, blocks-of-slots (slotsUpdates) come; slots stay untouched on both.
    let mut after = before.clone();
    after["subscriptions"][1] =
        json!({"name": "updates", "method": "slotsUpdatesSubscribe", "endpoints": ["b"]});
    write_json(&path, &after);
    let pid = monitor.0.id().to_string();
    let sent = Process::new("kill").args(["-HUP", &pid]).status().unwrap_or_else(|err| panic!("{err}"));
    assert!(sent.success());
    let updates = r#"subscope_notifications_total{endpoint="b",subscription="updates"}"#;
    poll("the reload applied", Duration::from_secs(20), || {
        let (_, metrics) = get(port, "/metrics");
        let applied =
            sample(&metrics, updates).is_some_and(|n| n >= 1.0) && sample(&metrics, roots).is_none();
        applied.then_some(())
    });
    // The untouched subscription and group count on from where they were (a counter that was
    // reset would start again below them).
    poll("the untouched counters going on", Duration::from_secs(10), || {
        let (_, metrics) = get(port, "/metrics");
        let slots_after = sample(&metrics, slots)?;
        assert!(slots_after >= counted, "the slots counter went back from {counted} to {slots_after}");
        let items_after = items(&metrics)?;
        assert!(
            items_after >= items_before,
            "the group's items went back from {items_before} to {items_after}"
        );
        (slots_after >= counted + 10.0 && items_after >= items_before + 10.0).then_some(())
    });
    assert_eq!(get(port, "/readyz").0, 200);

    let pid = monitor.0.id().to_string();
    let asked = Instant::now();
    let sent = Process::new("kill").args(["-TERM", &pid]).status().unwrap_or_else(|err| panic!("{err}"));
    assert!(sent.success());
    let status = poll("the monitor to exit", Duration::from_secs(5), || monitor.0.try_wait().ok().flatten());
    assert!(status.success(), "{status:?}");
    assert!(asked.elapsed() < Duration::from_secs(5));
    let log = std::fs::read_to_string(dir.path().join("monitor.log")).unwrap_or_default();
    for line in log.lines() {
        let event: Value = serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}"));
        assert!(event["event"].is_string() && event["ts"].is_string(), "{line}");
    }
    for event in ["\"reloaded\"", "\"unsubscribed\"", "\"stopped\""] {
        assert!(log.contains(event), "{event} in {log}");
    }
    // The captures rotated while it ran, each closed gzip'd, and read as captures by `show`.
    let files = capture_files(&captures);
    assert!(files.len() >= 2, "{files:?}");
    assert!(files.iter().all(|file| file.to_string_lossy().ends_with(".ndjson.gz")), "{files:?}");
    let mut shown = 0;
    for file in &files {
        let output = subscope().arg("show").arg(file).output().unwrap_or_else(|err| panic!("{err}"));
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        shown += String::from_utf8_lossy(&output.stdout).lines().filter(|line| line.contains("slot")).count();
    }
    assert!(shown as f64 >= slots_total(&files), "{shown}");
}

/// The files in a capture folder, by name.
fn capture_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// The text of gzip'd capture files.
fn unzipped(files: &[PathBuf]) -> String {
    let mut text = String::new();
    for file in files {
        let reader = std::fs::File::open(file).unwrap_or_else(|err| panic!("{err}"));
        flate2::read::MultiGzDecoder::new(reader)
            .read_to_string(&mut text)
            .unwrap_or_else(|err| panic!("{err}"));
    }
    text
}

/// How many slot notifications capture files hold.
fn slots_total(files: &[PathBuf]) -> f64 {
    unzipped(files).lines().filter(|line| line.contains("slotNotification")).count() as f64
}

#[test]
fn neither_metrics_nor_logs_ever_show_a_key() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let demo = DemoProcess::start(5.0);
    let url = demo.url.clone();
    let (env_key, file_key, header_key) =
        ("envkey0123456789abcdef", "filekey0123456789abcdef", "hdrkey0123456789abcdef");
    let key_file = dir.path().join("keys.env");
    std::fs::write(&key_file, format!("from-file={file_key}\nheader={header_key}\n"))
        .unwrap_or_else(|err| panic!("{err}"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600))
            .unwrap_or_else(|err| panic!("{err}"));
    }
    let workspace = json!({
        "format": 1,
        "key_file": "keys.env",
        "endpoints": [
            {"name": "from-env", "url": format!("{url}?api-key={{api_key}}")},
            {"name": "from-file", "url": format!("{url}v2/{{api_key}}?drop_every=3")},
            {"name": "header", "url": url, "headers": [["Authorization", "Bearer {api_key}"]]}
        ],
        "subscriptions": [{"name": "slots", "method": "slotSubscribe"}],
        "groups": [{"name": "slots", "subscription": "slots"}]
    });
    write_json(&dir.path().join("w.json"), &workspace);
    let port = free_port();
    let log = dir.path().join("monitor.log");
    let captures = dir.path().join("captures");
    let out = captures.to_string_lossy().into_owned();
    let env = [("SUBSCOPE_KEY_FROM_ENV", env_key)];
    let mut monitor = monitor(&dir.path().join("w.json"), port, &log, &env, &["--out", &out]);
    let metrics = poll("every endpoint delivering", Duration::from_secs(20), || {
        let (_, metrics) = get(port, "/metrics");
        ["from-env", "from-file", "header"]
            .iter()
            .all(|name| {
                sample(
                    &metrics,
                    &format!(r#"subscope_notifications_total{{endpoint="{name}",subscription="slots"}}"#),
                )
                .is_some_and(|n| n >= 3.0)
            })
            .then_some(metrics)
    });
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    for key in [env_key, file_key, header_key] {
        assert!(!metrics.contains(key), "{key} in /metrics");
        assert!(!log_text.contains(key), "{key} in the log");
    }
    assert!(!metrics.contains("127.0.0.1"), "no URL in /metrics");
    let pid = monitor.0.id().to_string();
    Process::new("kill").args(["-TERM", &pid]).status().unwrap_or_else(|err| panic!("{err}"));
    poll("the monitor to exit", Duration::from_secs(5), || monitor.0.try_wait().ok().flatten());
    let captured = unzipped(&capture_files(&captures));
    assert!(captured.contains("slotNotification"), "{captured}");
    for key in [env_key, file_key, header_key] {
        assert!(!captured.contains(key), "{key} in the capture");
    }

    // A key left in the workspace's URL is refused before anything connects, unshown.
    let pasted = json!({"format": 1, "endpoints": [{"name": "x", "url": format!("{url}v2/{file_key}")}]});
    write_json(&dir.path().join("pasted.json"), &pasted);
    let output = subscope()
        .arg("monitor")
        .arg(dir.path().join("pasted.json"))
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("{api_key}") && !stderr.contains(file_key), "{stderr}");
}

/// From its very first answer, before the monitor has tried any connection, `/readyz` says
/// not ready (a probe that asked in the first milliseconds was told "ready").
#[test]
fn readyz_is_not_ready_from_its_first_answer_until_a_node_is_up() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let node_port = free_port(); // nothing listens there
    let workspace = json!({
        "format": 1,
        "endpoints": [{"name": "absent", "url": format!("ws://127.0.0.1:{node_port}/")}],
        "subscriptions": [{"name": "slots", "method": "slotSubscribe"}]
    });
    write_json(&dir.path().join("w.json"), &workspace);
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("monitor.log")).unwrap_or_else(|err| panic!("{err}"));
    let child = subscope()
        .arg("monitor")
        .arg(dir.path().join("w.json"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    let _monitor = Running(child);
    // Asked as soon as the port takes connections, and every millisecond for a while after.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut answers = Vec::new();
    while answers.len() < 200 {
        assert!(std::time::Instant::now() < deadline, "/readyz never answered");
        if let Some((status, body)) = try_get(port, "/readyz") {
            answers.push((status, body.trim().to_owned()));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let ready = answers.iter().position(|(status, _)| *status != 503);
    assert_eq!(ready, None, "answer {ready:?} of {}: {:?}", answers.len(), ready.map(|at| &answers[at]));
    assert_eq!(answers[0], (503, "not connected: absent".to_owned()));
}

/// An endpoint that a SIGHUP reload adds is not ready until it connects, from /readyz's first
/// answer after the reload (it answered "ready" until the next tick looked).
#[test]
fn an_endpoint_a_reload_adds_is_not_ready_from_the_reload_on() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let demo = DemoProcess::start(5.0);
    let path = dir.path().join("w.json");
    let mut workspace = json!({
        "format": 1,
        "endpoints": [{"name": "a", "url": demo.url}],
        "subscriptions": [{"name": "slots", "method": "slotSubscribe"}]
    });
    write_json(&path, &workspace);
    let port = free_port();
    let log = dir.path().join("monitor.log");
    let monitor = monitor(&path, port, &log, &[], &[]);
    poll("a connected", Duration::from_secs(20), || (get(port, "/readyz").0 == 200).then_some(()));

    let absent = free_port(); // nothing listens there
    workspace["endpoints"] = json!([
        {"name": "a", "url": demo.url},
        {"name": "absent", "url": format!("ws://127.0.0.1:{absent}/")}
    ]);
    write_json(&path, &workspace);
    let pid = monitor.0.id().to_string();
    let sent = Process::new("kill").args(["-HUP", &pid]).status().unwrap_or_else(|err| panic!("{err}"));
    assert!(sent.success());
    // Asked the moment the reload is logged, well inside the 250 ms tick.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&log).unwrap_or_default().contains("\"reloaded\"") {
        assert!(Instant::now() < deadline, "the reload was never logged");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(get(port, "/readyz"), (503, "not connected: absent\n".to_owned()));
}

#[test]
fn a_node_down_at_start_is_tried_again_until_it_comes_up_and_readyz_says_so() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let node_port = free_port(); // nothing listens there yet
    let workspace = json!({
        "format": 1,
        "endpoints": [
            {"name": "late-node", "url": format!("ws://127.0.0.1:{node_port}/")},
            {"name": "late-slow", "url": format!("ws://127.0.0.1:{node_port}/?delay_ms=50")}
        ],
        "subscriptions": [{"name": "slots", "method": "slotSubscribe"}],
        "groups": [{"name": "slots", "subscription": "slots", "grace_seconds": 1}]
    });
    write_json(&dir.path().join("w.json"), &workspace);
    let port = free_port();
    let _monitor = monitor(&dir.path().join("w.json"), port, &dir.path().join("monitor.log"), &[], &[]);
    let (status, body) = get(port, "/readyz");
    assert_eq!((status, body.trim()), (503, "not connected: late-node, late-slow"));
    let (_, metrics) = get(port, "/metrics");
    assert_eq!(sample(&metrics, r#"subscope_connection_up{endpoint="late-node"}"#), Some(0.0));
    // A subscription that has delivered nothing ages from when it was first sent, through
    // the tries to connect (made 0.5, 1.5, 3.5, 7.5 s in: an age that started again with
    // each would not reach 5 s before 9).
    let age = r#"subscope_last_notification_age_seconds{endpoint="late-node",subscription="slots"}"#;
    poll("the silent subscription aging past 5 s", Duration::from_secs(9), || {
        sample(&get(port, "/metrics").1, age).filter(|seconds| *seconds >= 5.0)
    });

    let demo = subscope()
        .args(["demo-server", "--port", &node_port.to_string(), "--speed", "5"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    let _demo = Running(demo);
    let slots = r#"subscope_notifications_total{endpoint="late-node",subscription="slots"}"#;
    poll("the late node connected and notifying", Duration::from_secs(30), || {
        let (_, metrics) = get(port, "/metrics");
        let up = sample(&metrics, r#"subscope_connection_up{endpoint="late-node"}"#) == Some(1.0);
        (up && sample(&metrics, slots).is_some_and(|n| n >= 5.0)).then_some(())
    });
    // The subscriptions sent again from scratch are compared as the first ones would have been.
    let lags = r#"subscope_compare_lag_seconds_count{group="slots",endpoint="late-slow"}"#;
    poll("the late subscriptions compared", Duration::from_secs(20), || {
        let (_, metrics) = get(port, "/metrics");
        sample(&metrics, lags).filter(|count| *count >= 5.0)
    });
    assert_eq!(get(port, "/readyz").0, 200);
    // The tries before they came up left one series per subscription, counting on.
    let (_, metrics) = get(port, "/metrics");
    assert_eq!(metrics.lines().filter(|line| line.starts_with("subscope_notifications_total{")).count(), 2);
}

#[test]
fn a_disk_that_fills_leaves_captures_of_whole_lines_says_why_and_writes_again_later() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let demo = DemoProcess::start(20.0);
    let path = dir.path().join("w.json");
    let workspace = json!({
        "format": 1,
        "endpoints": [{"name": "a", "url": demo.url}],
        "subscriptions": [{"name": "logs", "method": "logsSubscribe", "params": ["all"]}]
    });
    write_json(&path, &workspace);
    let port = free_port();
    let captures = dir.path().join("captures");
    let log = dir.path().join("monitor.log");
    // A file may grow to 255 blocks of 512 bytes (dash's unit), not a multiple of any buffer:
    // the limit falls inside a line, as a full disk's does, and again in each new file.
    let child = Process::new("sh")
        .args(["-c", r#"trap '' XFSZ; ulimit -f 255; exec "$0" "$@""#, env!("CARGO_BIN_EXE_subscope")])
        .arg("monitor")
        .arg(&path)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--log-format", "json", "--out"])
        .arg(&captures)
        .env_remove("SUBSCOPE_API_KEY")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap_or_else(|err| panic!("{err}")))
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    let mut monitor = Running(child);
    // Once the file is full, what arrives is counted lost, and the log says why at once.
    poll("events lost once the file is full", Duration::from_secs(60), || {
        let (_, metrics) = try_get(port, "/metrics")?;
        sample(&metrics, "subscope_capture_dropped_events_total").filter(|dropped| *dropped > 0.0)
    });
    poll("the failure logged", Duration::from_secs(10), || {
        let said = std::fs::read_to_string(&log).ok()?;
        (said.contains("capture_failed") && said.contains("File too large")).then_some(())
    });
    // Ten seconds on, a new file is written.
    poll("a second capture file", Duration::from_secs(30), || {
        (capture_files(&captures).len() >= 2).then_some(())
    });
    let pid = monitor.0.id().to_string();
    Process::new("kill").args(["-TERM", &pid]).status().unwrap_or_else(|err| panic!("{err}"));
    poll("the monitor to exit", Duration::from_secs(10), || monitor.0.try_wait().ok().flatten());

    let files = capture_files(&captures);
    assert!(files.len() >= 2, "{files:?}");
    for (index, file) in files.iter().enumerate() {
        assert!(file.to_string_lossy().ends_with(".ndjson.gz"), "closed and gzip'd: {file:?}");
        let text = unzipped(std::slice::from_ref(file));
        if index == 0 {
            assert!(text.len() > 100_000 && text.len() <= 255 * 512, "{} bytes", text.len());
        }
        assert!(text.ends_with('\n'), "a cut line was left: {:?}", &text[text.len().saturating_sub(80)..]);
        for line in text.lines() {
            assert!(serde_json::from_str::<Value>(line).is_ok(), "not a whole line: {line:?}");
        }
    }
}
