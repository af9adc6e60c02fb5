#!/bin/bash
# Egress under Docker's default privileges: vigil as root with Docker's capability set (no
# CAP_SYS_PTRACE, reproduced with capsh --drop), the app as another uid, so vigil cannot copy the
# app's socket (pidfd_getfd) to connect on it. With [landlock] connect_tcp naming the allowed
# port, a connect matching [notify.connect] goes through (the kernel enforces the port), one
# that does not is refused, and an app thread racing vigil's address check (flipping the port
# between the allowed and a forbidden one) never reaches the forbidden port: the race is bounded
# to the listed ports. Without [landlock] the same match is refused (fail closed). The start-up
# line says what --cap-add SYS_PTRACE would add.
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
# No IP socket but plain TCP (Landlock bounds TCP ports only): what lets a TCP connect through
# without the socket copy.
tcp_only=''
for c in "arg1 & 0xf == SOCK_DGRAM" "arg1 & 0xf == SOCK_RAW" "arg1 & 0xf == SOCK_SEQPACKET" "arg1 & 0xf == SOCK_DCCP" "arg1 & 0xf == SOCK_RDM" "arg2 == IPPROTO_UDP" "arg2 == IPPROTO_UDPLITE" "arg2 == IPPROTO_ICMP" "arg2 == IPPROTO_ICMPV6" "arg2 == IPPROTO_SCTP" "arg2 == 262"; do  # 262: IPPROTO_MPTCP
    tcp_only+="[[seccomp.rule]]
syscall = \"socket\"
action = \"errno:EACCES\"
when = [\"$c\"]
"
done
profile udp "[landlock]
connect_tcp = [$ALLOWED]"
profile bounded "$tcp_only
[landlock]
connect_tcp = [$ALLOWED]"
profile unbounded "$tcp_only"

# UDP sockets allowed: the port bound would not hold for them, so no matched connect goes through.
docker "$VIGIL" run -p "$T/udp.toml" --audit "$T/udp.audit" -- sh -c "$ATTACK connect $ALLOWED" \
    > "$T/udp.out" 2> "$T/udp.err"
expect_grep "udp allowed: the matched connect is refused without the copy" "^connect $ALLOWED (ECONNREFUSED|EACCES)$" "$T/udp.out"
expect_grep "udp allowed: the start-up line says why" 'egress: the profile allows IP sockets other than TCP' "$T/udp.err"

docker "$VIGIL" run -p "$T/bounded.toml" --audit "$T/bounded.audit" -- sh -c \
    "$ATTACK connect $ALLOWED; $ATTACK connect $FORBIDDEN; $ATTACK dumpable-race $ALLOWED $FORBIDDEN 2" \
    > "$T/bounded.out" 2> "$T/bounded.err"
expect_grep "bounded: the allowed destination connects without pidfd_getfd" "^connect $ALLOWED ok$" "$T/bounded.out"
expect_grep "bounded: another port is refused" "^connect $FORBIDDEN (ECONNREFUSED|EACCES)$" "$T/bounded.out"
expect_grep "bounded: the race never reaches the forbidden port" '^dumpable-race forbidden=0 allowed=[1-9][0-9]* ' \
    "$T/bounded.out"
expect_grep "bounded: the audit trail says why it was let through" \
    '"decision":"allow".*landlock.connect_tcp enforces the port' "$T/bounded.audit"
expect_grep "bounded: the start-up line says what is decided now" \
    'egress: vigil lacks CAP_SYS_PTRACE.*a TCP connect matching it goes through with its port enforced by the kernel \(landlock.connect_tcp = \['"$ALLOWED"'\]\)' \
    "$T/bounded.err"
expect_grep "bounded: and what --cap-add SYS_PTRACE would add" \
    'docker run --cap-add SYS_PTRACE` would add: every allowed connect and send performed by vigil on a copy of the socket' \
    "$T/bounded.err"

# A unix peer of the allow-list cannot be bounded by Landlock: refused without the copy.
unix_server "$T/peer.sock"
cat > "$T/unix.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); print("unix ok")
except OSError as e:
    print("unix", e.errno)
PY
docker "$VIGIL" run -p "$T/bounded.toml" -- /usr/bin/python3 "$T/unix.py" "$T/peer.sock" > "$T/unix.out" 2> "$T/unix.err"
expect_grep "bounded: a listed unix peer is refused without the socket copy (fail closed)" '^unix (1|111)$' "$T/unix.out"

docker "$VIGIL" run -p "$T/unbounded.toml" -- sh -c "$ATTACK connect $ALLOWED" \
    > "$T/unbounded.out" 2> "$T/unbounded.err"
expect_grep "unbounded: without connect_tcp the match is refused (fail closed)" "^connect $ALLOWED ECONNREFUSED$" \
    "$T/unbounded.out"
expect_grep "unbounded: the start-up line says so" 'destinations matching it are refused \(fail closed' "$T/unbounded.err"

# Root with every capability copies the socket: the call is performed by vigil, no race at all.
"$VIGIL" run -p "$T/bounded.toml" --audit "$T/root.audit" -- sh -c "$ATTACK connect $ALLOWED" > "$T/root.out" 2> "$T/root.err"
expect_grep "with CAP_SYS_PTRACE: connected" "^connect $ALLOWED ok$" "$T/root.out"
expect_grep "with CAP_SYS_PTRACE: performed by vigil on a copy" 'connect performed by vigil' "$T/root.audit"
if grep -q 'egress: vigil lacks' "$T/root.err"; then fail "with CAP_SYS_PTRACE: a degraded-mode line was printed"
else pass "with CAP_SYS_PTRACE: no degraded-mode line"; fi

finish
