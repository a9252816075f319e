#!/usr/bin/env bash
# What CI runs: formatting, lints, the build without the window, then every test
# (scripts/test.sh, the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
# The session and everything below it build without egui (the headless `record`).
cargo check --no-default-features --lib
bash scripts/test.sh
