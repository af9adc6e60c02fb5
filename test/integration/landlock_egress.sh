#!/bin/bash
# Egress under Docker's default privileges: vigil as root with Docker's capability set (no
# CAP_SYS_PTRACE, reproduced with capsh --drop), the app as another uid, so vigil cannot copy the
# app's socket (pidfd_getfd). vigil then makes the app's IP sockets itself (socket custody) and
# performs every allowed connect and send on its own reference to the socket: an allowed TCP
# connect goes through, a forbidden one is refused, an app thread racing vigil's address check
# (flipping the port between the allowed and a forbidden one) never reaches the forbidden port,
# UDP datagrams reach only listed destinations, with or without [landlock] and whatever socket
# kinds the profile allows. A unix peer of the allow-list is refused (vigil does not make unix
# sockets). The start-up line says what --cap-add SYS_PTRACE would add.
# labels: integration;notify;landlock
# timeout: 120
set -o pipefail
source "$(dirname "$0")/lib/common.bash"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (vigil as a container's root)"; exit 0; }
command -v capsh > /dev/null || { echo "SKIP: capsh (libcap2-bin) missing"; exit 0; }
ATTACK=$HELPERS/notify_attack
T=$TMP
chmod 0755 "$T"
server a
server f
ALLOWED=$(cat "$T/port.a")
FORBIDDEN=$(cat "$T/port.f")

DOCKER_CAPS="chown,dac_override,fsetid,fowner,mknod,net_raw,setgid,setuid,setfcap,setpcap,net_bind_service,sys_chroot,kill,audit_write"
DROP=$(for c in $(seq 0 "$(cat /proc/sys/kernel/cap_last_cap)"); do
    name=$(capsh --decode=$(printf '%x' $((1 << c))) | sed 's/.*=//')
    case ",$DOCKER_CAPS," in *",${name#cap_},"*) ;; *) printf '%s,' "$name" ;; esac
done | sed 's/,$//')
docker() { capsh --drop="$DROP" -- -c '"$@"' capsh "$@"; }
docker grep CapBnd /proc/self/status > "$T/caps"
expect_grep "the bounding set is Docker's (no CAP_SYS_PTRACE)" '00000000a80425fb$' "$T/caps"

profile() {  # profile NAME LANDLOCK_LINES
    cat > "$T/$1.toml" <<TOML
[process]
user = "65534"

[seccomp]
default = "allow"
notify = ["connect"]

[seccomp.deny]
io_uring_setup = "errno:ENOSYS"
io_uring_enter = "errno:ENOSYS"
io_uring_register = "errno:ENOSYS"

[notify.connect]
allow = ["127.0.0.0/8:$ALLOWED", "unix:$T/peer.sock"]
otherwise = "errno:ECONNREFUSED"

$2
TOML
}
profile plain ""
profile bounded "[landlock]
connect_tcp = [$ALLOWED]"

for p in plain bounded; do
    docker "$VIGIL" run -p "$T/$p.toml" --audit "$T/$p.audit" -- sh -c \
        "$ATTACK connect $ALLOWED; $ATTACK connect $FORBIDDEN; $ATTACK sendmmsg $ALLOWED; $ATTACK sendmmsg $FORBIDDEN; $ATTACK dumpable-race $ALLOWED $FORBIDDEN 2; $ATTACK sendmsg-race $FORBIDDEN 1" \
        > "$T/$p.out" 2> "$T/$p.err"
    expect_grep "$p: the allowed destination connects without pidfd_getfd" "^connect $ALLOWED ok$" "$T/$p.out"
    expect_grep "$p: another port is refused" "^connect $FORBIDDEN (ECONNREFUSED|EACCES)$" "$T/$p.out"
    expect_grep "$p: UDP datagrams to the listed port are sent" "^sendmmsg $ALLOWED n=2 lens=3,5$" "$T/$p.out"
    expect_grep "$p: UDP datagrams to another port are refused" "^sendmmsg $FORBIDDEN ECONNREFUSED$" "$T/$p.out"
    expect_grep "$p: the race never reaches the forbidden port" '^dumpable-race forbidden=0 allowed=[1-9][0-9]* ' "$T/$p.out"
    expect_grep "$p: the msg_name race sends nothing" '^sendmsg-race sent=0 ' "$T/$p.out"
    expect_grep "$p: the audit says vigil performed the connect" \
        "\"address\":\"127.0.0.1:$ALLOWED\".*connect performed by vigil" "$T/$p.audit"
    expect_grep "$p: the start-up line says socket custody and what SYS_PTRACE adds" \
        'makes the app.s IP sockets itself.*cap-add SYS_PTRACE' "$T/$p.err"
done

# SCTP names peers through setsockopt (SCTP_SOCKOPT_CONNECTX), which no allow-list decides:
# refused wherever peers are decided, with and without the copy.
cat > "$T/sctp.py" <<'PY'
import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132); print("sctp made")
except OSError as e:
    print("sctp", e.errno)
PY
docker "$VIGIL" run -p "$T/plain.toml" -- /usr/bin/python3 "$T/sctp.py" > "$T/sctp.out" 2>&1
expect_grep "an SCTP socket is refused where peers are decided (custody)" '^sctp 93$' "$T/sctp.out"
"$VIGIL" run -p "$T/plain.toml" -- /usr/bin/python3 "$T/sctp.py" > "$T/sctp-root.out" 2>&1
expect_grep "an SCTP socket is refused where peers are decided (copies)" '^sctp 93$' "$T/sctp-root.out"

# A unix peer of the allow-list: vigil makes no unix sockets, so without the copy it is refused.
unix_server "$T/peer.sock"
cat > "$T/unix.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); print("unix ok")
except OSError as e:
    print("unix", e.errno)
PY
docker "$VIGIL" run -p "$T/plain.toml" -- /usr/bin/python3 "$T/unix.py" "$T/peer.sock" > "$T/unix.out" 2> "$T/unix.err"
expect_grep "a listed unix peer is refused without the socket copy (fail closed)" '^unix (1|111)$' "$T/unix.out"

# Root with every capability copies the socket: no custody, the call is performed on the copy.
"$VIGIL" run -p "$T/plain.toml" --audit "$T/root.audit" -- sh -c "$ATTACK connect $ALLOWED" > "$T/root.out" 2> "$T/root.err"
expect_grep "with CAP_SYS_PTRACE: connected" "^connect $ALLOWED ok$" "$T/root.out"
expect_grep "with CAP_SYS_PTRACE: performed by vigil on a copy" 'connect performed by vigil' "$T/root.audit"
if grep -q 'socket custody\|makes the app.s IP sockets' "$T/root.err"; then fail "with CAP_SYS_PTRACE: custody was used"
else pass "with CAP_SYS_PTRACE: no socket custody"; fi

finish
