#!/usr/bin/env bash
# Restarts: --restart no|on-failure|always with --restart-max and exponential back-off from
# --restart-delay, as PID 1 and as subreaper; a restart after a seccomp kill (SIGSYS) with a
# fresh filter; SIGTERM during the back-off stops vigil at once; every restart is an audit
# event with its reason; flag > environment > profile; bad values exit 125.
# labels: integration;supervise
# timeout: 240
. "$(dirname "$0")/lib/common.bash"

# app FILE CODE: appends "run <ms since epoch>" to FILE, then exits CODE.
cat >"$TMP/app.sh" <<'SH'
#!/bin/sh
echo "run $(date +%s%3N)" >>"$1"
exit "$2"
SH
chmod +x "$TMP/app.sh"
runs() { grep -c '^run' "$1" 2>/dev/null || echo 0; }

for mode in $MODES; do
    # no: one run, the app's status.
    f="$TMP/$mode.no"
    in_mode "$mode" "$VIGIL" --restart no -- "$TMP/app.sh" "$f" 3 2>"$TMP/err"
    expect_eq "$mode: restart no: status" 3 $?
    expect_eq "$mode: restart no: one run" 1 "$(runs "$f")"

    # on-failure, 3 restarts at most, back-off 100, 200, 400 ms; then the last status.
    f="$TMP/$mode.fail"
    in_mode "$mode" "$VIGIL" --restart on-failure --restart-max 3 --restart-delay 100ms -- "$TMP/app.sh" "$f" 7 2>"$TMP/err"
    expect_eq "$mode: on-failure: last status" 7 $?
    expect_eq "$mode: on-failure: 1 + 3 runs" 4 "$(runs "$f")"
    mapfile -t t < <(awk '{print $2}' "$f")
    if [ "${#t[@]}" -eq 4 ]; then
        # Lower bounds only (a loaded machine is slower, never faster): each gap at least the back-off.
        for k in 1 2 3; do
            want=$((100 << (k - 1)))
            gap=$((t[k] - t[k - 1]))
            if [ "$gap" -ge "$want" ]; then pass; else fail "$mode: back-off before run $((k + 1)): ${gap} ms < ${want} ms"; fi
        done
    fi
    expect_grep "$mode: each restart is an audit event with the reason" '"reason":"exited with status 7.*"rule":"supervise.restart"' "$TMP/err"
    expect_eq "$mode: three restart events" 3 "$(grep -c '"decision":"restart"' "$TMP/err")"
    expect_grep "$mode: giving up is audited" '"decision":"exit".*restart max 3' "$TMP/err"

    # on-failure does not restart a success; always does.
    f="$TMP/$mode.ok"
    in_mode "$mode" "$VIGIL" --restart on-failure --restart-delay 10ms -- "$TMP/app.sh" "$f" 0 2>"$TMP/err"
    expect_eq "$mode: on-failure, exit 0: status" 0 $?
    expect_eq "$mode: on-failure, exit 0: one run" 1 "$(runs "$f")"
    f="$TMP/$mode.always"
    in_mode "$mode" "$VIGIL" --restart always --restart-max 2 --restart-delay 10ms -- "$TMP/app.sh" "$f" 0 2>"$TMP/err"
    expect_eq "$mode: always: status" 0 $?
    expect_eq "$mode: always: 1 + 2 runs" 3 "$(runs "$f")"

    # SIGTERM during a long back-off: vigil stops at once with the app's last status.
    f="$TMP/$mode.backoff"
    in_mode "$mode" "$VIGIL" --restart always --restart-delay 20s -- "$TMP/app.sh" "$f" 5 2>"$TMP/err" &
    launcher=$!
    vpid=$(vigil_pid_of "$launcher")
    wait_for_line "$TMP/err" '"decision":"restart"' || fail "$mode: no restart scheduled"
    start=$(date +%s)
    kill -TERM "$vpid"
    wait "$launcher"; rc=$?
    expect_eq "$mode: TERM in back-off: the app's last status" 5 "$rc"
    expect_eq "$mode: TERM in back-off: no second run" 1 "$(runs "$f")"
    if [ $(($(date +%s) - start)) -lt 15 ]; then pass; else fail "$mode: TERM in back-off waited for the back-off"; fi
    expect_grep "$mode: cancelled restart audited" 'restart cancelled' "$TMP/err"

    # SIGTERM to a running app: it stops and is not restarted.
    out="$TMP/$mode.sig"; : >"$out"
    in_mode "$mode" "$VIGIL" --restart always --restart-delay 10ms -t 300ms -- "$PROBE" signals "$out" 2>"$TMP/err" &
    launcher=$!
    vpid=$(vigil_pid_of "$launcher")
    wait_for_line "$out" '^ready' || fail "$mode: probe not ready"
    kill -USR2 "$vpid"   # the probe exits 0 on USR2: always restarts it
    for _ in $(seq 50); do [ "$(grep -c '^ready' "$out")" -ge 2 ] && break; sleep 0.1; done
    expect_eq "$mode: always restarts after USR2" 2 "$(grep -c '^ready' "$out")"
    kill -TERM "$vpid"
    wait "$launcher"; rc=$?
    # The probe catches TERM: the stop timeout's SIGKILL ends it, and that is not restarted either.
    expect_eq "$mode: TERM stops for good (SIGKILL after the stop timeout)" 137 "$rc"
    expect_grep "$mode: the probe got the TERM" '^SIG 15$' "$out"
    expect_eq "$mode: no run after TERM" 2 "$(grep -c '^ready' "$out")"
done

# A seccomp kill (SIGSYS) is a failure; the restarted app runs under a fresh filter again.
cat >"$TMP/kill.toml" <<'TOML'
[seccomp]
default = "allow"

[seccomp.deny]
getppid = "kill-process"

[supervise]
restart = "on-failure"
restart_max = 2
restart_delay = "50ms"
TOML
P=$HELPERS/sys_probe
for mode in $MODES; do
    in_mode "$mode" "$VIGIL" -p "$TMP/kill.toml" -- "$P" call 110 >"$TMP/out" 2>"$TMP/err"
    expect_eq "$mode: killed by the filter every run: 128+SIGSYS" 159 $?
    expect_eq "$mode: SIGSYS restarts audited with the reason" 2 "$(grep -c '"decision":"restart".*killed by signal 31 (SIGSYS)' "$TMP/err")"
    expect_eq "$mode: the filter killed each of the 3 runs (none printed)" 0 "$(grep -c ret= "$TMP/out")"
done

# Precedence: the flag beats the environment, which beats the profile.
cat >"$TMP/p.toml" <<'TOML'
[supervise]
restart = "always"
restart_max = 1
restart_delay = "10ms"
TOML
f="$TMP/prof"; "$VIGIL" -p "$TMP/p.toml" -- "$TMP/app.sh" "$f" 0 2>/dev/null
expect_eq "profile restart = always" 2 "$(runs "$f")"
f="$TMP/env"; VIGIL_RESTART=no "$VIGIL" -p "$TMP/p.toml" -- "$TMP/app.sh" "$f" 0 2>/dev/null
expect_eq "VIGIL_RESTART=no beats the profile" 1 "$(runs "$f")"
f="$TMP/env2"; VIGIL_RESTART=on-failure VIGIL_RESTART_MAX=2 VIGIL_RESTART_DELAY=10ms "$VIGIL" -- "$TMP/app.sh" "$f" 1 2>/dev/null
expect_eq "VIGIL_RESTART/_MAX/_DELAY" 3 "$(runs "$f")"
f="$TMP/flag"; VIGIL_RESTART=no "$VIGIL" --restart always -p "$TMP/p.toml" -- "$TMP/app.sh" "$f" 0 2>/dev/null
expect_eq "--restart beats VIGIL_RESTART" 2 "$(runs "$f")"

# Bad input: a clear message and 125.
for bad in "--restart sometimes" "--restart-max -1" "--restart-max x" "--restart-delay 5x"; do
    "$VIGIL" $bad -- true 2>"$TMP/err"
    expect_eq "'$bad' exits 125" 125 $?
    expect_grep "'$bad' names the option" "error: ${bad%% *}:" "$TMP/err"
done
VIGIL_RESTART=maybe "$VIGIL" -- true 2>"$TMP/err"
expect_eq "VIGIL_RESTART=maybe exits 125" 125 $?
expect_grep "names the variable" 'VIGIL_RESTART' "$TMP/err"
printf '[supervise]\nrestart = "sometimes"\nrestart_delay = 5\n' >"$TMP/bad.toml"
"$VIGIL" -p "$TMP/bad.toml" -- true 2>"$TMP/err"
expect_eq "bad profile exits 125" 125 $?
expect_grep "FILE:LINE:COL for restart" 'bad.toml:2:[0-9]+: supervise.restart: unknown policy' "$TMP/err"
expect_grep "FILE:LINE:COL for restart_delay" 'bad.toml:3:[0-9]+: supervise.restart_delay' "$TMP/err"
finish
