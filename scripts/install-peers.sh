#!/usr/bin/env bash
# Installs the real nodes the integration tests run against, into .peers/ (git-ignored):
#   .peers/bin/anvil                   Foundry anvil 1.7.1 from npm (prebuilt binary in the package)
#   .peers/bin/solana-test-validator   Agave 3.1.12: $SOLANA_TEST_VALIDATOR, else the prebuilt copy
#                                      in ../shared/bin, else one on PATH, else built from crates.io
#                                      (about an hour on 2 cores).
#   gnome-keyring + D-Bus                a real Secret Service for tests/keychain.rs (Debian packages)
#   prometheus + promtool                Debian's Prometheus, which scrapes `subscope monitor` in
#                                      tests/monitor.rs and checks the shipped alert rules
#   Xvfb + xdotool                       a virtual X server for the real window in tests/ui_persist.rs
#   .peers/py                          a Python venv with web3.py 8.0.0 and solana-py 0.41.0 from PyPI:
#                                      the client libraries tests/py/*.py run against
#   .peers/js/node_modules             ethers 6.17.0, viem 2.58.8 and @solana/web3.js 1.99.0 from npm:
#                                      the client libraries tests/js/*.cjs run against the demo and
#                                      `subscope replay`
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
need python3 python3
need xz xz-utils
need dbus-run-session dbus
need dbus-send dbus
need gnome-keyring-daemon gnome-keyring
# The real window under a virtual X server (tests/ui_persist.rs).
need Xvfb xvfb xauth libx11-6 libx11-xcb1 libxcursor1 libxrandr2 libxi6 libgl1 libglx-mesa0
need xdotool xdotool
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

# ---- JavaScript client libraries: ethers v6, viem v2, @solana/web3.js v1 -------------------
js="$peers/js"
ethers_version=6.17.0
viem_version=2.58.8
web3_version=1.99.0
installed() { # installed PACKAGE: its version in .peers/js, or nothing
  sed -n 's/^  "version": "\(.*\)",*$/\1/p' "$js/node_modules/$1/package.json" 2>/dev/null | head -1
}
if [ "$(installed ethers)" != "$ethers_version" ] || [ "$(installed viem)" != "$viem_version" ] \
  || [ "$(installed @solana/web3.js)" != "$web3_version" ]; then
  echo "install-peers: installing ethers $ethers_version, viem $viem_version and @solana/web3.js $web3_version from npm"
  mkdir -p "$js"
  [ -f "$js/package.json" ] || echo '{"name":"subscope-js-peers","private":true}' > "$js/package.json"
  npm install --prefix "$js" --no-audit --no-fund --loglevel=error \
    "ethers@$ethers_version" "viem@$viem_version" "@solana/web3.js@$web3_version" >/dev/null
fi
echo "ethers $(installed ethers), viem $(installed viem), @solana/web3.js $(installed @solana/web3.js)"

# ---- Python client libraries: web3.py v8, solana-py ---------------------------------------
py="$peers/py"
web3_py_version=8.0.0
solana_py_version=0.41.0
py_installed() { # py_installed PACKAGE: its version in .peers/py, or nothing
  "$py/bin/python" -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null || true
}
if [ "$(py_installed web3)" != "$web3_py_version" ] || [ "$(py_installed solana)" != "$solana_py_version" ]; then
  echo "install-peers: installing web3.py $web3_py_version and solana-py $solana_py_version from PyPI"
  if ! python3 -m venv "$py" 2>/dev/null; then # Debian keeps ensurepip in python3-venv
    rm -rf "$py"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    fi
    python3 -m venv "$py" || {
      echo "install-peers: python3 cannot make a venv; install it with: sudo apt-get install python3-venv" >&2
      exit 1
    }
  fi
  "$py/bin/pip" install --quiet --disable-pip-version-check \
    "web3==$web3_py_version" "solana==$solana_py_version" >/dev/null
fi
echo "web3.py $(py_installed web3), solana-py $(py_installed solana)"
