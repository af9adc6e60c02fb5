#!/bin/bash
# Notification round trip: getppid() sent to the supervisor and answered CONTINUE, measured
# inside the app (median, p99, calls/s), in the same run for: no filter, a minimal C supervisor
# (raw kernel round trip), and vigil (event loop, decision, audit line to a file).
# usage: bench/notify_bench.sh BUILD_DIR [CALLS]
set -euo pipefail
BUILD=${1:?usage: notify_bench.sh BUILD_DIR [CALLS]}
CALLS=${2:-20000}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cc -O2 -o "$T/raw" "$HERE/notify_raw_supervisor.c"
PROBE=$BUILD/helpers/notify_probe
cat > "$T/bench.toml" <<TOML
[seccomp]
default = "allow"
notify = ["getppid"]
[audit]
sink = "$T/audit.log"
TOML
row() { printf '%-28s %s\n' "$1" "$2"; }
row "no filter" "$("$PROBE" bench "$CALLS")"
row "raw C supervisor" "$("$T/raw" "$PROBE" bench "$CALLS")"
row "vigil (audit to a file)" "$(VIGIL_LOG_LEVEL=warn "$BUILD/vigil" run -p "$T/bench.toml" -- "$PROBE" bench "$CALLS")"
echo "audit lines written by vigil: $(grep -c '"event":"decision"' "$T/audit.log")"
