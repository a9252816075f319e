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

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::capture::{CaptureLimits, CapturedEvent, ConnId, Direction, SubKey, Text};
use crate::protocol::{FrameKind, SubId};
use crate::redact::redact_url;

/// The format version written in every event's `v`.
pub const FORMAT_VERSION: u32 = 1;

/// File formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Format {
    /// One JSON object per line.
    Ndjson,
    /// A JSON array, one event per line.
    JsonCompact,
    /// A JSON array with indented envelopes (frames stay as received).
    JsonPretty,
}

impl Format {
    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Ndjson => "ndjson",
            Self::JsonCompact | Self::JsonPretty => "json",
        }
    }
}

/// What a connection was, for export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The user's name for it.
    pub label: String,
    /// Its URL, redacted.
    pub endpoint: String,
}

/// What a subscription was, for export.
#[derive(Clone, Debug, PartialEq)]
pub struct SubscriptionInfo {
    /// The subscribe method.
    pub method: String,
    /// Its params.
    pub params: Option<serde_json::Value>,
    /// The server id it had last.
    pub server_id: Option<SubId>,
}

/// Names for the ids in captured events.
#[derive(Clone, Debug, Default)]
pub struct CaptureContext {
    /// Connections by id.
    pub connections: HashMap<ConnId, ConnectionInfo>,
    /// Subscriptions by local key.
    pub subscriptions: HashMap<SubKey, SubscriptionInfo>,
}

impl CaptureContext {
    /// Registers a connection; the URL is redacted here, so no key can be stored.
    pub fn add_connection(&mut self, conn: ConnId, label: &str, url: &str) {
        self.connections.insert(conn, ConnectionInfo { label: label.to_owned(), endpoint: redact_url(url) });
    }
}

/// Formats `ms` since the epoch as ISO-8601 UTC with milliseconds.
pub fn iso8601(ms: u64) -> String {
    let mut out = String::with_capacity(24);
    push_iso8601(&mut out, ms);
    out
}

fn push_iso8601(out: &mut String, ms: u64) {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let (year, month, day) = civil_from_days(days);
    let rem = secs % 86_400;
    let (hour, minute, second, milli) = (rem / 3600, rem / 60 % 60, rem % 60, ms % 1000);
    let _ = write!(out, "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z");
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

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

fn is_json_kind(kind: FrameKind) -> bool {
    !matches!(kind, FrameKind::NotJson | FrameKind::Binary)
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
    /// Rendered events not handed to `out` yet.
    buffer: String,
    /// Rendered `"connection":…,"endpoint":…` members, per connection.
    connections: HashMap<ConnId, String>,
    /// Rendered `"subscription":{…}` and `"server_id":…` members, per subscription.
    subscriptions: HashMap<SubKey, String>,
    /// The last method rendered (its shared text) and its JSON: notifications of a stream
    /// share one method name.
    method: Option<(Arc<str>, String)>,
    /// The second of the last time rendered, and its ISO-8601 text up to the milliseconds.
    clock: Option<(u64, String)>,
}

impl<W: Write> EventWriter<W> {
    /// Starts a file (writes `[` for JSON).
    pub fn new(mut out: W, format: Format) -> io::Result<Self> {
        if format != Format::Ndjson {
            out.write_all(b"[")?;
        }
        Ok(Self {
            out,
            format,
            written: 0,
            buffer: String::with_capacity(WRITE_CHUNK + 4096),
            connections: HashMap::new(),
            subscriptions: HashMap::new(),
            method: None,
            clock: None,
        })
    }

    /// Writes one event (handed to the output in chunks; [`Self::flush`] hands over the rest).
    pub fn write(&mut self, event: &CapturedEvent, context: &CaptureContext) -> io::Result<()> {
        let pretty = self.format == Format::JsonPretty;
        match self.format {
            Format::Ndjson => {}
            Format::JsonCompact | Format::JsonPretty => {
                self.buffer.push_str(if self.written == 0 { "\n" } else { ",\n" });
            }
        }
        self.render(event, context, pretty);
        if self.format == Format::Ndjson {
            self.buffer.push('\n');
        }
        self.written += 1;
        if self.buffer.len() >= WRITE_CHUNK {
            self.out.write_all(self.buffer.as_bytes())?;
            self.buffer.clear();
        }
        Ok(())
    }

    /// Renders one event into the buffer.
    fn render(&mut self, event: &CapturedEvent, context: &CaptureContext, pretty: bool) {
        let sep = if pretty { ",\n  " } else { "," };
        let mut number = itoa::Buffer::new();
        let out = &mut self.buffer;
        out.push_str(if pretty { "{\n  " } else { "{" });
        out.push_str("\"v\":");
        out.push_str(number.format(FORMAT_VERSION));
        out.push_str(sep);
        out.push_str("\"seq\":");
        out.push_str(number.format(event.seq));
        out.push_str(sep);
        out.push_str("\"time\":\"");
        push_time(out, &mut self.clock, event.received_at_ms);
        out.push('"');
        out.push_str(sep);
        out.push_str("\"time_ms\":");
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
        out.push_str(sep);
        out.push_str("\"direction\":\"");
        out.push_str(event.direction.as_str());
        out.push('"');
        out.push_str(sep);
        out.push_str("\"kind\":\"");
        out.push_str(event.kind.as_str());
        out.push('"');
        if let Some(method) = &event.method {
            out.push_str(sep);
            out.push_str("\"method\":");
            match &self.method {
                Some((last, rendered)) if Arc::ptr_eq(last, method) => out.push_str(rendered),
                _ => {
                    let mut rendered = String::with_capacity(method.len() + 2);
                    push_json_str(&mut rendered, method);
                    out.push_str(&rendered);
                    self.method = Some((Arc::clone(method), rendered));
                }
            }
        }
        out.push_str(sep);
        out.push_str("\"size\":");
        out.push_str(number.format(event.raw.len()));
        out.push_str(sep);
        // A JSON frame goes in as JSON, unless spaces around it would be lost that way.
        let padded = event.raw.starts_with(|c: char| c.is_ascii_whitespace())
            || event.raw.ends_with(|c: char| c.is_ascii_whitespace());
        if is_json_kind(event.kind) && !padded {
            out.push_str("\"frame\":");
            if memchr::memchr2(b'\n', b'\r', event.raw.as_bytes()).is_some() {
                out.push_str(&compact_json(&event.raw));
            } else {
                out.push_str(&event.raw);
            }
        } else {
            out.push_str("\"frame_text\":");
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

    /// Hands every event written so far to the output and flushes it.
    pub fn flush(&mut self) -> io::Result<()> {
        if !self.buffer.is_empty() {
            self.out.write_all(self.buffer.as_bytes())?;
            self.buffer.clear();
        }
        self.out.flush()
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

fn render_connection(info: Option<&ConnectionInfo>, sep: &str) -> String {
    let mut out = String::new();
    out.push_str(sep);
    out.push_str("\"connection\":");
    push_json_str(&mut out, info.map_or("", |info| info.label.as_str()));
    out.push_str(sep);
    out.push_str("\"endpoint\":");
    // Redacted again on the way out: a context filled by hand must not leak a key either.
    push_json_str(&mut out, &info.map_or_else(String::new, |info| redact_url(&info.endpoint)));
    out
}

fn render_subscription(key: SubKey, info: Option<&SubscriptionInfo>, sep: &str) -> String {
    let mut out = String::new();
    let _ = write!(out, "{sep}\"subscription\":{{\"key\":{key}");
    if let Some(info) = info {
        out.push_str(",\"method\":");
        push_json_str(&mut out, &info.method);
        if let Some(params) = &info.params {
            out.push_str(",\"params\":");
            out.push_str(&params.to_string());
        }
    }
    out.push('}');
    if let Some(server_id) = info.and_then(|info| info.server_id.as_ref()) {
        out.push_str(sep);
        out.push_str("\"server_id\":");
        out.push_str(&server_id.to_json().to_string());
    }
    out
}

/// Why an export did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The user cancelled; nothing was written.
    #[error("export cancelled; no file was written")]
    Cancelled,
    /// Writing failed (no permission, disk full…); any existing file is untouched.
    #[error("could not write {path}: {source}")]
    Io {
        /// The target file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// Progress and cancellation shared with a UI.
#[derive(Debug, Default)]
pub struct Progress {
    /// Units done (events for export, bytes for import).
    pub done: AtomicU64,
    /// Units in total.
    pub total: AtomicU64,
    /// Set to stop early.
    pub cancel: AtomicBool,
}

impl Progress {
    /// A fraction in [0, 1].
    pub fn fraction(&self) -> f32 {
        let total = self.total.load(Ordering::Relaxed);
        if total == 0 {
            0.0
        } else {
            (self.done.load(Ordering::Relaxed) as f64 / total as f64).min(1.0) as f32
        }
    }
}

/// Writes a file safely: `write` fills a temporary file in the target's folder, which is
/// then flushed, synced and renamed over the target. If `write` fails (or a cancel surfaces
/// as an error), the temporary file is removed and an existing target is left untouched.
pub fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> Result<T, ExportError>,
) -> Result<T, ExportError> {
    let io_error = |source: io::Error| ExportError::Io { path: path.to_owned(), source };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temp = tempfile::Builder::new()
        .prefix(".subscope-export-")
        .suffix(".tmp")
        .tempfile_in(folder)
        .map_err(io_error)?;
    let mut out = BufWriter::with_capacity(1 << 20, temp.as_file());
    let value = write(&mut out)?; // on error `temp` is dropped, which deletes it
    out.flush().map_err(io_error)?;
    drop(out);
    temp.as_file().sync_all().map_err(io_error)?;
    temp.persist(path).map_err(|err| io_error(err.error))?;
    Ok(value)
}

/// Writes `events` to `path` safely (see [`write_atomically`]): a failure or a cancel leaves
/// no partial file and an existing file untouched. Returns how many events were written.
pub fn export_to_file<'a>(
    path: &Path,
    format: Format,
    events: impl IntoIterator<Item = &'a CapturedEvent>,
    context: &CaptureContext,
    progress: &Progress,
) -> Result<u64, ExportError> {
    let io_error = |source: io::Error| ExportError::Io { path: path.to_owned(), source };
    write_atomically(path, |out| {
        let mut writer = EventWriter::new(out, format).map_err(io_error)?;
        for event in events {
            if progress.cancel.load(Ordering::Relaxed) {
                return Err(ExportError::Cancelled);
            }
            writer.write(event, context).map_err(io_error)?;
            progress.done.fetch_add(1, Ordering::Relaxed);
        }
        let written = writer.written();
        writer.finish().map_err(io_error)?;
        Ok(written)
    })
}

/// One event as it is read back.
#[derive(Deserialize)]
struct FileEvent {
    #[serde(default)]
    v: Option<u32>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    time_ms: Option<u64>,
    #[serde(default)]
    connection: String,
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    subscription: Option<FileSubscription>,
    #[serde(default)]
    server_id: Option<SubId>,
    direction: Direction,
    kind: FrameKind,
    #[serde(default)]
    method: Option<String>,
    /// Present even as `null` (a frame of `null` is a frame).
    #[serde(default, deserialize_with = "present_frame")]
    frame: Option<Box<RawValue>>,
    #[serde(default)]
    frame_text: Option<String>,
}

#[derive(Deserialize)]
struct FileSubscription {
    key: SubKey,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    params: Option<serde_json::Value>,
}

/// Deserializes a member that is present (even as `null`) into `Some`.
fn present_frame<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(deserializer).map(Some)
}

/// A capture read from a file.
#[derive(Debug, Default)]
pub struct Imported {
    /// The events, in file order (the newest ones, when the file held more than the limits).
    pub events: VecDeque<CapturedEvent>,
    /// How many of the file's oldest events were left out to stay within the limits.
    pub evicted: u64,
    /// Connections and subscriptions named in the file.
    pub context: CaptureContext,
    /// The first problem met; everything before it is in `events`.
    pub error: Option<ImportError>,
}

/// How much an import may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    /// The longest line (NDJSON) or array element (JSON) read; a longer one stops the
    /// import there, with what came before it kept.
    pub max_line_bytes: usize,
    /// The most events and bytes kept; past them the oldest are left out and counted.
    pub limits: CaptureLimits,
}

impl Default for ImportOptions {
    /// 272 MiB lines (a 256 MiB frame, the largest a connection accepts, and its fields), no
    /// event limit.
    fn default() -> Self {
        Self {
            max_line_bytes: 272 << 20,
            limits: CaptureLimits { max_events: usize::MAX, max_bytes: usize::MAX },
        }
    }
}

/// A problem in an imported file, located.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportError {
    /// A line (NDJSON) or element (JSON) is not a valid event.
    #[error("line {line}: {message}")]
    BadEvent {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The file could not be read.
    #[error("could not read the file: {0}")]
    Io(String),
    /// The file is of a newer format version.
    #[error("line {line}: format version {version} is newer than this subscope reads ({FORMAT_VERSION})")]
    Version {
        /// Where.
        line: u64,
        /// The version found.
        version: u32,
    },
    /// The import was cancelled.
    #[error("import cancelled")]
    Cancelled,
    /// A line (or array element) is longer than the import accepts.
    #[error("line {line} is longer than {limit} bytes")]
    TooLong {
        /// Where (the element's number, for a JSON array).
        line: u64,
        /// The limit.
        limit: usize,
    },
}

/// Turns file events into captured events, allocating connection ids by (label, endpoint),
/// and keeps the newest within the limits.
struct Assembler {
    imported: Imported,
    connections: HashMap<(String, String), ConnId>,
    limits: CaptureLimits,
    bytes: usize,
    added: u64,
}

impl Assembler {
    fn add(&mut self, line: u64, event: FileEvent) -> Result<(), ImportError> {
        if let Some(version) = event.v.filter(|version| *version > FORMAT_VERSION) {
            return Err(ImportError::Version { line, version });
        }
        let next_id = self.connections.len() as ConnId + 1;
        let key = (event.connection, event.endpoint);
        let conn = match self.connections.get(&key) {
            Some(conn) => *conn,
            None => {
                self.imported
                    .context
                    .connections
                    .insert(next_id, ConnectionInfo { label: key.0.clone(), endpoint: redact_url(&key.1) });
                self.connections.insert(key, next_id);
                next_id
            }
        };
        let subscription = event.subscription.map(|sub| {
            if let Some(method) = sub.method {
                self.imported.context.subscriptions.entry(sub.key).or_insert(SubscriptionInfo {
                    method,
                    params: sub.params,
                    server_id: event.server_id.clone(),
                });
            }
            sub.key
        });
        let mut kind = event.kind;
        let raw: Text = match (event.frame, event.frame_text) {
            (Some(frame), _) => frame.get().into(),
            (None, Some(text)) => {
                // A `frame_text` is text that was not JSON; a kind that says otherwise would
                // have it written back as a bare JSON value, and the file would break.
                if is_json_kind(kind) && serde_json::from_str::<serde::de::IgnoredAny>(&text).is_err() {
                    kind = FrameKind::NotJson;
                }
                text.into()
            }
            (None, None) => {
                return Err(ImportError::BadEvent { line, message: "no frame or frame_text".into() });
            }
        };
        let seq = event.seq.unwrap_or(self.added);
        self.added += 1;
        let event = CapturedEvent {
            seq,
            received_at_ms: event.time_ms.unwrap_or(0),
            connection: conn,
            subscription,
            direction: event.direction,
            kind,
            method: event.method.map(Arc::from),
            raw,
        };
        self.bytes += event.memory_cost();
        self.imported.events.push_back(event);
        while self.limits.exceeded_by(self.imported.events.len(), self.bytes) {
            let Some(oldest) = self.imported.events.pop_front() else { break };
            self.bytes -= oldest.memory_cost();
            self.imported.evicted += 1;
        }
        Ok(())
    }
}

/// Counts bytes read, for progress.
struct CountingReader<'a, R> {
    inner: R,
    progress: &'a Progress,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.progress.cancel.load(Ordering::Relaxed) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
        }
        let read = self.inner.read(buf)?;
        self.progress.done.fetch_add(read as u64, Ordering::Relaxed);
        Ok(read)
    }
}

/// Reads a capture file of either format (told apart by its first non-blank byte). Never
/// fails as a whole: what was read before a problem is kept and the problem is located. It
/// streams: memory is bounded by `options` (the newest events are kept, the rest counted),
/// whatever the file's size or the length of its lines.
pub fn import_file(path: &Path, progress: &Progress, options: ImportOptions) -> Imported {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) => return Imported { error: Some(ImportError::Io(err.to_string())), ..Imported::default() },
    };
    if let Ok(metadata) = file.metadata() {
        progress.total.store(metadata.len(), Ordering::Relaxed);
    }
    import_reader_with(CountingReader { inner: file, progress }, progress, options)
}

/// Like [`import_file`], from any reader, with the default [`ImportOptions`].
pub fn import_reader(reader: impl Read, progress: &Progress) -> Imported {
    import_reader_with(reader, progress, ImportOptions::default())
}

/// Like [`import_file`], from any reader.
pub fn import_reader_with(reader: impl Read, progress: &Progress, options: ImportOptions) -> Imported {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let first = loop {
        match reader.fill_buf() {
            Ok([]) => return Imported::default(),
            Ok(buf) => match buf.iter().position(|byte| !byte.is_ascii_whitespace()) {
                Some(at) => break buf[at],
                None => {
                    let len = buf.len();
                    reader.consume(len);
                }
            },
            Err(err) => {
                return Imported { error: Some(ImportError::Io(err.to_string())), ..Imported::default() };
            }
        }
    };
    let mut assembler = Assembler {
        imported: Imported::default(),
        connections: HashMap::new(),
        limits: options.limits,
        bytes: 0,
        added: 0,
    };
    let error = if first == b'[' {
        read_array(reader, &mut assembler, options.max_line_bytes)
    } else {
        read_lines(reader, &mut assembler, options.max_line_bytes)
    };
    let mut imported = assembler.imported;
    imported.error =
        error.map(|err| if progress.cancel.load(Ordering::Relaxed) { ImportError::Cancelled } else { err });
    imported
}

fn read_lines(mut reader: impl BufRead, assembler: &mut Assembler, max_line: usize) -> Option<ImportError> {
    let mut bytes = Vec::new();
    let mut number = 0u64;
    loop {
        bytes.clear();
        number += 1;
        // Never more than the limit in memory, however long the line is.
        let limit = u64::try_from(max_line).unwrap_or(u64::MAX).saturating_add(1);
        match (&mut reader).take(limit).read_until(b'\n', &mut bytes) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(err) => return Some(ImportError::Io(format!("line {number}: {err}"))),
        }
        if bytes.len() > max_line && bytes.last() != Some(&b'\n') {
            return Some(ImportError::TooLong { line: number, limit: max_line });
        }
        let Ok(line) = std::str::from_utf8(&bytes) else {
            return Some(ImportError::BadEvent { line: number, message: "not UTF-8 text".into() });
        };
        if line.trim().is_empty() {
            continue;
        }
        let event: FileEvent = match serde_json::from_str(line) {
            Ok(event) => event,
            Err(err) => return Some(ImportError::BadEvent { line: number, message: err.to_string() }),
        };
        if let Err(err) = assembler.add(number, event) {
            return Some(err);
        }
    }
}

/// Counts the bytes read since the last element of a JSON array (and refuses to read on past
/// the per-element limit), and the lines read, to say where an element stands.
struct ElementLimit<R> {
    inner: R,
    since_element: std::rc::Rc<std::cell::Cell<usize>>,
    newlines: std::rc::Rc<std::cell::Cell<u64>>,
    limit: usize,
}

impl<R: Read> Read for ElementLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        let newlines = memchr::memchr_iter(b'\n', &buf[..read]).count() as u64;
        self.newlines.set(self.newlines.get() + newlines);
        let since = self.since_element.get().saturating_add(read);
        self.since_element.set(since);
        if since > self.limit {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "element too long"));
        }
        Ok(read)
    }
}

fn read_array(reader: impl Read, assembler: &mut Assembler, max_element: usize) -> Option<ImportError> {
    use serde::de::{Deserializer as _, SeqAccess, Visitor};

    struct ArrayVisitor<'a> {
        assembler: &'a mut Assembler,
        failure: &'a mut Option<ImportError>,
        since_element: &'a std::cell::Cell<usize>,
        newlines: &'a std::cell::Cell<u64>,
        index: &'a std::cell::Cell<u64>,
    }

    impl<'de> Visitor<'de> for ArrayVisitor<'_> {
        type Value = ();

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array of subscope events")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            self.since_element.set(0);
            while let Some(event) = seq.next_element::<FileEvent>()? {
                self.since_element.set(0);
                self.index.set(self.index.get() + 1);
                // Located by the line the element ends on, as serde locates what it rejects.
                if let Err(err) = self.assembler.add(self.newlines.get() + 1, event) {
                    *self.failure = Some(err);
                    return Ok(());
                }
            }
            Ok(())
        }
    }

    let since_element = std::rc::Rc::new(std::cell::Cell::new(0));
    let newlines = std::rc::Rc::new(std::cell::Cell::new(0));
    let index = std::cell::Cell::new(0);
    let reader = ElementLimit {
        inner: reader,
        since_element: std::rc::Rc::clone(&since_element),
        newlines: std::rc::Rc::clone(&newlines),
        limit: max_element,
    };
    let mut failure = None;
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let visitor = ArrayVisitor {
        assembler,
        failure: &mut failure,
        since_element: &since_element,
        newlines: &newlines,
        index: &index,
    };
    let result = deserializer.deserialize_seq(visitor);
    if failure.is_some() {
        return failure;
    }
    match result.and_then(|()| deserializer.end()) {
        Ok(()) => None,
        Err(_) if since_element.get() > max_element => {
            Some(ImportError::TooLong { line: index.get() + 1, limit: max_element })
        }
        Err(err) => Some(ImportError::BadEvent { line: err.line() as u64, message: format!("{err}") }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: u64, kind: FrameKind, raw: &str) -> CapturedEvent {
        CapturedEvent {
            seq,
            received_at_ms: 1_795_335_540_123 + seq,
            connection: 4,
            subscription: Some(9),
            direction: Direction::In,
            kind,
            method: Some("logsNotification".into()),
            raw: raw.into(),
        }
    }

    fn context() -> CaptureContext {
        let mut context = CaptureContext::default();
        context.add_connection(4, "Helius \"main\"", "wss://mainnet.helius-rpc.com/?api-key=SECRET-KEY-1");
        context.subscriptions.insert(
            9,
            SubscriptionInfo {
                method: "logsSubscribe".into(),
                params: Some(serde_json::json!(["all"])),
                server_id: Some(SubId::Num(5)),
            },
        );
        context
    }

    #[test]
    fn iso8601_matches_known_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_007), "2000-02-29T00:00:00.007Z");
        assert_eq!(iso8601(1_795_335_540_123), "2026-11-22T08:19:00.123Z");
    }

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

    fn round_trip(format: Format) {
        let events = vec![
            event(0, FrameKind::Notification, r#"{"a":1}"#),
            event(1, FrameKind::NotJson, "{not json\nat all"),
            event(2, FrameKind::Unknown, r#"{"hello":"wörld \u00e9"}"#),
            event(3, FrameKind::Binary, "00ff10"),
        ];
        let mut writer = EventWriter::new(Vec::new(), format).unwrap_or_else(|err| panic!("{err}"));
        for e in &events {
            writer.write(e, &context()).unwrap_or_else(|err| panic!("{err}"));
        }
        let bytes = writer.finish().unwrap_or_else(|err| panic!("{err}"));
        let imported = import_reader(bytes.as_slice(), &Progress::default());
        assert_eq!(imported.error, None);
        assert_eq!(imported.events.len(), events.len());
        for (read, written) in imported.events.iter().zip(&events) {
            assert_eq!(read.raw, written.raw);
            assert_eq!(read.kind, written.kind);
            assert_eq!(read.seq, written.seq);
            assert_eq!(read.received_at_ms, written.received_at_ms);
            assert_eq!(read.method, written.method);
            assert_eq!(read.subscription, written.subscription);
        }
        let info = imported.context.connections.get(&imported.events[0].connection);
        assert_eq!(info.map(|i| i.label.as_str()), Some("Helius \"main\""));
    }

    #[test]
    fn every_format_round_trips() {
        round_trip(Format::Ndjson);
        round_trip(Format::JsonCompact);
        round_trip(Format::JsonPretty);
    }

    #[test]
    fn a_bad_line_is_located_and_earlier_events_are_kept() {
        let mut writer = EventWriter::new(Vec::new(), Format::Ndjson).unwrap_or_else(|err| panic!("{err}"));
        for seq in 0..3 {
            writer
                .write(&event(seq, FrameKind::Notification, "{}"), &context())
                .unwrap_or_else(|err| panic!("{err}"));
        }
        let mut bytes = writer.finish().unwrap_or_else(|err| panic!("{err}"));
        bytes.extend_from_slice(b"{\"v\":1,\"direction\":\"in\",\"kind\":\"notifi");
        let imported = import_reader(bytes.as_slice(), &Progress::default());
        assert_eq!(imported.events.len(), 3);
        assert!(
            matches!(imported.error, Some(ImportError::BadEvent { line: 4, .. })),
            "{:?}",
            imported.error
        );
    }

    #[test]
    fn a_truncated_json_array_keeps_what_was_read() {
        let mut writer =
            EventWriter::new(Vec::new(), Format::JsonCompact).unwrap_or_else(|err| panic!("{err}"));
        for seq in 0..5 {
            writer
                .write(&event(seq, FrameKind::Notification, "{}"), &context())
                .unwrap_or_else(|err| panic!("{err}"));
        }
        let bytes = writer.finish().unwrap_or_else(|err| panic!("{err}"));
        let cut = &bytes[..bytes.len() - 40];
        let imported = import_reader(cut, &Progress::default());
        assert_eq!(imported.events.len(), 4);
        assert!(matches!(imported.error, Some(ImportError::BadEvent { .. })));
    }

    #[test]
    fn newer_versions_are_refused_with_their_line() {
        let text = "{\"v\":99,\"direction\":\"in\",\"kind\":\"notification\",\"frame\":{}}\n";
        let imported = import_reader(text.as_bytes(), &Progress::default());
        assert_eq!(imported.error, Some(ImportError::Version { line: 1, version: 99 }));
    }
}
