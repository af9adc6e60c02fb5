#!/usr/bin/env bash
# Interactive use (docker run -it): vigil is the terminal's session leader and foreground group,
# as under a container runtime's pty. The app gets a process group of its own in vigil's
# session and gives the terminal up (TIOCNOTTY), so it has no controlling terminal and cannot
# type into it (init_tiocsti.sh) nor open /dev/tty, yet Ctrl-C and Ctrl-\ still reach it: the
# terminal signals vigil, and vigil forwards, without starting the stop timeout (a REPL that
# catches Ctrl-C lives on, as it did when it owned the terminal). (This test used to check that the app owned the
# terminal's foreground group; that is exactly what let the app inject input.)
# labels: integration;init
. "$(dirname "$0")/lib/common.bash"
for mode in $MODES; do
    # pid1: `setsid -c` makes vigil (PID 1) the leader of a new session that takes the terminal,
    # as runc does for `docker run -t`; unshare stays behind without it.
    launcher=""; [ "$mode" = pid1 ] && launcher="unshare --pid --fork --mount-proc --kill-child setsid -c"
    python3 - "$VIGIL" "$PROBE" "$TMP/$mode.sig" $launcher <<'PY'
import os, pty, sys, time, select
vigil, probe, out = sys.argv[1:4]
launcher = sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    # The app prints its pid, process group, session, its terminal's foreground group (-1:
    # none) and whether /dev/tty opens, then waits.
    # A short stop timeout: Ctrl-C is for the app, not a stop request (the app lives on).
    os.execvp((launcher or [vigil])[0], launcher + [vigil, "-t", "200ms", "--", "sh", "-c",
              'echo "pid=$$ pgid=$(ps -o pgid= -p $$ | tr -d " ") sid=$(ps -o sid= -p $$ | tr -d " ") '
              'fg=$(ps -o tpgid= -p $$ | tr -d " ") devtty=$( (: </dev/tty) 2>/dev/null && echo 1 || echo 0)"; '
              'exec ' + probe + ' signals ' + out])
buf = b""
deadline = time.time() + 10
while b"pid=" not in buf or not buf.endswith(b"\n") and time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        buf += os.read(fd, 1024)
line = [l for l in buf.decode().splitlines() if l.startswith("pid=")][0]
app, pgid, sid, fg, devtty = (int(x.split("=")[1]) for x in line.split())
# Its own process group in vigil's session (the terminal's, whose leader is vigil in pid1 mode
# and this script's pty child otherwise), no controlling terminal, /dev/tty refused.
vigil_sid = 1 if launcher else os.getsid(pid)  # pid1: vigil leads the session (setsid -c)
ok = pgid == app and sid == vigil_sid and fg == -1 and devtty == 0
print("own group, vigil's session, no terminal:", line, "ok" if ok else "FAIL")
while not (os.path.exists(out) and "ready" in open(out).read()) and time.time() < deadline:
    time.sleep(0.05)
os.write(fd, b"\x03")  # Ctrl-C: the terminal sends SIGINT to its foreground group
time.sleep(0.5)
got_int = "SIG 2" in open(out).read()
print("ctrl-c reached the app:", got_int)
os.write(fd, b"\x1c")  # Ctrl-\: SIGQUIT to vigil, which forwards it
time.sleep(0.3)
got_quit = "SIG 3" in open(out).read()
print("ctrl-\\ reached the app:", got_quit)
os.kill(pid, 0)
status = None
import subprocess
subprocess.run(["pkill", "-USR2", "-f", "^" + probe + " signals " + out])
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
print("exit", code)
sys.exit(0 if ok and got_int and got_quit and code == 0 else 1)
PY
    expect_eq "$mode: app in its own group without the terminal, Ctrl-C and Ctrl-\\ reach it" 0 $?
done
finish
