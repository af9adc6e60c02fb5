#!/bin/bash
# HAPI FHIR in Docker (Debian's docker.io, a private engine from lib/docker.bash: containerd +
# dockerd --bridge=none --iptables=false), built with docker/Dockerfile.hapi-fhir from the
# example's war on an offline distroless-like JRE base (uid 65532, no shell), vigil as PID 1:
#   1. Docker's DEFAULT seccomp profile and capabilities (no CAP_SYS_PTRACE): HAPI becomes ready,
#      the verification workload passes with zero denials, and the demo endpoint's exec of a
#      program that exists in the image (java), its bind shell and its outbound connect are refused;
#      the container stops cleanly (exit 0) on `docker stop`;
#   2. --cap-drop ALL --read-only (writable: a /tmp tmpfs and the /data volume): HAPI still
#      serves reads and writes, and the exec is still refused;
#   3. the production shape, HAPI with PostgreSQL under profiles/hapi-fhir-postgres.toml, again
#      with Docker's DEFAULT privileges: Debian's PostgreSQL (as nobody, from the host's files)
#      listens on 127.0.0.1:5432 in the network namespace of a holder container, HAPI runs with
#      --network container:HOLDER; the database connects work although Docker's seccomp profile
#      refuses pidfd_getfd (vigil makes the app's IP sockets itself: socket custody), the rows are
#      in PostgreSQL, and connects to another port or address are refused.
# --network=none: HAPI listens on 127.0.0.1:8080 in the container's own network namespace (the
# port the profile's allow-list names), and the clients run in that namespace (nsenter).
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
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || die "PostgreSQL is not installed (apt-get install -y postgresql)"
for cmd in python3 curl mvn nsenter setpriv; do
    command -v "$cmd" >/dev/null || die "$cmd is not installed"
done
source "$SRC/test/integration/lib/docker.bash"

work=$(mktemp -d /tmp/e2e_docker_hapi.XXXXXX)
chmod 755 "$work"
pg() { nsenter --net="/proc/$holder_pid/ns/net" -- setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
cleanup() {
    [ -f "$work/pg/postmaster.pid" ] && pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1
    docker_stop
    rm -rf "$work"
}
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
# $hapi_net (default none) is its network, $hapi_cmd (default: the image's) its command.
# inns CMD...: runs CMD in the running container's network namespace.
port=8080
hapi_net=none
hapi_cmd=()
inns() { nsenter --net="/proc/$ns_pid/ns/net" -- "$@"; }
run_hapi() {
    local name=$1 started
    shift
    mkdir -p "$work/$name-data" && chown 65532:65532 "$work/$name-data"
    docker run -d --name "$name" --network="$hapi_net" -v "$work/$name-data:/data" \
        -e HAPI_HTTP_ADDRESS=127.0.0.1 -e HAPI_DEMO_RCE=1 \
        "$@" vigil-test/hapi "${hapi_cmd[@]}" >/dev/null || { fail "docker run $name failed"; return 1; }
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
docker rm -f hapi-ro >/dev/null 2>&1

step "PostgreSQL, Docker's default privileges (profiles/hapi-fhir-postgres.toml)"
# The database's network namespace is a holder container's, so the test owns it (no host port).
# The JRE image has no sleep of its own, but the C library: the host's sleep runs in it.
docker run -d --name pgnet --network=none -v "$(command -v sleep):/usr/local/bin/hold:ro" \
    --entrypoint /usr/local/bin/hold vigil-test/jre 3600 >"$work/pgnet.log" 2>&1 \
    || { cat "$work/pgnet.log" >&2; die "no holder container for the database's network namespace"; }
holder_pid=$(docker inspect -f '{{.State.Pid}}' pgnet)
nsenter --net="/proc/$holder_pid/ns/net" -- ip link set lo up 2>/dev/null || true
mkdir -p "$work/pg" "$work/pgsock" && chown nobody:nogroup "$work/pg" "$work/pgsock"
pg "$pgbin/initdb" -D "$work/pg" -U hapi --auth=trust -E UTF8 >"$work/initdb.log" 2>&1 \
    || { cat "$work/initdb.log" >&2; die "initdb failed"; }
pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pgsock/postgres.log" -w -t 120 \
    -o "-c listen_addresses=127.0.0.1 -p 5432 -k $work/pgsock -c fsync=off" start >/dev/null \
    || { cat "$work/pgsock/postgres.log" >&2; die "PostgreSQL did not start"; }
pg "$pgbin/createdb" -h 127.0.0.1 -p 5432 -U hapi hapi || die "createdb failed"
hapi_net=container:pgnet
hapi_cmd=(run -p /etc/vigil/hapi-fhir-postgres.toml -- java --class-path /app/main.war
          "-Dloader.path=main.war!/WEB-INF/classes/,main.war!/WEB-INF/,/app/extra-classes"
          org.springframework.boot.loader.PropertiesLauncher)
if run_hapi hapi-pg --entrypoint /vigil -e SPRING_DATASOURCE_URL=jdbc:postgresql://127.0.0.1:5432/hapi \
        -e SPRING_DATASOURCE_USERNAME=hapi -e SPRING_DATASOURCE_PASSWORD= \
        -e HIBERNATE_DIALECT=ca.uhn.fhir.jpa.model.dialect.HapiFhirPostgresDialect; then
    docker logs hapi-pg >"$work/hapi-pg.log" 2>&1
    grep -q 'makes the app.s IP sockets itself' "$work/hapi-pg.log" \
        || fail "vigil did not take the app's sockets into custody under Docker's default (no such start-up line)"
    inns python3 "$app/verify.py" --base "http://127.0.0.1:$port/fhir" --clients 4 --seconds 10 >"$work/verify3.log" 2>&1 \
        || { tail -20 "$work/verify3.log" >&2; fail "verification workload with PostgreSQL under Docker's defaults"; }
    tail -2 "$work/verify3.log"
    n=$(denials hapi-pg)
    [ "$n" -eq 0 ] || fail "$n denials for legitimate traffic with PostgreSQL under Docker's defaults"
    rows=$(pg "$pgbin/psql" -h 127.0.0.1 -p 5432 -U hapi -d hapi -Atc "select count(*) from hfj_resource where res_type = 'Patient'" 2>&1)
    [ "${rows:-0}" -ge 6 ] 2>/dev/null || fail "PostgreSQL holds '$rows' Patient rows, expected at least 6"
    docker logs hapi-pg >"$work/hapi-pg.log" 2>&1
    grep -q ':5432".*connect performed by vigil' "$work/hapi-pg.log" \
        || fail "no database connect performed by vigil in the audit trail"
    for target in 127.0.0.1:5433 203.0.113.7:5432; do
        rce=$(inns curl -s -m 60 -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$port/demo-rce" \
            -d "{\"connect\": \"$target\"}")
        python3 -c 'import json, sys; assert not json.loads(sys.argv[1])["connect"]["ok"]' "$rce" \
            || fail "with PostgreSQL: the connect to $target was not refused: $rce"
    done
    inns curl -sf -o /dev/null -m 30 "http://127.0.0.1:$port/fhir/Patient?_count=1" || fail "HAPI stopped answering (its database connections?)"
    docker stop -t 60 hapi-pg >/dev/null
    status=$(docker inspect -f '{{.State.ExitCode}}' hapi-pg)
    [ "$status" = 0 ] || fail "docker stop (PostgreSQL run): the container exited $status, expected 0"
fi

if [ "$failures" -ne 0 ]; then
    echo "e2e_docker_hapi: $failures check(s) failed" >&2
    exit 1
fi
echo "e2e_docker_hapi: all checks passed"
