#!/usr/bin/env bash
# What CI runs: the pinned toolchain, formatting, lints, the build without the window, the
# docs, then every test (scripts/test.sh, the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/toolchain.sh
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
# The session and everything below it build without egui (the headless `record`).
cargo check --no-default-features --lib
# The crate's docs: every intra-doc link resolves (they are how a newcomer finds their way).
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps
bash scripts/test.sh
