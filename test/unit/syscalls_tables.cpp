// The syscall vocabulary: names <-> numbers, groups, errno names, constants, suggestions.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <algorithm>
#include <set>

#include "vigil/error.hpp"
#include "vigil/syscalls.hpp"

using namespace vigil;

TEST_CASE("syscall names and numbers follow the x86_64 kernel table") {
    CHECK(syscall_number("read") == SYS_read);
    CHECK(syscall_number("openat") == SYS_openat);
    CHECK(syscall_number("clone3") == SYS_clone3);
    CHECK(syscall_name(SYS_execve) == "execve");
    CHECK(syscall_name(SYS_futex) == "futex");
    // Exists only on other architectures: not an x86_64 syscall.
    CHECK_FALSE(syscall_number("socketcall"));
    CHECK_FALSE(syscall_number("no_such_call"));
    CHECK_FALSE(syscall_number(""));
    CHECK_FALSE(syscall_name(-1));
    CHECK_FALSE(syscall_name(100000));
}

TEST_CASE("all_syscall_names is the whole native table, in number order, round-tripping") {
    const auto& names = all_syscall_names();
    CHECK(names.size() > 350);
    int last = -1;
    for (const auto& n : names) {
        auto nr = syscall_number(n);
        REQUIRE_MESSAGE(nr, n);
        CHECK(*nr > last);
        last = *nr;
        CHECK(syscall_name(*nr) == n);
    }
    CHECK(names.front() == "read");
    CHECK(std::find(names.begin(), names.end(), "io_uring_setup") != names.end());
}

TEST_CASE("every group member is an x86_64 syscall or a known group, and groups expand") {
    std::set<std::string> group_names;
    for (const auto& g : all_groups()) {
        CHECK_MESSAGE(g.name.starts_with('@'), g.name);
        CHECK_MESSAGE(!g.purpose.empty(), g.name);
        CHECK_MESSAGE(group_names.insert(g.name).second, "duplicate group " << g.name);
        for (const auto& m : g.members) {
            if (m.starts_with('@'))
                CHECK_MESSAGE(find_group(m) != nullptr, g.name << " -> " << m);
            else
                CHECK_MESSAGE(syscall_number(m).has_value(), g.name << " -> " << m);
        }
        CHECK_NOTHROW(expand_group(g.name));
    }
    for (const char* expected : {"@system-service", "@file-system", "@network-io", "@process",
                                 "@mount", "@privileged", "@clock", "@module", "@reboot", "@swap",
                                 "@raw-io", "@obsolete", "@debug", "@cpu-emulation", "@keyring",
                                 "@resources", "@signal", "@timer", "@ipc", "@io-event",
                                 "@basic-io", "@aio", "@sync", "@memlock", "@setuid", "@chown",
                                 "@default", "@jvm", "@jvm-hot"})
        CHECK_MESSAGE(find_group(expected) != nullptr, expected);
}

TEST_CASE("every x86_64 syscall belongs to some group, so learn and reports can classify it") {
    std::set<std::string> covered;
    for (const auto& g : all_groups())
        for (const auto& s : expand_group(g.name)) covered.insert(s);
    for (const auto& s : all_syscall_names()) CHECK_MESSAGE(covered.count(s), s);
}

TEST_CASE("nested groups resolve: @privileged holds @chown's members and its own") {
    auto privileged = expand_group("@privileged");
    auto has = [&](const char* s) {
        return std::find(privileged.begin(), privileged.end(), s) != privileged.end();
    };
    CHECK(has("chown"));   // via @chown
    CHECK(has("reboot"));  // via @reboot
    CHECK(has("setuid"));  // via @setuid
    CHECK(has("acct"));    // direct
    CHECK(std::is_sorted(privileged.begin(), privileged.end()));
    CHECK(std::adjacent_find(privileged.begin(), privileged.end()) == privileged.end());
    auto service = expand_group("@system-service");
    CHECK(std::find(service.begin(), service.end(), "read") != service.end());
    CHECK(std::find(service.begin(), service.end(), "mount") == service.end());
    CHECK(std::find(service.begin(), service.end(), "ptrace") == service.end());
}

TEST_CASE("@jvm-hot is a subset of @jvm: learn mode never allows more than a JVM needs") {
    auto jvm = expand_group("@jvm");
    for (const auto& s : expand_group("@jvm-hot"))
        CHECK_MESSAGE(std::binary_search(jvm.begin(), jvm.end(), s), s);
}

TEST_CASE("unknown group names throw with a suggestion") {
    CHECK(find_group("@mout") == nullptr);
    try {
        expand_group("@mout");
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("did you mean '@mount'") != std::string::npos);
    }
}

TEST_CASE("errno names") {
    CHECK(errno_number("EPERM") == 1);
    CHECK(errno_number("ENOSYS") == ENOSYS);
    CHECK(errno_number("ECONNREFUSED") == ECONNREFUSED);
    CHECK(errno_number("EWOULDBLOCK") == EAGAIN);
    CHECK_FALSE(errno_number("EPRM"));
    CHECK(errno_name(EAGAIN) == "EAGAIN");  // the primary name, not the alias
    CHECK(errno_name(ENOSYS) == "ENOSYS");
    CHECK_FALSE(errno_name(99999));
    CHECK(all_errno_names().size() > 120);
}

TEST_CASE("constants come from the system headers") {
    CHECK(constant("AF_INET") == AF_INET);
    CHECK(constant("AF_VSOCK") == 40u);
    CHECK(constant("CLONE_NEWUSER") == 0x10000000u);
    CHECK(constant("CLONE_NEWTIME") == 0x80u);
    CHECK(constant("TIOCSTI") == 0x5412u);
    CHECK(constant("O_WRONLY") == 1u);
    CHECK(constant("PR_SET_NAME") == 15u);
    CHECK(constant("PROT_EXEC") == 4u);
    CHECK(constant("MAP_ANONYMOUS") == 0x20u);
    CHECK(constant("SOCK_CLOEXEC") == 02000000u);
    CHECK(constant("UNAME26") == 0x20000u);
    CHECK_FALSE(constant("AF_INETT"));
    const auto& names = all_constant_names();
    CHECK(std::is_sorted(names.begin(), names.end()));
    for (const auto& n : names) CHECK_MESSAGE(constant(n).has_value(), n);
}

TEST_CASE("suggestions: nearest name within a typo's distance, or none") {
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("same", "same") == 0);
    CHECK(nearest("opn", all_syscall_names()) == "open");
    CHECK(nearest("exceve", all_syscall_names()) == "execve");
    CHECK(nearest("xyzzyplugh", all_syscall_names()) == "");
    CHECK(did_you_mean("alow", {"allow", "deny"}) == "; did you mean 'allow'?");
    CHECK(did_you_mean("qqqqqq", {"allow", "deny"}) == "");
}

TEST_CASE("argument widths: the kernel's int arguments are known as 32-bit") {
    CHECK(arg_is_32bit("socket", 0));
    CHECK(arg_is_32bit("ioctl", 1));
    CHECK_FALSE(arg_is_32bit("ioctl", 2));  // unsigned long arg
    CHECK(arg_is_32bit("personality", 0));
    CHECK(arg_is_32bit("openat", 2));
    CHECK_FALSE(arg_is_32bit("clone", 0));  // unsigned long flags
    CHECK_FALSE(arg_is_32bit("mmap", 2));
    CHECK_FALSE(arg_is_32bit("socket", 6));
    CHECK_FALSE(arg_is_32bit("no_such_call", 0));
}

TEST_CASE("groups_of names every group holding a syscall, nested ones included") {
    auto futex = groups_of("futex");
    CHECK(futex == std::vector<std::string>{"@default", "@system-service", "@jvm", "@jvm-hot"});
    auto chown = groups_of("chown");
    CHECK(std::find(chown.begin(), chown.end(), "@chown") != chown.end());
    CHECK(std::find(chown.begin(), chown.end(), "@privileged") != chown.end());  // via @chown
    CHECK(groups_of("no_such_call").empty());
}
