# Shared helpers for vigil's integration tests (sourced, not a test itself).
set -u
: "${VIGIL:?VIGIL must point at the vigil binary}" "${HELPERS:?HELPERS must point at the helper dir}"
PROBE="$HELPERS/init_probe"
TMP=$(mktemp -d /tmp/vigil-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
FAILS=0
PASSES=0

pass() { PASSES=$((PASSES + 1)); }
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
# expect_eq WHAT EXPECTED ACTUAL
expect_eq() { if [ "$2" == "$3" ]; then pass; else fail "$1: expected '$2', got '$3'"; fi; }
expect_grep() { if grep -qE "$2" "$3"; then pass; else fail "$1: no line matching '$2' in $3:"; sed 's/^/    /' "$3" >&2; fi; }

# The two ways vigil runs: as PID 1 of a fresh PID namespace, and as a plain child (subreaper).
MODES="pid1 child"
# in_mode MODE CMD...: runs CMD in that mode (CMD is vigil's command line, vigil itself included).
in_mode() {
    local mode=$1; shift
    if [ "$mode" = pid1 ]; then unshare --pid --fork --mount-proc --kill-child "$@"; else "$@"; fi
}

# vigil_pid_of LAUNCHER_PID MODE: the pid (in our namespace) of the vigil process that
# LAUNCHER (a background job: a subshell, maybe unshare, then vigil) started.
vigil_pid_of() {
    local launcher=$1 pid
    for _ in $(seq 300); do
        for pid in $launcher $(pgrep -P "$launcher") $(pgrep -P "$(pgrep -P "$launcher" | head -n1)" 2>/dev/null); do
            if [ "$(cat /proc/$pid/comm 2>/dev/null)" = vigil ]; then echo "$pid"; return; fi
        done
        sleep 0.01
    done
}

# wait_for_line FILE REGEX [TENTHS]: waits until FILE has a matching line.
wait_for_line() {
    local n=${3:-100}
    for _ in $(seq "$n"); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}

finish() {
    echo "$PASSES passed, $FAILS failed"
    [ "$FAILS" -eq 0 ]
}
