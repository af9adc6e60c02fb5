#!/bin/bash
# Each service of `vigil up` in its own sandbox, checked from inside the services on the real
# kernel, with vigil as PID 1:
#  - two services with different profiles: the one whose profile denies execve cannot exec, the
#    other can; each has exactly its own filter (Seccomp_filters 1 in /proc/self/status, not one
#    stacked per service started before it), a service without profile has none;
#  - cross-service signals and ptrace are refused, even between root services that keep every
#    capability (CAP_KILL, CAP_SYS_PTRACE) and have no profile, i.e. no [landlock] of their own:
#    vigil gives each service its own Landlock domain with the signal scope. kill(2), ptrace
#    attach and /proc/PID/mem of the other service, and kill of vigil (PID 1), all fail; the
#    same probe succeeds outside vigil (the control);
#  - the same between two services with profiles running as the same user;
#  - each service has its own phases: with the same profile, one service's notify policy turns
#    to "ready" (exec refused) when it is ready, while the other's stays in "startup".
# labels: integration;services;landlock
# timeout: 90
source "$(dirname "$0")/lib/common.bash"
P=$HELPERS/services_probe

abi=$(python3 -c 'import ctypes; l = ctypes.CDLL(None, use_errno=True); print(l.syscall(444, None, 0, 1))' 2>/dev/null || echo 0)
if [ "${abi:-0}" -lt 6 ]; then
    echo "FAIL: this kernel's Landlock ABI is ${abi:-unknown}; these tests need ABI 6 (Linux 6.12) for the signal scope" >&2
    exit 1
fi

cat >"$TMP/noexec.toml" <<'TOML'
[seccomp]
default = "allow"
[seccomp.deny]
execve = "errno:EPERM"
execveat = "errno:EPERM"
TOML
cat >"$TMP/mayexec.toml" <<'TOML'
[seccomp]
default = "allow"
TOML

# 1. Two profiles, two filters.
cat >"$TMP/two.toml" <<TOML
[[service]]
name = "sealed"
command = ["$P", "status", "exec:/bin/true", "print:sealed-done", "hang"]
profile = "noexec.toml"

[[service]]
name = "open"
command = ["$P", "status", "exec:/bin/true", "print:open-done", "hang"]
profile = "mayexec.toml"

[[service]]
name = "bare"
command = ["$P", "status", "print:bare-done", "hang"]
TOML
out=$TMP/two.out
unshare --pid --fork --mount-proc --kill-child "$VIGIL" up "$TMP/two.toml" >"$out" 2>&1 &
launcher=$!
for s in sealed open bare; do wait_for_line "$out" "^$s \| $s-done" || fail "$s did not finish its steps"; done
expect_grep "sealed may not exec" "^sealed \| exec EPERM$" "$out"
expect_grep "open may exec" "^open \| exec ok$" "$out"
expect_grep "sealed has its own filter" "^sealed \| filters 1 seccomp 2 " "$out"
expect_grep "open has its own filter" "^open \| filters 1 seccomp 2 " "$out"
expect_grep "bare has no filter" "^bare \| filters 0 seccomp 0 " "$out"
kill -TERM "$(vigil_pid_of "$launcher" pid1)"
wait "$launcher"
expect_eq "two profiles: exit status after SIGTERM" 0 "$?"

# 1b. Each service has its own phases: the notify policy of one switches to "ready" when that
#     service is ready, not the other's, though both run the same profile.
cat >"$TMP/phased.toml" <<'TOML'
[seccomp]
default = "allow"
notify = ["execve"]
[notify.execve]
startup = "allow"
ready = "errno:EPERM"
fallback = "errno:EPERM"
[phases.ready]
output_match = "now ready"
TOML
cat >"$TMP/phases.toml" <<TOML
[[service]]
name = "early"
command = ["$P", "exec:/bin/true", "print:now ready", "sleep:300", "exec:/bin/true", "print:early-done", "hang"]
profile = "phased.toml"

[[service]]
name = "late"
command = ["$P", "sleep:800", "exec:/bin/true", "print:late-done", "hang"]
profile = "phased.toml"
TOML
out=$TMP/phases.out
unshare --pid --fork --mount-proc --kill-child "$VIGIL" up "$TMP/phases.toml" >"$out" 2>&1 &
launcher=$!
for s in early late; do wait_for_line "$out" "^$s \| $s-done" || fail "$s did not finish its steps"; done
expect_eq "early: exec allowed in startup, refused once ready" "exec ok exec EPERM" "$(grep -E '^early \| exec ' "$out" | sed 's/^early | //' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "late: still in startup (its own phase), exec allowed" "exec ok" "$(grep -E '^late \| exec ' "$out" | sed 's/^late | //')"
expect_grep "early's phase line names it" "service early: phase ready" "$out"
expect_grep "early's audit names it" '"event":"phase".*"service":"early"' "$out"
kill -TERM "$(vigil_pid_of "$launcher" pid1)"
wait "$launcher"

# 2. Attacks between services: root, every capability, no profile. The pid files live where
#    the nobody services of the second round can write them.
chmod o+x "$TMP"
mkdir -m 1777 "$TMP/run"
# attack NAME PROFILE_LINE: a victim and an attacker, the attacker's results in $TMP/NAME.out.
attack() {
    local name=$1 profile=$2 out=$TMP/$1.out pids=$TMP/run/$1
    echo 1 >"$pids.vigil.pid"
    cat >"$TMP/$name.toml" <<TOML
[[service]]
name = "victim"
command = ["$P", "pidfile:$pids.victim.pid", "hang"]
$profile

[[service]]
name = "attacker"
command = ["$P", "wait:$pids.victim.pid", "status", "kill:$pids.victim.pid", "ptrace:$pids.victim.pid",
           "mem:$pids.victim.pid", "kill:$pids.vigil.pid", "print:attacks-done", "sleep:300", "exit:0"]
depends_on = ["victim"]
$profile
TOML
    timeout 30 unshare --pid --fork --mount-proc --kill-child "$VIGIL" up "$TMP/$name.toml" >"$out" 2>&1
    expect_eq "$name: exit status (the attacker ends with 0, the victim is stopped)" 0 "$?"
    expect_grep "$name: attacks ran" "^attacker \| attacks-done$" "$out"
    expect_grep "$name: kill of the other service refused" "^attacker \| kill [0-9]+ EPERM$" "$out"
    expect_grep "$name: ptrace of the other service refused" "^attacker \| ptrace [0-9]+ EPERM$" "$out"
    expect_grep "$name: the other service's memory refused" "^attacker \| mem [0-9]+ (EPERM|EACCES)$" "$out"
    expect_grep "$name: kill of vigil refused" "^attacker \| kill 1 EPERM$" "$out"
    # The victim was alive until vigil stopped it after the attacker had ended.
    expect_grep "$name: victim survived" "service attacker exited with status 0" "$out"
    if grep -qE "service victim exited" "$out" && [ "$(grep -nE 'service victim exited' "$out" | cut -d: -f1)" -lt "$(grep -nE 'service attacker exited' "$out" | cut -d: -f1)" ]; then
        fail "$name: the victim ended before the attacker:"
        sed 's/^/    /' "$out" >&2
    else
        pass
    fi
}
attack bare ""
expect_grep "bare: the attacker is root" "^attacker \| filters 0 seccomp 0 uid 0$" "$TMP/bare.out"
cat >"$TMP/nobody.toml" <<'TOML'
[process]
user = "65534"
group = "65534"
[seccomp]
default = "allow"
TOML
attack sameuser 'profile = "nobody.toml"'
expect_grep "sameuser: the attacker runs as 65534" "^attacker \| filters 1 seccomp 2 uid 65534$" "$TMP/sameuser.out"

# 3. The control: the same probe, outside vigil, can do all of it.
"$P" pidfile:"$TMP/control.pid" hang >/dev/null &
control=$!
wait_for_line "$TMP/control.pid" . 50 || true
"$P" ptrace:"$TMP/control.pid" mem:"$TMP/control.pid" kill:"$TMP/control.pid" >"$TMP/control.out" 2>&1
expect_grep "control: ptrace works outside vigil" "^ptrace [0-9]+ ok$" "$TMP/control.out"
expect_grep "control: mem works outside vigil" "^mem [0-9]+ ok$" "$TMP/control.out"
expect_grep "control: kill works outside vigil" "^kill [0-9]+ ok$" "$TMP/control.out"
wait "$control" 2>/dev/null

finish
