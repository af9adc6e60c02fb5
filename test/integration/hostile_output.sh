#!/bin/bash
# What an app controls ends up in vigil's outputs: thread names (prctl PR_SET_NAME) with
# invalid UTF-8, quotes, newlines, "]]", '"""', ')' and terminal escapes, and an executable path
# with the same. `learn --report` must succeed with valid JSON, the learned TOML must pass
# `vigil check` and hold no forged table or key, the audit trail must stay valid JSON lines and
# FHIR, and log lines cannot be forged. Then a flood of denied calls: a bounded trail with exact
# counters, and vigil still stops promptly on SIGTERM.
# labels: integration;learn;audit
# timeout: 180
set -uo pipefail
source "$(dirname "$0")/lib/common.bash"
APP="$HELPERS/hostile_names"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

# --- learn -------------------------------------------------------------------------------
"$VIGIL" learn --exact -o "$TMP/learned.toml" --report "$TMP/report" -- "$APP" "$TMP" \
    > "$TMP/learn.out" 2> "$TMP/learn.err"
expect_eq "learn on hostile thread names exits 0" 0 "$?"
"$PY" - "$TMP/report/learned.json" > "$TMP/json.out" 2>&1 <<'PY'
import json, sys
text = open(sys.argv[1], encoding="utf-8", errors="strict").read()
j = json.loads(text)
threads = set(j["syscalls"]["getpriority"]["threads"])
assert any("[vigil]" in t for t in threads), threads
print("ok")
PY
expect_eq "learned.json is valid UTF-8 JSON with the names" ok "$(tail -n1 "$TMP/json.out")"
"$VIGIL" check "$TMP/learned.toml" > "$TMP/check.out" 2>&1
expect_eq "the learned TOML passes vigil check" 0 "$?"
"$PY" - "$TMP/learned.toml" > "$TMP/toml.out" 2>&1 <<'PY'
import sys, tomllib
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")  # strict: TOML is UTF-8
d = tomllib.loads(raw.decode())
# A name with "\n[vigil]\ny=1" must stay inside its string: no such table or key appeared.
assert "vigil" not in d and "y" not in d and "t" not in d, sorted(d)
names = d["learned"]["syscalls"]["getpriority"]["threads"]
assert any(n.startswith("x\n[vigil]") for n in names), names
print("ok")
PY
expect_eq "the learned TOML is UTF-8 and forges nothing" ok "$(tail -n1 "$TMP/toml.out")"
if grep -a -q '^\[vigil\]\|^y=\|^\[t\]\|^\[x\]' "$TMP/learned.toml"; then fail "a forged line in the TOML"; else pass; fi
if grep -a -q '^vigil\[1\] erro' "$TMP/learn.err"; then fail "a forged log line"; else pass; fi

# The report directory: a symlink planted where a report file goes is replaced, never followed;
# a report directory that is itself a symlink is refused.
mkdir "$TMP/report2"
echo precious > "$TMP/victim"
ln -s "$TMP/victim" "$TMP/report2/learned.json"
"$VIGIL" learn -o "$TMP/learned2.toml" --report "$TMP/report2" -- "$APP" "$TMP" > /dev/null 2> "$TMP/learn2.err"
expect_eq "learn with a planted link in the report dir" 0 "$?"
expect_eq "the link's target is untouched" precious "$(cat "$TMP/victim")"
if [ -f "$TMP/report2/learned.json" ] && [ ! -L "$TMP/report2/learned.json" ]; then pass; else fail "learned.json is not a regular file"; fi
ln -s "$TMP/report2" "$TMP/report-link"
"$VIGIL" learn -o "$TMP/learned3.toml" --report "$TMP/report-link" -- "$APP" "$TMP" > /dev/null 2> "$TMP/learn3.err"
expect_eq "a report directory that is a symlink is refused" 125 "$?"

# --- log lines: a name holding a newline and a fake entry, in text and JSON logs ---------------
"$VIGIL" run -- $'/nonexistent\nvigil[1] error: forged\xff' > /dev/null 2> "$TMP/log.txt"
if grep -a -q '^vigil\[1\] error: forged' "$TMP/log.txt"; then fail "a forged text log line"; else pass; fi
expect_grep "the name is still there, escaped" '^  vigil\[1\] error: forged\\xff' "$TMP/log.txt"
VIGIL_LOG_FORMAT=json "$VIGIL" run -- $'/nonexistent\nvigil[1] error: forged\xff' > /dev/null 2> "$TMP/log.json"
"$PY" -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1], "rb").read().decode("utf-8").splitlines()]; print("ok")' \
    "$TMP/log.json" > "$TMP/logjson.check" 2>&1
expect_eq "JSON log lines stay valid UTF-8 JSON" ok "$(tail -n1 "$TMP/logjson.check")"

# --- audit trail, JSON and FHIR ---------------------------------------------------------------
cat > "$TMP/audit.toml" <<TOML
include = ["$SRC/profiles/default.toml"]
[seccomp]
notify = ["execve", "getpriority"]
[notify.execve]
startup = "allow"
ready = "allow"
[notify.getpriority]
startup = "errno:EPERM"
ready = "errno:EPERM"
TOML
for fmt in json fhir; do
    "$VIGIL" run -p "$TMP/audit.toml" --audit "$TMP/audit.$fmt" --audit-format $fmt -- "$APP" "$TMP" \
        > "$TMP/run.$fmt.out" 2> "$TMP/run.$fmt.err"
    expect_eq "run ($fmt) exits 0" 0 "$?"
    "$PY" - "$TMP/audit.$fmt" $fmt > "$TMP/audit.$fmt.check" 2>&1 <<'PY'
import json, sys
names = set()
for line in open(sys.argv[1], "rb").read().split(b"\n"):
    if not line:
        continue
    e = json.loads(line.decode("utf-8", errors="strict"))
    # The exec through the hostile symlink: its path, decoded from the app's memory.
    if sys.argv[2] == "json":
        names.add(e.get("decoded", {}).get("path", ""))
    else:
        assert e["resourceType"] == "AuditEvent"
        for d in e["entity"][0].get("detail", []):
            names.add(d["valueString"])
assert any("/exe\n[x]]\"\"\"\ufffd" in n for n in names), names
print("ok")
PY
    expect_eq "every $fmt audit line is valid UTF-8 JSON and keeps the hostile path" ok "$(tail -n1 "$TMP/audit.$fmt.check")"
done

# --- a flood ----------------------------------------------------------------------------------
FLOOD=30000
"$VIGIL" run -p "$TMP/audit.toml" --audit "$TMP/flood.json" -- "$APP" "$TMP" flood $FLOOD \
    > "$TMP/flood.out" 2> "$TMP/flood.err"
expect_eq "flood run exits 0" 0 "$?"
"$PY" - "$TMP/flood.json" $FLOOD > "$TMP/flood.check" 2>&1 <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
flood = int(sys.argv[2])
denied = [l for l in lines if l.get("syscall") == "getpriority" and l["event"] in ("decision", "repeated")]
total = sum(1 if l["event"] == "decision" else l["count"] for l in denied)
summary = lines[-1]
assert summary["event"] == "summary", summary
seen = summary["decisions"]["getpriority"]["denied"]
assert total == seen, (total, seen)
assert seen >= flood, seen
assert len(lines) < 200, len(lines)
print("ok", len(lines), seen)
PY
expect_grep "a flood of $FLOOD denials: a bounded trail whose counters add up" '^ok ' "$TMP/flood.check"
echo "flood: $(cat "$TMP/flood.check")"

# Responsive under a flood that never ends: SIGTERM stops vigil (and the app) promptly.
"$VIGIL" run -p "$TMP/audit.toml" --audit "$TMP/endless.json" -- "$APP" "$TMP" flood 1000000000 \
    > /dev/null 2> "$TMP/endless.err" &
launcher=$!
vpid=$(vigil_pid_of $launcher child)
sleep 1.5
start=$(date +%s%N)
kill -TERM "$vpid"
for _ in $(seq 100); do kill -0 "$vpid" 2>/dev/null || break; sleep 0.05; done
wait $launcher 2>/dev/null
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if kill -0 "$vpid" 2>/dev/null; then fail "vigil still running 5 s after SIGTERM under a flood"; kill -KILL "$vpid"; else pass; fi
echo "SIGTERM under a flood: vigil gone after $ms ms; trail $(wc -l < "$TMP/endless.json") lines"
expect_grep "the endless flood's trail ends with a summary" '"event":"summary"' "$TMP/endless.json"

# A sink that stops reading (a FIFO whose reader waits until the app has made its 2000 denied
# calls, however long a slow build takes for them) while 2000 processes are denied: vigil's loop
# does not wait for it, and the trail says how many lines it lost.
mkfifo "$TMP/slow.fifo"
: > "$TMP/slow.out"
"$PY" -c 'import sys, time
f = open(sys.argv[1], "rb")
deadline = time.monotonic() + 60
while b"forked" not in open(sys.argv[3], "rb").read() and time.monotonic() < deadline:
    time.sleep(0.05)
open(sys.argv[2], "wb").write(f.read())' \
    "$TMP/slow.fifo" "$TMP/slow.json" "$TMP/slow.out" &
reader=$!
start=$(date +%s%N)
"$VIGIL" run -p "$TMP/audit.toml" --audit "$TMP/slow.fifo" -- "$APP" "$TMP" forkflood 2000 3 \
    > "$TMP/slow.out" 2> "$TMP/slow.err"
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
wait $reader
expect_eq "slow sink: the app's status" 0 "$rc"
"$PY" - "$TMP/slow.json" > "$TMP/slow.check" 2>&1 <<'PY'
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
written = sum(1 if l["event"] == "decision" else l.get("count", 0)
              for l in lines if l["event"] in ("decision", "repeated"))
lost = 0
for l in lines:
    if l["event"] != "notice":
        continue
    if m := re.search(r"^(\d+) audit events not written", l["reason"]):
        lost += int(m[1])
    if m := re.search(r"audit lines dropped .* standing for (\d+) decisions", l["reason"]):
        lost += int(m[1])
summary = lines[-1]
assert summary["event"] == "summary", summary
total = sum(summary["totals"].values())
assert any("dropped" in l.get("reason", "") for l in lines), "no drop reported"
assert written + lost == total, (written, lost, total)
print("ok", len(lines), "lines;", written, "written,", lost, "counted as lost, of", total)
PY
expect_grep "slow sink: valid trail, losses counted and reported" '^ok ' "$TMP/slow.check"
echo "slow sink: $(cat "$TMP/slow.check"); vigil ran $ms ms (the app: 2000 forks + 3 s)"

# A FIFO sink nobody reads (e.g. one the app left at the sink's path) must not hang vigil at
# start: after 5 s without a reader it refuses to start, saying why.
mkfifo "$TMP/nobody.fifo"
timeout -k 2 20 "$VIGIL" run -p "$TMP/audit.toml" --audit "$TMP/nobody.fifo" -- true > /dev/null 2> "$TMP/nobody.err"
expect_eq "FIFO sink without a reader: vigil refuses to start" 125 "$?"
expect_grep "FIFO sink without a reader: the message says so" 'no reader' "$TMP/nobody.err"

finish
