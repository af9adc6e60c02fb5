#!/bin/bash
# Peak RSS (VmHWM) of vigil itself while it supervises a JVM server under load: vigil run -p
# PROFILE -- java BenchServer (bench/java), 3 s of wrk, then VmHWM/VmRSS of the vigil process.
# usage: bench/rss_jvm.sh VIGIL [PROFILE]   (default profiles/jvm.toml; env PORT, default 18670)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VIGIL=$(readlink -f "${1:?usage: rss_jvm.sh VIGIL [PROFILE]}")
PROFILE=${2:-$HERE/../profiles/jvm.toml}
PORT=${PORT:-18670}
T=$(mktemp -d)
vp=
trap '[ -n "$vp" ] && kill -TERM "$vp" 2>/dev/null; rm -rf "$T"' EXIT
javac -d "$T/cls" "$HERE/java/BenchServer.java"
VIGIL_LOG_LEVEL=warn "$VIGIL" run -p "$PROFILE" -- java -Dsun.net.httpserver.nodelay=true -cp "$T/cls" BenchServer "$PORT" 4 > "$T/log" 2>&1 &
vp=$!
for _ in $(seq 120); do curl -fs -m 1 "http://127.0.0.1:$PORT/" > /dev/null 2>&1 && break; sleep 0.5; done
curl -fs -m 2 "http://127.0.0.1:$PORT/" > /dev/null || { echo "rss_jvm: the server never answered: $(tail -3 "$T/log")" >&2; exit 1; }
wrk -t2 -c8 -d3s "http://127.0.0.1:$PORT/" | awk '/^Requests\/sec:/ {print "requests/s:", $2}'
echo "$(basename "$VIGIL") $(stat -c %s "$VIGIL") bytes: $(grep -E 'VmHWM|VmRSS' /proc/$vp/status | tr -s ' \t' ' ' | tr '\n' ' ')"
