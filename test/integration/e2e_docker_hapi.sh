#!/bin/bash
# HAPI FHIR in Docker (Debian's docker.io, a private engine from lib/docker.bash: containerd +
# dockerd --bridge=none --iptables=false), built with docker/Dockerfile.hapi-fhir from the
# example's war on an offline distroless-like JRE base (uid 65532, no shell), vigil as PID 1:
#   1. Docker's DEFAULT seccomp profile and capabilities (no CAP_SYS_PTRACE): HAPI becomes ready,
#      the verification workload passes with zero denials, and the demo endpoint's exec of a
#      program that exists in the image (java), its bind shell and its outbound connect are refused;
#      the container stops cleanly (exit 0) on `docker stop`;
#   2. --cap-drop ALL --read-only (writable: a /tmp tmpfs and the /data volume): HAPI still
#      serves reads and writes, and the exec is still refused.
# --network=none: HAPI listens on 127.0.0.1:8080 in the container's own network namespace (the
# port the profile's allow-list names), and the clients run in that namespace (nsenter).
# Written 2026-12-02 but NOT yet run: the static vigil could not be built on the session's
# overloaded machine. Its first run is the lead's/CI's.
# labels: integration;e2e;container;jvm;java
# locks: maven
# timeout: 2400
set -uo pipefail

SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$SRC/build}
app=$SRC/examples/hapi-fhir
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
die() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $* ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))"; }
for cmd in python3 curl mvn nsenter; do
    command -v "$cmd" >/dev/null || die "$cmd is not installed"
done
source "$SRC/test/integration/lib/docker.bash"

work=$(mktemp -d /tmp/e2e_docker_hapi.XXXXXX)
chmod 755 "$work"
cleanup() { docker_stop; rm -rf "$work"; }
trap cleanup EXIT

step "build the example (cached in $BUILD/hapi-fhir)"
"$app/build.sh" "$BUILD/hapi-fhir" || die "examples/hapi-fhir/build.sh failed (see above)"

step "engine and images"
docker_start || die "the Docker engine did not start (see above)"
image_jre vigil-test/jre || die "no JRE base image"
image_vigil vigil-test/vigil || die "no vigil image"
# The context: the war and extra-classes (hard links: the war is 300 MB).
mkdir -p "$work/ctx"
ln "$BUILD/hapi-fhir/main.war" "$work/ctx/main.war" 2>/dev/null || cp "$BUILD/hapi-fhir/main.war" "$work/ctx/main.war"
mkdir -p "$work/ctx/extra-classes" && : >"$work/ctx/extra-classes/.keep"
docker build -q --pull=false --network=none -f "$SRC/docker/Dockerfile.hapi-fhir" \
    --build-arg VIGIL_IMAGE=vigil-test/vigil --build-arg BASE_IMAGE=vigil-test/jre \
    -t vigil-test/hapi "$work/ctx" >"$work/build.log" 2>&1 || { tail -20 "$work/build.log" >&2; die "docker build failed"; }
[ "$(docker inspect -f '{{.Config.User}}' vigil-test/hapi)" = 65532:65532 ] || fail "the image does not run as 65532"


# run_hapi NAME DOCKER_OPTIONS...: starts the container, waits until /fhir/metadata answers.
# inns CMD...: runs CMD in the running container's network namespace.
port=8080
inns() { nsenter --net="/proc/$ns_pid/ns/net" -- "$@"; }
run_hapi() {
    local name=$1 started
    shift
    mkdir -p "$work/$name-data" && chown 65532:65532 "$work/$name-data"
    docker run -d --name "$name" --network=none -v "$work/$name-data:/data" \
        -e HAPI_HTTP_ADDRESS=127.0.0.1 -e HAPI_DEMO_RCE=1 \
        "$@" vigil-test/hapi >/dev/null || { fail "docker run $name failed"; return 1; }
    ns_pid=$(docker inspect -f '{{.State.Pid}}' "$name")
    started=$SECONDS
    until inns curl -sf -o /dev/null -m 10 "http://127.0.0.1:$port/fhir/metadata"; do
        if [ "$(docker inspect -f '{{.State.Running}}' "$name")" != true ]; then
            docker logs "$name" 2>&1 | tail -30 >&2
            fail "$name exited during start-up"
            return 1
        fi
        if [ $((SECONDS - started)) -gt 900 ]; then
            fail "$name: no answer after 900 s"
            return 1
        fi
        sleep 3
    done
    echo "$name answered after $((SECONDS - started)) s"
}

# denials NAME: the vigil audit events with a denied/killed outcome in the container's log.
denials() {
    docker logs "$1" 2>&1 | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    line = line.strip()
    if line.startswith("{"):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("outcome") in ("denied", "killed"):
            # Without CAP_SYS_PTRACE vigil cannot copy the socket of the app, so a unix peer of the
            # allow-list is refused by design (fail closed; docker/README.md, privilege table):
            # the nscd probe of glibc, which finds no nscd in this image either way. Shown, not counted.
            if e.get("decoded", {}).get("address") == "unix:/var/run/nscd/socket" and "pidfd_getfd" in e.get("reason", ""):
                print("expected without CAP_SYS_PTRACE: " + line[:200], file=sys.stderr)
                continue
            n += 1
            if n <= 5:
                print(line, file=sys.stderr)
print(n)'
}

# attack NAME: the exec (java, present in the image), a bind shell, a connect: all refused.
attack() {
    local rce
    rce=$(inns curl -s -m 60 -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$port/demo-rce" \
        -d '{"argv": ["/usr/bin/java", "-version"], "connect": "203.0.113.7:4444", "listen": 0}')
    echo "$1 demo-rce: $rce"
    python3 - "$rce" <<'EOF' || fail "$1: the demo's exec, connect or listen was not refused"
import json, sys
r = json.loads(sys.argv[1])
assert not r["exec"]["ok"] and "Operation not permitted" in r["exec"]["error"], r["exec"]
assert not r["connect"]["ok"], r["connect"]
assert not r["listen"]["ok"], r["listen"]
EOF
}

step "Docker's default privileges"
if run_hapi hapi-default; then
    # Into a file first: `docker logs | grep -q` under pipefail fails when grep stops reading early.
    docker logs hapi-default >"$work/hapi-default.log" 2>&1
    grep -q 'Started [A-Za-z]* in' "$work/hapi-default.log" || { tail -20 "$work/hapi-default.log" >&2; fail "no Spring Boot start-up line"; }
    inns python3 "$app/verify.py" --base "http://127.0.0.1:$port/fhir" --clients 8 --seconds 15 >"$work/verify1.log" 2>&1 \
        || { tail -20 "$work/verify1.log" >&2; fail "verification workload under Docker's defaults"; }
    tail -2 "$work/verify1.log"
    n=$(denials hapi-default)
    [ "$n" -eq 0 ] || fail "$n denials for legitimate traffic under Docker's defaults"
    attack hapi-default
    n=$(denials hapi-default 2>/dev/null)
    [ "$n" -ge 2 ] || fail "the refused attack left $n denials in the audit trail, expected the exec's and more"
    docker stop -t 60 hapi-default >/dev/null
    status=$(docker inspect -f '{{.State.ExitCode}}' hapi-default)
    [ "$status" = 0 ] || fail "docker stop: the container exited $status, expected 0"
fi
docker rm -f hapi-default >/dev/null 2>&1

step "--cap-drop ALL --read-only"
if run_hapi hapi-ro --cap-drop ALL --read-only --tmpfs /tmp:rw,exec,mode=1777; then
    status=$(inns curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/fhir+json' \
        "http://127.0.0.1:$port/fhir/Patient" -d '{"resourceType":"Patient","name":[{"family":"ReadOnlyRoot"}]}')
    [ "$status" = 201 ] || fail "create under --read-only: HTTP $status"
    inns curl -sf -o /dev/null "http://127.0.0.1:$port/fhir/Patient?family=ReadOnlyRoot" || fail "search under --read-only"
    n=$(denials hapi-ro)
    [ "$n" -eq 0 ] || fail "$n denials for legitimate traffic under --cap-drop ALL --read-only"
    attack hapi-ro
    docker stop -t 60 hapi-ro >/dev/null
fi

if [ "$failures" -ne 0 ]; then
    echo "e2e_docker_hapi: $failures check(s) failed" >&2
    exit 1
fi
echo "e2e_docker_hapi: all checks passed"
