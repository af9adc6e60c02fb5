#!/bin/bash
# Figure 5.1 for the LinuxForHealth FHIR example: every syscall the server made, with counts,
# start-up vs ready, from `vigil learn --exact --report`. Two exact runs on fresh databases:
# one stopped as soon as Liberty logs CWWKF0011I (start-up only), one that also serves the
# FHIR workload and 8 concurrent clients and is then stopped (start-up + ready + shutdown);
# ready = the second minus the first. Prints a Markdown table (most frequent first) and
# leaves both reports (report.html, syscalls.svg, learned.json) under OUT/.
#
#   bench/lfh_syscalls.sh VIGIL OUT [PORT]
set -euo pipefail
vigil=$(readlink -f "$1")
out=$2
port=${3:-18290}
src=$(cd "$(dirname "$0")/.." && pwd)
app=$src/examples/linuxforhealth-fhir
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ -x "$out/server/wlp/bin/server" ] || "$app/build.sh" "$out/server" > "$out/build.log"
fixtures=$("$src/examples/fhir-server/fetch-fixtures.sh")
base=http://127.0.0.1:$port/fhir-server/api/v4

pid=
trap '[ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true' EXIT   # never leave a learning server behind
run() {  # run NAME WORKLOAD(0|1)
    local name=$1
    rm -rf "$out/server/fhir-data" "$out/server/usr/servers/defaultServer/"{workarea,logs,tranlog,apps/expanded}
    "$vigil" learn --exact -o "$out/$name.toml" --report "$out/$name" --ready-output CWWKF0011I \
        -- "$app/run.sh" "$out/server" "$port" > "$out/$name.log" 2> "$out/$name.err" &
    pid=$!
    for _ in $(seq 600); do grep -q CWWKF0011I "$out/$name.log" && break; sleep 0.5; done
    grep -q CWWKF0011I "$out/$name.log" || { kill -KILL $pid; echo "$name: never ready" >&2; exit 1; }
    if [ "$2" = 1 ]; then
        # The first request initialises JAX-RS (CXF), which under --exact on a loaded machine
        # takes longer than the workload's 30 s client timeout.
        curl -s -m 600 -o /dev/null "$base/metadata" || { kill -TERM $pid; wait $pid; echo "$name: no answer" >&2; exit 1; }
        python3 "$src/examples/fhir-server/workload.py" --canonical --base "$base" --fixtures "$fixtures" > "$out/$name.workload"
        python3 "$src/bench/fhir_clients.py" --base "$base" --clients 8 --sessions 2 > /dev/null
    fi
    kill -TERM $pid
    wait $pid || true
    pid=
}
[ -s "$out/startup/learned.json" ] && [ "${LFH_RERUN:-0}" != 1 ] || run startup 0
run full 1
python3 - "$out/startup/learned.json" "$out/full/learned.json" <<'PY'
import json, sys
start = json.load(open(sys.argv[1]))["syscalls"]
full = json.load(open(sys.argv[2]))["syscalls"]
rows = []
for name in set(start) | set(full):
    s = start.get(name, {}).get("count", 0)
    t = full.get(name, {}).get("count", 0)
    rows.append((t, s, name))
rows.sort(reverse=True)
print(f"{len(rows)} syscalls; start-up {sum(r[1] for r in rows)} calls, whole run {sum(r[0] for r in rows)}")
print()
print("| syscall | start-up | ready + shutdown | whole run |")
print("|---|---|---|---|")
for t, s, name in rows:
    print(f"| {name} | {s} | {max(t - s, 0)} | {t} |")
PY
