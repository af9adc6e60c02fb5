# HAPI FHIR under vigil, for the hapi_* tests (sourced, not a test itself).
#
#   source "$SRC/test/integration/lib/hapi.bash"
#   hapi_netns                      a network namespace of the test's own (loopback only, up);
#                                   inns CMD... runs CMD in it
#   hapi_start PROFILE              vigil run -p LAYER -- examples/hapi-fhir/run.sh on
#                                   127.0.0.1:8080 in that namespace, vigil as PID 1 of a new PID
#                                   namespace, LAYER being PROFILE plus this checkout's paths and
#                                   port (examples/hapi-fhir/local-profile.sh, in $work/local.toml:
#                                   PROFILE's [landlock] names the image's); waits until
#                                   /fhir/metadata answers (900 s at most)
#   count_events PYTHON_CONDITION   audit events (JSON lines in $audit) for which it holds on e
#   hapi_stop                       SIGTERM to vigil, waits; sets $stop_status
# Needs $work (a temp dir), $BUILD, $VIGIL, $app and the test's fail/die functions. The caller's
# EXIT trap calls hapi_cleanup.
port=8080
base=http://127.0.0.1:$port/fhir
audit=$work/audit.jsonl
vigil_pid=
launcher=
netns_pid=
denials='e.get("outcome") in ("denied", "killed")'

inns() { nsenter --net="/proc/$netns_pid/ns/net" -- "$@"; }

hapi_netns() {
    unshare --net sleep 3600 &
    netns_pid=$!
    sleep 0.2
    inns ip link set lo up || die "cannot bring up loopback in the test's network namespace"
}

hapi_start() {
    local profile=$1 p started
    "$app/local-profile.sh" "$work/local.toml" "$port" "$BUILD/hapi-fhir" "$profile" \
        || die "examples/hapi-fhir/local-profile.sh failed"
    nsenter --net="/proc/$netns_pid/ns/net" -- unshare --pid --fork --mount-proc --kill-child \
        "$VIGIL" run -p "$work/local.toml" --audit "$audit" -- \
        "$app/run.sh" "$BUILD/hapi-fhir" "$port" >"$work/hapi.log" 2>&1 &
    launcher=$!
    # The launcher is nsenter/unshare; signals go to vigil itself (PID 1 of the new namespace).
    for _ in $(seq 100); do
        for p in $(pgrep -P "$launcher"); do
            [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$(readlink -f "$VIGIL")" ] && vigil_pid=$p
        done
        [ -n "$vigil_pid" ] && break
        sleep 0.1
    done
    [ -n "$vigil_pid" ] || die "no vigil process under the launcher $launcher"
    started=$SECONDS
    until inns curl -sf -o /dev/null -m 10 "$base/metadata"; do
        if ! kill -0 "$launcher" 2>/dev/null; then
            tail -40 "$work/hapi.log" >&2
            die "vigil exited during HAPI's start-up (log above)"
        fi
        [ $((SECONDS - started)) -lt 900 ] || { tail -20 "$work/hapi.log" >&2; die "no answer on $base/metadata after 900 s"; }
        sleep 2
    done
    echo "HAPI answered after $((SECONDS - started)) s"
}

count_events() {
    python3 - "$audit" "$1" <<'EOF'
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if eval(sys.argv[2], {"json": json}, {"e": e}):
        n += 1
print(n)
EOF
}

# expect_no_denials WHAT: fails (printing them) if the audit trail holds any denial.
expect_no_denials() {
    local n
    n=$(count_events "$denials")
    if [ "$n" -ne 0 ]; then
        fail "$n denials in the audit trail for $1:"
        grep -E '"outcome":"(denied|killed)"' "$audit" | head -10 >&2
    fi
}

hapi_stop() {
    kill -TERM "$vigil_pid"
    stop_status=0
    wait "$launcher" || stop_status=$?
    vigil_pid=
}

hapi_cleanup_server() {
    # vigil is PID 1 of its namespace: killing it ends HAPI too. If it was never found, the
    # launcher (unshare --kill-child) takes its child down with it.
    [ -n "$vigil_pid" ] && kill -KILL "$vigil_pid" 2>/dev/null
    [ -n "$launcher" ] && kill -KILL "$launcher" 2>/dev/null
    [ -n "$launcher" ] && wait "$launcher" 2>/dev/null
    return 0
}
hapi_cleanup_netns() {
    [ -n "$netns_pid" ] || return 0
    kill -KILL "$netns_pid" 2>/dev/null
    wait "$netns_pid" 2>/dev/null
}
hapi_cleanup() { hapi_cleanup_server; hapi_cleanup_netns; }
