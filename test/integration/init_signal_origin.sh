#!/usr/bin/env bash
# A process inside the app cannot make vigil forward a signal as if the operator had sent it:
# queued signals (any si_code <= 0, whose si_pid the sender writes itself, SI_MESGQ included),
# I/O signals it points at vigil with F_SETOWN, and kill() from a process whose name hides its
# parent in /proc/PID/stat (a newline and a ')') are all ignored, with a rate-limited log line.
# Signals from outside still reach the app (init_signals.sh).
# labels: integration;init
. "$(dirname "$0")/lib/common.bash"
LP="$HELPERS/launch_probe"
for mode in $MODES; do
    # si_code: SI_MESGQ -3 (the issue's case, honest pid), SI_QUEUE -1 with a forged pid 0 (looks
    # like a sender outside the namespace), SI_ASYNCIO -4, SI_SIGIO -5, SI_TIMER -2.
    for c in "-3 -1" "-1 0" "-4 0" "-5 0" "-2 0"; do
        out=$(in_mode "$mode" "$VIGIL" -- "$LP" sigqueue 15 $c 2>"$TMP/err"); rc=$?
        expect_eq "$mode: SIGTERM queued with si_code/si_pid $c is not forwarded back" "not received/0" "$out/$rc"
        expect_grep "$mode: si_code $c: the ignored signal is logged" 'ignored signal 15 \(TERM\)' "$TMP/err"
    done
    out=$(in_mode "$mode" "$VIGIL" -- "$LP" fsetown 15 2>"$TMP/err"); rc=$?
    expect_eq "$mode: an F_SETOWN I/O signal is not forwarded" "not received/0" "$out/$rc"
    out=$(in_mode "$mode" "$VIGIL" -- "$LP" kill-renamed 15 2>"$TMP/err"); rc=$?
    expect_eq "$mode: kill() from a process named 'a\\nb) S 1' is recognised as the app's" "not received/0" "$out/$rc"
    # A flood costs a few log lines and one count, not a line per signal.
    out=$(in_mode "$mode" "$VIGIL" -- "$LP" flood 10 300 2>"$TMP/err"); rc=$?
    expect_eq "$mode: flood of 300 SIGUSR1 not forwarded" "not received/0" "$out/$rc"
    lines=$(grep -c 'ignored signal' "$TMP/err")
    [ "$lines" -le 10 ] && pass || fail "$mode: $lines log lines for a flood (rate limit: 5 a second)"
    expect_grep "$mode: the rest is counted" 'more signals to vigil from inside the sandbox were ignored' "$TMP/err"
done
finish
