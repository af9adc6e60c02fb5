#!/bin/bash
# `vigil up` as PID 1 of a PID namespace (and as a plain child, a subreaper): services start in
# dependency order (a dependent only once its dependency is ready per its profile's
# [phases.ready]), a service that ends without a restart policy stops the others in reverse
# dependency order, vigil's exit status is the first failed service's (0 when the one that ended
# succeeded; after SIGTERM from outside, the first non-zero status of a stopped service, e.g. 137
# for one killed after its stop_timeout), orphans are reaped, every line keeps the service's name.
# labels: integration;services
# timeout: 120
source "$(dirname "$0")/lib/common.bash"
P=$HELPERS/services_probe

cat >"$TMP/ready_on_line.toml" <<'TOML'
[phases.ready]
output_match = "db accepting connections"
TOML

# up MODE FILE OUT: vigil up FILE in MODE (pid1 or child), at most 30 s, output to OUT.
up() { timeout 30 bash -c 'm=$1; shift; if [ "$m" = pid1 ]; then exec unshare --pid --fork --mount-proc --kill-child "$@"; else exec "$@"; fi' _ "$1" "$VIGIL" up "$2" >"$3" 2>&1; }
# line_no FILE REGEX: the number of the first line matching REGEX (empty if none).
line_no() { grep -nE "$2" "$1" | head -n1 | cut -d: -f1; }
# expect_before WHAT FILE REGEX1 REGEX2: REGEX1's first line comes before REGEX2's.
expect_before() {
    local a b
    a=$(line_no "$2" "$3")
    b=$(line_no "$2" "$4")
    if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; then pass; else
        fail "$1: '$3' (line ${a:-none}) should come before '$4' (line ${b:-none}) in:"
        sed 's/^/    /' "$2" >&2
    fi
}

for mode in $MODES; do
    # 1. Dependency order, then a worker that fails: stop order and exit status.
    cat >"$TMP/chain.toml" <<TOML
[[service]]
name = "web"
command = ["$P", "print:web-up", "hang"]
depends_on = ["db"]

[[service]]
name = "worker"
command = ["$P", "print:worker-up", "sleep:300", "exit:3"]
depends_on = ["web"]

[[service]]
name = "db"
command = ["$P", "sleep:300", "print:db accepting connections", "hang"]
profile = "ready_on_line.toml"
TOML
    out=$TMP/chain.$mode.out
    up "$mode" "$TMP/chain.toml" "$out"
    expect_eq "$mode chain: exit status is the failed worker's" 3 "$?"
    expect_before "$mode chain: db ready before web starts" "$out" "service db is ready" "service web started"
    expect_before "$mode chain: web ready before worker starts" "$out" "service web is ready" "service worker started"
    expect_grep "$mode chain: db's line keeps its name" "^db \| db accepting connections$" "$out"
    expect_grep "$mode chain: worker's line keeps its name" "^worker \| worker-up$" "$out"
    expect_grep "$mode chain: the worker's end stops the others" "service worker exited with status 3 .*stopping the other services" "$out"
    expect_before "$mode chain: web stops before db" "$out" "stopping service web" "stopping service db"
    expect_before "$mode chain: db is stopped only after web has ended" "$out" "service web exited" "stopping service db"

    # 2. A service that ends successfully: the others are stopped, exit status 0.
    cat >"$TMP/oneshot.toml" <<TOML
[[service]]
name = "server"
command = ["$P", "orphan", "hang"]

[[service]]
name = "job"
command = ["$P", "sleep:200", "print:job-done", "exit:0"]
TOML
    out=$TMP/oneshot.$mode.out
    up "$mode" "$TMP/oneshot.toml" "$out"
    expect_eq "$mode oneshot: exit status" 0 "$?"
    expect_grep "$mode oneshot" "stopping service server" "$out"
    expect_grep "$mode oneshot: orphan left" "^server \| orphan left$" "$out"

    # 3. Stopped from outside: a service that ignores SIGTERM is killed after its stop_timeout
    #    and its 137 is vigil's status; the well-behaved one exits 0 on SIGTERM.
    cat >"$TMP/stubborn.toml" <<TOML
[[service]]
name = "polite"
command = ["$P", "print:polite-up", "hang"]

[[service]]
name = "stubborn"
command = ["$P", "stubborn", "print:stubborn-up", "hang"]
stop_timeout = "300ms"
TOML
    out=$TMP/stubborn.$mode.out
    in_mode "$mode" "$VIGIL" up "$TMP/stubborn.toml" >"$out" 2>&1 &
    launcher=$!
    wait_for_line "$out" "stubborn \| stubborn-up" && wait_for_line "$out" "polite \| polite-up" || fail "$mode stubborn: services did not start"
    vpid=$(vigil_pid_of "$launcher" "$mode")
    kill -TERM "$vpid"
    wait "$launcher"
    expect_eq "$mode stubborn: exit status 128+SIGKILL" 137 "$?"
    expect_grep "$mode stubborn" "service stubborn did not stop within 300 ms: SIGKILL" "$out"
    expect_grep "$mode stubborn" "service polite exited with status 0" "$out"
done

# 4. As PID 1: orphans of a service are reaped while the services run (no zombie left).
cat >"$TMP/orphans.toml" <<TOML
[[service]]
name = "parent"
command = ["$P", "orphan", "orphan", "orphan", "print:orphans-left", "hang"]
TOML
out=$TMP/orphans.out
unshare --pid --fork --mount-proc --kill-child "$VIGIL" up "$TMP/orphans.toml" >"$out" 2>&1 &
launcher=$!
wait_for_line "$out" "parent \| orphans-left" || fail "orphans: service did not start"
sleep 0.6  # the grandchildren end 0.2 s after they are left
vpid=$(vigil_pid_of "$launcher" pid1)
zombies=$(ps -o stat= --ppid "$vpid" | grep -c '^Z' || true)
expect_eq "orphans: zombies under vigil" 0 "$zombies"
kill -TERM "$vpid"
wait "$launcher"
expect_eq "orphans: exit status after SIGTERM" 0 "$?"

finish
