#!/bin/bash
# Writes a profile layer that runs the HAPI FHIR example from this checkout under
# PROFILE (profiles/hapi-fhir.toml by default), whose [landlock] names the container image's
# paths and port:
#
#   examples/hapi-fhir/local-profile.sh OUT.toml PORT OUTDIR [PROFILE]
#
# The layer includes PROFILE and grants what a local run adds: this directory (run.sh, read and
# executed), OUTDIR (what build.sh made: main.war, extra-classes; read-only) and PORT (bound,
# and connected to by Tomcat at shutdown). The data directory (HAPI_DATA_DIR) must be under
# /tmp or /data, which PROFILE makes writable.
set -euo pipefail
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
    echo "usage: $0 OUT.toml PORT OUTDIR [PROFILE]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(cd "$3" && pwd) || { echo "$0: no directory $3 (run examples/hapi-fhir/build.sh $3 first)" >&2; exit 1; }
profile=${4:-$root/profiles/hapi-fhir.toml}
case $2 in
    ''|*[!0-9]*) echo "$0: PORT must be a number, not '$2'" >&2; exit 2 ;;
esac
cat > "$1" <<TOML
# Local run of the HAPI FHIR example (written by examples/hapi-fhir/local-profile.sh).
include = ["$profile"]

[landlock]
read = ["$here", "$out"]
execute = ["$here/run.sh"]
bind_tcp = [$2]
connect_tcp = [$2]
TOML
