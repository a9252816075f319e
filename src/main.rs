//! The `subscope` binary: the desktop app, or one of the headless verbs
//! ([`subscope::commands`]). It builds the one tokio runtime and hands it to either.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser as _;
use subscope::commands::Cli;

#[cfg(feature = "gui")]
fn run_app(runtime: &tokio::runtime::Runtime, file: Option<PathBuf>) -> anyhow::Result<()> {
    let _guard = runtime.enter();
    subscope::app::run(runtime.handle().clone(), file)
}

#[cfg(not(feature = "gui"))]
fn run_app(_runtime: &tokio::runtime::Runtime, _file: Option<PathBuf>) -> anyhow::Result<()> {
    anyhow::bail!("this subscope was built without the `gui` feature; use `subscope record`")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("subscope-io").build() {
            Ok(runtime) => runtime,
            Err(err) => {
                eprintln!("subscope: could not start the async runtime: {err}");
                return ExitCode::FAILURE;
            }
        };
    match cli.verb {
        Some(verb) => subscope::commands::run(verb, &runtime),
        None => match run_app(&runtime, cli.file) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("subscope: {err:#}");
                ExitCode::FAILURE
            }
        },
    }
}
