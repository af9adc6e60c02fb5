// Health checks: an HTTP GET or a TCP connect on loopback (both the phases module's HttpProbe),
// every interval, never blocking the loop; `failures` failures in a row make the app unhealthy.
#include "health.hpp"

#include "vigil/log.hpp"

namespace vigil {

HealthMonitor::HealthMonitor(EventLoop& loop, const HealthCheck& check,
                             std::function<void(const std::string&)> on_unhealthy)
    : loop_(loop), check_(check), on_unhealthy_(std::move(on_unhealthy)) {}

HealthMonitor::~HealthMonitor() {
    if (timer_ >= 0) loop_.cancel_timer(timer_);
}

std::string HealthMonitor::describe() const {
    if (check_.http_get) return "GET " + *check_.http_get;
    return "TCP 127.0.0.1:" + std::to_string(check_.tcp.value_or(0));
}

void HealthMonitor::start() {
    url_ = parse_loopback_url(check_.http_get.value_or("http://127.0.0.1:" + std::to_string(check_.tcp.value_or(0)) + "/"));
    timer_ = loop_.add_timer(std::chrono::milliseconds(check_.interval_ms), [this] { probe(); }, true);
    log::debug("health checks: {} every {} ms", describe(), check_.interval_ms);
}

void HealthMonitor::probe() {
    if (busy_ || gave_up_) return;  // a probe slower than the interval: no second one beside it
    busy_ = true;
    probe_ = std::make_unique<HttpProbe>(loop_, *url_, check_.timeout_ms, [this](bool ok) { result(ok); },
                                         !check_.http_get);
    probe_->start();
}

void HealthMonitor::result(bool ok) {
    busy_ = false;
    if (ok) {
        if (failed_ > 0) log::info("health check {} passes again", describe());
        failed_ = 0;
        return;
    }
    ++failed_;
    log::warn("health check {} failed ({} of {} in a row)", describe(), failed_, check_.failures);
    if (failed_ < check_.failures || gave_up_) return;
    gave_up_ = true;
    loop_.cancel_timer(timer_);
    timer_ = -1;
    on_unhealthy_(describe() + " failed " + std::to_string(failed_) + " times in a row");
}

}  // namespace vigil
