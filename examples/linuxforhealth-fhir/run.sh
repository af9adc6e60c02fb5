#!/bin/bash
# Runs the LinuxForHealth FHIR example in the foreground on 127.0.0.1:PORT:
#
#   examples/linuxforhealth-fhir/run.sh OUTDIR PORT
#
# OUTDIR is what build.sh made. FHIR base: http://127.0.0.1:PORT/fhir-server/api/v4 (the
# LinuxForHealth context root). The Derby database lives in $FHIR_DATA_DIR (default
# OUTDIR/fhir-data). Liberty prints "CWWKF0011I: The defaultServer server is ready to run a
# smarter planet." once the application has started.
# exec: Liberty's `server run` execs java, so the JVM ends up with this script's pid and gets
# the signals sent to it (SIGTERM stops Liberty cleanly, exit status 143... see the profile).
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 OUTDIR PORT" >&2
    exit 2
fi
out=$(cd "$1" && pwd)
case $2 in
    ''|*[!0-9]*) echo "$0: PORT must be a number, not '$2'" >&2; exit 2 ;;
esac
[ -x "$out/wlp/bin/server" ] || { echo "$0: $out/wlp/bin/server is missing: run build.sh $out first" >&2; exit 1; }
export JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac || echo /usr/bin/javac)")")")}
export WLP_USER_DIR=$out/usr
export FHIR_HTTP_PORT=$2
export FHIR_DATA_DIR=${FHIR_DATA_DIR:-$out/fhir-data}
mkdir -p "$FHIR_DATA_DIR"
# Derby's own log next to its database (it would otherwise land in the working directory).
export JVM_ARGS="${JVM_ARGS:-} -Dderby.stream.error.file=$FHIR_DATA_DIR/derby.log"
exec "$out/wlp/bin/server" run defaultServer
