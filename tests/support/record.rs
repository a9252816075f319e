//! `subscope record` run as a script runs it, on real nodes: started, waited for, stopped.

use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::poll;

/// Starts `subscope record` of `subscriptions` on `endpoint` into `out`, with `args` (how it
/// stops: `--count 3`, `--duration 10m`), and waits until every subscription is answered in
/// the file. No API key comes from the environment. A file already at `out` (from an earlier
/// run) is removed first, so its answers are never mistaken for this run's.
pub fn start_record(endpoint: &str, subscriptions: &[Value], args: &[&str], out: &Path) -> Child {
    if let Err(err) = std::fs::remove_file(out)
        && err.kind() != std::io::ErrorKind::NotFound
    {
        panic!("{}: {err}", out.display());
    }
    let mut command = Process::new(env!("CARGO_BIN_EXE_subscope"));
    command
        .env_remove("SUBSCOPE_API_KEY")
        .args(["record", "--endpoint", endpoint])
        .args(args)
        .arg("--out")
        .arg(out);
    for body in subscriptions {
        command.args(["--subscribe", &body.to_string()]);
    }
    let child =
        command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap_or_else(|err| panic!("{err}"));
    poll("record's subscriptions to be answered", Duration::from_secs(30), || {
        let text = std::fs::read_to_string(out).ok()?;
        (text.matches("\"kind\":\"response\"").count() >= subscriptions.len()).then_some(())
    });
    child
}

/// Waits for `record` to end by itself (its count or duration) and succeed; kills it and
/// panics after `timeout`.
pub fn wait_for(mut child: Child, timeout: Duration) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|err| panic!("{err}")) {
            assert!(status.success(), "record failed: {status}");
            return;
        }
        if start.elapsed() > timeout {
            child.kill().ok();
            panic!("record did not stop by itself within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops `record` as Ctrl-C does and waits for its clean end.
pub fn interrupt(child: Child) {
    let interrupted = Process::new("kill").args(["-INT", &child.id().to_string()]).status();
    assert!(interrupted.is_ok_and(|status| status.success()), "kill -INT failed");
    wait_for(child, Duration::from_secs(20));
}
