#!/bin/bash
# Users' habits and current syscall tables, from the command line:
#   - `vigil --version` is one parseable line;
#   - `vigil run --dry-run` prints what would be applied and starts nothing;
#   - syscalls newer than the libseccomp vigil is built with (mseal, statmount, listmount, the
#     *xattrat family, file_setattr, uretprobe) are allowed or denied by rule in a real process,
#     numbers above the table get ENOSYS, and `explain` (text and --json) names them;
#   - JSON log and audit lines carry their schema version;
#   - import-oci --caps.
# labels: integration
# timeout: 120
source "$(dirname "$0")/lib/common.bash"
P=$HELPERS/sys_probe

# --version: "vigil VERSION KEY=VALUE..." on one line.
"$VIGIL" --version >"$TMP/version"
expect_eq "--version is one line" 1 "$(wc -l <"$TMP/version")"
expect_grep "--version format" '^vigil [0-9]+\.[0-9]+\.[0-9]+[^ ]* libseccomp=[0-9]+\.[0-9]+\.[0-9]+ seccomp-api=[0-9]+ syscalls=x86_64:469 log-schema=1 audit-schema=1$' "$TMP/version"

# Newer syscalls in a real process (this kernel, 6.18, has them all).
cat >"$TMP/new.toml" <<'TOML'
[seccomp]
default = "allow"
[seccomp.deny]
mseal = "errno:EACCES"
listmount = "errno:ENOTTY"
getxattrat = "errno:EXDEV"
file_setattr = "errno:EROFS"
TOML
"$VIGIL" check "$TMP/new.toml" >/dev/null 2>"$TMP/check.err" && pass || { fail "check of newer syscalls:"; cat "$TMP/check.err" >&2; }
probe() { "$VIGIL" run -p "$TMP/new.toml" -- "$P" call "$@" 2>/dev/null; }
expect_eq "mseal (462) denied by rule" "ret=-1 errno=13" "$(probe 462)"
expect_eq "listmount (458) denied by rule" "ret=-1 errno=25" "$(probe 458)"
expect_eq "getxattrat (464) denied by rule" "ret=-1 errno=18" "$(probe 464)"
expect_eq "file_setattr (469) denied by rule" "ret=-1 errno=30" "$(probe 469)"
# Not named: the default (allow) lets statmount reach the kernel, which faults on NULL.
expect_eq "statmount (457) reaches the kernel" "ret=-1 errno=14" "$(probe 457)"
expect_eq "470, above the table: ENOSYS" "ret=-1 errno=38" "$(probe 470)"
cat >"$TMP/allow.toml" <<'TOML'
[seccomp]
default = "errno:EPERM"
allow = ["@default", "@basic-io", "@file-system", "@io-event", "@signal", "mseal"]
TOML
out=$("$VIGIL" run -p "$TMP/allow.toml" -- "$P" call 462 0 0 0 2>/dev/null)
expect_eq "mseal allowed by name under a default deny (mseal(0,0,0) = 0)" "ret=0 errno=0" "$out"

# explain: a real syscall is never "not a system call".
for s in mseal statmount listmount setxattrat getxattrat listxattrat removexattrat uretprobe uprobe \
         lsm_get_self_attr open_tree_attr file_getattr file_setattr; do
    out=$("$VIGIL" explain "$TMP/new.toml" "$s" 2>&1)
    case "$out" in *"not an x86_64 system call"*|*"unknown syscall"*) fail "explain $s: $out" ;; *) pass ;; esac
done
"$VIGIL" explain "$TMP/new.toml" mseal >"$TMP/explain.txt"
expect_grep "explain mseal: number" '^mseal \(462\)$' "$TMP/explain.txt"
expect_grep "explain mseal: action" '^action: errno:EACCES$' "$TMP/explain.txt"
expect_grep "explain mseal: rule" '^rule: .*new.toml:[0-9]+:[0-9]+: mseal = errno:EACCES$' "$TMP/explain.txt"
"$VIGIL" explain "$TMP/new.toml" 462 --json >"$TMP/explain.json"
python3 - "$TMP/explain.json" <<'EOF' && pass || fail "explain --json mseal: $(cat "$TMP/explain.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["syscall"] == "mseal" and j["nr"] == 462 and j["action"] == "errno:EACCES", j
assert j["rule"]["syscall"] == "mseal" and j["rule"]["when"] == [], j
EOF
"$VIGIL" explain "$TMP/new.toml" 400 --json >"$TMP/hole.json"
python3 - "$TMP/hole.json" <<'EOF' && pass || fail "explain --json 400: $(cat "$TMP/hole.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["syscall"] is None and j["nr"] == 400 and "hole" in j["reason"], j
EOF
"$VIGIL" explain "$TMP/new.toml" 470 --json >"$TMP/above.json"
expect_grep "explain 470: ENOSYS" '"reason":"newer than vigil.s syscall tables \(highest known: 469\): ENOSYS"' "$TMP/above.json"
"$VIGIL" explain "$TMP/new.toml" socket AF_INET --json >"$TMP/args.json"
expect_grep "explain --json args" '"args":\["0x2"\]' "$TMP/args.json"

# --dry-run: what would be applied, exit 0, nothing started.
cat >"$TMP/dry.toml" <<'TOML'
[process]
user = "65534"
group = "65534"
capabilities = ["NET_BIND_SERVICE"]
[seccomp]
default = "allow"
notify = ["connect"]
[seccomp.deny]
ptrace = "kill-process"
io_uring_setup = "errno:ENOSYS"
io_uring_enter = "errno:ENOSYS"
io_uring_register = "errno:ENOSYS"
[notify.connect]
allow = ["127.0.0.1/32:*"]
otherwise = "errno:ECONNREFUSED"
fallback = "errno:EPERM"
[landlock]
read = ["/usr", "/etc"]
write = ["/tmp"]
TOML
"$VIGIL" run --dry-run -p "$TMP/dry.toml" -- touch "$TMP/started" >"$TMP/dry.out" 2>"$TMP/dry.err"
expect_eq "dry run: exit 0" 0 $?
[ -e "$TMP/started" ] && fail "dry run started the command" || pass
expect_grep "dry run: command" "^command: touch $TMP/started\$" "$TMP/dry.out"
expect_grep "dry run: user" '^user: uid 65534 gid 65534' "$TMP/dry.out"
expect_grep "dry run: capabilities" '^capabilities kept: NET_BIND_SERVICE$' "$TMP/dry.out"
expect_grep "dry run: filter size" '^seccomp filter: [0-9]+ instructions, default allow, [0-9]+ rules$' "$TMP/dry.out"
expect_grep "dry run: fallback program" '^seccomp fallback \(no listener\): [0-9]+ instructions$' "$TMP/dry.out"
expect_grep "dry run: notified syscalls" '^notified syscalls: connect \(fallback errno:EPERM\) ' "$TMP/dry.out"
expect_grep "dry run: landlock rights" '^landlock rights: landlock abi=[0-9]+ ' "$TMP/dry.out"
expect_grep "dry run: audit" '^audit: stderr \(json\)$' "$TMP/dry.out"
"$VIGIL" run --dry-run -- true >"$TMP/dry0.out"
expect_grep "dry run without a profile" '^profile: none \(init duties only\)$' "$TMP/dry0.out"
"$VIGIL" run --dry-run -p "$TMP/missing.toml" -- true >/dev/null 2>&1
expect_eq "dry run of a missing profile: 125" 125 $?

# Schema versions: a JSON log line, an audit line.
VIGIL_LOG_FORMAT=json "$VIGIL" run -p "$TMP/missing.toml" -- true 2>"$TMP/log.json"
expect_grep "JSON log line has schema 1" '^\{"schema":1,"time":"[0-9T:.-]+Z","level":"error","source":"vigil","pid":[0-9]+,"msg":' "$TMP/log.json"
cat >"$TMP/audit.toml" <<'TOML'
[seccomp]
default = "allow"
notify = ["getppid"]
[notify.getppid]
startup = "errno:EACCES"
fallback = "allow"
TOML
"$VIGIL" run -p "$TMP/audit.toml" --audit "$TMP/audit.jsonl" -- "$P" call 110 >/dev/null 2>&1
python3 - "$TMP/audit.jsonl" <<'EOF' && pass || fail "audit schema: $(head -3 "$TMP/audit.jsonl")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert lines and all(l["schema"] == 1 for l in lines), lines
assert any(l["event"] == "decision" and l["syscall"] == "getppid" for l in lines), lines
assert lines[-1]["event"] == "summary", lines[-1]
EOF

# import-oci --caps
cat >"$TMP/caps.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
  {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_NET_RAW"]}},
  {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_PTRACE"]}}]}
EOF
"$VIGIL" import-oci "$TMP/caps.json" >"$TMP/docker.toml"
expect_grep "default --caps docker keeps NET_RAW's entry" '"socket"' "$TMP/docker.toml"
"$VIGIL" import-oci "$TMP/caps.json" --caps podman >"$TMP/podman.toml"
expect_grep "--caps podman drops it" 'Dropped \(needs \["CAP_NET_RAW"\] beyond podman.s default capabilities\): socket' "$TMP/podman.toml"
"$VIGIL" import-oci "$TMP/caps.json" --caps docker,SYS_PTRACE >"$TMP/ptrace.toml"
expect_grep "--caps docker,SYS_PTRACE keeps ptrace" '"ptrace"' "$TMP/ptrace.toml"
"$VIGIL" check "$TMP/podman.toml" >/dev/null && pass || fail "imported profile does not pass check"
"$VIGIL" import-oci "$TMP/caps.json" --caps SYS_PTRAC >/dev/null 2>"$TMP/caps.err"
expect_eq "--caps with a typo: 125" 125 $?
expect_grep "--caps typo suggestion" "did you mean 'SYS_PTRACE'" "$TMP/caps.err"
finish
