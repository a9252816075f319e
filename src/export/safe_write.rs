//! Safe writes: an export goes to a temporary file beside the target, which is synced and
//! renamed into place, so a failed or cancelled export leaves no partial file and never
//! damages an existing one. Also the [`Progress`] an export (or an import) shares with a UI.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::format::{CaptureContext, Format};
use super::writer::EventWriter;
use crate::capture::CapturedEvent;

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
        if format == Format::Har {
            return super::har_write::write_har(out, events, context, progress, &io_error);
        }
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
