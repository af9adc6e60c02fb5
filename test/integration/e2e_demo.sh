#!/bin/bash
# The README's demo (examples/demo.sh) as a test: the FHIR server under fhir-server.toml serves
# FHIR requests, its RCE endpoint's exec and connect are refused and audited, SIGTERM stops it
# with status 0. The demo itself checks each step and exits non-zero on any surprise.
# labels: integration;e2e
# timeout: 300
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
: "${VIGIL:?VIGIL must point at the vigil binary}"
out=$(mktemp /tmp/e2e_demo.XXXXXX)
trap 'rm -f "$out"' EXIT
status=0
timeout 240 bash "$SRC/examples/demo.sh" "$VIGIL" >"$out" 2>&1 || status=$?
cat "$out"
[ "$status" -eq 0 ] || { echo "FAIL: examples/demo.sh exited $status" >&2; exit 1; }
# The demo's own verdict line, and the two audit events it printed.
grep -q '^demo: the FHIR server served its clients' "$out" || { echo "FAIL: no success line" >&2; exit 1; }
grep -qE '^ +[0-9T:.Z-]+ +execve +.*errno:EPERM' "$out" || { echo "FAIL: no execve denial shown" >&2; exit 1; }
grep -qE '^ +[0-9T:.Z-]+ +connect +\[::ffff:203\.0\.113\.7\]:4444' "$out" || { echo "FAIL: no connect denial shown" >&2; exit 1; }
echo "e2e_demo: passed"
