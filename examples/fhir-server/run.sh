#!/bin/bash
# Runs the FHIR example server (Tomcat 10, loopback only) in the foreground:
#
#   examples/fhir-server/run.sh BASE [PORT]
#
# BASE is a CATALINA_BASE made by build.sh; PORT overrides the port it was built with.
# The data directory is $FHIR_DATA_DIR (default BASE/fhir-data). FHIR_DEMO_RCE=1 enables the
# remote-code-execution demo endpoint: never set it outside a demo.
# exec: catalina.sh itself execs java, so the JVM ends up with this script's pid and receives
# the signals sent to it (SIGTERM stops Tomcat cleanly).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 BASE [PORT]" >&2
    exit 2
fi
base=$(cd "$1" && pwd)
if [ $# -eq 2 ]; then
    export FHIR_HTTP_PORT=$2 # read by BASE/bin/setenv.sh
fi
# Debian's JDK (17 on Debian 12, 21 on Debian 13) unless JAVA_HOME says otherwise.
export JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac || echo /usr/bin/javac)")")")}
export CATALINA_HOME=/usr/share/tomcat10
export CATALINA_BASE=$base
export CATALINA_TMPDIR=$base/temp
exec /usr/share/tomcat10/bin/catalina.sh run
