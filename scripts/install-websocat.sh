#!/usr/bin/env bash
# Builds websocat 1.14.1 from crates.io into .peers/websocat (about 4 minutes on 2 cores):
# the CLI baseline of benches/ingest.rs. Not needed by the tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$root/.peers/websocat/bin/websocat" ]; then
  CARGO_TARGET_DIR="$root/.peers/cargo-target-websocat" nice -n 19 \
    cargo install --locked --root "$root/.peers/websocat" websocat@1.14.1
fi
"$root/.peers/websocat/bin/websocat" --version
