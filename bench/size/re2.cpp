#include <re2/re2.h>
#include <cstdio>
#include <thread>
#include <map>
int main(int argc, char** argv) { std::map<std::string,int> m; m[argv[0]]=1; std::thread t([]{}); t.join(); RE2 r(argv[1]); printf("%d\n", (int)RE2::PartialMatch(argv[0], r)); }
