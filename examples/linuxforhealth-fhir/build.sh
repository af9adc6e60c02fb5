#!/bin/bash
# Builds the LinuxForHealth FHIR example: the web application (Maven, from the LinuxForHealth
# modules on Maven Central) and an Open Liberty installation that serves it on embedded Derby.
#
#   examples/linuxforhealth-fhir/build.sh OUTDIR
#
# The first build downloads from Maven Central (about 170 MB, mostly the Open Liberty
# webProfile8 runtime zip) into ~/.m2; later builds need no network (LFH_MAVEN_OFFLINE=1 adds
# -o to say so). Produces:
#   OUTDIR/wlp/                    Open Liberty 26.0.0.3 (webProfile8: JAX-RS 2.1, servlet 4.0, JDBC)
#   OUTDIR/usr/servers/defaultServer/   server.xml, jvm.options, apps/fhir-server.war
#   OUTDIR/usr/shared/resources/lib/derby/derby.jar
# run.sh OUTDIR PORT runs it. Needs mvn, unzip and a JDK 17 or later (JAVA_HOME or javac on PATH).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac || echo /usr/bin/javac)")")")}
for cmd in mvn unzip; do
    command -v "$cmd" >/dev/null || { echo "$0: $cmd is not installed (apt-get install maven unzip)" >&2; exit 1; }
done
[ -x "$java_home/bin/javac" ] || { echo "$0: no JDK at $java_home (set JAVA_HOME)" >&2; exit 1; }

offline=()
[ "${LFH_MAVEN_OFFLINE:-0}" = 1 ] && offline=(-o)
log=$out/maven.log
if ! JAVA_HOME=$java_home mvn -B "${offline[@]}" -f "$here/pom.xml" -Dlfh.build.dir="$out/maven" package >"$log" 2>&1; then
    echo "$0: the Maven build failed; the end of $log:" >&2
    grep -E 'ERROR|Could not|FAILURE' "$log" | head -20 >&2 || tail -20 "$log" >&2
    exit 1
fi

rm -rf "$out/wlp"
unzip -q "$out/maven/runtime/openliberty-webProfile8.zip" -d "$out"
server=$out/usr/servers/defaultServer
rm -rf "$server/apps" "$server/dropins" "$out/usr/shared/resources/lib/derby"
mkdir -p "$server/apps" "$out/usr/shared/resources/lib/derby"
cp "$here/conf/server.xml" "$here/conf/jvm.options" "$server/"
cp "$out/maven/fhir-server.war" "$server/apps/"
cp "$out/maven/runtime/derby.jar" "$out/usr/shared/resources/lib/derby/"
echo "built $out (Open Liberty in $out/wlp, server $server)"
