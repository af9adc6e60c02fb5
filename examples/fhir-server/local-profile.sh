#!/bin/bash
# Writes a profile layer that runs the FHIR example server from this checkout under
# profiles/fhir-server.toml, whose [landlock] names the container image's paths and port:
#
#   examples/fhir-server/local-profile.sh OUT.toml PORT
#
# The layer includes fhir-server.toml and grants what a local run adds: this directory (run.sh,
# read and executed) and PORT (bound, and connected to by Tomcat at shutdown). CATALINA_BASE and
# the data directory must be under /tmp, which tomcat.toml makes writable.
set -euo pipefail
if [ $# -ne 2 ]; then
    echo "usage: $0 OUT.toml PORT" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cat > "$1" <<TOML
# Local run of the FHIR example server (written by examples/fhir-server/local-profile.sh).
include = ["$root/profiles/fhir-server.toml"]

[landlock]
read = ["$here"]
execute = ["$here/run.sh"]
bind_tcp = [$2]
connect_tcp = [$2]
TOML
