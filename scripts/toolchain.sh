#!/usr/bin/env bash
# rust-toolchain.toml pins Rust 1.95.0. Where rustup has no toolchain of that name but its
# stable one is 1.95.0 (this machine's image), link it under the pinned name, so rustup never
# tries to download a toolchain (nothing outside the package registries is reachable).
set -euo pipefail
command -v rustup >/dev/null 2>&1 || exit 0
pinned=$(sed -n 's/^channel = "\(.*\)"/\1/p' "$(dirname "$0")/../rust-toolchain.toml")
rustup toolchain list | grep -q "^$pinned" && exit 0
stable=$(rustc +stable --version 2>/dev/null | awk '{print $2}')
if [ "$stable" = "$pinned" ]; then
  rustup toolchain link "$pinned" "$(rustc +stable --print sysroot)"
else
  echo "toolchain: Rust $pinned is not installed (stable is ${stable:-missing}): rustup toolchain install $pinned" >&2
  exit 1
fi
