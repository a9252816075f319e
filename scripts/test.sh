#!/usr/bin/env bash
# Runs every test: installs the real nodes the integration tests need (anvil,
# solana-test-validator; see install-peers.sh), then the whole cargo test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-peers.sh
cargo test "$@"
