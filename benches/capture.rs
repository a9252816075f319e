//! Capture benchmarks, each beside a baseline run in the same process:
//!
//! - export: `export_to_file` (NDJSON, temp file + fsync + rename) of 1,000,000 events, beside
//!   a plain `BufWriter` write (+ fsync) of the very bytes the export produced. Target (issue
//!   5): ≥ 0.5× the plain write's throughput.
//! - filter: a `FilteredView` over 1,000,000 captured events for a pubkey-like text
//!   (exact), a lower-case word (any case) and a regex, beside a bare `memmem` scan of the
//!   same raw texts. Target (issue 27): ≤ 50 ms, exact and any case.
//!
//! - show: `subscope show FILE` of a 300,000-event capture (the first 300,000 events above,
//!   exported) to /dev/null, beside `jq -c . FILE` of the same file, in turns, best of 3.
//!   Target (issue 27): ≥ 5× jq.
//!
//! Run: `cargo bench --no-default-features --bench capture` (EVENTS=1000000 by default).

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::time::{Duration, Instant};

use subscope::capture::{Capture, CaptureLimits, CapturedEvent, Direction};
use subscope::export::{CaptureContext, Format, Progress, SubscriptionInfo, export_to_file};
use subscope::filter::{Filter, FilteredView};
use subscope::protocol::FrameKind;

fn events(count: u64) -> Vec<CapturedEvent> {
    (0..count)
        .map(|seq| {
            let signature: String = (0..88).map(|k| b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"[((seq as usize) * 31 + k * 7) % 58] as char).collect();
            let raw = format!(
                r#"{{"jsonrpc":"2.0","method":"logsNotification","params":{{"result":{{"context":{{"slot":{}}},"value":{{"signature":"{signature}","err":null,"logs":["Program 11111111111111111111111111111111 success"]}}}},"subscription":{}}}}}"#,
                300_000_000 + seq,
                seq % 4
            );
            CapturedEvent {
                seq,
                received_at_ms: 1_795_335_540_000 + seq / 20,
                connection: 1 + (seq % 2) as u32,
                subscription: Some(seq % 4),
                direction: Direction::In,
                kind: FrameKind::Notification,
                method: None,
                raw: raw.into(),
                redacted: false,
                recovered: None,
            }
        })
        .collect()
}

fn best_of<T>(rounds: usize, mut run: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..rounds {
        let start = Instant::now();
        let value = run();
        best = best.min(start.elapsed());
        last = Some(value);
    }
    (best, last.unwrap_or_else(|| panic!("no rounds")))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn main() {
    let count: u64 = std::env::var("EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let events = events(count);
    let raw_bytes: usize = events.iter().map(|e| e.raw.len()).sum();
    println!("capture benchmarks: {count} events, {:.0} MB of frames, best of 3", raw_bytes as f64 / 1e6);

    // Export.
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let mut context = CaptureContext::default();
    context.add_connection(1, "Helius mainnet", "wss://mainnet.helius-rpc.com/?api-key={api_key}");
    context.add_connection(2, "Helius devnet", "wss://devnet.helius-rpc.com/?api-key={api_key}");
    for sub in 0..4 {
        context.subscriptions.insert(
            sub,
            SubscriptionInfo {
                method: "logsSubscribe".into(),
                params: Some(serde_json::json!(["all"])),
                server_id: None,
            },
        );
    }
    let export_path = dir.path().join("export.ndjson");
    let (export_time, written) = best_of(3, || {
        export_to_file(&export_path, Format::Ndjson, &events, &context, &Progress::default())
            .unwrap_or_else(|err| panic!("{err}"))
    });
    let bytes = std::fs::read(&export_path).unwrap_or_default();
    let plain_path = dir.path().join("plain.ndjson");
    let (plain_time, ()) = best_of(3, || {
        let file = File::create(&plain_path).unwrap_or_else(|err| panic!("{err}"));
        let mut out = BufWriter::with_capacity(1 << 20, &file);
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            out.write_all(line).unwrap_or_else(|err| panic!("{err}"));
        }
        out.flush().unwrap_or_else(|err| panic!("{err}"));
        drop(out);
        file.sync_all().unwrap_or_else(|err| panic!("{err}"));
    });
    let mb = bytes.len() as f64 / 1e6;
    let ratio = plain_time.as_secs_f64() / export_time.as_secs_f64();
    println!(
        "export NDJSON       {written} events, {mb:.0} MB in {:.0} ms = {:.0} MB/s; plain buffered write {:.0} ms = {:.0} MB/s; ratio {ratio:.2}x ({})",
        ms(export_time),
        mb / export_time.as_secs_f64(),
        ms(plain_time),
        mb / plain_time.as_secs_f64(),
        if ratio >= 0.5 { "meets target: >= 0.5x" } else { "MISSES target: >= 0.5x" }
    );

    // Filter.
    let mut capture = Capture::new(CaptureLimits { max_events: usize::MAX, max_bytes: usize::MAX });
    capture.extend(events.iter().cloned());
    let middle = &events[(count / 2) as usize].raw;
    let at = middle.find(r#""signature":""#).map_or(0, |at| at + 13);
    let needle = middle[at..at + 88].to_owned(); // one event's signature
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    let (bare_time, bare_hits) =
        best_of(3, || capture.iter().filter(|e| finder.find(e.raw.as_bytes()).is_some()).count());
    println!("bare memmem scan    {:>7.1} ms ({bare_hits} hits)", ms(bare_time));
    for (name, filter) in [
        ("exact (signature)", Filter { text: needle.clone(), ..Filter::default() }),
        ("any case (word)", Filter { text: "success".into(), ..Filter::default() }),
        ("regex", Filter { text: r#""slot":3000012\d\d"#.into(), regex: true, ..Filter::default() }),
        ("connection + sub", Filter { connection: Some(1), subscription: Some(2), ..Filter::default() }),
    ] {
        let (time, rows) = best_of(3, || {
            let mut view = FilteredView::new(filter.clone()).unwrap_or_else(|err| panic!("{err}"));
            view.update(&capture);
            view.len_in(&capture)
        });
        println!(
            "filter {name:<19} {:>7.1} ms, {rows} rows, {:.2}x the bare scan ({})",
            ms(time),
            ms(time) / ms(bare_time),
            if ms(time) <= 50.0 { "meets target: <= 50 ms" } else { "MISSES target: <= 50 ms" }
        );
    }

    // show against jq.
    let show_events = &events[..events.len().min(300_000)];
    let show_path = dir.path().join("show.ndjson");
    export_to_file(&show_path, Format::Ndjson, show_events, &context, &Progress::default())
        .unwrap_or_else(|err| panic!("{err}"));
    show_against_jq(&show_path, show_events.len());
}

/// Times `subscope show FILE` and `jq -c . FILE` (each to /dev/null) in turns, best of 3.
fn show_against_jq(path: &std::path::Path, count: usize) {
    let run = |program: &str, args: &[&std::ffi::OsStr]| {
        let status = std::process::Command::new(program)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        assert!(status.is_ok_and(|status| status.success()), "{program} failed");
    };
    let jq = std::process::Command::new("jq").arg("--version").output().is_ok();
    let (mut ours, mut theirs) = (Duration::MAX, Duration::MAX);
    for _ in 0..3 {
        let start = Instant::now();
        run(env!("CARGO_BIN_EXE_subscope"), &["show".as_ref(), path.as_os_str()]);
        ours = ours.min(start.elapsed());
        if jq {
            let start = Instant::now();
            run("jq", &["-c".as_ref(), ".".as_ref(), path.as_os_str()]);
            theirs = theirs.min(start.elapsed());
        }
    }
    if jq {
        let ratio = theirs.as_secs_f64() / ours.as_secs_f64();
        println!(
            "show {count} events   {:>7.0} ms; jq -c . {:.0} ms; show = {ratio:.2}x jq ({})",
            ms(ours),
            ms(theirs),
            if ratio >= 5.0 { "meets target: >= 5x" } else { "MISSES target: >= 5x" }
        );
    } else {
        println!("show {count} events   {:>7.0} ms; jq not installed (apt-get install jq)", ms(ours));
    }
}
