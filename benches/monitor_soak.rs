//! Soak benchmark of `subscope monitor` (issue 26): 20 endpoints × 10 subscriptions on a demo
//! server in its own process, every subscription compared across all endpoints, `/metrics`
//! scraped every second for an hour. Target: resident memory within 5 % of its value after
//! the warm-up for the rest of the run, and the scrape's p99 under 10 ms; the monitor exits 0
//! within 5 s of SIGTERM.
//!
//! Run: `cargo bench --bench monitor_soak` with DURATION_SECS=3600 ENDPOINTS=20 SUBS=10
//! SCRAPE_MS=1000 SAMPLE_SECS=10 WARMUP_SECS=120 by default; shorter, e.g.
//! `DURATION_SECS=300 WARMUP_SECS=60 cargo bench --profile dev --bench monitor_soak` (the dev
//! profile builds the dependencies with opt-level 2, so the scrape's encoding is measured
//! optimised; the monitor's own code is not).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

/// The subscope binary under test.
const SUBSCOPE: &str = env!("CARGO_BIN_EXE_subscope");

/// Allowed resident memory growth after the warm-up.
const MAX_GROWTH: f64 = 0.05;

/// The slowest allowed scrape at the 99th percentile.
const MAX_SCRAPE_P99: Duration = Duration::from_millis(10);

/// The subscriptions every endpoint makes (SUBS takes the first ones).
const BODIES: [(&str, &str, Option<&str>); 12] = [
    ("slots", "slotSubscribe", None),
    ("roots", "rootSubscribe", None),
    ("heads", "eth_subscribe", Some(r#"["newHeads"]"#)),
    ("logs", "logsSubscribe", Some(r#"["all"]"#)),
    ("eth-logs", "eth_subscribe", Some(r#"["logs",{}]"#)),
    ("updates", "slotsUpdatesSubscribe", None),
    ("votes", "voteSubscribe", None),
    ("blocks", "blockSubscribe", Some(r#"["all",{"transactionDetails":"signatures"}]"#)),
    (
        "usdc-logs",
        "eth_subscribe",
        Some(r#"["logs",{"address":["0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"]}]"#),
    ),
    ("pending", "eth_subscribe", Some(r#"["newPendingTransactions"]"#)),
    ("processed-logs", "logsSubscribe", Some(r#"["all",{"commitment":"processed"}]"#)),
    (
        "transfers",
        "eth_subscribe",
        Some(r#"["logs",{"topics":["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"]}]"#),
    ),
];

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
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

/// A field of /proc/PID/status in kB (`VmRSS`).
fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field) && line[field.len()..].starts_with(':'))?;
    line[field.len() + 1..].split_whitespace().next()?.parse().ok()
}

/// One HTTP/1.0 GET: the body, or `None`.
fn get(port: u16, target: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    write!(stream, "GET {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    (head.split_whitespace().nth(1) == Some("200")).then(|| body.to_owned())
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

fn main() {
    let duration = Duration::from_secs(env_u64("DURATION_SECS", 3600));
    let endpoints = env_u64("ENDPOINTS", 20) as usize;
    let subs = (env_u64("SUBS", 10) as usize).min(BODIES.len());
    let scrape_every = Duration::from_millis(env_u64("SCRAPE_MS", 1000));
    let sample_every = Duration::from_secs(env_u64("SAMPLE_SECS", 10));
    let warmup = Duration::from_secs(env_u64("WARMUP_SECS", 120));

    let mut server = Command::new(SUBSCOPE)
        .args(["demo-server", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("demo-server: {err}"));
    let stdout = server.stdout.take().unwrap_or_else(|| panic!("demo-server: no stdout"));
    let server = Guard(server);
    let mut url = String::new();
    BufReader::new(stdout).read_line(&mut url).unwrap_or_else(|err| panic!("demo-server: {err}"));
    let url = url.trim().trim_end_matches('/').to_owned();

    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let endpoint_list: Vec<_> = (0..endpoints)
        .map(|index| json!({"name": format!("ep-{index:02}"), "url": format!("{url}/ep{index}")}))
        .collect();
    let sub_list: Vec<_> = BODIES[..subs]
        .iter()
        .map(|(name, method, params)| {
            let params: Option<serde_json::Value> =
                params.map(|text| serde_json::from_str(text).unwrap_or_default());
            json!({"name": name, "method": method, "params": params})
        })
        .collect();
    let groups: Vec<_> =
        BODIES[..subs].iter().map(|(name, ..)| json!({"name": name, "subscription": name})).collect();
    let workspace =
        json!({"format": 1, "endpoints": endpoint_list, "subscriptions": sub_list, "groups": groups});
    let path = dir.path().join("soak.workspace.json");
    std::fs::write(&path, workspace.to_string()).unwrap_or_else(|err| panic!("{err}"));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|err| panic!("{err}"));
    let log = std::fs::File::create(dir.path().join("monitor.log")).unwrap_or_else(|err| panic!("{err}"));
    let monitor = Command::new(SUBSCOPE)
        .arg("monitor")
        .arg(&path)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--log-format", "json"])
        .stderr(log)
        .spawn()
        .unwrap_or_else(|err| panic!("monitor: {err}"));
    let pid = monitor.id();
    let mut monitor = Guard(monitor);
    let started = Instant::now();
    while get(port, "/readyz").is_none() {
        assert!(started.elapsed() < Duration::from_secs(60), "the monitor was not ready in a minute");
        std::thread::sleep(Duration::from_millis(100));
    }
    println!(
        "monitor_soak: {endpoints} endpoints x {subs} subscriptions, scrape every {scrape_every:?}, for {duration:?} (warm-up {warmup:?})"
    );

    let mut scrapes: Vec<Duration> = Vec::new();
    let mut after_warmup: Option<u64> = None;
    let mut peak = 0u64;
    let mut next_sample = started;
    let mut last_size = 0;
    while started.elapsed() < duration {
        let asked = Instant::now();
        let body = get(port, "/metrics").unwrap_or_else(|| panic!("a scrape failed"));
        let took = asked.elapsed();
        last_size = body.len();
        if started.elapsed() >= warmup {
            scrapes.push(took);
        }
        if Instant::now() >= next_sample {
            let rss = status_kb(pid, "VmRSS").unwrap_or(0);
            if started.elapsed() >= warmup {
                let base = *after_warmup.get_or_insert(rss);
                peak = peak.max(rss);
                println!(
                    "  {:>5} s  rss {rss} kB ({:+.1} %)  scrape {took:?}",
                    started.elapsed().as_secs(),
                    (rss as f64 / base as f64 - 1.0) * 100.0
                );
            } else {
                println!(
                    "  {:>5} s  rss {rss} kB (warming up)  scrape {took:?}",
                    started.elapsed().as_secs()
                );
            }
            next_sample += sample_every;
        }
        std::thread::sleep(scrape_every.saturating_sub(asked.elapsed()));
    }
    let notifications: f64 = get(port, "/metrics")
        .unwrap_or_default()
        .lines()
        .filter(|line| line.starts_with("subscope_notifications_total{"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();

    let stop = Instant::now();
    let status = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    assert!(status.is_ok_and(|status| status.success()), "kill -TERM {pid}");
    let exited = loop {
        if let Ok(Some(status)) = monitor.0.try_wait() {
            break Some(status);
        }
        if stop.elapsed() > Duration::from_secs(5) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };

    scrapes.sort();
    let base = after_warmup.unwrap_or(0);
    let growth = if base > 0 { peak as f64 / base as f64 - 1.0 } else { f64::NAN };
    let p99 = quantile(&scrapes, 0.99);
    println!(
        "monitor_soak: {notifications} notifications; rss after warm-up {base} kB, peak {peak} kB ({:+.1} %, target <= +{:.0} %)",
        growth * 100.0,
        MAX_GROWTH * 100.0
    );
    println!(
        "monitor_soak: {} scrapes of {last_size} bytes: p50 {:?}, p99 {p99:?} (target < {MAX_SCRAPE_P99:?}), max {:?}",
        scrapes.len(),
        quantile(&scrapes, 0.5),
        scrapes.last().copied().unwrap_or_default()
    );
    println!("monitor_soak: SIGTERM -> exit {exited:?} in {:?}", stop.elapsed());
    let passed =
        growth <= MAX_GROWTH && p99 < MAX_SCRAPE_P99 && exited.is_some_and(|status| status.success());
    println!("monitor_soak: {}", if passed { "PASS" } else { "FAIL" });
    if !passed {
        // `exit` runs no destructor: the demo server is stopped first.
        drop(server);
        std::process::exit(1);
    }
}
