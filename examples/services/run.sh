#!/bin/bash
# Builds the FHIR example server once (into $FHIR_OUT, default /tmp/vigil-services-demo) and runs
# examples/services/services.toml under vigil, as PID 1 of a new PID namespace when run as root
# (as a container would). Run from the repository root; VIGIL (default: build/vigil) is the binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
VIGIL=${VIGIL:-build/vigil}
export FHIR_OUT=${FHIR_OUT:-/tmp/vigil-services-demo}
export FHIR_PORT=18480
[ -d "$FHIR_OUT/base" ] || examples/fhir-server/build.sh "$FHIR_OUT" "$FHIR_PORT"
export FHIR_BASE=$FHIR_OUT/base
# The server runs as its own user (nobody for the proxy, root's own for the server unless the
# image says otherwise): its data directory must be writable by it.
export FHIR_DATA_DIR=${FHIR_DATA_DIR:-$FHIR_OUT/data}
mkdir -p "$FHIR_DATA_DIR"
if [ "$(id -u)" = 0 ]; then
    exec unshare --pid --fork --mount-proc "$VIGIL" up examples/services/services.toml
fi
exec "$VIGIL" up examples/services/services.toml
