# A private Docker engine for one test, and offline base images (sourced, not a test itself).
#
#   source "$SRC/test/integration/lib/docker.bash"
#   docker_start || exit 1          containerd + dockerd under a fresh test-owned directory;
#                                   exports DOCKER_HOST; both are stopped when the test exits
#   docker run --rm --network=none IMAGE ...      `docker` is the client of Debian's docker.io
#   image_minbase NAME              debootstrap --variant=minbase bookworm, `docker import`ed
#   image_jre NAME [JAVA_HOME]      distroless-like: a JRE, the libraries it links, /etc/passwd
#                                   with root and nonroot (65532); USER 65532, no shell
#   image_vigil NAME                the static vigil + profiles/*.toml (Dockerfile.vigil's layout)
#   vigil_static                    builds $BUILD/static/vigil (-DVIGIL_STATIC=ON), prints its path
#   docker_stop                     stops everything now (also runs on exit)
#
# Each engine is independent (own --data-root, --exec-root, --pidfile, -H unix socket and
# containerd), so tests of different helpers can run at the same time. The root file systems
# are cached as tar files in $BUILD/images (built once, under a lock; delete them to rebuild);
# images are imported into each fresh engine (a few seconds). Nothing is pulled from a
# registry: builds use `--pull=false` with the classic builder (DOCKER_BUILDKIT=0).
# dockerd runs with --bridge=none --iptables=false: use --network=none or --network=host with
# servers bound to 127.0.0.1.
#
# Functions print "docker.bash: what failed" on stderr and return non-zero; they never exit.
# If the test sets its own EXIT trap after docker_start, it must call docker_stop in it.

: "${SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"
: "${BUILD:=$SRC/build}"
DOCKER_CLIENT=${DOCKER_CLIENT:-/usr/bin/docker}   # docker.io's client, the daemon's version
DOCKER_IMAGES_CACHE=${DOCKER_IMAGES_CACHE:-$BUILD/images}
DOCKER_DIR=""
export DOCKER_BUILDKIT=0

_dk_say() { echo "docker.bash: $*" >&2; }

docker() { command "$DOCKER_CLIENT" "$@"; }

# _dk_wait_gone PID TENTHS: waits until PID is gone; 1 if it is still there.
_dk_wait_gone() {
    local i
    for ((i = 0; i < $2; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    return 1
}

# _dk_stop_dir DIR: stops the engine of DIR (containers, dockerd, containerd, shims), unmounts
# what it left, removes DIR. Safe to call twice and on a half-started engine.
_dk_stop_dir() {
    local dir=$1 pid ids m
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    if [ -S "$dir/docker.sock" ] && [ -f "$dir/dockerd.pid" ] && kill -0 "$(cat "$dir/dockerd.pid")" 2>/dev/null; then
        ids=$(timeout 20 "$DOCKER_CLIENT" -H "unix://$dir/docker.sock" ps -aq 2>/dev/null || true)
        # shellcheck disable=SC2086
        [ -z "$ids" ] || timeout 60 "$DOCKER_CLIENT" -H "unix://$dir/docker.sock" rm -f $ids >/dev/null 2>&1 || true
    fi
    for f in dockerd.pid containerd.pid; do
        [ -f "$dir/$f" ] || continue
        pid=$(cat "$dir/$f" 2>/dev/null)
        [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || continue
        kill -TERM "$pid" 2>/dev/null
        _dk_wait_gone "$pid" 200 || { _dk_say "${f%.pid} (pid $pid) ignored SIGTERM for 20 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null; }
    done
    # containerd-shim-runc-v2 outlives containerd by design; ours name our socket.
    for pid in $(pgrep -f -- "-address $dir/containerd.sock" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    for m in $(findmnt -rn -o TARGET 2>/dev/null | grep -F "$dir/" | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$dir" 2>/dev/null || _dk_say "could not remove $dir completely"
}

docker_stop() {
    [ -n "$DOCKER_DIR" ] || return 0
    _dk_stop_dir "$DOCKER_DIR"
    DOCKER_DIR=""
}

# Engines of tests that were killed (ctest's timeout) are stopped by the next docker_start.
_dk_reap_stale() {
    local d owner
    for d in /tmp/vigil-docker.*; do
        [ -d "$d" ] && [ -f "$d/owner" ] || continue
        owner=$(cat "$d/owner")
        kill -0 "$owner" 2>/dev/null && continue
        _dk_say "stopping a stale engine in $d (its test, pid $owner, is gone)"
        _dk_stop_dir "$d"
    done
}

docker_start() {
    local d i
    for c in containerd dockerd "$DOCKER_CLIENT"; do
        command -v "$c" >/dev/null || { _dk_say "$c not found (apt-get install -y docker.io containerd)"; return 1; }
    done
    [ "$(id -u)" -eq 0 ] || { _dk_say "dockerd needs root"; return 1; }
    _dk_reap_stale
    # Short path: unix socket paths (containerd's, dockerd's) are limited to 107 bytes.
    d=$(mktemp -d /tmp/vigil-docker.XXXXXX) || { _dk_say "mktemp failed"; return 1; }
    DOCKER_DIR=$d
    echo $$ >"$d/owner"
    # Keep the test's own EXIT trap (e.g. common.bash's), but only at top level: in a
    # subshell, `trap -p` shows the parent's trap, which must not run twice.
    local prev=""
    if [ "$BASHPID" = "$$" ]; then
        eval "set -- $(trap -p EXIT)"   # trap -- 'CMD' EXIT, quoted for re-use
        [ $# -ge 3 ] && prev=$3
    fi
    # shellcheck disable=SC2064
    trap "docker_stop; $prev" EXIT

    cat >"$d/containerd.toml" <<EOF
version = 2
root = "$d/containerd-root"
state = "$d/containerd-state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
    containerd --config "$d/containerd.toml" >"$d/containerd.log" 2>&1 &
    echo $! >"$d/containerd.pid"
    for ((i = 0; i < 300; i++)); do
        [ -S "$d/containerd.sock" ] && break
        kill -0 "$(cat "$d/containerd.pid")" 2>/dev/null || break
        sleep 0.1
    done
    if [ ! -S "$d/containerd.sock" ]; then
        _dk_say "containerd did not come up within 30 s; its log:"; tail -20 "$d/containerd.log" >&2
        docker_stop; return 1
    fi

    # An empty config file: the host's /etc/docker/daemon.json must not change the test.
    echo '{}' >"$d/daemon.json"
    mkdir -p "$d/client"
    dockerd --config-file "$d/daemon.json" --containerd "$d/containerd.sock" \
        --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/dockerd.pid" \
        -H "unix://$d/docker.sock" --bridge=none --iptables=false --ip-masq=false \
        --userland-proxy=false --log-level=warn >"$d/dockerd.log" 2>&1 &
    local dpid=$!
    export DOCKER_HOST="unix://$d/docker.sock" DOCKER_CONFIG="$d/client"
    for ((i = 0; i < 600; i++)); do
        docker version >/dev/null 2>&1 && break
        kill -0 "$dpid" 2>/dev/null || break
        sleep 0.1
    done
    if ! docker version >/dev/null 2>&1; then
        if kill -0 "$dpid" 2>/dev/null; then _dk_say "dockerd did not answer within 60 s; its log:"
        else _dk_say "dockerd exited during start-up; its log:"; fi
        tail -20 "$d/dockerd.log" >&2
        [ -f "$d/dockerd.pid" ] || echo "$dpid" >"$d/dockerd.pid"
        docker_stop; return 1
    fi
    echo "docker.bash: engine $(docker version -f '{{.Server.Version}}') in $d"
}

# _dk_lock: serialises cache builds between concurrent tests (fd 9 stays open until unlock).
_dk_lock() {
    mkdir -p "$DOCKER_IMAGES_CACHE" || { _dk_say "cannot create $DOCKER_IMAGES_CACHE"; return 1; }
    exec 9>"$DOCKER_IMAGES_CACHE/.lock"
    flock -w 1500 9 || { _dk_say "waited 25 min for $DOCKER_IMAGES_CACHE/.lock"; exec 9>&-; return 1; }
}
_dk_unlock() { exec 9>&-; }

# apt's mirror (deb822 or one-line format), so debootstrap uses what this machine already trusts.
debian_mirror() {
    local uri
    uri=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -m1 debian || true)
    [ -n "$uri" ] || uri=$(grep -hsE '^deb +(\[[^]]*\] +)?https?://' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        | sed -E 's/^deb +(\[[^]]*\] +)?//' | awk '{print $1}' | grep -m1 debian || true)
    echo "${DEBIAN_MIRROR:-${uri:-http://deb.debian.org/debian}}"
}

# rootfs_minbase: prints the path of the cached bookworm minbase tar, building it if absent.
rootfs_minbase() {
    local tar=$DOCKER_IMAGES_CACHE/bookworm-minbase.tar tmp mirror
    [ -s "$tar" ] && { echo "$tar"; return 0; }
    command -v debootstrap >/dev/null || { _dk_say "debootstrap is not installed"; return 1; }
    _dk_lock || return 1
    if [ ! -s "$tar" ]; then
        mirror=$(debian_mirror)
        tmp=$(mktemp -d "$DOCKER_IMAGES_CACHE/minbase.XXXXXX")
        _dk_say "debootstrap --variant=minbase bookworm from $mirror (cached in $tar)"
        if ! timeout 900 debootstrap --variant=minbase bookworm "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
            _dk_say "debootstrap failed or took over 15 min; its log:"; tail -20 "$tmp/debootstrap.log" >&2
            rm -rf "$tmp"; _dk_unlock; return 1
        fi
        # The image's apt uses the same mirror; no downloaded .debs in the image.
        echo "deb $mirror bookworm main" >"$tmp/root/etc/apt/sources.list"
        rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*
        tar -C "$tmp/root" -cf "$tmp/root.tar" . && mv "$tmp/root.tar" "$tar"
        rm -rf "$tmp"
    fi
    _dk_unlock
    [ -s "$tar" ] || { _dk_say "no $tar after the build"; return 1; }
    echo "$tar"
}

# rootfs_jre [JAVA_HOME]: prints the path of a cached distroless-like JRE root tar: JAVA_HOME
# without the development parts (symlinks resolved), the shared libraries its programs and
# libraries link, the dynamic loader, /etc/passwd + /etc/group (root, nonroot 65532), /tmp,
# /home/nonroot, /usr/bin/java. No shell, no package manager.
rootfs_jre() {
    local jh=${1:-/usr/lib/jvm/java-17-openjdk-amd64} key tar tmp lib
    [ -x "$jh/bin/java" ] || { _dk_say "no JRE at $jh (bin/java missing)"; return 1; }
    key=$(basename "$jh")-$(cat "$jh/release" "$jh/bin/java" 2>/dev/null | sha256sum | cut -c1-12)
    tar=$DOCKER_IMAGES_CACHE/jre-$key.tar
    [ -s "$tar" ] && { echo "$tar"; return 0; }
    _dk_lock || return 1
    if [ ! -s "$tar" ]; then
        tmp=$(mktemp -d "$DOCKER_IMAGES_CACHE/jre.XXXXXX")
        local r=$tmp/root
        mkdir -p "$r$jh" "$r/etc" "$r/tmp" "$r/home/nonroot" "$r/usr/bin"
        # -h: conf/ and lib/security/cacerts are symlinks into /etc on Debian.
        tar -C "$jh" -ch --exclude=./jmods --exclude=./include --exclude=./man --exclude=./docs \
            --exclude=./demo --exclude=./lib/src.zip --exclude=./lib/ct.sym --exclude='./lib/libatk-wrapper.so' . 2>"$tmp/tar.log" \
            | tar -C "$r$jh" -x
        [ -x "$r$jh/bin/java" ] || { _dk_say "copying $jh failed:"; tail -5 "$tmp/tar.log" >&2; rm -rf "$tmp"; _dk_unlock; return 1; }
        # Every library the JRE's programs and libraries link (what ldd cannot find, e.g. X11
        # for AWT, stays missing: a headless server never loads it).
        find "$r$jh" -type f \( -name '*.so' -o -perm -u+x \) -print0 \
            | xargs -0 ldd 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}' \
            | sort -u >"$tmp/libs"
        echo /lib64/ld-linux-x86-64.so.2 >>"$tmp/libs"
        # glibc loads libgcc_s at run time (thread cancellation / unwinding).
        ls /lib/x86_64-linux-gnu/libgcc_s.so.1 >>"$tmp/libs" 2>/dev/null
        while read -r lib; do
            [ -e "$lib" ] || continue
            mkdir -p "$r$(dirname "$lib")" && cp -L "$lib" "$r$lib"
        done <"$tmp/libs"
        # usrmerge layout, as Debian 12: /lib and /lib64 are links into /usr.
        if [ -L /lib ] && [ -d "$r/lib" ] && [ ! -L "$r/lib" ]; then
            mkdir -p "$r/usr/lib" && cp -a "$r/lib/." "$r/usr/lib/" && rm -rf "$r/lib" && ln -s usr/lib "$r/lib"
        fi
        if [ -L /lib64 ] && [ -d "$r/lib64" ] && [ ! -L "$r/lib64" ]; then
            mkdir -p "$r/usr/lib64" && cp -a "$r/lib64/." "$r/usr/lib64/" && rm -rf "$r/lib64" && ln -s usr/lib64 "$r/lib64"
        fi
        ln -s "$jh/bin/java" "$r/usr/bin/java"
        printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$r/etc/passwd"
        printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$r/etc/group"
        printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$r/etc/nsswitch.conf"
        printf '127.0.0.1 localhost\n::1 localhost\n' >"$r/etc/hosts"
        cp /etc/os-release "$r/etc/os-release" 2>/dev/null
        chmod 1777 "$r/tmp"
        chown 65532:65532 "$r/home/nonroot"
        tar -C "$r" -cf "$tmp/root.tar" . && mv "$tmp/root.tar" "$tar"
        rm -rf "$tmp"
    fi
    _dk_unlock
    [ -s "$tar" ] || { _dk_say "no $tar after the build"; return 1; }
    echo "$tar"
}

# _dk_import TAR NAME [CHANGE...]: imports TAR as image NAME into the running engine.
_dk_import() {
    local tar=$1 name=$2 out; shift 2
    local changes=()
    for c in "$@"; do changes+=(--change "$c"); done
    [ -n "$DOCKER_DIR" ] || { _dk_say "no engine: call docker_start first"; return 1; }
    out=$(docker import "${changes[@]}" "$tar" "$name" 2>&1) || { _dk_say "docker import $tar $name failed: $out"; return 1; }
}

image_minbase() {
    local tar
    tar=$(rootfs_minbase) || return 1
    _dk_import "$tar" "${1:?image name}" 'CMD ["/bin/bash"]'
}

image_jre() {
    local name=${1:?image name} jh=${2:-/usr/lib/jvm/java-17-openjdk-amd64} tar
    tar=$(rootfs_jre "$jh") || return 1
    _dk_import "$tar" "$name" "ENV JAVA_HOME=$jh" \
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$jh/bin" \
        'ENV LANG=C.UTF-8' 'USER 65532:65532' 'WORKDIR /home/nonroot'
}

# vigil_static: builds the static vigil in $BUILD/static (under the cache lock), prints its path.
vigil_static() {
    local s=$BUILD/static
    _dk_lock || return 1
    if [ ! -f "$s/CMakeCache.txt" ]; then
        cmake -S "$SRC" -B "$s" -DVIGIL_STATIC=ON -DVIGIL_TESTS=OFF -DCMAKE_BUILD_TYPE=Release >"$DOCKER_IMAGES_CACHE/static-configure.log" 2>&1 \
            || { _dk_say "configuring the static build failed:"; tail -20 "$DOCKER_IMAGES_CACHE/static-configure.log" >&2; _dk_unlock; return 1; }
    fi
    if ! cmake --build "$s" -j2 --target vigil >"$DOCKER_IMAGES_CACHE/static-build.log" 2>&1; then
        _dk_say "building the static vigil failed:"; grep -E 'error|Error' "$DOCKER_IMAGES_CACHE/static-build.log" | head -20 >&2
        _dk_unlock; return 1
    fi
    _dk_unlock
    if readelf -l "$s/vigil" | grep -q 'program interpreter'; then _dk_say "$s/vigil is not static"; return 1; fi
    echo "$s/vigil"
}

# image_vigil NAME: /vigil (static) and /etc/vigil/*.toml, as docker/Dockerfile.vigil lays
# them out, for `COPY --from=NAME /vigil /vigil` in the images under test.
image_vigil() {
    local name=${1:?image name} bin root
    bin=$(vigil_static) || return 1
    root=$(mktemp -d /tmp/vigil-image.XXXXXX)
    mkdir -p "$root/etc/vigil"
    install -m 0755 "$bin" "$root/vigil"
    cp "$SRC"/profiles/*.toml "$root/etc/vigil/"
    tar -C "$root" -cf "$root.tar" . 
    _dk_import "$root.tar" "$name" 'ENTRYPOINT ["/vigil"]' 'CMD ["--help"]'
    local rc=$?
    rm -rf "$root" "$root.tar"
    return $rc
}
