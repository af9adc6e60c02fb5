#include <toml.hpp>
#include <cstdio>
#include <thread>
#include <map>
int main(int argc, char** argv) { std::map<std::string,int> m; m[argv[0]]=1; std::thread t([]{}); t.join(); auto v = toml::parse(argv[1]); printf("%zu\n", v.as_table().size()); }
