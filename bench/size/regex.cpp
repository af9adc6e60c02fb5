#include <regex>
#include <cstdio>
#include <thread>
#include <map>
int main(int argc, char** argv) { std::map<std::string,int> m; m[argv[0]]=1; std::thread t([]{}); t.join(); std::regex r(argv[1]); printf("%d\n", (int)std::regex_search(argv[0], r)); }
