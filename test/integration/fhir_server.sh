#!/bin/bash
# The FHIR example server on its own, without vigil: builds it, runs the workload over the HL7
# examples, restarts it (after SIGTERM, then after SIGKILL) and checks that every acknowledged
# write is still there, and that without a sandbox the RCE demo endpoint can run a command and
# connect out — the baseline the vigil tests take away.
# labels: integration;e2e
# timeout: 300
set -euo pipefail
# Under set -e a failing step would end the test without a word: say which command failed.
set -o errtrace
trap 'echo "FAIL: line $LINENO: \"$BASH_COMMAND\" exited with status $?" >&2' ERR

SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
app=$SRC/examples/fhir-server
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

for need in /usr/share/tomcat10/bin/catalina.sh /usr/share/java/jackson-databind.jar; do
    if [ ! -e "$need" ]; then
        echo "FAIL: $need is missing: apt-get install -y tomcat10 libjackson2-databind-java" >&2
        exit 1
    fi
done
for cmd in python3 npm curl; do
    command -v "$cmd" >/dev/null || { echo "FAIL: $cmd is not installed" >&2; exit 1; }
done

work=$(mktemp -d /tmp/fhir_server_test.XXXXXX)
server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base_url=http://127.0.0.1:$port
export FHIR_DATA_DIR=$work/data

# start_server LOG [ENV=VALUE...]: starts run.sh in the background, waits until /metadata answers.
start_server() {
    local log=$1
    shift
    env "$@" "$app/run.sh" "$work/out/base" "$port" >"$log" 2>&1 &
    server_pid=$!
    local started=$SECONDS
    until curl -sf -o /dev/null "$base_url/metadata"; do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "FAIL: the server exited during start-up; its log:" >&2
            cat "$log" >&2
            exit 1
        fi
        if [ $((SECONDS - started)) -gt 90 ]; then
            echo "FAIL: no answer on $base_url/metadata after 90 s" >&2
            exit 1
        fi
        sleep 0.2
    done
    echo "server pid $server_pid answered after $((SECONDS - started)) s"
}

# stop_server SIGNAL EXPECTED_STATUS
stop_server() {
    kill "-$1" "$server_pid"
    local status=0
    wait "$server_pid" || status=$?
    [ "$status" -eq "$2" ] || fail "after SIG$1 the server exited with $status, expected $2"
    server_pid=
}

fixtures=$("$app/fetch-fixtures.sh") || { echo "FAIL: fetching the HL7 example resources failed (see above)" >&2; exit 1; }
"$app/build.sh" "$work/out" "$port" || { echo "FAIL: examples/fhir-server/build.sh failed (see above)" >&2; exit 1; }

echo "== run 1: workload"
start_server "$work/run1.log"
# The exec must be the JVM itself (run.sh and catalina.sh exec), so signals reach Tomcat.
[ "$(readlink "/proc/$server_pid/exe")" = "$(readlink -f "$(command -v java)")" ] \
    || fail "pid $server_pid is $(readlink "/proc/$server_pid/exe"), not the JVM"
python3 "$app/workload.py" --base "$base_url" --fixtures "$fixtures" --state "$work/state.json" \
    || fail "the workload reported wrong answers"
stop_server TERM 143
grep -q 'Stopping service \[Catalina\]' "$work/run1.log" || fail "no clean Tomcat shutdown after SIGTERM"

echo "== run 2: everything acknowledged before SIGTERM is still there; demo RCE works without a sandbox"
start_server "$work/run2.log" FHIR_DEMO_RCE=1
python3 "$app/workload.py" --base "$base_url" --verify-state "$work/state.json" \
    || fail "state lost across a restart"
grep -q 'FHIR_DEMO_RCE=1' "$work/run2.log" || fail "no warning that the RCE demo endpoint is enabled"
rce=$(curl -s -X POST -H 'Content-Type: application/json' "$base_url/\$demo-rce" \
    -d "{\"command\": \"echo pwned-\$((6*7))\", \"connect\": \"127.0.0.1:$port\"}")
echo "demo-rce: $rce"
python3 - "$rce" <<'EOF' || fail "the demo RCE endpoint did not run the command and connect"
import json, sys
report = json.loads(sys.argv[1])
assert report["exec"]["ok"] and report["exec"]["exitCode"] == 0 and report["exec"]["output"] == "pwned-42\n", report
assert report["connect"]["ok"], report
EOF
# A write acknowledged just before a SIGKILL (no shutdown hooks) must survive too.
created=$(curl -s -X POST -H 'Content-Type: application/fhir+json' "$base_url/Patient" \
    -d '{"resourceType":"Patient","name":[{"family":"Durable"}]}')
id=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["id"])' "$created")
stop_server KILL 137

echo "== run 3: after SIGKILL"
start_server "$work/run3.log"
read_back=$(curl -s "$base_url/Patient/$id")
python3 - "$created" "$read_back" <<'EOF' || fail "Patient/$id, created before SIGKILL, came back different"
import json, sys
created, read_back = (json.loads(a) for a in sys.argv[1:])
assert created == read_back, (created, read_back)
EOF
python3 "$app/workload.py" --base "$base_url" --verify-state "$work/state.json" \
    || fail "state lost across a SIGKILL"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base_url/\$demo-rce")" = 404 ] \
    || fail "the RCE demo endpoint answers although FHIR_DEMO_RCE is not set"
stop_server TERM 143

echo "== run 4: a corrupt commit file stops the server (exit 1) instead of serving without data"
cp -r "$FHIR_DATA_DIR" "$work/corrupt"
last=$(find "$work/corrupt" -name 'c*.json' -printf '%f\n' | sort | tail -n 1)
head -c 20 "$work/corrupt/$last" > "$work/corrupt/$last.cut" && mv "$work/corrupt/$last.cut" "$work/corrupt/$last"
status=0
FHIR_DATA_DIR=$work/corrupt timeout 120 "$app/run.sh" "$work/out/base" "$port" >"$work/run4.log" 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "with a corrupt store the server exited with $status, expected 1"
grep -q "corrupt commit file .*$last" "$work/run4.log" || fail "the log does not name the corrupt commit file $last"

if [ "$failures" -ne 0 ]; then
    echo "fhir_server: $failures check(s) failed" >&2
    exit 1
fi
echo "fhir_server: all checks passed"
