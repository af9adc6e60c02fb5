#!/bin/bash
# HAPI FHIR (examples/hapi-fhir: HAPI 8.8.0 JPA server, Spring Boot, H2 on disk) under its shipped
# profile profiles/hapi-fhir.toml, as PID 1 of a fresh PID namespace:
#   1. builds the example (cached in $BUILD/hapi-fhir: the first build downloads from Maven
#      Central, later ones reuse the war), runs it under `vigil run -p profiles/hapi-fhir.toml`
#      with the remote-code-execution demo endpoint enabled;
#   2. readiness comes from HAPI's own start-up line (the audit's phase event);
#   3. the verification workload (examples/hapi-fhir/verify.py, not the one the profile was
#      learned under) gets right answers, with zero denials in the audit trail;
#   4. the attacker's moves after start-up, through the demo endpoint: a shell command (execve),
#      an outbound connection (to a TEST-NET address and to loopback's SSH port) and a bind
#      shell (bind/listen) are all refused, and audited as denials in the ready phase;
#   5. SIGTERM to vigil stops HAPI gracefully; vigil exits 0 (143 remapped).
# JAVA_HOME picks the JDK (default: the one on PATH, 17 here). Also passed with
# JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 (2026-12-02): JDK 25 starts programs through
# posix_spawn + jspawnhelper, and that execve is refused the same way.
# labels: integration;e2e;jvm;java
# locks: maven
# timeout: 1500
set -uo pipefail

SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$SRC/build}
VIGIL=${VIGIL:-$BUILD/vigil}
app=$SRC/examples/hapi-fhir
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
die() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $* ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))"; }

for cmd in python3 curl mvn unshare nsenter ip; do
    command -v "$cmd" >/dev/null || die "$cmd is not installed (see .ci/install-deps)"
done
[ -x "$VIGIL" ] || die "no vigil binary at $VIGIL"

work=$(mktemp -d /tmp/hapi_fhir_test.XXXXXX)
chmod 755 "$work"
source "$SRC/test/integration/lib/hapi.bash"
trap 'hapi_cleanup; rm -rf "$work"' EXIT

step "build (cached in $BUILD/hapi-fhir)"
"$app/build.sh" "$BUILD/hapi-fhir" || die "examples/hapi-fhir/build.sh failed (see above)"
"$VIGIL" check "$SRC/profiles/hapi-fhir.toml" >/dev/null || die "profiles/hapi-fhir.toml does not check"

hapi_netns
export HAPI_DATA_DIR=$work/data HAPI_DEMO_RCE=1

step "start HAPI under vigil (port $port)"
hapi_start "$SRC/profiles/hapi-fhir.toml"

step "readiness on HAPI's start-up line"
for _ in $(seq 60); do
    [ "$(count_events 'e.get("event") == "phase" and e.get("phase") == "ready"')" -ge 1 ] && break
    sleep 1
done
[ "$(count_events 'e.get("event") == "phase" and e.get("phase") == "ready"')" -ge 1 ] \
    || fail "no ready phase event in the audit trail although HAPI answers"
grep -qE 'Started [A-Za-z]+ in [0-9.]+ seconds' "$work/hapi.log" || fail "no Spring Boot start-up line in HAPI's log"

step "verification workload"
inns python3 "$app/verify.py" --base "$base" --clients 8 --seconds 20 >"$work/verify.log" 2>&1 \
    || { tail -30 "$work/verify.log" >&2; fail "the verification workload got wrong answers"; }
tail -3 "$work/verify.log"
expect_no_denials "legitimate traffic"

step "the attacker's moves after start-up (demo RCE endpoint)"
rce=$(inns curl -s -m 60 -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$port/demo-rce" \
    -d "{\"command\": \"id > $work/pwned\", \"connect\": \"203.0.113.7:4444\", \"listen\": 0}")
[ ! -e "$work/pwned" ] || fail "the demo's shell command ran ($work/pwned exists)"
echo "demo-rce: $rce"
python3 - "$rce" <<'EOF' || fail "the RCE demo's exec, connect or listen was not refused"
import json, sys
r = json.loads(sys.argv[1])
assert not r["exec"]["ok"] and "Operation not permitted" in r["exec"]["error"], r["exec"]
assert not r["connect"]["ok"], r["connect"]
assert not r["listen"]["ok"], r["listen"]
EOF
# A loopback service the payload would like to reach (a database port, say): it is there
# (a direct connect works), but HAPI's profile does not let the JVM connect to it.
# (nsenter execs python, so $! is the listener itself and the kill below reaches it.)
nsenter --net="/proc/$netns_pid/ns/net" -- \
    python3 -c 'import socket, time; s = socket.socket(); s.bind(("127.0.0.1", 5432)); s.listen(8); time.sleep(120)' &
listener=$!
sleep 1
inns python3 -c 'import socket; socket.create_connection(("127.0.0.1", 5432), 5).close()' \
    || fail "the test's own loopback listener on 5432 is not reachable"
rce=$(inns curl -s -m 60 -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$port/demo-rce" \
    -d '{"connect": "127.0.0.1:5432"}')
echo "demo-rce: $rce"
python3 - "$rce" <<'EOF' || fail "a loopback connection to port 5432 was not refused: $rce"
import json, sys
assert not json.loads(sys.argv[1])["connect"]["ok"]
EOF
kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null
[ "$(count_events 'e.get("outcome") == "denied" and e.get("syscall") == "connect" and ":5432" in json.dumps(e)')" -ge 1 ] \
    || fail "no denied connect to 127.0.0.1:5432 in the audit trail"
[ "$(count_events 'e.get("outcome") == "denied" and e.get("syscall") == "execve" and e.get("phase") == "ready"')" -ge 1 ] \
    || fail "no denied execve in the ready phase in the audit trail"
[ "$(count_events 'e.get("outcome") == "denied" and e.get("syscall") == "connect" and "203.0.113.7" in json.dumps(e)')" -ge 1 ] \
    || fail "no denied connect to 203.0.113.7 in the audit trail"
[ "$(count_events 'e.get("outcome") == "denied" and e.get("syscall") in ("bind", "listen")')" -ge 1 ] \
    || fail "no denied bind/listen in the audit trail"
# Objects (the profile's [landlock], enforced by the kernel): a secret outside the granted
# paths cannot be read and the war's directory cannot be written into, while the data
# directory stays writable and readable (the same calls, other objects).
demo() { inns curl -s -m 60 -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$port/demo-rce" -d "$1"; }
secret_dir=$(mktemp -d /var/tmp/hapi-secret.XXXXXX)
echo "patient records key" >"$secret_dir/key"
chmod 755 "$secret_dir"; chmod 644 "$secret_dir/key"
rce=$(demo "{\"read\": \"$secret_dir/key\", \"write\": \"$BUILD/hapi-fhir/extra-classes/Planted.class\"}")
echo "demo-rce: $rce"
python3 - "$rce" <<'EOF' || fail "the payload read a file outside [landlock]'s paths or wrote next to the war: $rce"
import json, sys
r = json.loads(sys.argv[1])
assert not r["read"]["ok"] and "AccessDenied" in r["read"]["error"], r["read"]
assert not r["write"]["ok"] and "AccessDenied" in r["write"]["error"], r["write"]
EOF
[ -r "$secret_dir/key" ] || fail "the secret is not readable outside vigil (the check above would prove nothing)"
rm -rf "$secret_dir"
[ ! -e "$BUILD/hapi-fhir/extra-classes/Planted.class" ] || { fail "Planted.class exists"; rm -f "$BUILD/hapi-fhir/extra-classes/Planted.class"; }
rce=$(demo "{\"write\": \"$work/data/allowed.txt\", \"read\": \"$work/data/allowed.txt\"}")
python3 - "$rce" <<'EOF' || fail "the data directory is not writable and readable under the profile: $rce"
import json, sys
r = json.loads(sys.argv[1])
assert r["write"]["ok"] and r["read"]["ok"], r
EOF
inns curl -sf -o /dev/null -m 30 "$base/Patient?_count=1" || fail "HAPI stopped answering after the refused attack"

step "SIGTERM: graceful stop"
hapi_stop
[ "$stop_status" -eq 0 ] || fail "vigil exited $stop_status after SIGTERM, expected 0 (143 remapped)"
grep -q 'Graceful shutdown\|Commencing graceful shutdown' "$work/hapi.log" || fail "no graceful Spring Boot shutdown in the log"
[ "$(count_events 'e.get("event") == "summary"')" -ge 1 ] || fail "no audit summary at exit"

if [ "$failures" -ne 0 ]; then
    echo "--- HAPI log (tail)" >&2
    tail -30 "$work/hapi.log" >&2
    echo "hapi_fhir: $failures check(s) failed" >&2
    exit 1
fi
echo "hapi_fhir: all checks passed"
