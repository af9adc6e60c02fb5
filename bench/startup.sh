#!/usr/bin/env bash
# Start-up overhead of vigil as an init, side by side in one run:
#   /bin/true alone, tini -- /bin/true, vigil -- /bin/true (dynamic and static),
# plus binary sizes and peak RSS. Usage: bench/startup.sh [BUILD_DIR] [STATIC_BUILD_DIR]
# Needs: hyperfine, tini (Debian packages), GNU time.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
static=${2:-$here/build-static}
if [ ! -x "$static/vigil" ]; then
    cmake -S "$here" -B "$static" -DVIGIL_STATIC=ON -DVIGIL_TESTS=OFF -DCMAKE_BUILD_TYPE=MinSizeRel >/dev/null
    cmake --build "$static" -j2 >/dev/null
fi
strip -o /tmp/vigil-static-stripped "$static/vigil"
export VIGIL_LOG_LEVEL=warn

echo "## start-up time (hyperfine, interleaved warm runs)"
hyperfine -N --warmup 50 --runs 1000 --export-markdown /tmp/vigil-startup.md \
    -n true '/bin/true' \
    -n 'tini -s' '/usr/bin/tini -s -- /bin/true' \
    -n 'tini-static -s' '/usr/bin/tini-static -s -- /bin/true' \
    -n 'vigil' "$build/vigil -- /bin/true" \
    -n 'vigil (static)' "/tmp/vigil-static-stripped -- /bin/true" >/dev/null
cat /tmp/vigil-startup.md

echo
echo "## binary size (bytes) and peak RSS of the init process (KiB, GNU time, max of 20 runs)"
rss() { local m=0 r; for _ in $(seq 20); do r=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1); [ "$r" -gt "$m" ] && m=$r; done; echo "$m"; }
printf '| binary | size | peak RSS |\n|---|---|---|\n'
printf '| tini (dynamic) | %s | %s |\n' "$(stat -c %s /usr/bin/tini)" "$(rss /usr/bin/tini -s -- /bin/true)"
printf '| tini-static | %s | %s |\n' "$(stat -c %s /usr/bin/tini-static)" "$(rss /usr/bin/tini-static -s -- /bin/true)"
printf '| vigil (dynamic) | %s | %s |\n' "$(stat -c %s "$build/vigil")" "$(rss "$build/vigil" -- /bin/true)"
printf '| vigil static, stripped | %s | %s |\n' "$(stat -c %s /tmp/vigil-static-stripped)" "$(rss /tmp/vigil-static-stripped -- /bin/true)"
printf '| /bin/true | %s | %s |\n' "$(stat -c %s /bin/true)" "$(rss /bin/true)"
