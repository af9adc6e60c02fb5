#include <nlohmann/json.hpp>
#include <cstdio>
#include <thread>
#include <map>
int main(int argc, char** argv) { std::map<std::string,int> m; m[argv[0]]=1; std::thread t([]{}); t.join(); nlohmann::json j = {{"a", argv[0]}, {"n", argc}}; j["x"] = nlohmann::json::array({1,2}); auto k = nlohmann::json::parse(argv[1]); puts((j.dump(-1,' ',false,nlohmann::json::error_handler_t::replace) + k.dump()).c_str()); }
