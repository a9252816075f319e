#!/usr/bin/env bash
# Installs the real nodes the integration tests run against, into .peers/ (git-ignored):
#   .peers/bin/anvil                   Foundry anvil 1.7.1 from npm (prebuilt binary in the package)
#   .peers/bin/solana-test-validator   Agave 3.1.12: $SOLANA_TEST_VALIDATOR, else the prebuilt copy
#                                      in ../shared/bin, else one on PATH, else built from crates.io
#                                      (about an hour on 2 cores).
#   gnome-keyring + D-Bus                a real Secret Service for tests/keychain.rs (Debian packages)
#   prometheus + promtool                Debian's Prometheus, which scrapes `subscope monitor` in
#                                      tests/monitor.rs and checks the shipped alert rules
#   .peers/js/node_modules             ethers 6.17.0 and @solana/web3.js 1.99.0 from npm: the client
#                                      libraries tests/js/*.mjs run against `subscope replay`
# Tools it needs and does not find are installed with apt-get when run as root; otherwise it
# stops with one line naming what is missing and the command that installs it.
# Idempotent: a second run does nothing but check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peers="$root/.peers"
mkdir -p "$peers/bin"

# need COMMAND PACKAGE...: installs PACKAGE... with apt-get when COMMAND is missing.
need() {
  local tool=$1; shift
  command -v "$tool" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-peers: installing $* (for $tool)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
  command -v "$tool" >/dev/null 2>&1 && return 0
  echo "install-peers: $tool is missing; install it with: sudo apt-get install $*" >&2
  exit 1
}

need npm nodejs npm
need xz xz-utils
need dbus-run-session dbus
need dbus-send dbus
need gnome-keyring-daemon gnome-keyring
need prometheus prometheus
need promtool prometheus

# ---- Ethereum: anvil ----------------------------------------------------------------------
anvil_version=1.7.1
if ! "$peers/bin/anvil" --version 2>/dev/null | grep -q "$anvil_version"; then
  echo "install-peers: installing anvil $anvil_version from npm"
  mkdir -p "$peers/eth"
  [ -f "$peers/eth/package.json" ] || echo '{"name":"subscope-peers","private":true}' > "$peers/eth/package.json"
  npm install --prefix "$peers/eth" --no-audit --no-fund --loglevel=error "@foundry-rs/anvil@$anvil_version" >/dev/null
  ln -sf "$peers/eth/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil" "$peers/bin/anvil"
fi
"$peers/bin/anvil" --version | head -1

# ---- Solana: solana-test-validator --------------------------------------------------------
stv="$peers/bin/solana-test-validator"
shared_xz="$root/../shared/bin/solana-test-validator-3.1.12-x86_64-linux.xz"
if [ -n "${SOLANA_TEST_VALIDATOR:-}" ]; then
  ln -sf "$(realpath "$SOLANA_TEST_VALIDATOR")" "$stv"
elif [ -x "$stv" ] && "$stv" --version >/dev/null 2>&1; then
  :
elif [ -f "$shared_xz" ]; then
  echo "install-peers: unpacking the prebuilt solana-test-validator 3.1.12"
  xz -dc "$shared_xz" > "$stv.part"
  expected=$(awk '{print $1}' "${shared_xz%.xz}.sha256")
  actual=$(sha256sum "$stv.part" | awk '{print $1}')
  if [ "$expected" != "$actual" ]; then
    echo "install-peers: checksum mismatch for the prebuilt validator ($actual, want $expected)" >&2
    rm -f "$stv.part"; exit 1
  fi
  chmod +x "$stv.part" && mv "$stv.part" "$stv"
elif command -v solana-test-validator >/dev/null 2>&1; then
  ln -sf "$(command -v solana-test-validator)" "$stv"
else
  echo "install-peers: building solana-test-validator 3.1.12 from crates.io (about an hour)"
  if ! command -v protoc >/dev/null || ! command -v clang >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential pkg-config libssl-dev \
      libudev-dev clang libclang-dev llvm protobuf-compiler cmake zlib1g-dev >/dev/null
  fi
  CARGO_TARGET_DIR="$peers/cargo-target-solana" CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=true \
    cargo install --locked --root "$peers/solana" agave-validator@3.1.12 --bin solana-test-validator
  ln -sf "$peers/solana/bin/solana-test-validator" "$stv"
fi
"$stv" --version | head -1

# ---- JavaScript client libraries: ethers v6, @solana/web3.js v1 ----------------------------
js="$peers/js"
ethers_version=6.17.0
web3_version=1.99.0
installed() { # installed PACKAGE: its version in .peers/js, or nothing
  sed -n 's/^  "version": "\(.*\)",*$/\1/p' "$js/node_modules/$1/package.json" 2>/dev/null | head -1
}
if [ "$(installed ethers)" != "$ethers_version" ] || [ "$(installed @solana/web3.js)" != "$web3_version" ]; then
  echo "install-peers: installing ethers $ethers_version and @solana/web3.js $web3_version from npm"
  mkdir -p "$js"
  [ -f "$js/package.json" ] || echo '{"name":"subscope-js-peers","private":true}' > "$js/package.json"
  npm install --prefix "$js" --no-audit --no-fund --loglevel=error \
    "ethers@$ethers_version" "@solana/web3.js@$web3_version" >/dev/null
fi
echo "ethers $(installed ethers), @solana/web3.js $(installed @solana/web3.js)"
