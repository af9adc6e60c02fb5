#!/bin/bash
# HAPI FHIR with PostgreSQL, the production-shaped variant, under profiles/hapi-fhir-postgres.toml:
#   1. makes a network namespace of its own (loopback only) and starts Debian's PostgreSQL in it:
#      initdb in a temp dir as the unprivileged user nobody, listening on 127.0.0.1:5432;
#   2. runs HAPI (the example's war, cached in $BUILD/hapi-fhir) against it under vigil with the
#      shipped profile, unchanged, in the same namespace on 127.0.0.1:8080;
#   3. the verification workload passes with zero denials, and the rows are in PostgreSQL;
#   4. egress other than the database is refused after start-up: the demo endpoint's connects to
#      loopback's SSH port and to a TEST-NET address fail and are audited; the database port
#      itself stays reachable (HAPI keeps answering).
# labels: integration;e2e;jvm;java
# locks: maven
# timeout: 1500
set -uo pipefail

SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$SRC/build}
VIGIL=${VIGIL:-$BUILD/vigil}
app=$SRC/examples/hapi-fhir
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
die() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $* ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))"; }

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || die "PostgreSQL is not installed (apt-get install -y postgresql)"
for cmd in python3 curl mvn unshare nsenter ip setpriv; do
    command -v "$cmd" >/dev/null || die "$cmd is not installed"
done
[ -x "$VIGIL" ] || die "no vigil binary at $VIGIL"

work=$(mktemp -d /tmp/hapi_postgres_test.XXXXXX)
chmod 755 "$work"
source "$SRC/test/integration/lib/hapi.bash"
pg() { inns setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
cleanup() {
    hapi_cleanup_server
    [ -f "$work/pg/postmaster.pid" ] && pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1
    hapi_cleanup_netns
    rm -rf "$work"
}
trap cleanup EXIT

step "build (cached in $BUILD/hapi-fhir)"
"$app/build.sh" "$BUILD/hapi-fhir" || die "examples/hapi-fhir/build.sh failed (see above)"
"$VIGIL" check "$SRC/profiles/hapi-fhir-postgres.toml" >/dev/null || die "profiles/hapi-fhir-postgres.toml does not check"

hapi_netns
pgport=5432

step "PostgreSQL on 127.0.0.1:$pgport (as nobody, in $work/pg)"
mkdir -p "$work/pg" "$work/pgsock" && chown nobody:nogroup "$work/pg" "$work/pgsock"
pg "$pgbin/initdb" -D "$work/pg" -U hapi --auth=trust -E UTF8 >"$work/initdb.log" 2>&1 \
    || { cat "$work/initdb.log" >&2; die "initdb failed"; }
pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pgsock/postgres.log" -w -t 120 \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -k $work/pgsock -c fsync=off" start >/dev/null \
    || { cat "$work/pgsock/postgres.log" >&2; die "PostgreSQL did not start"; }
pg "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U hapi hapi || die "createdb failed"
psql_q() { pg "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U hapi -d hapi -Atc "$1"; }

export HAPI_DATA_DIR=$work/data HAPI_DEMO_RCE=1
export SPRING_DATASOURCE_URL="jdbc:postgresql://127.0.0.1:$pgport/hapi" SPRING_DATASOURCE_USERNAME=hapi SPRING_DATASOURCE_PASSWORD=
export HIBERNATE_DIALECT=ca.uhn.fhir.jpa.model.dialect.HapiFhirPostgresDialect

step "start HAPI under vigil (port $port, database port $pgport)"
hapi_start "$SRC/profiles/hapi-fhir-postgres.toml"

step "verification workload"
inns python3 "$app/verify.py" --base "$base" --clients 8 --seconds 20 >"$work/verify.log" 2>&1 \
    || { tail -30 "$work/verify.log" >&2; fail "the verification workload got wrong answers"; }
tail -3 "$work/verify.log"
expect_no_denials "legitimate traffic"
rows=$(psql_q "select count(*) from hfj_resource where res_type = 'Patient'" 2>&1)
[ "${rows:-0}" -ge 6 ] 2>/dev/null || fail "PostgreSQL holds '$rows' Patient rows, expected at least 6"

step "egress other than the database is refused"
for target in 127.0.0.1:5433 203.0.113.7:5432 "[::1]:5432"; do
    rce=$(inns curl -s -m 60 -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$port/demo-rce" \
        -d "{\"connect\": \"$target\"}")
    python3 -c 'import json, sys; assert not json.loads(sys.argv[1])["connect"]["ok"]' "$rce" \
        || fail "the connect to $target was not refused: $rce"
done
[ "$(count_events 'e.get("outcome") == "denied" and e.get("syscall") == "connect" and "203.0.113.7" in json.dumps(e)')" -ge 1 ] \
    || fail "no denied connect to 203.0.113.7 in the audit trail"
inns curl -sf -o /dev/null -m 30 "$base/Patient?_count=1" || fail "HAPI stopped answering (its database connections?)"

step "SIGTERM: graceful stop"
hapi_stop
[ "$stop_status" -eq 0 ] || fail "vigil exited $stop_status after SIGTERM, expected 0 (143 remapped)"

if [ "$failures" -ne 0 ]; then
    echo "--- HAPI log (tail)" >&2
    tail -30 "$work/hapi.log" >&2
    echo "hapi_postgres: $failures check(s) failed" >&2
    exit 1
fi
echo "hapi_postgres: all checks passed"
