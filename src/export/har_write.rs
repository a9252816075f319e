//! Writing HAR 1.2 (the shape [`super::har`] reads, as Chrome DevTools and HTTP Toolkit
//! write and open it): one entry per connection, its frames in `_webSocketMessages`. Frames
//! sent are `send`, frames received `receive`; a binary frame (kept as hex) goes out as
//! opcode 2 with base64 data. subscope's own records (connected, lost, gaps) have no place in
//! HAR and are left out. Endpoints are redacted as in every export.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::atomic::Ordering;

use base64::Engine as _;
use serde_json::json;

use super::format::{CaptureContext, iso8601};
use super::safe_write::{ExportError, Progress};
use crate::capture::{CapturedEvent, ConnId, Direction};
use crate::protocol::FrameKind;
use crate::redact::redact_url;

/// Writes `events` as one HAR document; returns how many frames it holds.
///
/// # Errors
///
/// The output failed, or `progress` asked to cancel.
pub(super) fn write_har<'a>(
    out: &mut dyn Write,
    events: impl IntoIterator<Item = &'a CapturedEvent>,
    context: &CaptureContext,
    progress: &Progress,
    io_error: &dyn Fn(io::Error) -> ExportError,
) -> Result<u64, ExportError> {
    // One entry per connection, in the order each first appears.
    let mut order: Vec<ConnId> = Vec::new();
    let mut by_connection: HashMap<ConnId, Vec<&CapturedEvent>> = HashMap::new();
    for event in events {
        if progress.cancel.load(Ordering::Relaxed) {
            return Err(ExportError::Cancelled);
        }
        progress.done.fetch_add(1, Ordering::Relaxed);
        if event.direction == Direction::Meta {
            continue;
        }
        by_connection
            .entry(event.connection)
            .or_insert_with(|| {
                order.push(event.connection);
                Vec::new()
            })
            .push(event);
    }
    let creator = json!({"name": "subscope", "version": env!("CARGO_PKG_VERSION")});
    write!(out, "{{\"log\":{{\"version\":\"1.2\",\"creator\":{creator},\"pages\":[],\"entries\":[")
        .map_err(io_error)?;
    let mut written = 0u64;
    for (index, conn) in order.iter().enumerate() {
        let frames = by_connection.get(conn).map(Vec::as_slice).unwrap_or_default();
        let url = context.connections.get(conn).map_or_else(String::new, |info| redact_url(&info.endpoint));
        let started = frames.first().map_or(0, |event| event.received_at_ms);
        let head = json!({
            "startedDateTime": iso8601(started),
            "time": 0,
            "request": {
                "method": "GET", "url": url, "httpVersion": "HTTP/1.1", "cookies": [], "headers": [],
                "queryString": [], "headersSize": -1, "bodySize": 0,
            },
            "response": {
                "status": 101, "statusText": "Switching Protocols", "httpVersion": "HTTP/1.1",
                "cookies": [], "headers": [], "content": {"size": 0, "mimeType": "x-unknown"},
                "redirectURL": "", "headersSize": -1, "bodySize": 0,
            },
            "cache": {},
            "timings": {"send": 0, "wait": 0, "receive": 0},
            "_resourceType": "websocket",
        })
        .to_string();
        // The head without its closing brace, then the messages.
        let head = head.strip_suffix('}').unwrap_or(&head);
        let separator = if index == 0 { "\n" } else { ",\n" };
        write!(out, "{separator}{head},\"_webSocketMessages\":[").map_err(io_error)?;
        for (at, event) in frames.iter().enumerate() {
            let kind = if event.direction == Direction::Out { "send" } else { "receive" };
            let (opcode, data) = match event.kind {
                FrameKind::Binary => (2, base64_of_hex(&event.raw).unwrap_or_else(|| event.raw.to_string())),
                _ => (1, event.raw.to_string()),
            };
            let message = json!({
                "type": kind,
                "time": event.received_at_ms as f64 / 1000.0,
                "opcode": opcode,
                "data": data,
            });
            let separator = if at == 0 { "" } else { "," };
            write!(out, "{separator}\n{message}").map_err(io_error)?;
            written += 1;
        }
        write!(out, "]}}").map_err(io_error)?;
    }
    writeln!(out, "\n]}}}}").map_err(io_error)?;
    out.flush().map_err(io_error)?;
    Ok(written)
}

/// The base64 of the bytes a hex string spells, or `None` when it is not hex.
fn base64_of_hex(hex: &str) -> Option<String> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|at| hex.get(at..at + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect();
    Some(base64::engine::general_purpose::STANDARD.encode(bytes?))
}
