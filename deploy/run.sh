#!/usr/bin/env bash
# Run the whole product on this machine: the embedded SQLite ledger (seeded on first run), the
# PBX simulator, the server and, where a display exists, the desktop client. Ctrl-C stops all.
# Options go to cti-demo (e.g. --residents 5000 --rate 0.2 --no-client).
source "$(dirname "$0")/_env.sh"
exec cti-demo "$@"
