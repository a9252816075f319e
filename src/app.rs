//! Placeholder for the desktop app (being written).

use std::path::PathBuf;

/// Runs the desktop app until its window closes.
pub fn run(_runtime: tokio::runtime::Handle, _file: Option<PathBuf>) -> anyhow::Result<()> {
    anyhow::bail!("the desktop app is not built yet")
}
