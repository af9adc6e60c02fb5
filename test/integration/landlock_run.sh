#!/bin/bash
# [landlock] through the real vigil and the real kernel, attacked from inside the app: an app
# confined to read conf/ and write data/ cannot read a secret elsewhere (directly, through a
# symlink inside conf/, through /proc/self/fd, by hard-linking or renaming it into data/),
# cannot write into conf/, cannot execute outside `execute`, cannot connect to or bind a TCP
# port outside the lists, cannot kill vigil (vigil not PID 1, the app under the same uid: the
# strongest case, only Landlock's signal scope stands in the way), cannot reach an abstract
# unix socket outside its domain; `require_abi = 99` refuses to start (125); without Landlock
# (an outer filter refusing it, as an old runtime's would) vigil runs with an error line, or
# refuses (125) under require_abi; each filesystem right is granted and refused; the start-up
# line and the audit trail say what is enforced.
# labels: integration;landlock
# timeout: 120
set -o pipefail
source "$(dirname "$0")/lib/common.bash"
PROBE=$HELPERS/landlock_probe
T=$TMP
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
expect_grep "the app reads its config" "^read $T/app/conf/app.conf=ok$" "$T/out"
expect_grep "the secret elsewhere is refused" "^read $T/elsewhere/secret=EACCES$" "$T/out"
expect_grep "a symlink inside conf/ to the secret is refused (the kernel checks the file)" "^read $T/app/conf/link-to-secret=EACCES$" "$T/out"
expect_grep "/proc/self/fd reopen of the secret is refused" "^reopen $T/elsewhere/secret=EACCES$" "$T/out"
expect_grep "writing the config is refused" "^write $T/app/conf/app.conf=EACCES$" "$T/out"
expect_grep "creating a file in conf/ is refused" "^create $T/app/conf/new=EACCES$" "$T/out"
expect_grep "creating a file in data/ works" "^create $T/app/data/out=ok$" "$T/out"
expect_grep "writing in data/ works" "^write $T/app/data/out=ok$" "$T/out"
expect_grep "hard-linking the secret into data/ is refused" "^link $T/elsewhere/secret,$T/app/data/hardlink=(EXDEV|EACCES)$" "$T/out"
expect_grep "renaming the secret into data/ is refused" "^rename $T/elsewhere/secret,$T/app/data/moved=(EXDEV|EACCES)$" "$T/out"
expect_grep "executing from bin/ works" "^exec $T/app/bin/probe=ok$" "$T/out"
expect_grep "executing outside 'execute' is refused" "^exec $T/elsewhere/other-program=EACCES$" "$T/out"
expect_grep "connect to the listed port works" "^connect $ALLOWED=ok$" "$T/out"
expect_grep "connect to another port is refused" "^connect $FORBIDDEN=EACCES$" "$T/out"
expect_grep "bind of the listed port works" "^bind $BIND_OK=ok$" "$T/out"
expect_grep "bind of another port is refused" "^bind $BIND_NO=EACCES$" "$T/out"
expect_grep "an abstract unix socket outside the domain is refused" "^abstract vigil-landlock-outside=EPERM$" "$T/out"
expect_grep "an abstract unix socket inside the domain works" "^abstract vigil-landlock-inside=ok$" "$T/out"
[ "$RC" -eq 0 ] && pass "vigil exit 0" || fail "vigil exited $RC: $(cat "$T/err")"
[ -e "$T/elsewhere/secret" ] && pass "the secret stayed where it was" || fail "the secret was moved"
expect_grep "the start-up line says what is enforced" "landlock: ABI [0-9]+, confined: filesystem .* every requested right is enforced" "$T/err"
expect_grep "the audit trail has the Landlock notice" "landlock abi=[0-9]+ ruleset=enforced .*unenforced=none" "$T/audit.jsonl"

# ---- each filesystem right, granted (under write/) and refused (under read/ or nothing) -----
R=$T/rights
mkdir -p "$R/ro/d" "$R/rw/d" "$R/rw/sub" "$R/none"
for f in "$R/ro/f" "$R/ro/f2" "$R/rw/f" "$R/rw/f2" "$R/rw/moving" "$R/none/f"; do echo data > "$f"; done
cat > "$T/rights.toml" <<TOML
[landlock]
read = ["rights/ro", "/dev/null"]
write = ["rights/rw", "/dev/zero"]
execute = ["app/bin", "/usr/lib", "/lib", "/lib64"]
TOML
"$VIGIL" run -p "$T/rights.toml" -- "$T/app/bin/probe" \
    read:"$R/ro/f" read:"$R/none/f" \
    write:"$R/rw/f" write:"$R/ro/f" \
    list:"$R/ro" list:"$R/none" \
    truncate:"$R/rw/f" truncate:"$R/ro/f" \
    unlink:"$R/rw/f2" unlink:"$R/ro/f2" \
    rmdir:"$R/rw/d" rmdir:"$R/ro/d" \
    mkdir:"$R/rw/new" mkdir:"$R/ro/new" \
    create:"$R/rw/c" create:"$R/ro/c" \
    mkfifo:"$R/rw/fifo" mkfifo:"$R/ro/fifo" \
    mksock:"$R/rw/sock" mksock:"$R/ro/sock" \
    symlink:"$R/rw/l" symlink:"$R/ro/l" \
    mkchar:"$R/rw/chr" mkblock:"$R/rw/blk" \
    rename:"$R/rw/moving,$R/rw/sub/moved" rename:"$R/ro/f,$R/rw/stolen" \
    ioctl:/dev/zero ioctl:/dev/null \
    > "$T/rights.out" 2> "$T/rights.err"
for right in "read $R/ro/f=ok:read_file granted" "read $R/none/f=EACCES:read_file refused" \
    "write $R/rw/f=ok:write_file granted" "write $R/ro/f=EACCES:write_file refused" \
    "list $R/ro=ok:read_dir granted" "list $R/none=EACCES:read_dir refused" \
    "truncate $R/rw/f=ok:truncate granted" "truncate $R/ro/f=EACCES:truncate refused" \
    "unlink $R/rw/f2=ok:remove_file granted" "unlink $R/ro/f2=EACCES:remove_file refused" \
    "rmdir $R/rw/d=ok:remove_dir granted" "rmdir $R/ro/d=EACCES:remove_dir refused" \
    "mkdir $R/rw/new=ok:make_dir granted" "mkdir $R/ro/new=EACCES:make_dir refused" \
    "create $R/rw/c=ok:make_reg granted" "create $R/ro/c=EACCES:make_reg refused" \
    "mkfifo $R/rw/fifo=ok:make_fifo granted" "mkfifo $R/ro/fifo=EACCES:make_fifo refused" \
    "mksock $R/rw/sock=ok:make_sock granted" "mksock $R/ro/sock=EACCES:make_sock refused" \
    "symlink $R/rw/l=ok:make_sym granted" "symlink $R/ro/l=EACCES:make_sym refused" \
    "mkchar $R/rw/chr=EACCES:make_char refused even where writing is granted" \
    "mkblock $R/rw/blk=EACCES:make_block refused even where writing is granted" \
    "rename $R/rw/moving,$R/rw/sub/moved=ok:refer granted (rename across directories under write)" \
    "rename $R/ro/f,$R/rw/stolen=(EXDEV|EACCES):refer refused (out of read into write)" \
    "ioctl /dev/zero=ENOTTY:ioctl_dev granted (the device's own answer)" \
    "ioctl /dev/null=EACCES:ioctl_dev refused"; do
    expect_grep "${right#*:}" "^${right%%:*}\$" "$T/rights.out"
done

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
expect_grep "the app cannot kill vigil (signal scope)" "^kill [0-9]+=EPERM$" "$T/kill.out"
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
expect_grep "require_abi names the position and what the kernel offers" "abi.toml:3:[0-9]+: landlock.require_abi = 99, but this kernel offers Landlock ABI [0-9]+; refusing to start" "$T/abi.err"
[ -s "$T/abi.out" ] && fail "the app ran despite require_abi" || pass "the app did not run"

# ---- no Landlock at all (a runtime's seccomp refusing it, reproduced by an outer vigil) -----
cat > "$T/outer.toml" <<TOML
[seccomp]
default = "allow"
[seccomp.deny]
landlock_create_ruleset = "errno:ENOSYS"
TOML
printf '[landlock]\nread = ["/"]\nexecute = ["/usr", "/lib", "/lib64", "/bin"]\n' > "$T/weak.toml"
printf '[landlock]\nread = ["/"]\nexecute = ["/usr", "/lib", "/lib64", "/bin"]\nrequire_abi = 1\n' > "$T/strict.toml"
"$VIGIL" run -p "$T/outer.toml" -- "$VIGIL" run -p "$T/weak.toml" -- sh -c "echo x > $T/written && echo ran" \
    > "$T/none.out" 2> "$T/none.err"
expect_grep "no Landlock, no require_abi: the app runs" '^ran$' "$T/none.out"
expect_grep "  and an error line says [landlock] is NOT enforced" 'no Landlock \(ENOSYS\); the profile.s \[landlock\] is NOT enforced' "$T/none.err"
expect_grep "  and the audit trail says so" '"decision":"not-enforced".*landlock abi=0 ruleset=none' "$T/none.err"
"$VIGIL" run -p "$T/outer.toml" -- "$VIGIL" run -p "$T/strict.toml" -- sh -c "echo ran" \
    > "$T/strict.out" 2> "$T/strict.err"
RC=$?
expect_eq "no Landlock, require_abi = 1: exit 125" 125 "$RC"
expect_grep "  with the position and the reason" 'strict.toml:4:[0-9]+: landlock.require_abi = 1, but this kernel offers no Landlock' "$T/strict.err"
[ -s "$T/strict.out" ] && fail "the app ran without Landlock despite require_abi" || pass "  and the app did not run"

# ---- a path that does not exist is skipped with a warning, never an error -------------------
cat > "$T/missing.toml" <<EOF
[landlock]
read = ["/etc", "$T/does-not-exist"]
execute = ["/usr", "/lib64", "$T/app/bin"]
EOF
"$VIGIL" run -p "$T/missing.toml" -- "$T/app/bin/probe" read:/etc/hostname > "$T/missing.out" 2> "$T/missing.err"
expect_grep "a missing path is warned about with its position" "missing.toml:2:[0-9]+: $T/does-not-exist does not exist; skipped" "$T/missing.err"
expect_grep "and the app runs" "^read /etc/hostname=ok$" "$T/missing.out"

# ---- an unknown key is an error with a suggestion ------------------------------------------
printf '[landlock]\nreed = ["/etc"]\n' > "$T/typo.toml"
"$VIGIL" check "$T/typo.toml" > /dev/null 2> "$T/typo.err"
RC=$?
[ "$RC" -ne 0 ] && pass "vigil check rejects an unknown key" || fail "vigil check accepted an unknown key"
expect_grep "unknown key with position and suggestion" "typo.toml:2:[0-9]+: unknown key 'reed' in \\[landlock\\]; did you mean 'read'" "$T/typo.err"

finish
