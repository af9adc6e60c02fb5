#!/bin/bash
# Restarts under `vigil up` (vigil as PID 1): a failing service with restart = "on-failure" is
# started again after its back-off, up to restart_max times in a row, without disturbing its
# neighbour (same pid, started once, still answering); when it has used up its restarts it
# counts as ended: the others are stopped and its last status is vigil's. restart = "always"
# restarts a service that exits 0 too. A dependent waits for its dependency's readiness again
# only at its first start: a restarted dependency does not restart its dependents.
# labels: integration;services
# timeout: 90
source "$(dirname "$0")/lib/common.bash"
P=$HELPERS/services_probe

cat >"$TMP/restart.toml" <<TOML
[[service]]
name = "steady"
command = ["$P", "pidfile:$TMP/steady.pid", "print:steady-up", "hang"]

[[service]]
name = "flaky"
command = ["$P", "print:flaky-run", "sleep:150", "exit:4"]
restart = "on-failure"
restart_max = 2
restart_delay = "100ms"
depends_on = ["steady"]
TOML
out=$TMP/restart.out
timeout 30 unshare --pid --fork --mount-proc --kill-child "$VIGIL" up "$TMP/restart.toml" >"$out" 2>&1
expect_eq "on-failure: exit status is flaky's last" 4 "$?"
expect_eq "on-failure: flaky ran 1 + restart_max times" 3 "$(grep -cE '^flaky \| flaky-run$' "$out")"
expect_eq "on-failure: steady started once" 1 "$(grep -cE 'service steady started' "$out")"
expect_eq "on-failure: steady's output once" 1 "$(grep -cE '^steady \| steady-up$' "$out")"
expect_grep "on-failure: restart logged with its reason" "service flaky exited with status 4: restart 1 of at most 2 in a row .* after 100 ms" "$out"
expect_grep "on-failure: back-off doubles" "restart 2 of at most 2 in a row .* after 200 ms" "$out"
expect_grep "on-failure: given up" "service flaky exited with status 4 \(2 restarts in a row.*\): stopping the other services" "$out"
expect_grep "on-failure: steady stopped at the end" "stopping service steady" "$out"
if grep -qE "service steady (exited|was killed)" "$out" && [ "$(grep -nE 'service steady (exited|was killed)' "$out" | cut -d: -f1)" -lt "$(grep -nE 'restart 2 of at most' "$out" | cut -d: -f1)" ]; then
    fail "on-failure: steady ended while flaky was being restarted"
else
    pass
fi

# Always: even a clean exit is restarted; SIGTERM during the back-off stops everything at once.
cat >"$TMP/always.toml" <<TOML
[[service]]
name = "beat"
command = ["$P", "print:beat", "exit:0"]
restart = "always"
restart_max = 100
restart_delay = "50ms"

[[service]]
name = "other"
command = ["$P", "print:other-up", "hang"]
TOML
out=$TMP/always.out
unshare --pid --fork --mount-proc --kill-child "$VIGIL" up "$TMP/always.toml" >"$out" 2>&1 &
launcher=$!
for _ in $(seq 100); do [ "$(grep -cE '^beat \| beat$' "$out")" -ge 3 ] && break; sleep 0.1; done
expect_eq "always: restarted after exit 0" yes "$([ "$(grep -cE '^beat \| beat$' "$out")" -ge 3 ] && echo yes || echo no)"
kill -TERM "$(vigil_pid_of "$launcher" pid1)"
wait "$launcher"
expect_eq "always: exit status after SIGTERM" 0 "$?"
expect_eq "always: other started once" 1 "$(grep -cE 'service other started' "$out")"

finish
