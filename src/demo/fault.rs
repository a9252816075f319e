//! The fault-injection protocol (`demo_fault`) and the frames the data-heavy faults send.

use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::{Bytes, Message, Utf8Bytes};

use super::ethereum::TRANSFER_TOPIC;
use super::fake::{self, SYSTEM_PROGRAM};
use crate::catalog::{self, ETH_NOTIFICATION};

/// The JSON-RPC method that injects a fault on the connection it arrives on.
pub const FAULT_METHOD: &str = "demo_fault";

/// The largest accepted `flood` count; larger requests are clamped to it.
pub const MAX_FLOOD_COUNT: u64 = 50_000_000;

/// The largest accepted `delay`; larger requests are clamped to it.
pub const MAX_DELAY_MS: u64 = 60_000;

/// The size the `huge` fault's single frame reaches at least (10 MiB).
pub const HUGE_FRAME_BYTES: usize = 10 * 1024 * 1024;

/// The largest accepted `trickle` frame; larger requests are clamped to it.
pub const MAX_TRICKLE_BYTES: usize = 64 * 1024 * 1024;

/// The close code the `close` fault sends (1011, internal error).
pub const CLOSE_FAULT_CODE: u16 = 1011;

/// The close reason the `close` fault sends.
pub const CLOSE_FAULT_REASON: &str = "demo fault: internal error";

/// The text frame the `malformed` fault sends first: not JSON.
pub const MALFORMED_TEXT: &str = "{not json";

/// The text frame the `malformed` fault sends second: JSON of no JSON-RPC shape.
pub const MALFORMED_JSON: &str = r#"{"hello":"world"}"#;

/// The binary frame the `malformed` fault sends third: not UTF-8.
pub const MALFORMED_BINARY: &[u8] = &[0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28];

/// The binary frame the `malformed` fault sends last: UTF-8 text that is not JSON, which a
/// capture must keep as `binary` all the same (only JSON in a binary frame is read as text).
pub const MALFORMED_BINARY_TEXT: &[u8] = b"plain words in a binary frame";

/// A fault to inject into one connection, as sent in `demo_fault` params
/// (`[{"kind":"flood","count":1000}]`) or listed in
/// [`DemoConfig::connection_faults`](super::DemoConfig::connection_faults).
///
/// The server answers `true` first, then acts; every fault applies to the connection that
/// asked for it only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum DemoFault {
    /// Close the TCP connection abruptly, without a close frame.
    Drop,
    /// Send a close frame with code 1011 and a reason, then end the connection.
    Close,
    /// Send `{not json`, then `{"hello":"world"}`, then a non-UTF-8 binary frame and a binary frame of UTF-8 words.
    Malformed,
    /// Send one logsNotification frame of at least 10 MiB.
    Huge,
    /// Delay every later response and notification by `ms` milliseconds (0 turns it off).
    Delay {
        /// The added latency in milliseconds (at most [`MAX_DELAY_MS`]).
        ms: u64,
    },
    /// Refuse the next subscribe with -32603 "Internal Error: Subscription refused. Node
    /// subscription limit reached".
    Refuse,
    /// Send `count` logsNotification frames of about 350 bytes as fast as the socket allows.
    Flood {
        /// How many frames (at most [`MAX_FLOOD_COUNT`]).
        count: u64,
    },
    /// Stop reading the socket (so pings go unanswered) and stop sending anything, until the
    /// client goes away or the server shuts down.
    Silence,
    /// Send one logsNotification frame of `bytes` bytes slowly, spread evenly over `ms`
    /// milliseconds, as a big account over a slow link arrives; nothing else is read or sent
    /// meanwhile, so pings go unanswered until it is through.
    Trickle {
        /// The frame's size in bytes (at most `MAX_TRICKLE_BYTES`).
        bytes: usize,
        /// How long sending it takes, in milliseconds (at most [`MAX_DELAY_MS`]).
        ms: u64,
    },
}

impl DemoFault {
    /// The JSON-RPC request that injects this fault, with the given request id.
    pub fn request(&self, id: u64) -> String {
        let params = serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned());
        format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"{FAULT_METHOD}","params":[{params}]}}"#)
    }
}

/// Where flood and huge frames are addressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FloodTarget {
    /// A Solana logs subscription (or the standalone subscription 0).
    SolanaLogs(u64),
    /// An Ethereum logs subscription.
    EthLogs(String),
}

/// How many frames share one buffer allocation while flooding.
pub(crate) const FLOOD_CHUNK: usize = 512;

/// Builds flood frames cheaply: the fixed parts are formatted once, and each chunk of
/// [`FLOOD_CHUNK`] frames is written into a single allocation that the frames share as
/// zero-copy slices (one allocation per chunk instead of one per frame).
pub(crate) struct FloodBuilder {
    /// Everything before the varying part.
    head: String,
    /// Everything after the sequence number.
    tail: String,
    /// A pool of signatures or transaction hashes, cycled.
    pool: Vec<String>,
    /// Whether frames are Ethereum logs (else Solana logsNotification).
    eth: bool,
}

impl FloodBuilder {
    /// Prepares the templates for `target` at `slot` (Solana) or `block` (Ethereum).
    pub(crate) fn new(target: &FloodTarget, slot: u64, rng: &mut fastrand::Rng) -> Self {
        match target {
            FloodTarget::SolanaLogs(subscription) => Self {
                head: format!(
                    r#"{{"jsonrpc":"2.0","method":"{}","params":{{"result":{{"context":{{"slot":{slot}}},"value":{{"signature":""#,
                    logs_notification()
                ),
                tail: format!(
                    r#"","Program {SYSTEM_PROGRAM} success"]}}}},"subscription":{subscription}}}}}"#
                ),
                pool: (0..256).map(|_| fake::signature(rng)).collect(),
                eth: false,
            },
            FloodTarget::EthLogs(subscription) => Self {
                head: format!(
                    r#"{{"jsonrpc":"2.0","method":"{ETH_NOTIFICATION}","params":{{"subscription":"{subscription}","result":{{"address":"{}","topics":["{TRANSFER_TOPIC}"],"data":"0x","blockHash":"{}","blockNumber":"{}","transactionHash":""#,
                    fake::hex_random::<20>(rng),
                    fake::hex_random::<32>(rng),
                    fake::quantity(slot),
                ),
                tail: r#"","removed":false}}}"#.to_owned(),
                pool: (0..256).map(|_| fake::hex_random::<32>(rng)).collect(),
                eth: true,
            },
        }
    }

    /// The frames numbered `first..first + count`, each unique through its sequence number.
    pub(crate) fn chunk(&self, first: u64, count: usize) -> Vec<Message> {
        let mut buffer = String::with_capacity(count * (self.head.len() + self.tail.len() + 160));
        let mut bounds = Vec::with_capacity(count);
        for offset in 0..count {
            let sequence = first.saturating_add(u64::try_from(offset).unwrap_or(u64::MAX));
            let start = buffer.len();
            buffer.push_str(&self.head);
            let index = usize::try_from(sequence % 256).unwrap_or_default();
            buffer.push_str(self.pool.get(index).map_or("", String::as_str));
            if self.eth {
                buffer.push_str(r#"","transactionIndex":"0x0","logIndex":""#);
                buffer.push_str("0x");
                buffer.push_str(&format!("{sequence:x}"));
            } else {
                buffer.push_str(r#"","err":null,"logs":["Program "#);
                buffer.push_str(SYSTEM_PROGRAM);
                buffer.push_str(r#" invoke [1]","Program log: flood #"#);
                fake::push_u64(&mut buffer, sequence);
            }
            buffer.push_str(&self.tail);
            bounds.push(start..buffer.len());
        }
        let shared = Bytes::from(buffer);
        bounds
            .into_iter()
            .filter_map(|range| Utf8Bytes::try_from(shared.slice(range)).ok())
            .map(Message::Text)
            .collect()
    }
}

/// The `method` of the Solana logs notifications the data-heavy faults send.
fn logs_notification() -> &'static str {
    // Every subscription in the catalogue names one (a catalogue test checks it).
    catalog::solana::LOGS.notification_method.unwrap_or_default()
}

/// The single `huge` logsNotification frame (at least [`HUGE_FRAME_BYTES`] bytes).
pub(crate) fn huge_frame(subscription: u64, slot: u64, rng: &mut fastrand::Rng) -> String {
    sized_frame(subscription, slot, HUGE_FRAME_BYTES, rng)
}

/// A logsNotification frame of at least `size` bytes (its log lines fill it).
pub(crate) fn sized_frame(subscription: u64, slot: u64, size: usize, rng: &mut fastrand::Rng) -> String {
    let line = format!(
        "Program data: {}",
        fake::base64(&{
            let mut event = vec![0_u8; 3_000];
            rng.fill(&mut event);
            event
        })
    );
    let mut frame = String::with_capacity(size + line.len() + 512);
    frame.push_str(&format!(
        r#"{{"jsonrpc":"2.0","method":"{}","params":{{"result":{{"context":{{"slot":{slot}}},"value":{{"signature":"{}","err":null,"logs":["Program {SYSTEM_PROGRAM} invoke [1]""#,
        logs_notification(),
        fake::signature(rng)
    ));
    // Bounded: each pass adds about 4 KiB, so this runs about size / 4 KiB times.
    while frame.len() < size {
        frame.push_str(",\"");
        frame.push_str(&line);
        frame.push('"');
    }
    frame.push_str(&format!(r#","Program {SYSTEM_PROGRAM} success"]}}}},"subscription":{subscription}}}}}"#));
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_requests_round_trip_through_json() {
        let fault = DemoFault::Flood { count: 12 };
        let request: serde_json::Value = match serde_json::from_str(&fault.request(3)) {
            Ok(value) => value,
            Err(err) => panic!("{err}"),
        };
        assert_eq!(request["method"], FAULT_METHOD);
        assert_eq!(request["params"][0]["kind"], "flood");
        assert_eq!(request["params"][0]["count"], 12);
        let parsed: Result<DemoFault, _> = serde_json::from_value(request["params"][0].clone());
        assert_eq!(parsed.ok(), Some(fault));
    }

    #[test]
    fn flood_frames_are_valid_unique_and_about_350_bytes() {
        let mut rng = fastrand::Rng::with_seed(2);
        for target in [
            FloodTarget::SolanaLogs(7),
            FloodTarget::EthLogs("0x596530584a44755a54354a7867794f38".to_owned()),
        ] {
            let builder = FloodBuilder::new(&target, 380_000_000, &mut rng);
            let frames = builder.chunk(1_000, 300);
            assert_eq!(frames.len(), 300);
            let mut seen = std::collections::HashSet::new();
            for frame in &frames {
                let Message::Text(text) = frame else {
                    panic!("not text");
                };
                assert!((250..600).contains(&text.len()), "{} bytes", text.len());
                let value: serde_json::Value = match serde_json::from_str(text) {
                    Ok(value) => value,
                    Err(err) => panic!("{err}: {}", text.as_str()),
                };
                assert!(value["params"]["subscription"] == 7 || value["method"] == "eth_subscription");
                assert!(seen.insert(text.as_str().to_owned()));
            }
        }
    }

    #[test]
    fn huge_frame_is_valid_json_of_at_least_ten_mib() {
        let mut rng = fastrand::Rng::with_seed(2);
        let frame = huge_frame(0, 1, &mut rng);
        assert!(frame.len() >= HUGE_FRAME_BYTES);
        let value: serde_json::Value = match serde_json::from_str(&frame) {
            Ok(value) => value,
            Err(err) => panic!("{err}"),
        };
        assert_eq!(value["method"], "logsNotification");
    }
}
