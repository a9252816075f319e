//! Ingest benchmark: socket → capture, routed to its subscription, against two baselines run
//! in the same process and on the same loopback flood:
//!
//! - `bare`: a tokio-tungstenite loop that only keeps each frame's text (parses nothing);
//! - `websocat`: websocat 1.14 printing frames to a pipe we read (if installed: set
//!   `WEBSOCAT` or run scripts/install-websocat.sh).
//!
//! Also the cost of classifying a frame alone (our borrowed envelope vs `serde_json::Value`),
//! and the capture's memory against the raw bytes.
//!
//! Run: `cargo bench --no-default-features --bench ingest` (FRAMES=200000 ROUNDS=3 by default).
//! Targets (issue 2): subscope ≥ 0.4× bare and ≥ 1.2× websocat; capture memory ≤ 1.5× raw
//! bytes + 128 B per event.
//!
//! `cargo bench --no-default-features --bench ingest -- record` (or `MODE=record`) measures
//! `subscope record --out FILE` end to end instead, against a server in its own process: see
//! `ingest/record.rs`. `-- classify` (or `MODE=classify`) measures classifying one frame
//! alone, beside serde checking the same text: see `ingest/classify.rs`. `-- compare` (or
//! `MODE=compare`) measures `subscope compare`'s CPU and peak memory beside `record`'s on the
//! same two floods: see `ingest/compare.rs`.

#[path = "ingest/classify.rs"]
mod classify;
#[path = "ingest/compare.rs"]
mod compare;
#[path = "ingest/record.rs"]
mod record;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command as Process, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use subscope::backend::{Backend, Command, ConnectionConfig};
use subscope::capture::{Capture, CaptureLimits};
use subscope::protocol::{FrameKind, parse_incoming};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// A whole-number setting from the environment.
fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The slot of the first flood frame; frame `i` has slot `FIRST_SLOT + i`.
const FIRST_SLOT: u64 = 300_000_000;

/// ~300-byte logsNotification frames with varying slots and signatures.
fn frames(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let signature: String = (0..88).map(|k| b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"[(i * 7 + k * 13) % 58] as char).collect();
            format!(
                r#"{{"jsonrpc":"2.0","method":"logsNotification","params":{{"result":{{"context":{{"slot":{}}},"value":{{"signature":"{signature}","err":null,"logs":["Program 11111111111111111111111111111111 success"]}}}},"subscription":1}}}}"#,
                FIRST_SLOT + i as u64
            )
        })
        .collect()
}

/// A program log line to pad frames with.
const LOG_FILLER: &str = "Program log: Instruction: Transfer, amount 1000000, memo subscope benchmark. ";

/// [`frames`] padded to `bytes` bytes each with one more log line (as they are if `bytes` is
/// not larger than they already are).
fn sized_frames(count: usize, bytes: usize) -> Vec<String> {
    let mut frames = frames(count);
    for frame in &mut frames {
        // `"…",` around the text.
        let Some(room) = bytes.checked_sub(frame.len() + 3).filter(|room| *room > 0) else { continue };
        let Some(at) = frame.find(r#""logs":["#).map(|at| at + r#""logs":["#.len()) else { continue };
        let line: String = LOG_FILLER.chars().cycle().take(room).collect();
        frame.insert_str(at, &format!(r#""{line}","#));
    }
    frames
}

/// A loopback server that answers the first request with subscription id 1, then floods
/// `frames` to every connection. The messages are prepared once here (cloning one shares its
/// bytes), so a connection starts flooding as soon as it has subscribed.
async fn flood_server(frames: &[String]) -> SocketAddr {
    let prepared: Arc<[Message]> = frames.iter().map(|f| Message::Text(f.as_str().into())).collect();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|err| panic!("bind: {err}"));
    let addr = listener.local_addr().unwrap_or_else(|err| panic!("addr: {err}"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let prepared = Arc::clone(&prepared);
            tokio::spawn(async move {
                stream.set_nodelay(true).ok();
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else { return };
                let id = loop {
                    match ws.next().await {
                        Some(Ok(Message::Text(text))) => {
                            let value: serde_json::Value =
                                serde_json::from_str(text.as_str()).unwrap_or_default();
                            break value["id"].clone();
                        }
                        Some(Ok(_)) => {}
                        _ => return,
                    }
                };
                let reply = format!(r#"{{"jsonrpc":"2.0","result":1,"id":{id}}}"#);
                if ws.send(Message::Text(reply.into())).await.is_err() {
                    return;
                }
                for chunk in prepared.chunks(256) {
                    for message in chunk {
                        if ws.feed(message.clone()).await.is_err() {
                            return;
                        }
                    }
                    if ws.flush().await.is_err() {
                        return;
                    }
                }
                // Stay open until the client leaves.
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    addr
}

const SUBSCRIBE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"logsSubscribe","params":["all"]}"#;

/// Frames per second from the first notification to the last.
fn rate(count: usize, elapsed: Duration) -> f64 {
    (count.saturating_sub(1)) as f64 / elapsed.as_secs_f64().max(1e-9)
}

async fn bare(addr: SocketAddr, count: usize) -> f64 {
    let config = WebSocketConfig::default().max_message_size(Some(64 << 20));
    let (mut ws, _) =
        tokio_tungstenite::connect_async_with_config(format!("ws://{addr}"), Some(config), true)
            .await
            .unwrap_or_else(|err| panic!("connect: {err}"));
    ws.send(Message::Text(SUBSCRIBE.into())).await.unwrap_or_else(|err| panic!("send: {err}"));
    let mut kept = Vec::with_capacity(count + 1);
    let mut first = None;
    while kept.len() < count + 1 {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                if kept.len() == 1 {
                    first = Some(Instant::now());
                }
                kept.push(text);
            }
            Some(Ok(_)) => {}
            other => panic!("bare loop ended early: {other:?}"),
        }
    }
    let elapsed = first.map_or(Duration::ZERO, |t| t.elapsed());
    std::hint::black_box(&kept);
    rate(count, elapsed)
}

/// The process's resident memory in bytes (Linux).
fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|pages| pages.parse::<usize>().ok()).unwrap_or(0) * 4096
}

/// Returns (frames/s, capture memory bytes, raw bytes, resident memory growth).
async fn subscope(addr: SocketAddr, count: usize) -> (f64, usize, usize, usize) {
    let rss_before = rss_bytes();
    let backend =
        Backend::start(&tokio::runtime::Handle::current(), CaptureLimits::default(), Arc::new(|| {}));
    let conn = backend.new_connection_id();
    let config = ConnectionConfig::new("bench", format!("ws://{addr}"));
    backend.send(Command::Connect { conn, config: Box::new(config) }).unwrap_or_else(|err| panic!("{err}"));
    let sub = backend.new_subscription_key();
    backend
        .send(Command::Subscribe {
            conn,
            sub,
            method: "logsSubscribe".into(),
            params: Some(serde_json::json!(["all"])),
            rules: subscope::catalog::rules_for("logsSubscribe", None),
        })
        .unwrap_or_else(|err| panic!("{err}"));
    let mut capture = Capture::new(CaptureLimits::default());
    let mut routed = 0usize;
    let mut first_at = None;
    let mut last_at = None;
    let mut raw_bytes = 0usize;
    while routed < count {
        backend.queue().wait().await;
        for event in backend.drain().captured {
            if event.kind == FrameKind::Notification && event.subscription == Some(sub) {
                routed += 1;
                raw_bytes += event.raw.len();
                if routed == 1 {
                    first_at = Some(event.received_at_ms);
                    last_at = Some(Instant::now());
                }
            }
            capture.push(event);
        }
    }
    // received_at_ms has millisecond resolution; measure with Instant from the first drain.
    let elapsed = last_at.map_or(Duration::ZERO, |t| t.elapsed());
    std::hint::black_box(first_at);
    backend.send(Command::Disconnect { conn }).ok();
    let notification_memory =
        capture.iter().filter(|e| e.kind == FrameKind::Notification).map(|e| e.memory_cost()).sum::<usize>();
    let rss_growth = rss_bytes().saturating_sub(rss_before);
    (rate(count, elapsed), notification_memory, raw_bytes, rss_growth)
}

fn websocat_path() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("WEBSOCAT") {
        return Some(PathBuf::from(path));
    }
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".peers/websocat/bin/websocat");
    local.exists().then_some(local)
}

fn websocat(binary: &PathBuf, addr: SocketAddr, count: usize) -> f64 {
    let mut child = Process::new(binary)
        .args(["-t", "-B", "1048576", "--no-close", &format!("ws://{addr}")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("websocat: {err}"));
    let mut stdin = child.stdin.take().unwrap_or_else(|| panic!("no stdin"));
    writeln!(stdin, "{SUBSCRIBE}").unwrap_or_else(|err| panic!("write: {err}"));
    stdin.flush().ok();
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut reader = BufReader::with_capacity(1 << 20, stdout);
    let mut line = String::new();
    let mut lines = 0usize;
    let mut first = None;
    while lines < count + 1 {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("websocat ended after {lines} lines");
        }
        lines += 1;
        if lines == 2 {
            first = Some(Instant::now());
        }
    }
    let elapsed = first.map_or(Duration::ZERO, |t| t.elapsed());
    drop(stdin);
    child.kill().ok();
    child.wait().ok();
    rate(count, elapsed)
}

fn classify_rates(frames: &[String]) -> (f64, f64) {
    let start = Instant::now();
    let mut notifications = 0usize;
    for frame in frames {
        if matches!(parse_incoming(frame), subscope::protocol::Incoming::Notification { .. }) {
            notifications += 1;
        }
    }
    let ours = frames.len() as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut routed = 0usize;
    for frame in frames {
        let value: serde_json::Value = serde_json::from_str(frame).unwrap_or_default();
        if value["params"]["subscription"].is_u64() {
            routed += 1;
        }
    }
    let value = frames.len() as f64 / start.elapsed().as_secs_f64();
    assert_eq!(notifications, routed);
    (ours, value)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn verdict(ok: bool) -> &'static str {
    if ok { "meets target" } else { "MISSES target" }
}

fn main() {
    if let Ok(bytes) = std::env::var(record::FLOOD_SERVER_ENV) {
        return record::serve(
            bytes.parse().unwrap_or_else(|err| panic!("{}: {err}", record::FLOOD_SERVER_ENV)),
        );
    }
    let record_mode = std::env::var("MODE").is_ok_and(|mode| mode == "record")
        || std::env::args().skip(1).any(|arg| arg == "record");
    if record_mode {
        return record::run();
    }
    if std::env::var("MODE").is_ok_and(|mode| mode == "compare")
        || std::env::args().skip(1).any(|arg| arg == "compare")
    {
        return compare::run_mode();
    }
    if std::env::var("MODE").is_ok_and(|mode| mode == "classify")
        || std::env::args().skip(1).any(|arg| arg == "classify")
    {
        return classify::run();
    }
    let count = env_usize("FRAMES", 200_000);
    let rounds = env_usize("ROUNDS", 3);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|err| panic!("{err}"));
    let frames = frames(count);
    let average = frames.iter().map(String::len).sum::<usize>() as f64 / count as f64;
    println!(
        "ingest benchmark: {count} logsNotification frames of {average:.0} B on average, {rounds} rounds, median shown"
    );
    let addr = runtime.block_on(flood_server(&frames));
    let websocat_binary = websocat_path();

    let mut bare_rates = Vec::new();
    let mut ours = Vec::new();
    let mut websocat_rates = Vec::new();
    let mut memory = (0, 0, 0);
    for round in 0..rounds {
        // Memory is taken in the first round, with subscope first: later, it would reuse what
        // the bare loop (or an earlier round) freed, and its resident growth would read 0.
        if round == 0 {
            let (rate, mem, raw, rss) = runtime.block_on(subscope(addr, count));
            ours.push(rate);
            memory = (mem, raw, rss);
            bare_rates.push(runtime.block_on(bare(addr, count)));
        } else {
            bare_rates.push(runtime.block_on(bare(addr, count)));
            ours.push(runtime.block_on(subscope(addr, count)).0);
        }
        if let Some(binary) = &websocat_binary {
            websocat_rates.push(websocat(binary, addr, count));
        }
    }
    let (bare, ours) = (median(bare_rates), median(ours));
    println!("bare keep loop      {:>10.0} frames/s", bare);
    println!(
        "subscope (capture)  {:>10.0} frames/s  = {:.2}x bare ({}: >= 0.40x)",
        ours,
        ours / bare,
        verdict(ours / bare >= 0.4)
    );
    if websocat_rates.is_empty() {
        println!("websocat            not installed (set WEBSOCAT or run scripts/install-websocat.sh)");
    } else {
        let websocat = median(websocat_rates);
        println!(
            "websocat 1.14       {:>10.0} frames/s; subscope = {:.2}x websocat ({}: >= 1.20x)",
            websocat,
            ours / websocat,
            verdict(ours / websocat >= 1.2)
        );
    }
    let (classify, value) = classify_rates(&frames);
    println!(
        "classify only       {classify:>10.0} frames/s (serde_json::Value: {value:.0} frames/s, {:.2}x)",
        classify / value
    );
    let (mem, raw, rss) = memory;
    let limit = 1.5 * raw as f64 + 128.0 * count as f64;
    println!(
        "capture memory      {:.1} MB for {:.1} MB raw = {:.2}x raw + {:.0} B/event ({}: <= 1.5x raw + 128 B/event)",
        mem as f64 / 1e6,
        raw as f64 / 1e6,
        mem as f64 / raw as f64,
        (mem.saturating_sub(raw)) as f64 / count as f64,
        verdict((mem as f64) <= limit)
    );
    println!(
        "resident growth     {:.1} MB during the first subscope round ({:.2}x raw; includes socket buffers and the allocator)",
        rss as f64 / 1e6,
        rss as f64 / raw as f64
    );
}
