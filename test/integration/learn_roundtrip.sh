#!/bin/bash
# A learned profile lets the learned program run again unchanged and blocks a variant that makes
# one extra syscall or uses one extra socket family; in fast and in exact mode. Identical runs
# give identical profiles.
# labels: integration;learn
# timeout: 60
set -euo pipefail
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
PROBE="$HELPERS/learn_probe"
fail() { echo "FAIL: $*" >&2; exit 1; }

for mode in fast exact; do
    flag=""; [ $mode = exact ] && flag="--exact"
    "$VIGIL" learn -o "$T/$mode.toml" $flag -- "$PROBE" > "$T/learn.out" 2> "$T/learn.err" \
        || fail "$mode learn exited $?: $(cat "$T/learn.err")"
    grep -q "^getuid=0$" "$T/learn.out" || fail "$mode: the probe did not run under learn"
    grep -q "does not load" "$T/learn.err" && fail "$mode: $(cat "$T/learn.err")"
    "$VIGIL" check "$T/$mode.toml" > /dev/null || fail "$mode: vigil check rejects the learned profile"
    grep -q "^mode = \"$mode\"$" "$T/$mode.toml" || fail "$mode: [learned] mode missing"

    # The same program, unchanged: every step succeeds.
    "$VIGIL" run -p "$T/$mode.toml" -- "$PROBE" > "$T/run.out" 2> "$T/run.err" || fail "$mode: rerun exited $?"
    diff <(grep = "$T/learn.out") <(grep = "$T/run.out") || fail "$mode: rerun behaves differently"

    # One extra syscall, one extra socket family: denied with the default errno.
    "$VIGIL" run -p "$T/$mode.toml" -- "$PROBE" --extra --unix > "$T/variant.out" 2> /dev/null \
        || fail "$mode: variant exited $?"
    grep -q "^getpriority=EPERM$" "$T/variant.out" || fail "$mode: extra syscall not denied: $(cat "$T/variant.out")"
    grep -q "^unix=EPERM$" "$T/variant.out" || fail "$mode: extra socket family not denied"
    grep -q "^inet=0$" "$T/variant.out" || fail "$mode: the learned socket family was denied"
done

# Exact mode watched everything: the profile lists what the probe does and nothing assumed.
grep -q '^    "uname",' "$T/exact.toml" || fail "exact: uname not allowed"
grep -q 'assumed (baseline' "$T/exact.toml" && fail "exact: baseline assumed in exact mode"
grep -q '"futex",  # assumed (baseline' "$T/fast.toml" || fail "fast: baseline not listed as assumed"
grep -q '^socket = .*family = \["AF_INET"\]' "$T/exact.toml" || fail "exact: socket family not recorded"

# Identical runs (same program, same environment: output to a file as above) give identical
# profiles.
"$VIGIL" learn -o "$T/exact2.toml" --exact -- "$PROBE" > "$T/learn2.out" 2>&1
cmp "$T/exact.toml" "$T/exact2.toml" || { diff "$T/exact.toml" "$T/exact2.toml"; fail "identical runs differ"; }
echo "ok"
