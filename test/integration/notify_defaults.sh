#!/usr/bin/env bash
# A notified syscall without a [notify.X] table is denied (otherwise = errno:EPERM) and audited;
# with a phase entry that allows it, it runs. Never a silent allow.
# labels: integration;notify
. "$(dirname "$0")/lib/common.bash"
P=$HELPERS/sys_probe
cat >"$TMP/bare.toml" <<'TOML'
[seccomp]
default = "allow"
notify = ["getppid"]
TOML
cat >"$TMP/startup.toml" <<'TOML'
[seccomp]
default = "allow"
notify = ["getppid"]
[notify.getppid]
startup = "allow"
TOML
out=$("$VIGIL" run -p "$TMP/bare.toml" --audit "$TMP/audit.jsonl" -- "$P" call 110)
expect_eq "notified without a table: EPERM" "ret=-1 errno=1" "$out"
expect_grep "the denial is audited" '"decision":"errno:EPERM".*"syscall":"getppid"' "$TMP/audit.jsonl"
out=$("$VIGIL" run -p "$TMP/startup.toml" --audit "$TMP/audit2.jsonl" -- "$P" call 110)
case "$out" in "ret="[0-9]*" errno=0") pass ;; *) fail "startup = allow: got '$out'" ;; esac
finish
