#!/bin/bash
# Notification round trip: getppid() sent to the supervisor and answered CONTINUE, measured
# inside the app (median, p99, calls/s), side by side in one run for: no filter, a minimal C
# supervisor (raw kernel round trip), and vigil (event loop, decision, audit trail to a file).
# Modes are interleaved in every round, ROUNDS rounds, pinned to one CPU (taskset -c CPU for
# the supervisor and the app) and unpinned; the table gives the median over rounds of each
# round's median round trip, the spread (min-max of those), and the vigil/raw ratio per round.
# Then the scaling figure: THREADS_LIST app threads calling at once (bench/notify_threads.c),
# throughput and the supervisor's CPU, raw and vigil.
#
# raw-setsid is the raw supervisor with its app in a new session, as vigil's app was until it
# stayed in vigil's session (src/spawn): under autogroup scheduling that alone costs the round
# trip its p99 and its throughput.
#
# usage: bench/notify_bench.sh BUILD_DIR [CALLS]
# env:   ROUNDS (5), CPU (0), THREADS_LIST ("1 4 16 64"), SCALE_SECONDS (2), SCALE_ROUNDS (3)
set -euo pipefail
BUILD=${1:?usage: notify_bench.sh BUILD_DIR [CALLS]}
CALLS=${2:-20000}
ROUNDS=${ROUNDS:-5}
CPU=${CPU:-0}
THREADS_LIST=${THREADS_LIST:-1 4 16 64}
SCALE_SECONDS=${SCALE_SECONDS:-2}
SCALE_ROUNDS=${SCALE_ROUNDS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cc -O2 -o "$T/raw" "$HERE/notify_raw_supervisor.c"
cc -O2 -pthread -o "$T/threads" "$HERE/notify_threads.c"
PROBE=$BUILD/helpers/notify_probe
VIGIL=$BUILD/vigil
cat > "$T/bench.toml" <<TOML
[seccomp]
default = "allow"
notify = ["getppid"]
[notify.getppid]
otherwise = "allow"
[audit]
sink = "$T/audit.log"
TOML
export VIGIL_LOG_LEVEL=warn
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# vigil: $VIGIL ($(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo '?')), $CALLS calls per run, $ROUNDS rounds"

run() {  # MODE PIN -> "median_ns p99_ns calls_per_s"
    local pin=()
    [ "$2" = pinned ] && pin=(taskset -c "$CPU")
    local out
    case $1 in
        none) out=$("${pin[@]}" "$PROBE" bench "$CALLS") ;;
        raw) out=$("${pin[@]}" "$T/raw" "$PROBE" bench "$CALLS") ;;
        raw-setsid) out=$(RAW_SETSID=1 "${pin[@]}" "$T/raw" "$PROBE" bench "$CALLS") ;;
        vigil) out=$("${pin[@]}" "$VIGIL" run -p "$T/bench.toml" -- "$PROBE" bench "$CALLS") ;;
    esac
    echo "$out" | sed -E 's/.*median_ns=([0-9]+) p99_ns=([0-9]+) calls_per_s=([0-9]+).*/\1 \2 \3/'
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
minmax() { tr ' ' '\n' | grep . | sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%s-%s", lo, hi}'; }

for pin in pinned unpinned; do
    declare -A med=() p99=() rate=()
    ratios=""
    for round in $(seq "$ROUNDS"); do
        for mode in none raw raw-setsid vigil; do
            read -r m p r <<< "$(run $mode $pin)"
            med[$mode]="${med[$mode]:-} $m"
            p99[$mode]="${p99[$mode]:-} $p"
            rate[$mode]="${rate[$mode]:-} $r"
        done
        last_raw=$(echo "${med[raw]}" | awk '{print $NF}')
        last_vigil=$(echo "${med[vigil]}" | awk '{print $NF}')
        last_rs=$(echo "${med[raw-setsid]}" | awk '{print $NF}')
        ratios="$ratios $(echo "$last_vigil / $last_raw" | bc -l | xargs printf '%.2f')"
        ratios_s="${ratios_s:-} $(echo "$last_vigil / $last_rs" | bc -l | xargs printf '%.2f')"
    done
    echo
    echo "## $pin$([ $pin = pinned ] && echo " (taskset -c $CPU)")"
    echo "| supervisor | median µs (median of rounds) | spread of round medians µs | p99 µs (median) | calls/s (median) |"
    echo "|---|---|---|---|---|"
    for mode in none raw raw-setsid vigil; do
        printf '| %s | %.2f | %s | %.1f | %s |\n' "$mode" \
            "$(echo "$(echo "${med[$mode]}" | median) / 1000" | bc -l)" \
            "$(echo "${med[$mode]}" | tr ' ' '\n' | grep . | awk '{printf "%.2f ", $1/1000}' | minmax)" \
            "$(echo "$(echo "${p99[$mode]}" | median) / 1000" | bc -l)" \
            "$(echo "${rate[$mode]}" | median)"
    done
    echo "vigil / raw median round trip, per round:$ratios (median $(echo "$ratios" | median)x)"
    echo "vigil / raw-setsid (the raw app in its own session), per round:$ratios_s (median $(echo "$ratios_s" | median)x)"
    ratios_s=""
done
echo "audit lines written by vigil (last run): $(wc -l < "$T/audit.log"), decisions counted: $(grep -o '"allowed":[0-9]*' "$T/audit.log" | tail -1)"

echo
echo "## scaling: app threads calling getppid() at once, ${SCALE_SECONDS}s per run, median of $SCALE_ROUNDS interleaved rounds (unpinned)"
echo "| threads | raw calls/s | raw CPU % | raw-setsid calls/s | vigil calls/s | vigil CPU % | vigil CPU µs/call | vigil/raw calls/s | vigil/raw-setsid |"
echo "|---|---|---|---|---|---|---|---|---|"
field() { sed -E "s/.*$1=([0-9.]+).*/\1/"; }
for n in $THREADS_LIST; do
    rr="" rc="" vr="" vc="" vu="" rs=""
    for round in $(seq "$SCALE_ROUNDS"); do
        o=$("$T/raw" "$T/threads" "$n" "$SCALE_SECONDS")
        rr="$rr $(echo "$o" | field calls_per_s)"; rc="$rc $(echo "$o" | field supervisor_cpu_pct)"
        o=$(RAW_SETSID=1 "$T/raw" "$T/threads" "$n" "$SCALE_SECONDS")
        rs="${rs:-} $(echo "$o" | field calls_per_s)"
        o=$("$VIGIL" run -p "$T/bench.toml" -- "$T/threads" "$n" "$SCALE_SECONDS")
        vr="$vr $(echo "$o" | field calls_per_s)"; vc="$vc $(echo "$o" | field supervisor_cpu_pct)"
        vu="$vu $(echo "$o" | field supervisor_us_per_call)"
    done
    a=$(echo "$rr" | median) b=$(echo "$vr" | median) c=$(echo "$rs" | median)
    printf '| %s | %s | %s | %s | %s | %s | %s | %.2f | %.2f |\n' "$n" "$a" "$(echo "$rc" | median)" "$c" "$b" \
        "$(echo "$vc" | median)" "$(echo "$vu" | median)" "$(echo "$b / $a" | bc -l)" "$(echo "$b / $c" | bc -l)"
    rs=""
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
