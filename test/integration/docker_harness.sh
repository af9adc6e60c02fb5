#!/bin/bash
# The Docker harness the container tests source (test/integration/lib/docker.bash):
#   - a private engine starts (containerd + dockerd by hand, own directories and socket) and
#     answers; a second one runs beside it without interfering;
#   - the offline base images import and run as non-root: the bookworm minbase and the
#     distroless-like JRE (java runs as nonroot 65532, there is no shell);
#   - a `docker build` FROM them works with no registry (classic builder, --pull=false);
#   - docker_stop leaves no daemon, shim, mount or directory behind.
# Cold (no cached root file systems): about 3 min (debootstrap); warm: about 40 s.
# labels: integration;container
# timeout: 1200
set -u
: "${SRC:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$SRC/build}"
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
# shellcheck source=lib/docker.bash
source "$SRC/test/integration/lib/docker.bash"

docker_start || exit 1
dir=$DOCKER_DIR
dockerd_pid=$(cat "$dir/dockerd.pid")
containerd_pid=$(cat "$dir/containerd.pid")
[ "$(docker info -f '{{.SecurityOptions}}')" != "" ] && docker info -f '{{.SecurityOptions}}' | grep -q seccomp \
    && ok "the engine runs with its default seccomp profile" || fail "docker info shows no seccomp"

image_minbase vigil-test/minbase || exit 1
out=$(docker run --rm --network=none -u 65532:65532 vigil-test/minbase sh -c 'id -u; . /etc/os-release; echo $VERSION_CODENAME' 2>&1)
[ "$out" = "$(printf '65532\nbookworm')" ] && ok "minbase runs as 65532" || fail "minbase: got '$out'"

image_jre vigil-test/jre || exit 1
out=$(docker run --rm --network=none vigil-test/jre java -XshowSettings:properties -version 2>&1)
echo "$out" | grep -q 'user.name = nonroot' && ok "the JRE image runs java as nonroot by default" \
    || { fail "java in the JRE image:"; echo "$out" | tail -5 >&2; }
out=$(docker run --rm --network=none vigil-test/jre sh -c true 2>&1)
echo "$out" | grep -q 'executable file not found' && ok "the JRE image has no shell" || fail "the JRE image has a shell? $out"
[ "$(docker inspect -f '{{.Config.User}}' vigil-test/jre)" = 65532:65532 ] && ok "USER 65532:65532" || fail "JRE image user"

# A build with no registry: FROM a local image, COPY --from another one.
image_vigil vigil-test/vigil || exit 1
ctx=$(mktemp -d /tmp/docker_harness.XXXXXX)
printf 'FROM vigil-test/vigil AS vigil\nFROM vigil-test/jre\nCOPY --from=vigil /vigil /vigil\nENTRYPOINT ["/vigil", "--"]\n' >"$ctx/Dockerfile"
if docker build -q --pull=false --network=none -t vigil-test/built "$ctx" >"$ctx/build.log" 2>&1; then
    out=$(docker run --rm --network=none vigil-test/built java -version 2>&1 | head -1)
    echo "$out" | grep -q 'openjdk version' && ok "an offline build FROM the JRE image runs java under /vigil" \
        || fail "the built image: $out"
else
    fail "offline docker build:"; tail -10 "$ctx/build.log" >&2
fi
rm -rf "$ctx"

# A second engine beside the first (another test of another helper, say).
(
    docker_start >/dev/null || exit 1
    [ "$DOCKER_DIR" != "$dir" ] || exit 2
    docker images -q | grep -q . && exit 3   # a fresh engine: none of the first one's images
    exit 0
)
rc=$?
[ "$rc" = 0 ] && ok "a second engine runs beside the first" || fail "second engine: status $rc"
docker images -q vigil-test/jre | grep -q . && ok "the first engine still has its images" || fail "the first engine lost its images"

# A container left running must not keep anything alive.
docker run -d --network=none vigil-test/minbase sleep 600 >/dev/null || fail "docker run -d"
docker_stop
sleep 0.5
kill -0 "$dockerd_pid" 2>/dev/null && fail "dockerd $dockerd_pid still runs"
kill -0 "$containerd_pid" 2>/dev/null && fail "containerd $containerd_pid still runs"
pgrep -f -- "-address $dir/containerd.sock" >/dev/null && fail "a containerd shim of $dir still runs"
findmnt -rn -o TARGET | grep -qF "$dir/" && fail "mounts under $dir remain"
[ -e "$dir" ] && fail "$dir remains"
[ "$FAILS" -eq 0 ] && ok "docker_stop left nothing behind"

echo "docker_harness: $FAILS failure(s)"
[ "$FAILS" -eq 0 ]
