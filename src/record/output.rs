//! Where a run writes: the output file (or stdout) and the thread that writes to it.

use std::fs::File;
use std::io::{self, Seek as _, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::sync::{mpsc, oneshot};

use super::{CHANNEL_BATCHES, RecordError};
use crate::capture::CapturedEvent;
use crate::export::{CaptureContext, EventWriter, Format};
use crate::human::plural;
use crate::signal::StopSignal;

/// The writer thread has ended (its output failed): why is what [`OutputWriter::close`] says.
#[derive(Debug, thiserror::Error)]
#[error("the output stopped")]
pub(super) struct OutputStopped;

/// One batch for the writer thread, with the context when it changed.
struct Batch {
    events: Vec<CapturedEvent>,
    context: Option<CaptureContext>,
}

/// The output's thread, behind a bounded channel of batches.
pub(super) struct OutputWriter {
    batches: mpsc::Sender<Batch>,
    /// Events sent and written, and the memory of those in between.
    sent: AtomicU64,
    written: Arc<AtomicU64>,
    in_flight_bytes: Arc<AtomicUsize>,
    done: oneshot::Receiver<io::Result<()>>,
}

impl OutputWriter {
    pub(super) fn start(out: Box<dyn Write + Send>) -> anyhow::Result<Self> {
        let (batches, receiver) = mpsc::channel(CHANNEL_BATCHES);
        let (finished, done) = oneshot::channel();
        let written = Arc::new(AtomicU64::new(0));
        let in_flight_bytes = Arc::new(AtomicUsize::new(0));
        let (thread_written, thread_bytes) = (Arc::clone(&written), Arc::clone(&in_flight_bytes));
        std::thread::Builder::new()
            .name("subscope-writer".into())
            .spawn(move || {
                let result = write_batches(receiver, out, &thread_written, &thread_bytes);
                finished.send(result).ok(); // the run may have ended without waiting
            })
            .context("could not start the output thread")?;
        Ok(Self { batches, sent: AtomicU64::new(0), written, in_flight_bytes, done })
    }

    /// Waits until the channel has room for a batch.
    pub(super) async fn room(&self) -> anyhow::Result<()> {
        match self.batches.reserve().await {
            Ok(permit) => {
                drop(permit); // only the room was wanted; the batch follows at once
                Ok(())
            }
            Err(_) => Err(OutputStopped.into()),
        }
    }

    /// Hands a batch to the thread (there is room: [`Self::room`] was awaited).
    pub(super) fn send(
        &self,
        events: Vec<CapturedEvent>,
        context: Option<CaptureContext>,
    ) -> anyhow::Result<()> {
        if events.is_empty() && context.is_none() {
            return Ok(());
        }
        let bytes: usize = events.iter().map(CapturedEvent::memory_cost).sum();
        self.in_flight_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.sent.fetch_add(events.len() as u64, Ordering::Relaxed);
        self.batches.try_send(Batch { events, context }).map_err(|_| OutputStopped.into())
    }

    /// Events and bytes handed over but not written yet.
    pub(super) fn in_flight(&self) -> (usize, usize) {
        let pending = self.sent.load(Ordering::Relaxed).saturating_sub(self.written.load(Ordering::Relaxed));
        (usize::try_from(pending).unwrap_or(usize::MAX), self.in_flight_bytes.load(Ordering::Relaxed))
    }

    /// Sends the last events and waits, at most `timeout` (or until a second interrupt), for
    /// the thread to write everything.
    pub(super) async fn close(
        self,
        rest: Vec<CapturedEvent>,
        stop: &mut StopSignal,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let Self { batches, sent, written, done, .. } = self;
        let unwritten = || sent.load(Ordering::Relaxed).saturating_sub(written.load(Ordering::Relaxed));
        let deadline = tokio::time::Instant::now() + timeout;
        let total = rest.len() as u64;
        let handed = tokio::select! {
            biased;
            () = stop.requested(2) => return Err(RecordError::Interrupted { unwritten: unwritten() + total }.into()),
            () = tokio::time::sleep_until(deadline) => false,
            result = batches.send(Batch { events: rest, context: None }) => result.is_ok(),
        };
        if handed {
            sent.fetch_add(total, Ordering::Relaxed);
        }
        drop(batches); // the thread ends once it has written what it holds
        tokio::select! {
            biased;
            () = stop.requested(2) => Err(RecordError::Interrupted { unwritten: unwritten() }.into()),
            () = tokio::time::sleep_until(deadline) => {
                let left = unwritten() + if handed { 0 } else { total };
                Err(RecordError::Unwritten { unwritten: left, waited: timeout }.into())
            }
            result = done => match result {
                Ok(Ok(())) if handed => Ok(()),
                Ok(Ok(())) => Err(RecordError::Unwritten { unwritten: total, waited: timeout }.into()),
                Ok(Err(err)) => {
                    let left = unwritten() + if handed { 0 } else { total };
                    let left = plural(left, "event was", "events were");
                    Err(anyhow::Error::from(err)
                        .context(format!("{left} not written (the output keeps whole lines only)")))
                }
                Err(_) => bail!("the output thread stopped"),
            },
        }
    }
}

/// The writer thread: renders each batch to NDJSON and hands it to the output in chunks that
/// end with whole lines, so the file only ever ends with a whole line.
fn write_batches(
    mut batches: mpsc::Receiver<Batch>,
    out: Box<dyn Write + Send>,
    written: &AtomicU64,
    in_flight_bytes: &AtomicUsize,
) -> io::Result<()> {
    let mut writer = EventWriter::new(out, Format::Ndjson)?;
    let mut context = CaptureContext::default();
    while let Some(batch) = batches.blocking_recv() {
        if let Some(changed) = batch.context {
            context = changed;
            writer.context_changed();
        }
        let result = batch.events.iter().try_for_each(|event| writer.write(event, &context));
        let result = result.and_then(|()| writer.flush());
        // What the output took whole, even from a batch it refused part of.
        written.store(writer.delivered(), Ordering::Relaxed);
        result?;
        let bytes: usize = batch.events.iter().map(CapturedEvent::memory_cost).sum();
        in_flight_bytes.fetch_sub(bytes, Ordering::Relaxed);
    }
    writer.finish().map(drop)
}

/// A file that only ever ends with a whole line: when a write fails part way (a full disk
/// takes what fits, then refuses the rest), the file is cut back to the end of the last whole
/// line it holds before the error is returned. Writes go straight to the file (the event
/// writer hands over chunks of whole lines, so there is nothing to buffer).
pub(crate) struct WholeLines<F> {
    file: F,
    /// Where the last whole line ends, and where the file's end is, as offsets in the file.
    line_end: u64,
    end: u64,
}

/// What [`WholeLines`] needs of a file besides writing: cutting it short.
pub(crate) trait Truncate: Write + io::Seek {
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

impl Truncate for File {
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }
}

impl<F: Truncate> WholeLines<F> {
    /// Starts at the file's position, which ends a line (or the file is empty).
    pub(crate) fn new(mut file: F) -> io::Result<Self> {
        let end = file.stream_position()?;
        Ok(Self { file, line_end: end, end })
    }

    /// Cuts a partial line off the end of the file; the error says so if that fails too.
    fn cut_back(&mut self, err: io::Error) -> io::Error {
        if self.end == self.line_end {
            return err;
        }
        let line_end = self.line_end;
        match self.file.truncate(line_end).and_then(|()| self.file.seek(io::SeekFrom::Start(line_end))) {
            Ok(_) => {
                self.end = line_end;
                err
            }
            Err(cut) => {
                io::Error::new(err.kind(), format!("{err}; and its last line could not be cut back: {cut}"))
            }
        }
    }
}

impl<F: Truncate> Write for WholeLines<F> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self.file.write(bytes) {
            Ok(0) if !bytes.is_empty() => Err(self.cut_back(io::ErrorKind::WriteZero.into())),
            Ok(n) => {
                if let Some(newline) = memchr::memrchr(b'\n', &bytes[..n]) {
                    self.line_end = self.end + newline as u64 + 1;
                }
                self.end += n as u64;
                Ok(n)
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => Err(err),
            Err(err) => Err(self.cut_back(err)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Where a recording writes. A file is opened at start without being changed (so a path
/// that cannot be written is reported before anything connects), and only truncated or
/// appended to once the first connection is up; a run that never gets there leaves an
/// existing file as it was and removes one it created.
pub(crate) struct Output {
    /// The file and its path; `None` for stdout (or nothing, when it discards).
    file: Option<(File, PathBuf)>,
    /// Nothing is written: the run is only observed (`compare` without `--out`).
    discard: bool,
    append: bool,
    /// Whether this run created the file.
    created: bool,
}

impl Output {
    /// Opens `path` (stdout for `None` or `-`) without changing it yet.
    pub(crate) fn prepare(path: Option<&Path>, append: bool) -> anyhow::Result<Self> {
        let Some(path) = path.filter(|path| path.as_os_str() != "-") else {
            return Ok(Self { file: None, discard: false, append, created: false });
        };
        let existed = path.exists();
        let file = std::fs::OpenOptions::new()
            .read(append) // to see whether the last line ended
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("could not open {} for writing", path.display()))?;
        Ok(Self { file: Some((file, path.to_owned())), discard: false, append, created: !existed })
    }

    /// An output that writes nothing.
    pub(crate) fn discard() -> Self {
        Self { file: None, discard: true, append: false, created: false }
    }

    /// Whether it writes nothing.
    pub(super) fn discards(&self) -> bool {
        self.discard
    }

    /// Recording starts: replace or extend the file, and hand out where to write.
    pub(super) fn start(&mut self) -> anyhow::Result<Box<dyn Write + Send>> {
        let Some((mut file, path)) = self.file.take() else { return Ok(Box::new(io::stdout())) };
        let context = || format!("could not write {}", path.display());
        if self.append {
            let end = file.seek(io::SeekFrom::End(0)).with_context(context)?;
            if end > 0 && !ends_with_newline(&mut file)? {
                file.write_all(b"\n").with_context(context)?; // keep lines apart
            }
        } else {
            // Only a file with something in it is emptied. ext4 takes a truncate to zero as
            // "replace via truncate" and writes the whole file back when it is closed
            // (auto_da_alloc), which for a file that was empty anyway only delays the exit.
            if file.metadata().with_context(context)?.len() > 0 {
                file.set_len(0).with_context(context)?;
            }
            file.seek(io::SeekFrom::Start(0)).with_context(context)?;
        }
        self.created = false; // it is the recording's file now
        Ok(Box::new(WholeLines::new(file).with_context(context)?))
    }

    /// The run ends without having started: remove a file it created, leave any other alone.
    pub(super) fn abandon(&mut self) {
        if let Some((file, path)) = self.file.take()
            && self.created
        {
            drop(file);
            std::fs::remove_file(path).ok(); // it was empty and ours
        }
    }
}

/// Whether a file (positioned at its end) ends with a newline.
fn ends_with_newline(file: &mut File) -> anyhow::Result<bool> {
    use std::io::Read as _;
    let mut last = [0u8; 1];
    file.seek(io::SeekFrom::End(-1))?;
    file.read_exact(&mut last)?;
    file.seek(io::SeekFrom::End(0))?;
    Ok(last[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::export::{CaptureContext, EventWriter, Format};
    use crate::protocol::FrameKind;

    /// A disk that takes `room` bytes and then refuses, as a full one does: the write that
    /// reaches the limit takes what fits.
    struct SmallDisk {
        file: Cursor<Vec<u8>>,
        room: usize,
    }

    impl Write for SmallDisk {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let at = usize::try_from(self.file.position()).unwrap_or(usize::MAX);
            let fits = self.room.saturating_sub(at).min(bytes.len());
            if fits == 0 && !bytes.is_empty() {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "No space left on device"));
            }
            self.file.write(&bytes[..fits])
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl io::Seek for SmallDisk {
        fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
            self.file.seek(to)
        }
    }

    impl Truncate for SmallDisk {
        fn truncate(&mut self, len: u64) -> io::Result<()> {
            self.file.get_mut().truncate(usize::try_from(len).unwrap_or(usize::MAX));
            Ok(())
        }
    }

    fn event(seq: u64) -> CapturedEvent {
        CapturedEvent {
            seq,
            received_at_ms: 1_795_335_540_123,
            connection: 1,
            subscription: None,
            direction: crate::capture::Direction::In,
            kind: FrameKind::Notification,
            method: None,
            raw: format!(
                r#"{{"jsonrpc":"2.0","method":"slotNotification","params":{{"result":{{"slot":{seq}}}}}}}"#
            )
            .into(),
            redacted: false,
            recovered: None,
        }
    }

    #[test]
    fn a_disk_that_fills_part_way_keeps_only_whole_lines_and_counts_them() {
        // Every room from nothing to the whole output, so the limit falls at every place in a
        // line, in the first chunk and in a later one.
        let events: Vec<CapturedEvent> = (0..2_000).map(event).collect();
        let mut whole = EventWriter::new(Vec::new(), Format::Ndjson).unwrap();
        for event in &events {
            whole.write(event, &CaptureContext::default()).unwrap();
        }
        let whole = whole.finish().unwrap();
        for room in (0..whole.len()).step_by(997).chain([whole.len() - 1, 65_536, 65_537]) {
            let disk = SmallDisk { file: Cursor::new(Vec::new()), room };
            let mut writer = EventWriter::new(WholeLines::new(disk).unwrap(), Format::Ndjson).unwrap();
            let result = events.iter().try_for_each(|event| writer.write(event, &CaptureContext::default()));
            let err = result.and_then(|()| writer.flush()).expect_err("the disk is too small");
            assert_eq!(err.kind(), io::ErrorKind::StorageFull, "room {room}");
            let delivered = writer.delivered();
            let kept = writer.into_output().file.file.into_inner();
            assert!(kept.is_empty() || kept.ends_with(b"\n"), "room {room}: a cut line was left");
            let lines = kept.split(|byte| *byte == b'\n').filter(|line| !line.is_empty()).count();
            assert_eq!(lines as u64, delivered, "room {room}: the count says what the file holds");
            assert_eq!(kept[..], whole[..kept.len()], "room {room}: the lines kept are the lines written");
            assert!(
                kept.len() <= room && kept.len() + 400 > room.min(whole.len()),
                "room {room}: {}",
                kept.len()
            );
        }
    }
}
