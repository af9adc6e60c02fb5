#!/bin/bash
# docker/kubernetes/: the manifests pass the Kubernetes schemas (npm kubernetes-models, run by
# docker/kubernetes/tools/validate.mjs) and the "restricted" Pod Security Standard plus this
# deployment's own promises (tools/check-restricted.py); `vigil compile --format spo` output
# (v1 and v1beta1) passes the SeccompProfile schema. Then each rule is broken on purpose, one
# mutation at a time, and the checkers must say which rule failed.
# Cold: about 40 s (npm install into $BUILD/k8s-validate); warm: about 5 s.
# labels: integration;k8s
# timeout: 300
set -u
: "${SRC:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$SRC/build}"
source "$SRC/test/integration/lib/common.bash"
K=$SRC/docker/kubernetes
for c in node npm python3; do
    command -v "$c" >/dev/null || { echo "FAIL: $c is not installed (bash .ci/install-deps)" >&2; exit 1; }
done
python3 -c 'import yaml' 2>/dev/null || { echo "FAIL: python3-yaml is not installed" >&2; exit 1; }

# The validator's packages, pinned in tools/package.json, installed once per package.json.
tools=$BUILD/k8s-validate
if ! cmp -s "$K/tools/package.json" "$tools/package.json" || [ ! -d "$tools/node_modules/kubernetes-models" ]; then
    rm -rf "$tools" && mkdir -p "$tools" && cp "$K/tools/package.json" "$tools/"
    if ! (cd "$tools" && timeout 600 npm install --no-audit --no-fund --loglevel=error) >"$TMP/npm.log" 2>&1; then
        echo "FAIL: npm install of the validator's packages failed (registry unreachable?):" >&2
        tail -20 "$TMP/npm.log" >&2
        rm -rf "$tools"
        exit 1
    fi
fi
cp "$K/tools/validate.mjs" "$K/tools/seccompprofile.schema.json" "$tools/"
validate() { node "$tools/validate.mjs" "$@"; }

# 1. The manifests as shipped.
if validate "$K"/*.yaml >"$TMP/schema.log" 2>&1; then pass; else fail "schema check of docker/kubernetes:"; cat "$TMP/schema.log" >&2; fi
expect_eq "documents checked" "$(ls "$K"/*.yaml | xargs cat | grep -c '^kind:')" "$(grep -c '^valid:' "$TMP/schema.log")"
if python3 "$K/tools/check-restricted.py" "$K"/*.yaml >"$TMP/pss.log" 2>&1; then pass; else fail "restricted PSS:"; cat "$TMP/pss.log" >&2; fi
expect_grep "the Deployment was checked" '^restricted: .*Deployment hapi-fhir' "$TMP/pss.log"

# 2. The SeccompProfile from vigil compile, both API versions.
for v in v1 v1beta1; do
    if "$VIGIL" compile "$SRC/profiles/hapi-fhir.toml" --format spo --spo-version "$v" -o "$TMP/spo-$v.yaml" 2>"$TMP/spo-$v.err"; then
        pass
        validate "$TMP/spo-$v.yaml" >"$TMP/spo-$v.log" 2>&1 && pass || { fail "SeccompProfile $v:"; cat "$TMP/spo-$v.log" >&2; }
        expect_grep "apiVersion $v" "^apiVersion: security-profiles-operator.x-k8s.io/$v\$" "$TMP/spo-$v.yaml"
        expect_grep "named after the file" '^  name: hapi-fhir$' "$TMP/spo-$v.yaml"
        expect_grep "notified syscalls warned about ($v)" 'notified syscalls are exported with their fallback action' "$TMP/spo-$v.err"
    else
        fail "vigil compile --format spo --spo-version $v:"; cat "$TMP/spo-$v.err" >&2
    fi
done
# The YAML reads back (PyYAML) as exactly the rules of --format oci.
"$VIGIL" compile "$SRC/profiles/hapi-fhir.toml" --format oci -o "$TMP/oci.json" 2>/dev/null
python3 - "$TMP/spo-v1.yaml" "$TMP/oci.json" <<'EOF' && pass || fail "the SeccompProfile's rules differ from --format oci"
import json, sys, yaml
spo, oci = yaml.safe_load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert spo["spec"]["syscalls"] == oci["syscalls"], "syscalls differ"
assert spo["spec"]["defaultAction"] == oci["defaultAction"] and spo["spec"]["architectures"] == oci["architectures"]
EOF
# execve is notified by hapi-fhir.toml with fallback EPERM: a runtime could not even start java.
expect_grep "execve fallback warned about" 'execve' "$TMP/spo-v1.err"

# 3. Broken on purpose: each mutation must fail, naming its rule.
mutate() {  # mutate NAME PYTHON-EXPR-ON-d(the Deployment) EXPECTED-REGEX
    python3 - "$K/deployment.yaml" "$TMP/m-$1.yaml" "$2" <<'EOF'
import sys, yaml
src, dst, expr = sys.argv[1:]
d = yaml.safe_load(open(src))
pod = d["spec"]["template"]["spec"]
c = pod["containers"][0]
exec(expr)
yaml.safe_dump(d, open(dst, "w"))
EOF
    if python3 "$K/tools/check-restricted.py" "$TMP/m-$1.yaml" >"$TMP/m-$1.log" 2>&1; then
        fail "mutation $1 passed the restricted check"
    else
        expect_grep "mutation $1" "$3" "$TMP/m-$1.log"
    fi
}
mutate root-allowed 'pod["securityContext"]["runAsNonRoot"] = False; c["securityContext"]["runAsNonRoot"] = False' 'running-as-non-root'
mutate uid0 'pod["securityContext"]["runAsUser"] = 0' 'running-as-non-root-user'
mutate escalation 'c["securityContext"]["allowPrivilegeEscalation"] = True' 'privilege-escalation'
mutate escalation-unset 'del c["securityContext"]["allowPrivilegeEscalation"]' 'privilege-escalation'
mutate no-drop-all 'c["securityContext"]["capabilities"]["drop"] = ["NET_RAW"]' 'drop must include ALL'
mutate add-ptrace 'c["securityContext"]["capabilities"]["add"] = ["SYS_PTRACE"]' 'only NET_BIND_SERVICE'
mutate unconfined 'pod["securityContext"]["seccompProfile"] = {"type": "Unconfined"}; c["securityContext"]["seccompProfile"] = {"type": "Unconfined"}' 'seccomp'
mutate no-seccomp 'del pod["securityContext"]["seccompProfile"]; del c["securityContext"]["seccompProfile"]' 'seccomp'
mutate privileged 'c["securityContext"]["privileged"] = True' 'baseline/privileged'
mutate host-network 'pod["hostNetwork"] = True' 'host-namespaces'
mutate host-path 'pod["volumes"].append({"name": "h", "hostPath": {"path": "/"}})' 'hostpath-volumes'
mutate host-port 'c["ports"][0]["hostPort"] = 8080' 'host-ports'
mutate writable-root 'c["securityContext"]["readOnlyRootFilesystem"] = False' 'readOnlyRootFilesystem'
mutate no-startup 'del c["startupProbe"]' 'no startupProbe'
mutate short-startup 'c["startupProbe"]["failureThreshold"] = 3' 'startupProbe allows only'
mutate no-liveness 'del c["livenessProbe"]' 'no livenessProbe'
mutate profile-not-configmap 'c["env"][0]["value"] = "/etc/vigil/hapi-fhir.toml"' 'not in a mounted ConfigMap'
mutate no-vigil 'c["command"] = ["java"]' 'does not start with /vigil'
mutate init-container-root 'pod["initContainers"] = [{"name": "init", "image": "x", "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsUser": 0}}]' 'initContainer init: restricted/running-as-non-root-user'

# Schema: a wrong type and a missing required field.
python3 - "$K/deployment.yaml" "$TMP/bad-schema.yaml" <<'EOF'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
del d["spec"]["selector"]
yaml.safe_dump(d, open(sys.argv[2], "w"))
EOF
if validate "$TMP/bad-schema.yaml" >"$TMP/bad-schema.log" 2>&1; then fail "a Deployment with a string port and no selector passed the schema"
else expect_grep "schema: wrong type" 'containerPort must be integer' "$TMP/bad-schema.log"; expect_grep "schema: required" "selector" "$TMP/bad-schema.log"; fi
sed 's/^kind: SeccompProfile/kind: SeccompProfile\nextra: 1/; s/SCMP_ACT_ERRNO/SCMP_ACT_NOPE/' "$TMP/spo-v1.yaml" >"$TMP/bad-spo.yaml"
if validate "$TMP/bad-spo.yaml" >"$TMP/bad-spo.log" 2>&1; then fail "a broken SeccompProfile passed the schema"
else expect_grep "SeccompProfile schema" 'additional properties|allowed values' "$TMP/bad-spo.log"; fi

# 4. What compile --format spo refuses: a bad name, an argument a SeccompProfile cannot hold.
cat >"$TMP/big.toml" <<'TOML'
[seccomp]
default = "allow"
[[seccomp.rule]]
syscall = "ioctl"
action = "errno:EPERM"
when = ["arg2 == 0x8000000000000000"]
TOML
"$VIGIL" compile "$TMP/big.toml" --format spo >/dev/null 2>"$TMP/big.err"
expect_eq "value above 2^63-1: exit" 125 $?
expect_grep "value above 2^63-1: why" 'big.toml:[0-9]+:[0-9]+: rule for ioctl.*int64' "$TMP/big.err"
"$VIGIL" compile "$SRC/profiles/jvm.toml" --format spo --name Bad_Name >/dev/null 2>"$TMP/name.err"
expect_eq "bad --name: exit" 125 $?
expect_grep "bad --name: why" "'Bad_Name' cannot name a SeccompProfile" "$TMP/name.err"
"$VIGIL" compile "$SRC/profiles/jvm.toml" --format spo --spo-version v2 >/dev/null 2>"$TMP/ver.err"
expect_eq "bad --spo-version: exit" 125 $?
"$VIGIL" compile "$SRC/profiles/jvm.toml" --format oci --name x >/dev/null 2>"$TMP/oci-name.err"
expect_eq "--name without --format spo: exit" 125 $?
finish
