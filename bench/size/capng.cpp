#include <cap-ng.h>
#include <cstdio>
#include <thread>
#include <map>
#include <string>
int main(int argc, char** argv) { std::map<std::string,int> m; m[argv[0]]=1; std::thread t([]{}); t.join(); capng_clear(CAPNG_SELECT_BOTH); capng_update(CAPNG_ADD, CAPNG_EFFECTIVE, capng_name_to_capability(argv[1])); return capng_apply(CAPNG_SELECT_BOTH); }
