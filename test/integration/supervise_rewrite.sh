#!/usr/bin/env bash
# -r/--rewrite-signal FROM:TO (names or numbers, repeatable; TO 0 drops FROM), as dumb-init's
# -r; VIGIL_REWRITE_SIGNAL and [supervise] rewrite_signals; bad signals exit 125.
# labels: integration;supervise
# timeout: 120
. "$(dirname "$0")/lib/common.bash"

# run_probe MODE OUT SIGNAL [VIGIL OPTIONS...]: sends SIGNAL to vigil, then USR2 to end the probe.
run_probe() {
    local mode=$1 out=$2 sig=$3; shift 3
    : >"$out"
    in_mode "$mode" "$VIGIL" "$@" -- "$PROBE" signals "$out" 2>"$TMP/err" &
    local launcher=$!
    local vpid; vpid=$(vigil_pid_of "$launcher")
    wait_for_line "$out" '^ready' || fail "$mode: probe not ready ($*)"
    kill -s "$sig" "$vpid"
    sleep 0.3
    kill -USR2 "$vpid"
    wait "$launcher"
}

for mode in $MODES; do
    run_probe "$mode" "$TMP/a" TERM -r TERM:QUIT
    expect_grep "$mode: TERM arrives as QUIT" '^SIG 3$' "$TMP/a"
    expect_eq "$mode: no TERM seen" 0 "$(grep -c '^SIG 15$' "$TMP/a")"
    run_probe "$mode" "$TMP/b" HUP --rewrite-signal 1:0 -r SIGUSR1:sigwinch
    expect_eq "$mode: HUP dropped (1:0)" 0 "$(grep -c '^SIG 1$' "$TMP/b")"
    run_probe "$mode" "$TMP/c" USR1 --rewrite-signal 1:0 -r SIGUSR1:sigwinch
    expect_grep "$mode: USR1 arrives as WINCH (second -r)" '^SIG 28$' "$TMP/c"
    run_probe "$mode" "$TMP/d" INT --rewrite-signal=INT:RTMIN+2
    expect_grep "$mode: INT arrives as RTMIN+2" "^SIG $(( $(kill -l RTMIN) + 2 ))\$" "$TMP/d"
    run_probe "$mode" "$TMP/e" HUP
    expect_grep "$mode: without -r nothing changes" '^SIG 1$' "$TMP/e"
done

# Environment and profile; the flag wins for the same signal.
VIGIL_REWRITE_SIGNAL=TERM:QUIT,HUP:USR1 run_probe child "$TMP/env" HUP
expect_grep "VIGIL_REWRITE_SIGNAL" '^SIG 10$' "$TMP/env"
printf '[supervise]\nrewrite_signals = { TERM = "QUIT", HUP = 0 }\n' >"$TMP/p.toml"
run_probe child "$TMP/prof" TERM -p "$TMP/p.toml"
expect_grep "profile rewrite_signals" '^SIG 3$' "$TMP/prof"
VIGIL_REWRITE_SIGNAL=TERM:USR1 run_probe child "$TMP/prec" TERM -p "$TMP/p.toml" -r TERM:WINCH
expect_grep "flag beats env and profile" '^SIG 28$' "$TMP/prec"

# Bad input.
for bad in "TERM" "FOO:TERM" "TERM:BAR" "0:TERM" "99:TERM" ":TERM" "TERM:"; do
    "$VIGIL" -r "$bad" -- true 2>"$TMP/err"
    expect_eq "-r $bad exits 125" 125 $?
    expect_grep "-r $bad names the option" '^.*-r' "$TMP/err"
done
VIGIL_REWRITE_SIGNAL=TERM:NOPE "$VIGIL" -- true 2>"$TMP/err"
expect_eq "bad VIGIL_REWRITE_SIGNAL exits 125" 125 $?
expect_grep "unknown signal named" "unknown signal 'NOPE'" "$TMP/err"
printf '[supervise]\nrewrite_signals = { TERM = "NOPE" }\n' >"$TMP/bad.toml"
"$VIGIL" -p "$TMP/bad.toml" -- true 2>"$TMP/err"
expect_eq "bad profile rewrite: 125" 125 $?
expect_grep "FILE:LINE:COL" 'bad.toml:2:[0-9]+: supervise.rewrite_signals.TERM: unknown signal' "$TMP/err"
finish
