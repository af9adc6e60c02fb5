#!/bin/bash
# [landlock] through the real vigil and the real kernel, attacked from inside the app: an app
# confined to read conf/ and write data/ cannot read a secret elsewhere (directly, through a
# symlink inside conf/, through /proc/self/fd, by hard-linking or renaming it into data/),
# cannot write into conf/, cannot execute outside `execute`, cannot connect to or bind a TCP
# port outside the lists, cannot kill vigil (vigil not PID 1, the app under the same uid: the
# strongest case, only Landlock's signal scope stands in the way), cannot reach an abstract
# unix socket outside its domain; `require_abi = 99` refuses to start (125); the start-up line
# and the audit trail say what is enforced.
# labels: integration;landlock
# timeout: 120
set -uo pipefail
: "${VIGIL:?}" "${HELPERS:?}"
PROBE=$HELPERS/landlock_probe
T=$(mktemp -d /tmp/vigil-landlock-it.XXXXXX)
source "$(dirname "$0")/lib/objects.bash"
# An abstract unix listener outside the app's domain.
python3 - "$T/abstract.ready" > /dev/null 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind("\0vigil-landlock-outside"); s.listen(8)
open(sys.argv[1], "w").write("1")
while True:
    c, _ = s.accept(); c.close()
PY
PIDS+=($!)
server a
server f
ALLOWED=$(cat "$T/port.a")
FORBIDDEN=$(cat "$T/port.f")
BIND_OK=$(free_port)
BIND_NO=$(free_port)
for _ in $(seq 50); do [ -s "$T/abstract.ready" ] && break; sleep 0.1; done

mkdir -p "$T/app/conf" "$T/app/data" "$T/app/bin" "$T/elsewhere"
echo "setting=1" > "$T/app/conf/app.conf"
echo "TOP SECRET" > "$T/elsewhere/secret"
ln -s "$T/elsewhere/secret" "$T/app/conf/link-to-secret"
cp "$PROBE" "$T/app/bin/probe"
cp "$PROBE" "$T/elsewhere/other-program"

cat > "$T/app.toml" <<EOF
[landlock]
read = ["app/conf", "/etc", "/proc"]   # relative: next to this profile
write = ["app/data"]
execute = ["app/bin", "/usr/lib", "/lib64"]
bind_tcp = [$BIND_OK]
connect_tcp = [$ALLOWED]
scope = ["signal", "abstract_unix"]
require_abi = 6
EOF

# ---- the attacks, vigil as a plain child (not PID 1), the app under vigil's own uid ---------
(
    exec "$VIGIL" run -p "$T/app.toml" --audit "$T/audit.jsonl" -- "$T/app/bin/probe" \
        read:"$T/app/conf/app.conf" \
        read:"$T/elsewhere/secret" \
        read:"$T/app/conf/link-to-secret" \
        reopen:"$T/elsewhere/secret" \
        write:"$T/app/conf/app.conf" \
        create:"$T/app/conf/new" \
        create:"$T/app/data/out" \
        write:"$T/app/data/out" \
        link:"$T/elsewhere/secret,$T/app/data/hardlink" \
        rename:"$T/elsewhere/secret,$T/app/data/moved" \
        exec:"$T/app/bin/probe" \
        exec:"$T/elsewhere/other-program" \
        connect:"$ALLOWED" \
        connect:"$FORBIDDEN" \
        bind:"$BIND_OK" \
        bind:"$BIND_NO" \
        abstract:vigil-landlock-outside \
        listen_abstract:vigil-landlock-inside \
        abstract:vigil-landlock-inside
) > "$T/out" 2> "$T/err" &
LAUNCHER=$!
wait $LAUNCHER
RC=$?
expect "the app reads its config" "$T/out" "^read $T/app/conf/app.conf=ok$"
expect "the secret elsewhere is refused" "$T/out" "^read $T/elsewhere/secret=EACCES$"
expect "a symlink inside conf/ to the secret is refused (the kernel checks the file)" "$T/out" "^read $T/app/conf/link-to-secret=EACCES$"
expect "/proc/self/fd reopen of the secret is refused" "$T/out" "^reopen $T/elsewhere/secret=EACCES$"
expect "writing the config is refused" "$T/out" "^write $T/app/conf/app.conf=EACCES$"
expect "creating a file in conf/ is refused" "$T/out" "^create $T/app/conf/new=EACCES$"
expect "creating a file in data/ works" "$T/out" "^create $T/app/data/out=ok$"
expect "writing in data/ works" "$T/out" "^write $T/app/data/out=ok$"
expect "hard-linking the secret into data/ is refused" "$T/out" "^link $T/elsewhere/secret,$T/app/data/hardlink=(EXDEV|EACCES)$"
expect "renaming the secret into data/ is refused" "$T/out" "^rename $T/elsewhere/secret,$T/app/data/moved=(EXDEV|EACCES)$"
expect "executing from bin/ works" "$T/out" "^exec $T/app/bin/probe=ok$"
expect "executing outside 'execute' is refused" "$T/out" "^exec $T/elsewhere/other-program=EACCES$"
expect "connect to the listed port works" "$T/out" "^connect $ALLOWED=ok$"
expect "connect to another port is refused" "$T/out" "^connect $FORBIDDEN=EACCES$"
expect "bind of the listed port works" "$T/out" "^bind $BIND_OK=ok$"
expect "bind of another port is refused" "$T/out" "^bind $BIND_NO=EACCES$"
expect "an abstract unix socket outside the domain is refused" "$T/out" "^abstract vigil-landlock-outside=EPERM$"
expect "an abstract unix socket inside the domain works" "$T/out" "^abstract vigil-landlock-inside=ok$"
[ "$RC" -eq 0 ] && pass "vigil exit 0" || fail "vigil exited $RC: $(cat "$T/err")"
[ -e "$T/elsewhere/secret" ] && pass "the secret stayed where it was" || fail "the secret was moved"
expect "the start-up line says what is enforced" "$T/err" "landlock: ABI [0-9]+, confined: filesystem .* every requested right is enforced"
expect "the audit trail has the Landlock notice" "$T/audit.jsonl" "landlock abi=[0-9]+ ruleset=enforced .*unenforced=none"

# ---- kill vigil: the app (same uid as vigil, vigil NOT PID 1) sends SIGKILL to vigil --------
cat > "$T/kill.toml" <<EOF
[landlock]
scope = ["signal"]
EOF
# The attack is real: without the scope the same app kills vigil.
printf '[landlock]\nbind_tcp = []\n' > "$T/noscope.toml"
"$VIGIL" run -p "$T/noscope.toml" -- sh -c 'exec '"$PROBE"' kill:$PPID' > /dev/null 2>&1
RC=$?
[ "$RC" -eq 137 ] && pass "control: without the scope the app kills vigil (137)" || fail "control: vigil exited $RC without the scope"
"$VIGIL" run -p "$T/kill.toml" -- sh -c 'exec '"$PROBE"' kill:$PPID' > "$T/kill.out" 2> "$T/kill.err"
RC=$?
expect "the app cannot kill vigil (signal scope)" "$T/kill.out" "^kill [0-9]+=EPERM$"
[ "$RC" -eq 0 ] && pass "vigil survived and reported exit 0" || fail "vigil exited $RC: $(cat "$T/kill.err")"

# ---- require_abi above the kernel: refuse to start, 125, clear message ----------------------
cat > "$T/abi.toml" <<EOF
[landlock]
read = ["/"]
require_abi = 99
EOF
"$VIGIL" run -p "$T/abi.toml" -- "$PROBE" read:/etc/hostname > "$T/abi.out" 2> "$T/abi.err"
RC=$?
[ "$RC" -eq 125 ] && pass "require_abi = 99 exits 125" || fail "require_abi = 99 exited $RC"
expect "require_abi names the position and what the kernel offers" "$T/abi.err" "abi.toml:3:[0-9]+: landlock.require_abi = 99, but this kernel offers Landlock ABI [0-9]+; refusing to start"
[ -s "$T/abi.out" ] && fail "the app ran despite require_abi" || pass "the app did not run"

# ---- a path that does not exist is skipped with a warning, never an error -------------------
cat > "$T/missing.toml" <<EOF
[landlock]
read = ["/etc", "$T/does-not-exist"]
execute = ["/usr", "/lib64", "$T/app/bin"]
EOF
"$VIGIL" run -p "$T/missing.toml" -- "$T/app/bin/probe" read:/etc/hostname > "$T/missing.out" 2> "$T/missing.err"
expect "a missing path is warned about with its position" "$T/missing.err" "missing.toml:2:[0-9]+: $T/does-not-exist does not exist; skipped"
expect "and the app runs" "$T/missing.out" "^read /etc/hostname=ok$"

# ---- an unknown key is an error with a suggestion ------------------------------------------
printf '[landlock]\nreed = ["/etc"]\n' > "$T/typo.toml"
"$VIGIL" check "$T/typo.toml" > /dev/null 2> "$T/typo.err"
RC=$?
[ "$RC" -ne 0 ] && pass "vigil check rejects an unknown key" || fail "vigil check accepted an unknown key"
expect "unknown key with position and suggestion" "$T/typo.err" "typo.toml:2:[0-9]+: unknown key 'reed' in \\[landlock\\]; did you mean 'read'"

finish
