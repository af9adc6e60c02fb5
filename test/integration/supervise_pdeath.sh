#!/usr/bin/env bash
# --pdeath-signal SIG (tini's -p): vigil asks the kernel for SIG when its own parent dies, and
# handles it as a signal from outside (forwarded; TERM stops the app). VIGIL_PDEATH_SIGNAL and
# [supervise] pdeath_signal; bad names exit 125. As PID 1 (the parent is unshare) and as a
# plain child (the parent is a shell).
# labels: integration;supervise
# timeout: 120
. "$(dirname "$0")/lib/common.bash"

# start_under_parent MODE OUT OPTS...: a shell (its own session) starts vigil OPTS -- probe
# and waits; prints the shell's pid (= the session id). In pid1 mode vigil's parent is unshare.
start_under_parent() {
    local mode=$1 out=$2; shift 2
    : >"$out"
    setsid bash -c 'm=$1; shift; if [ "$m" = pid1 ]; then unshare --pid --fork --mount-proc "$@" & else "$@" & fi; wait' \
        _ "$mode" "$VIGIL" -t 500ms "$@" -- "$PROBE" signals "$out" >/dev/null 2>"$TMP/err" &
    echo $!
}

for mode in $MODES; do
    for how in flag env; do
        out="$TMP/$mode.$how"
        if [ $how = flag ]; then
            parent=$(start_under_parent "$mode" "$out" --pdeath-signal TERM)
        else
            parent=$(VIGIL_PDEATH_SIGNAL=SIGTERM start_under_parent "$mode" "$out")
        fi
        wait_for_line "$out" '^ready' || fail "$mode/$how: probe not ready"
        # The direct parent of vigil: unshare in pid1 mode, the inner bash otherwise.
        vpid=""
        for _ in $(seq 100); do vpid=$(pgrep -x vigil -s "$parent" | head -n1); [ -n "$vpid" ] && break; sleep 0.05; done
        vparent=$(awk '/^PPid:/ {print $2}' "/proc/$vpid/status")
        kill -KILL "$vparent"
        if wait_for_line "$out" '^SIG 15$' 50; then pass; else fail "$mode/$how: the app got no TERM when vigil's parent died"; fi
        for _ in $(seq 100); do kill -0 "$vpid" 2>/dev/null || break; sleep 0.05; done
        if kill -0 "$vpid" 2>/dev/null; then fail "$mode/$how: vigil still runs"; kill -KILL "$vpid"; else pass; fi
        wait "$parent" 2>/dev/null
    done
done

# Without the option nothing is sent when the parent dies.
out="$TMP/none"
parent=$(start_under_parent child "$out")
wait_for_line "$out" '^ready' || fail "probe not ready"
for _ in $(seq 100); do vpid=$(pgrep -x vigil -s "$parent" | head -n1); [ -n "$vpid" ] && break; sleep 0.05; done
kill -KILL "$(awk '/^PPid:/ {print $2}' "/proc/$vpid/status")"
sleep 0.5
expect_eq "no --pdeath-signal: the app is left alone" 0 "$(grep -c '^SIG 15$' "$out")"
kill -USR2 "$vpid"; for _ in $(seq 100); do kill -0 "$vpid" 2>/dev/null || break; sleep 0.05; done

printf '[supervise]\npdeath_signal = "NOPE"\n' >"$TMP/bad.toml"
"$VIGIL" -p "$TMP/bad.toml" -- true 2>"$TMP/err"
expect_eq "bad profile pdeath_signal: 125" 125 $?
expect_grep "FILE:LINE:COL" 'bad.toml:2:[0-9]+: supervise.pdeath_signal: unknown signal' "$TMP/err"
"$VIGIL" --pdeath-signal SIGFOO -- true 2>"$TMP/err"
expect_eq "bad --pdeath-signal: 125" 125 $?
expect_grep "names the option" "error: --pdeath-signal: unknown signal 'SIGFOO'" "$TMP/err"
finish
