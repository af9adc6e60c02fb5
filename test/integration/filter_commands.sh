#!/bin/bash
# vigil compile (pfc, bpf, oci), vigil explain, their errors, and OCI round trips through
# vigil import-oci.
# labels: integration
# timeout: 60
set -euo pipefail
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
contains() { [[ $2 == *"$3"* ]] || fail "$1: '$3' not in: $2"; echo "ok: $1"; }

cat >"$T/p.toml" <<'TOML'
[seccomp]
default = "errno:EPERM"
allow = ["read", "write", "getppid", "exit_group"]

[seccomp.deny]
ptrace = "kill-process"

[[seccomp.rule]]
syscall = "socket"
action = "allow"
when = ["arg0 == AF_INET"]

[[seccomp.rule]]
syscall = "socket"
action = "errno:EAFNOSUPPORT"
when = ["arg0 == AF_PACKET", "arg1 == SOCK_RAW"]

[[seccomp.rule]]
syscall = "clone"
action = "allow"
when = ["arg0 & CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWNET == 0"]
TOML

pfc=$("$VIGIL" compile "$T/p.toml")
contains "pfc shows the x86_64 arch check" "$pfc" 'if ($arch == 3221225534)'
contains "pfc shows the masked clone check" "$pfc" '$a0.lo32 & 0x50020000 == 0'
contains "pfc shows the default" "$pfc" 'action ERRNO(1);'
contains "pfc shows the bad-arch kill" "$pfc" 'action KILL_PROCESS;'
contains "pfc shows the ENOSYS prefix" "$pfc" 'action ERRNO(38);  # newer than'

"$VIGIL" compile "$T/p.toml" --format bpf -o "$T/p.bpf"
size=$(stat -c %s "$T/p.bpf")
[ "$size" -gt 0 ] && [ $((size % 8)) -eq 0 ] || fail "bpf output is whole sock_filter records ($size bytes)"
echo "ok: bpf output ($((size / 8)) instructions)"

"$VIGIL" compile "$T/p.toml" --format oci -o "$T/a.json"
python3 - "$T/a.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["defaultAction"] == "SCMP_ACT_ERRNO" and d["defaultErrnoRet"] == 1, d
assert d["architectures"] == ["SCMP_ARCH_X86_64"], d
by = {(n, e["action"]): e for e in d["syscalls"] for n in e["names"]}
assert by[("clone3", "SCMP_ACT_ERRNO")]["errnoRet"] == 38
assert by[("ptrace", "SCMP_ACT_KILL_PROCESS")]
assert by[("clone", "SCMP_ACT_ALLOW")]["args"] == [{"index": 0, "value": 0x50020000, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]
print("ok: OCI JSON fields")
PY

# Round trip: OCI -> TOML -> OCI is a fixed point, and the two filters decide alike.
"$VIGIL" import-oci "$T/a.json" -o "$T/b.toml"
"$VIGIL" check "$T/b.toml" >/dev/null
"$VIGIL" compile "$T/b.toml" --format oci -o "$T/b.json"
cmp "$T/a.json" "$T/b.json" || fail "compile --format oci | import-oci | compile --format oci differs"
echo "ok: OCI round trip is a fixed point"
for call in "socket 2" "socket 17 3" "socket 17 2" "socket 10" "clone 0x11" "clone 0x10000000" "ptrace" "clone3" "getppid" "getpid"; do
    # shellcheck disable=SC2086
    a=$("$VIGIL" explain "$T/p.toml" $call | sed -n 2p)
    # shellcheck disable=SC2086
    b=$("$VIGIL" explain "$T/b.toml" $call | sed -n 2p)
    [ "$a" = "$b" ] || fail "explain $call: original '$a', imported '$b'"
done
echo "ok: imported profile decides like the original"

ex=$("$VIGIL" explain "$T/p.toml" socket AF_PACKET SOCK_RAW)
contains "explain: action" "$ex" "action: errno:EAFNOSUPPORT"
contains "explain: deciding rule with FILE:LINE" "$ex" "$T/p.toml:1"
ex=$("$VIGIL" explain "$T/p.toml" socket AF_INET6)
contains "explain: default" "$ex" "reason: no rule matches: the default action"
ex=$("$VIGIL" explain "$T/p.toml" clone3)
contains "explain: clone3" "$ex" "action: errno:ENOSYS"

set +e
err=$("$VIGIL" compile "$T/p.toml" --format xml 2>&1); rc=$?
set -e
[ $rc -eq 125 ] || fail "unknown format: exit $rc"
contains "unknown format message" "$err" "unknown format 'xml' (expected pfc, bpf, oci or spo)"
set +e
err=$("$VIGIL" explain "$T/p.toml" sokcet 2>&1); rc=$?
set -e
[ $rc -eq 125 ] || fail "unknown syscall: exit $rc"
contains "unknown syscall message" "$err" "'sokcet' is not an x86_64 system call"
