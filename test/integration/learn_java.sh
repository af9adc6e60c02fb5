#!/bin/bash
# Learning a multi-threaded Java program: the JDK HttpServer with a thread pool is learned in
# fast mode while it serves requests, stopped with SIGTERM, and the learned profile then runs
# the same server, which still answers.
# labels: integration;learn;java
# timeout: 180
set -euo pipefail
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
javac -d "$T/cls" "$SRC/bench/java/BenchServer.java"
PORT=$((20000 + RANDOM % 20000))
SERVER=(java -Dsun.net.httpserver.nodelay=true -cp "$T/cls" BenchServer "$PORT" 4)

wait_up() {  # wait until the server answers, or fail
    for _ in $(seq 300); do
        curl -fs -m 2 "http://127.0.0.1:$PORT/" > "$T/reply" 2>/dev/null && return 0
        kill -0 "$1" 2>/dev/null || fail "$2 exited early: $(tail -5 "$T/$2.err")"
        sleep 0.1
    done
    fail "$2: server never answered"
}

"$VIGIL" learn -o "$T/java.toml" --ready-tcp "$PORT" -- "${SERVER[@]}" > "$T/learn.out" 2> "$T/learn.err" &
pid=$!
wait_up $pid learn
for _ in $(seq 20); do curl -fs -m 2 "http://127.0.0.1:$PORT/" > /dev/null; done
kill -TERM $pid
rc=0; wait $pid || rc=$?
[ $rc = 143 ] || [ $rc = 0 ] || fail "learn exited $rc: $(tail -5 "$T/learn.err")"
grep -q "does not load" "$T/learn.err" && fail "$(grep 'does not load' "$T/learn.err")"
"$VIGIL" check "$T/java.toml" > /dev/null || fail "the learned Java profile does not check"
grep -q '^reached_ready = true$' "$T/java.toml" || fail "the server never became ready while learning"
# Many threads took part, under their Java names (digits folded).
threads=$(sed -n 's/.*threads = \[\([^]]*\)\].*/\1/p' "$T/java.toml" | tr ',' '\n' | sed 's/^ *//' | sort -u)
[ "$(echo "$threads" | wc -l)" -ge 4 ] || fail "too few thread names: $threads"
echo "$threads" | grep -q '"pool-N-thread-N"' || fail "the pool's threads are missing: $threads"
grep -q '^socket = .*"AF_INET' "$T/java.toml" || fail "socket families not recorded"
grep -q '^\[notify.listen\]' "$T/java.toml" || fail "listen (startup only) is not phase-dependent"

"$VIGIL" run -p "$T/java.toml" -- "${SERVER[@]}" > "$T/run.out" 2> "$T/run.err" &
pid=$!
wait_up $pid run
grep -q '"resourceType":"Patient"' "$T/reply" || fail "unexpected reply under the learned profile"
for _ in $(seq 20); do curl -fs -m 2 "http://127.0.0.1:$PORT/" > /dev/null || fail "request failed under the learned profile"; done
kill -TERM $pid
rc=0; wait $pid || rc=$?
[ $rc = 143 ] || [ $rc = 0 ] || fail "run exited $rc"
echo "ok"
