#include <seccomp.h>
#include <cstdio>
#include <thread>
#include <map>
#include <string>
int main(int argc, char** argv) { std::map<std::string,int> m; m[argv[0]]=1; std::thread t([]{}); t.join(); auto c = seccomp_init(SCMP_ACT_ALLOW); seccomp_rule_add(c, SCMP_ACT_ERRNO(1), seccomp_syscall_resolve_name(argv[1]), 1, SCMP_A0(SCMP_CMP_EQ, 2)); seccomp_export_bpf(c, 1); seccomp_export_pfc(c, 2); seccomp_release(c); }
