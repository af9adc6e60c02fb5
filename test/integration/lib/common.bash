# Shared helpers for vigil's integration tests (sourced, not a test itself).
set -u
: "${VIGIL:?VIGIL must point at the vigil binary}" "${HELPERS:?HELPERS must point at the helper dir}"
PROBE="$HELPERS/init_probe"
# The test's scratch directory; TEST_TMP_PARENT puts it elsewhere than /tmp (learn generalises
# anything under /tmp to /tmp as a whole).
TMP=$(mktemp -d "${TEST_TMP_PARENT:-/tmp}/vigil-test.XXXXXX")
# Background helpers (servers) the test started: add their pids, they are ended at exit.
PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
FAILS=0
PASSES=0

# pass [WHAT]: counts (and names WHAT); fail WHAT: says why on stderr.
pass() { PASSES=$((PASSES + 1)); [ $# -eq 0 ] || echo "ok   $*"; }
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
# expect_eq WHAT EXPECTED ACTUAL
expect_eq() { if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi; }
# expect_grep WHAT REGEX FILE: some line of FILE matches the extended REGEX.
expect_grep() {
    if grep -qE -- "$2" "$3"; then pass "$1"; else fail "$1: no line matching '$2' in $3:"; sed 's/^/    /' "$3" >&2; fi
}

# server NAME [PORT]: a loopback TCP listener that accepts and closes; its port (PORT, default
# any free one) is in $TMP/port.NAME.
server() {
    python3 - "$TMP/port.$1" "${2:-0}" > /dev/null 2>&1 <<'PY' &
import socket, sys, os
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[2]))); s.listen(64)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept(); c.close()
PY
    PIDS+=($!)
    local _
    for _ in $(seq 50); do [ -s "$TMP/port.$1" ] && return 0; sleep 0.1; done
    fail "server $1: no port after 5 s"
}
# unix_server PATH: a unix stream listener at PATH (mode 0777) that accepts and closes.
unix_server() {
    python3 - "$1" > /dev/null 2>&1 <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen(64)
while True:
    c, _ = s.accept(); c.close()
PY
    PIDS+=($!)
    local _
    for _ in $(seq 50); do [ -S "$1" ] && return 0; sleep 0.1; done
    fail "unix_server $1: no socket after 5 s"
}
# A loopback TCP port nothing listens on (free when asked).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# The same below the kernel's ephemeral range, like a service's fixed port (learn treats a
# loopback port inside the range as assigned at run time).
fixed_free_port() {
    python3 - <<'PY'
import random, socket
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    port = random.randrange(max(1024, lo - 12000), lo)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); print(port); break
    except OSError:
        pass
    finally:
        s.close()
PY
}

# The two ways vigil runs: as PID 1 of a fresh PID namespace, and as a plain child (subreaper).
MODES="pid1 child"
# in_mode MODE CMD...: runs CMD in that mode (CMD is vigil's command line, vigil itself included).
in_mode() {
    local mode=$1; shift
    if [ "$mode" = pid1 ]; then unshare --pid --fork --mount-proc --kill-child "$@"; else "$@"; fi
}

# vigil_pid_of LAUNCHER_PID MODE: the pid (in our namespace) of the vigil process that
# LAUNCHER (a background job: a subshell, maybe unshare, then vigil) started.
vigil_pid_of() {
    local launcher=$1 pid
    for _ in $(seq 300); do
        for pid in $launcher $(pgrep -P "$launcher") $(pgrep -P "$(pgrep -P "$launcher" | head -n1)" 2>/dev/null); do
            if [ "$(cat /proc/$pid/comm 2>/dev/null)" = vigil ]; then echo "$pid"; return; fi
        done
        sleep 0.01
    done
}

# wait_for_line FILE REGEX [TENTHS]: waits until FILE has a matching line.
wait_for_line() {
    local n=${3:-100}
    for _ in $(seq "$n"); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}

finish() {
    echo "$PASSES passed, $FAILS failed"
    [ "$FAILS" -eq 0 ]
}
