#!/bin/bash
# Enforcement cost on a short, syscall-heavy JVM job (bench/java/FileJob.java: JVM start, 4
# threads, 20 000 small file reads): bare against `vigil run -p PROFILE` for each PROFILE,
# interleaved in every round; median and spread of the wall time over ROUNDS rounds, and the
# ratio to bare per round.
# usage: bench/enforce_bench.sh VIGIL [PROFILE...]   (default: profiles/jvm.toml profiles/default.toml)
# env:   ROUNDS (11), JAVA (java)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VIGIL=$(readlink -f "${1:?usage: enforce_bench.sh VIGIL [PROFILE...]}")
shift
PROFILES=("$@")
[ ${#PROFILES[@]} -gt 0 ] || PROFILES=("$HERE/../profiles/jvm.toml" "$HERE/../profiles/default.toml")
ROUNDS=${ROUNDS:-11}
JAVA=${JAVA:-java}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
javac -d "$T/cls" "$HERE/java/FileJob.java"
JOB=("$JAVA" -cp "$T/cls" FileJob "$T/data")
"${JOB[@]}" > /dev/null  # the input files, once
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A wall=() ratio=()
# "WALL_MS CPU_MS": wall time, and user+system CPU of the whole tree (vigil and the JVM), which
# moves less than wall time when other work shares the machine.
ms() {
    /usr/bin/time -f '%e %U %S' -o "$T/time" "$@" > /dev/null 2> "$T/err" ||
        { echo "enforce_bench: $* failed: $(tail -3 "$T/err")" >&2; exit 1; }
    awk '{printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000}' "$T/time"
}
declare -A cpu=() cratio=()
for round in $(seq "$ROUNDS"); do
    read -r b bc <<< "$(ms "${JOB[@]}")"
    wall[bare]="${wall[bare]:-} $b"
    cpu[bare]="${cpu[bare]:-} $bc"
    for p in "${PROFILES[@]}"; do
        read -r w wc <<< "$(VIGIL_LOG_LEVEL=warn ms "$VIGIL" run -p "$p" -- "${JOB[@]}")"
        wall[$p]="${wall[$p]:-} $w"
        cpu[$p]="${cpu[$p]:-} $wc"
        ratio[$p]="${ratio[$p]:-} $(echo "$w / $b" | bc -l)"
        cratio[$p]="${cratio[$p]:-} $(echo "$wc / $bc" | bc -l)"
    done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
minmax() { tr ' ' '\n' | grep . | sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%s-%s", lo, hi}'; }
echo "| mode | median wall ms | spread | wall / bare (median of rounds) | median CPU ms | spread | CPU / bare (median of rounds) |"
echo "|---|---|---|---|---|---|---|"
printf '| bare | %s | %s | 1.00 | %s | %s | 1.00 |\n' "$(echo "${wall[bare]}" | median)" "$(echo "${wall[bare]}" | minmax)" \
    "$(echo "${cpu[bare]}" | median)" "$(echo "${cpu[bare]}" | minmax)"
for p in "${PROFILES[@]}"; do
    printf '| vigil run -p %s | %s | %s | %.3f | %s | %s | %.3f |\n' "$(basename "$p")" "$(echo "${wall[$p]}" | median)" \
        "$(echo "${wall[$p]}" | minmax)" "$(echo "${ratio[$p]}" | median)" "$(echo "${cpu[$p]}" | median)" \
        "$(echo "${cpu[$p]}" | minmax)" "$(echo "${cratio[$p]}" | median)"
done
echo "# $ROUNDS rounds; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
