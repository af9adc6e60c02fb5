#!/bin/bash
# What an attacker inside the app tries against the notify decisions (issue 9), each against the
# real vigil and kernel: opens vigil would do for the app (symlink to /proc/self/mem, reopening
# /proc/self/fd/N), peers named without connect (MSG_FASTOPEN, sendmmsg), the msg_name race,
# latching decisions off with PR_SET_DUMPABLE, killing a root vigil that is not PID 1, io_uring
# next to notify rules, exit with blocked connects in vigil's hands, abstract names cut at NUL.
# labels: integration;notify
# timeout: 240
set -uo pipefail
: "${VIGIL:?}" "${HELPERS:?}"
ATTACK=$HELPERS/notify_attack
T=$(mktemp -d /tmp/vigil-attack-it.XXXXXX)
chmod 0777 "$T"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap "" EXIT
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok   : $*"; }
expect() {  # expect DESCRIPTION FILE REGEX
    if grep -Eq -- "$3" "$2"; then pass "$1"; else fail "$1 (no /$3/ in $2)"; sed 's/^/    /' "$2"; fi
}
expect_not() {  # expect_not DESCRIPTION FILE REGEX
    if grep -Eq -- "$3" "$2"; then fail "$1 (/$3/ in $2)"; sed 's/^/    /' "$2"; else pass "$1"; fi
}

# Loopback servers: KIND tcp (accept and close) or udp (count datagrams into $T/count.NAME).
server() {  # server NAME KIND
    python3 - "$T/port.$1" "$2" "$T/count.$1" > /dev/null 2>&1 <<'PY' &
import os, socket, sys
port_file, kind, count_file = sys.argv[1:4]
s = socket.socket(type=socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
if kind == "tcp":
    s.listen(64)
open(port_file + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
n = 0
while True:
    if kind == "tcp":
        c, _ = s.accept(); c.close()
    else:
        s.recv(65536)
    n += 1
    open(count_file + ".tmp", "w").write(str(n)); os.rename(count_file + ".tmp", count_file)
PY
    PIDS+=($!)
    for _ in $(seq 50); do [ -s "$T/port.$1" ] && break; sleep 0.1; done
}
server a tcp
server f tcp
server ua udp
server uf udp
ALLOWED=$(cat "$T/port.a"); FORBIDDEN=$(cat "$T/port.f")
UALLOWED=$(cat "$T/port.ua"); UFORBIDDEN=$(cat "$T/port.uf")
count() { cat "$T/count.$1" 2>/dev/null || echo 0; }

# Old vigil accepted racy_allow; the attacks run against the most permissive profile each
# binary accepts, the way a profile author would have written it.
RACY=""
printf '[seccomp]\ndefault = "allow"\nnotify = ["connect"]\n[notify.connect]\nallow = ["127.0.0.1:1"]\nracy_allow = true\n' > "$T/racy.toml"
"$VIGIL" check "$T/racy.toml" > /dev/null 2>&1 && RACY="racy_allow = true"

# The [seccomp] table of every profile here: all allowed but io_uring (which would connect
# without connect()), and NOTIFIED ("\"connect\"") notified.
seccomp_head() {
    printf '[seccomp]\ndefault = "allow"\nnotify = [%s]\n[seccomp.deny]\n' "$1"
    printf 'io_uring_%s = "errno:ENOSYS"\n' setup enter register
}
egress_profile() {  # egress_profile NAME EXTRA_NOTIFY_TABLES [EXTRA_ALLOW_ENTRIES]
    set -- "$1" "$2" "${3:-}"
    cat > "$T/$1.toml" <<TOML
$(seccomp_head "${NOTIFIED:-\"connect\"}")
[notify.connect]
allow = ["127.0.0.1:$ALLOWED", "127.0.0.1:$UALLOWED", "unix:$T/*.sock"$3]
otherwise = "errno:ECONNREFUSED"
$RACY
$2
TOML
    echo "$T/$1.toml"
}
run() {  # run NAME PROFILE CMD... -> $T/NAME.{out,err,audit}
    local name=$1 p=$2; shift 2
    timeout -k 5 30 "$VIGIL" run -p "$p" --audit "$T/$name.audit" -- "$@" > "$T/$name.out" 2> "$T/$name.err"
    echo "exit=$?" >> "$T/$name.out"
}

# --- #1: vigil never opens a path for the app ---
mkdir -p "$T/files"
ln -s /proc/self/mem "$T/files/mem"
echo listed > "$T/files/real"
# The kernel confines opening to the listed files (vigil adds a Landlock rule for each file the
# globs name at start, never for one reached through a symlink); the system's libraries stay
# readable through [landlock] so that the helper can start at all.
cat > "$T/open.toml" <<TOML
$(seccomp_head '"open"')
[notify.open]
allow = ["$T/files/*", "/proc/self/fd/*"]
$RACY
[landlock]
read = ["/usr", "/lib", "/lib64", "/etc"]
execute = ["/usr", "/lib", "/lib64", "$(dirname "$ATTACK")"]
TOML
run open-mem "$T/open.toml" "$ATTACK" open "$T/files/mem"
expect_not "symlink to /proc/self/mem does not give the app vigil's memory" "$T/open-mem.out" 'open ok /proc/[0-9]+/mem'
expect "the symlink's target is refused by the kernel (no rule for it)" "$T/open-mem.out" '^open EACCES'
expect "audit: the match is left to [landlock]" "$T/open-mem.audit" 'landlock'
expect "vigil says the symlink got no Landlock rule" "$T/open-mem.err" 'reached through a symlink'
run open-real "$T/open.toml" "$ATTACK" open "$T/files/real"
expect "a listed file opens (the kernel grants exactly it)" "$T/open-real.out" "^open ok $T/files/real"
run open-fd "$T/open.toml" "$ATTACK" open /proc/self/fd/3
expect_not "/proc/self/fd/N does not reopen vigil's files" "$T/open-fd.out" "open ok $T"
expect "/proc/self/fd/N refused outright" "$T/open-fd.audit" "caller's own process"

# --- #3: peers named without connect ---
p=$(egress_profile peers "")
run fastopen "$p" sh -c "$ATTACK fastopen $FORBIDDEN; $ATTACK fastopen $ALLOWED"
expect "sendto MSG_FASTOPEN to a forbidden port refused" "$T/fastopen.out" "^fastopen $FORBIDDEN ECONNREFUSED$"
expect "sendto MSG_FASTOPEN to the allowed port performed" "$T/fastopen.out" "^fastopen $ALLOWED ok$"
before=$(count uf)
run sendmmsg "$p" sh -c "$ATTACK sendmmsg $UFORBIDDEN; $ATTACK sendmmsg $UALLOWED"
sleep 0.3
expect "sendmmsg to a forbidden port refused" "$T/sendmmsg.out" "^sendmmsg $UFORBIDDEN ECONNREFUSED$"
expect "sendmmsg to the allowed port sent by vigil, msg_len stored" "$T/sendmmsg.out" "^sendmmsg $UALLOWED n=2 lens=3,5$"
expect_eq_count() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected $2, got $3"; fi; }
expect_eq_count "no datagram reached the forbidden port" "$before" "$(count uf)"

# --- #4: the msg_name race (sendmsg notified by the profile itself, for old vigil's sake) ---
p=$(NOTIFIED='"connect", "sendmsg"' egress_profile race "[notify.sendmsg]
allow = [\"127.0.0.1:$UALLOWED\"]")
before=$(count uf)
run race "$p" "$ATTACK" sendmsg-race "$UFORBIDDEN" 2
sleep 0.3
expect "msg_name race: no sendmsg succeeded" "$T/race.out" '^sendmsg-race sent=0 '
expect_eq_count "msg_name race: no datagram reached the forbidden port" "$before" "$(count uf)"

# --- #7: PR_SET_DUMPABLE cannot latch decisions to allow (vigil as a non-root user) ---
p=$(egress_profile dumpable "")
chmod 0644 "$p"
setpriv --reuid=1000 --regid=1000 --clear-groups -- \
    timeout 30 "$VIGIL" run -p "$p" -- "$ATTACK" dumpable-race "$ALLOWED" "$FORBIDDEN" 3 \
    > "$T/dumpable.out" 2> "$T/dumpable.err"
expect "dumpable toggling: no forbidden connect got through" "$T/dumpable.out" '^dumpable-race forbidden=0 '
expect "dumpable toggling: decisions still work (allowed connects performed)" "$T/dumpable.out" ' allowed=[1-9]' 

# --- #6: a non-root app cannot kill a root vigil that is not PID 1 ---
cat > "$T/user.toml" <<TOML
[process]
user = "65534"
$(sed -n '/^\[seccomp\]/,$p' "$(egress_profile user-base "")")
TOML
run kill "$T/user.toml" sh -c "kill -9 \$PPID; echo kill=\$?; $ATTACK connect $FORBIDDEN; $ATTACK connect $ALLOWED"
expect "kill -9 of vigil from the app fails" "$T/kill.out" '^kill=1$'
expect "vigil still decides: forbidden connect refused" "$T/kill.out" "^connect $FORBIDDEN ECONNREFUSED$"
expect "vigil still decides: allowed connect performed" "$T/kill.out" "^connect $ALLOWED ok$"
expect "vigil reports the app's exit (it was not killed)" "$T/kill.out" '^exit=0$'
# Without CAP_SYS_PTRACE: memory through /proc/TID/mem under the app's fsuid, no socket copy:
# vigil makes the app's IP sockets itself and connects on them.
capsh --drop=cap_sys_ptrace -- -c "timeout 30 '$VIGIL' run -p '$T/user.toml' -- sh -c 'kill -9 \$PPID; echo kill=\$?; $ATTACK connect $FORBIDDEN; $ATTACK connect $ALLOWED'" \
    > "$T/noptrace.out" 2> "$T/noptrace.err"
expect "no CAP_SYS_PTRACE: kill of vigil fails" "$T/noptrace.out" '^kill=1$'
expect "no CAP_SYS_PTRACE: forbidden connect refused (memory read as the app)" "$T/noptrace.out" "^connect $FORBIDDEN ECONNREFUSED$"
expect "no CAP_SYS_PTRACE: allowed connect made on the socket vigil made (socket custody)" "$T/noptrace.out" "^connect $ALLOWED ok$"
expect "no CAP_SYS_PTRACE: one line says what to do" "$T/noptrace.err" 'cap-add SYS_PTRACE'

# --- #3: io_uring next to notify rules ---
cat > "$T/uring.toml" <<'TOML'
[seccomp]
default = "errno:EPERM"
allow = ["@system-service"]
notify = ["connect"]
[notify.connect]
allow = ["127.0.0.1:80"]
TOML
"$VIGIL" check "$T/uring.toml" > "$T/uring.out" 2>&1; echo "rc=$?" >> "$T/uring.out"
expect "check rejects io_uring allowed by @system-service next to notify" "$T/uring.out" \
    'uring.toml:3:[0-9]+: io_uring_setup is allowed .*notify.connect at .*uring.toml:[0-9]+:[0-9]+'
expect "check exits 1" "$T/uring.out" '^rc=1$'

# --- #8: exit promptly with blocking connects in vigil's hands ---
python3 - "$T/block.sock" > /dev/null 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(0)
time.sleep(120)
PY
PIDS+=($!)
for _ in $(seq 50); do [ -S "$T/block.sock" ] && break; sleep 0.1; done
p=$(egress_profile block "")
start=$(date +%s%N)
run block "$p" "$ATTACK" connect-many "$T/block.sock" 40
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "exit with blocked connects took ${ms} ms"
expect "vigil exits with the app (not killed by timeout)" "$T/block.out" '^exit=0$'
if [ "$ms" -lt 5000 ]; then pass "vigil exited within 5 s (${ms} ms)"; else fail "vigil took ${ms} ms to exit"; fi
expect "calls beyond the worker limit answered EAGAIN" "$T/block.out" '^connect-many eagain=[1-9]'
expect "audit: EAGAIN says the limit" "$T/block.audit" 'already in progress'

# --- #11: abstract unix names compared on their full length ---
python3 - "$T/abstract.ready" > /dev/null 2>&1 <<'PY' &
import socket, sys, time
a = socket.socket(socket.AF_UNIX); a.bind(b"\0vigil-it-foo"); a.listen(8)
b = socket.socket(socket.AF_UNIX); b.bind(b"\0vigil-it-foo\0x"); b.listen(8)
open(sys.argv[1], "w").close()
time.sleep(60)
PY
PIDS+=($!)
for _ in $(seq 100); do [ -e "$T/abstract.ready" ] && break; sleep 0.1; done
p=$(egress_profile abstract "" ', "unix:@vigil-it-foo"')
run abstract "$p" sh -c "$ATTACK abstract vigil-it-foo; $ATTACK abstract 'vigil-it-foo~x'"
expect "@foo admitted" "$T/abstract.out" '^abstract vigil-it-foo ok$'
expect "@foo\\0x refused" "$T/abstract.out" '^abstract vigil-it-foo~x ECONNREFUSED$'

echo "$FAILS failed"
[ "$FAILS" -eq 0 ]
