//! The `compare` mode of the ingest benchmark: what `subscope compare` costs beside
//! `subscope record` on the same streams (issue 27: ≤ 1.2× its CPU and ≤ 1.2× its peak
//! memory). Two flood servers run in processes of their own (this binary again); each round
//! runs `record --endpoint A --endpoint B` and then `compare` of the same two endpoints, each
//! taking all 2 × FRAMES notifications (`--count`), and reads each process's CPU time (user +
//! system) and peak resident memory from /proc: VmHWM sampled every millisecond while it runs,
//! the CPU time from its stat once it has exited and before it is reaped.
//!
//! Run: `cargo bench --no-default-features --bench ingest -- compare` (or `MODE=compare`), with
//! FRAMES=200000 ROUNDS=9 by default: runs of one build spread over 0.3× at 5 rounds, more than
//! a change to compare moves it, so the median is taken over more of them.

use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use super::record::ServerProcess;
use super::{env_usize, median, verdict};

/// The `--subscribe` body (the flood answers any request with subscription 1).
const BODY: &str = r#"{"method":"logsSubscribe","params":["all"]}"#;

/// The targets: compare's CPU and peak memory over record's.
const TARGET: f64 = 1.2;

/// What one run of a subscope verb cost.
#[derive(Clone, Copy)]
struct Cost {
    /// User + system CPU seconds.
    cpu: f64,
    /// Peak resident memory, MiB.
    peak_mib: f64,
    /// Wall seconds.
    wall: f64,
}

/// `field` (in kB) of /proc/PID/status.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The state letter and user + system clock ticks of /proc/PID/stat.
fn stat(pid: u32) -> Option<(char, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name in parentheses: state, then fields 4.. ; utime and stime are the
    // 14th and 15th fields of the whole line.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some((state, ticks))
}

/// The clock ticks per second /proc counts in (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// Runs `subscope VERB` on both endpoints until it took `total` notifications; its cost.
fn run(verb: &str, urls: &[&str], total: usize, dir: &Path) -> Cost {
    let out = dir.join(format!("{verb}.ndjson"));
    let mut command = Process::new(env!("CARGO_BIN_EXE_subscope"));
    command.arg(verb);
    for url in urls {
        command.args(["--endpoint", url]);
    }
    command.args(["--subscribe", BODY, "--count", &total.to_string(), "--no-backfill", "--out"]).arg(&out);
    let start = Instant::now();
    let mut child: Child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("subscope {verb}: {err}"));
    let pid = child.id();
    let deadline = start + Duration::from_secs(120);
    let (mut peak_kib, mut ticks) = (0, 0);
    loop {
        peak_kib = status_kib(pid, "VmHWM:").unwrap_or(0).max(peak_kib);
        match stat(pid) {
            Some(('Z', done)) => {
                ticks = done;
                break;
            }
            Some((_, running)) => ticks = running,
            None => break,
        }
        assert!(Instant::now() < deadline, "subscope {verb} did not finish {total} notifications");
        std::thread::sleep(Duration::from_millis(1));
    }
    let wall = start.elapsed().as_secs_f64();
    let status = child.wait().unwrap_or_else(|err| panic!("subscope {verb}: {err}"));
    assert!(status.success(), "subscope {verb} failed: {status}");
    let lines = std::fs::read_to_string(&out).map(|text| text.matches(r#""kind":"notification""#).count());
    assert_eq!(lines.unwrap_or(0), total, "subscope {verb} wrote every notification");
    std::fs::remove_file(&out).ok();
    Cost { cpu: ticks as f64 / TICKS_PER_SECOND, peak_mib: peak_kib as f64 / 1024.0, wall }
}

pub fn run_mode() {
    let count = env_usize("FRAMES", 200_000);
    let rounds = env_usize("ROUNDS", 9);
    println!(
        "ingest benchmark, compare mode: two flood servers of {count} logsNotification frames each, in \
         processes of their own; record and compare of both, {rounds} rounds in turns, median shown"
    );
    let servers = [ServerProcess::start(count, 300), ServerProcess::start(count, 300)];
    let urls: Vec<&str> = servers.iter().map(|server| server.url.as_str()).collect();
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
    let (mut record, mut compare) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        record.push(run("record", &urls, 2 * count, dir.path()));
        compare.push(run("compare", &urls, 2 * count, dir.path()));
    }
    let med = |costs: &[Cost], of: fn(&Cost) -> f64| median(costs.iter().map(of).collect());
    let cpu = (med(&record, |c| c.cpu), med(&compare, |c| c.cpu));
    let peak = (med(&record, |c| c.peak_mib), med(&compare, |c| c.peak_mib));
    let wall = (med(&record, |c| c.wall), med(&compare, |c| c.wall));
    let per_round: Vec<f64> = record.iter().zip(&compare).map(|(r, c)| c.cpu / r.cpu.max(1e-9)).collect();
    println!("  record    CPU {:.2} s  peak {:.0} MiB  wall {:.2} s", cpu.0, peak.0, wall.0);
    println!("  compare   CPU {:.2} s  peak {:.0} MiB  wall {:.2} s", cpu.1, peak.1, wall.1);
    println!(
        "  compare / record: CPU {:.2}x ({}: <= {TARGET}x; within each round {:.2}x at the median), peak memory {:.2}x ({}: <= {TARGET}x)",
        cpu.1 / cpu.0,
        verdict(cpu.1 / cpu.0 <= TARGET),
        median(per_round),
        peak.1 / peak.0,
        verdict(peak.1 / peak.0 <= TARGET)
    );
}
