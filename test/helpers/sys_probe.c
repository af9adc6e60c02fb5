// sys_probe: makes one system call the way a test asks and prints what happened, so tests
// can observe a seccomp filter or a privilege drop from inside a real process.
//   sys_probe call NR [ARG...]     syscall(NR, ARG...)           -> "ret=R errno=E"
//   sys_probe x32 NR               x32 ABI: syscall(NR | 0x40000000)
//   sys_probe i386 NR [ARG...]     i386 ABI: int $0x80 with eax=NR
//   sys_probe thread-call NR       NR from a second thread while the main thread waits;
//                                  prints "survived" if the process lives on
//   sys_probe trap-call NR         NR with a SIGSYS handler: prints "SIGSYS syscall=N" from it
//   sys_probe status               the Cap*, NoNewPrivs, Seccomp, Uid, Gid, Groups lines
// Exit 0 after printing; signals and kills are the caller's to observe.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long arg(char** argv, int argc, int i) {
    return i < argc ? (long)strtoull(argv[i], NULL, 0) : 0;
}

static void report(long ret) {
    printf("ret=%ld errno=%d\n", ret, ret < 0 ? errno : 0);
    fflush(stdout);
}

static long i386_call(long nr, long a, long b, long c) {
    long ret;
    // The 32-bit entry point, usable from a 64-bit process: arguments in ebx, ecx, edx.
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    if (ret < 0 && ret > -4096) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

static void* thread_main(void* p) {
    long nr = *(long*)p;
    report(syscall(nr, 0, 0, 0, 0, 0, 0));
    return NULL;
}

static void on_sigsys(int sig, siginfo_t* info, void* uctx) {
    (void)sig;
    (void)uctx;
    char msg[64];
    int len = snprintf(msg, sizeof msg, "SIGSYS syscall=%d\n", info->si_syscall);
    if (write(1, msg, (size_t)len) < 0) _exit(3);
}

static int print_status(void) {
    FILE* f = fopen("/proc/self/status", "r");
    if (!f) {
        perror("sys_probe: /proc/self/status");
        return 1;
    }
    char line[512];
    const char* keys[] = {"Cap", "NoNewPrivs", "Seccomp:", "Uid", "Gid", "Groups"};
    while (fgets(line, sizeof line, f))
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; ++i)
            if (strncmp(line, keys[i], strlen(keys[i])) == 0) fputs(line, stdout);
    fclose(f);
    return 0;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: sys_probe call|x32|i386|thread-call|status ...\n");
        return 2;
    }
    const char* mode = argv[1];
    if (strcmp(mode, "status") == 0) return print_status();
    if (argc < 3) {
        fprintf(stderr, "sys_probe %s: missing syscall number\n", mode);
        return 2;
    }
    long nr = arg(argv, argc, 2);
    if (strcmp(mode, "call") == 0) {
        report(syscall(nr, arg(argv, argc, 3), arg(argv, argc, 4), arg(argv, argc, 5), arg(argv, argc, 6),
                       arg(argv, argc, 7), arg(argv, argc, 8)));
    } else if (strcmp(mode, "trap-call") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_sigsys;
        sa.sa_flags = SA_SIGINFO;
        if (sigaction(SIGSYS, &sa, NULL) != 0) {
            perror("sys_probe: sigaction");
            return 1;
        }
        report(syscall(nr, 0, 0, 0, 0, 0, 0));
    } else if (strcmp(mode, "x32") == 0) {
        report(syscall(nr | 0x40000000L, 0, 0, 0, 0, 0, 0));
    } else if (strcmp(mode, "i386") == 0) {
        report(i386_call(nr, arg(argv, argc, 3), arg(argv, argc, 4), arg(argv, argc, 5)));
    } else if (strcmp(mode, "thread-call") == 0) {
        pthread_t t;
        int rc = pthread_create(&t, NULL, thread_main, &nr);
        if (rc != 0) {
            fprintf(stderr, "sys_probe: pthread_create: %s\n", strerror(rc));
            return 1;
        }
        pthread_join(t, NULL);
        printf("survived\n");
    } else {
        fprintf(stderr, "sys_probe: unknown mode %s\n", mode);
        return 2;
    }
    return 0;
}
