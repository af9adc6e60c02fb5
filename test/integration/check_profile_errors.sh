#!/bin/bash
# `vigil check`: exit 0 with a summary for a good profile, exit 1 with FILE:LINE:COL lines on
# stderr for a bad one; `vigil run -p BAD` refuses to start the app and exits 125.
# labels: integration
# timeout: 60
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

cat >"$dir/good.toml" <<'TOML'
include = ["base.toml"]
[seccomp]
allow = ["@basic-io"]
TOML
cat >"$dir/base.toml" <<'TOML'
[seccomp]
default = "errno:EPERM"
allow = ["@default"]
TOML
cat >"$dir/bad.toml" <<'TOML'
[seccomp]
allow = ["read", "opn"]
default = "errno:EPRM"
[[seccomp.rule]]
syscall = "socket"
action = "allow"
when = ["arg7 == AF_INET"]
TOML

out=$("$VIGIL" check "$dir/good.toml" 2>"$dir/err"); rc=$?
[ $rc -eq 0 ] || fail "good profile: exit $rc, stderr: $(cat "$dir/err")"
[[ "$out" =~ ^"$dir/good.toml: ok (".*" rules, default errno:EPERM)"$ ]] || fail "good profile summary: '$out'"

out=$("$VIGIL" check "$dir/bad.toml" 2>"$dir/err"); rc=$?
[ $rc -eq 1 ] || fail "bad profile: exit $rc (want 1)"
[ -z "$out" ] || fail "bad profile wrote to stdout: '$out'"
grep -qxF "$dir/bad.toml:2:18: unknown syscall 'opn' in seccomp.allow; did you mean 'open'?" "$dir/err" \
    || fail "missing unknown-syscall line in: $(cat "$dir/err")"
grep -q "^$dir/bad.toml:3:11: seccomp.default: unknown errno 'EPRM'" "$dir/err" \
    || fail "missing errno line in: $(cat "$dir/err")"
grep -q "^$dir/bad.toml:7:9: condition 'arg7 == AF_INET': argument index 7 out of range" "$dir/err" \
    || fail "missing condition line in: $(cat "$dir/err")"
[ "$(wc -l <"$dir/err")" -eq 3 ] || fail "expected exactly 3 diagnostics: $(cat "$dir/err")"

"$VIGIL" check "$dir/missing.toml" 2>"$dir/err"; rc=$?
[ $rc -eq 1 ] || fail "missing profile: exit $rc (want 1)"
grep -qF "$dir/missing.toml: cannot read profile: No such file or directory" "$dir/err" \
    || fail "missing profile message: $(cat "$dir/err")"

for shipped in default jvm; do
    "$VIGIL" check "$SRC/profiles/$shipped.toml" >/dev/null || fail "shipped $shipped.toml does not check"
done

# run refuses a bad profile before starting anything: the marker file must not appear.
"$VIGIL" run -p "$dir/bad.toml" -- touch "$dir/ran" 2>"$dir/err"; rc=$?
[ $rc -eq 125 ] || fail "run with a bad profile: exit $rc (want 125)"
[ ! -e "$dir/ran" ] || fail "run started the command despite a bad profile"
grep -qF "$dir/bad.toml:2:18: unknown syscall 'opn'" "$dir/err" || fail "run's message: $(cat "$dir/err")"
VIGIL_PROFILE="$dir/bad.toml" "$VIGIL" -- true 2>/dev/null; rc=$?
[ $rc -eq 125 ] || fail "VIGIL_PROFILE with a bad profile: exit $rc (want 125)"
echo "ok"
