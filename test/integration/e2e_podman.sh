#!/bin/bash
# End to end in a real container runtime: the vigil-fhir-demo image (docker/Dockerfile.fhir-demo)
# built without a registry, run by podman + runc with vigil as PID 1 under podman's default
# seccomp profile and default capabilities, as the image's non-root user (uid 10001).
#
#   1. the FHIR workload (every HL7 example created, read, searched, updated, deleted; a
#      transaction Bundle; 100 concurrent creates) answers correctly, with zero denials in the
#      audit trail;
#   2. the RCE demo endpoint's command execution and outbound connection are refused and audited;
#   3. `podman stop` ends gracefully (Tomcat's shutdown, exit 0 after remap_exit 143) and a restart
#      still holds every acknowledged write;
#   4. a SIGKILL to the JVM ends the container with 137, and vigil still writes its audit summary.
#
# Images, built once and reused (podman's layer cache makes later builds take seconds):
#   docker.io/library/debian:bookworm   debootstrap --variant=minbase bookworm from apt's mirror
#                                       (cached by lib/docker.bash in $BUILD/images), imported
#                                       with `podman import` (only if absent)
#   localhost/vigil-e2e                 $BUILD/static/vigil (-DVIGIL_STATIC=ON) + profiles/*.toml
#   localhost/vigil-fhir-demo:e2e       docker/Dockerfile.fhir-demo with VIGIL_IMAGE=localhost/vigil-e2e
# runc, not crun (crun fails on hybrid cgroup hosts); the ulimits are what runc needs there.
# labels: integration;e2e;container
# locks: podman
# timeout: 1500
set -euo pipefail
# Under set -e a failing step would end the test without a word: say which command failed.
set -o errtrace
trap 'echo "FAIL: line $LINENO: \"$BASH_COMMAND\" exited with status $?" >&2' ERR

SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$SRC/build}
app=$SRC/examples/fhir-server
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
step() { echo "== $* ($(date +%T))"; }

for cmd in podman runc debootstrap python3 curl npm cmake; do
    command -v "$cmd" >/dev/null || { echo "FAIL: $cmd is not installed (bash .ci/install-deps)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (rootful podman, debootstrap)" >&2; exit 1; }

run_opts=(--runtime runc --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
base_image=docker.io/library/debian:bookworm
vigil_image=localhost/vigil-e2e:latest
demo_image=localhost/vigil-fhir-demo:e2e

work=$(mktemp -d /tmp/e2e_podman.XXXXXX)
name=vigil-e2e-$$
cleanup() {
    podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# The cached bookworm minbase root (debootstrap once, shared with the Docker tests).
source "$SRC/test/integration/lib/docker.bash"

step "static vigil"
static=$BUILD/static
if [ ! -f "$static/CMakeCache.txt" ]; then
    cmake -S "$SRC" -B "$static" -DVIGIL_STATIC=ON -DVIGIL_TESTS=OFF -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 \
        || { tail -30 "$work/cmake.log" >&2; fail "configuring the static build failed"; exit 1; }
fi
cmake --build "$static" -j2 --target vigil >"$work/static-build.log" 2>&1 \
    || { grep -E 'error|Error' "$work/static-build.log" | head -30 >&2; fail "the static build failed"; exit 1; }
if readelf -l "$static/vigil" | grep -q 'program interpreter'; then
    fail "$static/vigil is not static"; exit 1
fi

step "base image $base_image"
if ! podman image exists "$base_image"; then
    minbase=$(rootfs_minbase) || { fail "no bookworm minbase root"; exit 1; }
    podman import --quiet "$minbase" "$base_image" >/dev/null \
        || { fail "podman import of $minbase as $base_image failed"; exit 1; }
fi

step "vigil image $vigil_image (static vigil + profiles, as Dockerfile.vigil lays them out)"
mkdir -p "$work/vigil-root/etc/vigil"
install -m 0755 "$static/vigil" "$work/vigil-root/vigil"
cp "$SRC"/profiles/*.toml "$work/vigil-root/etc/vigil/"
for p in "$work"/vigil-root/etc/vigil/*.toml; do
    "$static/vigil" check "$p" >/dev/null || fail "shipped profile $(basename "$p") does not pass vigil check"
done
tar -C "$work/vigil-root" -c . | podman import --quiet --change 'ENTRYPOINT ["/vigil"]' - "$vigil_image" >/dev/null \
    || { fail "podman import of $vigil_image failed"; exit 1; }

step "demo image $demo_image (docker/Dockerfile.fhir-demo)"
podman build "${run_opts[@]}" --network host --pull=never --format docker \
    --build-arg VIGIL_IMAGE="$vigil_image" -f "$SRC/docker/Dockerfile.fhir-demo" -t "$demo_image" "$SRC" \
    >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; fail "podman build failed"; exit 1; }

fixtures=$("$app/fetch-fixtures.sh") || { fail "fetching the HL7 example resources failed (see above)"; exit 1; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
mkdir -p "$work/data" "$work/audit"
chown 10001:10001 "$work/data" "$work/audit"
audit=$work/audit/audit.jsonl

# The image's own ENTRYPOINT with two additions: the audit trail goes to a file we can read,
# and, since the host's network is shared, the connector's port is a free one: a layer on top of
# the shipped fhir-server.toml grants it to [landlock] (bind_tcp, connect_tcp), nothing else.
mkdir -p "$work/layer"
cat >"$work/layer/e2e.toml" <<TOML
include = ["/etc/vigil/fhir-server.toml"]

[landlock]
bind_tcp = [$port]
connect_tcp = [$port]
TOML
entrypoint='["/vigil", "-p", "/etc/vigil/layer/e2e.toml", "--audit", "/audit/audit.jsonl", "--", "/usr/share/tomcat10/bin/catalina.sh", "run"]'
podman create "${run_opts[@]}" --name "$name" --network host \
    -e FHIR_HTTP_ADDRESS=127.0.0.1 -e FHIR_HTTP_PORT="$port" -e FHIR_DEMO_RCE=1 \
    -v "$work/data:/var/lib/fhir" -v "$work/audit:/audit" -v "$work/layer:/etc/vigil/layer:ro" \
    --read-only --tmpfs /tmp --stop-timeout 30 --no-healthcheck \
    --entrypoint "$entrypoint" "$demo_image" >/dev/null

wait_ready() {
    local started=$SECONDS
    until curl -sf -o /dev/null "$url/metadata"; do
        if [ "$(podman inspect -f '{{.State.Running}}' "$name")" != true ]; then
            podman logs "$name" 2>&1 | tail -40 >&2; fail "the container exited during start-up"; exit 1
        fi
        [ $((SECONDS - started)) -lt 120 ] || { fail "no answer on $url/metadata after 120 s"; exit 1; }
        sleep 0.3
    done
    echo "answered after $((SECONDS - started)) s"
    # Requests before the ready phase would be judged by start-up rules: wait for it.
    for _ in $(seq 100); do
        [ "$(grep -c '"event":"phase".*"phase":"ready"' "$audit" 2>/dev/null)" -ge "$1" ] && return 0
        sleep 0.1
    done
    fail "no ready phase event (number $1) in the audit trail"
}

# count_events FILTER: audit events for which the python expression FILTER (over e) is true.
count_events() {
    python3 - "$audit" "$1" <<'EOF'
import json, sys
n = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if line:
        e = json.loads(line)
        n += bool(eval(sys.argv[2], {}, {"e": e}))
print(n)
EOF
}
denials='e.get("outcome") in ("denied", "killed", "would_deny")'

step "run 1: vigil as PID 1, uid 10001, default seccomp and capabilities"
podman start "$name" >/dev/null
wait_ready 1
[ "$(podman exec "$name" cat /proc/1/comm)" = vigil ] || fail "PID 1 of the container is not vigil"
# (each loop ends with `true`: a non-java last entry must not turn into podman exec's status)
uids=$(podman exec "$name" sh -c 'for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = java ] && awk "/^Uid:/ {print \$2}" $p/status; done; true' | sort -u)
[ "$uids" = 10001 ] || fail "the JVM runs as uid '$uids', expected 10001"
podman exec "$name" grep -q '^Seccomp:[[:space:]]*2' /proc/1/status || fail "PID 1 is not under podman's seccomp filter"
java_filters=$(podman exec "$name" sh -c 'for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = java ] && awk "/^Seccomp_filters:/ {print \$2}" $p/status; done; true')
[ "${java_filters:-0}" -ge 2 ] || fail "the JVM has $java_filters seccomp filters, expected podman's and vigil's"
# [landlock] (tomcat.toml + fhir-server.toml) is in force: the kernel confines paths and ports.
grep -q '"reason":"landlock abi=[0-9]* ruleset=enforced .*net=net.bind_tcp,net.connect_tcp' "$audit" \
    || fail "no enforced Landlock ruleset with TCP port rules in the audit trail: $(grep -m1 landlock "$audit")"

step "workload"
python3 "$app/workload.py" --base "$url" --fixtures "$fixtures" --state "$work/state.json" >"$work/workload.log" 2>&1 \
    || { tail -30 "$work/workload.log" >&2; fail "the workload got wrong answers"; }
tail -2 "$work/workload.log"
n=$(count_events "$denials")
[ "$n" -eq 0 ] || { fail "$n denials in the audit trail for legitimate traffic"; grep -E '"outcome":"(denied|killed|would_deny)"' "$audit" | head -5 >&2; }
# Landlock's refusals are the kernel's (EACCES to the app), not in vigil's audit trail: the
# workload's answers above and a log free of access errors are the check for false denials.
if podman logs "$name" 2>&1 | grep -E 'AccessDenied|Permission denied|EACCES' >"$work/eacces.log"; then
    fail "access errors in the server's log under [landlock]: $(head -3 "$work/eacces.log")"
fi

step "RCE demo endpoint"
rce=$(curl -s -X POST -H 'Content-Type: application/json' "$url/\$demo-rce" \
    -d '{"command": "id", "connect": "203.0.113.7:4444"}')
echo "demo-rce: $rce"
python3 - "$rce" <<'EOF' || fail "the RCE demo's command or connection was not refused"
import json, sys
r = json.loads(sys.argv[1])
assert not r["exec"]["ok"] and "Operation not permitted" in r["exec"]["error"], r
assert not r["connect"]["ok"], r
EOF
[ "$(count_events 'e.get("outcome") == "denied" and e.get("syscall") == "execve" and e.get("phase") == "ready"')" -ge 1 ] \
    || fail "no denied execve in the audit trail"
[ "$(count_events 'e.get("outcome") == "denied" and e.get("syscall") == "connect" and "203.0.113.7" in e.get("decoded", {}).get("address", "")')" -ge 1 ] \
    || fail "no denied connect to 203.0.113.7 in the audit trail"

step "podman stop: graceful"
podman stop -t 30 "$name" >/dev/null
status=$(podman inspect -f '{{.State.ExitCode}}' "$name")
[ "$status" = 0 ] || fail "after podman stop the container exited $status, expected 0 (143 remapped)"
podman logs "$name" >"$work/run1.log" 2>&1
grep -q 'Stopping service \[Catalina\]' "$work/run1.log" || fail "no clean Tomcat shutdown after podman stop"
[ "$(count_events 'e.get("event") == "summary"')" -eq 1 ] || fail "no audit summary after podman stop"

step "run 2: restart, every acknowledged write is there"
podman start "$name" >/dev/null
wait_ready 2
python3 "$app/workload.py" --base "$url" --verify-state "$work/state.json" >"$work/verify.log" 2>&1 \
    || { tail -20 "$work/verify.log" >&2; fail "state lost across podman stop/start"; }
tail -1 "$work/verify.log"

step "SIGKILL to the JVM"
vigil_host_pid=$(podman inspect -f '{{.State.Pid}}' "$name")
java_host_pid=$(pgrep -P "$vigil_host_pid" -x java || true)
if [ -z "$java_host_pid" ]; then
    fail "no java child of vigil (host pid $vigil_host_pid)"
else
    kill -KILL "$java_host_pid"
    status=$(timeout 60 podman wait "$name" || echo timeout)
    [ "$status" = 137 ] || fail "after SIGKILL to the JVM the container exited $status, expected 137"
fi
[ "$(count_events 'e.get("event") == "summary"')" -eq 2 ] || fail "no audit summary after the JVM was killed"
n=$(count_events "$denials")
[ "$n" -eq 2 ] || fail "$n denials in the whole audit trail, expected exactly the RCE demo's 2"

if [ "$failures" -ne 0 ]; then
    echo "--- container log (tail)" >&2
    podman logs "$name" 2>&1 | tail -30 >&2
    echo "e2e_podman: $failures check(s) failed" >&2
    exit 1
fi
echo "e2e_podman: all checks passed"
