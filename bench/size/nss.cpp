#include <pwd.h>
#include <grp.h>
#include <cstdio>
#include <thread>
#include <map>
#include <string>
int main(int argc, char** argv) { std::map<std::string,int> m; m[argv[0]]=1; std::thread t([]{}); t.join(); auto p = getpwnam(argv[1]); auto g = getgrnam(argv[1]); printf("%p %p\n", (void*)p, (void*)g); }
