#include <spdlog/spdlog.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/pattern_formatter.h>
#include <thread>
#include <map>
int main(int argc, char** argv) { std::map<std::string,int> m; m[argv[0]]=1; std::thread t([]{}); t.join(); auto l = spdlog::stderr_logger_st("v"); auto f = std::make_unique<spdlog::pattern_formatter>(); f->set_pattern("vigil[%P] %^%l%$: %v"); l->set_formatter(std::move(f)); spdlog::set_default_logger(l); spdlog::info("{} {} {:.1f} {:x}", argv[0], argc, argc * 1.5, 42u); }
