#!/bin/bash
# `vigil learn` writes a [landlock] section from what the app did: its config dir read-only,
# its data dir read-write, the programs it ran executable, the ports it bound and connected to.
# The learned profile passes `vigil check`, the same program runs under it unchanged, and the
# same syscalls aimed at other objects are refused by the kernel: the same openat on a secret
# file, the same write into the config dir, the same connect to another port, the same bind of
# another port.
# labels: integration;landlock;learn
# timeout: 60
set -uo pipefail
: "${VIGIL:?}" "${HELPERS:?}" "${BUILD:?}"
# Not under /tmp: learn generalises anything there to /tmp as a whole.
T=$(mktemp -d "$BUILD/landlock-learn-it.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok   $*"; }
expect() {
    if grep -Eq -- "$3" "$2"; then pass "$1"; else fail "$1 (no /$3/ in $2)"; sed 's/^/    /' "$2"; fi
}
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
server a
server f
ALLOWED=$(cat "$T/port.a")
FORBIDDEN=$(cat "$T/port.f")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
BIND=$(free_port)
OTHER_BIND=$(free_port)

mkdir -p "$T/app/conf" "$T/app/data" "$T/app/bin" "$T/elsewhere"
echo "setting=1" > "$T/app/conf/app.conf"
echo "TOP SECRET" > "$T/elsewhere/secret"
cp "$HELPERS/landlock_probe" "$T/app/bin/probe"
cd "$T/app"
WORK=(read:conf/app.conf create:data/out write:"$T/app/data/out" connect:"$ALLOWED" bind:"$BIND" exec:"$T/app/bin/probe")

"$VIGIL" learn -o "$T/learned.toml" -- "$T/app/bin/probe" "${WORK[@]}" > "$T/learn.out" 2> "$T/learn.err" \
    || fail "learn exited $?: $(cat "$T/learn.err")"
grep -q "does not load" "$T/learn.err" && fail "learned profile does not load: $(cat "$T/learn.err")"
"$VIGIL" check "$T/learned.toml" > /dev/null 2> "$T/check.err" && pass "vigil check accepts it" \
    || fail "vigil check rejects the learned profile: $(cat "$T/check.err")"
sed -n '/^\[landlock\]/,/^scope/p' "$T/learned.toml" > "$T/section"
expect "config dir read-only" "$T/section" "^    \"$T/app/conf\",  # read by"
expect "data dir read-write" "$T/section" "^    \"$T/app/data\",  # written by"
expect "the executed program" "$T/section" "^    \"$T/app/bin/probe\","
expect "bound port" "$T/section" "^bind_tcp = \[$BIND\]"
expect "connected port" "$T/section" "^connect_tcp = \[$ALLOWED\]"
expect "signal scope" "$T/section" '^scope = \["signal"'
if sed -n '/^write = \[/,/^\]/p' "$T/section" | grep -q '^    "/",'; then fail "'/' writable"; else pass "'/' never writable"; fi

rm -f "$T/app/data/out"
"$VIGIL" run -p "$T/learned.toml" -- "$T/app/bin/probe" "${WORK[@]}" > "$T/run.out" 2> "$T/run.err" \
    || fail "rerun exited $?: $(cat "$T/run.err")"
diff <(grep = "$T/learn.out") <(grep = "$T/run.out") > /dev/null && pass "the app runs unchanged under it" \
    || fail "rerun differs: $(diff <(grep = "$T/learn.out") <(grep = "$T/run.out"))"

"$VIGIL" run -p "$T/learned.toml" -- "$T/app/bin/probe" read:"$T/elsewhere/secret" write:conf/app.conf \
    connect:"$FORBIDDEN" bind:"$OTHER_BIND" > "$T/variant.out" 2> "$T/variant.err"
expect "same openat, other file: refused" "$T/variant.out" "^read $T/elsewhere/secret=EACCES$"
expect "same open for writing, config dir: refused" "$T/variant.out" "^write conf/app.conf=EACCES$"
expect "same connect, other port: refused" "$T/variant.out" "^connect $FORBIDDEN=EACCES$"
expect "same bind, other port: refused" "$T/variant.out" "^bind $OTHER_BIND=EACCES$"

echo "$FAILS failed"
[ "$FAILS" -eq 0 ]
