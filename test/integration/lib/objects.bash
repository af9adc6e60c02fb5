# Shared by the tests that attack objects (paths, ports, scopes): checks that count failures,
# and loopback listeners. Sourced after T (the test's directory) is set; not a test itself.
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok   $*"; }
expect() {  # expect DESCRIPTION FILE REGEX
    if grep -Eq -- "$3" "$2"; then pass "$1"; else fail "$1 (no /$3/ in $2)"; sed 's/^/    /' "$2"; fi
}
# server NAME: a loopback TCP listener that accepts and closes; its port is in $T/port.NAME.
server() {
    python3 - "$T/port.$1" > /dev/null 2>&1 <<'PY' &
import socket, sys, os
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept(); c.close()
PY
    PIDS+=($!)
    for _ in $(seq 50); do [ -s "$T/port.$1" ] && break; sleep 0.1; done
}
# A loopback TCP port nothing listens on (free when asked).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
finish() { echo "$FAILS failed"; [ "$FAILS" -eq 0 ]; }
