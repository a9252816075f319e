#!/usr/bin/env bash
# Runs every test: installs the real nodes the integration tests need (anvil,
# solana-test-validator; see install-peers.sh), then the whole cargo test suite, and closes
# with one line that adds up every test binary's result.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/toolchain.sh
bash scripts/install-peers.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
