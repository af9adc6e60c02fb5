#!/usr/bin/env bash
# Health checks ([supervise.health], --health-*): a loopback HTTP GET or TCP connect every
# interval; after `failures` failures in a row the app is stopped and restarted per the
# policy, or vigil exits with its status; a probe that never gets an answer does not stall
# the event loop (signals still go through at once). As PID 1 and as subreaper.
# labels: integration;supervise
# timeout: 240
. "$(dirname "$0")/lib/common.bash"

# server.py PORTFILE MODE SECONDS: an HTTP server on 127.0.0.1 (free port written to PORTFILE).
#   ok: 200 always; sick: 200 for SECONDS, then 503; hang: accepts, never answers.
# Appends "start" to PORTFILE.log per run; writes "TERM" there when it gets SIGTERM.
cat >"$TMP/server.py" <<'PY'
import os, signal, socket, sys, time
portfile, mode, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
log = open(portfile + ".log", "a", buffering=1)
def term(*_):
    log.write("TERM\n"); sys.exit(143 - 128)
signal.signal(signal.SIGTERM, term)
signal.signal(signal.SIGUSR1, lambda *_: log.write("USR1\n"))
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
port = int(open(portfile).read()) if os.path.exists(portfile) and os.path.getsize(portfile) else 0
s.bind(("127.0.0.1", port)); s.listen(16)
if not port:
    open(portfile + ".tmp", "w").write(str(s.getsockname()[1])); os.rename(portfile + ".tmp", portfile)
log.write("start\n")
t0 = time.time(); held = []
while True:
    c, _ = s.accept()
    if mode == "hang":
        held.append(c); continue
    c.recv(4096)
    code = "200 OK" if mode == "ok" or time.time() - t0 < secs else "503 Unavailable"
    c.sendall(("HTTP/1.0 %s\r\nContent-Length: 0\r\n\r\n" % code).encode()); c.close()
PY
port_of() { for _ in $(seq 100); do [ -s "$1" ] && { cat "$1"; return; }; sleep 0.1; done; }

for mode in $MODES; do
    # Sick after 1 s: stopped after 2 failures, restarted (on-failure), then given up.
    pf="$TMP/$mode.sick"
    # The port must be known before vigil starts: bind once to pick it, then hand it over.
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' >"$pf"
    port=$(cat "$pf")
    in_mode "$mode" "$VIGIL" --restart on-failure --restart-max 1 --restart-delay 10ms \
        --ready-tcp "$port" --health-http "http://127.0.0.1:$port/" --health-interval 200ms --health-timeout 500ms --health-failures 2 \
        -- python3 "$TMP/server.py" "$pf" sick 1 2>"$TMP/err"
    rc=$?
    expect_eq "$mode: unhealthy twice, given up: the app's status (TERM)" 15 "$rc"
    expect_eq "$mode: restarted once after the health failure" 2 "$(grep -c '^start' "$pf.log")"
    expect_eq "$mode: stopped with SIGTERM each time" 2 "$(grep -c '^TERM' "$pf.log")"
    expect_grep "$mode: health stop audited" 'failed 2 times in a row.*"rule":"supervise.health"' "$TMP/err"
    expect_grep "$mode: restart reason says health" '"decision":"restart".*health check failed' "$TMP/err"

    # Restart policy no: the unhealthy app is stopped and vigil exits.
    pf="$TMP/$mode.norestart"
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' >"$pf"
    port=$(cat "$pf")
    printf '[supervise.health]\ntcp = %s\ninterval = "200ms"\ntimeout = "300ms"\nfailures = 1\n' "$port" >"$TMP/h.toml"
    # tcp: the server's port closes when it stops listening; here the app never listens on it.
    in_mode "$mode" "$VIGIL" -p "$TMP/h.toml" -- sleep 30 2>"$TMP/err"
    expect_eq "$mode: tcp check refused, no restart: sleep killed by TERM" 143 $?
    expect_grep "$mode: profile tcp check logged" 'health check TCP 127.0.0.1:[0-9]+ failed' "$TMP/err"

    # Healthy: never stopped.
    pf="$TMP/$mode.ok"
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' >"$pf"
    port=$(cat "$pf")
    in_mode "$mode" "$VIGIL" --ready-tcp "$port" --health-http "http://127.0.0.1:$port/" --health-interval 100ms --health-failures 1 \
        -- python3 "$TMP/server.py" "$pf" ok 0 2>"$TMP/err" &
    launcher=$!
    vpid=$(vigil_pid_of "$launcher")
    sleep 1.5
    expect_eq "$mode: a healthy app is left alone" 0 "$(grep -c '^TERM' "$pf.log")"
    kill -TERM "$vpid"; wait "$launcher"

    # A probe that hangs (accepted, never answered): signals still reach the app at once.
    pf="$TMP/$mode.hang"
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' >"$pf"
    port=$(cat "$pf")
    in_mode "$mode" "$VIGIL" --ready-tcp "$port" --health-http "http://127.0.0.1:$port/" --health-interval 100ms --health-timeout 20s \
        -- python3 "$TMP/server.py" "$pf" hang 0 2>"$TMP/err" &
    launcher=$!
    vpid=$(vigil_pid_of "$launcher")
    wait_for_line "$pf.log" '^start' || fail "$mode: hang server did not start"
    sleep 0.5   # a probe is now waiting for its answer
    kill -USR1 "$vpid"
    if wait_for_line "$pf.log" '^USR1' 20; then pass; else fail "$mode: USR1 not forwarded while a probe hangs"; fi
    kill -TERM "$vpid"; wait "$launcher"
done

# Bad input.
"$VIGIL" --health-http http://10.0.0.1/ -- true 2>"$TMP/err"
expect_eq "non-loopback health URL: 125" 125 $?
expect_grep "names the option" 'error: --health-http' "$TMP/err"
"$VIGIL" --health-interval 10s -- true 2>"$TMP/err"
expect_eq "interval without a check: 125" 125 $?
printf '[supervise.health]\nhttp_get = "http://example.com/"\ninterval = "fast"\n' >"$TMP/bad.toml"
"$VIGIL" -p "$TMP/bad.toml" -- true 2>"$TMP/err"
expect_eq "bad [supervise.health]: 125" 125 $?
expect_grep "FILE:LINE:COL for http_get" 'bad.toml:2:[0-9]+: supervise.health.http_get' "$TMP/err"
expect_grep "FILE:LINE:COL for interval" 'bad.toml:3:[0-9]+: supervise.health.interval' "$TMP/err"
finish
