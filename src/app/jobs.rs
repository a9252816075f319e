//! Export and open jobs, run off the UI thread.
//!
//! Export: the native save dialog (`super::files`) runs as a task on the tokio runtime; the
//! chosen events are then copied out of the capture a few milliseconds per frame (so the UI
//! never stalls on a million events) and written by [`export_to_file`] on a blocking thread,
//! with progress and Cancel. Open: the open dialog, then reading the file ([`import_file`],
//! the format's reader) and building the read-only opened capture on a blocking thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::capture::{Capture, CapturedEvent};
use crate::export::{
    CaptureContext, ExportError, Format, ImportOptions, Progress, export_to_file, import_file,
};
use crate::files::DialogOutcome;
use crate::session::{CaptureView, Message};
use crate::ui::format_count;
use crate::ui::open_dialog::file_name;
use crate::ui::transfer::JobView;

/// A capture read from a file, shown read-only.
pub struct OpenedCapture {
    /// The file name.
    pub name: String,
    /// The file it was read from (`None` for a capture handed over in memory).
    pub path: Option<PathBuf>,
    /// The events with their names and reorg marks.
    pub view: CaptureView,
    /// The located problem that stopped reading, if any (what came before it is kept).
    pub error: Option<String>,
    /// How many of the file's oldest events were left out to stay within the memory cap.
    pub left_out: u64,
    /// How many HAR entries were not WebSockets and were left out.
    pub ignored_entries: u64,
}

/// Which events an export takes.
pub enum Selection {
    /// Every event from the oldest held to `last` (by sequence number).
    Range {
        /// The newest sequence number to take.
        last: u64,
        /// The last sequence number copied so far.
        after: Option<u64>,
    },
    /// These sequence numbers (the filtered view), in order.
    Seqs {
        /// The sequence numbers.
        seqs: Vec<u64>,
        /// How many were taken so far.
        next: usize,
    },
}

/// What an export writes and where.
pub struct ExportPlan {
    /// Which events.
    pub selection: Selection,
    /// How many events that is.
    pub total: usize,
    /// The file format.
    pub format: Format,
    /// Names for the ids (redacted endpoints); boxed, since a plan waits in every stage of a job.
    pub context: Box<CaptureContext>,
    /// Whether the events come from the opened capture (else the live capture).
    pub from_opened: bool,
}

/// A running job.
pub enum Job {
    /// The native save dialog is open.
    ChoosingExportPath {
        /// What the dialog came back with.
        rx: oneshot::Receiver<DialogOutcome>,
        /// What to export once a path is chosen.
        plan: ExportPlan,
    },
    /// Copying the events out of the capture, a slice per frame.
    Snapshot {
        /// The target file.
        path: PathBuf,
        /// What to export.
        plan: ExportPlan,
        /// The copies so far.
        events: Vec<CapturedEvent>,
    },
    /// Writing on a blocking thread.
    Exporting {
        /// The target file.
        path: PathBuf,
        /// Progress and cancel.
        progress: Arc<Progress>,
        /// The result.
        rx: oneshot::Receiver<Result<u64, ExportError>>,
        /// Events evicted before they could be copied.
        missed: usize,
    },
    /// The native open dialog is open.
    ChoosingFileToOpen {
        /// What the dialog came back with.
        rx: oneshot::Receiver<DialogOutcome>,
        /// How much the opened capture may hold.
        options: ImportOptions,
    },
    /// Reading on a blocking thread.
    Opening {
        /// The file.
        path: PathBuf,
        /// Progress (bytes) and cancel.
        progress: Arc<Progress>,
        /// The result.
        rx: oneshot::Receiver<OpenedCapture>,
    },
}

/// What a finished step produced for the app.
pub enum JobOutcome {
    /// Still running (possibly in a new stage).
    Running(Job),
    /// Finished with a message for the status bar and the dialog.
    Done(Message),
    /// An export finished writing `path`.
    Exported {
        /// The file written.
        path: PathBuf,
        /// What to tell the user.
        text: String,
    },
    /// The user closed a native file dialog without choosing: nothing to report.
    DialogClosed,
    /// No native file dialog could be shown (for an export when `export`, else for opening).
    NoDialog {
        /// Whether the dialog was the save dialog.
        export: bool,
    },
    /// A file was read.
    Opened(Box<OpenedCapture>),
}

impl Job {
    /// How the job looks in the UI.
    pub fn view(&self) -> JobView {
        match self {
            Self::ChoosingExportPath { .. } => {
                JobView { title: "Waiting for the save dialog…".to_owned(), fraction: None }
            }
            Self::Snapshot { plan, events, .. } => JobView {
                title: format!("Copying {} events…", format_count(plan.total as u64)),
                fraction: Some(events.len() as f32 / plan.total.max(1) as f32),
            },
            Self::Exporting { path, progress, .. } => JobView {
                title: format!("Exporting to {}…", file_name(path)),
                fraction: Some(progress.fraction()),
            },
            Self::ChoosingFileToOpen { .. } => {
                JobView { title: "Waiting for the open dialog…".to_owned(), fraction: None }
            }
            Self::Opening { path, progress, .. } => JobView {
                title: format!("Reading {}…", file_name(path)),
                fraction: Some(progress.fraction()),
            },
        }
    }

    /// Whether it is an export (the export dialog shows it).
    pub fn is_export(&self) -> bool {
        matches!(self, Self::ChoosingExportPath { .. } | Self::Snapshot { .. } | Self::Exporting { .. })
    }

    /// Asks the job to stop: a running write or read is cancelled; a dialog is abandoned.
    pub fn cancel(self) -> Message {
        let export = self.is_export();
        match self {
            Self::Exporting { progress, .. } | Self::Opening { progress, .. } => {
                progress.cancel.store(true, Ordering::Relaxed);
            }
            Self::ChoosingExportPath { .. } | Self::Snapshot { .. } | Self::ChoosingFileToOpen { .. } => {}
        }
        Message::Failure(
            if export { "Cancelled; no file was written." } else { "Cancelled; nothing was opened." }
                .to_owned(),
        )
    }
}

/// Starts copying events for an export to `path`.
pub fn start_snapshot(path: PathBuf, plan: ExportPlan) -> Job {
    let events = Vec::with_capacity(plan.total.min(1 << 20));
    Job::Snapshot { path, plan, events }
}

/// Opens `path`: reads it on a blocking thread, keeping at most what `options` allow.
pub fn start_opening(runtime: &Handle, ctx: &egui::Context, path: PathBuf, options: ImportOptions) -> Job {
    let (tx, rx) = oneshot::channel();
    let progress = Arc::new(Progress::default());
    let ctx = ctx.clone();
    let thread_progress = Arc::clone(&progress);
    let thread_path = path.clone();
    runtime.spawn_blocking(move || {
        let opened = read_opened(&thread_path, &thread_progress, options);
        tx.send(opened).ok(); // the job may have been dropped
        ctx.request_repaint();
    });
    Job::Opening { path, progress, rx }
}

/// Advances a job by one frame's worth: polls its result, or copies events for up to
/// `budget`. `live` and `opened` are the captures an export copies from.
pub fn step(
    job: Job,
    runtime: &Handle,
    ctx: &egui::Context,
    live: &Capture,
    opened: Option<&Capture>,
    budget: Duration,
) -> JobOutcome {
    match job {
        Job::ChoosingExportPath { mut rx, plan } => match rx.try_recv() {
            Ok(DialogOutcome::Chosen(path)) => JobOutcome::Running(start_snapshot(path, plan)),
            Ok(DialogOutcome::Cancelled) => JobOutcome::DialogClosed,
            Ok(DialogOutcome::Unavailable) => JobOutcome::NoDialog { export: true },
            Err(oneshot::error::TryRecvError::Empty) => {
                JobOutcome::Running(Job::ChoosingExportPath { rx, plan })
            }
            Err(oneshot::error::TryRecvError::Closed) => {
                JobOutcome::Done(Message::Failure("The file dialog failed.".to_owned()))
            }
        },
        Job::Snapshot { path, mut plan, mut events } => {
            let source = if plan.from_opened { opened } else { Some(live) };
            let finished = match source {
                Some(capture) => copy_events(capture, &mut plan.selection, &mut events, budget),
                None => true,
            };
            if finished {
                JobOutcome::Running(start_write(runtime, ctx, path, plan, events))
            } else {
                ctx.request_repaint();
                JobOutcome::Running(Job::Snapshot { path, plan, events })
            }
        }
        Job::Exporting { path, progress, mut rx, missed } => match rx.try_recv() {
            Ok(Ok(written)) => {
                let mut text = format!("Exported {} events to {}", format_count(written), path.display());
                if missed > 0 {
                    text.push_str(&format!(
                        " ({} evicted before they could be copied)",
                        format_count(missed as u64)
                    ));
                }
                JobOutcome::Exported { path, text }
            }
            Ok(Err(err)) => JobOutcome::Done(Message::Failure(format!("Export failed: {err}"))),
            Err(oneshot::error::TryRecvError::Empty) => {
                ctx.request_repaint_after(Duration::from_millis(100));
                JobOutcome::Running(Job::Exporting { path, progress, rx, missed })
            }
            Err(oneshot::error::TryRecvError::Closed) => {
                JobOutcome::Done(Message::Failure("Export failed: the writer stopped".to_owned()))
            }
        },
        Job::ChoosingFileToOpen { mut rx, options } => match rx.try_recv() {
            Ok(DialogOutcome::Chosen(path)) => {
                JobOutcome::Running(start_opening(runtime, ctx, path, options))
            }
            Ok(DialogOutcome::Cancelled) => JobOutcome::DialogClosed,
            Ok(DialogOutcome::Unavailable) => JobOutcome::NoDialog { export: false },
            Err(oneshot::error::TryRecvError::Empty) => {
                JobOutcome::Running(Job::ChoosingFileToOpen { rx, options })
            }
            Err(oneshot::error::TryRecvError::Closed) => {
                JobOutcome::Done(Message::Failure("The file dialog failed.".to_owned()))
            }
        },
        Job::Opening { path, progress, mut rx } => match rx.try_recv() {
            Ok(opened) => JobOutcome::Opened(Box::new(opened)),
            Err(oneshot::error::TryRecvError::Empty) => {
                ctx.request_repaint_after(Duration::from_millis(100));
                JobOutcome::Running(Job::Opening { path, progress, rx })
            }
            Err(oneshot::error::TryRecvError::Closed) => JobOutcome::Done(Message::Failure(format!(
                "Import of {} failed: the reader stopped",
                path.display()
            ))),
        },
    }
}

/// Copies selected events for at most `budget`; returns whether every one was visited.
fn copy_events(
    capture: &Capture,
    selection: &mut Selection,
    events: &mut Vec<CapturedEvent>,
    budget: Duration,
) -> bool {
    const CHUNK: usize = 2_048;
    let started = Instant::now();
    loop {
        let done = match selection {
            Selection::Range { last, after } => {
                let start = after.map_or(0, |seq| capture.first_index_after(seq));
                let mut copied = 0;
                for event in capture.iter_from(start).take_while(|event| event.seq <= *last).take(CHUNK) {
                    events.push(event.clone());
                    *after = Some(event.seq);
                    copied += 1;
                }
                copied < CHUNK
            }
            Selection::Seqs { seqs, next } => {
                let end = (*next + CHUNK).min(seqs.len());
                for seq in seqs.get(*next..end).unwrap_or_default() {
                    if let Some(event) = capture.by_seq(*seq) {
                        events.push(event.clone());
                    }
                }
                *next = end;
                end >= seqs.len()
            }
        };
        if done {
            return true;
        }
        if started.elapsed() >= budget {
            return false;
        }
    }
}

fn start_write(
    runtime: &Handle,
    ctx: &egui::Context,
    path: PathBuf,
    plan: ExportPlan,
    events: Vec<CapturedEvent>,
) -> Job {
    let (tx, rx) = oneshot::channel();
    let progress = Arc::new(Progress::default());
    progress.total.store(events.len() as u64, Ordering::Relaxed);
    let missed = plan.total.saturating_sub(events.len());
    let thread_progress = Arc::clone(&progress);
    let thread_path = path.clone();
    let ctx = ctx.clone();
    let context = plan.context;
    let format = plan.format;
    runtime.spawn_blocking(move || {
        let result = export_to_file(&thread_path, format, &events, &context, &thread_progress);
        tx.send(result).ok(); // the job may have been dropped
        ctx.request_repaint();
    });
    Job::Exporting { path, progress, rx, missed }
}

/// Reads a file into a read-only capture, numbering events in file order when their
/// sequence numbers are not increasing, and flags reorged block heights.
fn read_opened(path: &Path, progress: &Progress, options: ImportOptions) -> OpenedCapture {
    let read = import_file(path, progress, options);
    let mut events = read.events;
    let increasing = events.iter().zip(events.iter().skip(1)).all(|(a, b)| a.seq < b.seq);
    if !increasing {
        for (index, event) in events.iter_mut().enumerate() {
            event.seq = index as u64;
        }
    }
    let view = CaptureView::from_events(events, read.context);
    let error = read.error.map(|err| match view.capture.len() {
        0 => err.to_string(),
        read => format!("{err}; showing the {} events read before it", format_count(read as u64)),
    });
    OpenedCapture {
        name: file_name(path),
        path: Some(path.to_path_buf()),
        view,
        error,
        left_out: read.evicted,
        ignored_entries: read.ignored_entries,
    }
}
