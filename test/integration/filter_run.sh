#!/bin/bash
# vigil run -p: each seccomp action, argument conditions, x32, ENOSYS rules and complain
# mode, observed through test/helpers/sys_probe.
# labels: integration
# timeout: 60
set -euo pipefail
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
P=$HELPERS/sys_probe
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() {  # expect WHAT EXPECTED ACTUAL
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
    echo "ok: $1"
}

cat >"$T/p.toml" <<'TOML'
[seccomp]
default = "allow"

[seccomp.deny]
getppid = "errno:EACCES"
ptrace = "kill-process"
getpgrp = "trap"
getsid = "log"
acct = "kill-thread"

[[seccomp.rule]]
syscall = "socket"
action = "errno:EAFNOSUPPORT"
when = ["arg0 & 0xffffffff == AF_PACKET"]
TOML

run() { "$VIGIL" run -p "$T/p.toml" -- "$P" "$@" 2>"$T/err"; }
expect "errno action" "ret=-1 errno=13" "$(run call 110)"
expect "socket(AF_PACKET) denied" "ret=-1 errno=97" "$(run call 41 17 2)"
expect "socket(AF_PACKET) with the upper 32 bits set still denied" "ret=-1 errno=97" "$(run call 41 0x100000011 2)"
out=$(run call 41 2 2); [[ $out == *"errno=0" ]] || fail "socket(AF_INET) allowed: $out"; echo "ok: socket(AF_INET) allowed"
expect "trap raises SIGSYS naming the syscall" "SIGSYS syscall=111" "$(run trap-call 111 | head -1)"
set +e
out=$(run thread-call 101); rc=$?
set -e
expect "kill-process from a thread: exit status" "159" "$rc"
expect "kill-process from a thread: nothing survives" "" "$out"
expect "kill-thread kills one thread" "survived" "$(run thread-call 163)"
out=$(run call 124); [[ $out == "ret="[0-9]*" errno=0" ]] || fail "log allows: $out"; echo "ok: log allows"
set +e
out=$(run x32 39); rc=$?
set -e
expect "x32 syscall kills the process" "159" "$rc"
expect "clone3 gets ENOSYS" "ret=-1 errno=38" "$(run call 435)"
expect "unknown high syscall gets ENOSYS" "ret=-1 errno=38" "$(run call 1000)"
st=$(run status)
[[ $st == *"NoNewPrivs:	1"* && $st == *"Seccomp:	2"* ]] || fail "filter and no_new_privs in force: $st"
echo "ok: Seccomp 2 and NoNewPrivs 1"

