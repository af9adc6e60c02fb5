// [supervise.health]: a liveness probe on loopback, repeated on the event loop. Private to
// src/supervise.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "vigil/event_loop.hpp"
#include "vigil/phases.hpp"
#include "vigil/profile.hpp"

namespace vigil {

class HealthMonitor {
public:
    // on_unhealthy is called once, on the loop, after `failures` failed probes in a row.
    HealthMonitor(EventLoop& loop, const HealthCheck& check, std::function<void(const std::string& why)> on_unhealthy);
    ~HealthMonitor();
    HealthMonitor(const HealthMonitor&) = delete;
    HealthMonitor& operator=(const HealthMonitor&) = delete;
    // The first probe runs one interval from now. Throws vigil::Error for a bad URL. A TCP
    // check is the HTTP prober stopping once connected (to 127.0.0.1:port).
    void start();
    std::string describe() const;  // "GET http://127.0.0.1:8080/health" or "TCP 127.0.0.1:5432"

private:
    void probe();
    void result(bool ok);
    EventLoop& loop_;
    HealthCheck check_;
    std::function<void(const std::string&)> on_unhealthy_;
    std::optional<LoopbackUrl> url_;
    std::unique_ptr<HttpProbe> probe_;
    bool busy_ = false, gave_up_ = false;
    int failed_ = 0;
    int timer_ = -1;
};

}  // namespace vigil
