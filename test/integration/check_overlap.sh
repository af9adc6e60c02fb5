#!/bin/bash
# Overlapping rules (finding 10): deny wins. `vigil explain` reports the stricter action where
# an allow on one argument and a deny on another both match, names the overridden rule, and
# `vigil check` warns about the overlap with both positions (exit 0: the profile is valid).
# labels: integration;nocontainer
# timeout: 60
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/overlap.toml" <<'TOML'
[seccomp]
default = "errno:EPERM"
allow = ["@default"]

[[seccomp.rule]]
syscall = "ioctl"
action = "errno:EACCES"
when = ["arg0 == 1"]

[[seccomp.rule]]
syscall = "ioctl"
action = "allow"
when = ["arg1 == TIOCGWINSZ"]
TOML

out=$("$VIGIL" explain "$dir/overlap.toml" ioctl 1 TIOCGWINSZ 2>&1) || fail "explain failed: $out"
grep -qx "action: errno:EACCES" <<<"$out" || fail "explain: the deny must win where both rules match: $out"
grep -q "^rule: $dir/overlap.toml:5:1: ioctl = errno:EACCES" <<<"$out" || fail "explain: wrong rule: $out"
grep -q "^overridden: $dir/overlap.toml:10:1: ioctl = allow" <<<"$out" || fail "explain: overridden rule not named: $out"
# Where only one matches, it decides.
out=$("$VIGIL" explain "$dir/overlap.toml" ioctl 2 TIOCGWINSZ 2>&1) || fail "explain failed: $out"
grep -qx "action: allow" <<<"$out" || fail "explain ioctl(2, TIOCGWINSZ): $out"

"$VIGIL" check "$dir/overlap.toml" >"$dir/out" 2>"$dir/err"; rc=$?
[ $rc -eq 0 ] || fail "check: exit $rc (overlaps are warnings): $(cat "$dir/err")"
grep -qx "$dir/overlap.toml:10:1: warning: this allow rule for ioctl overlaps the errno:EACCES rule at $dir/overlap.toml:5:1; where both match, errno:EACCES applies (deny wins)" "$dir/err" \
    || fail "check: no overlap warning with both positions: $(cat "$dir/err")"
grep -q ": ok (" "$dir/out" || fail "check: no summary: $(cat "$dir/out")"

# Disjoint rules are not reported.
cat >"$dir/disjoint.toml" <<'TOML'
[seccomp]
default = "errno:EPERM"
allow = ["@default"]
[[seccomp.rule]]
syscall = "ioctl"
action = "errno:EACCES"
when = ["arg1 == TIOCSTI"]
[[seccomp.rule]]
syscall = "ioctl"
action = "allow"
when = ["arg1 == TIOCGWINSZ"]
TOML
"$VIGIL" check "$dir/disjoint.toml" >/dev/null 2>"$dir/err" || fail "check disjoint: $(cat "$dir/err")"
! grep -q "warning" "$dir/err" || fail "check disjoint: spurious warning: $(cat "$dir/err")"
# A conditional deny carved out of an unconditional allow (how the shipped profiles refuse
# TIOCSTI) says what it means: no warning. The reverse, a conditional allow under an
# unconditional deny, would never apply: the loader refuses it.
cat >"$dir/carve.toml" <<'TOML'
[seccomp]
default = "errno:EPERM"
allow = ["ioctl", "read"]
[[seccomp.rule]]
syscall = "ioctl"
action = "errno:EPERM"
when = ["arg1 == TIOCSTI"]
TOML
"$VIGIL" check "$dir/carve.toml" >/dev/null 2>"$dir/err" || fail "check carve-out: $(cat "$dir/err")"
! grep -q "warning" "$dir/err" || fail "check carve-out: spurious warning: $(cat "$dir/err")"
for p in "$SRC"/profiles/*.toml; do
    "$VIGIL" check "$p" >/dev/null 2>"$dir/err" || fail "check $p: $(cat "$dir/err")"
    ! grep -q "overlaps" "$dir/err" || fail "shipped profile $p: overlap warning: $(cat "$dir/err")"
done
cat >"$dir/dead.toml" <<'TOML'
[seccomp]
default = "errno:EPERM"
allow = ["read"]
[seccomp.deny]
ioctl = "errno:EACCES"
[[seccomp.rule]]
syscall = "ioctl"
action = "allow"
when = ["arg1 == TIOCGWINSZ"]
TOML
"$VIGIL" check "$dir/dead.toml" >/dev/null 2>"$dir/err"; rc=$?
[ $rc -eq 1 ] || fail "check: a conditional allow under an unconditional deny must be refused (exit $rc)"
grep -q "dead.toml:6:1: 'ioctl' is named in both seccomp.deny" "$dir/err" || fail "check dead allow: $(cat "$dir/err")"
echo "ok"
