#!/bin/bash
# `vigil compile --format oci` loaded by a real OCI runtime (runc): the runtime accepts the
# JSON and enforces what vigil would (errno, argument conditions, kill-process, clone3).
# Needs root and runc (Debian package runc).
# labels: integration
# timeout: 120
set -euo pipefail
if ! command -v runc >/dev/null; then
    echo "runc is not installed (apt-get install -y runc): cannot check the OCI export against a runtime" >&2
    exit 1
fi
T=$(mktemp -d)
chmod 755 "$T"
cleanup() {
    for id in $(runc list -q 2>/dev/null | grep "^vigil-oci-$$-" || true); do runc delete -f "$id" >/dev/null 2>&1 || true; done
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() {
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
    echo "ok: $1"
}

cat >"$T/p.toml" <<'TOML'
[seccomp]
default = "allow"

[seccomp.deny]
getppid = "errno:EACCES"
ptrace = "kill-process"

[[seccomp.rule]]
syscall = "socket"
action = "errno:EAFNOSUPPORT"
when = ["arg0 & 0xffffffff == AF_PACKET"]
TOML
"$VIGIL" compile "$T/p.toml" --format oci -o "$T/seccomp.json"

# A bundle whose root is the host's /usr and /lib (read-only) plus the helper directory.
mkdir -p "$T/bundle/rootfs"/{usr,lib,lib64,bin,probe,proc,dev,sys,tmp}
(cd "$T/bundle" && runc spec)
python3 - "$T/bundle/config.json" "$T/seccomp.json" "$HELPERS" <<'PY'
import json, sys
path, seccomp, helpers = sys.argv[1:]
c = json.load(open(path))
c["process"]["terminal"] = False
c["root"] = {"path": "rootfs", "readonly": True}
for d in ["usr", "lib", "lib64", "bin"]:
    c["mounts"].append({"destination": "/" + d, "type": "bind", "source": "/" + d, "options": ["rbind", "ro"]})
c["mounts"].append({"destination": "/probe", "type": "bind", "source": helpers, "options": ["rbind", "ro"]})
c["linux"]["seccomp"] = json.load(open(seccomp))
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
json.dump(c, open(path, "w"))
PY
n=0
in_runc() {
    n=$((n + 1))
    python3 - "$T/bundle/config.json" "$@" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/probe/sys_probe"] + sys.argv[2:]
json.dump(c, open(sys.argv[1], "w"))
PY
    (cd "$T/bundle" && timeout 30 runc run "vigil-oci-$$-$n" </dev/null)
}

expect "runc enforces errno" "ret=-1 errno=13" "$(in_runc call 110)"
expect "runc enforces the argument condition" "ret=-1 errno=97" "$(in_runc call 41 17 2)"
out=$(in_runc call 41 2 2)
[[ $out == *"errno=0" ]] || fail "socket(AF_INET) allowed under runc: $out"
echo "ok: socket(AF_INET) allowed under runc"
expect "runc: clone3 gets ENOSYS" "ret=-1 errno=38" "$(in_runc call 435)"
set +e
out=$(in_runc thread-call 101); rc=$?
set -e
expect "runc: kill-process kills the whole process" "" "$out"
[ "$rc" -ne 0 ] || fail "runc: killed container exits non-zero"
echo "ok: killed container exit status $rc"
set +e
out=$(in_runc x32 39); rc=$?
set -e
expect "runc: x32 syscall kills (only SCMP_ARCH_X86_64 listed)" "159:" "$rc:$out"

# The shipped default profile: ioctl is allowed except TIOCSTI and TIOCLINUX (deny wins in
# vigil). libseccomp lets an unconditional rule win, so the export must give the allow only to
# the other requests; the kernel reads the request as 32 bits, so setting the upper half must
# not reach TIOCSTI either. stdin is /dev/null: an allowed terminal ioctl fails with ENOTTY.
"$VIGIL" compile "$SRC/profiles/default.toml" --format oci -o "$T/default.json" 2>"$T/default.err"
if grep -q "overlaps" "$T/default.err"; then fail "the export still warns of an overlap: $(cat "$T/default.err")"; fi
python3 - "$T/bundle/config.json" "$T/default.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["seccomp"] = json.load(open(sys.argv[2]))
json.dump(c, open(sys.argv[1], "w"))
PY
expect "runc, default.toml: TIOCSTI refused" "ret=-1 errno=1" "$(in_runc call 16 0 0x5412 0)"
expect "runc, default.toml: TIOCSTI with the upper half set refused" "ret=-1 errno=1" "$(in_runc call 16 0 0x100005412 0)"
expect "runc, default.toml: TIOCLINUX refused" "ret=-1 errno=1" "$(in_runc call 16 0 0x541c 0)"
expect "runc, default.toml: TCGETS allowed (ENOTTY on /dev/null)" "ret=-1 errno=25" "$(in_runc call 16 0 0x5401 0)"
expect "runc, default.toml: TIOCGWINSZ (TIOCSTI+1) allowed" "ret=-1 errno=25" "$(in_runc call 16 0 0x5413 0)"
expect "runc, default.toml: request 0xffffffff allowed" "ret=-1 errno=25" "$(in_runc call 16 0 0xffffffff 0)"
