//! `subscope replay` run as a dApp's test suite runs it: started on a free port, its URL read
//! from stdout, killed when dropped.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};

/// A running `subscope replay`, killed when dropped.
pub struct Replay {
    /// The process.
    pub child: Child,
    /// The URL it printed, `ws://127.0.0.1:PORT`.
    pub url: String,
}

impl Replay {
    /// Serves `file` on a free port with `extra` arguments (`--speed max`); panics with the
    /// replay's stderr if it does not print its URL.
    pub fn start(file: &Path, extra: &[&str]) -> Self {
        let mut child = Process::new(env!("CARGO_BIN_EXE_subscope"))
            .env_remove("SUBSCOPE_API_KEY")
            .arg("replay")
            .arg(file)
            .args(["--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("{err}"));
        let mut url = String::new();
        if let Some(stdout) = child.stdout.take() {
            BufReader::new(stdout).read_line(&mut url).ok();
        }
        let url = url.trim().to_owned();
        if !url.starts_with("ws://127.0.0.1:") {
            child.kill().ok();
            let output = child.wait_with_output().ok();
            let stderr = output.map(|o| String::from_utf8_lossy(&o.stderr).into_owned()).unwrap_or_default();
            panic!("replay did not start: {stderr}");
        }
        Self { child, url }
    }

    /// The port it listens on (WebSocket and HTTP).
    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().and_then(|port| port.parse().ok()).unwrap_or_default()
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
