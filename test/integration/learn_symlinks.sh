#!/bin/bash
# Files vigil writes cannot be steered by the app. An app (uid 65534) in a directory it owns
# plants symlinks where vigil learn will write: OUT.tmp, OUT and the report directory point at
# root-owned files. vigil writes through directory fds taken before the app started, with new
# files of random names (O_EXCL | O_NOFOLLOW) renamed into place, so the root-owned files stay
# as they were. An audit sink that is a symlink is refused.
# labels: integration;learn
# timeout: 60
set -euo pipefail
T=$(mktemp -d)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

mkdir "$T/victim" "$T/out"
for f in secret secret2 report.html syscalls.svg learned.json; do echo precious >"$T/victim/$f"; done
chmod 644 "$T"/victim/*
chown 65534:65534 "$T/out"
printf '[process]\nuser = "nobody"\n' >"$T/base.toml"
cd "$T/out"
attack='ln -s ../victim/secret p.toml.tmp; ln -s ../victim/secret2 p.toml;
        mv report report.old 2>/dev/null; ln -s ../victim report; exit 0'
rc=0
"$VIGIL" learn -p "$T/base.toml" -o "$T/out/p.toml" --report "$T/out/report" -- sh -c "$attack" \
    >"$T/stdout" 2>"$T/err" || rc=$?
for f in secret secret2 report.html syscalls.svg learned.json; do
    [ "$(cat "$T/victim/$f")" = precious ] || fail "vigil overwrote the root-owned $f through the app's symlink"
done
ok "no root-owned file overwritten"
[ "$rc" = 0 ] || fail "learn exited $rc: $(cat "$T/err")"
[ -f "$T/out/p.toml" ] && [ ! -L "$T/out/p.toml" ] || fail "p.toml is not a regular file"
grep -q '^\[learned' "$T/out/p.toml" || fail "p.toml is not the learned profile"
ok "the profile replaced the app's symlink"
[ -s "$T/out/report.old/report.html" ] || fail "the report went elsewhere than the directory vigil opened"
ok "the report is in the directory vigil created before the app started"
[ "$(stat -c %U "$T/out/p.toml")" = root ] || fail "p.toml not written as the invoking user"
ok "written as the invoking user"

# The audit sink: opened before the app starts, never through a symlink.
ln -s "$T/victim/secret" "$T/out/audit.log"
printf 'complain = true\n[seccomp]\ndefault = "allow"\n' >"$T/complain.toml"
rc=0
"$VIGIL" run -p "$T/complain.toml" --audit "$T/out/audit.log" -- true 2>"$T/err" || rc=$?
[ "$(cat "$T/victim/secret")" = precious ] || fail "the audit trail was appended through a symlink"
[ "$rc" = 125 ] && grep -q 'audit sink .* is a symlink' "$T/err" || fail "symlinked audit sink: exit $rc: $(cat "$T/err")"
ok "a symlinked audit sink is refused"
