#!/bin/bash
# Builds bench/filter_bench.cpp against an existing build tree's vigil_core objects and runs it.
#   bench/filter_bench.sh [BUILD_DIR] [PROFILE.toml...] [-n CALLS]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
shift || true
# Objects of sources that still exist (a build tree can hold stale ones).
objs=$(cd "$BUILD/CMakeFiles/vigil_core.dir" && find src -name '*.cpp.o' | while read -r o; do
    [ -f "$SRC/${o%.o}" ] && echo "$BUILD/CMakeFiles/vigil_core.dir/$o"; done)
[ -n "$objs" ] || { echo "no vigil_core objects in $BUILD: build vigil first" >&2; exit 1; }
out=$BUILD/filter_bench
# shellcheck disable=SC2086
g++ -std=c++20 -O2 -I"$SRC/include" -o "$out" "$SRC/bench/filter_bench.cpp" $objs \
    -lfmt -lre2 -lseccomp -lcap-ng -pthread
exec "$out" "$@"
