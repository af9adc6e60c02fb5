#!/bin/bash
# What each dependency costs in a static, stripped binary: tiny programs (bench/size/*.cpp)
# that each use one library the way vigil does, built like vigil's static build (-Os,
# -ffunction-sections -fdata-sections, -Wl,--gc-sections, -static, stripped), against
# base.cpp (std::string, std::map, std::thread, printf: what every C++ binary here carries).
# Then, for a static vigil (unstripped, e.g. build-static/vigil), the size of its symbols
# grouped by where they come from (nm --size-sort).
# usage: bench/size.sh [STATIC_VIGIL_UNSTRIPPED]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
F=(-std=c++20 -Os -ffunction-sections -fdata-sections -DFMT_HEADER_ONLY)
L=(-static -Wl,--gc-sections -s -pthread)
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), g++ $(g++ -dumpfullversion), $(. /etc/os-release; echo "$PRETTY_NAME")"
build() {  # NAME SOURCE EXTRA-FLAGS... -> size in bytes
    local name=$1 src=$2
    shift 2
    g++ "${F[@]}" "$@" -o "$T/$name" "$HERE/size/$src" "${L[@]}" $(case $src in re2.cpp) pkg-config --static --libs re2;; seccomp.cpp) echo -lseccomp;; capng.cpp) echo -lcap-ng;; esac) 2> "$T/$name.err" ||
        { echo "size: $name failed: $(head -3 "$T/$name.err")" >&2; echo 0; return; }
    stat -c %s "$T/$name"
}
base=$(build base base.cpp)
printf '| program | stripped bytes | over base |\n|---|---|---|\n'
printf '| base (string, map, thread, printf) | %s | |\n' "$base"
row() { local s; s=$(build "$@"); printf '| %s | %s | %+d |\n' "$1" "$s" $((s - base)); }
row iostream iostream.cpp
row std-regex regex.cpp
row fmt fmt.cpp
row fmt-no-locale fmt.cpp "-DFMT_STATIC_THOUSANDS_SEPARATOR=','"
row spdlog spdlog.cpp -DSPDLOG_HEADER_ONLY -DSPDLOG_FMT_EXTERNAL
row toml11 toml.cpp
row nlohmann-json json.cpp
row re2 re2.cpp
row libseccomp seccomp.cpp
row libcap-ng capng.cpp
row getpwnam-nss nss.cpp
if [ -n "${1:-}" ]; then
    echo
    echo "## $1: $(stat -c %s "$1") bytes unstripped, $(strip -o "$T/v" "$1" && stat -c %s "$T/v") stripped"
    echo "| origin | bytes of symbols (text+data) |"
    echo "|---|---|"
    nm --size-sort -t d -C -S "$1" | awk '
        { size = $2 + 0; name = ""; for (i = 4; i <= NF; ++i) name = name " " $i
          o = "other (glibc, libstdc++ internals, C code)"
          if (name ~ /toml::/) o = "toml11"
          else if (name ~ /nlohmann::/) o = "nlohmann-json"
          else if (name ~ /re2::|absl/) o = "re2 (+absl)"
          else if (name ~ /fmt::/) o = "fmt"
          else if (name ~ /vigil::/) o = "vigil"
          else if (name ~ /std::.*(locale|facet|ctype|num_put|num_get|codecvt|moneypunct|money_|time_put|time_get|messages|collate|numpunct|basic_[io]?[fs]?stream|streambuf|ios_base|basic_ios)/) o = "libstdc++ locale + iostreams"
          else if (name ~ /std::/) o = "libstdc++ other"
          else if (name ~ / (db_|gen_bpf|_gen_bpf|arch_|seccomp_|_db_|_bpf_)/) o = "libseccomp"
          else if (name ~ / capng_/) o = "libcap-ng"
          sum[o] += size }
        END { for (o in sum) printf "| %s | %d |\n", o, sum[o] }' | sort -t'|' -k3 -n -r
fi
