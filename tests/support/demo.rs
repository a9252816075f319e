//! `subscope demo-server` in a process of its own, as a user runs it: started on a free port,
//! waited for, killed when dropped.

use std::process::{Child, Command as Process, Stdio};
use std::time::Duration;

use super::{free_port, poll};

/// A running demo server, killed when dropped.
pub struct DemoProcess {
    child: Child,
    /// Its port (WebSocket and HTTP).
    pub port: u16,
    /// `ws://127.0.0.1:PORT/`.
    pub url: String,
}

impl DemoProcess {
    /// A demo server whose chains run `speed` times faster than the real ones; returns once it
    /// listens.
    pub fn start(speed: f64) -> Self {
        let port = free_port();
        let child = Process::new(env!("CARGO_BIN_EXE_subscope"))
            .env_remove("SUBSCOPE_API_KEY")
            .args(["demo-server", "--port", &port.to_string(), "--speed", &speed.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("demo-server: {err}"));
        poll("the demo server to listen", Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        Self { child, port, url: format!("ws://127.0.0.1:{port}/") }
    }
}

impl Drop for DemoProcess {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
