#!/bin/bash
# Fast learn on runtimes other than the JVM, side by side in one run, modes interleaved in
# every round, medians of ROUNDS rounds:
#   python: bench/python/batch.py (read 300 files, normalise, write) under /usr/bin/python3,
#           wall time per run (lower is better);
#   node:   bench/node/server.js (@asymmetrik/node-fhir-server-core, a Patient read service)
#           under wrk on 127.0.0.1, requests/s (higher is better).
# Modes: bare, learn-fast (vigil learn, the baseline chosen from the executable), learn-exact
# (vigil learn --exact), strace (strace -f -c).
#
# usage: bench/runtime_bench.sh VIGIL python|node
# env:   ROUNDS (5), SESSION (own: see below), NODE_MODULES (dir holding @asymmetrik/node-fhir-server-core: npm install
#        @asymmetrik/node-fhir-server-core there), PORT (18640), SECONDS_PER_RUN (8), WARMUP (3)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VIGIL=$(readlink -f "${1:?usage: runtime_bench.sh VIGIL python|node}")
APP=${2:?usage: runtime_bench.sh VIGIL python|node}
ROUNDS=${ROUNDS:-5}
PORT=${PORT:-18640}
DURATION=${SECONDS_PER_RUN:-8}
WARMUP=${WARMUP:-3}
MODES=(bare learn-fast learn-exact strace)
T=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -TERM $pid 2>/dev/null; rm -rf "$T"' EXIT
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# SESSION=own: bare and strace also run the app in a session of its own, as vigil's app is
# (the same layout of scheduling groups under autogroup; bench/README.md).
OWN_SESSION=
[ "${SESSION:-}" = own ] && OWN_SESSION="setsid -w"
prefix() {  # MODE -> the command prefix
    case $1 in
        bare) echo "$OWN_SESSION" ;;
        learn-fast) echo "$VIGIL learn -o $T/fast.toml --" ;;
        learn-exact) echo "$VIGIL learn --exact -o $T/exact.toml --" ;;
        strace) echo "$OWN_SESSION strace -f -c -o $T/strace.txt" ;;
    esac
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
minmax() { tr ' ' '\n' | grep . | sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%s-%s", lo, hi}'; }
declare -A res=()

case $APP in
python)
    PY=/usr/bin/python3
    "$PY" "$HERE/python/batch.py" "$T/data" 300 > /dev/null  # inputs, once
    for round in $(seq "$ROUNDS"); do
        for mode in "${MODES[@]}"; do
            # shellcheck disable=SC2046
            t0=$(date +%s%N)
            VIGIL_LOG_LEVEL=warn $(prefix $mode) "$PY" "$HERE/python/batch.py" "$T/data" 300 > "$T/$mode.out" 2>&1 ||
                { echo "runtime_bench: $mode failed: $(tail -3 "$T/$mode.out")" >&2; exit 1; }
            t1=$(date +%s%N)
            res[$mode]="${res[$mode]:-} $(( (t1 - t0) / 1000 ))"
        done
    done
    unit="wall ms (lower is better)"
    scale=1000
    ;;
node)
    MODULES=${NODE_MODULES:?set NODE_MODULES to a node_modules holding @asymmetrik/node-fhir-server-core}
    URL="http://127.0.0.1:$PORT/4_0_0/Patient/p7"
    for round in $(seq "$ROUNDS"); do
        for mode in "${MODES[@]}"; do
            # shellcheck disable=SC2046
            NODE_PATH=$MODULES VIGIL_LOG_LEVEL=warn $(prefix $mode) node "$HERE/node/server.js" "$PORT" > "$T/$mode.out" 2>&1 &
            pid=$!
            for _ in $(seq 300); do curl -fs -m 1 "$URL" > /dev/null 2>&1 && break; sleep 0.1; done
            curl -fs -m 2 "$URL" > /dev/null || { echo "runtime_bench: $mode never answered: $(tail -3 "$T/$mode.out")" >&2; exit 1; }
            wrk -t2 -c16 -d"${WARMUP}s" "$URL" > /dev/null
            r=$(wrk -t2 -c16 -d"${DURATION}s" "$URL" | awk '/^Requests\/sec:/ {print $2}')
            if [ "$mode" = strace ]; then pkill -TERM -P $pid; else kill -TERM $pid; fi
            wait $pid 2>/dev/null || true
            pid=
            res[$mode]="${res[$mode]:-} $r"
            sleep 0.5
        done
    done
    unit="requests/s (higher is better)"
    scale=1
    ;;
*) echo "runtime_bench: APP must be python or node" >&2; exit 2 ;;
esac

bare=$(echo "${res[bare]}" | median)
echo "| $APP: mode | median $unit | spread | vs bare |"
echo "|---|---|---|---|"
for mode in "${MODES[@]}"; do
    m=$(echo "${res[$mode]}" | median)
    printf '| %s | %.1f | %s | %.2fx |\n' "$mode" "$(echo "$m / $scale" | bc -l)" \
        "$(echo "${res[$mode]}" | tr ' ' '\n' | grep . | awk -v s=$scale '{printf "%.1f ", $1/s}' | minmax)" \
        "$(echo "$m / $bare" | bc -l)"
done
echo "# rounds: $ROUNDS; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -f "$T/fast.toml" ] && echo "# fast learn: $(grep -c . "$T/fast.toml") profile lines; $(grep -o 'assumed (baseline[^)]*)' "$T/fast.toml" | head -1)"
