#!/usr/bin/env bash
# What CI runs: formatting, lints, then every test (scripts/test.sh, the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
bash scripts/test.sh
