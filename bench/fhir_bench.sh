#!/bin/bash
# The FHIR example server (examples/fhir-server, Tomcat 10) under the same FHIR read workload
# (wrk + bench/fhir_wrk.lua on 127.0.0.1), side by side in one run:
#   bare            examples/fhir-server/run.sh
#   vigil           vigil run -- run.sh                       (init duties only)
#   enforce         vigil run -p profiles/fhir-server.toml -- run.sh   (+ the local layer)
#   enforce-nolandlock  the same profiles with their [landlock] tables removed (not in MODES by
#                   default; MODES="enforce enforce-nolandlock enforce ..." for Landlock's cost)
#   learn-fast      vigil learn -o X.toml -- run.sh
#   learn-exact     vigil learn --exact -o X.toml -- run.sh
#   strace          strace -f -c -- run.sh
# Reports requests/s, p50/p99 latency, the server's CPU time per request, and the ratios to
# bare. Then the two pictures: syscall counts of the server under load (from the strace run)
# and total time of N = 1..64 concurrent FHIR clients (bench/fhir_clients.py), bare vs enforce.
#
#   bench/fhir_bench.sh [VIGIL] [OUT_DIR]      (default build/vigil, bench/results)
#   env: DURATION (10 s per wrk run), WARMUP (3 s), THREADS (2), CONNECTIONS (16), MODES,
#        APP (fhir-server, or hapi: the HAPI FHIR JPA server of examples/hapi-fhir, built into
#        build/hapi-fhir, profile profiles/hapi-fhir.toml, FHIR base /fhir), REPEATS (1: each
#        mode once; R > 1 runs the modes interleaved R times and reports the medians),
#        CLIENTS ("1 2 4 8 16 32 64"; "none" skips the clients part), START_TIMEOUT (120 s;
#        HAPI: 900 s), PORT (the server's port; default a free one the kernel picks),
#        FHIR_WRK_METADATA (1; HAPI: 0, see bench/fhir_wrk.lua)
# Besides the server's CPU per request (vigil and every descendant), the table gives vigil's own
# CPU per request and the run-time decisions (notifications) per request during the measured
# window, from the audit trail: a notified syscall on the hot path shows up there.
# Bounded: every server start waits at most 120 s, every wrk run lasts DURATION seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
vigil=$(readlink -f "${1:-$root/build/vigil}")
out=$(mkdir -p "${2:-$here/results}" && cd "${2:-$here/results}" && pwd)
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
MODES=${MODES:-bare vigil enforce learn-fast learn-exact strace}
APP=${APP:-fhir-server}
REPEATS=${REPEATS:-1}
CLIENTS=${CLIENTS:-1 2 4 8 16 32 64}
for tool in wrk strace curl python3 java; do
    command -v "$tool" >/dev/null || { echo "fhir_bench: $tool is missing (bash .ci/install-deps)" >&2; exit 1; }
done
[ -x "$vigil" ] || { echo "fhir_bench: no vigil at $vigil" >&2; exit 1; }
export VIGIL_LOG_LEVEL=warn

work=$(mktemp -d /tmp/fhir_bench.XXXXXX)
pid=
cleanup() {
    if [ -n "$pid" ]; then stop_server; fi
    rm -rf "$work"
}
trap cleanup EXIT
port=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
case $APP in
    fhir-server)
        url=http://127.0.0.1:$port
        "$root/examples/fhir-server/build.sh" "$work/out" "$port" >/dev/null
        server=("$root/examples/fhir-server/run.sh" "$work/out/base" "$port")
        # fhir-server.toml's [landlock] names the image's paths: a layer adds this checkout's and the port.
        "$root/examples/fhir-server/local-profile.sh" "$work/profile.toml" "$port"
        profile=$work/profile.toml
        shipped=fhir-server.toml
        ready='Server startup in'
        START_TIMEOUT=${START_TIMEOUT:-120} ;;
    hapi)
        url=http://127.0.0.1:$port/fhir
        hapi_out=${HAPI_OUT:-$root/build/hapi-fhir}
        "$root/examples/hapi-fhir/build.sh" "$hapi_out" >/dev/null
        server=("$root/examples/hapi-fhir/run.sh" "$hapi_out" "$port")
        # hapi-fhir.toml's [landlock] names the image's paths: a layer adds this checkout's and the port.
        "$root/examples/hapi-fhir/local-profile.sh" "$work/profile.toml" "$port" "$hapi_out"
        profile=$work/profile.toml
        shipped=hapi-fhir.toml
        # The 1.5 MB CapabilityStatement would dominate the CPU of the read mix (bench/fhir_wrk.lua).
        export FHIR_WRK_METADATA=${FHIR_WRK_METADATA:-0}
        ready='Started [A-Za-z]+ in [0-9.]+ seconds'
        START_TIMEOUT=${START_TIMEOUT:-900} ;;
    *) echo "fhir_bench: APP is fhir-server or hapi, not '$APP'" >&2; exit 2 ;;
esac
# The same profiles without [landlock], to measure what the kernel's path and port checks cost.
mkdir -p "$work/nolandlock"
for f in "$root"/profiles/*.toml; do
    awk '/^\[/ { skip = ($0 ~ /^\[landlock\]/) } !skip' "$f" >"$work/nolandlock/$(basename "$f")"
done

# start_server MODE: starts the server in the background (pid: the launcher), waits for /metadata.
start_server() {
    local mode=$1
    rm -rf "$work/data" && mkdir -p "$work/data"
    export FHIR_DATA_DIR=$work/data HAPI_DATA_DIR=$work/data
    case $mode in
        bare) exec "${server[@]}" ;;
        vigil) exec "$vigil" run -- "${server[@]}" ;;
        enforce) exec "$vigil" run -p "$profile" --audit "$work/audit.jsonl" -- "${server[@]}" ;;
        enforce-nolandlock) exec "$vigil" run -p "$work/nolandlock/$shipped" --audit "$work/audit-nl.jsonl" -- "${server[@]}" ;;
        learn-fast) exec "$vigil" learn -o "$work/fast.toml" --ready-output "$ready" -- "${server[@]}" ;;
        learn-exact) exec "$vigil" learn --exact -o "$work/exact.toml" --report "$work/exact-report" \
            --ready-output "$ready" -- "${server[@]}" ;;
        strace) exec strace -f -c -o "$work/strace.txt" -- "${server[@]}" ;;
    esac >"$work/$mode.log" 2>&1 &
    pid=$!
    local started=$SECONDS
    until curl -sf -o /dev/null "$url/metadata"; do
        kill -0 "$pid" 2>/dev/null || { echo "fhir_bench: $mode exited: $(tail -3 "$work/$mode.log")" >&2; exit 1; }
        [ $((SECONDS - started)) -lt "$START_TIMEOUT" ] || { echo "fhir_bench: $mode: no answer after $START_TIMEOUT s" >&2; exit 1; }
        sleep 0.3
    done
    # vigil's ready phase starts with the server's start-up line; measure after it.
    sleep 1
    echo "fhir_bench: $mode answered after $((SECONDS - started)) s (load $(cut -d' ' -f1 /proc/loadavg))" >&2
}

stop_server() {
    # strace passes SIGTERM on to nothing: stop the JVM (its traced child) instead.
    if [ "$mode" = strace ]; then pkill -TERM -P "$pid" || true; else kill -TERM "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
    pid=
}

# own_cpu PID: user+system clock ticks of PID's own threads (vigil's, without the app's).
own_cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# audit_of MODE: the audit trail of a mode that writes one.
audit_of() {
    case $1 in enforce) echo "$work/audit.jsonl" ;; enforce-nolandlock) echo "$work/audit-nl.jsonl" ;; esac
}

# tree_cpu PID: user+system clock ticks of PID and all its descendants (threads included).
descendants() { local c; for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done; }
tree_cpu() {
    local p total=0
    for p in "$1" $(descendants "$1"); do
        [ -r "/proc/$p/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}

seed() {
    local i names=(Smith Jones Garcia Chen Okafor)
    for i in $(seq 0 49); do
        curl -sf -o /dev/null -X PUT -H 'Content-Type: application/fhir+json' "$url/Patient/p$i" \
            -d "{\"resourceType\":\"Patient\",\"id\":\"p$i\",\"name\":[{\"family\":\"${names[$((i % 5))]}\",\"given\":[\"N$i\"]}]}"
        curl -sf -o /dev/null -X PUT -H 'Content-Type: application/fhir+json' "$url/Observation/o$i" \
            -d "{\"resourceType\":\"Observation\",\"id\":\"o$i\",\"status\":\"final\",\"code\":{\"text\":\"heart rate\"},\"subject\":{\"reference\":\"Patient/p$i\"},\"valueQuantity\":{\"value\":$((60 + i)),\"unit\":\"/min\"}}"
    done
}

# to_ms "1.23ms" / "950.00us" / "1.02s" -> milliseconds
to_ms() { python3 -c 'import sys, re; v, u = re.match(r"([\d.]+)(\w+)", sys.argv[1]).groups(); print(round(float(v) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[u], 3))' "$1"; }

echo "fhir_bench: $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg); wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s"
results=$work/results.tsv
: >"$results"
run_list=()
for ((rep = 0; rep < REPEATS; rep++)); do run_list+=($MODES); done
for mode in "${run_list[@]}"; do
    start_server "$mode"
    seed
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$here/fhir_wrk.lua" "$url" >/dev/null
    cpu0=$(tree_cpu "$pid")
    own0=$(own_cpu "$pid")
    audit=$(audit_of "$mode")
    lines0=$( [ -n "$audit" ] && [ -f "$audit" ] && wc -l <"$audit" || echo 0)
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$here/fhir_wrk.lua" "$url" >"$work/wrk-$mode.txt"
    cpu1=$(tree_cpu "$pid")
    own1=$(own_cpu "$pid")
    rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk-$mode.txt")
    reqs=$(awk '/requests in/ {print $1}' "$work/wrk-$mode.txt")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$work/wrk-$mode.txt")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$work/wrk-$mode.txt")")
    errors=$(awk '/Non-2xx|Socket errors/' "$work/wrk-$mode.txt")
    [ -z "$errors" ] || echo "fhir_bench: $mode: $errors" >&2
    cpu_us=$(python3 -c "print(round(($cpu1 - $cpu0) * 1e6 / $(getconf CLK_TCK) / $reqs, 1))")
    # vigil's own threads (not the app's), and the decisions the audit trail got meanwhile.
    case $mode in
        vigil|enforce*|learn*) vigil_us=$(python3 -c "print(round(($own1 - $own0) * 1e6 / $(getconf CLK_TCK) / $reqs, 1))") ;;
        *) vigil_us=- ;;
    esac
    notified=-
    if [ -n "$audit" ] && [ -f "$audit" ]; then
        notified=$(tail -n +"$((lines0 + 1))" "$audit" | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == "decision": n += 1
    elif e.get("event") == "repeated": n += int(e.get("count", 1))
print(round(n / float(sys.argv[1]), 3))' "$reqs")
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$rps" "$p50" "$p99" "$cpu_us" "$vigil_us" "$notified" | tee -a "$results"
    stop_server
done

echo
echo "| mode | requests/s | p50 ms | p99 ms | server CPU µs/request | vigil's own CPU µs/request | decisions/request | requests/s vs bare | p50 vs bare | p99 vs bare | CPU vs bare |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
python3 - "$results" <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]).read().splitlines():
    r = line.split("\t")
    runs.setdefault(r[0], []).append([float(v) if v != "-" else float("nan") for v in r[1:]])
# Medians over the interleaved repeats (one value each when REPEATS=1).
med = lambda col: float("nan") if any(v != v for v in col) else statistics.median(col)
rows = [[m] + [med(col) for col in zip(*vals)] for m, vals in runs.items()]
base = {r[0]: r for r in rows}.get("bare")
for r in rows:
    mode, rps, p50, p99, cpu, own, dec = r[0], *r[1:]
    ratio = lambda i, v: f"{v / float(base[i]):.3f}" if base else "-"
    opt = lambda v, f: "-" if v != v else format(v, f)
    print(f"| {mode} | {rps:.0f} | {p50:.2f} | {p99:.2f} | {cpu:.0f} | {opt(own, '.1f')} | {opt(dec, '.3f')} | {ratio(1, rps)} | {ratio(2, p50)} | {ratio(3, p99)} | {ratio(4, cpu)} |")
EOF
cp "$results" "$out/fhir_wrk.tsv"
# Figure 5.1: every syscall the server made, with counts, start-up vs ready (learn --exact --report).
if [ -f "$work/exact-report/syscalls.svg" ]; then
    cp "$work/exact-report/syscalls.svg" "$out/${APP}_learn_exact_syscalls.svg"
    cp "$work/exact-report/learned.json" "$out/${APP}_learn_exact.json"
    cp "$work/exact.toml" "$out/${APP}_learn_exact.toml"
    echo "syscalls by phase (learn --exact --report): $out/${APP}_learn_exact_syscalls.svg"
fi

if [ -f "$work/strace.txt" ]; then
    cp "$work/strace.txt" "$out/fhir_strace_c.txt"
    python3 "$here/fhir_plot.py" syscalls "$work/strace.txt" "$out/fhir_syscalls.svg" \
        "Syscalls of the $APP server: start-up + ${WARMUP}+${DURATION} s of wrk (strace -c -f)"
    echo; echo "syscall counts: $out/fhir_syscalls.svg"
fi

[ "$CLIENTS" != none ] || { echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"; exit 0; }
echo
echo "## N concurrent FHIR clients (bench/fhir_clients.py, 5 sessions of 9 requests each)"
: >"$work/clients.tsv"
for mode in bare enforce; do
    start_server "$mode"
    python3 "$here/fhir_clients.py" --base "$url" --clients 4 --sessions 2 >/dev/null  # warm-up
    for n in $CLIENTS; do
        line=$(python3 "$here/fhir_clients.py" --base "$url" --clients "$n")
        echo "$mode $line" | tee -a "$work/clients.tsv"
    done
    stop_server
done
cp "$work/clients.tsv" "$out/fhir_clients.tsv"
python3 "$here/fhir_plot.py" clients "$work/clients.tsv" "$out/fhir_clients.svg"
echo "concurrent clients: $out/fhir_clients.svg"
if [ -f "$work/audit.jsonl" ]; then
    denied=$(grep -c '"outcome":"denied"' "$work/audit.jsonl" || true)
    echo "enforce: $denied denials in the audit trail (expected 0)"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
