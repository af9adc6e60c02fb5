#!/bin/bash
# Temporal specialisation: a syscall seen only before the ready condition held is allowed during
# startup and denied once the app is ready.
# labels: integration;learn
# timeout: 60
set -euo pipefail
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
PROBE="$HELPERS/learn_probe"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$VIGIL" learn -o "$T/p.toml" --ready-output '^READY$' -- "$PROBE" --ready > "$T/learn.out" 2> "$T/learn.err" \
    || fail "learn exited $?: $(cat "$T/learn.err")"
grep -q "app is ready" "$T/learn.err" || fail "learn never saw the app ready"
grep -q '^\[notify.uname\]' "$T/p.toml" || fail "uname (startup only) is not phase-dependent"
grep -q '^reached_ready = true$' "$T/p.toml" || fail "[learned] does not record readiness"
grep -q '^output_match = "^READY\$"$' "$T/p.toml" || fail "[phases.ready] not written"
# getuid is made after READY: allowed in every phase.
grep -q '^    "getuid",  # .*ready' "$T/p.toml" || fail "getuid (ready) is not simply allowed"

# As learned: uname during startup works.
"$VIGIL" run -p "$T/p.toml" -- "$PROBE" --ready > "$T/run.out" 2> "$T/run.err" || fail "rerun exited $?"
grep -q "^uname=0$" "$T/run.out" || fail "startup uname denied"
# uname again once ready: denied.
"$VIGIL" run -p "$T/p.toml" -- "$PROBE" --ready --late-uname > "$T/late.out" 2> "$T/late.err" || fail "late run exited $?"
[ "$(grep -c '^uname=' "$T/late.out")" = 2 ] || fail "expected two uname results: $(cat "$T/late.out")"
[ "$(grep '^uname=' "$T/late.out" | tail -1)" = "uname=EPERM" ] || fail "uname after ready allowed: $(cat "$T/late.out")"
[ "$(grep '^uname=' "$T/late.out" | head -1)" = "uname=0" ] || fail "uname during startup denied"
echo "ok"
