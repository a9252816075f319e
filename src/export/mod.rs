//! Captures as files: NDJSON (one event per line) and JSON (an array), written safely and read
//! back exactly.
//!
//! Format version 1, one object per event (README, "Capture format"):
//!
//! ```json
//! {"v":1,"seq":7,"time":"2026-11-22T08:19:00.123Z","time_ms":1795335540123,
//!  "connection":"Helius mainnet","endpoint":"wss://mainnet.helius-rpc.com/?api-key=***",
//!  "subscription":{"key":3,"method":"logsSubscribe","params":["all"]},"server_id":5,
//!  "direction":"in","kind":"notification","method":"logsNotification","size":312,
//!  "frame":{"jsonrpc":"2.0","method":"logsNotification","params":{…}}}
//! ```
//!
//! `server_id` is the id the server gave the subscription last (a notification's own frame
//! names the id it was sent under). `frame` is the frame's JSON exactly as received (whitespace outside strings removed when it
//! spanned lines); a frame that was not JSON is in `frame_text` instead. Endpoints are always
//! redacted: no API key reaches a file.

mod format;
mod reader;
mod safe_write;
#[cfg(test)]
mod tests;
mod writer;

pub use format::{CaptureContext, ConnectionInfo, FORMAT_VERSION, Format, SubscriptionInfo, iso8601};
pub use reader::{ImportError, ImportOptions, Imported, import_file, import_reader, import_reader_with};
pub use safe_write::{ExportError, Progress, export_to_file, write_atomically};
pub use writer::EventWriter;
