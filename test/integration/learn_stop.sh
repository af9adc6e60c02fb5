#!/bin/bash
# Learning stops on SIGTERM to vigil (the app is stopped gracefully and the profile written),
# and a crashing app still leaves a profile of what it did; the report is written alongside.
# labels: integration;learn
# timeout: 60
set -euo pipefail
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT
PROBE="$HELPERS/learn_probe"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$VIGIL" learn -o "$T/term.toml" --report "$T/report" -- "$PROBE" --wait > "$T/out" 2> "$T/err" &
pid=$!
for _ in $(seq 100); do grep -q '^getuid=0$' "$T/out" 2>/dev/null && break; sleep 0.1; done
grep -q '^getuid=0$' "$T/out" || fail "probe did not start"
[ -e "$T/term.toml" ] && fail "profile written before learning stopped"
kill -TERM $pid
rc=0; wait $pid || rc=$?
[ $rc = 0 ] || fail "vigil learn exited $rc after SIGTERM (the probe exits 0 on SIGTERM): $(cat "$T/err")"
grep -q '^done$' "$T/out" || fail "the app was not stopped gracefully"
grep -q '^\[learned.syscalls\]' "$T/term.toml" || fail "no profile after SIGTERM"
grep -q '^pause = ' "$T/term.toml" || fail "the waiting syscall (pause) not recorded"
for f in report.html syscalls.svg learned.json; do [ -s "$T/report/$f" ] || fail "report $f missing"; done
grep -q '<svg' "$T/report/report.html" || fail "the report page does not embed the chart"
grep -q 'Docker default profile allows' "$T/report/report.html" || fail "no attack-surface summary"
grep -q '"first_ms"' "$T/report/learned.json" || fail "learned.json lacks times"

rc=0; "$VIGIL" learn -o "$T/crash.toml" -- "$PROBE" --crash > /dev/null 2>&1 || rc=$?
[ $rc = $((128 + 11)) ] || fail "crash: exit $rc, expected 139"
grep -q '^getuid = ' "$T/crash.toml" || fail "no profile after the app crashed"
echo "ok"
