// Malformed profiles: every class of mistake is reported at the right FILE:LINE:COL with a
// useful message, and all problems of a file are reported at once.
#include <doctest/doctest.h>

#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "profile_files.hpp"
#include "vigil/error.hpp"
#include "vigil/profile.hpp"

using namespace vigil;

namespace {

struct BadCase {
    const char* name;
    std::map<std::string, std::string> files;  // name -> content; "a.toml" is loaded
    std::vector<std::string> expected;  // "FILE:LINE:COL: message substring", FILE relative
};

// Loads a.toml and returns the error text, or "" when it loaded.
std::string load_error(const test::ProfileDir& dir, const std::string& name = "a.toml") {
    try {
        load_profile(dir.path() + "/" + name);
    } catch (const Error& e) {
        CHECK(e.code == kExitVigilError);
        return e.what();
    }
    return "";
}

// "FILE:L:C: msg" expectation -> does TEXT hold a line starting with DIR/FILE:L:C: and
// containing msg?
// EXPECTED is "FILE:LINE:COL: text"; a COL of "?" accepts any column (toml11 3.x and 4.x point
// at different columns of a syntax error: 3.x at the value, 4.x at the key).
bool has_line(const std::string& text, const std::string& dir, const std::string& expected) {
    size_t sep = expected.find(": ");
    std::string prefix = dir + "/" + expected.substr(0, sep) + ": ";
    std::string message = expected.substr(sep + 2);
    bool any_column = prefix.ends_with(":?: ");
    if (any_column) prefix.resize(prefix.size() - 3);
    auto positioned = [&](const std::string& line) {
        if (!line.starts_with(prefix)) return false;
        if (!any_column) return true;
        size_t i = prefix.size();
        while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) ++i;
        return i > prefix.size() && line.compare(i, 2, ": ") == 0;
    };
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        std::string line = text.substr(start, end == std::string::npos ? end : end - start);
        if (positioned(line) && line.find(message) != std::string::npos) return true;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return false;
}

const std::vector<BadCase> kBadCases = {
    // --- the file itself ---
    {"empty file", {{"a.toml", ""}}, {"a.toml:1:1: empty profile"}},
    {"comments only", {{"a.toml", "# nothing here\n\n"}}, {"a.toml:1:1: empty profile"}},
    {"TOML syntax: unclosed table header", {{"a.toml", "[seccomp\nallow = []\n"}},
     {"a.toml:1:?: TOML syntax error"}},
    {"TOML syntax: duplicate key", {{"a.toml", "complain = true\ncomplain = false\n"}},
     {"a.toml:2:?: TOML syntax error", "a.toml:2:?: already exists"}},
    {"TOML syntax: bad value in array", {{"a.toml", "[seccomp]\nallow = [\"read\",\n x\n]\n"}},
     {"a.toml:3:2: TOML syntax error"}},
    // --- unknown keys, with suggestions ---
    {"unknown top-level key", {{"a.toml", "complian = true\n"}},
     {"a.toml:1:12: unknown key 'complian' at the top level; did you mean 'complain'?"}},
    {"unknown top-level table", {{"a.toml", "[proces]\nuser = \"x\"\n"}},
     {"a.toml:1:1: unknown key 'proces' at the top level; did you mean 'process'?"}},
    {"unknown key in [seccomp]", {{"a.toml", "[seccomp]\nalow = [\"read\"]\n"}},
     {"a.toml:2:8: unknown key 'alow' in [seccomp]; did you mean 'allow'?"}},
    {"unknown key in a rule",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"socket\"\naction = \"allow\"\n"
                 "when = [\"arg0 == AF_INET\"]\nwhn = 1\n"}},
     {"a.toml:5:7: unknown key 'whn' in [[seccomp.rule]]; did you mean 'when'?"}},
    {"unknown key in [process]", {{"a.toml", "[process]\ncapabilites = []\n"}},
     {"a.toml:2:15: unknown key 'capabilites' in [process]; did you mean 'capabilities'?"}},
    {"unknown key in [supervise]", {{"a.toml", "[supervise]\nstop_timeout = 5\n"}},
     {"a.toml:2:16: unknown key 'stop_timeout' in [supervise]; did you mean 'stop_timeout_ms'?"}},
    {"unknown key in [audit]", {{"a.toml", "[audit]\nformt = \"json\"\n"}},
     {"a.toml:2:9: unknown key 'formt' in [audit]; did you mean 'format'?"}},
    {"unknown phase", {{"a.toml", "[phases.redy]\nafter_ms = 5\n"}},
     {"a.toml:1:1: unknown key 'redy' in [phases]; did you mean 'ready'?"}},
    // --- wrong types ---
    {"section is not a table", {{"a.toml", "seccomp = 3\n"}},
     {"a.toml:1:11: seccomp: expected a table, found an integer"}},
    {"allow is a string", {{"a.toml", "[seccomp]\nallow = \"read\"\n"}},
     {"a.toml:2:9: seccomp.allow: expected an array of strings, found a string"}},
    {"allow element is a number", {{"a.toml", "[seccomp]\nallow = [\"read\", 3]\n"}},
     {"a.toml:2:18: seccomp.allow: expected a string, found an integer"}},
    {"complain is a string", {{"a.toml", "complain = \"yes\"\n"}},
     {"a.toml:1:12: complain: expected true or false, found a string"}},
    {"no_new_privs is a number", {{"a.toml", "[process]\nno_new_privs = 1\n"}},
     {"a.toml:2:16: process.no_new_privs: expected true or false, found an integer"}},
    {"include is a number", {{"a.toml", "include = 3\n"}},
     {"a.toml:1:11: include: expected an array of strings, found an integer"}},
    {"tcp_listen is a string", {{"a.toml", "[phases.ready]\ntcp_listen = \"8080\"\n"}},
     {"a.toml:2:14: phases.ready.tcp_listen: expected an integer, found a string"}},
    {"seccomp.rule is a table", {{"a.toml", "[seccomp.rule]\nsyscall = \"read\"\n"}},
     {"a.toml:1:1: seccomp.rule: expected an array of tables"}},
    // --- syscalls and groups ---
    {"unknown syscall", {{"a.toml", "[seccomp]\nallow = [\"read\", \"wirte\"]\n"}},
     {"a.toml:2:18: unknown syscall 'wirte' in seccomp.allow; did you mean 'write'?"}},
    {"syscall of another architecture", {{"a.toml", "[seccomp]\nallow = [\"socketcall\"]\n"}},
     {"a.toml:2:10: 'socketcall' in seccomp.allow is not an x86_64 syscall"}},
    {"unknown group", {{"a.toml", "[seccomp]\nallow = [\"@netwrk-io\"]\n"}},
     {"a.toml:2:10: unknown syscall group '@netwrk-io' in seccomp.allow; did you mean "
      "'@network-io'?"}},
    {"unknown syscall in notify", {{"a.toml", "[seccomp]\nnotify = [\"exceve\"]\n"}},
     {"a.toml:2:11: unknown syscall 'exceve' in seccomp.notify; did you mean 'execve'?"}},
    {"unknown syscall as deny key", {{"a.toml", "[seccomp.deny]\nptrac = \"kill-process\"\n"}},
     {"a.toml:2:9: unknown syscall 'ptrac' in seccomp.deny; did you mean 'ptrace'?"}},
    {"unknown group as deny key", {{"a.toml", "[seccomp.deny]\n\"@mout\" = \"errno:EPERM\"\n"}},
     {"a.toml:2:11: unknown syscall group '@mout' in seccomp.deny; did you mean '@mount'?"}},
    {"unknown syscall in a rule",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"sockt\"\naction = \"allow\"\n"
                 "when = [\"arg0 == 1\"]\n"}},
     {"a.toml:2:11: unknown syscall 'sockt' in seccomp.rule; did you mean 'socket'?"}},
    {"a rule names a group",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"@network-io\"\naction = \"allow\"\n"
                 "when = [\"arg0 == 1\"]\n"}},
     {"a.toml:2:11: seccomp.rule.syscall: a rule names one syscall, not a group"}},
    // --- actions ---
    {"unknown action", {{"a.toml", "[seccomp]\ndefault = \"deny\"\n"}},
     {"a.toml:2:11: seccomp.default: unknown action 'deny'"}},
    {"misspelt action", {{"a.toml", "[seccomp.deny]\nptrace = \"kill-proces\"\n"}},
     {"a.toml:2:10: seccomp.deny.ptrace: unknown action 'kill-proces'; did you mean "
      "'kill-process'?"}},
    {"unknown errno", {{"a.toml", "[seccomp]\ndefault = \"errno:EPRM\"\n"}},
     {"a.toml:2:11: seccomp.default: unknown errno 'EPRM' in action 'errno:EPRM'; did you mean "
      "'EPERM'?"}},
    {"default cannot be notify", {{"a.toml", "[seccomp]\ndefault = \"notify\"\n"}},
     {"a.toml:2:11: seccomp.default: cannot be 'notify'"}},
    {"deny with allow", {{"a.toml", "[seccomp.deny]\nptrace = \"allow\"\n"}},
     {"a.toml:2:10: seccomp.deny.ptrace: 'allow' is not a denial"}},
    {"deny with notify", {{"a.toml", "[seccomp.deny]\nexecve = \"notify\"\n"}},
     {"a.toml:2:10: seccomp.deny.execve: list 'execve' in seccomp.notify instead"}},
    {"rule with unknown action",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"socket\"\naction = \"alow\"\n"
                 "when = [\"arg0 == 1\"]\n"}},
     {"a.toml:3:10: seccomp.rule.action: unknown action 'alow'; did you mean 'allow'?"}},
    // --- contradictions inside one file ---
    {"allowed and denied",
     {{"a.toml", "[seccomp]\nallow = [\"ptrace\"]\n[seccomp.deny]\nptrace = \"errno:EPERM\"\n"}},
     {"a.toml:4:10: 'ptrace' is named in both seccomp.allow (", ":2:10) and seccomp.deny"}},
    {"allowed and notified", {{"a.toml", "[seccomp]\nallow = [\"execve\"]\nnotify = [\"execve\"]\n"}},
     {"a.toml:3:11: 'execve' is named in both seccomp.allow"}},
    {"allowed and ruled",
     {{"a.toml", "[seccomp]\nallow = [\"socket\"]\n[[seccomp.rule]]\nsyscall = \"socket\"\n"
                 "action = \"allow\"\nwhen = [\"arg0 == AF_UNIX\"]\n"}},
     {"a.toml:3:1: 'socket' is named in both seccomp.allow"}},
    {"one group allowed and denied",
     {{"a.toml", "[seccomp]\nallow = [\"@mount\"]\n[seccomp.deny]\n\"@mount\" = \"errno:EPERM\"\n"}},
     {"a.toml:4:12: '@mount' is named in both seccomp.allow (", ":2:10) and seccomp.deny"}},
    {"two deny groups disagree",
     {{"a.toml", "[seccomp.deny]\n\"@mount\" = \"errno:EPERM\"\n\"@privileged\" = \"kill-process\"\n"}},
     {"a.toml:3:17: 'chroot' is in @mount (errno:EPERM) and in @privileged (kill-process)"}},
    // --- rules and conditions ---
    {"rule without when", {{"a.toml", "[[seccomp.rule]]\nsyscall = \"socket\"\naction = \"allow\"\n"}},
     {"a.toml:1:1: [[seccomp.rule]] needs 'when'"}},
    {"rule without syscall and action", {{"a.toml", "[[seccomp.rule]]\nwhen = [\"arg0 == 1\"]\n"}},
     {"a.toml:1:1: [[seccomp.rule]] needs 'syscall'", "a.toml:1:1: [[seccomp.rule]] needs 'action'"}},
    {"rule with empty when",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"socket\"\naction = \"allow\"\nwhen = []\n"}},
     {"a.toml:4:8: seccomp.rule.when: empty"}},
    {"argument index out of range",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"socket\"\naction = \"allow\"\nwhen = [\"arg6 == 1\"]\n"}},
     {"a.toml:4:9: condition 'arg6 == 1': argument index 6 out of range (arg0..arg5)"}},
    {"condition without argN",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"socket\"\naction = \"allow\"\nwhen = [\"a0 == 1\"]\n"}},
     {"a.toml:4:9: condition 'a0 == 1': a condition starts with argN"}},
    {"assignment instead of comparison",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"socket\"\naction = \"allow\"\nwhen = [\"arg0 = 1\"]\n"}},
     {"a.toml:4:9: condition 'arg0 = 1': expected an operator"}},
    {"unknown operator",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"socket\"\naction = \"allow\"\nwhen = [\"arg0 <== 1\"]\n"}},
     {"a.toml:4:9: condition 'arg0 <== 1': unknown operator"}},
    {"unknown constant",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"socket\"\naction = \"allow\"\n"
                 "when = [\"arg0 == AF_INETT\"]\n"}},
     {"a.toml:4:9: condition 'arg0 == AF_INETT': unknown constant 'AF_INETT'; did you mean "
      "'AF_INET'?"}},
    {"unknown constant in a mask",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"clone\"\naction = \"allow\"\n"
                 "when = [\"arg0 & CLONE_NEWUSER|CLONE_NEWNT == 0\"]\n"}},
     {"a.toml:4:9: unknown constant 'CLONE_NEWNT'; did you mean 'CLONE_NEWNET'?"}},
    {"masked condition with !=",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"clone\"\naction = \"allow\"\n"
                 "when = [\"arg0 & CLONE_NEWUSER != 0\"]\n"}},
     {"a.toml:4:9: a masked condition reads 'argN & MASK == VALUE'"}},
    {"masked value outside the mask",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"clone\"\naction = \"allow\"\n"
                 "when = [\"arg0 & 0xff == 0x100\"]\n"}},
     {"a.toml:4:9: value has bits outside the mask"}},
    {"zero mask",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"clone\"\naction = \"allow\"\nwhen = [\"arg0 & 0 == 0\"]\n"}},
     {"a.toml:4:9: mask is 0"}},
    {"number too big",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"read\"\naction = \"allow\"\n"
                 "when = [\"arg2 <= 0x1ffffffffffffffff\"]\n"}},
     {"a.toml:4:9: '0x1ffffffffffffffff' is not a number that fits in 64 bits"}},
    {"bad octal digit",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"read\"\naction = \"allow\"\nwhen = [\"arg2 == 08\"]\n"}},
     {"a.toml:4:9: '08' is not a number"}},
    {"same argument twice in one rule",
     {{"a.toml", "[[seccomp.rule]]\nsyscall = \"ioctl\"\naction = \"allow\"\n"
                 "when = [\"arg1 != TIOCSTI\", \"arg1 != TIOCLINUX\"]\n"}},
     {"a.toml:4:28: condition 'arg1 != TIOCLINUX': arg1 is already tested in this rule"}},
    // --- notify ---
    {"notify table for a syscall not notified", {{"a.toml", "[notify.execve]\nstartup = \"allow\"\n"}},
     {"a.toml:1:1: [notify.execve]: 'execve' is not notified"}},
    {"notify table for an unknown syscall",
     {{"a.toml", "[seccomp]\nnotify = [\"execve\"]\n[notify.exceve]\nstartup = \"allow\"\n"}},
     {"a.toml:3:1: unknown syscall 'exceve' in [notify]; did you mean 'execve'?"}},
    {"notify table for a group", {{"a.toml", "[notify.\"@process\"]\nstartup = \"allow\"\n"}},
     {"a.toml:1:1: [notify.@process]: notify tables name one syscall, not a group"}},
    {"unknown key in a notify table",
     {{"a.toml", "[seccomp]\nnotify = [\"execve\"]\n[notify.execve]\nstartp = \"allow\"\n"}},
     {"a.toml:4:10: unknown key 'startp' in [notify.execve]; did you mean 'startup'?"}},
    {"notify phase action is notify",
     {{"a.toml", "[seccomp]\nnotify = [\"execve\"]\n[notify.execve]\nready = \"notify\"\n"}},
     {"a.toml:4:9: notify.execve.ready: cannot be 'notify'"}},
    {"notify otherwise unknown action",
     {{"a.toml", "[seccomp]\nnotify = [\"connect\"]\n[notify.connect]\notherwise = \"errno:ECONNREFUSE\"\n"}},
     {"a.toml:4:13: notify.connect.otherwise: unknown errno 'ECONNREFUSE'", "did you mean 'ECONNREFUSED'?"}},
    {"racy_allow is removed, with what to use instead",
     {{"a.toml", "[seccomp]\nnotify = [\"execve\"]\n[notify.execve]\nracy_allow = true\n"}},
     {"a.toml:4:14: notify.execve.racy_allow: removed", "[landlock]"}},
    {"io_uring allowed next to notify rules",
     {{"a.toml", "[seccomp]\ndefault = \"errno:EPERM\"\nallow = [\"@aio\"]\nnotify = [\"connect\"]\n[notify.connect]\nallow = [\"127.0.0.1:80\"]\n"}},
     {"a.toml:3:10: io_uring_setup is allowed next to notify rules (notify.connect at ", ":5:1): io_uring performs"}},
    {"bad IPv4 address in connect allow",
     {{"a.toml", "[seccomp]\nnotify = [\"connect\"]\n[notify.connect]\nallow = [\"300.0.0.0/8:80\"]\n"}},
     {"a.toml:4:10: notify.connect.allow: bad IPv4 address '300.0.0.0'"}},
    {"bad prefix length",
     {{"a.toml", "[seccomp]\nnotify = [\"connect\"]\n[notify.connect]\nallow = [\"10.0.0.0/33:80\"]\n"}},
     {"a.toml:4:10: notify.connect.allow: bad prefix length in '10.0.0.0/33' (0..32)"}},
    {"host bits set",
     {{"a.toml", "[seccomp]\nnotify = [\"connect\"]\n[notify.connect]\nallow = [\"10.0.0.1/8:80\"]\n"}},
     {"a.toml:4:10: notify.connect.allow: '10.0.0.1/8' has host bits set beyond /8"}},
    {"port out of range",
     {{"a.toml", "[seccomp]\nnotify = [\"connect\"]\n[notify.connect]\n"
                 "allow = [\"127.0.0.1:80\", \"127.0.0.1:70000\"]\n"}},
     {"a.toml:4:26: notify.connect.allow: bad port '70000'"}},
    {"reversed port range",
     {{"a.toml", "[seccomp]\nnotify = [\"connect\"]\n[notify.connect]\nallow = [\"127.0.0.1:90-80\"]\n"}},
     {"a.toml:4:10: notify.connect.allow: bad port range '90-80'"}},
    {"address without port",
     {{"a.toml", "[seccomp]\nnotify = [\"connect\"]\n[notify.connect]\nallow = [\"127.0.0.1\"]\n"}},
     {"a.toml:4:10: notify.connect.allow: expected 'CIDR:PORT'"}},
    {"bad IPv6 address",
     {{"a.toml", "[seccomp]\nnotify = [\"connect\"]\n[notify.connect]\nallow = [\"[::g]:80\"]\n"}},
     {"a.toml:4:10: notify.connect.allow: bad IPv6 address '::g'"}},
    {"relative unix path",
     {{"a.toml", "[seccomp]\nnotify = [\"connect\"]\n[notify.connect]\nallow = [\"unix:run/x\"]\n"}},
     {"a.toml:4:10: notify.connect.allow: a unix entry is 'unix:/absolute/path'"}},
    {"relative exec glob",
     {{"a.toml", "[seccomp]\nnotify = [\"execve\"]\n[notify.execve]\nallow = [\"bin/*\"]\n"}},
     {"a.toml:4:10: notify.execve.allow: a path glob must be absolute"}},
    {"allow list for a syscall without one",
     {{"a.toml", "[seccomp]\nnotify = [\"kill\"]\n[notify.kill]\nallow = [\"/x\"]\n"}},
     {"a.toml:4:9: notify.kill.allow: allow lists are understood for connect"}},
    // --- phases ---
    {"tcp_listen out of range", {{"a.toml", "[phases.ready]\ntcp_listen = 0\n"}},
     {"a.toml:2:14: phases.ready.tcp_listen: 0 is out of range (1..65535)"}},
    {"http_get not on loopback", {{"a.toml", "[phases.ready]\nhttp_get = \"http://example.com/\"\n"}},
     {"a.toml:2:12: phases.ready.http_get: 'http://example.com/' is not an http:// URL on loopback"}},
    {"http_get with a look-alike host",
     {{"a.toml", "[phases.ready]\nhttp_get = \"http://127.0.0.1.evil.example/\"\n"}},
     {"a.toml:2:12: phases.ready.http_get:"}},
    {"bad output regex", {{"a.toml", "[phases.ready]\noutput_match = \"Server (startup\"\n"}},
     {"a.toml:2:16: phases.ready.output_match: bad regular expression 'Server (startup'"}},
    {"ready without a condition", {{"a.toml", "[phases.ready]\ntimeout_ms = 5\n"}},
     {"a.toml:1:1: phases.ready: needs at least one of"}},
    {"negative delay", {{"a.toml", "[phases.ready]\nafter_ms = -1\n"}},
     {"a.toml:2:12: phases.ready.after_ms: -1 is out of range"}},
    // --- process, supervise, audit ---
    {"unknown capability", {{"a.toml", "[process]\ncapabilities = [\"NET_BIND_SERVCE\"]\n"}},
     {"a.toml:2:17: unknown capability 'NET_BIND_SERVCE' in process.capabilities; did you mean "
      "'NET_BIND_SERVICE'?"}},
    {"bad user name", {{"a.toml", "[process]\nuser = \"fhir user\"\n"}},
     {"a.toml:2:8: process.user: 'fhir user' is not a valid user or group name"}},
    {"negative uid", {{"a.toml", "[process]\nuser = -1\n"}},
     {"a.toml:2:8: process.user: -1 is out of range"}},
    {"no_new_privs off with a filter and no CAP_SYS_ADMIN",
     {{"a.toml", "[process]\nno_new_privs = false\n[seccomp]\nallow = [\"read\"]\n"}},
     {"a.toml:2:16: process.no_new_privs = false: the seccomp filter could then only be installed "
      "with CAP_SYS_ADMIN"}},
    {"group is a float", {{"a.toml", "[process]\ngroup = 1.5\n"}},
     {"a.toml:2:9: process.group: expected a name or a number, found a float"}},
    {"exit code out of range", {{"a.toml", "[supervise]\nremap_exit = [143, 300]\n"}},
     {"a.toml:2:20: supervise.remap_exit: 300 is out of range (0..255)"}},
    {"negative stop timeout", {{"a.toml", "[supervise]\nstop_timeout_ms = -5\n"}},
     {"a.toml:2:19: supervise.stop_timeout_ms: -5 is out of range"}},
    {"unknown audit format", {{"a.toml", "[audit]\nformat = \"xml\"\n"}},
     {"a.toml:2:10: audit.format: unknown format 'xml' (json or fhir)"}},
    {"empty audit sink", {{"a.toml", "[audit]\nsink = \"\"\n"}}, {"a.toml:2:8: audit.sink: empty"}},
    // --- includes ---
    {"missing include", {{"a.toml", "include = [\"nope.toml\"]\n"}},
     {"a.toml:1:12: cannot read included profile 'nope.toml'", "No such file or directory"}},
    {"include of itself", {{"a.toml", "include = \"a.toml\"\n"}},
     {"a.toml:1:11: include cycle: "}},
    {"include cycle through another file",
     {{"a.toml", "include = [\"b.toml\"]\n"}, {"b.toml", "complain = true\ninclude = [\"a.toml\"]\n"}},
     {"b.toml:2:12: include cycle: ", "a.toml -> "}},
    {"empty include name", {{"a.toml", "include = [\"\"]\n"}}, {"a.toml:1:12: include: empty file name"}},
    {"error inside an included file",
     {{"a.toml", "include = [\"sub/b.toml\"]\n"}, {"sub/b.toml", "[seccomp]\nallow = [\"opn\"]\n"}},
     {"sub/b.toml:2:10: unknown syscall 'opn' in seccomp.allow; did you mean 'open'?"}},
    {"include resolved relative to the including file",
     {{"a.toml", "include = [\"sub/b.toml\"]\n"}, {"sub/b.toml", "include = [\"c.toml\"]\n"},
      {"sub/c.toml", "[seccomp]\nallow = [\"wirte\"]\n"}},
     {"sub/c.toml:2:10: unknown syscall 'wirte'"}},
    // --- several problems at once ---
    {"all problems are reported",
     {{"a.toml", "complian = true\n[seccomp]\nallow = [\"opn\"]\ndefault = \"errno:EPRM\"\n"
                 "[audit]\nformat = \"xml\"\n"}},
     {"a.toml:1:12: unknown key 'complian'", "a.toml:3:10: unknown syscall 'opn'",
      "a.toml:4:11: unknown errno 'EPRM'", "a.toml:6:10: unknown format 'xml'"}},
};

}  // namespace

TEST_CASE("malformed profiles are reported at FILE:LINE:COL") {
    for (const auto& c : kBadCases) {
        CAPTURE(c.name);
        test::ProfileDir dir;
        for (const auto& [name, text] : c.files) dir.write(name, text);
        std::string text = load_error(dir);
        REQUIRE_MESSAGE(!text.empty(), c.name << ": loaded without error");
        for (const auto& e : c.expected) {
            // Entries without "FILE:L:C: " only check the message text (e.g. the second half).
            bool positioned = e.find(".toml:") != std::string::npos;
            bool found = positioned ? has_line(text, dir.path(), e)
                                    : text.find(e) != std::string::npos;
            CHECK_MESSAGE(found, c.name << "\n  expected: " << e << "\n  got:\n" << text);
        }
    }
}

TEST_CASE("every line of the error text is FILE:LINE:COL: message") {
    test::ProfileDir dir;
    dir.write("a.toml", "complian = true\n[seccomp]\nallow = [\"opn\", \"@x\"]\n");
    std::string text = load_error(dir);
    size_t lines = 0;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        std::string line = text.substr(start, end - start);
        CHECK_MESSAGE(line.starts_with(dir.path() + "/a.toml:"), line);
        ++lines;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    CHECK(lines == 3);
}

TEST_CASE("a profile that cannot be read names the file and the reason") {
    test::ProfileDir dir;
    std::string missing = dir.path() + "/missing.toml";
    try {
        load_profile(missing);
        FAIL("loaded a missing file");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == missing + ": cannot read profile: No such file or directory");
        CHECK(e.code == kExitVigilError);
    }
    try {
        load_profile(dir.path());
        FAIL("loaded a directory");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == dir.path() + ": cannot read profile: is a directory");
    }
}
