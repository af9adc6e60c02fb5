#!/usr/bin/env bash
# A uid-65534 app started by vigil on a terminal cannot type into that terminal (TIOCSTI): the
# app has its own process group in vigil's session and has given the terminal up (TIOCNOTTY),
# so it has no controlling terminal: the kernel answers EPERM and the shell
# that started vigil reads nothing. (A root app with CAP_SYS_ADMIN passes that check; the shipped
# profiles deny TIOCSTI for it.) Taking the terminal back fails too: TIOCSCTTY needs a session
# leader, and a child in a new session may not steal a terminal that is another session's.
# labels: integration;init
# timeout: 60
. "$(dirname "$0")/lib/common.bash"
cat >"$TMP/nobody.toml" <<'TOML'
[process]
user = "nobody"
TOML
for mode in $MODES; do
    launcher=""; [ "$mode" = pid1 ] && launcher="unshare --pid --fork --mount-proc --kill-child"
    # On a fresh terminal, a shell runs vigil and then reads one line, as the root shell of the
    # issue would: whatever the app injected, it reads.
    python3 - "$VIGIL" "$HELPERS/launch_probe" "$TMP/nobody.toml" "$launcher" >"$TMP/$mode.out" <<'PY'
import os, pty, sys, time, select
vigil, probe, profile, launcher = sys.argv[1:5]
script = (launcher + ' "$0" run -p "$1" -- "$2" tiocsti "echo PWNED\\n"; "$0" run -p "$1" -- "$2" session; '
          '"$0" run -p "$1" -- "$2" reacquire "echo PWNED2\\n"; '
          '"$0" run -p "$1" -- "$2" session </dev/null 2>&1 | sed "s/^/redirected: /"; '
          'read -t 2 line; echo "read:[$line]"')
pid, fd = pty.fork()
if pid == 0:
    os.execvp("bash", ["bash", "-c", script, vigil, profile, probe])
buf = b""
deadline = time.time() + 20
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if not r:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    buf += chunk
os.waitpid(pid, 0)
sys.stdout.write(buf.decode(errors="replace").replace("\r", ""))
PY
    expect_grep "$mode: TIOCSTI refused with EPERM" '^tiocsti ret=-1 errno=1$' "$TMP/$mode.out"
    expect_grep "$mode: the shell read no line" '^read:\[\]$' "$TMP/$mode.out"
    # Injected bytes are echoed by the terminal as typed input would be.
    if grep -q PWNED "$TMP/$mode.out"; then fail "$mode: the app typed into the terminal:"; sed 's/^/    /' "$TMP/$mode.out" >&2; else pass; fi
    expect_grep "$mode: the app has its own group, without the terminal" '^own-group=1 ctty=0$' "$TMP/$mode.out"
    # vigil's stdio is not the terminal, so it cannot hand the child the terminal to give up:
    # the child leaves the session instead (setsid), and has no terminal either.
    expect_grep "$mode: stdio elsewhere: own group, without the terminal" '^redirected: own-group=1 ctty=0$' "$TMP/$mode.out"
    # EPERM (1) for every attempt: not a session leader; the terminal is another session's.
    expect_grep "$mode: the app cannot take the terminal back" '^reacquire self=1 steal0=1 steal1=1 tiocsti=1$' "$TMP/$mode.out"
done
finish
