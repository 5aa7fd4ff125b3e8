#!/usr/bin/env bash
# Run the whole product on this machine: the embedded SQLite ledger (seeded on first run), the
# PBX simulator, the server and, where a display exists, the desktop client. Ctrl-C stops all.
# Options go to cti-demo (e.g. --residents 5000 --rate 0.2 --no-client).
source "$(dirname "$0")/_env.sh"

# Qt's X11 plugin (Qt >= 6.5) needs these xcb libraries; a Debian desktop often lacks some.
XCB_PKGS="libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0"
if [ -n "${DISPLAY:-}" ] && command -v dpkg-query >/dev/null; then
  missing=$(for p in $XCB_PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || echo "$p"
  done)
  if [ -n "$missing" ] && [ "$(id -u)" = 0 ]; then
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq $missing; }
  elif [ -n "$missing" ]; then
    echo "note: the client needs these on X11: sudo apt-get install" $missing >&2
  fi
fi
exec cti-demo "$@"
