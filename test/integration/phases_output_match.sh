#!/bin/bash
# [phases.ready] output_match against output an attacker inside the app chooses: a 65,000-
# character line that made std::regex recurse until vigil crashed (SIGSEGV), a line that never
# ends, a match hidden past the line bound, and a regex RE2 cannot run in linear time
# (a backreference), which `vigil check` must reject with its position.
# labels: integration;phases
# timeout: 120
set -uo pipefail
source "$(dirname "$0")/lib/common.bash"

# Readiness is visible in the audit trail (a "phase" event); execve is notified so that the
# run has a notify session, which is what tracks phases.
cat > "$TMP/p.toml" <<TOML
include = ["$SRC/profiles/default.toml"]
[seccomp]
notify = ["execve"]
[notify.execve]
startup = "allow"
ready = "allow"
[phases.ready]
output_match = "Started .* in [0-9]+ ms"
TOML

# A real interpreter, not a shell shim that execs a dozen times on its way to it.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

# run NAME PYTHON: runs the python program under vigil; status in $TMP/NAME.rc.
run() {
    timeout 30 "$VIGIL" run -p "$TMP/p.toml" --audit "$TMP/$1.audit" -- "$PY" -c "$2" \
        > "$TMP/$1.out" 2> "$TMP/$1.err"
    echo $? > "$TMP/$1.rc"
}

# 1. "Started " and 65,000 characters with no " in N ms": the old matcher's recursion depth.
run long 'import sys, time
sys.stdout.write("Started " + "x" * 65000 + "\n"); sys.stdout.flush(); time.sleep(0.2)
sys.stdout.write("Started app in 12 ms\n"); sys.stdout.flush(); time.sleep(0.2)'
expect_eq "vigil survives a 65,000-character line (exit status of the app)" 0 "$(cat "$TMP/long.rc")"
expect_grep "ready on the later matching line" '"event":"phase".*"phase":"ready"' "$TMP/long.audit"
expect_eq "the long line is relayed whole" 65009 "$(head -n1 "$TMP/long.out" | wc -c)"

# 2. A line that never ends (4 MiB without a newline), then a matching line.
run endless 'import sys, time
for _ in range(64): sys.stdout.write("Started " + "y" * 65536)
sys.stdout.flush(); time.sleep(0.2)
sys.stdout.write("\nStarted app in 3 ms\n"); sys.stdout.flush(); time.sleep(0.2)'
expect_eq "vigil survives a 4 MiB line" 0 "$(cat "$TMP/endless.rc")"
expect_grep "ready after the endless line ends" '"event":"phase".*"phase":"ready"' "$TMP/endless.audit"

# 3. The match stands past the first 64 KiB of a line: not seen (the documented bound).
run hidden 'import sys, time
sys.stdout.write("z" * 70000 + "Started app in 1 ms\n"); sys.stdout.flush(); time.sleep(0.3)'
expect_eq "hidden: app's status" 0 "$(cat "$TMP/hidden.rc")"
if grep -q '"event":"phase"' "$TMP/hidden.audit"; then fail "a match past the line bound counted"; else pass; fi

# 4. A backreference is not RE2: a profile error at the value's position.
cat > "$TMP/bad.toml" <<TOML
include = ["$SRC/profiles/default.toml"]
[phases.ready]
output_match = "(a)\\\\1"
TOML
"$VIGIL" check "$TMP/bad.toml" > "$TMP/bad.out" 2>&1
expect_eq "vigil check rejects a backreference" 1 "$?"
expect_grep "the error names FILE:LINE:COL and RE2" 'bad.toml:3:16: phases.ready.output_match: bad regular expression .*RE2' "$TMP/bad.out"

finish
