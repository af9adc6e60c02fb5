#!/bin/bash
# The image story end to end under Docker (docker.io's dockerd, started by lib/docker.bash),
# everything built offline:
#   1. docker/Dockerfile.base builds vigil-jre FROM a distroless-like JRE (no shell) and the
#      vigil image (static binary + profiles); it runs as 65532 with ENTRYPOINT /vigil --;
#   2. docker/Dockerfile.app-example builds a deployment on it (app.jar + a profile layer that
#      includes the shipped jvm.toml); under Docker's default seccomp profile and capabilities,
#      --read-only with a tmpfs /tmp, vigil is PID 1 as uid 65532, the JVM runs under two
#      filters (Docker's and vigil's), serves, and cannot start a program after start-up;
#      `docker stop` ends with 0 (143 remapped) and the audit summary;
#   3. the one-line drop-in `COPY --from=vigil /vigil /vigil` into an existing image (bookworm
#      minbase): vigil is PID 1, reaps, and passes the exit status through; as
#      --user 65532 --cap-drop ALL --security-opt no-new-privileges too.
# Cold: about 4 min (debootstrap, static build); warm: about 1 min.
# labels: integration;e2e;container;java
# timeout: 1500
set -u
: "${SRC:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$SRC/build}"
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
step() { echo "== $* ($(date +%T))"; }
for c in javac jar curl python3; do
    command -v "$c" >/dev/null || { echo "FAIL: $c is not installed (bash .ci/install-deps)" >&2; exit 1; }
done
# shellcheck source=lib/docker.bash
source "$SRC/test/integration/lib/docker.bash"
work=$(mktemp -d /tmp/e2e_docker_base.XXXXXX)
trap 'rm -rf "$work"' EXIT
docker_start || exit 1

step "images: vigil, JRE, minbase (offline)"
image_vigil vigil-test/vigil || exit 1
image_jre vigil-test/jre || exit 1
image_minbase vigil-test/minbase || exit 1

step "vigil-jre from docker/Dockerfile.base"
mkdir -p "$work/empty"
if ! docker build -q --pull=false --network=none -f "$SRC/docker/Dockerfile.base" \
        --build-arg VIGIL_IMAGE=vigil-test/vigil --build-arg JRE_IMAGE=vigil-test/jre \
        -t vigil-jre:test "$work/empty" >"$work/base.log" 2>&1; then
    tail -20 "$work/base.log" >&2; fail "docker build of Dockerfile.base"; exit 1
fi
[ "$(docker inspect -f '{{json .Config.Entrypoint}}' vigil-jre:test)" = '["/vigil","--"]' ] \
    && ok "ENTRYPOINT [\"/vigil\", \"--\"]" || fail "entrypoint: $(docker inspect -f '{{json .Config.Entrypoint}}' vigil-jre:test)"
[ "$(docker inspect -f '{{.Config.User}}' vigil-jre:test)" = 65532:65532 ] && ok "USER 65532:65532" || fail "user of vigil-jre"
out=$(docker run --rm --network=none vigil-jre:test 2>&1)
echo "$out" | grep -q 'openjdk version' && ok "the default CMD runs java -version under /vigil" || fail "vigil-jre default CMD: $out"
out=$(docker run --rm --network=none --entrypoint /vigil vigil-jre:test --version)
echo "$out" | grep -qE '^vigil [0-9][^ ]* libseccomp=' && ok "vigil --version in the image: $out" || fail "vigil --version: $out"
for p in jvm tomcat hapi-fhir; do
    docker run --rm --network=none --entrypoint /vigil vigil-jre:test check "/etc/vigil/$p.toml" >/dev/null 2>&1 \
        && ok "shipped /etc/vigil/$p.toml passes vigil check in the image" || fail "/etc/vigil/$p.toml in vigil-jre"
done

step "the deployment: docker/Dockerfile.app-example"
ctx=$work/app
mkdir -p "$ctx/classes"
cp "$SRC/test/integration/data/vigil-jre-app/app-profile.toml" "$ctx/"
javac --release 17 -d "$ctx/classes" "$SRC/test/integration/data/vigil-jre-app/App.java" >"$work/javac.log" 2>&1 \
    || { cat "$work/javac.log" >&2; fail "javac App.java"; exit 1; }
jar --create --file "$ctx/app.jar" --main-class App -C "$ctx/classes" . || { fail "jar"; exit 1; }
rm -rf "$ctx/classes"
if ! docker build -q --pull=false --network=none -f "$SRC/docker/Dockerfile.app-example" \
        --build-arg BASE_IMAGE=vigil-jre:test --build-arg APP_JAR=app.jar -t vigil-test/app "$ctx" >"$work/app.log" 2>&1; then
    tail -20 "$work/app.log" >&2; fail "docker build of Dockerfile.app-example"; exit 1
fi
docker run --rm --network=none --entrypoint /vigil vigil-test/app check /etc/vigil/app.toml >"$work/check.log" 2>&1 \
    && ok "the layer including /etc/vigil/jvm.toml passes vigil check" || { fail "vigil check of the layer:"; cat "$work/check.log" >&2; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
name=vigil-app-$$
docker run -d --name "$name" --network host -e APP_PORT="$port" --read-only --tmpfs /tmp \
    --stop-timeout 20 vigil-test/app >/dev/null || { fail "docker run the app"; exit 1; }
ready=""
for _ in $(seq 300); do
    if docker logs "$name" 2>&1 | grep -q '"event":"phase".*"phase":"ready"\|"phase":"ready".*"event":"phase"'; then ready=1; break; fi
    [ "$(docker inspect -f '{{.State.Running}}' "$name")" = true ] || break
    sleep 0.2
done
if [ -z "$ready" ]; then
    docker logs "$name" 2>&1 | tail -20 >&2; fail "the app did not reach its ready phase"
else
    ok "the app reached its ready phase (output_match)"
    out=$(curl -s --max-time 10 "http://127.0.0.1:$port/hello")
    [ "$out" = "hello from nonroot" ] && ok "the JVM serves as nonroot" || fail "/hello: '$out'"
    out=$(curl -s --max-time 10 "http://127.0.0.1:$port/exec")
    echo "$out" | grep -q 'exec refused:.*Operation not permitted' && ok "exec after start-up refused: $out" || fail "/exec: '$out'"
    vpid=$(docker inspect -f '{{.State.Pid}}' "$name")
    [ "$(cat "/proc/$vpid/comm")" = vigil ] && ok "PID 1 of the container is vigil" || fail "PID 1 is $(cat "/proc/$vpid/comm")"
    [ "$(awk '/^Uid:/ {print $2}' "/proc/$vpid/status")" = 65532 ] && ok "vigil runs as 65532" || fail "vigil's uid"
    jpid=$(pgrep -P "$vpid" -x java || true)
    if [ -n "$jpid" ]; then
        [ "$(awk '/^Uid:/ {print $2}' "/proc/$jpid/status")" = 65532 ] && ok "java runs as 65532" || fail "java's uid"
        [ "$(awk '/^Seccomp_filters:/ {print $2}' "/proc/$jpid/status")" = 2 ] && ok "java is under Docker's filter and vigil's" \
            || fail "java has $(awk '/^Seccomp_filters:/ {print $2}' "/proc/$jpid/status") filters"
        grep -q '^CapEff:[[:space:]]*0000000000000000' "/proc/$jpid/status" && ok "java has no effective capabilities" || fail "java's capabilities"
    else
        fail "no java child of vigil (host pid $vpid)"
    fi
    docker logs "$name" 2>&1 | grep -q '"syscall":"execve".*"outcome":"denied"\|"outcome":"denied".*"syscall":"execve"' \
        && ok "the refused exec is in the audit trail" || fail "no denied execve in the audit trail"
fi
docker stop -t 20 "$name" >/dev/null
status=$(docker inspect -f '{{.State.ExitCode}}' "$name")
[ "$status" = 0 ] && ok "docker stop: exit 0 (143 remapped)" || fail "docker stop: exit $status"
docker logs "$name" 2>&1 | grep -q '"event":"summary"' && ok "audit summary written on stop" || fail "no audit summary"
docker rm -f "$name" >/dev/null 2>&1

step "the one-line drop-in into an existing image"
mkdir -p "$work/dropin"
cat >"$work/dropin/Dockerfile" <<'EOF'
FROM vigil-test/minbase
COPY --from=vigil-test/vigil /vigil /vigil
ENTRYPOINT ["/vigil", "--"]
EOF
if docker build -q --pull=false --network=none -t vigil-test/dropin "$work/dropin" >"$work/dropin.log" 2>&1; then
    for opts in "" "--user 65532:65532 --cap-drop ALL --security-opt no-new-privileges"; do
        # shellcheck disable=SC2086
        out=$(docker run --rm --network=none $opts vigil-test/dropin sh -c 'cat /proc/1/comm; (sleep 0.2 &) ; exit 3' 2>&1)
        rc=$?
        [ "$rc" = 3 ] && [ "$(echo "$out" | head -1)" = vigil ] && ok "drop-in ${opts:-(defaults)}: vigil is PID 1, exit 3 passed through" \
            || fail "drop-in ${opts:-(defaults)}: status $rc, output '$out'"
    done
else
    tail -10 "$work/dropin.log" >&2; fail "docker build of the drop-in"
fi

echo "e2e_docker_base: $FAILS failure(s)"
[ "$FAILS" -eq 0 ]
