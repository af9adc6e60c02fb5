#!/bin/bash
# examples/services end to end, vigil as PID 1: the FHIR demo server and its socat sidecar,
# each with the example's own profile (ports moved to free ones by a layer on top). The proxy
# starts only once the server is ready; FHIR requests through the proxy work; each service has
# its own seccomp filter and its own user (the proxy runs as nobody); every line keeps its
# service's name; SIGTERM stops the proxy first, then the server, and vigil exits 0 (both
# profiles remap their clean-SIGTERM 143).
# labels: integration;e2e;jvm;services
# timeout: 300
source "$(dirname "$0")/lib/common.bash"
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
for need in /usr/share/tomcat10/bin/catalina.sh /usr/share/java/jackson-databind.jar; do
    [ -e "$need" ] || { echo "FAIL: $need is missing: apt-get install -y tomcat10 libjackson2-databind-java" >&2; exit 1; }
done
for cmd in socat curl python3; do
    command -v "$cmd" >/dev/null || { echo "FAIL: $cmd is not installed (apt-get install -y $cmd)" >&2; exit 1; }
done
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
P1=$(free_port)
P2=$(free_port)
if ! "$SRC/examples/fhir-server/build.sh" "$TMP/out" "$P1" >"$TMP/build.log" 2>&1; then
    echo "FAIL: examples/fhir-server/build.sh failed:" >&2
    cat "$TMP/build.log" >&2
    exit 1
fi
mkdir -p "$TMP/data"
cat >"$TMP/fhir.toml" <<TOML
include = ["$SRC/examples/services/fhir.toml"]
[landlock]
bind_tcp = [$P1]
connect_tcp = [$P1]
TOML
cat >"$TMP/proxy.toml" <<TOML
include = ["$SRC/examples/services/proxy.toml"]
[landlock]
bind_tcp = [$P2]
connect_tcp = [$P1]
[phases.ready]
tcp_listen = $P2
TOML
# The example's services.toml with the ports and paths of this run.
sed -e "s|\"examples/services/fhir.sh\"|\"$SRC/examples/services/fhir.sh\"|" \
    -e "s|18481|$P2|g; s|18480|$P1|g" "$SRC/examples/services/services.toml" >"$TMP/services.toml"
expect_grep "services.toml rewritten" "TCP-LISTEN:$P2" "$TMP/services.toml"

out=$TMP/up.out
FHIR_BASE=$TMP/out/base FHIR_PORT=$P1 FHIR_DATA_DIR=$TMP/data \
    unshare --pid --fork --mount-proc --kill-child "$VIGIL" up "$TMP/services.toml" >"$out" 2>&1 &
launcher=$!
if ! wait_for_line "$out" "service proxy is ready" 1200; then
    fail "the proxy did not become ready within 120 s:"
    sed 's/^/    /' "$out" >&2
fi
vpid=$(vigil_pid_of "$launcher" pid1)
code=$(curl -s -o "$TMP/metadata.json" -w '%{http_code}' --max-time 20 "http://127.0.0.1:$P2/metadata")
expect_eq "GET /metadata through the proxy" 200 "$code"
expect_grep "a CapabilityStatement through the proxy" '"resourceType" *: *"CapabilityStatement"' "$TMP/metadata.json"
expect_grep "server ready before the proxy starts" "service fhir is ready" "$out"
a=$(grep -nE "service fhir is ready" "$out" | head -n1 | cut -d: -f1)
b=$(grep -nE "service proxy started" "$out" | head -n1 | cut -d: -f1)
expect_eq "proxy started after the server was ready" yes "$([ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] && echo yes || echo no)"
expect_grep "the server's lines keep its name" "^fhir \| .*Server startup in" "$out"
expect_grep "the proxy's lines keep its name" "^proxy \| " "$out"
expect_grep "the server's audit trail names it" '^\{.*"event":"(decision|phase|repeated)".*"service":"fhir"' "$out"

# Each service's own filter and user, seen from outside.
declare -A uids
for comm in java socat; do
    pid=$(pgrep -x "$comm" -P "$vpid" | head -n1)
    [ -n "$pid" ] || pid=$(pgrep -x "$comm" | while read -r p; do grep -q "^PPid:.*\b$vpid$" "/proc/$p/status" && echo "$p"; done | head -n1)
    if [ -z "$pid" ]; then fail "no $comm process under vigil"; continue; fi
    expect_eq "$comm: its own filter" 1 "$(awk '/^Seccomp_filters:/ {print $2}' "/proc/$pid/status")"
    uids[$comm]=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
done
expect_eq "the proxy runs as nobody" 65534 "${uids[socat]:-}"

kill -TERM "$vpid"
wait "$launcher"
expect_eq "exit status after SIGTERM" 0 "$?"
a=$(grep -nE "stopping service proxy" "$out" | head -n1 | cut -d: -f1)
b=$(grep -nE "stopping service fhir" "$out" | head -n1 | cut -d: -f1)
expect_eq "proxy stopped before the server" yes "$([ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] && echo yes || echo no)"
finish
