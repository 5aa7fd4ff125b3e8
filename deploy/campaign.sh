#!/usr/bin/env bash
# The campaign's paper and assignment steps on the demo ledger (var/demo, made by deploy/run.sh),
# as a supervisor runs them: print intent postcards for the elderly, read back returned ones (the
# demo fills some in and scans them), show the assignment dry run, commit it with the dry run's
# digest, and print the notices. Then answer on the residents' page (/r/ at the address run.sh
# printed) and reschedule in the client, and run this again: only new answers are seated.
# Usage: deploy/campaign.sh [--db URL] [--returns N]
source "$(dirname "$0")/_env.sh"
DB="sqlite:///$ROOT/var/demo/ledger.sqlite3"
RETURNS=40
while [ $# -gt 0 ]; do
  case "$1" in
    --db) DB=$2; shift 2 ;;
    --returns) RETURNS=$2; shift 2 ;;
    *) echo "usage: $0 [--db URL] [--returns N]" >&2; exit 2 ;;
  esac
done
OUT="$ROOT/var/demo/campaign/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
reg() { echo "+ cti-registry $*" >&2; cti-registry --db "$DB" "$@"; }

reg migrate >/dev/null
reg postcards "$OUT/postcards.pdf" --select age:75-
reg fill-postcards "$OUT/postcards.pdf" "$OUT/returned" --count "$RETURNS"
reg read-postcards "$OUT/returned" | tail -n 1
reg assign                                   # the dry run: nothing written
digest=$(reg assign --json | python -c 'import json, sys; print(json.load(sys.stdin)["digest"])')
since=$(date -u +%Y-%m-%dT%H:%M:%S.%6N+00:00)  # the notices of this run's seats only
reg assign --commit --expect "$digest" | tail -n 2
reg notices "$OUT/notices.pdf" --since "$since"
echo "written to $OUT"
