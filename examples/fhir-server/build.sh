#!/bin/bash
# Builds the vigil FHIR example server with plain javac + jar (no Maven) and a ready Tomcat 10
# CATALINA_BASE that serves it.
#
#   examples/fhir-server/build.sh OUTDIR [PORT]
#
# Produces:
#   OUTDIR/fhir-server.war   the web application
#   OUTDIR/base/             a CATALINA_BASE: conf/ (Debian's /etc/tomcat10 + our server.xml),
#                            webapps/ROOT/ (the exploded app), temp/ (CATALINA_TMPDIR, where
#                            Tomcat's work directory goes too), logs/ (unused: logs go to stderr)
# The HTTP connector listens on 127.0.0.1:PORT (default 8080); at run time the environment
# variables FHIR_HTTP_PORT and FHIR_HTTP_ADDRESS override both (run.sh BASE PORT sets the port).
# Needs the Debian packages tomcat10 and libjackson2-databind-java (and a JDK, 17 or later).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 OUTDIR [PORT]" >&2
    exit 2
fi
out=$1
port=${2:-8080}
here=$(cd "$(dirname "$0")" && pwd)
tomcat=/usr/share/tomcat10
# Debian's JDK (17 on Debian 12, 21 on Debian 13) unless JAVA_HOME says otherwise.
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac || echo /usr/bin/javac)")")")}
jars="/usr/share/java/jackson-databind.jar /usr/share/java/jackson-core.jar /usr/share/java/jackson-annotations.jar"

for f in $tomcat/bin/catalina.sh /usr/share/java/tomcat10-servlet-api.jar $jars "$java_home/bin/javac"; do
    if [ ! -e "$f" ]; then
        echo "$0: missing $f (apt-get install tomcat10 libjackson2-databind-java default-jdk-headless)" >&2
        exit 1
    fi
done
case $port in
    ''|*[!0-9]*) echo "$0: PORT must be a number, not '$port'" >&2; exit 2 ;;
esac

rm -rf "$out/webapp" "$out/base" "$out/classes" "$out/fhir-server.war"
mkdir -p "$out/classes" "$out/webapp/WEB-INF/lib"
out=$(cd "$out" && pwd)

classpath=/usr/share/java/tomcat10-servlet-api.jar:$(echo "$jars" | tr ' ' ':')
"$java_home/bin/javac" --release 17 -Xlint:all -Werror -encoding UTF-8 -cp "$classpath" \
    -d "$out/classes" "$here"/src/vigil/fhir/*.java

# Exploded web application: classes, Jackson (resolved through Debian's version-less symlinks).
cp -r "$here/webapp/." "$out/webapp/"
cp -r "$out/classes" "$out/webapp/WEB-INF/classes"
for jar in $jars; do
    cp "$(readlink -f "$jar")" "$out/webapp/WEB-INF/lib/"
done
(cd "$out/webapp" && "$java_home/bin/jar" --create --file "$out/fhir-server.war" .)

# CATALINA_BASE: Debian's configuration, our server.xml, the app as the ROOT context.
"$tomcat/bin/makebase.sh" "$out/base" >/dev/null
cp -r /etc/tomcat10/. "$out/base/conf/"
rm -rf "$out/base/conf/Catalina" "$out/base/conf/policy.d" "$out/base/conf/tomcat-users.xml"
cp "$here/conf/server.xml" "$here/conf/logging.properties" "$out/base/conf/"
# Debian's files are readable by the group tomcat only; the server may run as any user.
# Tomcat wants conf/Catalina/localhost to exist (it would create it, read-only or not).
mkdir -p "$out/base/conf/Catalina/localhost"
chmod -R u=rwX,go=rX "$out/base/conf"
# The port goes in as a JVM property (not catalina.properties, which would override it), so
# that run.sh can pick another one; catalina.sh sources BASE/bin/setenv.sh.
cat > "$out/base/bin/setenv.sh" <<SETENV
# Written by examples/fhir-server/build.sh: the HTTP connector's address and port.
CATALINA_OPTS="\${CATALINA_OPTS:-} -Dfhir.http.address=\${FHIR_HTTP_ADDRESS:-127.0.0.1} -Dfhir.http.port=\${FHIR_HTTP_PORT:-$port}"
SETENV
mkdir -p "$out/base/webapps/ROOT"
cp -r "$out/webapp/." "$out/base/webapps/ROOT/"
echo "built $out/fhir-server.war and CATALINA_BASE $out/base (http://127.0.0.1:$port/)"
