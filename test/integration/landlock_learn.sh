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
source "$(dirname "$0")/lib/objects.bash"
server a
server f
ALLOWED=$(cat "$T/port.a")
FORBIDDEN=$(cat "$T/port.f")
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

finish
