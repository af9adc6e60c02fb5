#!/usr/bin/env bash
# -u/--user USER[:GROUP] without a profile: ids from /etc/passwd and /etc/group (no NSS), the
# user's supplementary groups from /etc/group, capabilities dropped as with a profile without
# [process] (no_new_privs too); --keep-cap CAP keeps one (ambient, so a non-root app has it);
# VIGIL_USER/VIGIL_KEEP_CAP; unknown users, groups and capabilities exit 125.
# labels: integration;supervise
# timeout: 120
. "$(dirname "$0")/lib/common.bash"
P=$HELPERS/sys_probe
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 0; }
field() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$2"; }

for mode in $MODES; do
    in_mode "$mode" "$VIGIL" -u nobody -- "$P" status >"$TMP/s" 2>"$TMP/err"
    expect_eq "$mode: -u nobody runs" 0 $?
    expect_eq "$mode: uid" "65534 65534 65534 65534" "$(field Uid "$TMP/s")"
    expect_eq "$mode: gid (primary group from passwd)" "65534 65534 65534 65534" "$(field Gid "$TMP/s")"
    expect_eq "$mode: no effective capabilities" 0000000000000000 "$(field CapEff "$TMP/s")"
    expect_eq "$mode: no permitted capabilities" 0000000000000000 "$(field CapPrm "$TMP/s")"
    expect_eq "$mode: empty bounding set" 0000000000000000 "$(field CapBnd "$TMP/s")"
    expect_eq "$mode: no_new_privs" 1 "$(field NoNewPrivs "$TMP/s")"

    in_mode "$mode" "$VIGIL" --user nobody:daemon -- "$P" status >"$TMP/s" 2>"$TMP/err"
    expect_eq "$mode: USER:GROUP gid" "1 1 1 1" "$(field Gid "$TMP/s")"

    in_mode "$mode" "$VIGIL" -u 4242:4343 -- "$P" status >"$TMP/s" 2>"$TMP/err"
    expect_eq "$mode: numeric uid without passwd entry" "4242 4242 4242 4242" "$(field Uid "$TMP/s")"
    expect_eq "$mode: numeric gid" "4343 4343 4343 4343" "$(field Gid "$TMP/s")"

    in_mode "$mode" "$VIGIL" -u nobody --keep-cap NET_BIND_SERVICE --keep-cap cap_kill -- "$P" status >"$TMP/s" 2>"$TMP/err"
    expect_eq "$mode: --keep-cap kept (effective: bits 5 and 10)" 0000000000000420 "$(field CapEff "$TMP/s")"
    expect_eq "$mode: --keep-cap ambient" 0000000000000420 "$(field CapAmb "$TMP/s")"
    expect_eq "$mode: --keep-cap bounding" 0000000000000420 "$(field CapBnd "$TMP/s")"
done

# Supplementary groups from /etc/group: a user listed as a member of another group.
member=$(awk -F: '$4 != "" { split($4, m, ","); print m[1] ":" $3; exit }' /etc/group)
if [ -n "$member" ] && id "${member%%:*}" >/dev/null 2>&1; then
    user=${member%%:*}; gid=${member##*:}
    "$VIGIL" -u "$user" -- "$P" status >"$TMP/s" 2>"$TMP/err"
    primary=$(awk -F: -v u="$user" '$1 == u { print $4 }' /etc/passwd)
    expect_grep "groups of $user include $gid (from /etc/group)" "^Groups:.*\\b$gid\\b" "$TMP/s"
    expect_grep "groups of $user include the primary $primary" "^Groups:.*\\b$primary\\b" "$TMP/s"
else
    echo "note: no user with supplementary groups in /etc/group; that check skipped"
fi

# The environment; a profile's [process] user is overridden by -u.
VIGIL_USER=nobody VIGIL_KEEP_CAP=KILL "$VIGIL" -- "$P" status >"$TMP/s" 2>/dev/null
expect_eq "VIGIL_USER" "65534 65534 65534 65534" "$(field Uid "$TMP/s")"
expect_eq "VIGIL_KEEP_CAP" 0000000000000020 "$(field CapEff "$TMP/s")"
printf '[process]\nuser = "daemon"\n' >"$TMP/p.toml"
"$VIGIL" -p "$TMP/p.toml" -u nobody -- "$P" status >"$TMP/s" 2>/dev/null
expect_eq "-u beats [process] user" "65534 65534 65534 65534" "$(field Uid "$TMP/s")"
VIGIL_USER=daemon "$VIGIL" -u nobody -- "$P" status >"$TMP/s" 2>/dev/null
expect_eq "-u beats VIGIL_USER" "65534 65534 65534 65534" "$(field Uid "$TMP/s")"

# Bad input.
"$VIGIL" -u no-such-user -- true 2>"$TMP/err"
expect_eq "unknown user: 125" 125 $?
expect_grep "unknown user named with the file" "user 'no-such-user' not found in /etc/passwd" "$TMP/err"
"$VIGIL" -u nobody:no-such-group -- true 2>"$TMP/err"
expect_eq "unknown group: 125" 125 $?
expect_grep "unknown group named" "group 'no-such-group' not found in /etc/group" "$TMP/err"
"$VIGIL" -u nobody --keep-cap CAP_FLY -- true 2>"$TMP/err"
expect_eq "unknown capability: 125" 125 $?
expect_grep "unknown capability named" "unknown capability 'CAP_FLY'" "$TMP/err"
for bad in ":daemon" "nobody:"; do
    "$VIGIL" -u "$bad" -- true 2>"$TMP/err"
    expect_eq "-u '$bad': 125" 125 $?
done
finish
