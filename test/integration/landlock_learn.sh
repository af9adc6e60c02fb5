#!/bin/bash
# `vigil learn` writes a [landlock] section from what the app did: its config dir read-only,
# its data dir read-write, the programs it ran executable, the ports it bound and connected to.
# The learned profile passes `vigil check`, the same program runs under it unchanged, and the
# same syscalls aimed at other objects are refused by the kernel: the same openat on a secret
# file, the same write into the config dir, the same connect to another port, the same bind of
# another port.
# labels: integration;landlock;learn
# timeout: 60
set -o pipefail
: "${BUILD:?}"
# Not under /tmp: learn generalises anything there to /tmp as a whole.
TEST_TMP_PARENT=$BUILD
source "$(dirname "$0")/lib/common.bash"
T=$TMP
# Fixed ports, as a database's would be (a port in the ephemeral range is learned as the range).
server a "$(fixed_free_port)"
server f "$(fixed_free_port)"
ALLOWED=$(cat "$T/port.a")
FORBIDDEN=$(cat "$T/port.f")
BIND=$(fixed_free_port)
OTHER_BIND=$(fixed_free_port)

mkdir -p "$T/app/conf" "$T/app/data" "$T/app/bin" "$T/elsewhere"
echo "setting=1" > "$T/app/conf/app.conf"
echo "TOP SECRET" > "$T/elsewhere/secret"
cp "$HELPERS/landlock_probe" "$T/app/bin/probe"
cd "$T/app"
unix_server "$T/peer.sock"
unix_server "$T/other.sock"
WORK=(read:conf/app.conf create:data/out write:"$T/app/data/out" connect:"$ALLOWED" bind:"$BIND" exec:"$T/app/bin/probe"
    unix:"$T/peer.sock")

"$VIGIL" learn -o "$T/learned.toml" -- "$T/app/bin/probe" "${WORK[@]}" > "$T/learn.out" 2> "$T/learn.err" \
    || fail "learn exited $?: $(cat "$T/learn.err")"
grep -q "does not load" "$T/learn.err" && fail "learned profile does not load: $(cat "$T/learn.err")"
"$VIGIL" check "$T/learned.toml" > /dev/null 2> "$T/check.err" && pass "vigil check accepts it" \
    || fail "vigil check rejects the learned profile: $(cat "$T/check.err")"
sed -n '/^\[landlock\]/,/^scope/p' "$T/learned.toml" > "$T/section"
expect_grep "config dir read-only" "^    \"$T/app/conf\",  # read by" "$T/section"
expect_grep "data dir read-write" "^    \"$T/app/data\",  # written by" "$T/section"
expect_grep "the executed program" "^    \"$T/app/bin/probe\"," "$T/section"
expect_grep "bound port" "^bind_tcp = \[$BIND\]" "$T/section"
expect_grep "connected port" "^connect_tcp = \[$ALLOWED\]" "$T/section"
expect_grep "signal scope" '^scope = \["signal"' "$T/section"
if sed -n '/^write = \[/,/^\]/p' "$T/section" | grep -q '^    "/",'; then fail "'/' writable"; else pass "'/' never writable"; fi

rm -f "$T/app/data/out"
"$VIGIL" run -p "$T/learned.toml" -- "$T/app/bin/probe" "${WORK[@]}" > "$T/run.out" 2> "$T/run.err" \
    || fail "rerun exited $?: $(cat "$T/run.err")"
diff <(grep = "$T/learn.out") <(grep = "$T/run.out") > /dev/null && pass "the app runs unchanged under it" \
    || fail "rerun differs: $(diff <(grep = "$T/learn.out") <(grep = "$T/run.out"))"

expect_grep "the peers seen are [notify.connect]'s allow-list" "^    \"unix:$T/peer.sock\",  # seen" "$T/learned.toml"
expect_grep "loopback generalised, the port kept" "^    \"127.0.0.0/8:$ALLOWED\",  # seen: 127.0.0.1:$ALLOWED" "$T/learned.toml"
expect_grep "one socket rule per family/type seen, by name" 'when = \["arg0 == AF_UNIX", "arg1 & 0xf == SOCK_STREAM"\]' \
    "$T/learned.toml"
if grep -Eq 'arg0 == [0-9]' "$T/learned.toml"; then fail "a numeric family in the learned profile"; else pass "no numeric constants"; fi

"$VIGIL" run -p "$T/learned.toml" -- "$T/app/bin/probe" read:"$T/elsewhere/secret" write:conf/app.conf \
    connect:"$FORBIDDEN" bind:"$OTHER_BIND" unix:"$T/other.sock" > "$T/variant.out" 2> "$T/variant.err"
expect_grep "same openat, other file: refused" "^read $T/elsewhere/secret=EACCES$" "$T/variant.out"
expect_grep "same open for writing, config dir: refused" "^write conf/app.conf=EACCES$" "$T/variant.out"
expect_grep "same connect, other port: refused (by notify.connect, and by the kernel)" "^connect $FORBIDDEN=(ECONNREFUSED|EACCES)$" "$T/variant.out"
expect_grep "same socket and connect, other unix peer: refused" "^unix $T/other.sock=ECONNREFUSED$" "$T/variant.out"
expect_grep "  (by vigil, the peer listens)" "destination unix:$T/other.sock matches no entry of notify.connect.allow" "$T/variant.err"
expect_grep "same bind, other port: refused" "^bind $OTHER_BIND=EACCES$" "$T/variant.out"

finish
