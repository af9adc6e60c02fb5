#!/bin/bash
# The privilege table of docker/README.md, row by row, in real containers: what vigil can do
# under Docker's default, with --cap-add SYS_PTRACE, with --cap-drop ALL, as Kubernetes'
# "restricted" runs a pod (non-root, no capabilities, no_new_privs, the runtime's default
# seccomp profile), and under podman's default. gVisor is not installed here: its row is marked
# "not testable here" in the docs.
#
# Each cell is measured inside the container by vigil itself (static, /vigil) and sys_probe:
#   caps      the bounding set (must be the runtime's documented default for the row)
#   filter    a static deny rule of a vigil profile is enforced
#   notify    vigil gets a seccomp listener and decides by phase
#   memory    a connect() decision that reads the app's sockaddr (the audit has the address)
#   getfd     the runtime's seccomp lets pidfd_getfd through (vigil's fd-based emulation)
#   landlock  the Landlock ABI the runtime lets vigil use (0: none)
#   user      [process] user switches the app to uid 65534
# and compared with the expected row. The script prints the measured table.
# Cold: about 3 min plus the static build (debootstrap); warm: about 1 min (45 s Docker, 15 s podman).
# labels: integration;container
# locks: podman
# timeout: 1200
set -u
: "${SRC:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$SRC/build}"
: "${HELPERS:=$BUILD/helpers}"
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
[ -x "$HELPERS/sys_probe" ] || { echo "FAIL: $HELPERS/sys_probe is not built" >&2; exit 1; }
# shellcheck source=lib/docker.bash
source "$SRC/test/integration/lib/docker.bash"
work=$(mktemp -d /tmp/privilege_table.XXXXXX)
trap 'rm -rf "$work"' EXIT
docker_start || exit 1
image_vigil vigil-test/vigil || exit 1
image_minbase vigil-test/minbase || exit 1

# The probe image: minbase (bash, coreutils) + /vigil + sys_probe (same glibc as bookworm).
ctx=$work/probe
mkdir -p "$ctx"
cp "$HELPERS/sys_probe" "$ctx/"
cat >"$ctx/deny.toml" <<'TOML'
[seccomp]
default = "allow"
[seccomp.deny]
getppid = "errno:EACCES"
TOML
cat >"$ctx/notify.toml" <<'TOML'
[seccomp]
default = "allow"
notify = ["getppid", "connect"]
[notify.getppid]
startup = "errno:EACCES"     # only a listener can give this answer
fallback = "allow"
[seccomp.deny]
io_uring_setup = "errno:ENOSYS"      # io_uring would bypass the notified calls
io_uring_enter = "errno:ENOSYS"
io_uring_register = "errno:ENOSYS"
[notify.connect]
allow = ["127.0.0.1/32:*"]
otherwise = "errno:ECONNREFUSED"
fallback = "allow"
TOML
cat >"$ctx/user.toml" <<'TOML'
[process]
user = "65534"
group = "65534"
TOML
cat >"$ctx/row.sh" <<'EOF'
#!/bin/bash
# Prints the cells of one row as KEY=VALUE lines.
P=/probe/sys_probe
echo "caps=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)"
out=$(/vigil run -p /probe/deny.toml -- $P call 110 2>/dev/null)
[ "$out" = "ret=-1 errno=13" ] && echo filter=yes || echo "filter=no ($out)"
out=$(/vigil run -p /probe/notify.toml -- $P call 110 2>/tmp/notify.err)
[ "$out" = "ret=-1 errno=13" ] && echo notify=yes || echo "notify=no ($out $(head -c 300 /tmp/notify.err))"
/vigil run -p /probe/notify.toml -- bash -c 'exec 3<>/dev/tcp/10.9.8.7/9' >/dev/null 2>/tmp/audit
grep '"syscall":"connect"' /tmp/audit | grep -q '10.9.8.7' && echo memory=yes || echo "memory=no"
out=$($P call 438 -1 0 0)
case "$out" in *errno=9) echo getfd=yes ;; *) echo "getfd=no" ;; esac
out=$($P call 444 0 0 1)
case "$out" in ret=[0-9]*) echo "landlock=${out#ret=}" | sed 's/ errno=0//' ;; *) echo landlock=0 ;; esac
if [ "$(id -u)" = 0 ]; then
    out=$(/vigil run -p /probe/user.toml -- id -u 2>/dev/null); rc=$?
    [ "$rc" = 0 ] && [ "$out" = 65534 ] && echo user=yes || echo "user=no"
else
    echo "user=n/a"
fi
EOF
chmod 755 "$ctx/row.sh" "$ctx/sys_probe"
cat >"$ctx/Dockerfile" <<'EOF'
FROM vigil-test/minbase
COPY --from=vigil-test/vigil /vigil /vigil
COPY . /probe/
EOF
docker build -q --pull=false --network=none -t vigil-test/probe "$ctx" >"$work/build.log" 2>&1 \
    || { tail -10 "$work/build.log" >&2; fail "docker build of the probe image"; exit 1; }

# Capability sets as CapBnd masks (bit = capability number).
mask() { local m=0 c; for c in "$@"; do m=$((m | (1 << c))); done; printf '%016x' "$m"; }
# CHOWN 0 DAC_OVERRIDE 1 FOWNER 3 FSETID 4 KILL 5 SETGID 6 SETUID 7 SETPCAP 8
# NET_BIND_SERVICE 10 NET_RAW 13 SYS_CHROOT 18 MKNOD 27 AUDIT_WRITE 29 SETFCAP 31 SYS_PTRACE 19
docker_caps=$(mask 0 1 3 4 5 6 7 8 10 13 18 27 29 31)
podman_caps=$(mask 0 1 3 4 5 6 7 8 10 18 31)
ptrace_caps=$(mask 0 1 3 4 5 6 7 8 10 13 18 19 27 29 31)
no_caps=0000000000000000

# row NAME EXPECTED RUNNER...: EXPECTED is "caps filter notify memory getfd landlock user".
declare -a table
row() {
    local name=$1 expected=$2; shift 2
    local out
    out=$("$@" vigil-test/probe /probe/row.sh 2>"$work/row.err")
    local got
    got=$(echo "$out" | awk -F= '{print $2}' | awk '{print $1}' | paste -sd' ')
    table+=("| $name | $(echo "$got" | tr ' ' '|' | sed 's/|/ | /g') |")
    if [ "$got" != "$expected" ]; then
        fail "$name: expected '$expected', got '$got'"
        echo "$out" | sed 's/^/    /' >&2
        tail -5 "$work/row.err" >&2
    else
        echo "ok: $name: $got"
    fi
}

# Landlock ABI of this kernel: what a runtime that does not filter the Landlock calls passes on.
abi=$("$HELPERS/sys_probe" call 444 0 0 1 | sed -E 's/^ret=([0-9]+).*/\1/')
d="docker run --rm --network=none"
row "Docker default (root)" "$docker_caps yes yes yes no $abi yes" $d
# (a non-root user keeps the bounding set, with nothing effective or permitted)
row "Docker default, --user 65532" "$docker_caps yes yes yes no $abi n/a" $d --user 65532:65532
row "Docker --cap-add SYS_PTRACE" "$ptrace_caps yes yes yes yes $abi yes" $d --cap-add SYS_PTRACE
row "Docker --cap-drop ALL (root)" "$no_caps yes yes yes no $abi no" $d --cap-drop ALL
row "Kubernetes restricted (non-root, drop ALL, no_new_privs, runtime default seccomp)" \
    "$no_caps yes yes yes no $abi n/a" $d --user 65532:65532 --cap-drop ALL --security-opt no-new-privileges

# podman's default: the same probe image, moved over as an archive (podman has its own store).
if command -v podman >/dev/null && command -v runc >/dev/null; then
    docker save vigil-test/probe -o "$work/probe.tar" && podman load -q -i "$work/probe.tar" >/dev/null 2>&1 \
        || fail "podman load of the probe image"
    # podman's seccomp profile (containers-common) lets pidfd_getfd through without SYS_PTRACE.
    row "podman default (root, runc)" "$podman_caps yes yes yes yes $abi yes" \
        podman run --rm --network=none --runtime runc --ulimit nofile=4096:4096 --ulimit nproc=4096:4096
    podman rmi -f localhost/vigil-test/probe:latest >/dev/null 2>&1 || podman rmi -f vigil-test/probe >/dev/null 2>&1
else
    fail "podman or runc is not installed: the podman row cannot be checked (bash .ci/install-deps)"
fi

echo
echo "| runtime | CapBnd | filter | notify | memory | pidfd_getfd | Landlock ABI | [process] user |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${table[@]}"
echo "privilege_table: $FAILS failure(s)"
[ "$FAILS" -eq 0 ]
