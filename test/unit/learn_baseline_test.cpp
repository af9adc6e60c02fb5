// Fast learn's baseline per runtime (src/learn/stats.cpp): picked from the command, and never
// holding a call that opens, executes, connects or binds (those must reach vigil, which
// learns [landlock] and the egress rules from them).
#include <doctest/doctest.h>

#include <algorithm>

#include "vigil/learn.hpp"

using namespace vigil::learn;

TEST_CASE("the baseline is chosen from the command's executable") {
    CHECK(runtime_of_executable("/usr/bin/node") == Runtime::Node);
    CHECK(runtime_of_executable("nodejs") == Runtime::Node);
    CHECK(runtime_of_executable("/usr/bin/python3") == Runtime::Python);
    CHECK(runtime_of_executable("python3.11") == Runtime::Python);
    CHECK(runtime_of_executable("java") == Runtime::Jvm);
    CHECK(runtime_of_executable("/usr/share/tomcat10/bin/catalina.sh") == Runtime::Jvm);
    CHECK(runtime_of_executable("./run.sh") == Runtime::Jvm);
    CHECK(runtime_from_name("node") == Runtime::Node);
    CHECK(!runtime_from_name("ruby"));
}

TEST_CASE("every baseline holds the JVM's and nothing that opens, executes, connects or binds") {
    for (Runtime r : {Runtime::Jvm, Runtime::Node, Runtime::Python}) {
        CAPTURE(runtime_name(r));
        const auto& names = hot_baseline(r);
        for (const auto& j : jvm_hot_baseline())
            CHECK(std::find(names.begin(), names.end(), j) != names.end());
        for (const char* never : {"open", "openat", "openat2", "creat", "execve", "execveat", "connect",
                                  "bind", "listen", "socket", "ioctl", "unlinkat", "renameat2", "mkdirat",
                                  "io_uring_setup", "io_uring_enter", "ptrace", "clone", "clone3"})
            CHECK(std::find(names.begin(), names.end(), never) == names.end());
    }
}
