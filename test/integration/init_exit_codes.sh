#!/usr/bin/env bash
# All 256 exit codes come back unchanged, and --remap-exit / VIGIL_REMAP_EXIT turn chosen ones into 0.
# labels: integration;init
. "$(dirname "$0")/lib/common.bash"
for mode in $MODES; do
    bad=""
    for code in $(seq 0 255); do
        in_mode "$mode" "$VIGIL" -- "$PROBE" exit "$code"
        rc=$?
        [ "$rc" -eq "$code" ] || bad="$bad $code->$rc"
    done
    expect_eq "$mode: all 256 exit codes" "" "$bad"
    in_mode "$mode" "$VIGIL" -e 3 -- "$PROBE" exit 3; expect_eq "$mode: -e 3 remaps 3" 0 $?
    in_mode "$mode" "$VIGIL" -e 3 -- "$PROBE" exit 4; expect_eq "$mode: -e 3 leaves 4" 4 $?
    in_mode "$mode" "$VIGIL" --remap-exit=143,130 -- sh -c 'kill -TERM $$'; expect_eq "$mode: 143 remapped" 0 $?
    VIGIL_REMAP_EXIT=7 in_mode "$mode" "$VIGIL" -- "$PROBE" exit 7; expect_eq "$mode: env remap" 0 $?
    in_mode "$mode" "$VIGIL" -- sh -c 'kill -TERM $$'; expect_eq "$mode: TERM -> 143" 143 $?
    in_mode "$mode" "$VIGIL" -- sh -c 'kill -USR1 $$'; expect_eq "$mode: USR1 -> 138" 138 $?
    in_mode "$mode" "$VIGIL" -- sh -c 'kill -USR2 $$'; expect_eq "$mode: USR2 -> 140" 140 $?
    in_mode "$mode" "$VIGIL" -- sh -c 'kill -KILL $$'; expect_eq "$mode: KILL -> 137" 137 $?
    # vigil's own failures
    in_mode "$mode" "$VIGIL" -- /nonexistent/cmd 2>"$TMP/err"; expect_eq "$mode: not found" 127 $?
    expect_grep "$mode: not-found message" "nonexistent/cmd" "$TMP/err"
    in_mode "$mode" "$VIGIL" -- no-such-command-anywhere 2>/dev/null; expect_eq "$mode: not in PATH" 127 $?
    in_mode "$mode" "$VIGIL" -- /etc/hostname 2>/dev/null; expect_eq "$mode: not executable" 126 $?
    in_mode "$mode" "$VIGIL" -- /tmp 2>/dev/null; expect_eq "$mode: a directory" 126 $?
    in_mode "$mode" "$VIGIL" --bogus -- true 2>/dev/null; expect_eq "$mode: bad option" 125 $?
    in_mode "$mode" "$VIGIL" -t 5x -- true 2>/dev/null; expect_eq "$mode: bad duration" 125 $?
    in_mode "$mode" "$VIGIL" -e 300 -- true 2>/dev/null; expect_eq "$mode: bad exit code" 125 $?
    VIGIL_LOG_LEVEL=loud in_mode "$mode" "$VIGIL" -- true 2>/dev/null; expect_eq "$mode: bad log level" 125 $?
done
"$VIGIL" 2>/dev/null; expect_eq "no command" 125 $?
"$VIGIL" --version | grep -q "^vigil "; expect_eq "--version" 0 $?
"$VIGIL" --help | grep -q "usage:"; expect_eq "--help" 0 $?
"$VIGIL" run --help | grep -q -- "--stop-timeout"; expect_eq "run --help" 0 $?
"$VIGIL" -- "$PROBE" exit 0 --help; expect_eq "--help after -- goes to the app" 0 $?
finish
