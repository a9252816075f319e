#!/usr/bin/env bash
# Puts subscope in the desktop's application menu for the current user: the .desktop entry
# into ~/.local/share/applications and the icon into the hicolor theme. The entry runs
# `subscope`, so install the binary first: cargo install --locked --path .
# Undo with: scripts/install-desktop.sh --uninstall
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
apps=$data/applications
icons=$data/icons/hicolor
if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$apps/subscope.desktop" "$icons/256x256/apps/subscope.png" "$icons/scalable/apps/subscope.svg"
  echo "removed subscope's desktop entry and icon"
  exit 0
fi
install -Dm644 "$root/assets/subscope.desktop" "$apps/subscope.desktop"
install -Dm644 "$root/assets/subscope.png" "$icons/256x256/apps/subscope.png"
install -Dm644 "$root/assets/subscope.svg" "$icons/scalable/apps/subscope.svg"
# Refresh the menu and icon caches where the tools exist (they are optional).
if command -v update-desktop-database >/dev/null; then update-desktop-database -q "$apps" || true; fi
if command -v gtk-update-icon-cache >/dev/null; then gtk-update-icon-cache -q -t "$icons" 2>/dev/null || true; fi
if ! command -v subscope >/dev/null; then
  echo "note: subscope is not on PATH yet; run: cargo install --locked --path ."
fi
echo "installed $apps/subscope.desktop and the icon into $icons"
