#!/usr/bin/env bash
# When the kernel refuses vigil a listener (EBUSY: the runtime holds one), vigil says so loudly and
# notified syscalls get their policy's static fallback, never "allow everything".
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
# Without the runtime's listener the same profile lets getppid through (phase startup allows it).
out=$("$VIGIL" run -p "$TMP/p.toml" -- "$HELPERS/sys_probe" call 110 2>/dev/null)
case "$out" in "ret="[0-9]*" errno=0") pass ;; *) fail "with a listener: got '$out'" ;; esac
finish
