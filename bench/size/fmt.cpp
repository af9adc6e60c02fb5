#include <fmt/format.h>
#include <cstdio>
#include <thread>
#include <map>
int main(int argc, char** argv) { std::map<std::string,int> m; m[argv[0]]=1; std::thread t([]{}); t.join(); std::string s = fmt::format("{} {} {:.1f} {:x}", argv[0], argc, argc * 1.5, 42u); puts(s.c_str()); }
