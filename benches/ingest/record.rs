//! The `record` mode of the ingest benchmark: `subscope record --out FILE` end to end, as a
//! script runs it, against a bare tokio-tungstenite keep loop and websocat 1.14 piped to a file,
//! and beside the floor for its format: the bare loop handing every frame to a thread that
//! writes it in an envelope as long as `record`'s (the same bytes, nothing classified).
//!
//! The flood server runs in its own process (this benchmark binary again, started with
//! [`FLOOD_SERVER_ENV`]), so the clients measured here do not share a runtime with it. Every
//! client is timed from before it connects and subscribes until it has the last of N frames:
//! the bare loop until the frame is in memory, subscope and websocat until their process has
//! written it and exited. Each output file is then read back and checked frame by frame (every
//! slot from the first to the N-th, in order), so a run that drops frames cannot look fast.
//!
//! Run: `cargo bench --no-default-features --bench ingest -- record` (or `MODE=record`), with
//! FRAMES=1000000 ROUNDS=7 FRAME_SIZES=300,1000 by default. Targets (issue 27) at 300 B:
//! subscope ≥ 0.8× bare and ≥ 3× websocat, median of at least 7 rounds.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command as Process, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::{FIRST_SLOT, SUBSCRIBE, env_usize, flood_server, median, sized_frames, verdict, websocat_path};

/// Set (to the frame size in bytes) when this binary is started as the flood server.
pub const FLOOD_SERVER_ENV: &str = "INGEST_FLOOD_SERVER";

/// The `--subscribe` body given to `subscope record` (the same request as [`SUBSCRIBE`]).
const RECORD_SUBSCRIBE: &str = r#"{"method":"logsSubscribe","params":["all"]}"#;

/// Target ratios at 300 B frames (issue 27; issue 9 asked 0.6× and 2×).
const TARGET_BARE: f64 = 0.8;
/// See [`TARGET_BARE`].
const TARGET_WEBSOCAT: f64 = 3.0;
/// The frame size the targets apply to.
const TARGET_SIZE: usize = 300;

/// The flood server process: builds `FRAMES` frames of `bytes` bytes, prints its
/// `ws://127.0.0.1:PORT` URL on stdout and serves every connection the whole flood until its
/// stdin closes (the benchmark holds it open, so the server never outlives it).
pub fn serve(bytes: usize) {
    let count = env_usize("FRAMES", 1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|err| panic!("runtime: {err}"));
    let frames = sized_frames(count, bytes);
    let addr = runtime.block_on(flood_server(&frames));
    drop(frames);
    println!("ws://{addr}");
    std::io::stdout().flush().unwrap_or_else(|err| panic!("stdout: {err}"));
    // Serve until the parent closes our stdin (or dies).
    std::io::stdin().read_to_end(&mut Vec::new()).ok();
}

/// A flood server process; killed when dropped.
pub struct ServerProcess {
    child: Child,
    /// Held open: the server exits when it closes.
    stdin: Option<ChildStdin>,
    /// Its `ws://127.0.0.1:PORT`.
    pub url: String,
}

impl ServerProcess {
    /// Starts this binary as a flood server of `count` frames of `bytes` bytes and waits for
    /// its URL (it has built every frame by then).
    pub fn start(count: usize, bytes: usize) -> Self {
        let exe = std::env::current_exe().unwrap_or_else(|err| panic!("current_exe: {err}"));
        let mut child = Process::new(exe)
            .env(FLOOD_SERVER_ENV, bytes.to_string())
            .env("FRAMES", count.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|err| panic!("flood server: {err}"));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("flood server: no stdout"));
        let mut url = String::new();
        BufReader::new(stdout).read_line(&mut url).unwrap_or_else(|err| panic!("flood server: {err}"));
        let url = url.trim().to_owned();
        assert!(url.starts_with("ws://127.0.0.1:"), "flood server printed {url:?}");
        Self { child, stdin, url }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        drop(self.stdin.take());
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Frames per second over a whole run.
fn rate(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// The bare keep loop, timed from before the connect to the N-th notification in memory.
async fn bare(url: &str, count: usize) -> f64 {
    let start = Instant::now();
    let config = WebSocketConfig::default().max_message_size(Some(64 << 20));
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .unwrap_or_else(|err| panic!("connect: {err}"));
    ws.send(Message::Text(SUBSCRIBE.into())).await.unwrap_or_else(|err| panic!("send: {err}"));
    // The subscribe response, then the notifications.
    let mut kept = Vec::with_capacity(count + 1);
    while kept.len() < count + 1 {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => kept.push(text),
            Some(Ok(_)) => {}
            other => panic!("bare loop ended early after {} frames: {other:?}", kept.len()),
        }
    }
    let elapsed = start.elapsed();
    std::hint::black_box(&kept);
    drop(ws);
    rate(count, elapsed)
}

/// The floor for any client that writes this format: the bare loop, plus a thread writing
/// each frame wrapped in a constant envelope as long as `record`'s (nothing classified,
/// rendered or numbered; each frame copied out of the read buffer, as `record` does), timed
/// from before the connect until the file is written and closed. Whatever `record` does beyond
/// this costs it; what this costs is the same bytes reaching the page cache.
async fn bare_write(url: &str, count: usize, dir: &Path) -> f64 {
    let path = dir.join("bare-write.ndjson");
    let start = Instant::now();
    let file = File::create(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let (batches, receiver) = std::sync::mpsc::sync_channel::<Vec<_>>(64);
    let writer = std::thread::Builder::new().name("bare-writer".into()).spawn(move || {
        let prefix = format!(
            r#"{{"v":1,"seq":1000000,"time":"2026-12-01T21:40:04.292Z","time_ms":1796161204292,"connection":"{url}","endpoint":"{url}","subscription":{{"key":1,"method":"logsSubscribe","params":["all"]}},"server_id":1,"direction":"in","kind":"notification","method":"logsNotification","size":297,"frame":"#,
            url = "ws://127.0.0.1:40509"
        );
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        for batch in receiver {
            for frame in batch {
                let frame: Utf8Bytes = frame;
                out.write_all(prefix.as_bytes()).unwrap_or_else(|err| panic!("write: {err}"));
                out.write_all(frame.as_bytes()).unwrap_or_else(|err| panic!("write: {err}"));
                out.write_all(b"}\n").unwrap_or_else(|err| panic!("write: {err}"));
            }
        }
        out.flush().unwrap_or_else(|err| panic!("write: {err}"));
    }).unwrap_or_else(|err| panic!("{err}"));
    let config = WebSocketConfig::default().max_message_size(Some(64 << 20));
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .unwrap_or_else(|err| panic!("connect: {err}"));
    ws.send(Message::Text(SUBSCRIBE.into())).await.unwrap_or_else(|err| panic!("send: {err}"));
    let (mut received, mut batch) = (0usize, Vec::with_capacity(256));
    while received < count + 1 {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                received += 1;
                // Copied out of tungstenite's read buffer as `record` copies it, so the
                // buffer is refilled in place rather than replaced while frames wait.
                batch.push(Utf8Bytes::from(text.as_str()));
                if batch.len() == 256 {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(256));
                    batches.send(full).unwrap_or_else(|err| panic!("writer: {err}"));
                }
            }
            Some(Ok(_)) => {}
            other => panic!("bare write loop ended early after {received} frames: {other:?}"),
        }
    }
    batches.send(batch).unwrap_or_else(|err| panic!("writer: {err}"));
    drop(batches);
    writer.join().unwrap_or_else(|_| panic!("writer thread panicked"));
    let elapsed = start.elapsed();
    drop(ws);
    std::fs::remove_file(&path).ok();
    rate(count, elapsed)
}

/// Waits for a client process to exit (polling every millisecond, a small part of a run of
/// seconds). One that has not finished `count` frames after a minute plus 100 µs a frame is
/// killed and fails the benchmark: a client that loses a frame never reaches its count.
fn wait_or_kill(child: &mut Child, count: usize, what: &str) -> ExitStatus {
    let limit =
        Duration::from_secs(60) + Duration::from_micros(100) * u32::try_from(count).unwrap_or(u32::MAX);
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|err| panic!("{what}: {err}")) {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("{what} did not finish {count} frames within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `subscope record --count N --out FILE`, timed from spawn to exit; the file is checked.
fn subscope(url: &str, count: usize, dir: &Path) -> f64 {
    let out = dir.join("record.ndjson");
    let stderr_path = dir.join("record.stderr");
    let stderr = File::create(&stderr_path).unwrap_or_else(|err| panic!("stderr file: {err}"));
    let start = Instant::now();
    let mut child = Process::new(env!("CARGO_BIN_EXE_subscope"))
        .arg("record")
        .args(["--endpoint", url, "--subscribe", RECORD_SUBSCRIBE])
        .args(["--count", &count.to_string()])
        .arg("--out")
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|err| panic!("subscope record: {err}"));
    let status = wait_or_kill(&mut child, count, "subscope record");
    let elapsed = start.elapsed();
    let messages = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    assert!(status.success(), "subscope record failed ({status}):\n{messages}");
    assert!(!messages.contains("events were lost"), "subscope record lost events to its output:\n{messages}");
    check_record_file(&out, count);
    std::fs::remove_file(&out).ok();
    rate(count, elapsed)
}

/// The slot of a flood frame (or of the `frame` inside a record line): the digits after the
/// first `"slot":`.
fn slot_of(line: &str) -> Option<u64> {
    let start = line.find(r#""slot":"#)? + r#""slot":"#.len();
    let digits = line[start..].bytes().take_while(u8::is_ascii_digit).count();
    line[start..start + digits].parse().ok()
}

/// Checks that `subscope record` wrote exactly the N notifications of the flood, in order and
/// in the capture format (every line's slot; a sample of lines parsed in full).
fn check_record_file(path: &Path, count: usize) {
    let file = File::open(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let mut notifications = 0usize;
    let sample = (count / 10).max(1);
    for (number, line) in BufReader::with_capacity(1 << 20, file).lines().enumerate() {
        let line = line.unwrap_or_else(|err| panic!("{}:{}: {err}", path.display(), number + 1));
        if !line.contains(r#""kind":"notification""#) {
            continue;
        }
        let expected = FIRST_SLOT + notifications as u64;
        assert_eq!(slot_of(&line), Some(expected), "line {}: notification out of order or lost", number + 1);
        if notifications.is_multiple_of(sample) || notifications + 1 == count {
            let value: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|err| panic!("line {} is not JSON: {err}", number + 1));
            assert_eq!(value["v"], 1, "line {}", number + 1);
            assert_eq!(value["direction"], "in", "line {}", number + 1);
            assert_eq!(value["method"], "logsNotification", "line {}", number + 1);
            assert_eq!(value["subscription"]["method"], "logsSubscribe", "line {}", number + 1);
            assert_eq!(
                value["frame"]["params"]["result"]["context"]["slot"],
                expected,
                "line {}",
                number + 1
            );
            assert_eq!(value["size"].as_u64().map(|size| size > 200), Some(true), "line {}", number + 1);
        }
        notifications += 1;
    }
    assert_eq!(notifications, count, "{}: notification lines", path.display());
}

/// websocat 1.14 with its stdout redirected to a file, fed the subscribe request on stdin,
/// timed from spawn until it has written the N-th notification and exited.
fn websocat(binary: &Path, url: &str, count: usize, dir: &Path) -> f64 {
    let out = dir.join("websocat.out");
    let file = File::create(&out).unwrap_or_else(|err| panic!("{}: {err}", out.display()));
    let start = Instant::now();
    let mut child = Process::new(binary)
        // The response and N notifications, then exit.
        .args(["-t", "-B", "1048576", "--no-close", "--max-messages-rev", &(count + 1).to_string(), url])
        .stdin(Stdio::piped())
        .stdout(file)
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("websocat: {err}"));
    let mut stdin = child.stdin.take().unwrap_or_else(|| panic!("websocat: no stdin"));
    writeln!(stdin, "{SUBSCRIBE}").unwrap_or_else(|err| panic!("websocat stdin: {err}"));
    // The end of stdin ends only the copy towards the server (`--no-close`); websocat exits
    // once the other direction has copied its messages as well.
    drop(stdin);
    let status = wait_or_kill(&mut child, count, "websocat");
    let elapsed = start.elapsed();
    assert!(status.success(), "websocat failed: {status}");
    check_websocat_file(&out, count);
    std::fs::remove_file(&out).ok();
    rate(count, elapsed)
}

/// Checks that websocat wrote the response and the N frames, in order.
fn check_websocat_file(path: &Path, count: usize) {
    let file = File::open(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let mut lines = BufReader::with_capacity(1 << 20, file).lines();
    let response = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(response.contains(r#""result":1"#), "websocat's first line: {response}");
    let mut notifications = 0usize;
    for line in lines {
        let line = line.unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let expected = FIRST_SLOT + notifications as u64;
        assert_eq!(slot_of(&line), Some(expected), "websocat line {}", notifications + 2);
        notifications += 1;
    }
    assert_eq!(notifications, count, "{}: notification lines", path.display());
}

/// The rates of one client over the rounds.
struct Rates(Vec<f64>);

impl Rates {
    /// The median round.
    fn median(&self) -> f64 {
        median(self.0.clone())
    }

    /// Half the distance between the slowest and the fastest round, in % of the median.
    fn spread(&self) -> f64 {
        let (min, max) = self.0.iter().fold((f64::MAX, 0.0_f64), |(min, max), &v| (min.min(v), max.max(v)));
        50.0 * (max - min) / self.median().max(1e-9)
    }
}

/// The three clients on one flood size, `rounds` times each, taking turns.
fn measure(count: usize, bytes: usize, rounds: usize, websocat_binary: Option<&PathBuf>) -> [Rates; 4] {
    let server = ServerProcess::start(count, bytes);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|err| panic!("runtime: {err}"));
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
    let (mut bare_rates, mut ours, mut websocat_rates) = (Vec::new(), Vec::new(), Vec::new());
    let mut floor_rates = Vec::new();
    for _ in 0..rounds {
        bare_rates.push(runtime.block_on(bare(&server.url, count)));
        floor_rates.push(runtime.block_on(bare_write(&server.url, count, dir.path())));
        ours.push(subscope(&server.url, count, dir.path()));
        if let Some(binary) = websocat_binary {
            websocat_rates.push(websocat(binary, &server.url, count, dir.path()));
        }
    }
    drop(server);
    [Rates(bare_rates), Rates(ours), Rates(websocat_rates), Rates(floor_rates)]
}

/// The 1-minute load average and the number of CPUs: other work on the machine shows in
/// every figure, so it is printed with them.
fn load() -> String {
    let average = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned));
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    format!("load average {} on {cpus} CPUs", average.as_deref().unwrap_or("unknown"))
}

/// The `record` mode.
pub fn run() {
    let count = env_usize("FRAMES", 1_000_000);
    let rounds = env_usize("ROUNDS", 7);
    let sizes: Vec<usize> = std::env::var("FRAME_SIZES")
        .unwrap_or_else(|_| "300,1000".to_owned())
        .split(',')
        .filter_map(|size| size.trim().parse().ok())
        .collect();
    let websocat_binary = websocat_path();
    println!(
        "ingest benchmark, record mode: {count} logsNotification frames from a server in its own process, \
         {rounds} rounds, median shown; each run timed from connect to the last frame kept / written"
    );
    println!("{} at the start", load());
    for bytes in sizes {
        let average = sized_frames(1, bytes).iter().map(String::len).sum::<usize>();
        let [bare_rates, our_rates, websocat_rates, floor_rates] =
            measure(count, bytes, rounds, websocat_binary.as_ref());
        let (bare, ours) = (bare_rates.median(), our_rates.median());
        let target = bytes == TARGET_SIZE;
        let judge = |ok: bool, at_least: f64| {
            if target {
                format!("{}: >= {at_least:.2}x", verdict(ok))
            } else {
                format!("target at {TARGET_SIZE} B only")
            }
        };
        println!("{average} B frames (± half the spread of the rounds)");
        println!("  bare keep loop          {bare:>10.0} frames/s ±{:.0} %", bare_rates.spread());
        let floor = floor_rates.median();
        println!(
            "  bare loop writing the same bytes {floor:>10.0} frames/s ±{:.0} % = {:.2}x bare (the floor for this format: \
             subscope = {:.2}x it)",
            floor_rates.spread(),
            floor / bare,
            ours / floor
        );
        println!(
            "  subscope record --out   {ours:>10.0} frames/s ±{:.0} % = {:.2}x bare ({})",
            our_rates.spread(),
            ours / bare,
            judge(ours / bare >= TARGET_BARE, TARGET_BARE)
        );
        // The same ratio taken within each round (the two clients run seconds apart),
        // for a reader who wants to see how much of the spread the machine's spells explain.
        let per_round: Vec<f64> =
            our_rates.0.iter().zip(&bare_rates.0).map(|(ours, bare)| ours / bare).collect();
        let (low, high) =
            per_round.iter().fold((f64::MAX, 0.0_f64), |(low, high), &r| (low.min(r), high.max(r)));
        println!(
            "  (within each round: subscope = {:.2}x bare at the median round, {low:.2}-{high:.2}x over all)",
            median(per_round.clone())
        );
        if websocat_rates.0.is_empty() {
            println!(
                "  websocat                not installed (set WEBSOCAT or run scripts/install-websocat.sh)"
            );
        } else {
            let websocat = websocat_rates.median();
            println!(
                "  websocat 1.14 > file    {websocat:>10.0} frames/s ±{:.0} %; subscope = {:.2}x websocat ({})",
                websocat_rates.spread(),
                ours / websocat,
                judge(ours / websocat >= TARGET_WEBSOCAT, TARGET_WEBSOCAT)
            );
        }
    }
    println!("{} at the end", load());
}
