#!/bin/bash
# Runs the HAPI FHIR example server in the foreground on 127.0.0.1:PORT:
#
#   examples/hapi-fhir/run.sh OUTDIR [PORT]
#
# OUTDIR is what build.sh made; the FHIR base is http://127.0.0.1:PORT/fhir (default port 8080).
# The launch is the upstream image's: Spring Boot's PropertiesLauncher over main.war, with
# extra classes from OUTDIR/extra-classes. The JVM runs as this script's process (exec), so the
# signals sent to it reach the JVM (SIGTERM: graceful shutdown, exit status 143).
# Environment:
#   HAPI_DATA_DIR    where the H2 database lives (default OUTDIR/data)
#   HAPI_JAVA_OPTS   JVM options (default: a small JVM for a shared 2-core machine, below)
#   HAPI_DEMO_RCE=1  enables the remote-code-execution demo endpoint POST /demo-rce: never set
#                    it outside a demo or a test
#   SPRING_DATASOURCE_URL etc. another database (see src/main/resources/application.yaml)
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 OUTDIR [PORT]" >&2
    exit 2
fi
out=$(cd "$1" && pwd)
port=${2:-8080}
case $port in
    ''|*[!0-9]*) echo "$0: PORT must be a number, not '$port'" >&2; exit 2 ;;
esac
if [ ! -f "$out/main.war" ]; then
    echo "$0: $out/main.war missing: run examples/hapi-fhir/build.sh $1 first" >&2
    exit 1
fi
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
export HAPI_DATA_DIR=${HAPI_DATA_DIR:-$out/data}
export HAPI_HTTP_PORT=$port
mkdir -p "$HAPI_DATA_DIR" "$out/extra-classes"
# A small JVM for a shared 2-core machine: serial GC (no parallel GC threads), only the C1 JIT
# (HAPI's start-up spends most of its CPU compiling; C2 buys peak speed this machine cannot
# use), bounded heap, metaspace and code cache, no hsperfdata file in /tmp.
opts=${HAPI_JAVA_OPTS:--Xms128m -Xmx768m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MaxMetaspaceSize=320m -XX:ReservedCodeCacheSize=128m -XX:-UsePerfData -Xss512k}
cd "$out"
# shellcheck disable=SC2086 # opts is a list of words
exec "$java" $opts --class-path "$out/main.war" \
    "-Dloader.path=main.war!/WEB-INF/classes/,main.war!/WEB-INF/,$out/extra-classes" \
    org.springframework.boot.loader.PropertiesLauncher
