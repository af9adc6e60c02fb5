#include <cstdio>
#include <string>
#include <vector>
#include <map>
#include <thread>
#include <mutex>
int main(int argc, char** argv) { std::map<std::string,int> m; m[argv[0]]=1; std::thread t([]{}); t.join(); printf("%zu\n", m.size()); }
