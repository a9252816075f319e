//! `subscope show`: a capture file as the window's table, in a terminal, one line per event,
//! with the decoded summary as its last column (or one JSON object per event with `--json`).
//!
//! Rows are written as they are formatted (columns have fixed widths, so nothing waits for
//! the last row, and each row is written as its event is read), the filter is the table's
//! [`Filter`], and the file is read by the same import as the window's Open
//! ([`crate::export::import_file_each`]), so whatever it reads `show` reads.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::capture::{CaptureLimits, CapturedEvent, Direction, SubKey};
use crate::catalog::{Summary, summarize};
use crate::decode::{AbiSource, Decoded, Decoder, TokenSource};
use crate::export::{CaptureContext, ImportError, ImportOptions, Progress, import_file_each, iso8601};
use crate::filter::{Filter, Matcher};
use crate::human::{format_bytes, shorten, time_of_day};
use crate::protocol::FrameKind;
use crate::protocol::meta::{self, MetaRecord};
use crate::row::{HEADERS, Tone};
use crate::session::CaptureView;

/// What `show` reads and prints.
#[derive(clap::Args)]
pub struct ShowArgs {
    /// The capture file (.ndjson or .json).
    file: PathBuf,
    /// Only events whose frame contains this text (smart case, as the window's filter).
    #[arg(long, conflicts_with = "regex")]
    filter: Option<String>,
    /// Only events whose frame matches this regular expression.
    #[arg(long, value_parser = parse_regex)]
    regex: Option<String>,
    /// Only events of this kind (notification, response, error, request, …).
    #[arg(long, value_parser = parse_kind)]
    kind: Option<FrameKind>,
    /// A JSON ABI file (an array, or a Foundry/Hardhat artifact); FILE@0xADDRESS binds it to
    /// one contract. Repeatable; these win over the built-in events.
    #[arg(long = "abi", value_parser = parse_abi)]
    abis: Vec<AbiSource>,
    /// A token's units: 0xADDRESS=SYMBOL:DECIMALS. Repeatable.
    #[arg(long = "token", value_parser = parse_token)]
    tokens: Vec<TokenSource>,
    /// One JSON object per event, with its decoded fields, instead of the table.
    #[arg(long)]
    json: bool,
}

impl ShowArgs {
    /// The decoder from the ABIs and tokens given (a bad one is a usage error, exit 2), then
    /// the table or JSON on stdout. A reader that goes away (`| head`) ends it quietly.
    ///
    /// # Errors
    /// The file cannot be read (after printing what came before the problem), or stdout
    /// failed other than by closing.
    pub fn run(self) -> anyhow::Result<()> {
        use std::io::IsTerminal as _;
        let built = crate::decode::DecodeSources { abis: self.abis, tokens: self.tokens }.build();
        if let Some(message) = built.first_error() {
            super::usage_error(clap::error::ErrorKind::ValueValidation, message);
        }
        let (text, regex) = match (self.filter, self.regex) {
            (_, Some(regex)) => (regex, true),
            (filter, None) => (filter.unwrap_or_default(), false),
        };
        let stdout = io::stdout();
        let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let options = ShowOptions {
            file: self.file,
            filter: Filter { kinds: self.kind.into_iter().collect(), text, regex, ..Default::default() },
            json: self.json,
            color,
        };
        let mut out = io::BufWriter::new(stdout.lock());
        match show(&options, &built.decoder, &mut out) {
            Ok(report) => match report.error {
                Some(err) => Err(anyhow::anyhow!("{}: {err}", options.file.display())),
                None => Ok(()),
            },
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}

/// `--regex`: a pattern the filter can use.
fn parse_regex(text: &str) -> Result<String, String> {
    let filter = Filter { text: text.to_owned(), regex: true, ..Default::default() };
    Matcher::new(filter).map(|_| text.to_owned()).map_err(|err| err.to_string())
}

/// `--kind`: one of the kinds the table shows.
fn parse_kind(text: &str) -> Result<FrameKind, String> {
    FrameKind::parse(text).ok_or_else(|| {
        let kinds: Vec<&str> = FrameKind::ALL.iter().map(|kind| kind.as_str()).collect();
        format!("unknown kind {text:?}; one of {}", kinds.join(", "))
    })
}

/// `--abi`: `FILE` or `FILE@0xADDRESS` (the file is read when the decoder is built).
fn parse_abi(text: &str) -> Result<AbiSource, String> {
    Ok(AbiSource::parse(text))
}

/// `--token`: `0xADDRESS=SYMBOL:DECIMALS`.
fn parse_token(text: &str) -> Result<TokenSource, String> {
    text.parse()
}

/// What to show.
#[derive(Debug, Default)]
pub struct ShowOptions {
    /// The capture file.
    pub file: PathBuf,
    /// Which events (the table's filter: text or regex, kind).
    pub filter: Filter,
    /// One JSON object per event instead of the table.
    pub json: bool,
    /// ANSI colours (for a terminal).
    pub color: bool,
}

/// How a `show` ended.
#[derive(Debug, Default)]
pub struct ShowReport {
    /// Events in the file.
    pub events: usize,
    /// Events shown (those the filter let through).
    pub shown: usize,
    /// The problem that stopped the import; the events before it were shown.
    pub error: Option<ImportError>,
}

/// Column widths in characters (each at least its header); the last column is not padded.
/// Text columns are cut to their width, numbers never are.
const WIDTHS: [usize; 11] = [12, 14, 16, 17, 12, 16, 13, 20, 32, 9, 0];

/// Text columns (cut to width); the others are numbers or already short.
const CUT: [bool; 11] = [false, true, true, true, false, false, false, false, true, false, false];

/// Shows the capture in `options.file` on `out`, each row as soon as its event is read: what
/// `show` holds does not grow with the file. A write error (a closed pipe) stops the read and
/// is returned as it is, for the caller to tell a reader that went away from a real failure.
pub fn show(options: &ShowOptions, decoder: &Decoder, out: &mut dyn Write) -> io::Result<ShowReport> {
    let matcher = Matcher::new(options.filter.clone()).map_err(|err| io::Error::other(err.to_string()))?;
    // The view keeps the newest event only: the one being shown.
    let mut view = CaptureView::new(CaptureLimits { max_events: 1, max_bytes: usize::MAX });
    let (mut events, mut shown, mut headed) = (0, 0, false);
    let mut written = Ok(());
    let mut line = String::new();
    // A subscription's label, made once (its method and params never change in a file).
    let mut labels = HashMap::new();
    let mut each = |context: &CaptureContext, event: CapturedEvent| {
        events += 1;
        view.update_context(context);
        view.push_uncompared(event);
        let Some(event) = view.capture.iter().next_back().filter(|event| matcher.matches(event)) else {
            return ControlFlow::Continue(());
        };
        let reorg = view.reorgs.get(&event.seq).map(String::as_str);
        let row = Row::new(event, &view.context, reorg, decoder, &mut labels);
        written =
            write_header(out, options, &mut headed).and_then(|()| row.write(out, event, options, &mut line));
        if written.is_err() {
            return ControlFlow::Break(());
        }
        shown += 1;
        ControlFlow::Continue(())
    };
    let imported = import_file_each(&options.file, &Progress::default(), ImportOptions::default(), &mut each);
    written?;
    // A file that holds events (or none, and no problem) gets the header even when the filter
    // let none through; one that failed before its first event gets nothing.
    if events > 0 || imported.error.is_none() {
        write_header(out, options, &mut headed)?;
    }
    out.flush()?;
    Ok(ShowReport { events, shown, error: imported.error })
}

/// The table's header line, once, before the first row (nothing for `--json`).
fn write_header(out: &mut dyn Write, options: &ShowOptions, headed: &mut bool) -> io::Result<()> {
    if options.json || std::mem::replace(headed, true) {
        return Ok(());
    }
    let header: Vec<String> = HEADERS.iter().map(|name| (*name).to_owned()).collect();
    writeln!(out, "{}", paint(&layout(&header), BOLD, options.color))
}

/// One event's columns.
struct Row<'a> {
    summary: Summary,
    connection: String,
    subscription: Option<String>,
    account: Option<String>,
    /// The Kind column (arrow and word) and how it stands out.
    kind: String,
    tone: Tone,
    reorg: Option<&'a str>,
    decoded: Option<Decoded>,
}

impl<'a> Row<'a> {
    fn new(
        event: &CapturedEvent,
        context: &CaptureContext,
        reorg: Option<&'a str>,
        decoder: &Decoder,
        labels: &mut HashMap<SubKey, String>,
    ) -> Self {
        let incoming = event.direction == Direction::In;
        let summary = if incoming { summarize(&event.raw) } else { Summary::default() };
        let connection = crate::row::connection_label(context, event.connection);
        let subscription = event.subscription.map(|sub| {
            if let Some(label) = labels.get(&sub) {
                return label.clone();
            }
            let label = crate::row::subscription_label(context, sub);
            if context.subscriptions.contains_key(&sub) {
                labels.insert(sub, label.clone()); // named for good once its method is known
            }
            label
        });
        let account = crate::row::account(context, event, &summary);
        let gap =
            event.direction == Direction::Meta && matches!(meta::parse(&event.raw), Some(MetaRecord::Gap(_)));
        let (kind, tone) = crate::row::kind_label(event, &summary, reorg.is_some(), gap);
        let kind = format!("{} {kind}", crate::row::arrow(event.direction));
        let decoded =
            if incoming && event.kind == FrameKind::Notification { decoder.decode(&event.raw) } else { None };
        Self { summary, connection, subscription, account, kind, tone, reorg, decoded }
    }

    /// The Details column, as the window fills it.
    fn details(&self, event: &CapturedEvent) -> String {
        if let Some(note) = self.reorg {
            return note.to_owned();
        }
        if let Some(error) = &self.summary.error {
            return error.clone();
        }
        crate::row::detail_words(event, &self.summary)
    }

    fn cells(&self, event: &CapturedEvent) -> [Cow<'_, str>; 11] {
        [
            time_of_day(event.received_at_ms).into(),
            self.connection.as_str().into(),
            self.subscription.as_deref().unwrap_or_default().into(),
            self.kind.as_str().into(),
            self.summary.slot_or_block.map(|slot| slot.to_string()).unwrap_or_default().into(),
            self.summary.signature_or_hash.as_deref().map(|hash| shorten(hash, 6)).unwrap_or_default().into(),
            self.account.as_deref().map(|account| shorten(account, 5)).unwrap_or_default().into(),
            self.summary.value.as_deref().unwrap_or_default().into(),
            self.details(event).into(),
            format_bytes(event.size() as u64).into(),
            self.decoded.as_ref().map(|decoded| decoded.summary.as_str()).unwrap_or_default().into(),
        ]
    }

    /// Writes the row: a line of the table, or one JSON object with `--json`. `line` is a
    /// buffer the caller keeps from row to row.
    fn write(
        &self,
        out: &mut dyn Write,
        event: &CapturedEvent,
        options: &ShowOptions,
        line: &mut String,
    ) -> io::Result<()> {
        if options.json {
            serde_json::to_writer(&mut *out, &self.json(event)).map_err(io::Error::other)?;
            return writeln!(out);
        }
        line.clear();
        if options.color {
            line.push_str(&self.colored_line(event));
        } else {
            layout_into(line, &self.cells(event));
        }
        line.push('\n');
        out.write_all(line.as_bytes())
    }

    fn colored_line(&self, event: &CapturedEvent) -> String {
        let cells = self.cells(event);
        // Colour the padded cells, so escape codes do not count against the widths.
        let mut padded: Vec<String> =
            cells.iter().enumerate().map(|(index, cell)| pad(index, cell)).collect();
        padded[0] = paint(&padded[0], DIM, true);
        if self.tone == Tone::Warn {
            padded[3] = paint(&padded[3], YELLOW, true);
        } else if self.tone == Tone::Error || self.summary.error.is_some() {
            padded[3] = paint(&padded[3], RED, true);
            padded[8] = paint(&padded[8], RED, true);
        }
        padded[10] = paint(&padded[10], CYAN, true);
        padded.join("  ").trim_end().to_owned()
    }

    fn json<'e>(&'e self, event: &'e CapturedEvent) -> JsonRow<'e> {
        let frame = serde_json::from_str::<&RawValue>(&event.raw).ok();
        JsonRow {
            seq: event.seq,
            time: iso8601(event.received_at_ms),
            connection: &self.connection,
            subscription: self.subscription.as_deref(),
            direction: event.direction.as_str(),
            kind: event.kind.as_str(),
            method: event.method.as_deref(),
            slot_or_block: self.summary.slot_or_block,
            signature_or_hash: self.summary.signature_or_hash.as_deref(),
            account: self.account.as_deref(),
            value: self.summary.value.as_deref(),
            error: self.summary.error.as_deref(),
            removed: self.summary.removed,
            reorg: self.reorg,
            size: event.size(),
            redacted: event.redacted,
            source: event.recovered.map(|recovery| JsonSource {
                recovered: recovery.reason().as_str(),
                via: recovery.via().as_str(),
            }),
            decoded: self.decoded.as_ref(),
            frame,
            frame_text: if frame.is_none() { Some(&event.raw) } else { None },
        }
    }
}

/// One event in `--json`: the table's columns, the decoded fields, and the frame itself.
#[derive(Serialize)]
struct JsonRow<'a> {
    seq: u64,
    time: String,
    connection: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription: Option<&'a str>,
    direction: &'static str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    slot_or_block: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature_or_hash: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    removed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reorg: Option<&'a str>,
    size: usize,
    /// `true` when subscope masked a key in the frame, as in the capture format.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    redacted: bool,
    /// How a recovered event was recovered, as in the capture format; absent for the socket's.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<JsonSource>,
    decoded: Option<&'a Decoded>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frame: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frame_text: Option<&'a str>,
}

/// A recovered event's `source` in `--json`: why it was missing, and the method that answered.
#[derive(Serialize)]
struct JsonSource {
    recovered: &'static str,
    via: &'static str,
}

/// A cell padded (and, for text columns, cut) to its column's width.
fn pad(index: usize, cell: &str) -> String {
    let mut padded = String::with_capacity(cell.len().max(WIDTHS[index]));
    push_cell(&mut padded, index, cell);
    padded
}

/// Appends a cell padded (and, for text columns, cut) to its column's width; `-` for an
/// empty one.
fn push_cell(line: &mut String, index: usize, cell: &str) {
    let width = WIDTHS[index];
    let start = line.len();
    match cell.char_indices().nth(width.saturating_sub(1)) {
        _ if cell.is_empty() && width > 0 => line.push('-'),
        Some((at, _)) if CUT[index] && width > 0 => {
            line.push_str(&cell[..at]);
            line.push('…');
        }
        _ => line.push_str(cell),
    }
    let used = line[start..].chars().count();
    line.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
}

/// Cells laid out in their columns, two spaces apart, no trailing blanks.
fn layout(cells: &[String]) -> String {
    let mut line = String::new();
    let cells: Vec<Cow<'_, str>> = cells.iter().map(|cell| cell.as_str().into()).collect();
    layout_into(&mut line, &cells);
    line
}

/// [`layout`] into a buffer kept from line to line.
fn layout_into(line: &mut String, cells: &[Cow<'_, str>]) {
    for (index, cell) in cells.iter().enumerate() {
        if index > 0 {
            line.push_str("  ");
        }
        push_cell(line, index, cell);
    }
    line.truncate(line.trim_end().len());
}

const BOLD: &str = "1";
const DIM: &str = "2";
const RED: &str = "31";
const YELLOW: &str = "33";
const CYAN: &str = "36";

fn paint(text: &str, code: &str, color: bool) -> String {
    if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_padded_cut_and_dashed_when_empty() {
        assert_eq!(pad(1, "a-very-long-connection-label"), "a-very-long-c…");
        assert_eq!(pad(4, ""), "-           ");
        for (header, width) in HEADERS.iter().zip(WIDTHS).take(HEADERS.len() - 1) {
            assert!(header.chars().count() <= width, "{header}");
        }
        assert_eq!(pad(7, "1000000000000000000000000"), "1000000000000000000000000");
        assert_eq!(layout(&["a".into(), String::new()]), "a             -");
    }
}
