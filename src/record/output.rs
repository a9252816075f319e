//! Where a run writes: the output file (or stdout) and the thread that writes to it.

use std::fs::File;
use std::io::{self, Seek as _, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::sync::{mpsc, oneshot};

use super::{CHANNEL_BATCHES, RecordError, StopSignal};
use crate::capture::CapturedEvent;
use crate::export::{CaptureContext, EventWriter, Format};
use crate::human::plural;

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
            Err(_) => bail!("the output stopped"),
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
        self.batches.try_send(Batch { events, context }).map_err(|_| anyhow::anyhow!("the output stopped"))
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
                Ok(Err(err)) => Err(anyhow::Error::from(err).context(format!("{} could not be written", plural(unwritten(), "event", "events")))),
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
        for event in &batch.events {
            writer.write(event, &context)?;
        }
        writer.flush()?;
        let bytes: usize = batch.events.iter().map(CapturedEvent::memory_cost).sum();
        in_flight_bytes.fetch_sub(bytes, Ordering::Relaxed);
        written.fetch_add(batch.events.len() as u64, Ordering::Relaxed);
    }
    writer.finish().map(drop)
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
        Ok(Box::new(file))
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
