#!/bin/bash
# The FHIR example server's learned profile, in figures: `vigil learn` (fast mode) of the server
# under the full FHIR workload (examples/fhir-server/workload.py) plus 5 s of wrk, stopped with
# SIGTERM; then what the written profile allows once the server is ready: syscalls (against
# Docker's default), writable and executable paths, TCP ports, learned peers.
#
#   bench/fhir_learned_profile.sh [VIGIL] [OUT_DIR]     (default build/vigil, bench/results)
# Bounded: start-up waits at most 120 s, the workload runs once, wrk 5 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
vigil=$(readlink -f "${1:-$root/build/vigil}")
out=$(mkdir -p "${2:-$here/results}" && cd "${2:-$here/results}" && pwd)
for tool in wrk curl python3 java; do
    command -v "$tool" >/dev/null || { echo "fhir_learned_profile: $tool is missing" >&2; exit 1; }
done
work=$(mktemp -d /tmp/fhir_learned.XXXXXX)
pid=
cleanup() { [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
fixtures=$("$root/examples/fhir-server/fetch-fixtures.sh")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"$root/examples/fhir-server/build.sh" "$work/out" "$port" >/dev/null
mkdir -p "$work/data"
echo "fhir_learned_profile: $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
FHIR_DATA_DIR=$work/data VIGIL_LOG_LEVEL=warn "$vigil" learn -o "$work/learned.toml" --report "$work/report" \
    --ready-output 'Server startup in' -- "$root/examples/fhir-server/run.sh" "$work/out/base" "$port" \
    >"$work/learn.log" 2>&1 &
pid=$!
started=$SECONDS
until curl -sf -o /dev/null "$url/metadata"; do
    kill -0 "$pid" 2>/dev/null || { echo "fhir_learned_profile: learn exited: $(tail -3 "$work/learn.log")" >&2; exit 1; }
    [ $((SECONDS - started)) -lt 120 ] || { echo "fhir_learned_profile: no answer after 120 s" >&2; exit 1; }
    sleep 0.3
done
sleep 1
python3 "$root/examples/fhir-server/workload.py" --base "$url" --fixtures "$fixtures" >"$work/workload.log" 2>&1 \
    || { tail -5 "$work/workload.log" >&2; echo "fhir_learned_profile: the workload failed" >&2; exit 1; }
wrk -t2 -c16 -d5s "$url/metadata" >/dev/null
kill -TERM "$pid"
wait "$pid" || true
pid=
cp "$work/learned.toml" "$out/fhir_learned.toml"
python3 - "$work/learned.toml" "$work/report/learned.json" <<'PY'
import json, sys, tomllib
p = tomllib.load(open(sys.argv[1], "rb"))
s = json.load(open(sys.argv[2]))["surface"]
ll = p.get("landlock", {})
after = s["allowed"] - s["startup_only"]
print(f"| syscalls allowed once ready | {after} (of {s['allowed']} in start-up; Docker's default allows {s['docker_default']}) |")
print(f"| writable paths | {', '.join(ll.get('write', [])) or '-'} |")
print(f"| executable paths | {', '.join(ll.get('execute', [])) or '-'} |")
print(f"| read-only paths | {', '.join(ll.get('read', [])) or '-'} |")
print(f"| TCP bind / connect ports | {ll.get('bind_tcp', [])} / {ll.get('connect_tcp', 'not confined (ephemeral port seen)')} |")
peers = p.get("notify", {}).get("connect", {}).get("allow", [])
print(f"| learned peers ([notify.connect]) | {', '.join(peers) or '-'} |")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
