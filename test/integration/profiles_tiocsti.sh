#!/bin/bash
# Terminal injection (finding 2): under every shipped profile an app that owns a terminal (it
# makes its own session and pty, so the kernel alone would allow it) cannot TIOCSTI or
# TIOCLINUX, also not with the request's upper 32 bits set; other ioctls still work.
# labels: integration;nocontainer
# timeout: 120
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
probe=$HELPERS/tty_inject_probe
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# Without a filter the kernel lets the probe inject: otherwise this test would prove nothing.
"$probe" >"$dir/bare" 2>&1 || fail "probe failed without vigil: $(cat "$dir/bare")"
grep -qx "TIOCSTI ok" "$dir/bare" || fail "the kernel refuses TIOCSTI here even without a filter: $(cat "$dir/bare")"

n=0
for profile in "$SRC"/profiles/*.toml; do
    name=$(basename "$profile")
    run_profile=$profile
    # (asked of vigil, so that a grant in an included profile counts too)
    if "$VIGIL" run --dry-run -p "$profile" -- /bin/true 2>/dev/null | grep -q 'confined: filesystem'; then
        # Its [landlock] confines paths to an image's layout: a layer grants the probe and the
        # pty it makes (nothing that matters for the ioctl filter under test).
        run_profile=$dir/layer-$name
        printf 'include = ["%s"]

[landlock]
execute = ["%s"]
write = ["/dev/ptmx", "/dev/pts"]
' \
            "$profile" "$probe" >"$run_profile"
    fi
    timeout 60 "$VIGIL" run -p "$run_profile" -- "$probe" >"$dir/out" 2>"$dir/err"
    rc=$?
    [ $rc -eq 0 ] || fail "$name: vigil run exit $rc: $(cat "$dir/out" "$dir/err")"
    for want in "TIOCSTI errno=1" "TIOCSTI-high errno=1" "TIOCLINUX errno=1" "TIOCGWINSZ ok"; do
        grep -qx "$want" "$dir/out" || fail "$name: expected '$want', got: $(cat "$dir/out")"
    done
    echo "ok: $name"
    n=$((n + 1))
done
[ $n -gt 0 ] || fail "no shipped profiles found under $SRC/profiles"
