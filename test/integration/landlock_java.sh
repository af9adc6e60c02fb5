#!/bin/bash
# The JVM starts under a sensible [landlock] (the JDK and libraries read+execute, /tmp
# writable, /etc /proc /sys /usr/share readable, no TCP, both scopes), and the confinement is
# real: without the JDK and library directories in `execute` (only /lib64, the loader's link)
# the same java cannot even start, and vigil says which key is missing.
# labels: integration;landlock;java
# timeout: 60
set -o pipefail
source "$(dirname "$0")/lib/common.bash"
T=$TMP
JAVA=$(readlink -f "$(command -v java)")

cat > "$T/jvm.toml" <<EOF
[landlock]
read = ["/etc", "/proc", "/sys", "/usr/share"]
write = ["/tmp"]
execute = ["/usr/lib/jvm", "/usr/lib", "/lib", "/lib64"]
bind_tcp = []
connect_tcp = []
scope = ["signal", "abstract_unix"]
require_abi = 6
EOF
"$VIGIL" run -p "$T/jvm.toml" -- "$JAVA" -version > "$T/out" 2> "$T/err"
RC=$?
[ "$RC" -eq 0 ] && pass "java -version under [landlock]" || fail "java -version exited $RC: $(tail -5 "$T/err")"
grep -q "^openjdk version" "$T/err" && pass "the JVM printed its version" || fail "no version line: $(tail -5 "$T/err")"

sed 's|^execute = .*|execute = ["/lib64"]|' "$T/jvm.toml" > "$T/nojdk.toml"
"$VIGIL" run -p "$T/nojdk.toml" -- "$JAVA" -version > "$T/out2" 2> "$T/err2"
RC=$?
[ "$RC" -eq 126 ] && pass "without the JDK in execute: 126" || fail "without the JDK in execute: exit $RC"
grep -q "need landlock.execute" "$T/err2" && pass "the message names landlock.execute" || fail "no hint: $(cat "$T/err2")"

finish
