#!/bin/bash
# 200,000-deep nesting: `vigil check` exits 1 with a FILE:LINE:COL line and `vigil import-oci`
# exits 125 with a positioned message, instead of overflowing the stack (SIGSEGV).
# labels: integration;nocontainer
# timeout: 60
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" <<'PY'
import sys
d, n = sys.argv[1], 200000
open(d + "/arrays.toml", "w").write("a = " + "[" * n + "]" * n + "\n")
open(d + "/keys.toml", "w").write("a" + ".a" * n + " = 1\n")
open(d + "/deep.json", "w").write('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],'
                                  '"action":"SCMP_ACT_ALLOW","args":' + "[" * n + "]" * n + "}]}")
PY
for f in arrays keys; do
    "$VIGIL" check "$dir/$f.toml" >/dev/null 2>"$dir/err"; rc=$?
    [ $rc -eq 1 ] || fail "check $f.toml: exit $rc (want 1): $(head -c 300 "$dir/err")"
    grep -qE "^$dir/$f.toml:1:[0-9]+: TOML nesting deeper than 64 levels" "$dir/err" \
        || fail "check $f.toml: no positioned message: $(head -c 300 "$dir/err")"
done
"$VIGIL" import-oci "$dir/deep.json" >/dev/null 2>"$dir/err"; rc=$?
[ $rc -eq 125 ] || fail "import-oci: exit $rc (want 125): $(head -c 300 "$dir/err")"
grep -qE "import-oci: $dir/deep.json:1:[0-9]+: JSON nesting deeper than 64 levels" "$dir/err" \
    || fail "import-oci: no positioned message: $(head -c 300 "$dir/err")"
echo ok
