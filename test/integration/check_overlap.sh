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
echo "ok"
