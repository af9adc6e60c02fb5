// The launch path's pure decisions, as tables: what the child does when the kernel refuses a
// seccomp listener, and which signals vigil may act on. Plus the two places where the app's
// own data meets vigil's bookkeeping: /proc parsing and the files learn writes.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "vigil/learn.hpp"
#include "vigil/process_tree.hpp"
#include "vigil/spawn.hpp"
#include "vigil/supervise.hpp"

using namespace vigil;
namespace fs = std::filesystem;

TEST_CASE("listener refusal: EBUSY and EINVAL (gVisor) load the fallback, never a weaker filter") {
    using R = ListenerRefusal;
    // First try, with WAIT_KILLABLE_RECV: EINVAL may just mean a kernel older than 5.19.
    CHECK(listener_refusal(EINVAL, true, true) == R::RetryPlain);
    CHECK(listener_refusal(EINVAL, true, false) == R::RetryPlain);
    // Without that flag, EINVAL means no user notification at all: like EBUSY.
    CHECK(listener_refusal(EINVAL, false, true) == R::LoadFallback);
    CHECK(listener_refusal(EBUSY, true, true) == R::LoadFallback);
    CHECK(listener_refusal(EBUSY, false, true) == R::LoadFallback);
    // No fallback program (learn): a set-up failure, not a run without the filter.
    CHECK(listener_refusal(EBUSY, true, false) == R::Fail);
    CHECK(listener_refusal(EINVAL, false, false) == R::Fail);
    // Anything else is not a refusal of the listener.
    CHECK(listener_refusal(EACCES, true, true) == R::Fail);
    CHECK(listener_refusal(ENOMEM, false, true) == R::Fail);
    CHECK(listener_refusal(EFAULT, true, true) == R::Fail);
}

TEST_CASE("signal origin: only the kernel, vigil and outsiders are obeyed") {
    const pid_t self = 50, app_child = 77, outsider = 900;
    int asked = 0;
    auto tree = [&](pid_t p) { return ++asked, p == app_child; };
    using O = SignalOrigin;
    struct Row {
        int code;
        pid_t sender;
        bool pid1;
        O expected;
    };
    const Row rows[] = {
        {SI_KERNEL, 0, true, O::Outside},        // Ctrl-C, hang-up
        {SI_KERNEL, 0, false, O::Outside},
        {SI_USER, 0, true, O::Outside},          // docker stop: sender outside the namespace
        {SI_USER, self, false, O::Outside},      // vigil's own (SIGPIPE)
        {SI_USER, app_child, true, O::App},      // as PID 1 every visible pid is inside
        {SI_USER, outsider, true, O::App},
        {SI_USER, app_child, false, O::App},
        {SI_USER, outsider, false, O::Outside},  // an operator's shell
        {SI_TKILL, app_child, false, O::App},
        {SI_TKILL, 0, true, O::Outside},
        // Codes the sender may choose, with the si_pid it writes: never proof of an outsider.
        {SI_QUEUE, 0, true, O::Unattributed},
        {SI_QUEUE, 0, false, O::Unattributed},
        {SI_QUEUE, outsider, false, O::Unattributed},
        {SI_QUEUE, app_child, true, O::App},
        {SI_QUEUE, app_child, false, O::App},
        {SI_MESGQ, app_child, true, O::App},
        {SI_MESGQ, 0, true, O::Unattributed},
        {SI_ASYNCIO, 0, false, O::Unattributed},
        {SI_SIGIO, 0, true, O::Unattributed},
        {SI_TIMER, 0, false, O::Unattributed},
        {SI_DETHREAD, 0, true, O::Unattributed},
        {-60, 0, true, O::Unattributed},
        // I/O signals pointed at vigil with F_SETOWN (POLL_IN..POLL_HUP).
        {POLL_IN, 0, true, O::Unattributed},
        {POLL_HUP, app_child, false, O::Unattributed},
    };
    for (const Row& r : rows) {
        CAPTURE(r.code);
        CAPTURE(r.sender);
        CAPTURE(r.pid1);
        CHECK(signal_origin(r.code, r.sender, self, r.pid1, tree) == r.expected);
    }
    // The /proc walk is only asked about when the kernel vouches for the pid and vigil is not PID 1.
    asked = 0;
    signal_origin(SI_USER, outsider, self, true, tree);
    signal_origin(SI_KERNEL, 0, self, false, tree);
    signal_origin(POLL_IN, app_child, self, false, tree);
    CHECK(asked == 0);
}

TEST_CASE("parent_of reads PPid from status: a name with a newline and ')' does not fool it") {
    int go[2];
    REQUIRE(pipe(go) == 0);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        close(go[1]);
        prctl(PR_SET_NAME, "a\nb) S 1 1 1", 0, 0, 0);
        char c;
        (void)!read(go[0], &c, 1);  // wait to be inspected
        _exit(0);
    }
    close(go[0]);
    // Wait until the rename has happened.
    for (int i = 0; i < 200; ++i) {
        std::ifstream comm("/proc/" + std::to_string(child) + "/comm");
        std::string name((std::istreambuf_iterator<char>(comm)), {});
        if (name.rfind("a\nb)", 0) == 0) break;
        usleep(5000);
    }
    CHECK(parent_of(child) == getpid());
    CHECK(is_descendant_of(child, getpid()));
    close(go[1]);
    int st;
    waitpid(child, &st, 0);
    CHECK_FALSE(parent_of(child).has_value());  // gone
}

TEST_CASE("OutputDir: replaces a planted symlink instead of writing through it, leaves no temporaries") {
    char tmpl[] = "/tmp/vigil-outdir-XXXXXX";
    fs::path dir = mkdtemp(tmpl);
    fs::path victim = dir / "victim";
    std::ofstream(victim) << "precious";
    fs::create_symlink(victim, dir / "out.toml");
    fs::create_symlink(victim, dir / "out.toml.tmp");
    {
        auto out = learn::OutputDir::open(dir.string(), false);
        out.write_file("out.toml", "learned\n");
        CHECK_THROWS(out.write_file("../escape", "x"));
        CHECK_THROWS(out.write_file("", "x"));
    }
    std::ifstream v(victim);
    std::string text((std::istreambuf_iterator<char>(v)), {});
    CHECK(text == "precious");
    CHECK(fs::is_regular_file(fs::symlink_status(dir / "out.toml")));
    std::ifstream o(dir / "out.toml");
    std::string written((std::istreambuf_iterator<char>(o)), {});
    CHECK(written == "learned\n");
    int entries = 0;
    for (const auto& e : fs::directory_iterator(dir)) (void)e, ++entries;
    CHECK(entries == 3);  // victim, out.toml, the untouched out.toml.tmp symlink
    // The directory itself must not be a symlink either.
    fs::create_symlink(dir, dir / "link");
    CHECK_THROWS_WITH(learn::OutputDir::open((dir / "link").string(), false), doctest::Contains("symlink"));
    fs::remove_all(dir);
}
