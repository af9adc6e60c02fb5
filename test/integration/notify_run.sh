#!/bin/bash
# Run-time decisions through the real vigil: exec allowed in startup and denied once ready,
# egress allow-list (connect performed by vigil), complain vs enforce, the audit trail as JSON
# and as FHIR AuditEvent, pidfd_getfd refused (Docker without CAP_SYS_PTRACE: fail closed), and no notified
# call left hanging when vigil dies. The whole suite runs three times: as root, as root with
# Docker's default capabilities and the app switched to a non-root user, and as a non-root user.
# labels: integration;notify
# timeout: 300
set -o pipefail
# Checks, cleanup and loopback servers shared by every test; pass/fail say the mode.
source "$(dirname "$0")/lib/common.bash"
PROBE=$HELPERS/notify_probe
T=$TMP
chmod 0777 "$T"
fail() { echo "FAIL [$MODE]: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { PASSES=$((PASSES + 1)); echo "ok   [$MODE]: $*"; }
server a
server f
ALLOWED=$(cat "$T/port.a")
FORBIDDEN=$(cat "$T/port.f")

DOCKER_CAPS="chown,dac_override,fsetid,fowner,mknod,net_raw,setgid,setuid,setfcap,setpcap,net_bind_service,sys_chroot,kill,audit_write"
non_docker_caps() {
    local all=() c
    for c in $(seq 0 "$(cat /proc/sys/kernel/cap_last_cap)"); do
        local name; name=$(capsh --decode=$(printf '%x' $((1 << c))) | sed 's/.*=//')
        case ",$DOCKER_CAPS," in *",${name#cap_},"*) ;; *) all+=("$name") ;; esac
    done
    local IFS=,; echo "${all[*]}"
}
DROP=$(non_docker_caps)

# as MODE CMD...: run CMD the way this mode's container would run vigil.
as() {
    case "$MODE" in
        root) "$@" ;;
        docker-root) capsh --drop="$DROP" -- -c '"$@"' capsh "$@" ;;
        docker-user) setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all \
                         --bounding-set=-all,+${DOCKER_CAPS//,/,+} -- "$@" ;;
    esac
}

mkdir -p "$T/profiles"
profile() {  # profile NAME USER_LINE EXTRA -> path
    local f="$T/profiles/$1.toml"
    cat > "$f" <<TOML
[process]
$2

[seccomp]
default = "allow"
notify = ["execve", "connect"]

[seccomp.deny]
mkdir = "errno:EPERM"
io_uring_setup = "errno:ENOSYS"   # io_uring would connect without connect()
io_uring_enter = "errno:ENOSYS"
io_uring_register = "errno:ENOSYS"

[notify.execve]
startup = "allow"
ready = "errno:EPERM"

[notify.connect]
allow = ["127.0.0.1:$ALLOWED", "[::1]:$ALLOWED"]
otherwise = "errno:ECONNREFUSED"
$3

[phases.ready]
after_ms = 800
TOML
    echo "$f"
}

run_suite() {
    local user_line="" out="$T/$MODE"
    [ "$MODE" = docker-root ] && user_line='user = "65534"'
    local p; p=$(profile "$MODE" "$user_line" "")
    rm -f "$out".*

    # Capabilities really are Docker's: no CAP_SYS_PTRACE anywhere.
    if [ "$MODE" != root ]; then
        as grep CapBnd /proc/self/status > "$out.caps"
        if [ "$(sed 's/.*:\s*//' "$out.caps")" = "00000000a80425fb" ]; then pass "bounding set is Docker's"
        else fail "bounding set $(cat "$out.caps")"; fi
    fi

    # 1. exec by phase, and egress, in one run.
    as "$VIGIL" run -p "$p" --audit "$out.audit" -- sh -c "
        /bin/true; echo first=\$?
        $PROBE connect $ALLOWED $FORBIDDEN
        sleep 1.5
        /bin/true; echo second=\$?" > "$out.stdout" 2> "$out.stderr"
    expect_grep "exec in startup allowed" '^first=0$' "$out.stdout"
    expect_grep "exec once ready denied (EPERM -> sh exit 126)" '^second=126$' "$out.stdout"
    expect_grep "exec denial reaches the app as EPERM" 'true: Operation not permitted' "$out.stderr"
    # docker-root: root without CAP_SYS_PTRACE, the app as another uid: vigil keeps its own uid
    # (the app could signal it otherwise) and cannot copy the app's socket, so it makes the
    # app's IP sockets itself (socket custody) and performs the allowed connect on its own.
    expect_grep "connect to the allowed port" "^connect $ALLOWED ok$" "$out.stdout"
    [ "$MODE" = docker-root ] && expect_grep "docker-root: one line says socket custody and what SYS_PTRACE adds" \
        'makes the app.s IP sockets itself.*cap-add SYS_PTRACE' "$out.stderr"
    expect_grep "connect to the forbidden port refused" "^connect $FORBIDDEN ECONNREFUSED$" \
        "$out.stdout"
    expect_grep "audit: exec denied in phase ready, path decoded" '"decision":"errno:EPERM".*"path":"/bin/true".*|"path":"/bin/true".*"decision":"errno:EPERM"' \
        "$out.audit"
    expect_grep "audit: phase change" '"event":"phase".*"phase":"ready"' "$out.audit"
    expect_grep "audit: connect performed by vigil with the app's socket" "\"address\":\"127.0.0.1:$ALLOWED\".*connect performed by vigil" \
        "$out.audit"
    expect_grep "audit: forbidden destination" "\"decision\":\"errno:ECONNREFUSED\",\"decoded\":\{\"address\":\"127.0.0.1:$FORBIDDEN\"" \
        "$out.audit"
    expect_grep "audit: summary" '"event":"summary".*"totals"' "$out.audit"
    python3 - "$out.audit" > "$out.fields" <<'PY' || true
import json, sys
need = ["time", "pid", "tid", "thread", "exe", "syscall", "args", "phase", "rule", "decision"]
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == "decision":
        missing = [k for k in need if k not in e]
        print("missing" if missing else "complete", missing, e["syscall"])
PY
    if grep -q missing "$out.fields" || ! grep -q complete "$out.fields"; then fail "audit fields"; cat "$out.fields"
    else pass "every decision event has time, pid, tid, thread, exe, syscall, args, phase, rule, decision"; fi

    # 2. complain vs enforce (mkdir is denied by a static rule; complain notifies it).
    as "$VIGIL" run -p "$p" --audit "$out.enforce" -- mkdir "$T/$MODE.enforced" 2> /dev/null
    [ -d "$T/$MODE.enforced" ] && fail "enforce: mkdir went through" || pass "enforce: mkdir denied"
    as "$VIGIL" run -p "$p" --complain --audit "$out.complain" -- mkdir "$T/$MODE.complained"
    [ -d "$T/$MODE.complained" ] && pass "complain: mkdir went through" || fail "complain: mkdir denied"
    expect_grep "complain: would-be denial logged with its rule" "\"decision\":\"errno:EPERM\".*\"mode\":\"complain\".*\"rule\":\"$p:9\"" \
        "$out.complain"

    # 3. FHIR AuditEvent, structurally.
    as "$VIGIL" run -p "$p" --audit "$out.fhir" --audit-format fhir -- $PROBE connect $FORBIDDEN > /dev/null
    if python3 - "$out.fhir" <<'PY'; then pass "FHIR AuditEvents validate structurally"; else fail "FHIR"; fi
import json, re, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line); n += 1
    assert r["resourceType"] == "AuditEvent"
    assert r["type"]["system"] and r["type"]["code"]
    assert r["action"] in "CRUDE" and len(r["action"]) == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", r["recorded"])
    assert r["outcome"] in ("0", "4", "8", "12")
    assert r["agent"] and all(isinstance(a["requestor"], bool) for a in r["agent"])
    assert r["source"]["observer"]
    assert r["entity"] and all("what" in e or "name" in e for e in r["entity"])
assert n >= 2, n
PY

    # 4. Docker's seccomp profile refuses pidfd_getfd without CAP_SYS_PTRACE: simulate it with
    # an outer vigil. vigil cannot copy the app's socket, so it makes the app's IP sockets itself
    # (socket custody) and performs the allowed connect on its own socket; a forbidden one is
    # refused as always.
    local outer="$T/outer.toml"
    # As root the outer vigil passes Docker's capabilities on (a profile keeps none by default).
    local caps=""
    [ "$MODE" != docker-user ] && caps=$(echo "$DOCKER_CAPS" | tr a-z A-Z | sed 's/\([A-Z_]*\)/"\1"/g')
    printf '[process]\ncapabilities = [%s]\n[seccomp]\ndefault = "allow"\n[seccomp.deny]\npidfd_getfd = "errno:EPERM"\n' \
        "$caps" > "$outer"
    local strict; strict=$(profile "$MODE-strict" "$user_line" "")
    as "$VIGIL" run -p "$outer" -- "$VIGIL" run -p "$strict" --audit "$out.noemu" -- \
        $PROBE connect $ALLOWED $FORBIDDEN > "$out.noemu.stdout" 2> "$out.noemu.stderr"
    expect_grep "no pidfd_getfd: allowed destination connects (socket custody)" "^connect $ALLOWED ok$" \
        "$out.noemu.stdout"
    expect_grep "no pidfd_getfd: forbidden still refused" "^connect $FORBIDDEN ECONNREFUSED$" \
        "$out.noemu.stdout"
    expect_grep "no pidfd_getfd: the audit says vigil performed it" "\"address\":\"127.0.0.1:$ALLOWED\".*connect performed by vigil" \
        "$out.noemu"
    expect_grep "no pidfd_getfd: one line says what to do" 'cap-add SYS_PTRACE' "$out.noemu.stderr"

    # 5. vigil dies while a notified call waits: the call must not hang.
    as "$VIGIL" run -p "$p" --audit "$out.kill" -- $PROBE repeat-connect $ALLOWED > "$out.kill.stdout" 2>&1 &
    local starter=$!
    for _ in $(seq 50); do grep -q ok "$out.kill.stdout" 2>/dev/null && break; sleep 0.1; done
    local app vpid
    app=$(pgrep -n -f "repeat-connect $ALLOWED")
    vpid=$(ps -o ppid= -p "$app" | tr -d ' ')
    if [ "$(readlink /proc/$vpid/exe)" != "$(readlink -f "$VIGIL")" ] || [ -z "$app" ]; then
        fail "kill test set-up: vigil $vpid ($(readlink /proc/$vpid/exe)), app '$app'"
        kill -KILL "$vpid" "$app"; wait "$starter" 2>/dev/null
        return
    fi
    kill -STOP "$vpid"; sleep 0.3   # the app's next connect now waits for an answer
    kill -KILL "$vpid"
    local gone=no
    for _ in $(seq 50); do
        if ! kill -0 "$app" 2>/dev/null || grep -q ENOSYS "$out.kill.stdout"; then gone=yes; break; fi
        sleep 0.1
    done
    [ "$gone" = yes ] && pass "vigil killed: the app's notified call did not hang" \
        || fail "vigil killed: app $app still waiting"
    kill -KILL "$app" 2>/dev/null; wait "$starter" 2>/dev/null
}

for MODE in root docker-root docker-user; do run_suite; done
finish
