#!/bin/bash
# `vigil learn` runs the app with the privileges its profile will give it under `vigil run`: an
# app started as root that writes into a directory it does not own fails while learning (as it
# will under its own profile, which keeps no capability), instead of passing learning with
# root's CAP_DAC_OVERRIDE and failing in production. A BASE profile's [landlock] is in force
# while learning; its [process] too.
# labels: integration;learn;landlock
# timeout: 60
set -o pipefail
source "$(dirname "$0")/lib/common.bash"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (the case is an app learned as root)"; exit 0; }
T=$TMP
chmod 0755 "$T"
mkdir "$T/theirs"
chown 65534:65534 "$T/theirs"
chmod 0755 "$T/theirs"
WRITE="echo x > $T/theirs/f && echo wrote"

# Control: root itself writes there (CAP_DAC_OVERRIDE): the difference is real.
sh -c "$WRITE" > "$T/plain.out" 2>&1
expect_grep "control: plain root writes into a directory it does not own" '^wrote$' "$T/plain.out"
rm -f "$T/theirs/f"

"$VIGIL" learn -o "$T/learned.toml" -- sh -c "$WRITE" > "$T/learn.out" 2> "$T/learn.err"
RC=$?
[ "$RC" -ne 0 ] && pass "learning fails like the app will (exit $RC)" || fail "learning passed: the app kept root's capabilities"
expect_grep "the write was refused while learning" 'Permission denied' "$T/learn.err"
[ -e "$T/theirs/f" ] && fail "the file was written while learning" || pass "nothing written while learning"
expect_grep "the profile was still written" '^\[seccomp\]' "$T/learned.toml"
"$VIGIL" run -p "$T/learned.toml" -- sh -c "$WRITE" > "$T/run.out" 2> "$T/run.err"
RC2=$?
expect_eq "vigil run under the learned profile fails the same way" "$RC" "$RC2"

# The app learns as BASE's [process] user, and within BASE's [landlock].
mkdir "$T/mine" && chown 65534:65534 "$T/mine"
cat > "$T/base.toml" <<TOML
[process]
user = "65534"

[landlock]
read = ["/"]
write = ["mine"]
execute = ["/usr", "/lib", "/lib64", "/bin"]
TOML
"$VIGIL" learn -o "$T/learned2.toml" -p "$T/base.toml" -- sh -c \
    "id -u; echo y > $T/mine/f && echo mine-ok; echo z > /tmp/vigil-learn-priv-$$ && echo tmp-ok" \
    > "$T/learn2.out" 2> "$T/learn2.err"
expect_grep "learned as BASE's user" '^65534$' "$T/learn2.out"
expect_grep "BASE's [landlock] grants its write dir while learning" '^mine-ok$' "$T/learn2.out"
if grep -q '^tmp-ok$' "$T/learn2.out"; then fail "BASE's [landlock] was not in force: /tmp was writable"
else pass "BASE's [landlock] refuses what it does not grant while learning"; fi
rm -f "/tmp/vigil-learn-priv-$$"
expect_grep "the output includes BASE" '^include = \[' "$T/learned2.toml"

finish
