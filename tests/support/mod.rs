//! Shared test support: real nodes on loopback (anvil, solana-test-validator), a tiny HTTP
//! JSON-RPC client, and a driver around the backend that collects its events.
//!
//! Every address here is 127.0.0.1. Every wait is bounded and panics with what was seen.

#![allow(dead_code, reason = "each test binary uses a different part of the support module")]

pub mod demo;
pub mod eth;
pub mod proxy;
pub mod record;
pub mod replay;
#[cfg(feature = "gui")]
pub mod ui;

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command as Process, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use subscope::backend::{
    Backend, Command, ConnState, ConnectionConfig, EndReason, Event, ReconnectPolicy, SubscribeOutcome,
};
use subscope::capture::{CaptureLimits, CapturedEvent, ConnId, Direction, SubKey};
use subscope::protocol::{FrameKind, SubId};

/// Runs a script of tests/js with node and the libraries of .peers/js (`NODE_PATH`), with
/// `args`; returns what it printed, parsed as JSON. Fails (not skips) without node or the
/// libraries.
pub fn node_script(script: &str, args: &[&str]) -> Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let modules = root.join(".peers/js/node_modules");
    assert!(
        modules.join("ethers").exists(),
        "{} is missing: run scripts/install-peers.sh",
        modules.display()
    );
    let output = Process::new("node")
        .arg(root.join("tests/js").join(script))
        .args(args)
        .env("NODE_PATH", &modules)
        .output()
        .unwrap_or_else(|err| panic!("node: {err}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{script} failed: {stdout}{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|err| panic!("{err}: {stdout}"))
}

/// Runs a script of tests/py with the Python venv of .peers/py (web3.py, solana-py), with
/// `args`; returns what it printed, parsed as JSON. Fails (not skips) without the venv.
pub fn py_script(script: &str, args: &[&str]) -> Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".peers/py/bin/python");
    assert!(python.exists(), "{} is missing: run scripts/install-peers.sh", python.display());
    let output = Process::new(&python)
        .arg(root.join("tests/py").join(script))
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("python: {err}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{script} failed: {stdout}{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|err| panic!("{err}: {stdout}"))
}

/// Runs viem's `watchBlocks` (tests/js/viem_watch_blocks.cjs) on `ws_url` until `count` blocks
/// came, and checks what a block watcher needs: no block came back `undefined`, and every block
/// equals, header field by header field, the head of its number in `heads` (the heads the
/// server sent, as `{number, hash, parentHash, timestamp, stateRoot, miner}` with lowercase
/// hex). Returns the blocks' numbers in order.
pub fn viem_watches_blocks(ws_url: &str, count: usize, heads: Option<&[Value]>) -> Vec<String> {
    let seen = node_script("viem_watch_blocks.cjs", &[ws_url, &count.to_string()]);
    assert_eq!(seen["missing"], json!(0), "viem got `undefined` for a block: {seen}");
    let sent = seen["heads"].as_array().cloned().unwrap_or_default();
    let heads = heads.unwrap_or(&sent);
    let blocks = seen["blocks"].as_array().cloned().unwrap_or_default();
    assert_eq!(blocks.len(), count, "{seen}");
    // viem fetches each head's block by number, so after a reorg (the demo replaces every
    // 20th block) it gets the replacement: the block must be one of the heads sent at its
    // number, whole, not necessarily the first.
    for block in &blocks {
        assert!(heads.contains(block), "the block viem fetched is no head sent: {block} in {seen}");
    }
    blocks.iter().map(|block| block["number"].as_str().unwrap_or_default().to_owned()).collect()
}

/// The header fields `viem_watch_blocks.cjs` prints of a head as a node sent it.
pub fn head_header(head: &Value) -> Value {
    let field = |name: &str| head[name].as_str().unwrap_or_default().to_lowercase();
    json!({
        "number": field("number"), "hash": field("hash"), "parentHash": field("parentHash"),
        "timestamp": field("timestamp"), "stateRoot": field("stateRoot"), "miner": field("miner"),
    })
}

/// A free TCP port on 127.0.0.1 (bound and released; good enough for tests).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|err| panic!("bind: {err}"));
    listener.local_addr().map(|addr| addr.port()).unwrap_or_else(|err| panic!("addr: {err}"))
}

/// A free port whose next port is free too, for a validator's RPC (its PubSub is port + 1).
pub fn free_port_and_next() -> u16 {
    loop {
        let port = free_port();
        if port < 65000 && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

/// Where a peer binary is: `$VAR`, else `.peers/bin/NAME` (scripts/install-peers.sh).
pub fn peer_binary(var: &str, name: &str) -> PathBuf {
    if let Ok(path) = std::env::var(var) {
        return PathBuf::from(path);
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".peers/bin").join(name);
    assert!(path.exists(), "{} is missing: run scripts/install-peers.sh (or set {var})", path.display());
    path
}

/// One HTTP JSON-RPC call to 127.0.0.1:port (HTTP/1.1, Connection: close).
pub fn http_rpc(port: u16, method: &str, params: Value) -> Value {
    let body = http_rpc_text(port, method, params);
    serde_json::from_str(&body).unwrap_or_else(|err| panic!("bad JSON from {method}: {err}: {body}"))
}

/// One HTTP JSON-RPC call to 127.0.0.1:port; the response body as sent.
pub fn http_rpc_text(port: u16, method: &str, params: Value) -> String {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|err| panic!("connect {port}: {err}"));
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap_or_else(|err| panic!("write: {err}"));
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap_or_else(|err| panic!("read: {err}"));
    let text = String::from_utf8_lossy(&response);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { panic!("bad HTTP response: {text}") };
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    }
}

/// Sends a transaction to anvil at 127.0.0.1:port (from an unlocked account) and waits for
/// its receipt.
pub fn send_and_wait(port: u16, tx: Value) -> Value {
    eth::receipt(port, &eth::send_tx(port, tx))
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || tail.len() < size {
            break;
        }
        out.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    out
}

/// Polls `check` until it returns `Some`, or panics after `timeout`.
pub fn poll<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed when dropped.
pub struct Node {
    child: Child,
    /// The port its clients use (anvil: HTTP and WS; validator: HTTP, WS is port + 1).
    pub port: u16,
    /// Extra state to keep alive (e.g. the validator's ledger folder).
    _ledger: Option<tempfile::TempDir>,
}

impl Node {
    /// Kills the process and waits for it.
    pub fn kill(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts anvil on `port` with `args`, waiting until it answers.
pub fn start_anvil(port: u16, args: &[&str]) -> Node {
    let child = Process::new(peer_binary("SUBSCOPE_ANVIL", "anvil"))
        .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--silent"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("could not start anvil: {err}"));
    let node = Node { child, port, _ledger: None };
    poll("anvil to answer", Duration::from_secs(20), || {
        TcpStream::connect(("127.0.0.1", port)).ok().map(|_| ())
    });
    poll("anvil eth_chainId", Duration::from_secs(20), || {
        std::panic::catch_unwind(|| http_rpc(port, "eth_chainId", json!([])))
            .ok()
            .filter(|v| v["result"].is_string())
    });
    node
}

/// Starts solana-test-validator with its RPC on `port` (PubSub on port + 1), waiting until
/// slots advance.
pub fn start_validator(port: u16, faucet_port: u16) -> Node {
    let ledger = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
    let log = std::fs::File::create(ledger.path().join("validator.log")).ok();
    let child = Process::new(peer_binary("SOLANA_TEST_VALIDATOR", "solana-test-validator"))
        .arg("--ledger")
        .arg(ledger.path().join("ledger"))
        .args(["--rpc-port", &port.to_string(), "--bind-address", "127.0.0.1"])
        .args(["--faucet-port", &faucet_port.to_string()])
        .args(["--rpc-pubsub-queue-capacity-items", "100000", "--limit-ledger-size", "50000000", "--quiet"])
        .arg("--rpc-pubsub-enable-vote-subscription")
        .stdout(log.map_or_else(Stdio::null, Stdio::from))
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("could not start solana-test-validator: {err}"));
    let node = Node { child, port, _ledger: Some(ledger) };
    // It takes ~15 s on an idle 2-core machine; under a parallel build it once took over 120 s.
    poll("the validator's slots to advance", Duration::from_secs(240), || {
        let answer =
            std::panic::catch_unwind(|| http_rpc(port, "getSlot", json!([{"commitment": "processed"}])))
                .ok()?;
        answer["result"].as_u64().filter(|slot| *slot >= 2)
    });
    node
}

/// A connection config for tests: fast reconnects (100 ms doubling to 1 s).
pub fn test_config(url: &str) -> ConnectionConfig {
    let mut config = ConnectionConfig::new("test", url);
    config.reconnect =
        ReconnectPolicy { enabled: true, initial: Duration::from_millis(100), max: Duration::from_secs(1) };
    config
}

/// A free port for a validator's RPC whose next port (its PubSub) is free too.
pub fn free_validator_port() -> u16 {
    loop {
        let port = free_port();
        if port < 65000 && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

/// Drives a backend and keeps everything it reported.
pub struct Driver {
    /// The backend under test.
    pub backend: Backend,
    /// Control events, in order.
    pub events: Vec<Event>,
    /// Captured frames, in order.
    pub captured: Vec<CapturedEvent>,
    /// Frames evicted before they were drained.
    pub evicted: u64,
}

impl Driver {
    /// A backend on the current tokio runtime.
    pub fn new() -> Self {
        let backend =
            Backend::start(&tokio::runtime::Handle::current(), CaptureLimits::default(), Arc::new(|| {}));
        Self { backend, events: Vec::new(), captured: Vec::new(), evicted: 0 }
    }

    /// Connects with fast reconnects (100 ms doubling to 1 s) for tests.
    pub fn connect(&mut self, url: &str) -> ConnId {
        self.connect_with(test_config(url))
    }

    /// Connects with a given config.
    pub fn connect_with(&mut self, config: ConnectionConfig) -> ConnId {
        let conn = self.backend.new_connection_id();
        self.backend
            .send(Command::Connect { conn, config: Box::new(config) })
            .unwrap_or_else(|err| panic!("{err}"));
        conn
    }

    /// Subscribes and returns the local key.
    pub fn subscribe(&mut self, conn: ConnId, method: &str, params: Option<Value>) -> SubKey {
        let sub = self.backend.new_subscription_key();
        self.backend
            .send(Command::Subscribe {
                conn,
                sub,
                method: method.into(),
                rules: subscope::catalog::rules_for(method, params.as_ref()),
                params,
            })
            .unwrap_or_else(|err| panic!("{err}"));
        sub
    }

    /// Unsubscribes.
    pub fn unsubscribe(&mut self, conn: ConnId, sub: SubKey) {
        self.backend.send(Command::Unsubscribe { conn, sub }).unwrap_or_else(|err| panic!("{err}"));
    }

    /// Sends a one-off request and returns its key.
    pub fn request(&mut self, conn: ConnId, method: &str, params: Option<Value>) -> u64 {
        let request = self.backend.new_request_key();
        self.backend
            .send(Command::Request { conn, request, method: method.into(), params })
            .unwrap_or_else(|err| panic!("{err}"));
        request
    }

    /// Takes what the backend queued, waiting up to 50 ms for something.
    pub async fn pump(&mut self) {
        tokio::time::timeout(Duration::from_millis(50), self.backend.queue().wait()).await.ok();
        let drained = self.backend.drain();
        self.events.extend(drained.events);
        self.captured.extend(drained.captured);
        self.evicted += drained.evicted;
    }

    /// Pumps until `check` returns `Some`, or panics after `timeout` with the recent events.
    pub async fn until<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&Self) -> Option<T>,
    ) -> T {
        let start = Instant::now();
        loop {
            if let Some(value) = check(self) {
                return value;
            }
            if start.elapsed() > timeout {
                let recent: Vec<String> =
                    self.events.iter().rev().take(12).map(|e| format!("{e:?}")).collect();
                let frames: Vec<String> =
                    self.captured.iter().rev().take(6).map(|e| e.raw.chars().take(200).collect()).collect();
                panic!(
                    "timed out after {timeout:?} waiting for {what}\nrecent events: {recent:#?}\nrecent frames: {frames:#?}"
                );
            }
            self.pump().await;
        }
    }

    /// Waits for the connection to be open.
    pub async fn open(&mut self, conn: ConnId) {
        self.until("the connection to open", Duration::from_secs(20), |d| {
            d.events
                .iter()
                .any(|e| matches!(e, Event::State { conn: c, state: ConnState::Open } if *c == conn))
                .then_some(())
        })
        .await;
    }

    /// Waits for a connection to be lost (reconnecting).
    pub async fn lost(&mut self) {
        self.until("the connection to be lost", Duration::from_secs(20), |d| {
            d.events
                .iter()
                .any(|e| matches!(e, Event::State { state: ConnState::Reconnecting { .. }, .. }))
                .then_some(())
        })
        .await;
    }

    /// Waits for a subscription's answer (the n-th, counting re-subscribes) and returns it.
    pub async fn answer(&mut self, sub: SubKey, nth: usize) -> (SubscribeOutcome, bool) {
        self.until(&format!("answer #{nth} for subscription {sub}"), Duration::from_secs(20), |d| {
            d.events
                .iter()
                .filter_map(|e| match e {
                    Event::Subscription { sub: s, outcome, resubscribed, .. } if *s == sub => {
                        Some((outcome.clone(), *resubscribed))
                    }
                    _ => None,
                })
                .nth(nth)
        })
        .await
    }

    /// Waits for a subscription to be active; returns its server id.
    pub async fn active(&mut self, sub: SubKey) -> SubId {
        match self.answer(sub, 0).await {
            (SubscribeOutcome::Active(id), _) => id,
            (other, _) => panic!("subscription {sub} was not accepted: {other:?}"),
        }
    }

    /// The notifications routed to `sub` so far.
    pub fn notifications(&self, sub: SubKey) -> Vec<&CapturedEvent> {
        self.captured
            .iter()
            .filter(|e| {
                e.subscription == Some(sub)
                    && e.kind == FrameKind::Notification
                    && e.direction == Direction::In
            })
            .collect()
    }

    /// The notifications of `sub` (live or recovered) with their `params.result`, in capture
    /// order.
    pub fn results(&self, sub: SubKey) -> Vec<(&CapturedEvent, Value)> {
        self.captured
            .iter()
            .filter(|event| event.subscription == Some(sub) && event.kind == FrameKind::Notification)
            .filter_map(|event| {
                let frame: Value = serde_json::from_str(&event.raw).ok()?;
                Some((event, frame["params"]["result"].clone()))
            })
            .collect()
    }

    /// The records subscope made itself (gaps, recoveries), in order.
    pub fn notes(&self) -> Vec<String> {
        self.captured
            .iter()
            .filter(|event| event.direction == Direction::Meta)
            .map(|event| event.raw.to_string())
            .collect()
    }

    /// How many times a connection opened (reconnects included).
    pub fn opens(&self) -> usize {
        self.events
            .iter()
            .filter(|event| matches!(event, Event::State { state: ConnState::Open, .. }))
            .count()
    }

    /// Waits until `sub` has at least `count` notifications; returns their parsed JSON.
    pub async fn notified(&mut self, sub: SubKey, count: usize, timeout: Duration) -> Vec<Value> {
        self.until(&format!("{count} notifications for subscription {sub}"), timeout, |d| {
            let found = d.notifications(sub);
            (found.len() >= count)
                .then(|| found.iter().map(|e| serde_json::from_str(&e.raw).unwrap_or(Value::Null)).collect())
        })
        .await
    }

    /// Waits until `sub` ended and returns why.
    pub async fn ended(&mut self, sub: SubKey) -> EndReason {
        self.until(&format!("subscription {sub} to end"), Duration::from_secs(20), |d| {
            d.events.iter().find_map(|e| match e {
                Event::SubscriptionEnded { sub: s, reason, .. } if *s == sub => Some(reason.clone()),
                _ => None,
            })
        })
        .await
    }

    /// Waits for a one-off request's answer.
    pub async fn response(&mut self, request: u64) -> Result<String, subscope::protocol::RpcError> {
        self.until(&format!("response to request {request}"), Duration::from_secs(20), |d| {
            d.events.iter().find_map(|e| match e {
                Event::Response { request: r, result, .. } if *r == request => Some(result.clone()),
                _ => None,
            })
        })
        .await
    }
}

/// A Solana `slotNotification` as a connection reports it (sequence number and time are
/// given by the queue a script pushes it to).
pub fn slot_notification(conn: ConnId, sub: SubKey, slot: u64) -> CapturedEvent {
    CapturedEvent {
        seq: 0,
        received_at_ms: 0,
        connection: conn,
        subscription: Some(sub),
        direction: Direction::In,
        kind: FrameKind::Notification,
        method: Some(Arc::from("slotNotification")),
        raw: format!(
            r#"{{"jsonrpc":"2.0","method":"slotNotification","params":{{"result":{{"slot":{slot},"parent":{},"root":0}},"subscription":3}}}}"#,
            slot.saturating_sub(1)
        )
        .into(),
        redacted: false,
        recovered: None,
    }
}
