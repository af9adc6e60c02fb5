#!/bin/bash
# Requests/s of a JDK HttpServer (bench/java/BenchServer.java, fixed pool of 4) under wrk on
# 127.0.0.1: bare, enforced by a learned profile (vigil run -p), under fast learn, under
# --exact learn, and under `strace -f -c`. Modes are interleaved in every round so drift
# (thermal, other load) hits them all alike; the table reports each mode's median.
# Besides requests/s it reports the server side's CPU time per request, which stays meaningful
# when other work shares the machine (requests/s then mostly measures the neighbours).
#
# APP=tomcat runs the same modes on Tomcat 10 (Debian's tomcat10) serving the FHIR example
# (examples/fhir-server, a CATALINA_BASE built by its build.sh) at /metadata: a server with many
# more syscalls per request than the JDK HttpServer.
#
# usage: bench/learn_bench.sh [VIGIL]     (default: build/vigil)
# env:   APP (jdk|tomcat), ROUNDS (3), SECONDS_PER_RUN (10), WARMUP (5), THREADS (2),
#        CONNECTIONS (16), PORT (18123), MODES ("bare enforce learn-fast learn-exact strace"),
#        SESSION (own: bare and strace in a session of their own, like vigil's app)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VIGIL=$(readlink -f "${1:-$HERE/../build/vigil}")
ROUNDS=${ROUNDS:-3}
DURATION=${SECONDS_PER_RUN:-10}
WARMUP=${WARMUP:-5}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-18123}
APP=${APP:-jdk}
# SESSION=own: bare and strace also start the server in a session of its own, as vigil's app
# is, so that all modes have the same layout of scheduling groups under autogroup
# (bench/README.md, notification round trip).
OWN_SESSION=
[ "${SESSION:-}" = own ] && OWN_SESSION="setsid -w"
URL="http://127.0.0.1:$PORT/"
[ "$APP" = tomcat ] && URL="http://127.0.0.1:$PORT/metadata"
for tool in wrk strace java javac curl; do
    command -v $tool > /dev/null || { echo "learn_bench: $tool is missing (apt-get install -y $tool)" >&2; exit 1; }
done
[ -x "$VIGIL" ] || { echo "learn_bench: no vigil at $VIGIL" >&2; exit 1; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T=$(mktemp -d)
trap '[ -n "$pid" ] && { pkill -TERM -P $pid; kill -TERM $pid; wait $pid; } 2>/dev/null; rm -rf "$T"' EXIT
case $APP in
    jdk)
        javac -d "$T/cls" "$HERE/java/BenchServer.java"
        SERVER=(java -Dsun.net.httpserver.nodelay=true -cp "$T/cls" BenchServer "$PORT" 4) ;;
    tomcat)
        "$HERE/../examples/fhir-server/build.sh" "$T/fhir" "$PORT" > "$T/build.log" 2>&1 ||
            { echo "learn_bench: examples/fhir-server/build.sh failed: $(tail -3 "$T/build.log")" >&2; exit 1; }
        export FHIR_DATA_DIR=$T/fhir-data
        SERVER=("$HERE/../examples/fhir-server/run.sh" "$T/fhir/base") ;;
    *) echo "learn_bench: APP must be jdk or tomcat" >&2; exit 2 ;;
esac

pid=
start() {  # start MODE in the background; sets $pid
    if curl -fs -m 1 "$URL" > /dev/null 2>&1; then
        echo "learn_bench: something already answers on port $PORT" >&2
        exit 1
    fi
    case $1 in
        bare) exec $OWN_SESSION "${SERVER[@]}" ;;
        enforce) exec "$VIGIL" run -p "$T/learned.toml" -- "${SERVER[@]}" ;;
        learn-fast) exec "$VIGIL" learn -o "$T/fast.toml" --ready-tcp "$PORT" -- "${SERVER[@]}" ;;
        learn-exact) exec "$VIGIL" learn --exact -o "$T/exact.toml" --ready-tcp "$PORT" -- "${SERVER[@]}" ;;
        strace) exec $OWN_SESSION strace -f -c -o "$T/strace.txt" "${SERVER[@]}" ;;
    esac > "$T/$1.log" 2>&1 &
    pid=$!
    for _ in $(seq 600); do
        curl -fs -m 2 "$URL" > /dev/null 2>&1 && return 0
        kill -0 $pid 2>/dev/null || { echo "learn_bench: $1 exited: $(tail -3 "$T/$1.log")" >&2; exit 1; }
        sleep 0.1
    done
    echo "learn_bench: $1 never answered" >&2
    exit 1
}

stop() {
    # strace detaches on SIGTERM and leaves the JVM running: stop the JVM (its child) instead.
    if [ "$1" = strace ]; then pkill -TERM -P $pid; else kill -TERM $pid; fi
    wait $pid 2>/dev/null || true
    pid=
    for _ in $(seq 100); do curl -fs -m 1 "$URL" > /dev/null 2>&1 || return 0; sleep 0.1; done
    echo "learn_bench: the $1 server still answers after SIGTERM" >&2
    exit 1
}

rps() {  # wrk for N seconds, prints requests/s
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${1}s" "$URL" | awk '/^Requests\/sec:/ {print $2}'
}

ticks() {  # CPU time (user+system, all threads) of the given processes, in clock ticks
    local total=0 p
    for p in "$@"; do
        total=$((total + $(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$p/stat")))
    done
    echo $total
}

US_PER_TICK=$((1000000 / $(getconf CLK_TCK)))
measure() {  # wrk for N seconds; prints "REQ/S CPU-US/REQ" (server side: app + vigil/strace)
    local pids="$pid $(pgrep -P $pid | tr '\n' ' ')" before after out requests
    before=$(ticks $pids)
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${1}s" "$URL")
    after=$(ticks $pids)
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    echo "$(echo "$out" | awk '/^Requests\/sec:/ {print $2}') $(((after - before) * US_PER_TICK * 100 / requests))"
}

# The profile to enforce: learned (fast) from the same server under the same load.
start learn-fast
rps 3 > /dev/null
stop learn-fast
cp "$T/fast.toml" "$T/learned.toml"

read -r -a MODES <<< "${MODES:-bare enforce learn-fast learn-exact strace}"
declare -A results cpu
for round in $(seq "$ROUNDS"); do
    for mode in "${MODES[@]}"; do
        start $mode
        rps "$WARMUP" > /dev/null
        read -r r c <<< "$(measure "$DURATION")"
        stop $mode
        results[$mode]="${results[$mode]:-} $r"
        cpu[$mode]="${cpu[$mode]:-} $c"
        echo "round $round  $mode  $r req/s  $(echo "$c / 100" | bc -l | xargs printf '%.1f') cpu-us/req" >&2
    done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
bare=$(echo "${results[bare]}" | median)
bare_cpu=$(echo "${cpu[bare]}" | median)
printf '%-12s %10s %8s %14s %8s   %s\n' mode "req/s" "vs bare" "cpu-us/req" "vs bare" "req/s per round"
for mode in "${MODES[@]}"; do
    m=$(echo "${results[$mode]}" | median)
    c=$(echo "${cpu[$mode]}" | median)
    printf '%-12s %10.0f %7.1f%% %14.1f %7.1f%%  %s\n' "$mode" "$m" "$(echo "100 * $m / $bare" | bc -l)" \
        "$(echo "$c / 100" | bc -l)" "$(echo "100 * $c / $bare_cpu" | bc -l)" "${results[$mode]}"
done
printf 'exact learn / strace (req/s): %.2fx\n' \
    "$(echo "$(echo "${results[learn-exact]}" | median) / $(echo "${results[strace]}" | median)" | bc -l)"
echo "(APP=$APP: $URL; wrk -t$THREADS -c$CONNECTIONS on 127.0.0.1, ${DURATION}s after ${WARMUP}s warm-up, median of $ROUNDS rounds;"
echo " cpu-us/req: user+system CPU of the server's processes (JVM + vigil or strace) per request;"
echo " $(nproc) cores, load average before the run: $LOAD_BEFORE)"
