//! Files the user opens and saves, without egui: the recent-files list, the folder a file
//! dialog starts in, and telling a cancelled native dialog from one the system does not have.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How many recent files are remembered.
pub const MAX_RECENT: usize = 10;

/// Puts `path` first in `recent` (most recent first), dropping an older entry for the same
/// file and the oldest past [`MAX_RECENT`].
pub fn remember(recent: &mut Vec<PathBuf>, path: PathBuf) {
    recent.retain(|entry| *entry != path);
    recent.insert(0, path);
    recent.truncate(MAX_RECENT);
}

/// Removes `path` from `recent`.
pub fn forget(recent: &mut Vec<PathBuf>, path: &Path) {
    recent.retain(|entry| entry != path);
}

/// The path as the recent list keeps it: absolute (a relative path is taken from the current
/// folder), so it still names the same file from a later run.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The first of `candidates` that is an existing folder other than the file system's root
/// (a dialog that starts in `/` makes the user walk down from there).
pub fn start_dir<'a>(candidates: impl IntoIterator<Item = Option<&'a Path>>) -> Option<PathBuf> {
    candidates.into_iter().flatten().find(|dir| dir.parent().is_some() && dir.is_dir()).map(Path::to_path_buf)
}

/// Where a file dialog starts: `last` (the folder last used for the same purpose), else the
/// home folder, else the current folder; `None` (the dialog's own choice) when none is usable.
pub fn default_start_dir(last: Option<&Path>) -> Option<PathBuf> {
    let home = std::env::home_dir();
    let current = std::env::current_dir().ok();
    start_dir([last, home.as_deref(), current.as_deref()])
}

/// A native dialog that answers "nothing chosen" sooner than this was never shown: no person
/// closes a dialog that fast, while a system without one (no desktop portal, no zenity)
/// answers at once.
pub const NO_DIALOG_WITHIN: Duration = Duration::from_millis(400);

/// What a native file dialog came back with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DialogOutcome {
    /// The user chose this file.
    Chosen(PathBuf),
    /// The user closed the dialog without choosing.
    Cancelled,
    /// No dialog could be shown on this system.
    Unavailable,
}

impl DialogOutcome {
    /// Reads a dialog's answer (`None` for nothing chosen) given how long it was open.
    pub fn from_answer(chosen: Option<PathBuf>, open_for: Duration) -> Self {
        match chosen {
            Some(path) => Self::Chosen(path),
            None if open_for < NO_DIALOG_WITHIN => Self::Unavailable,
            None => Self::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(names: &[&str]) -> Vec<PathBuf> {
        names.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn recent_files_are_most_recent_first_without_duplicates() {
        let mut recent = Vec::new();
        remember(&mut recent, "/a".into());
        remember(&mut recent, "/b".into());
        remember(&mut recent, "/a".into());
        assert_eq!(recent, paths(&["/a", "/b"]));
        forget(&mut recent, Path::new("/a"));
        assert_eq!(recent, paths(&["/b"]));
        forget(&mut recent, Path::new("/not-there"));
        assert_eq!(recent, paths(&["/b"]));
    }

    #[test]
    fn recent_files_keep_the_newest_ten() {
        let mut recent = Vec::new();
        for index in 0..15 {
            remember(&mut recent, format!("/f{index}").into());
        }
        assert_eq!(recent.len(), MAX_RECENT);
        assert_eq!(recent.first(), Some(&PathBuf::from("/f14")));
        assert_eq!(recent.last(), Some(&PathBuf::from("/f5")));
        // Opening an old one again moves it to the front without dropping another.
        remember(&mut recent, "/f9".into());
        assert_eq!(recent.len(), MAX_RECENT);
        assert_eq!(recent.first(), Some(&PathBuf::from("/f9")));
        assert_eq!(recent.iter().filter(|path| path.as_path() == Path::new("/f9")).count(), 1);
    }

    #[test]
    fn relative_paths_are_remembered_absolute() {
        let path = absolute(Path::new("capture.ndjson"));
        assert!(path.is_absolute(), "{path:?}");
        assert!(path.ends_with("capture.ndjson"));
    }

    #[test]
    fn a_dialog_starts_in_the_last_folder_then_home_then_current_never_root() {
        let last = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let home = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let gone = last.path().join("removed");
        let (last, home) = (last.path(), home.path());
        assert_eq!(start_dir([Some(last), Some(home), None]).as_deref(), Some(last));
        assert_eq!(start_dir([Some(gone.as_path()), Some(home), None]).as_deref(), Some(home));
        assert_eq!(start_dir([None, None, Some(home)]).as_deref(), Some(home));
        assert_eq!(start_dir([None, Some(Path::new("/")), Some(home)]).as_deref(), Some(home));
        assert_eq!(start_dir([Some(Path::new("/")), None, Some(Path::new("/"))]), None);
        let file = home.join("a-file");
        std::fs::write(&file, "x").unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(start_dir([Some(file.as_path()), None, None]), None, "a file is not a folder");
        assert_ne!(default_start_dir(None).as_deref(), Some(Path::new("/")));
    }

    #[test]
    fn nothing_chosen_at_once_means_no_dialog_and_later_means_cancelled() {
        let instant = Duration::from_millis(20);
        let human = Duration::from_secs(3);
        assert_eq!(DialogOutcome::from_answer(None, instant), DialogOutcome::Unavailable);
        assert_eq!(DialogOutcome::from_answer(None, human), DialogOutcome::Cancelled);
        assert_eq!(
            DialogOutcome::from_answer(Some("/x".into()), instant),
            DialogOutcome::Chosen("/x".into())
        );
    }
}
