//! Writing events: [`EventWriter`] renders each event by hand, not through serde, because an
//! export of a million events should run near the speed of a plain write. Numbers go
//! through itoa, the time text is reused within a second, and a connection's and a
//! subscription's members are rendered once. Field names and their order come from the
//! format's table ([`fields`], [`subscription_fields`]), as `"name":` prefixes made at
//! compile time.

use std::io::{self, Write};
use std::sync::Arc;

use super::format::{
    CaptureContext, ConnectionInfo, FORMAT_VERSION, Format, SubscriptionInfo, fields, is_json_kind, iso8601,
    source_fields, subscription_fields,
};
use crate::capture::{CapturedEvent, ConnId, Direction, SubKey};
use crate::protocol::FrameKind;
use crate::redact::redact_url;

/// Removes whitespace outside strings, so a multi-line JSON frame fits on one line unchanged
/// in meaning (numbers and strings keep their exact text).
fn compact_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for ch in text.chars() {
        if in_string {
            out.push(ch);
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_string = false;
            }
        } else if ch == '"' {
            in_string = true;
            out.push(ch);
        } else if !ch.is_ascii_whitespace() {
            out.push(ch);
        }
    }
    out
}

/// Whole rendered events are handed to the output in chunks of about this size, each ending
/// with a whole line.
const WRITE_CHUNK: usize = 64 << 10;

/// Writes events in one of the formats. It buffers whole events and hands them to `out` in
/// chunks that end on an event boundary, so an output cut short by a kill holds whole lines.
pub struct EventWriter<W: Write> {
    out: W,
    format: Format,
    written: u64,
    /// Events every byte of which `out` has taken.
    delivered: u64,
    /// Rendered events not handed to `out` yet.
    buffer: String,
    /// Where each event in `buffer` ends, to count the events of a chunk `out` took only part of.
    ends: Vec<usize>,
    /// Rendered `"connection":…,"endpoint":…` members, per connection.
    connections: foldhash::HashMap<ConnId, String>,
    /// Rendered `"subscription":{…}` and `"server_id":…` members, per subscription.
    subscriptions: foldhash::HashMap<SubKey, String>,
    /// The direction, kind and method of the event rendered last, and their members as
    /// rendered: the events of a stream repeat them.
    middle: Option<(Direction, FrameKind, Option<Arc<str>>, String)>,
    /// The second of the last time rendered, and its ISO-8601 text up to the milliseconds.
    clock: Option<(u64, String)>,
}

impl<W: Write> EventWriter<W> {
    /// Starts a file (writes `[` for JSON).
    ///
    /// # Errors
    ///
    /// The output failed, or `format` is HAR, which is written whole
    /// ([`super::export_to_file`]), not event by event.
    pub fn new(mut out: W, format: Format) -> io::Result<Self> {
        if format == Format::Har {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "HAR is written whole, not event by event",
            ));
        }
        if format != Format::Ndjson {
            out.write_all(b"[")?;
        }
        Ok(Self {
            out,
            format,
            written: 0,
            delivered: 0,
            buffer: String::with_capacity(WRITE_CHUNK + 4096),
            ends: Vec::new(),
            connections: foldhash::HashMap::default(),
            subscriptions: foldhash::HashMap::default(),
            middle: None,
            clock: None,
        })
    }

    /// Writes one event (handed to the output in chunks; [`Self::flush`] hands over the rest).
    pub fn write(&mut self, event: &CapturedEvent, context: &CaptureContext) -> io::Result<()> {
        let pretty = self.format == Format::JsonPretty;
        match self.format {
            Format::Ndjson => {}
            Format::JsonCompact | Format::JsonPretty | Format::Har => {
                self.buffer.push_str(if self.written == 0 { "\n" } else { ",\n" });
            }
        }
        self.render(event, context, pretty);
        if self.format == Format::Ndjson {
            self.buffer.push('\n');
        }
        self.written += 1;
        self.ends.push(self.buffer.len());
        if self.buffer.len() >= WRITE_CHUNK {
            self.hand_over()?;
        }
        Ok(())
    }

    /// Hands the buffer to the output, counting the events it took whole even when it fails
    /// part way (a full disk takes what fits, then refuses the rest).
    fn hand_over(&mut self) -> io::Result<()> {
        let bytes = self.buffer.as_bytes();
        let mut taken = 0;
        let failure = loop {
            if taken == bytes.len() {
                break None;
            }
            match self.out.write(&bytes[taken..]) {
                Ok(0) => break Some(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => taken += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => break Some(err),
            }
        };
        self.delivered += self.ends.iter().take_while(|end| **end <= taken).count() as u64;
        self.ends.clear();
        self.buffer.clear();
        failure.map_or(Ok(()), Err)
    }

    /// Renders one event into the buffer.
    fn render(&mut self, event: &CapturedEvent, context: &CaptureContext, pretty: bool) {
        let sep = if pretty { ",\n  " } else { "," };
        let mut number = itoa::Buffer::new();
        let out = &mut self.buffer;
        out.push_str(if pretty { "{\n  " } else { "{" });
        out.push_str(fields::V.prefix);
        out.push_str(number.format(FORMAT_VERSION));
        out.push_str(sep);
        out.push_str(fields::SEQ.prefix);
        out.push_str(number.format(event.seq));
        out.push_str(sep);
        out.push_str(fields::TIME.prefix);
        out.push('"');
        push_time(out, &mut self.clock, event.received_at_ms);
        out.push('"');
        out.push_str(sep);
        out.push_str(fields::TIME_MS.prefix);
        out.push_str(number.format(event.received_at_ms));
        let connection = self
            .connections
            .entry(event.connection)
            .or_insert_with(|| render_connection(context.connections.get(&event.connection), sep));
        out.push_str(connection);
        if let Some(key) = event.subscription {
            let subscription = self
                .subscriptions
                .entry(key)
                .or_insert_with(|| render_subscription(key, context.subscriptions.get(&key), sep));
            out.push_str(subscription);
        }
        match &self.middle {
            Some((direction, kind, method, rendered))
                if *direction == event.direction
                    && *kind == event.kind
                    && method.as_deref() == event.method.as_deref() =>
            {
                out.push_str(rendered);
            }
            _ => {
                let rendered = render_middle(event, sep);
                out.push_str(&rendered);
                self.middle = Some((event.direction, event.kind, event.method.clone(), rendered));
            }
        }
        out.push_str(sep);
        out.push_str(fields::SIZE.prefix);
        out.push_str(number.format(event.raw.len()));
        out.push_str(sep);
        if event.redacted {
            out.push_str(fields::REDACTED.prefix);
            out.push_str("true");
            out.push_str(sep);
        }
        if let Some(recovery) = event.recovered {
            out.push_str(fields::SOURCE.prefix);
            out.push('{');
            out.push_str(source_fields::RECOVERED.prefix);
            push_json_str(out, recovery.reason().as_str());
            out.push(',');
            out.push_str(source_fields::VIA.prefix);
            push_json_str(out, recovery.via().as_str());
            out.push('}');
            out.push_str(sep);
        }
        // A JSON frame goes in as JSON, unless spaces around it would be lost that way.
        let padded = event.raw.starts_with(|c: char| c.is_ascii_whitespace())
            || event.raw.ends_with(|c: char| c.is_ascii_whitespace());
        if is_json_kind(event.kind) && !padded {
            out.push_str(fields::FRAME.prefix);
            if memchr::memchr2(b'\n', b'\r', event.raw.as_bytes()).is_some() {
                out.push_str(&compact_json(&event.raw));
            } else {
                out.push_str(&event.raw);
            }
        } else {
            out.push_str(fields::FRAME_TEXT.prefix);
            push_json_str(out, &event.raw);
        }
        out.push_str(if pretty { "\n}" } else { "}" });
    }

    /// Forgets what was rendered from the context; call it after the context changed (a
    /// subscription got its server id).
    pub fn context_changed(&mut self) {
        self.connections.clear();
        self.subscriptions.clear();
    }

    /// How many events were written.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// How many events the output has taken whole: after a failed write, the events that
    /// are in it (the rest of the failed chunk, and everything after, are not).
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Hands every event written so far to the output and flushes it.
    pub fn flush(&mut self) -> io::Result<()> {
        if !self.buffer.is_empty() {
            self.hand_over()?;
        }
        self.out.flush()
    }

    /// The output as it is, without ending the file (after a failed write, say).
    pub fn into_output(self) -> W {
        self.out
    }

    /// Ends the file (writes `]` for JSON) and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.format != Format::Ndjson {
            self.buffer.push_str(if self.written == 0 { "]\n" } else { "\n]\n" });
        }
        self.flush()?;
        Ok(self.out)
    }
}

/// Pushes `ms` as ISO-8601 UTC with milliseconds, reusing the text up to the second.
fn push_time(out: &mut String, clock: &mut Option<(u64, String)>, ms: u64) {
    let second = ms / 1000;
    let prefix = match clock {
        Some((cached, prefix)) if *cached == second => prefix,
        _ => {
            let mut prefix = iso8601(second * 1000);
            prefix.truncate(prefix.len() - 4); // "000Z"
            &mut clock.insert((second, prefix)).1
        }
    };
    out.push_str(prefix);
    let milli = ms % 1000;
    for digit in [milli / 100, milli / 10 % 10, milli % 10] {
        out.push(char::from(b'0' + digit as u8));
    }
    out.push('Z');
}

fn push_json_str(out: &mut String, text: &str) {
    let plain = text.bytes().all(|byte| byte >= 0x20 && byte != b'"' && byte != b'\\');
    if plain {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else if let Ok(quoted) = serde_json::to_string(text) {
        // Serializing a &str cannot fail.
        out.push_str(&quoted);
    }
}

/// The `"direction"`, `"kind"` and `"method"` members (each after a separator).
fn render_middle(event: &CapturedEvent, sep: &str) -> String {
    let mut out = String::new();
    out.push_str(sep);
    out.push_str(fields::DIRECTION.prefix);
    out.push('"');
    out.push_str(event.direction.as_str());
    out.push('"');
    out.push_str(sep);
    out.push_str(fields::KIND.prefix);
    out.push('"');
    out.push_str(event.kind.as_str());
    out.push('"');
    if let Some(method) = &event.method {
        out.push_str(sep);
        out.push_str(fields::METHOD.prefix);
        push_json_str(&mut out, method);
    }
    out
}

fn render_connection(info: Option<&ConnectionInfo>, sep: &str) -> String {
    let mut out = String::new();
    out.push_str(sep);
    out.push_str(fields::CONNECTION.prefix);
    push_json_str(&mut out, info.map_or("", |info| info.label.as_str()));
    out.push_str(sep);
    out.push_str(fields::ENDPOINT.prefix);
    // Redacted again on the way out: a context filled by hand must not leak a key either.
    push_json_str(&mut out, &info.map_or_else(String::new, |info| redact_url(&info.endpoint)));
    out
}

fn render_subscription(key: SubKey, info: Option<&SubscriptionInfo>, sep: &str) -> String {
    let mut out = String::new();
    out.push_str(sep);
    out.push_str(fields::SUBSCRIPTION.prefix);
    out.push('{');
    out.push_str(subscription_fields::KEY.prefix);
    out.push_str(itoa::Buffer::new().format(key));
    if let Some(info) = info {
        out.push(',');
        out.push_str(subscription_fields::METHOD.prefix);
        push_json_str(&mut out, &info.method);
        if let Some(params) = &info.params {
            out.push(',');
            out.push_str(subscription_fields::PARAMS.prefix);
            out.push_str(&params.to_string());
        }
    }
    out.push('}');
    if let Some(server_id) = info.and_then(|info| info.server_id.as_ref()) {
        out.push_str(sep);
        out.push_str(fields::SERVER_ID.prefix);
        out.push_str(&server_id.to_json().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::tests::{context, event};
    use crate::protocol::FrameKind;

    #[test]
    fn compaction_keeps_strings_and_numbers_exact() {
        assert_eq!(
            compact_json("{\n \"a b\" : [1, 2.50],\n \"c\":\"x\\\" y\"\n}"),
            "{\"a b\":[1,2.50],\"c\":\"x\\\" y\"}"
        );
    }

    #[test]
    fn ndjson_line_has_the_documented_fields_and_no_key() {
        let frame = r#"{"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":1},"value":{"signature":"s","err":null,"logs":[]}},"subscription":5}}"#;
        let mut writer = EventWriter::new(Vec::new(), Format::Ndjson).unwrap_or_else(|err| panic!("{err}"));
        writer
            .write(&event(1, FrameKind::Notification, frame), &context())
            .unwrap_or_else(|err| panic!("{err}"));
        let bytes = writer.finish().unwrap_or_else(|err| panic!("{err}"));
        let text = String::from_utf8(bytes).unwrap_or_default();
        assert!(!text.contains("SECRET"), "{text}");
        assert_eq!(text.lines().count(), 1);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(value["v"], 1);
        assert_eq!(value["time"], "2026-11-22T08:19:00.124Z");
        assert_eq!(value["connection"], "Helius \"main\"");
        assert_eq!(value["endpoint"], "wss://mainnet.helius-rpc.com/?api-key=***");
        assert_eq!(value["subscription"]["method"], "logsSubscribe");
        assert_eq!(value["subscription"]["params"], serde_json::json!(["all"]));
        assert_eq!(value["server_id"], 5);
        assert_eq!(value["direction"], "in");
        assert_eq!(value["kind"], "notification");
        assert_eq!(value["frame"]["params"]["subscription"], 5);
    }
}
