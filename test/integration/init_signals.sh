#!/usr/bin/env bash
# Signals: every catchable signal sent to vigil reaches the app; -g reaches the whole group;
# the app's signal mask is restored; a signal sent by the app to vigil does not stop vigil;
# a signal sent in vigil's first milliseconds is not lost.
# labels: integration;init
# timeout: 300
. "$(dirname "$0")/lib/common.bash"

SIGNALS="HUP INT QUIT USR1 PIPE ALRM TERM CONT TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS RTMIN RTMAX"

for mode in $MODES; do
    out="$TMP/$mode.signals"; : >"$out"
    in_mode "$mode" "$VIGIL" -- "$PROBE" signals "$out" &
    launcher=$!
    vpid=$(vigil_pid_of "$launcher" "$mode")
    wait_for_line "$out" '^ready' || fail "$mode: probe never became ready"
    for s in $SIGNALS; do
        n=$(kill -l "$s")
        kill -s "$s" "$vpid"
        wait_for_line "$out" "^SIG $n\$" 30 || fail "$mode: SIG$s ($n) not forwarded"
    done
    kill -USR2 "$vpid"
    wait "$launcher"; expect_eq "$mode: probe exits 0 on USR2" 0 $?
    expect_eq "$mode: every signal seen once" "$(echo $SIGNALS | wc -w)" "$(grep -c '^SIG [0-9]' "$out" | awk '{print $1-1}')"

    # Process-group forwarding: without -g only the app, with -g its child too.
    for g in no yes; do
        out="$TMP/$mode.group.$g"; : >"$out"
        flag=""; [ $g = yes ] && flag=-g
        in_mode "$mode" "$VIGIL" $flag -- "$PROBE" group "$out" &
        launcher=$!
        vpid=$(vigil_pid_of "$launcher" "$mode")
        wait_for_line "$out" '^ready' || fail "$mode/$g: group probe not ready"
        kill -USR1 "$vpid"
        wait_for_line "$out" '^SIG 10$' 30 || fail "$mode/$g: app did not get USR1"
        sleep 0.3
        if [ $g = yes ]; then expect_grep "$mode: -g reaches the child" '^child SIG 10$' "$out"
        else expect_eq "$mode: without -g the child is left alone" 0 "$(grep -c '^child SIG 10' "$out")"; fi
        kill -USR2 "$vpid"; sleep 0.2; kill -TERM "$vpid" 2>/dev/null
        wait "$launcher"
    done

    # The app's mask is restored: nothing blocked, and SIG_IGN of SIGCHLD is not inherited.
    in_mode "$mode" "$VIGIL" -- "$PROBE" status >"$TMP/status"
    expect_grep "$mode: mask restored" '^SigBlk:[[:space:]]+0+$' "$TMP/status"
    expect_grep "$mode: nothing ignored" '^SigIgn:[[:space:]]+0+$' "$TMP/status"
    # An inherited SIG_IGN (here SIGINT from a non-interactive shell's background job) passes on.
    (trap '' INT; in_mode "$mode" "$VIGIL" -- "$PROBE" status) >"$TMP/status2"
    expect_grep "$mode: inherited SIG_IGN kept" '^SigIgn:[[:space:]]+0+2$' "$TMP/status2"

    # The app signalling vigil: TERM, INT, HUP, USR1 to its parent do not stop vigil.
    for s in TERM INT HUP USR1 QUIT; do
        in_mode "$mode" "$VIGIL" -- "$PROBE" kill-parent "$(kill -l $s)" 2>"$TMP/err"
        expect_eq "$mode: app sends SIG$s to vigil, vigil keeps going" 0 $?
    done
    expect_grep "$mode: logged" 'ignored signal' "$TMP/err"
done

# Signals sent in the first milliseconds: never lost (the app ends well before its 3 s sleep).
for mode in $MODES; do
    lost=0
    for i in $(seq 40); do
        start=$(date +%s%N)
        in_mode "$mode" "$VIGIL" -- sleep 3 &
        launcher=$!
        kill -TERM "$(vigil_pid_of "$launcher")"  # as soon as vigil has exec'd
        wait "$launcher"; rc=$?
        elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
        # 143 proves the TERM reached sleep; a lost signal would show as 0 after 3 s.
        if [ "$rc" -ne 143 ]; then lost=$((lost + 1)); echo "run $i: rc=$rc ${elapsed}ms" >&2; fi
    done
    expect_eq "$mode: early SIGTERM never lost (40 runs)" 0 "$lost"
done
finish
