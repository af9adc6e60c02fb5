#!/bin/bash
# `vigil up` on bad input: every problem of the services file (and of the services' profiles)
# is reported before anything starts, as FILE:LINE:COL lines, with exit status 125: a
# dependency cycle (named), an unknown or duplicate dependency, a service depending on itself,
# a service without command or name, duplicate names, unknown keys (with a suggestion), bad
# values, a missing or invalid profile. A command that is not found stops the services already
# running and exits 127. A profile asking for supervision vigil up does not carry out (a
# health check, a ready file, signal rewriting, a parent-death signal) is refused, not ignored.
# labels: integration;services
# timeout: 60
source "$(dirname "$0")/lib/common.bash"

# up_fails NAME REGEX...: `vigil up $TMP/NAME.toml` exits 125 and prints every REGEX.
up_fails() {
    local name=$1 rc
    shift
    "$VIGIL" up "$TMP/$name.toml" >"$TMP/$name.out" 2>&1
    rc=$?
    expect_eq "$name: exit status" 125 "$rc"
    for re in "$@"; do expect_grep "$name" "$re" "$TMP/$name.out"; done
}

cat >"$TMP/cycle.toml" <<'TOML'
[[service]]
name = "a"
command = ["true"]
depends_on = ["c"]

[[service]]
name = "b"
command = ["true"]
depends_on = ["a"]

[[service]]
name = "c"
command = ["true"]
depends_on = ["b"]
TOML
up_fails cycle "cycle\.toml:[0-9]+:[0-9]+: dependency cycle: (a -> c -> b -> a|c -> b -> a -> c|b -> a -> c -> b)"

cat >"$TMP/unknown_dep.toml" <<'TOML'
[[service]]
name = "database"
command = ["true"]

[[service]]
name = "web"
command = ["true"]
depends_on = ["databse"]
TOML
up_fails unknown_dep "unknown_dep\.toml:8:15: depends_on: no service is named 'databse'; did you mean 'database'\?"

cat >"$TMP/self.toml" <<'TOML'
[[service]]
name = "a"
command = ["true"]
depends_on = ["a", "a"]
TOML
up_fails self "self\.toml:4:15: service 'a' depends on itself"

cat >"$TMP/health.toml" <<'TOML'
[supervise.health]
tcp = 8080
TOML
cat >"$TMP/with_health.toml" <<'TOML'
[[service]]
name = "web"
command = ["true"]
profile = "health.toml"
TOML
up_fails with_health "with_health\.toml:4:[0-9]+: service 'web': its profile .*health\.toml sets \[supervise\] health, which vigil up does not apply"

cat >"$TMP/nocommand.toml" <<'TOML'
[[service]]
name = "a"

[[service]]
name = "b"
command = []

[[service]]
command = ["true"]
TOML
up_fails nocommand "nocommand\.toml:1:1: service 'a': no command" "nocommand\.toml:6:11: service 'b'\.command: empty" \
    "nocommand\.toml:8:1: service\[3\]: no name"

cat >"$TMP/dup.toml" <<'TOML'
[[service]]
name = "a"
command = ["true"]

[[service]]
name = "a"
command = ["false"]
TOML
up_fails dup "dup\.toml:6:8: service name 'a' is used twice \(first at .*dup\.toml:2:8\)"

cat >"$TMP/keys.toml" <<'TOML'
version = 2

[[service]]
name = "a"
command = ["true"]
dependson = ["b"]
restart = "sometimes"
stop_timeout = "soon"
restart_max = -1
TOML
up_fails keys "keys\.toml:1:11?: unknown key 'version' at the top level" \
    "keys\.toml:6:1[0-9]?: unknown key 'dependson' in \[\[service\]\]; did you mean 'depends_on'\?" \
    "keys\.toml:7:[0-9]+: service 'a'\.restart: 'sometimes' is not a restart policy" \
    "keys\.toml:8:[0-9]+: service 'a'\.stop_timeout: 'soon' is not a duration" \
    "keys\.toml:9:[0-9]+: service 'a'\.restart_max"

cat >"$TMP/badname.toml" <<'TOML'
[[service]]
name = "a | b"
command = ["true"]
TOML
up_fails badname "badname\.toml:2:8: service\[1\]\.name: 'a \| b' is not a service name"

cat >"$TMP/noservice.toml" <<'TOML'
[service]
name = "a"
TOML
up_fails noservice "noservice\.toml:[0-9]+:[0-9]+: service\[1\]: expected a table|noservice\.toml:[0-9]+:[0-9]+: service: expected \[\[service\]\] tables"

printf '' >"$TMP/empty.toml"
up_fails empty "empty\.toml:1:1: no services"

printf '[[service]\nname = \n' >"$TMP/syntax.toml"
up_fails syntax "syntax\.toml:[0-9]+:[0-9]+: TOML syntax error"

# Profiles: relative to the file's directory, checked before anything starts.
mkdir -p "$TMP/sub"
cat >"$TMP/sub/bad.toml" <<'TOML'
[seccomp]
default = "allow"
allow = ["no_such_syscall"]
TOML
cat >"$TMP/profiles.toml" <<'TOML'
[[service]]
name = "a"
command = ["true"]
profile = "sub/bad.toml"

[[service]]
name = "b"
command = ["true"]
profile = "sub/missing.toml"
TOML
up_fails profiles "profiles\.toml:4:11: service 'a': its profile .*sub/bad\.toml is invalid" \
    "sub/bad\.toml:[0-9]+:[0-9]+: .*no_such_syscall" \
    "profiles\.toml:9:11: service 'b'\.profile: .*sub/missing\.toml is not a readable file"

# Usage errors.
"$VIGIL" up >"$TMP/usage.out" 2>&1
expect_eq "no file: exit status" 125 "$?"
"$VIGIL" up "$TMP/absent.toml" >"$TMP/absent.out" 2>&1
expect_eq "absent file: exit status" 125 "$?"
expect_grep "absent file" "absent\.toml" "$TMP/absent.out"
"$VIGIL" up --help >"$TMP/help.out" 2>&1
expect_eq "--help: exit status" 0 "$?"
expect_grep "--help" "depends_on" "$TMP/help.out"

# A command that cannot be found: the service already running is stopped, vigil exits 127.
cat >"$TMP/notfound.toml" <<TOML
[[service]]
name = "first"
command = ["$HELPERS/services_probe", "print:first-up", "hang"]

[[service]]
name = "second"
command = ["no-such-command-anywhere"]
depends_on = ["first"]
TOML
timeout 20 unshare --pid --fork --mount-proc --kill-child "$VIGIL" up "$TMP/notfound.toml" >"$TMP/notfound.out" 2>&1
expect_eq "command not found: exit status" 127 "$?"
expect_grep "command not found" "service second: cannot start: no-such-command-anywhere: command not found" "$TMP/notfound.out"
expect_grep "command not found" "stopping service first" "$TMP/notfound.out"

finish
