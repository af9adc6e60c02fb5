#!/bin/bash
# Complain mode end to end: the filter turns every denial (errno, kill-process, the default)
# into a notification, the supervisor logs what would have happened and lets the call run.
# Needs the notify module (src/notify) answering notifications.
# labels: integration
# timeout: 60
set -euo pipefail
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
P=$HELPERS/sys_probe
fail() { echo "FAIL: $*" >&2; exit 1; }

cat >"$T/p.toml" <<'TOML'
[seccomp]
default = "allow"

[seccomp.deny]
getppid = "errno:EXDEV"
ptrace = "kill-process"
TOML

out=$(timeout 20 "$VIGIL" run --complain -p "$T/p.toml" -- "$P" call 110 2>"$T/err") || fail "complain run failed: $(cat "$T/err")"
[[ $out == "ret="[1-9]*" errno=0" ]] || fail "complain lets the denied getppid run: $out"
grep -q '"syscall":"getppid"' "$T/err" || fail "the would-be denial of getppid is logged: $(cat "$T/err")"
echo "ok: errno rule logged and allowed"

out=$(timeout 20 "$VIGIL" run --complain -p "$T/p.toml" -- "$P" thread-call 101 2>"$T/err") || fail "complain run failed: $(cat "$T/err")"
[[ $out == *"survived" ]] || fail "complain lets the kill-process call run: $out"
grep -q '"decision":"kill-process"' "$T/err" || fail "the would-be kill is logged: $(cat "$T/err")"
echo "ok: kill-process rule logged and allowed"

# Enforcing again, the same profile denies and kills.
[ "$("$VIGIL" run -p "$T/p.toml" -- "$P" call 110 2>/dev/null)" = "ret=-1 errno=18" ] || fail "enforce mode denies"
echo "ok: enforce mode denies"
