#!/bin/bash
# vigil's demo: a Java FHIR server whose "shell escape" is refused.
#
#   examples/demo.sh [VIGIL]          (VIGIL defaults to build/vigil)
#
# 1. builds the FHIR example server (examples/fhir-server, Tomcat 10 + a servlet);
# 2. starts it under `vigil run -p profiles/fhir-server.toml` on a free loopback port, with the
#    demo-only endpoint POST /$demo-rce enabled (FHIR_DEMO_RCE=1): it does what a Log4Shell
#    payload does once it runs inside the JVM (run a shell command, connect out);
# 3. stores and reads a Patient, searches, reads the CapabilityStatement;
# 4. triggers the RCE endpoint and shows that vigil refused the command and the connection,
#    with the audit events it wrote;
# 5. stops the server with SIGTERM (graceful: Tomcat shuts down, vigil exits 0).
# Exit status 0 when every step behaved as described, 1 otherwise.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
vigil=$(realpath "${1:-$root/build/vigil}")
[ -x "$vigil" ] || { echo "demo: $vigil is not an executable (build vigil first, or pass its path)" >&2; exit 1; }
for cmd in curl python3 java; do
    command -v "$cmd" >/dev/null || { echo "demo: $cmd is needed (bash .ci/install-deps)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/vigil-demo.XXXXXX)
vigil_pid=
cleanup() {
    if [ -n "$vigil_pid" ] && kill -0 "$vigil_pid" 2>/dev/null; then kill -KILL "$vigil_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

bold() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }
ok() { echo "   ok: $*"; }
bad() { echo "   FAILED: $*"; failed=1; }
failed=0
# pretty JSON on one screen: python3 -m json.tool would print every field on its own line
show() { python3 -c 'import json, sys; print("   " + json.dumps(json.loads(sys.stdin.read()))[:400])'; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port

bold "1. Building the FHIR example server (Tomcat 10 + a FHIR R4 servlet)"
"$root/examples/fhir-server/build.sh" "$work/out" "$port" | sed 's/^/   /'

bold "2. Starting it under vigil with profiles/fhir-server.toml (RCE demo endpoint ON)"
echo "   $ FHIR_DEMO_RCE=1 vigil run -p profiles/fhir-server.toml --audit audit.jsonl -- examples/fhir-server/run.sh BASE $port"
# fhir-server.toml's [landlock] names the image's paths: a layer adds this checkout's and the port.
"$root/examples/fhir-server/local-profile.sh" "$work/profile.toml" "$port"
FHIR_DEMO_RCE=1 FHIR_DATA_DIR=$work/data \
    "$vigil" run -p "$work/profile.toml" --audit "$work/audit.jsonl" \
    -- "$root/examples/fhir-server/run.sh" "$work/out/base" "$port" >"$work/server.log" 2>&1 &
vigil_pid=$!
started=$SECONDS
until curl -sf -o /dev/null "$url/metadata"; do
    if ! kill -0 "$vigil_pid" 2>/dev/null; then
        echo "   the server exited during start-up; its log:"; sed 's/^/   | /' "$work/server.log"; exit 1
    fi
    [ $((SECONDS - started)) -lt 90 ] || { echo "   no answer after 90 s"; exit 1; }
    sleep 0.3
done
# The ready phase (after "Server startup in") is when exec and new listeners become forbidden.
for _ in $(seq 50); do grep -q '"phase":"ready"' "$work/audit.jsonl" 2>/dev/null && break; sleep 0.1; done
ok "answering on $url after $((SECONDS - started)) s; vigil is pid $vigil_pid, the JVM runs in its sandbox"
grep -q '"event":"phase".*"phase":"ready"' "$work/audit.jsonl" && ok "vigil saw \"Server startup in\": phase ready (no exec, no new listeners from now on)" \
    || bad "no ready phase in the audit trail"

bold "3. Ordinary FHIR traffic"
echo "   $ curl $url/metadata"
curl -s "$url/metadata" | python3 -c 'import json, sys; c = json.load(sys.stdin); print("   " + c["resourceType"], "fhirVersion", c["fhirVersion"])'
echo "   $ curl -X PUT $url/Patient/demo -d '{\"resourceType\":\"Patient\",...}'"
code=$(curl -s -o "$work/put.json" -w '%{http_code}' -X PUT -H 'Content-Type: application/fhir+json' "$url/Patient/demo" \
    -d '{"resourceType":"Patient","id":"demo","name":[{"family":"Chalmers","given":["Peter"]}],"birthDate":"1974-12-25"}')
show <"$work/put.json"
[ "$code" = 201 ] && ok "created (201)" || bad "PUT answered $code, expected 201"
echo "   $ curl $url/Patient?name=chal"
total=$(curl -s "$url/Patient?name=chal" | python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])')
[ "$total" = 1 ] && ok "search found $total patient" || bad "search found $total patients, expected 1"

bold "4. The attack: POST /\$demo-rce runs 'id' and connects to 203.0.113.7:4444"
echo "   $ curl -X POST $url/\$demo-rce -d '{\"command\": \"id\", \"connect\": \"203.0.113.7:4444\"}'"
curl -s -X POST -H 'Content-Type: application/json' "$url/\$demo-rce" \
    -d '{"command": "id", "connect": "203.0.113.7:4444"}' >"$work/rce.json"
show <"$work/rce.json"
python3 - "$work/rce.json" <<'EOF' || failed=1
import json, sys
r = json.load(open(sys.argv[1]))
ok = True
for part, what in (("exec", "running the command"), ("connect", "the outbound connection")):
    if r[part]["ok"]:
        print(f"   FAILED: {what} succeeded"); ok = False
    else:
        print(f"   ok: {what} was refused: {r[part]['error']}")
sys.exit(0 if ok else 1)
EOF
echo "   vigil's audit events for it (from audit.jsonl):"
python3 - "$work/audit.jsonl" <<'EOF' || failed=1
import json, sys
denied = [e for e in map(json.loads, open(sys.argv[1])) if e.get("outcome") == "denied"]
for e in denied:
    where = e.get("decoded", {}).get("address") or e.get("decoded", {}).get("path") or ""
    print(f"   {e['time']}  {e['syscall']:8} {where:28} {e['decision']:20} thread {e['thread']}: {e['reason']}")
names = {e["syscall"] for e in denied}
missing = {"execve", "connect"} - names
if missing:
    print(f"   FAILED: no denial of {', '.join(sorted(missing))} in the audit trail")
sys.exit(1 if missing else 0)
EOF

bold "5. The server keeps working, then stops gracefully (SIGTERM to vigil)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/Patient/demo")
[ "$code" = 200 ] && ok "Patient/demo still reads (200)" || bad "Patient/demo answered $code"
kill -TERM "$vigil_pid"
status=0
wait "$vigil_pid" || status=$?
vigil_pid=
grep -q 'Stopping service \[Catalina\]' "$work/server.log" && ok "Tomcat shut down cleanly" || bad "no clean Tomcat shutdown in the log"
[ "$status" = 0 ] && ok "vigil exited 0 (the JVM's 143 after SIGTERM is a clean stop: remap_exit in the profile)" \
    || bad "vigil exited $status, expected 0"
python3 - "$work/audit.jsonl" <<'EOF' || failed=1
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
summary = [e for e in events if e.get("event") == "summary"]
if not summary:
    print("   FAILED: no summary event at exit"); sys.exit(1)
d = summary[-1].get("decisions", {})
allowed = sum(v.get("allowed", 0) for v in d.values())
denied = sum(v.get("denied", 0) for v in d.values())
print(f"   ok: audit summary written at exit: {allowed} run-time decisions allowed, {denied} denied")
EOF

echo
if [ "$failed" -eq 0 ]; then
    echo "demo: the FHIR server served its clients; its command execution and outbound connection were refused."
else
    echo "demo: something did not behave as described (see FAILED above); server log: $work/server.log"
    trap - EXIT
fi
exit "$failed"
