#!/bin/bash
# Several runs merge: learning again with -p PREVIOUS adds counts and unions what was seen, so
# the merged profile admits what either run did (and still nothing else).
# labels: integration;learn
# timeout: 60
set -euo pipefail
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
PROBE="$HELPERS/learn_probe"
fail() { echo "FAIL: $*" >&2; exit 1; }
count() { sed -n "s/^$1 = { count = \([0-9]*\),.*/\1/p" "$2"; }

"$VIGIL" learn -o "$T/a.toml" --exact -- "$PROBE" > /dev/null 2>&1 || fail "first learn"
"$VIGIL" learn -o "$T/b.toml" --exact -p "$T/a.toml" -- "$PROBE" --unix > /dev/null 2> "$T/b.err" \
    || fail "second learn: $(cat "$T/b.err")"
grep -q "does not load" "$T/b.err" && fail "$(cat "$T/b.err")"
grep -q '^runs = 2$' "$T/b.toml" || fail "runs not added"
a=$(count getuid "$T/a.toml"); b=$(count getuid "$T/b.toml")
[ -n "$a" ] && [ "$b" = $((a * 2)) ] || fail "getuid count $b is not twice $a"
grep -q '^socket = .*family = \["AF_INET", "AF_UNIX"\]' "$T/b.toml" || fail "socket families not unioned"
grep -q '^include' "$T/b.toml" && fail "a learned BASE must be merged, not included"

"$VIGIL" run -p "$T/b.toml" -- "$PROBE" --unix > "$T/run.out" 2>/dev/null || fail "merged run exited $?"
grep -q '^unix=0$' "$T/run.out" || fail "AF_UNIX denied by the merged profile"
"$VIGIL" run -p "$T/a.toml" -- "$PROBE" --unix > "$T/run.out" 2>/dev/null || fail "first profile run exited $?"
grep -q '^unix=EPERM$' "$T/run.out" || fail "AF_UNIX allowed by the first profile"
"$VIGIL" run -p "$T/b.toml" -- "$PROBE" --extra > "$T/run.out" 2>/dev/null || fail "extra run exited $?"
grep -q '^getpriority=EPERM$' "$T/run.out" || fail "merge allowed an unseen syscall"

# A hand-written BASE is included (its rules stay in force beneath the learned ones).
printf '[seccomp]\ndefault = "errno:EPERM"\nallow = ["getpriority"]\n' > "$T/base.toml"
"$VIGIL" learn -o "$T/c.toml" --exact -p "$T/base.toml" -- "$PROBE" > /dev/null 2>&1 || fail "learn with plain base"
grep -q '^include = \["base.toml"\]$' "$T/c.toml" || fail "plain BASE not included: $(grep include "$T/c.toml")"
"$VIGIL" run -p "$T/c.toml" -- "$PROBE" --extra > "$T/run.out" 2>/dev/null || fail "included-base run exited $?"
grep -q '^getpriority=0$' "$T/run.out" || fail "BASE's allow lost"
echo "ok"
