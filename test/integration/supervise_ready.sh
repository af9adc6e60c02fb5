#!/usr/bin/env bash
# Readiness outward: --ready-file PATH exists exactly while the app is ready (created by
# vigil through a directory fd opened before the app, renamed into place: a symlink the app
# plants there is replaced, never followed), and sd_notify READY=1 / STOPPING=1 datagrams on
# $NOTIFY_SOCKET (a path, or @abstract). Without a profile, --ready-* flags say when the app
# is ready. As PID 1 and as subreaper.
# labels: integration;supervise
# timeout: 180
. "$(dirname "$0")/lib/common.bash"

# A datagram receiver: prints each message received on the socket to OUT, one per line (\n -> |).
cat >"$TMP/recv.py" <<'PY'
import socket, sys
name, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name[1:] if name.startswith("@") else name)
open(out + ".up", "w").close()
with open(out, "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", "|") + "\n")
PY
wait_file() { for _ in $(seq "${2:-100}"); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }
wait_gone() { for _ in $(seq "${2:-100}"); do [ ! -e "$1" ] && return 0; sleep 0.1; done; return 1; }

for mode in $MODES; do
    # Ready when the output matches; gone when the app stops.
    rf="$TMP/$mode.ready"
    out="$TMP/$mode.out"; : >"$out"
    in_mode "$mode" "$VIGIL" --ready-file "$rf" --ready-output '^ready$' -- "$PROBE" signals "$out" 2>"$TMP/err" &
    launcher=$!
    vpid=$(vigil_pid_of "$launcher")
    wait_for_line "$out" '^ready' || fail "$mode: probe not ready"
    # init_probe writes "ready" to its file, not stdout: the output condition never holds.
    sleep 0.5
    if [ -e "$rf" ]; then fail "$mode: ready file before the app is ready"; else pass; fi
    kill -TERM "$vpid"; wait "$launcher"

    rf="$TMP/$mode.ready2"
    in_mode "$mode" "$VIGIL" --ready-file "$rf" --ready-output '^up$' -- sh -c 'sleep 0.3; echo up; sleep 30' 2>"$TMP/err" >/dev/null &
    launcher=$!
    vpid=$(vigil_pid_of "$launcher")
    if wait_file "$rf"; then pass; else fail "$mode: ready file never appeared"; fi
    expect_grep "$mode: ready file says why" 'output matched' "$rf"
    kill -TERM "$vpid"
    wait "$launcher"
    if [ ! -e "$rf" ]; then pass; else fail "$mode: ready file left after the app stopped"; fi

    # A restarted app is not ready until it is ready again; the file goes with each run.
    rf="$TMP/$mode.ready3"
    in_mode "$mode" "$VIGIL" --restart always --restart-max 1 --restart-delay 1s --ready-file "$rf" --ready-output '^up$' \
        -- sh -c 'echo up; sleep 0.5' >/dev/null 2>"$TMP/err" &
    launcher=$!
    wait_file "$rf" || fail "$mode: restart: first ready file missing"
    if wait_gone "$rf" 30; then pass; else fail "$mode: ready file kept in the back-off"; fi
    if wait_file "$rf" 30; then pass; else fail "$mode: ready file not back after the restart"; fi
    wait "$launcher"
    if [ ! -e "$rf" ]; then pass; else fail "$mode: ready file left at exit"; fi

    # A stale file from an earlier run is removed at start; a planted symlink is not followed.
    rf="$TMP/$mode.ready4"; echo stale >"$rf"
    in_mode "$mode" "$VIGIL" --ready-file "$rf" --ready-after 2s -- sleep 30 2>"$TMP/err" &
    launcher=$!
    vpid=$(vigil_pid_of "$launcher")
    if wait_gone "$rf" 20; then pass; else fail "$mode: stale ready file kept"; fi
    echo precious >"$TMP/$mode.target"
    ln -s "$TMP/$mode.target" "$rf"   # "the app" plants a link where the file will be
    for _ in $(seq 50); do [ -f "$rf" ] && [ ! -L "$rf" ] && break; sleep 0.1; done
    if [ -f "$rf" ] && [ ! -L "$rf" ]; then pass; else fail "$mode: the planted link was not replaced by vigil's file"; fi
    expect_eq "$mode: the link's target is untouched" precious "$(cat "$TMP/$mode.target")"
    kill -TERM "$vpid"; wait "$launcher"

    # Without a readiness condition, ready once the app started.
    rf="$TMP/$mode.ready5"
    in_mode "$mode" "$VIGIL" --ready-file "$rf" -- sleep 30 2>"$TMP/err" &
    launcher=$!
    vpid=$(vigil_pid_of "$launcher")
    if wait_file "$rf"; then pass; else fail "$mode: no ready file without a condition"; fi
    kill -TERM "$vpid"; wait "$launcher"

    # sd_notify, path and abstract sockets: READY=1 when ready, STOPPING=1 on SIGTERM; the app
    # does not see NOTIFY_SOCKET.
    for kind in path abstract; do
        if [ $kind = path ]; then sock="$TMP/$mode.notify.sock"; else sock="@vigil-test-$$-$mode"; fi
        got="$TMP/$mode.$kind.got"; : >"$got"
        python3 "$TMP/recv.py" "$sock" "$got" &
        recv=$!
        wait_file "$got.up" || fail "$mode/$kind: receiver not up"
        NOTIFY_SOCKET="$sock" in_mode "$mode" "$VIGIL" --ready-output '^up$' -- \
            sh -c 'echo "env=${NOTIFY_SOCKET:-unset}"; echo up; sleep 30' >"$TMP/app.out" 2>"$TMP/err" &
        launcher=$!
        vpid=$(vigil_pid_of "$launcher")
        if wait_for_line "$got" '^READY=1'; then pass; else fail "$mode/$kind: no READY=1"; cat "$TMP/err" >&2; fi
        kill -TERM "$vpid"; wait "$launcher"
        if wait_for_line "$got" '^STOPPING=1' 30; then pass; else fail "$mode/$kind: no STOPPING=1"; fi
        expect_grep "$mode/$kind: NOTIFY_SOCKET not passed to the app" '^env=unset$' "$TMP/app.out"
        kill "$recv"; wait "$recv" 2>/dev/null
    done
done

# The profile's [phases.ready] and [supervise] ready_file; VIGIL_READY_FILE; bad input.
printf '[phases.ready]\noutput_match = "^up$"\n\n[supervise]\nready_file = "%s"\n' "$TMP/prof.ready" >"$TMP/r.toml"
"$VIGIL" -p "$TMP/r.toml" -- sh -c 'echo up; sleep 30' >/dev/null 2>&1 &
launcher=$!
if wait_file "$TMP/prof.ready"; then pass; else fail "profile ready_file + [phases.ready]"; fi
kill -TERM "$launcher"; wait "$launcher"
VIGIL_READY_FILE="$TMP/env.ready" "$VIGIL" -- sleep 30 2>/dev/null &
launcher=$!
if wait_file "$TMP/env.ready"; then pass; else fail "VIGIL_READY_FILE"; fi
kill -TERM "$launcher"; wait "$launcher"
"$VIGIL" --ready-file "$TMP/no/such/dir/f" -- true 2>"$TMP/err"
expect_eq "ready file in a missing directory: 125" 125 $?
expect_grep "says what to do" 'cannot open directory' "$TMP/err"
NOTIFY_SOCKET=relative "$VIGIL" -- true 2>"$TMP/err"
expect_eq "bad NOTIFY_SOCKET: 125" 125 $?
"$VIGIL" --ready-tcp 99999 -- true 2>"$TMP/err"
expect_eq "bad --ready-tcp: 125" 125 $?
"$VIGIL" --ready-after soon -- true 2>"$TMP/err"
expect_eq "bad --ready-after: 125" 125 $?
finish
