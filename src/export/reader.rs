//! Reading captures back: either format (or a HAR file, see `har`), streamed, with memory
//! bounded by [`ImportOptions`] (the newest events are kept and the rest counted, and no line
//! or array element longer than a limit is read). A bad event stops the import at its line;
//! the events before it are kept.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::format::{CaptureContext, ConnectionInfo, FORMAT_VERSION, SubscriptionInfo, fields, is_json_kind};
use super::safe_write::Progress;
use crate::capture::{
    CaptureLimits, CapturedEvent, ConnId, Direction, Recovery, RecoveryReason, RecoveryVia, SubKey, Text,
};
use crate::protocol::{FrameKind, SubId};
use crate::redact::redact_url;

/// One event as it is read back. Its field names are the names of the format's
/// [`fields`] that are read back (`Field::read`), no more and no fewer: `export::tests`
/// checks the names serde matches against that table.
#[derive(Deserialize)]
pub(super) struct FileEvent<'a> {
    #[serde(default)]
    v: Option<u32>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    time_ms: Option<u64>,
    #[serde(borrow, default)]
    connection: Cow<'a, str>,
    #[serde(borrow, default)]
    endpoint: Cow<'a, str>,
    #[serde(borrow, default)]
    subscription: Option<FileSubscription<'a>>,
    #[serde(default)]
    server_id: Option<SubId>,
    direction: Direction,
    kind: FrameKind,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    /// Present even as `null` (a frame of `null` is a frame).
    #[serde(default, deserialize_with = "present_frame")]
    frame: Option<Box<RawValue>>,
    #[serde(default)]
    frame_text: Option<String>,
    #[serde(default)]
    redacted: bool,
    #[serde(default)]
    source: Option<FileSource>,
}

/// An event's `subscription` object as it is read back; its field names are the format's
/// [`subscription_fields`](super::format::subscription_fields), checked like [`FileEvent`]'s.
#[derive(Deserialize)]
pub(super) struct FileSubscription<'a> {
    key: SubKey,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    /// Read as a value once per subscription, not per event.
    #[serde(default)]
    params: Option<Box<RawValue>>,
}

/// An event's `source` object as it is read back ([`source_fields`](super::format::source_fields)):
/// how a recovered event was recovered. A name this version does not know reads as no
/// recovery, so a newer file still opens (its rows show unmarked).
#[derive(Deserialize)]
pub(super) struct FileSource {
    recovered: String,
    via: String,
}

impl FileSource {
    fn recovery(self) -> Option<Recovery> {
        Some(Recovery::new(RecoveryReason::from_name(&self.recovered)?, RecoveryVia::from_name(&self.via)?))
    }
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
    /// Entries of a HAR file that were not WebSockets, left out (always 0 for other files).
    pub ignored_entries: u64,
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
    /// A HAR file is malformed at a place: `HAR log.entries[3]._webSocketMessages[7]`, or a
    /// line and column for JSON that does not parse.
    #[error("{at}: {message}")]
    Har {
        /// Where.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A line (or array element) is longer than the import accepts.
    #[error("line {line} is longer than {limit} bytes")]
    TooLong {
        /// Where (the element's number, for a JSON array).
        line: u64,
        /// The limit.
        limit: usize,
    },
}

/// What a reader is handed each event with: the context read so far (which names the event's
/// connection and subscription), and the event. `Break` stops the read.
pub type EachEvent<'a> = &'a mut dyn FnMut(&CaptureContext, CapturedEvent) -> ControlFlow<()>;

/// Turns file events into captured events, allocating connection ids by (label, endpoint),
/// and keeps the newest within the limits, or hands each on as it is read.
struct Assembler<'a> {
    imported: Imported,
    /// Connections by label and endpoint (a file holds a few: a list beats a map's hashing).
    connections: Vec<(String, String, ConnId)>,
    limits: CaptureLimits,
    bytes: usize,
    added: u64,
    /// Where events go instead of `imported.events`, if anywhere.
    each: Option<EachEvent<'a>>,
}

impl Assembler<'_> {
    fn add(&mut self, line: u64, event: FileEvent<'_>) -> Result<(), ImportError> {
        if let Some(version) = event.v.filter(|version| *version > FORMAT_VERSION) {
            return Err(ImportError::Version { line, version });
        }
        let next_id = self.connections.len() as ConnId + 1;
        let known = self
            .connections
            .iter()
            .find(|(label, endpoint, _)| *label == event.connection && *endpoint == event.endpoint);
        let conn = match known {
            Some((_, _, conn)) => *conn,
            None => {
                let (label, endpoint) = (event.connection.into_owned(), event.endpoint.into_owned());
                self.imported.context.connections.insert(
                    next_id,
                    ConnectionInfo { label: label.clone(), endpoint: redact_url(&endpoint) },
                );
                self.connections.push((label, endpoint, next_id));
                next_id
            }
        };
        let subscription = event.subscription.map(|sub| {
            if let Some(method) = sub.method
                && let std::collections::hash_map::Entry::Vacant(entry) =
                    self.imported.context.subscriptions.entry(sub.key)
            {
                let params = sub.params.and_then(|params| serde_json::from_str(params.get()).ok());
                entry.insert(SubscriptionInfo {
                    method: method.into_owned(),
                    params,
                    server_id: event.server_id.clone(),
                });
            }
            sub.key
        });
        let mut kind = event.kind;
        let raw: Text = match (event.frame, event.frame_text) {
            (Some(frame), _) => String::from(Box::<str>::from(frame)).into(),
            (None, Some(text)) => {
                // A `frame_text` is text that was not JSON; a kind that says otherwise would
                // have it written back as a bare JSON value, and the file would break.
                if is_json_kind(kind) && serde_json::from_str::<serde::de::IgnoredAny>(&text).is_err() {
                    kind = FrameKind::NotJson;
                }
                text.into()
            }
            (None, None) => {
                return Err(ImportError::BadEvent {
                    line,
                    message: format!("no {} or {}", fields::FRAME.name, fields::FRAME_TEXT.name),
                });
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
            method: event.method.map(|method| Arc::from(&*method)),
            raw,
            redacted: event.redacted,
            recovered: event.source.and_then(FileSource::recovery),
        };
        if let Some(each) = self.each.as_mut() {
            return match each(&self.imported.context, event) {
                ControlFlow::Continue(()) => Ok(()),
                ControlFlow::Break(()) => Err(ImportError::Cancelled),
            };
        }
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
    read_file(path, progress, options, None)
}

/// Like [`import_file`], but hands `each` every event as it is read instead of keeping it, so
/// memory does not grow with the file (the events of a HAR file, which is one JSON document,
/// are read whole first). The result holds the context and the problem met, if any, and no
/// events; `each` stops the read early with `Break` (the problem is then
/// [`ImportError::Cancelled`]).
pub fn import_file_each(
    path: &Path,
    progress: &Progress,
    options: ImportOptions,
    each: EachEvent<'_>,
) -> Imported {
    read_file(path, progress, options, Some(each))
}

/// Opens `path` (its size is the progress's total) and reads it with [`import`].
fn read_file(
    path: &Path,
    progress: &Progress,
    options: ImportOptions,
    each: Option<EachEvent<'_>>,
) -> Imported {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) => return Imported { error: Some(ImportError::Io(err.to_string())), ..Imported::default() },
    };
    if let Ok(metadata) = file.metadata() {
        progress.total.store(metadata.len(), Ordering::Relaxed);
    }
    // A gzip'd capture (`subscope monitor --out` closes its files so) is read through the
    // decoder; the progress counts the compressed bytes, as the total does.
    let mut counted = BufReader::new(CountingReader { inner: file, progress });
    if counted.fill_buf().is_ok_and(|head| head.starts_with(&GZIP_MAGIC)) {
        return import(flate2::bufread::MultiGzDecoder::new(counted), progress, options, each);
    }
    import(counted, progress, options, each)
}

/// The first two bytes of a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Like [`import_file`], from any reader, with the default [`ImportOptions`].
pub fn import_reader(reader: impl Read, progress: &Progress) -> Imported {
    import_reader_with(reader, progress, ImportOptions::default())
}

/// Like [`import_file`], from any reader.
pub fn import_reader_with(reader: impl Read, progress: &Progress, options: ImportOptions) -> Imported {
    import(reader, progress, options, None)
}

/// Reads a capture into `imported.events`, or hands its events to `each`.
fn import(
    reader: impl Read,
    progress: &Progress,
    options: ImportOptions,
    each: Option<EachEvent<'_>>,
) -> Imported {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let first = loop {
        match reader.fill_buf() {
            Ok([]) => return Imported::default(),
            Ok(buf) => match buf.iter().position(|byte| !byte.is_ascii_whitespace()) {
                Some(at) if super::har::is_har(&buf[at..]) => {
                    let mut imported = super::har::read_har(reader, options);
                    if progress.cancel.load(Ordering::Relaxed) && imported.error.is_some() {
                        imported.error = Some(ImportError::Cancelled);
                    }
                    if let Some(each) = each {
                        for event in std::mem::take(&mut imported.events) {
                            if each(&imported.context, event).is_break() {
                                imported.error = Some(ImportError::Cancelled);
                                break;
                            }
                        }
                    }
                    return imported;
                }
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
        connections: Vec::new(),
        limits: options.limits,
        bytes: 0,
        added: 0,
        each,
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

fn read_lines(
    mut reader: impl BufRead,
    assembler: &mut Assembler<'_>,
    max_line: usize,
) -> Option<ImportError> {
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

fn read_array(reader: impl Read, assembler: &mut Assembler<'_>, max_element: usize) -> Option<ImportError> {
    use serde::de::{Deserializer as _, SeqAccess, Visitor};

    struct ArrayVisitor<'a, 'b> {
        assembler: &'a mut Assembler<'b>,
        failure: &'a mut Option<ImportError>,
        since_element: &'a std::cell::Cell<usize>,
        newlines: &'a std::cell::Cell<u64>,
        index: &'a std::cell::Cell<u64>,
    }

    impl<'de> Visitor<'de> for ArrayVisitor<'_, '_> {
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
    use crate::export::tests::{context, event};
    use crate::export::{EventWriter, Format};

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
