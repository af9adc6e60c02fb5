#!/usr/bin/env bash
# Reaping and shutdown: 100 orphaned grandchildren reaped; stop timeout escalates to SIGKILL;
# leftover processes are stopped when the app exits; no fd of vigil's leaks into the app.
# labels: integration;init
# timeout: 240
. "$(dirname "$0")/lib/common.bash"
for mode in $MODES; do
    in_mode "$mode" "$VIGIL" -- "$PROBE" orphans 100; expect_eq "$mode: no zombie left of 100 orphans" 0 $?

    # An app that ignores SIGTERM is killed after the stop timeout: 137 after ~1 s.
    in_mode "$mode" "$VIGIL" -t 1s -- "$PROBE" ignore-term >"$TMP/out" &
    launcher=$!
    vpid=$(vigil_pid_of "$launcher" "$mode")
    wait_for_line "$TMP/out" '^ready' || fail "$mode: ignore-term probe not ready"
    start=$(date +%s%N)
    kill -TERM "$vpid"
    wait "$launcher"; rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    expect_eq "$mode: SIGKILL after stop timeout" 137 "$rc"
    [ "$ms" -ge 900 ] && [ "$ms" -lt 5000 ] && pass || fail "$mode: stop took ${ms} ms, expected ~1000"

    # The app exits while a background child lingers: vigil stops it and exits promptly.
    start=$(date +%s%N)
    in_mode "$mode" "$VIGIL" -t 2s -- sh -c 'sleep 60 & exit 5'
    rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    expect_eq "$mode: app status kept when leftovers are stopped" 5 "$rc"
    [ "$ms" -lt 3000 ] && pass || fail "$mode: leftover sleep not stopped (${ms} ms)"
    # A leftover that ignores SIGTERM is SIGKILLed after the grace period.
    start=$(date +%s%N)
    in_mode "$mode" "$VIGIL" -t 1s -- sh -c "$PROBE ignore-term >/dev/null & sleep 0.2; exit 6"
    rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    expect_eq "$mode: status with stubborn leftover" 6 "$rc"
    [ "$ms" -ge 900 ] && [ "$ms" -lt 4000 ] && pass || fail "$mode: stubborn leftover took ${ms} ms"
    pgrep -f "init_probe ignore-term" >/dev/null && fail "$mode: leftover survived" || pass

    # No fd of vigil's reaches the app; an inherited one (fd 7) does.
    # (compared with what the probe sees without vigil: the test shell has fds of its own).
    "$PROBE" fds >"$TMP/fds.bare" 7>"$TMP/inherited"
    in_mode "$mode" "$VIGIL" -- "$PROBE" fds >"$TMP/fds" 7>"$TMP/inherited"
    expect_eq "$mode: only inherited fds" "$(cut -d' ' -f1 "$TMP/fds.bare" | xargs)" "$(cut -d' ' -f1 "$TMP/fds" | xargs)"
    grep -q '^7 ' "$TMP/fds" && pass || fail "$mode: inherited fd 7 missing"
done

# Not PID 1: vigil says it became a subreaper.
VIGIL_LOG_LEVEL=debug "$VIGIL" -- true 2>"$TMP/log"
expect_grep "subreaper logged" 'subreaper' "$TMP/log"
VIGIL_LOG_FORMAT=json VIGIL_LOG_LEVEL=debug "$VIGIL" -- true 2>"$TMP/json"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/json"; expect_eq "json log lines parse" 0 $?
finish
