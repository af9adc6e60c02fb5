#!/usr/bin/env bash
# Interactive use (docker run -it): the app owns the terminal's foreground process group, so
# Ctrl-C reaches the app (not vigil), and vigil returns the app's 128+SIGINT.
# labels: integration;init
. "$(dirname "$0")/lib/common.bash"
for mode in $MODES; do
    launcher=""; [ "$mode" = pid1 ] && launcher="unshare --pid --fork --mount-proc --kill-child"
    python3 - "$VIGIL" "$PROBE" "$TMP/$mode.sig" $launcher <<'PY'
import os, pty, sys, time, select
vigil, probe, out = sys.argv[1:4]
launcher = sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    # The probe prints its process group and the terminal's foreground group, then waits.
    os.execvp((launcher or [vigil])[0], launcher + [vigil, "--", "sh", "-c",
              'echo "pgrp=$(ps -o pgid= -p $$ | tr -d " ") fg=$(ps -o tpgid= -p $$ | tr -d " ")"; exec ' + probe + ' signals ' + out])
buf = b""
deadline = time.time() + 10
while b"pgrp=" not in buf or not buf.endswith(b"\n") and time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        buf += os.read(fd, 1024)
line = [l for l in buf.decode().splitlines() if l.startswith("pgrp=")][0]
pgrp, fg = (int(x.split("=")[1]) for x in line.split())
ok = pgrp == fg
print("foreground:", line, "ok" if ok else "FAIL")
while not (os.path.exists(out) and "ready" in open(out).read()) and time.time() < deadline:
    time.sleep(0.05)
os.write(fd, b"\x03")  # Ctrl-C: the terminal sends SIGINT to its foreground group
time.sleep(0.5)
got_int = "SIG 2" in open(out).read()
print("ctrl-c reached the app:", got_int)
os.write(fd, b"\x1c")  # Ctrl-\: SIGQUIT, also to the app only
time.sleep(0.3)
os.kill(pid, 0)
status = None
import subprocess
subprocess.run(["pkill", "-USR2", "-f", "^" + probe + " signals " + out])
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
print("exit", code)
sys.exit(0 if ok and got_int and code == 0 else 1)
PY
    expect_eq "$mode: app is the terminal's foreground group, Ctrl-C reaches it" 0 $?
done
finish
