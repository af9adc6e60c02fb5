#!/usr/bin/env bash
# When the kernel refuses vigil a listener (EBUSY: the runtime holds one), vigil says so loudly and
# notified syscalls get their policy's static fallback, never "allow everything", and says so
# once (one log line, one audit notice), however often the app makes those calls.
# labels: integration;notify
. "$(dirname "$0")/lib/common.bash"
cat >"$TMP/p.toml" <<'TOML'
[seccomp]
default = "allow"
notify = ["getppid"]
[notify.getppid]
startup = "allow"
fallback = "errno:EACCES"
TOML
out=$("$HELPERS/hold_listener" "$VIGIL" run -p "$TMP/p.toml" -- "$HELPERS/sys_probe" call 110 2>"$TMP/err")
expect_eq "fallback action in force" "ret=-1 errno=13" "$out"
expect_grep "refusal logged as an error" 'error.*refused vigil a seccomp listener' "$TMP/err"
# Logged once per run, not per call: 30 notified calls from 30 processes, one log line and one
# audit notice (the listener is refused once, at start).
"$HELPERS/hold_listener" "$VIGIL" run -p "$TMP/p.toml" -- sh -c \
    'for i in $(seq 30); do "$0" call 110; done' "$HELPERS/sys_probe" >"$TMP/many.out" 2>"$TMP/many.err"
expect_eq "every call got the fallback" 30 "$(grep -c '^ret=-1 errno=13$' "$TMP/many.out")"
expect_eq "one log line for the refusal" 1 "$(grep -v '"event"' "$TMP/many.err" | grep -c 'refused vigil a seccomp listener')"
expect_eq "one audit notice for the refusal" 1 "$(grep '"event":"notice"' "$TMP/many.err" | grep -c 'refused vigil a seccomp listener')"
# Without the runtime's listener the same profile lets getppid through (phase startup allows it).
out=$("$VIGIL" run -p "$TMP/p.toml" -- "$HELPERS/sys_probe" call 110 2>/dev/null)
case "$out" in "ret="[0-9]*" errno=0") pass ;; *) fail "with a listener: got '$out'" ;; esac
finish
