#!/bin/bash
# [process] settings through vigil run: user switch with one capability kept in all five sets
# (ambient, so it survives execve as non-root), full drop as root, under Docker's default
# bounding set, and a non-root vigil (drop works; switching user is an error naming the user).
# labels: integration
# timeout: 60
set -euo pipefail
T=$(mktemp -d)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
P=$HELPERS/sys_probe
fail() { echo "FAIL: $*" >&2; exit 1; }
field() { awk -F'\t' -v k="$1:" '$1 == k { $1 = ""; sub(/^ +/, ""); print; exit }' <<<"$2"; }
expect() {
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
    echo "ok: $1"
}

cat >"$T/keep.toml" <<'TOML'
[process]
user = "nobody"
capabilities = ["NET_BIND_SERVICE"]

[seccomp]
default = "allow"
TOML
st=$("$VIGIL" run -p "$T/keep.toml" -- "$P" status)
for set in CapEff CapPrm CapInh CapBnd CapAmb; do
    expect "nobody keeps NET_BIND_SERVICE in $set" "0000000000000400" "$(field $set "$st")"
done
expect "uid switched" "65534 65534 65534 65534" "$(field Uid "$st")"
expect "gid from /etc/passwd" "65534 65534 65534 65534" "$(field Gid "$st")"
expect "no_new_privs" "1" "$(field NoNewPrivs "$st")"

cat >"$T/drop.toml" <<'TOML'
[process]
capabilities = []
TOML
st=$("$VIGIL" run -p "$T/drop.toml" -- "$P" status)
for set in CapEff CapPrm CapInh CapBnd CapAmb; do
    expect "root drops everything from $set" "0000000000000000" "$(field $set "$st")"
done

# As a container starts vigil: Docker's default bounding set, root.
docker_drop=cap_dac_read_search,cap_linux_immutable,cap_net_broadcast,cap_net_admin,cap_ipc_lock,cap_ipc_owner,cap_sys_module,cap_sys_rawio,cap_sys_ptrace,cap_sys_pacct,cap_sys_admin,cap_sys_boot,cap_sys_nice,cap_sys_resource,cap_sys_time,cap_sys_tty_config,cap_lease,cap_audit_control,cap_mac_override,cap_mac_admin,cap_syslog,cap_wake_alarm,cap_block_suspend,cap_audit_read,cap_perfmon,cap_bpf,cap_checkpoint_restore
st=$(capsh --drop="$docker_drop" -- -c "exec \"$VIGIL\" run -p \"$T/keep.toml\" -- \"$P\" status")
expect "under Docker's caps: CapAmb" "0000000000000400" "$(field CapAmb "$st")"
expect "under Docker's caps: CapBnd" "0000000000000400" "$(field CapBnd "$st")"
cat >"$T/ptrace.toml" <<'TOML'
[process]
capabilities = ["SYS_PTRACE"]
TOML
set +e
err=$(capsh --drop="$docker_drop" -- -c "exec \"$VIGIL\" run -p \"$T/ptrace.toml\" -- \"$P\" status" 2>&1); rc=$?
set -e
expect "keeping a capability the container lacks: exit" "125" "$rc"
[[ $err == *"cannot keep capability SYS_PTRACE"* ]] || fail "message names the capability: $err"
echo "ok: message names the capability"

# Root without CAP_SETPCAP (a container started with --cap-drop ALL plus a few --cap-add, or
# under capsh --drop=cap_setpcap): the bounding set cannot be changed. With no_new_privs that is
# harmless (execve never gives back more than the permitted set), so vigil goes on; without it
# a root app would regain the whole bounding set at its next execve, so vigil refuses.
st=$(capsh --drop=cap_setpcap -- -c "exec \"$VIGIL\" run -p \"$T/drop.toml\" -- \"$P\" status")
for set in CapEff CapPrm CapInh CapAmb; do
    expect "root without CAP_SETPCAP drops everything from $set" "0000000000000000" "$(field $set "$st")"
done
expect "root without CAP_SETPCAP: no_new_privs" "1" "$(field NoNewPrivs "$st")"
st=$(capsh --drop=cap_setpcap -- -c "exec \"$VIGIL\" run -p \"$T/keep.toml\" -- \"$P\" status")
expect "root without CAP_SETPCAP keeps NET_BIND_SERVICE: CapAmb" "0000000000000400" "$(field CapAmb "$st")"
expect "root without CAP_SETPCAP keeps NET_BIND_SERVICE: CapEff" "0000000000000400" "$(field CapEff "$st")"
st=$(capsh --drop=all -- -c "exec \"$VIGIL\" run -p \"$T/drop.toml\" -- \"$P\" status")
expect "empty bounding set (--cap-drop ALL): nothing to drop" "0000000000000000" "$(field CapBnd "$st")"
cat >"$T/nonnp.toml" <<'TOML'
[process]
no_new_privs = false
capabilities = []
TOML
set +e
err=$(capsh --drop=cap_setpcap -- -c "exec \"$VIGIL\" run -p \"$T/nonnp.toml\" -- \"$P\" status" 2>&1); rc=$?
set -e
expect "root without CAP_SETPCAP nor no_new_privs: exit" "125" "$rc"
[[ $err == *"from the bounding set: vigil lacks CAP_SETPCAP"*"no_new_privs = true"* ]] || fail "message says why and what to do: $err"
echo "ok: message says why and what to do"

# Non-root vigil.
st=$(setpriv --reuid 65534 --regid 65534 --clear-groups -- "$VIGIL" run -p "$T/drop.toml" -- "$P" status)
expect "non-root drop: CapEff" "0000000000000000" "$(field CapEff "$st")"
expect "non-root drop: uid" "65534 65534 65534 65534" "$(field Uid "$st")"
cat >"$T/root.toml" <<'TOML'
[process]
user = "root"
TOML
set +e
err=$(setpriv --reuid 65534 --regid 65534 --clear-groups -- "$VIGIL" run -p "$T/root.toml" -- "$P" status 2>&1); rc=$?
set -e
expect "non-root switching to root: exit" "125" "$rc"
[[ $err == *"cannot switch to user 'root' (uid 0)"* ]] || fail "message names the user: $err"
echo "ok: message names the user"
