#!/bin/bash
# Builds the HAPI FHIR JPA example server (R4, Spring Boot, embedded Tomcat) with Maven from
# HAPI's published artifacts on Maven Central:
#
#   examples/hapi-fhir/build.sh OUTDIR
#
# Produces OUTDIR/main.war (an executable Spring Boot war, laid out like the upstream image's
# /app/main.war) and OUTDIR/extra-classes/ (empty: the upstream image's hook for extra classes).
# The first build downloads the artifacts into ~/.m2 (about 250 MB); later builds run offline
# (mvn -o), and a war newer than every source file is kept as it is.
# Needs mvn and a JDK 17 or later (JAVA_HOME, else the one on PATH).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
if ! command -v mvn >/dev/null; then
    echo "$0: mvn not found (apt-get install maven)" >&2
    exit 1
fi

newest_source=$(find "$here/pom.xml" "$here/src" -type f -newer "$out/main.war" 2>/dev/null | head -1 || true)
if [ -f "$out/main.war" ] && [ -z "$newest_source" ]; then
    echo "up to date: $out/main.war"
    mkdir -p "$out/extra-classes"
    exit 0
fi

mvn_args=(-B -ntp -q -f "$here/pom.xml" -Dhapi.build.dir="$out/target" -DskipTests package)
log=$out/maven.log
# Offline first (no network needed once ~/.m2 holds everything), then online.
if ! mvn -o "${mvn_args[@]}" >"$log" 2>&1; then
    echo "$0: offline build failed (first build?), downloading from Maven Central" >&2
    if ! mvn "${mvn_args[@]}" >"$log" 2>&1; then
        echo "$0: the Maven build failed; the end of $log:" >&2
        tail -40 "$log" >&2
        exit 1
    fi
fi
cp "$out/target/main.war" "$out/main.war.tmp"
mv "$out/main.war.tmp" "$out/main.war"
mkdir -p "$out/extra-classes"
echo "built $out/main.war"
