// Restart decisions and back-off: the pure part of --restart (shared with `vigil up`).
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include "vigil/supervise.hpp"
#include "vigil/text.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

int exited(int code) { return (code & 0xff) << 8; }
int killed(int sig) { return sig & 0x7f; }

AppEnding ending(int status, std::chrono::milliseconds ran = 100ms) {
    AppEnding e;
    e.wait_status = status;
    e.ran_for = ran;
    return e;
}

RestartPolicy policy(RestartMode mode, int max = 5, int delay_ms = 1000) {
    RestartPolicy p;
    p.mode = mode;
    p.max = max;
    p.delay_ms = delay_ms;
    return p;
}

}  // namespace

TEST_CASE("restart modes parse and print") {
    CHECK(parse_restart_mode("no") == RestartMode::No);
    CHECK(parse_restart_mode("on-failure") == RestartMode::OnFailure);
    CHECK(parse_restart_mode("always") == RestartMode::Always);
    CHECK_FALSE(parse_restart_mode("On-Failure"));
    CHECK_FALSE(parse_restart_mode(""));
    CHECK_FALSE(parse_restart_mode("unless-stopped"));
    for (auto m : {RestartMode::No, RestartMode::OnFailure, RestartMode::Always})
        CHECK(parse_restart_mode(restart_mode_name(m)) == m);
    RestartPolicy d;
    CHECK(d.mode == RestartMode::No);
    CHECK(d.max == 5);
    CHECK(d.delay_ms == 1000);
}

TEST_CASE("back-off doubles from the delay and is capped at 30 s") {
    RestartPolicy p = policy(RestartMode::Always, 100, 1000);
    CHECK(restart_backoff(p, 0) == 1000ms);
    CHECK(restart_backoff(p, 1) == 2000ms);
    CHECK(restart_backoff(p, 2) == 4000ms);
    CHECK(restart_backoff(p, 4) == 16000ms);
    CHECK(restart_backoff(p, 5) == 30000ms);
    CHECK(restart_backoff(p, 60) == 30000ms);  // no overflow however long the streak
    CHECK(restart_backoff(p, 1 << 30) == 30000ms);
    p.delay_ms = 0;
    CHECK(restart_backoff(p, 0) == 0ms);
    CHECK(restart_backoff(p, 10) == 0ms);
    p.delay_ms = 45000;  // longer than the cap: the delay asked for is kept, never doubled
    CHECK(restart_backoff(p, 0) == 45000ms);
    CHECK(restart_backoff(p, 3) == 45000ms);
    p.delay_ms = 250;
    CHECK(restart_backoff(p, 3) == 2000ms);
}

TEST_CASE("which endings are failures") {
    CHECK_FALSE(ending_failed(ending(exited(0))));
    CHECK(ending_failed(ending(exited(1))));
    CHECK(ending_failed(ending(killed(SIGSYS))));
    CHECK_FALSE(ending_failed(ending(exited(143)), {143}));
    CHECK_FALSE(ending_failed(ending(killed(SIGTERM)), {143}));
    AppEnding sick = ending(exited(0));
    sick.unhealthy = true;
    CHECK(ending_failed(sick));
    CHECK(ending_failed(sick, {0}));
}

TEST_CASE("policy no never restarts; on-failure only failures; always everything") {
    auto no = decide_restart(policy(RestartMode::No), 0, ending(exited(1)));
    CHECK_FALSE(no.restart);
    CHECK(no.reason == "exited with status 1");
    CHECK(no.verdict.find("no") != std::string::npos);

    auto ok = decide_restart(policy(RestartMode::OnFailure), 0, ending(exited(0)));
    CHECK_FALSE(ok.restart);
    auto fail = decide_restart(policy(RestartMode::OnFailure), 0, ending(killed(SIGSYS)));
    CHECK(fail.restart);
    CHECK(fail.delay == 1000ms);
    CHECK(fail.streak == 1);
    CHECK(fail.reason == "killed by signal 31 (SIGSYS)");

    auto always = decide_restart(policy(RestartMode::Always), 0, ending(exited(0)));
    CHECK(always.restart);
    CHECK(always.delay == 1000ms);
}

TEST_CASE("a stop request is never restarted") {
    AppEnding e = ending(killed(SIGTERM));
    e.stop_requested = true;
    auto d = decide_restart(policy(RestartMode::Always), 0, e);
    CHECK_FALSE(d.restart);
}

TEST_CASE("restart max counts restarts in a row, then gives up") {
    RestartPolicy p = policy(RestartMode::OnFailure, 3, 100);
    int streak = 0;
    std::vector<long long> delays;
    for (;;) {
        auto d = decide_restart(p, streak, ending(exited(7)));
        if (!d.restart) {
            CHECK(d.verdict.find("restart max 3") != std::string::npos);
            break;
        }
        delays.push_back(d.delay.count());
        streak = d.streak;
        REQUIRE(delays.size() <= 10);
    }
    CHECK(delays == std::vector<long long>{100, 200, 400});
    CHECK_FALSE(decide_restart(policy(RestartMode::Always, 0), 0, ending(exited(1))).restart);
}

TEST_CASE("60 s of running resets the back-off and the count") {
    RestartPolicy p = policy(RestartMode::Always, 3, 1000);
    auto late = decide_restart(p, 3, ending(exited(1), 59999ms));
    CHECK_FALSE(late.restart);  // not quite healthy long enough
    auto healthy = decide_restart(p, 3, ending(exited(1), 60000ms));
    CHECK(healthy.restart);
    CHECK(healthy.delay == 1000ms);
    CHECK(healthy.streak == 1);
    auto mid = decide_restart(p, 2, ending(exited(1), 5000ms));
    CHECK(mid.restart);
    CHECK(mid.delay == 4000ms);
    CHECK(mid.streak == 3);
}

TEST_CASE("unhealthy endings say so") {
    AppEnding e = ending(killed(SIGTERM));
    e.unhealthy = true;
    auto d = decide_restart(policy(RestartMode::OnFailure), 0, e);
    CHECK(d.restart);
    CHECK(d.reason.find("health check failed") != std::string::npos);
    auto no = decide_restart(policy(RestartMode::No), 0, e);
    CHECK_FALSE(no.restart);
}

TEST_CASE("signals by name or number, durations") {
    CHECK(text::parse_signal("TERM") == SIGTERM);
    CHECK(text::parse_signal("sigterm") == SIGTERM);
    CHECK(text::parse_signal("SIGQUIT") == SIGQUIT);
    CHECK(text::parse_signal("15") == 15);
    CHECK(text::parse_signal("RTMIN") == SIGRTMIN);
    CHECK(text::parse_signal("SIGRTMIN+2") == SIGRTMIN + 2);
    CHECK(text::parse_signal("RTMAX-1") == SIGRTMAX - 1);
    for (const char* bad : {"", "0", "SIG", "FOO", "TERM ", "-15", "65", "RTMIN+99", "RTMAX+1", "RTMIN+", "1e1"})
        CHECK_MESSAGE(!text::parse_signal(bad), bad);
    CHECK(text::signal_name(SIGSYS) == "SIGSYS");
    CHECK(text::signal_name(SIGRTMIN + 3) == "SIGRTMIN+3");
    CHECK(text::parse_duration_ms("1s") == 1000);
    CHECK(text::parse_duration_ms("250ms") == 250);
    CHECK(text::parse_duration_ms("2m") == 120000);
    CHECK(text::parse_duration_ms("10") == 10000);
    for (const char* bad : {"", "s", "1h", "-1s", "1.5s", "99999999999s", "5x"})
        CHECK_MESSAGE(!text::parse_duration_ms(bad), bad);
}
