//! Soak benchmark (issue 9, item 7): `subscope record` holding 50 connections × 20
//! subscriptions to the demo server for 10 minutes, its memory sampled every 10 s, and every
//! notification accounted for.
//!
//! Both sides are the real binary in their own processes: `subscope demo-server --port 0`, and
//! `subscope record` with one `--endpoint` per connection (the server's URL with a path of its
//! own, so each connection has its own label in the capture) and the same `--subscribe` bodies
//! on each, writing NDJSON to a file. At the end the recording is stopped with SIGINT, as a user
//! stops it, and the file is read back.
//!
//! The truth source for "no notification lost" is the demo server's numbering: each
//! connection announces slots (and blocks) one after the other, so for every subscription whose
//! notifications name their slot or block (slot, root, logs, slotsUpdates, vote, block,
//! newHeads, eth logs) the values a connection received must have no holes, and every
//! connection must have received the same values over the window they were all recording (for
//! those with one notification per slot or block: the same number of each). Subscriptions
//! whose notifications are random per connection (accounts, programs, mentions, pending
//! transactions) are counted only. `record`'s own summary must count the lines in the file, and
//! must not report events lost because the output could not keep up.
//!
//! Run: `cargo bench --no-default-features --bench soak` with DURATION_SECS=600 CONNECTIONS=50
//! SUBS=20 SAMPLE_SECS=10 WARMUP_SECS=60 by default (SOAK_OUT=FILE keeps the capture). Target:
//! resident memory at most 5 % above its value after the first minute, for the rest of the run;
//! no notification lost.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The subscope binary under test.
const SUBSCOPE: &str = env!("CARGO_BIN_EXE_subscope");

/// Allowed resident memory growth after the warm-up.
const MAX_GROWTH: f64 = 0.05;

/// How long `record` may take to exit after SIGINT.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long every connection and subscription may take to come up.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// What the notifications of a subscription say about their own completeness.
#[derive(Clone, Copy)]
enum Sequence {
    /// Random per connection: counted only.
    None,
    /// Each notification names a slot or block; every value from the first to the last must
    /// arrive, possibly several times (a random number of logs per slot).
    Values(fn(&Value) -> Option<u64>),
    /// As `Values`, and each value arrives a fixed number of times on every connection.
    Exact(fn(&Value) -> Option<u64>),
}

/// A notification's `params.result`.
fn result(frame: &Value) -> &Value {
    &frame["params"]["result"]
}

/// A `0x…` quantity.
fn quantity(value: &Value) -> Option<u64> {
    u64::from_str_radix(value.as_str()?.strip_prefix("0x")?, 16).ok()
}

fn slot(frame: &Value) -> Option<u64> {
    result(frame)["slot"].as_u64()
}

fn root(frame: &Value) -> Option<u64> {
    result(frame).as_u64()
}

fn context_slot(frame: &Value) -> Option<u64> {
    result(frame)["context"]["slot"].as_u64()
}

/// One `frozen` update per slot (each slot also gets several other updates, some for other slots).
fn frozen_slot(frame: &Value) -> Option<u64> {
    let update = result(frame);
    if update["type"] == "frozen" { update["slot"].as_u64() } else { None }
}

/// A vote's newest slot.
fn vote_slot(frame: &Value) -> Option<u64> {
    result(frame)["slots"].as_array()?.last()?.as_u64()
}

fn head_number(frame: &Value) -> Option<u64> {
    quantity(&result(frame)["number"])
}

fn log_block(frame: &Value) -> Option<u64> {
    quantity(&result(frame)["blockNumber"])
}

/// The subscriptions every connection makes, in this order (SUBS takes the first ones).
const BODIES: [(&str, Sequence); 20] = [
    (r#"{"method":"slotSubscribe"}"#, Sequence::Exact(slot)),
    (r#"{"method":"rootSubscribe"}"#, Sequence::Exact(root)),
    (r#"{"method":"eth_subscribe","params":["newHeads"]}"#, Sequence::Exact(head_number)),
    (r#"{"method":"logsSubscribe","params":["all"]}"#, Sequence::Values(context_slot)),
    (r#"{"method":"eth_subscribe","params":["logs",{}]}"#, Sequence::Values(log_block)),
    (
        r#"{"method":"accountSubscribe","params":["9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM",{"encoding":"base64"}]}"#,
        Sequence::None,
    ),
    (
        r#"{"method":"programSubscribe","params":["TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",{"encoding":"jsonParsed","filters":[{"dataSize":165}]}]}"#,
        Sequence::None,
    ),
    (
        r#"{"method":"logsSubscribe","params":["allWithVotes",{"commitment":"confirmed"}]}"#,
        Sequence::Values(context_slot),
    ),
    (
        r#"{"method":"logsSubscribe","params":["all",{"commitment":"processed"}]}"#,
        Sequence::Values(context_slot),
    ),
    (
        r#"{"method":"eth_subscribe","params":["logs",{"address":["0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"]}]}"#,
        Sequence::Values(log_block),
    ),
    (
        r#"{"method":"eth_subscribe","params":["logs",{"topics":["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"]}]}"#,
        Sequence::Values(log_block),
    ),
    (r#"{"method":"slotsUpdatesSubscribe"}"#, Sequence::Exact(frozen_slot)),
    (r#"{"method":"voteSubscribe"}"#, Sequence::Exact(vote_slot)),
    (
        r#"{"method":"blockSubscribe","params":["all",{"transactionDetails":"signatures"}]}"#,
        Sequence::Exact(context_slot),
    ),
    (
        r#"{"method":"accountSubscribe","params":["7cVfgArCheMR6Cs4t6vz5rfnqd56vZq4ndaBrY5xkxXy",{"encoding":"jsonParsed","commitment":"confirmed"}]}"#,
        Sequence::None,
    ),
    (
        r#"{"method":"programSubscribe","params":["11111111111111111111111111111111",{"encoding":"base64","commitment":"processed"}]}"#,
        Sequence::None,
    ),
    (
        r#"{"method":"logsSubscribe","params":[{"mentions":["Vote111111111111111111111111111111111111111"]}]}"#,
        Sequence::None,
    ),
    (r#"{"method":"eth_subscribe","params":["newPendingTransactions"]}"#, Sequence::None),
    (r#"{"method":"eth_subscribe","params":["newPendingTransactions",true]}"#, Sequence::None),
    (
        r#"{"method":"eth_subscribe","params":["alchemy_minedTransactions",{"hashesOnly":true}]}"#,
        Sequence::None,
    ),
];

/// A whole-number setting from the environment.
fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A process killed (and reaped) when dropped, unless it has already exited.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            self.0.kill().ok();
        }
        self.0.wait().ok();
    }
}

/// Starts `subscope demo-server --port 0` and returns it with its URL.
fn start_demo_server() -> (Guard, String) {
    let mut child = Command::new(SUBSCOPE)
        .args(["demo-server", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|err| panic!("demo-server: {err}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("demo-server: no stdout"));
    let guard = Guard(child);
    let mut url = String::new();
    BufReader::new(stdout).read_line(&mut url).unwrap_or_else(|err| panic!("demo-server: {err}"));
    let url = url.trim().to_owned();
    assert!(url.starts_with("ws://127.0.0.1:"), "demo-server printed {url:?}");
    (guard, url)
}

/// A field of /proc/PID/status in kB (`VmRSS`, `VmHWM`).
fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field) && line[field.len()..].starts_with(':'))?;
    line[field.len() + 1..].split_whitespace().next()?.parse().ok()
}

/// User + system CPU seconds of a process, from /proc/PID/stat (clock ticks of 1/100 s).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Sends SIGINT, as Ctrl-C does (with `kill`: this crate forbids `unsafe`).
fn interrupt(pid: u32) {
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap_or_else(|err| panic!("kill: {err}"));
    assert!(status.success(), "kill -INT {pid}: {status}");
}

/// Waits for a child to exit, up to `timeout`.
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// Why `record` may refuse to start: it sends one command per connection and subscription
/// without waiting, and the backend's command queue holds 1,024.
const BUSY: &str = "the backend is busy";

/// How often a start that failed with [`BUSY`] is tried again.
const BUSY_ATTEMPTS: usize = 3;

/// Starts `subscope record` and waits until all `expected` subscriptions are active. Returns it,
/// when it was started, and how many earlier attempts failed with [`BUSY`] (reported, not hidden).
fn start_record(args: &[String], stderr_path: &Path, expected: usize) -> (Guard, Instant, usize) {
    for attempt in 1..=BUSY_ATTEMPTS {
        let stderr =
            File::create(stderr_path).unwrap_or_else(|err| panic!("{}: {err}", stderr_path.display()));
        let started = Instant::now();
        let mut record = Guard(
            Command::new(SUBSCOPE)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .unwrap_or_else(|err| panic!("subscope record: {err}")),
        );
        // Every connection and subscription up, or the soak is pointless.
        loop {
            let messages = std::fs::read_to_string(stderr_path).unwrap_or_default();
            let subscribed = messages.lines().filter(|line| line.starts_with("subscope: subscribed")).count();
            if subscribed >= expected {
                println!(
                    "all {expected} subscriptions active after {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                return (record, started, attempt - 1);
            }
            if let Ok(Some(status)) = record.0.try_wait() {
                let last = messages.lines().last().unwrap_or_default();
                if last.contains(BUSY) && attempt < BUSY_ATTEMPTS {
                    println!("NOTE: subscope record failed to start ({status}): {last}; trying again");
                    break;
                }
                panic!("subscope record exited ({status}) during start:\n{messages}");
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "only {subscribed} of {expected} subscribed:\n{messages}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    unreachable!("the last attempt returns or panics")
}

/// What one connection received for one subscription.
#[derive(Default)]
struct Received {
    notifications: u64,
    /// How often each slot or block number arrived (for subscriptions with a sequence).
    values: BTreeMap<u64, u32>,
}

/// Everything read back from the capture.
#[derive(Default)]
struct Capture {
    lines: u64,
    /// Per connection label, per body index.
    received: BTreeMap<String, Vec<Received>>,
    /// Meta records other than "connected to …" (lost connections, gaps), with their count.
    incidents: BTreeMap<String, u64>,
    /// Error responses, refused subscriptions, frames that were not JSON.
    errors: u64,
    /// Notifications that matched no `--subscribe` body.
    unmatched: u64,
}

/// Reads the NDJSON capture.
fn read_capture(path: &Path, bodies: &[(Value, Sequence)]) -> Capture {
    let file = File::open(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let mut capture = Capture::default();
    // Subscription key → body index.
    let mut body_of: HashMap<u64, Option<usize>> = HashMap::new();
    for (number, line) in BufReader::with_capacity(1 << 20, file).lines().enumerate() {
        let line = line.unwrap_or_else(|err| panic!("{}:{}: {err}", path.display(), number + 1));
        let event: Value = serde_json::from_str(&line).unwrap_or_else(|err| {
            panic!("{}:{} is not a whole JSON line: {err}", path.display(), number + 1)
        });
        capture.lines += 1;
        let connection = event["connection"].as_str().unwrap_or_default();
        match event["kind"].as_str().unwrap_or_default() {
            "notification" => {}
            "meta" => {
                let text = event["frame"]["subscope"].as_str().unwrap_or_default();
                if !text.starts_with("connected to") {
                    let first_words: String = text.split(':').next().unwrap_or_default().to_owned();
                    *capture.incidents.entry(first_words).or_default() += 1;
                }
                continue;
            }
            "error" | "not_json" | "binary" | "unknown" => {
                capture.errors += 1;
                continue;
            }
            _ => continue,
        }
        let subscription = &event["subscription"];
        let key = subscription["key"].as_u64().unwrap_or(u64::MAX);
        let body = *body_of.entry(key).or_insert_with(|| {
            bodies.iter().position(|(body, _)| {
                body["method"] == subscription["method"] && body["params"] == subscription["params"]
            })
        });
        let Some(body) = body else {
            capture.unmatched += 1;
            continue;
        };
        let per_body = capture
            .received
            .entry(connection.to_owned())
            .or_insert_with(|| bodies.iter().map(|_| Received::default()).collect());
        let received = &mut per_body[body];
        received.notifications += 1;
        let value = match bodies[body].1 {
            Sequence::None => None,
            Sequence::Values(read) | Sequence::Exact(read) => read(&event["frame"]),
        };
        if let Some(value) = value {
            *received.values.entry(value).or_default() += 1;
        }
    }
    capture
}

/// The values missing between a connection's first and last value.
fn holes(values: &BTreeMap<u64, u32>) -> Vec<u64> {
    let mut missing = Vec::new();
    let mut previous: Option<u64> = None;
    for &value in values.keys() {
        if let Some(previous) = previous {
            missing.extend(previous + 1..value);
        }
        previous = Some(value);
    }
    missing
}

/// Per body: (holes over all connections, connections that differ from the first one in the
/// window every connection covers, min and max count per connection).
fn check_body(
    body: usize,
    sequence: Sequence,
    received: &BTreeMap<String, Vec<Received>>,
) -> (usize, usize, u64, u64) {
    let per_connection: Vec<(&String, &Received)> =
        received.iter().map(|(label, bodies)| (label, &bodies[body])).collect();
    let counts = per_connection.iter().map(|(_, received)| received.notifications);
    let (min, max) = (counts.clone().min().unwrap_or(0), counts.max().unwrap_or(0));
    let exact = match sequence {
        Sequence::None => return (0, 0, min, max),
        Sequence::Values(_) => false,
        Sequence::Exact(_) => true,
    };
    let mut hole_count = 0;
    for (label, received) in &per_connection {
        let missing = holes(&received.values);
        if !missing.is_empty() {
            let shown: Vec<String> = missing.iter().take(10).map(u64::to_string).collect();
            println!("  HOLE {} on {label}: {} missing: {}", BODIES[body].0, missing.len(), shown.join(", "));
        }
        hole_count += missing.len();
    }
    // The window all connections recorded, without its edge values (partly delivered at start
    // and at the stop).
    let first = per_connection.iter().filter_map(|(_, r)| r.values.keys().next()).max().copied();
    let last = per_connection.iter().filter_map(|(_, r)| r.values.keys().next_back()).min().copied();
    let (Some(first), Some(last)) = (first, last) else { return (hole_count, 0, min, max) };
    let window = |received: &Received| -> Vec<(u64, u32)> {
        received
            .values
            .range(first + 1..last)
            .map(|(&value, &count)| (value, if exact { count } else { 1 }))
            .collect()
    };
    let reference = per_connection.first().map(|(_, received)| window(received)).unwrap_or_default();
    let differing = per_connection.iter().filter(|(_, received)| window(received) != reference).count();
    if differing > 0 {
        println!(
            "  DIFFER {}: {differing} connections disagree with the first over {}..{}",
            BODIES[body].0,
            first + 1,
            last
        );
    }
    (hole_count, differing, min, max)
}

/// A short name for a body in the table: its method and params, cut to fit.
fn short_name(body: &Value) -> String {
    let method = body["method"].as_str().unwrap_or_default();
    let params = if body["params"].is_null() { String::new() } else { body["params"].to_string() };
    let name = format!("{method} {params}");
    if name.chars().count() <= 52 { name } else { name.chars().take(51).chain(['…']).collect() }
}

#[expect(clippy::too_many_lines, reason = "the soak's script, read top to bottom: setup, run, report")]
fn main() {
    let duration = Duration::from_secs(env_u64("DURATION_SECS", 600));
    let connections = env_u64("CONNECTIONS", 50) as usize;
    let subs = (env_u64("SUBS", 20) as usize).clamp(1, BODIES.len());
    let sample_every = Duration::from_secs(env_u64("SAMPLE_SECS", 10).max(1));
    let warmup = Duration::from_secs(env_u64("WARMUP_SECS", 60));
    let bodies: Vec<(Value, Sequence)> = BODIES[..subs]
        .iter()
        .map(|(text, sequence)| {
            (serde_json::from_str(text).unwrap_or_else(|err| panic!("{text}: {err}")), *sequence)
        })
        .collect();
    println!(
        "soak: subscope record, {connections} connections x {subs} subscriptions to the demo server for {} s, \
         RSS every {} s",
        duration.as_secs(),
        sample_every.as_secs()
    );

    let (server, url) = start_demo_server();
    let server_pid = server.0.id();
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
    let out: PathBuf =
        std::env::var_os("SOAK_OUT").map_or_else(|| dir.path().join("soak.ndjson"), PathBuf::from);
    let stderr_path = dir.path().join("record.stderr");
    let mut args: Vec<String> = vec!["record".into()];
    for index in 0..connections {
        args.extend(["--endpoint".into(), format!("{url}/soak-c{index:02}")]);
    }
    for (text, _) in &BODIES[..subs] {
        args.extend(["--subscribe".into(), (*text).into()]);
    }
    args.extend(["--out".into(), out.display().to_string()]);
    let (mut record, started, busy_starts) = start_record(&args, &stderr_path, connections * subs);
    let pid = record.0.id();

    // (seconds, RSS kB) of the record process.
    let mut samples: Vec<(u64, u64)> = Vec::new();
    println!("    t     RSS record   RSS demo-server   capture file");
    let mut next = sample_every;
    while next <= duration {
        std::thread::sleep(next.saturating_sub(started.elapsed()));
        if let Ok(Some(status)) = record.0.try_wait() {
            panic!("subscope record exited early at {} s: {status}", started.elapsed().as_secs());
        }
        let rss = status_kb(pid, "VmRSS").unwrap_or(0);
        let server_rss = status_kb(server_pid, "VmRSS").unwrap_or(0);
        let size = std::fs::metadata(&out).map_or(0, |meta| meta.len());
        println!(
            "  {:>4} s  {:>8.1} MB  {:>10.1} MB   {:>10.1} MB",
            next.as_secs(),
            rss as f64 / 1024.0,
            server_rss as f64 / 1024.0,
            size as f64 / 1e6
        );
        samples.push((next.as_secs(), rss));
        next += sample_every;
    }
    let cpu = cpu_seconds(pid).unwrap_or(0.0);
    let peak = status_kb(pid, "VmHWM").unwrap_or(0);
    let recorded_for = started.elapsed();
    interrupt(pid);
    let stop = Instant::now();
    let status = wait_with_timeout(&mut record.0, STOP_TIMEOUT)
        .unwrap_or_else(|| panic!("subscope record did not stop within {STOP_TIMEOUT:?} of SIGINT"));
    let stopped_in = stop.elapsed();
    let messages = std::fs::read_to_string(&stderr_path).unwrap_or_default();

    // Memory.
    let baseline = samples.iter().find(|(t, _)| *t >= warmup.as_secs()).or(samples.first()).copied();
    let (baseline_t, baseline_kb) = baseline.unwrap_or((0, 0));
    let after: Vec<u64> = samples.iter().filter(|(t, _)| *t >= baseline_t).map(|(_, kb)| *kb).collect();
    let last_kb = after.last().copied().unwrap_or(0);
    let max_kb = after.iter().copied().max().unwrap_or(0);
    let growth = |kb: u64| kb as f64 / (baseline_kb.max(1)) as f64 - 1.0;
    let memory_ok = growth(max_kb) <= MAX_GROWTH;

    // Notifications.
    let capture = read_capture(&out, &bodies);
    let summary = messages.lines().rev().find_map(|line| {
        let rest = line.strip_prefix("subscope: recorded ")?;
        let (events, rest) = rest.split_once(" events (")?;
        let notifications = rest.strip_suffix(" notifications)")?;
        Some((events.parse::<u64>().ok()?, notifications.parse::<u64>().ok()?))
    });
    let output_lost = messages.contains("events were lost because the output could not keep up");
    let reconnects =
        messages.lines().filter(|line| line.contains(" lost (") || line.contains("gap of")).count();

    println!("subscription                              per connection: min      max  holes  differ");
    let (mut total_holes, mut total_differ, mut notifications) = (0, 0, 0u64);
    for (index, (body, sequence)) in bodies.iter().enumerate() {
        let (hole_count, differing, min, max) = check_body(index, *sequence, &capture.received);
        total_holes += hole_count;
        total_differ += differing;
        let checked = if matches!(sequence, Sequence::None) { "   (counted only)" } else { "" };
        println!("  {:<52} {min:>8} {max:>8} {hole_count:>6} {differing:>7}{checked}", short_name(body));
    }
    let per_connection: Vec<u64> = capture
        .received
        .values()
        .map(|bodies| bodies.iter().map(|received| received.notifications).sum())
        .collect();
    notifications += per_connection.iter().sum::<u64>();
    let (conn_min, conn_max) = (
        per_connection.iter().copied().min().unwrap_or(0),
        per_connection.iter().copied().max().unwrap_or(0),
    );

    println!(
        "record: {} connections in the capture, {} notifications ({:.0}/s), per connection {conn_min}..{conn_max}; \
         {} lines, {:.1} MB; CPU {cpu:.1} s ({:.0} % of a core); stopped {:.2} s after SIGINT ({status})",
        capture.received.len(),
        notifications,
        notifications as f64 / recorded_for.as_secs_f64(),
        capture.lines,
        std::fs::metadata(&out).map_or(0, |meta| meta.len()) as f64 / 1e6,
        100.0 * cpu / recorded_for.as_secs_f64(),
        stopped_in.as_secs_f64()
    );
    match summary {
        Some((events, noted)) => println!(
            "record's summary: {events} events ({noted} notifications); the file holds {} lines ({})",
            capture.lines,
            if events == capture.lines { "same" } else { "DIFFERENT" }
        ),
        None => println!("record's summary line is missing"),
    }
    if busy_starts > 0 {
        println!(
            "NOTE: record refused to start {busy_starts} time(s) with \"{BUSY}; command not sent\" \
             ({} commands at once, the backend queues 1,024)",
            connections * (subs + 1)
        );
    }
    if !capture.incidents.is_empty() {
        println!("incidents in the capture: {:?}", capture.incidents);
    }
    println!(
        "RSS: {:.1} MB at {baseline_t} s, {:.1} MB at the end, at most {:.1} MB after {baseline_t} s (peak {:.1} MB): \
         {:+.1} % at the end, {:+.1} % at most",
        baseline_kb as f64 / 1024.0,
        last_kb as f64 / 1024.0,
        max_kb as f64 / 1024.0,
        peak as f64 / 1024.0,
        100.0 * growth(last_kb),
        100.0 * growth(max_kb)
    );
    let lost_ok = total_holes == 0
        && total_differ == 0
        && !output_lost
        && reconnects == 0
        && capture.errors == 0
        && capture.unmatched == 0
        && capture.incidents.is_empty()
        && capture.received.len() == connections
        && summary.is_some_and(|(events, _)| events == capture.lines);
    println!(
        "lost: {total_holes} holes, {total_differ} disagreeing connections, output-lost message {}, {reconnects} reconnects, \
         {} error frames, {} unmatched notifications",
        if output_lost { "PRESENT" } else { "absent" },
        capture.errors,
        capture.unmatched
    );
    let pass = memory_ok && lost_ok && status.success();
    println!(
        "{}: memory {:+.1} % at most after the first {} s (target <= +{:.0} %), {} notifications lost (target 0)",
        if pass { "PASS" } else { "FAIL" },
        100.0 * growth(max_kb),
        baseline_t,
        100.0 * MAX_GROWTH,
        if lost_ok { "no" } else { "some" }
    );
    if !pass {
        println!("record's stderr (last lines):");
        for line in messages.lines().rev().take(10).collect::<Vec<_>>().into_iter().rev() {
            println!("  {line}");
        }
    }
}
