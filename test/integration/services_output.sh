#!/bin/bash
# What the services of `vigil up` print: every line is relayed with the service's name in front
# ("name | line", stdout to vigil's stdout, stderr to its stderr), or as one JSON object with a
# "service" field with VIGIL_LOG_FORMAT=json; a service cannot forge another's prefix (carriage
# returns and escape sequences are shown as '?'); and a service flooding its output while
# nobody reads vigil's stdout blocks neither vigil nor the other services: they keep running, vigil's
# own log goes on, and SIGTERM still stops everything.
# labels: integration;services
# timeout: 90
source "$(dirname "$0")/lib/common.bash"
P=$HELPERS/services_probe

cat >"$TMP/lines.toml" <<TOML
[[service]]
name = "alpha"
command = ["$P", "print:to stdout", "err:to stderr", "print:x\\rbeta | forged", "print:\\u001b[2Kcleared", "exit:0"]

[[service]]
name = "beta"
command = ["$P", "print:beta-up", "hang"]
TOML
timeout 30 unshare --pid --fork --mount-proc --kill-child "$VIGIL" up "$TMP/lines.toml" >"$TMP/lines.out" 2>"$TMP/lines.err"
expect_eq "text: exit status" 0 "$?"
expect_grep "text: stdout line" "^alpha \| to stdout$" "$TMP/lines.out"
expect_grep "text: stderr line on stderr" "^alpha \| to stderr$" "$TMP/lines.err"
expect_grep "text: carriage return shown" "^alpha \| x\?beta \| forged$" "$TMP/lines.out"
expect_grep "text: escape shown" "^alpha \| \?\[2Kcleared$" "$TMP/lines.out"
expect_eq "text: no forged beta line" 0 "$(grep -c '^beta | forged' "$TMP/lines.out")"
expect_eq "text: nothing without a prefix on stdout" 0 "$(grep -cvE '^(alpha|beta) \| ' "$TMP/lines.out")"

VIGIL_LOG_FORMAT=json timeout 30 unshare --pid --fork --mount-proc --kill-child "$VIGIL" up "$TMP/lines.toml" >"$TMP/json.out" 2>"$TMP/json.err"
expect_eq "json: exit status" 0 "$?"
python3 - "$TMP/json.out" "$TMP/json.err" >"$TMP/json.check" 2>&1 <<'PY'
import json, sys
out = [json.loads(l) for l in open(sys.argv[1])]
err = [json.loads(l) for l in open(sys.argv[2])]
assert {"service": "alpha", "stream": "stdout", "msg": "to stdout"}.items() <= next(o for o in out if o["msg"] == "to stdout").items()
assert any(e.get("service") == "alpha" and e.get("stream") == "stderr" and e.get("msg") == "to stderr" for e in err)
assert any(o["msg"] == "x\rbeta | forged" and o["service"] == "alpha" for o in out)
assert any(e.get("source") == "vigil" and "service beta" in e.get("msg", "") for e in err)
print("ok")
PY
expect_grep "json: every line an object with the service" "^ok$" "$TMP/json.check"

# A flood into a stdout nobody reads.
mkfifo "$TMP/stuck"
exec 3<>"$TMP/stuck"  # holds the FIFO open and never reads: vigil's writes to it fill it and block
cat >"$TMP/flood.toml" <<TOML
[[service]]
name = "flood"
command = ["$P", "flood:200000"]

[[service]]
name = "ticker"
command = ["$P", "sleep:500", "pidfile:$TMP/tick1", "print:tick", "sleep:500", "pidfile:$TMP/tick2", "hang"]
TOML
unshare --pid --fork --mount-proc --kill-child "$VIGIL" up "$TMP/flood.toml" >"$TMP/stuck" 2>"$TMP/flood.err" &
launcher=$!
wait_for_line "$TMP/tick2" . 100 || fail "flood: the ticker was held up by the flood (no $TMP/tick2)"
expect_grep "flood: vigil's log goes on" "service ticker started" "$TMP/flood.err"
start=$SECONDS
kill -TERM "$(vigil_pid_of "$launcher" pid1)"
wait "$launcher"
rc=$?
expect_eq "flood: vigil stops on SIGTERM though its stdout is stuck" 0 "$rc"
expect_eq "flood: stopped within 10 s" yes "$([ $((SECONDS - start)) -le 10 ] && echo yes || echo "no ($((SECONDS - start)) s)")"
exec 3<&-

finish
