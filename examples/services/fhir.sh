#!/bin/sh
# The fhir service of services.toml: the example server's run.sh on the CATALINA_BASE that
# run.sh (next to this file) built. exec: the JVM keeps this pid, so vigil's SIGTERM stops Tomcat.
exec "$(dirname "$0")/../fhir-server/run.sh" "${FHIR_BASE:?set FHIR_BASE to a CATALINA_BASE made by examples/fhir-server/build.sh}" "${FHIR_PORT:-18480}"
