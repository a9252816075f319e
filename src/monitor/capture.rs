//! `monitor --out DIR`: what the monitor receives, also written as NDJSON captures, rotated
//! by size and age. A file is written as `subscope-<UTC time>.ndjson`; when it is closed it is
//! gzip'd to `….ndjson.gz` (which `show` and the window open as they are) and the oldest
//! closed files beyond `--keep` are deleted.
//!
//! A file only ever ends with a whole line. When a write fails (a full disk), what was written
//! of the last line is cut off (`record`'s [`WholeLines`]), the file is closed as it is, the
//! events not written are counted lost and the failure reported ([`Captures::take_losses`]),
//! and after [`RETRY_AFTER`] a new file is tried: a disk that was full for a while costs the
//! captures of that while, not those of the rest of the run.
//!
//! The files are written by a thread of their own behind a bounded channel: a slow disk never
//! holds up the metrics. When the channel is full the batch is dropped and counted
//! ([`Captures::dropped`]), so memory stays bounded whatever the disk does. Each line of a
//! file names its endpoint and subscription, so every file reads on its own.

use std::fs::File;
use std::io::{self, BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::capture::{CapturedEvent, now_ms};
use crate::export::{CaptureContext, EventWriter, Format, iso8601};
use crate::record::output::WholeLines;

/// How many batches may wait for the capture thread.
const CHANNEL_BATCHES: usize = 16;

/// After a failed write, how long batches are counted lost before a new file is tried.
const RETRY_AFTER: Duration = Duration::from_secs(10);

/// The prefix of every file the monitor writes.
const PREFIX: &str = "subscope-";

/// How the captures rotate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotateOptions {
    /// The folder the files go to.
    pub dir: PathBuf,
    /// A file is closed once it holds this many bytes (before compression).
    pub max_bytes: u64,
    /// A file is closed once it has been open this long.
    pub max_age: Duration,
    /// How many closed files are kept; the oldest beyond are deleted.
    pub keep: usize,
}

/// One batch for the thread, with the context when it changed.
struct Batch {
    events: Vec<CapturedEvent>,
    context: Option<CaptureContext>,
}

/// What the thread reports besides its files.
#[derive(Default)]
struct Losses {
    /// Events not written because a write failed, or while waiting to try again.
    events: AtomicU64,
    /// Why the last write failed, until it is taken.
    failure: Mutex<Option<String>>,
}

impl Losses {
    fn lose(&self, events: usize, failure: Option<&io::Error>) {
        self.events.fetch_add(events as u64, Ordering::Relaxed);
        if let Some(err) = failure {
            *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(err.to_string());
        }
    }
}

/// The capture thread, behind its channel.
pub(super) struct Captures {
    sender: Option<SyncSender<Batch>>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
    losses: Arc<Losses>,
    /// Events dropped because the thread could not keep up.
    pub(super) dropped: u64,
}

impl Captures {
    /// Starts the thread (after creating the folder and closing what a killed run left open).
    ///
    /// # Errors
    ///
    /// The folder cannot be created or read, or the thread cannot start.
    pub(super) fn start(options: RotateOptions) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&options.dir)
            .with_context(|| format!("could not create {}", options.dir.display()))?;
        for left in files(&options.dir, ".ndjson")? {
            compress(&left).with_context(|| format!("could not compress {}", left.display()))?;
        }
        prune(&options.dir, options.keep)?;
        let (sender, receiver) = sync_channel(CHANNEL_BATCHES);
        let losses = Arc::new(Losses::default());
        let reported = Arc::clone(&losses);
        let thread = std::thread::Builder::new()
            .name("subscope-capture".into())
            .spawn(move || write_files(&receiver, &options, &reported))
            .context("could not start the capture thread")?;
        Ok(Self { sender: Some(sender), thread: Some(thread), losses, dropped: 0 })
    }

    /// The events the thread could not write since the last call, and why a write failed
    /// when one has since.
    pub(super) fn take_losses(&self) -> (u64, Option<String>) {
        let failure = self.losses.failure.lock().unwrap_or_else(PoisonError::into_inner).take();
        (self.losses.events.swap(0, Ordering::Relaxed), failure)
    }

    /// Hands a batch over, or drops (and counts) it when the thread is behind. Returns how
    /// many events were dropped.
    pub(super) fn send(&mut self, events: Vec<CapturedEvent>, context: Option<CaptureContext>) -> u64 {
        if events.is_empty() && context.is_none() {
            return 0;
        }
        let count = events.len() as u64;
        let Some(sender) = &self.sender else { return count };
        match sender.try_send(Batch { events, context }) {
            Ok(()) => 0,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped += count;
                count
            }
        }
    }

    /// Closes the current file (gzip'd) and waits for the thread, at most `wait`.
    ///
    /// # Errors
    ///
    /// What writing, compressing or deleting failed with.
    pub(super) async fn close(mut self, wait: Duration) -> anyhow::Result<()> {
        drop(self.sender.take()); // the thread finishes its file once the channel is empty
        let Some(thread) = self.thread.take() else { return Ok(()) };
        let joined = tokio::task::spawn_blocking(move || thread.join());
        match tokio::time::timeout(wait, joined).await {
            Ok(Ok(Ok(result))) => result.context("the capture could not be written"),
            Ok(_) => anyhow::bail!("the capture thread failed"),
            Err(_) => anyhow::bail!("the capture was still being written after {wait:?}"),
        }
    }
}

/// The open file.
struct Open {
    path: PathBuf,
    writer: EventWriter<WholeLines<File>>,
    /// The same file, to read its size.
    probe: File,
    opened: Instant,
}

/// The thread: writes each batch, rotating when a file is full or old, until the channel
/// closes; then closes the last file. A failed write closes the file and loses batches for
/// [`RETRY_AFTER`] (see the module docs).
fn write_files(batches: &Receiver<Batch>, options: &RotateOptions, losses: &Losses) -> io::Result<()> {
    let mut context = CaptureContext::default();
    let mut open: Option<Open> = None;
    let mut resume_at: Option<Instant> = None;
    loop {
        let timeout = open
            .as_ref()
            .map_or(options.max_age, |file| options.max_age.saturating_sub(file.opened.elapsed()));
        match batches.recv_timeout(timeout) {
            Ok(batch) => {
                if let Some(changed) = batch.context {
                    context = changed;
                    if let Some(file) = &mut open {
                        file.writer.context_changed();
                    }
                }
                if resume_at.is_some_and(|at| Instant::now() < at) {
                    losses.lose(batch.events.len(), None);
                } else if let Err((lost, err)) = write_batch(&mut open, &batch.events, &context, options) {
                    losses.lose(lost, Some(&err));
                    // Its lines are whole, and what the writer still holds is counted lost, not
                    // written; gzip'd now if the disk lets it, else at the next start.
                    if let Some(file) = open.take() {
                        drop(file.writer);
                        seal(&file.path, options).ok();
                    }
                    resume_at = Some(Instant::now() + RETRY_AFTER);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                if let Some(file) = open.take() {
                    close_file(file, options)?;
                }
                return Ok(());
            }
        }
        let full = open.as_ref().is_some_and(|file| {
            file.opened.elapsed() >= options.max_age
                || file.probe.metadata().is_ok_and(|meta| meta.len() >= options.max_bytes)
        });
        if full
            && let Some(file) = open.take()
            && let Err(err) = close_file(file, options)
        {
            losses.lose(0, Some(&err)); // left as .ndjson, gzip'd at the next start
        }
    }
}

/// Writes `events`, opening a file first if none is open. On failure, how many of them the
/// file did not take whole, and why.
fn write_batch(
    open: &mut Option<Open>,
    events: &[CapturedEvent],
    context: &CaptureContext,
    options: &RotateOptions,
) -> Result<(), (usize, io::Error)> {
    if events.is_empty() {
        return Ok(());
    }
    let file = match open {
        Some(file) => file,
        None => open.insert(open_file(&options.dir).map_err(|err| (events.len(), err))?),
    };
    let before = file.writer.delivered();
    let written = events.iter().try_for_each(|event| file.writer.write(event, context));
    written.and_then(|()| file.writer.flush()).map_err(|err| {
        let taken = usize::try_from(file.writer.delivered() - before).unwrap_or(usize::MAX);
        (events.len().saturating_sub(taken), err)
    })
}

fn open_file(dir: &Path) -> io::Result<Open> {
    // `2026-12-07T10:00:00.000Z` without colons, which some file systems refuse.
    let stamp = iso8601(now_ms()).replace(':', "");
    let mut path = dir.join(format!("{PREFIX}{stamp}.ndjson"));
    let mut counter = 1;
    while path.exists() || path.with_extension("ndjson.gz").exists() {
        counter += 1;
        path = dir.join(format!("{PREFIX}{stamp}-{counter}.ndjson"));
    }
    let file = File::create(&path)?;
    let probe = file.try_clone()?;
    // The event writer hands over chunks of whole lines: nothing to buffer besides.
    let writer = EventWriter::new(WholeLines::new(file)?, Format::Ndjson)?;
    Ok(Open { path, writer, probe, opened: Instant::now() })
}

/// Hands over what the writer holds, then seals the file.
fn close_file(file: Open, options: &RotateOptions) -> io::Result<()> {
    drop(file.writer.finish()?); // `finish` flushes the file
    seal(&file.path, options)
}

/// Gzips a closed file and deletes the oldest beyond `--keep`.
fn seal(path: &Path, options: &RotateOptions) -> io::Result<()> {
    compress(path)?;
    prune(&options.dir, options.keep)
}

/// Gzips `path` to `path.gz` (through a temporary name, so a `.gz` is always whole) and
/// deletes it.
fn compress(path: &Path) -> io::Result<()> {
    let gz = PathBuf::from(format!("{}.gz", path.display()));
    let part = PathBuf::from(format!("{}.gz.part", path.display()));
    let written = (|| {
        let mut input = std::io::BufReader::new(File::open(path)?);
        let mut encoder = flate2::write::GzEncoder::new(
            BufWriter::new(File::create(&part)?),
            flate2::Compression::default(),
        );
        io::copy(&mut input, &mut encoder)?;
        let mut out = encoder.finish()?;
        out.flush()?;
        out.get_ref().sync_all()
    })();
    if let Err(err) = written {
        std::fs::remove_file(&part).ok(); // the file stays as it is, to be gzip'd later
        return Err(err);
    }
    std::fs::rename(&part, &gz)?;
    std::fs::remove_file(path)
}

/// Deletes the oldest closed files beyond `keep`.
fn prune(dir: &Path, keep: usize) -> io::Result<()> {
    let closed = files(dir, ".ndjson.gz")?;
    for old in closed.iter().take(closed.len().saturating_sub(keep)) {
        std::fs::remove_file(old)?;
    }
    Ok(())
}

/// The monitor's files in `dir` ending with `suffix`, oldest first (their names hold the time).
fn files(dir: &Path, suffix: &str) -> io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(PREFIX) && name.ends_with(suffix))
        })
        .collect();
    found.sort_by_cached_key(|path| age_key(path));
    Ok(found)
}

/// What orders the monitor's files oldest first: the time in the name, then the counter a
/// second file opened in the same millisecond gets (`…000Z.ndjson`, `…000Z-2.ndjson`, …,
/// `…000Z-10.ndjson`). Names alone sort `-10` before `-2`, and both before the first.
fn age_key(path: &Path) -> (String, u64) {
    let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
    let stem = name.split_once(".ndjson").map_or(name, |(stem, _)| stem);
    match stem.rsplit_once("Z-") {
        Some((stamp, counter)) if counter.bytes().all(|byte| byte.is_ascii_digit()) => {
            (format!("{stamp}Z"), counter.parse().unwrap_or(u64::MAX))
        }
        _ => (stem.to_owned(), 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Direction;
    use crate::export::{ImportOptions, Progress, import_file};
    use crate::protocol::FrameKind;

    fn event(seq: u64) -> CapturedEvent {
        let raw = format!(
            r#"{{"jsonrpc":"2.0","method":"slotNotification","params":{{"result":{{"slot":{seq}}},"subscription":7}}}}"#
        );
        CapturedEvent {
            seq,
            received_at_ms: 1_700_000_000_000 + seq,
            connection: 1,
            subscription: None,
            direction: Direction::In,
            kind: FrameKind::Notification,
            method: Some("slotNotification".into()),
            raw: raw.into(),
            redacted: false,
            recovered: None,
        }
    }

    #[test]
    fn files_opened_in_one_millisecond_are_kept_newest_last() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        // Opened in this order: two in one millisecond, eleven in the next.
        let mut opened = vec!["subscope-2026-12-07T100000.000Z.ndjson.gz".to_owned()];
        opened.push("subscope-2026-12-07T100000.000Z-2.ndjson.gz".to_owned());
        opened.push("subscope-2026-12-07T100000.001Z.ndjson.gz".to_owned());
        for counter in 2..=11 {
            opened.push(format!("subscope-2026-12-07T100000.001Z-{counter}.ndjson.gz"));
        }
        for name in &opened {
            std::fs::write(dir.path().join(name), b"").unwrap_or_else(|err| panic!("{err}"));
        }
        let names = |found: Vec<PathBuf>| -> Vec<String> {
            found.iter().filter_map(|path| Some(path.file_name()?.to_str()?.to_owned())).collect()
        };
        assert_eq!(names(files(dir.path(), ".ndjson.gz").unwrap_or_default()), opened);
        prune(dir.path(), 3).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(names(files(dir.path(), ".ndjson.gz").unwrap_or_default()), opened[opened.len() - 3..]);
    }

    #[tokio::test]
    async fn captures_rotate_by_size_are_gzipped_and_only_the_newest_are_kept() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let options = RotateOptions {
            dir: dir.path().to_owned(),
            max_bytes: 2_000,
            max_age: Duration::from_secs(3600),
            keep: 3,
        };
        let mut captures = Captures::start(options).unwrap_or_else(|err| panic!("{err}"));
        for batch in 0..20u64 {
            let events: Vec<CapturedEvent> = (0..10).map(|index| event(batch * 10 + index)).collect();
            // Sent one at a time, waiting for room: nothing may be dropped in this test.
            while captures.send(events.clone(), None) > 0 {
                captures.dropped = 0;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        captures.close(Duration::from_secs(10)).await.unwrap_or_else(|err| panic!("{err}"));
        let kept = files(dir.path(), ".ndjson.gz").unwrap_or_default();
        assert_eq!(kept.len(), 3, "{kept:?}");
        assert!(files(dir.path(), ".ndjson").unwrap_or_default().is_empty(), "every file is closed");
        // The newest file reads as a capture, and holds the last event written.
        let last = kept.last().unwrap_or_else(|| panic!("no file"));
        let imported = import_file(last, &Progress::default(), ImportOptions::default());
        assert!(imported.error.is_none(), "{:?}", imported.error);
        assert!(!imported.events.is_empty());
        assert_eq!(
            imported.events.back().map(|event| event.raw.to_string()),
            Some(event(199).raw.to_string())
        );
    }
}
