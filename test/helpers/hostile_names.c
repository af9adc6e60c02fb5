// An app that names its threads and its executable with bytes meant to break whatever vigil
// writes from them: invalid UTF-8, quotes, newlines that would start a forged TOML table or log
// line, "]]" and '"""' (TOML), ')' ( /proc/PID/stat's comm field), terminal escapes.
//   hostile_names DIR   re-executes itself through a symlink DIR/<hostile name>, then (as "run")
//                       sets each hostile thread name in turn and makes syscalls under it.
//   hostile_names DIR flood N: as above, then calls getpriority N times (for audit floods).
//   hostile_names DIR forkflood N S: as above, then N children call getpriority once each (N
//                       distinct pids: events that cannot be aggregated), prints "hostile_names: forked N",
//                       then sleeps S s.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// At most 15 bytes each: the kernel keeps TASK_COMM_LEN - 1.
static const char* const kNames[] = {
    "\xff\xfe\xc3(bad\xed\xa0\x80",   // not UTF-8: stray bytes, a cut sequence, a surrogate
    "q\"uo'te\\",                      // quotes and a backslash
    "x\n[vigil]\ny=1",                 // newlines that would start a TOML table and a key
    "]]\"\"\"#",                       // TOML closers
    "vi) R 1 (x",                      // what a /proc/PID/stat parser splits on
    "\x1b[31m\r\t\x7f",               // terminal control
    "\nvigil[1] erro",                 // a forged log line
};

static void calls_under(const char* name) {
    prctl(PR_SET_NAME, name, 0, 0, 0);
    char got[17] = {0};
    prctl(PR_GET_NAME, got, 0, 0, 0);   // prctl is recorded with its option: the name is in it
    errno = 0;
    getpriority(PRIO_PROCESS, 0);
    int fd = open("/nonexistent-vigil-test/\xff\n]]\"", O_RDONLY);  // a hostile path too
    if (fd >= 0) close(fd);
}

static void* thread_main(void* arg) {
    (void)arg;
    calls_under("\xc0\xaf\n[t]\"");
    return NULL;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: hostile_names DIR [flood N]\n");
        return 2;
    }
    if (argc >= 3 && strcmp(argv[2], "run") == 0) {
        for (size_t i = 0; i < sizeof kNames / sizeof kNames[0]; ++i) calls_under(kNames[i]);
        pthread_t t;
        if (pthread_create(&t, NULL, thread_main, NULL) == 0) pthread_join(t, NULL);
        if (argc >= 5 && strcmp(argv[3], "flood") == 0) {
            long n = strtol(argv[4], NULL, 10);
            prctl(PR_SET_NAME, "flood\n\xff", 0, 0, 0);
            for (long k = 0; k < n; ++k) getpriority(PRIO_PROCESS, 0);
        }
        if (argc >= 6 && strcmp(argv[3], "forkflood") == 0) {
            long n = strtol(argv[4], NULL, 10);
            for (long k = 0; k < n; ++k) {
                pid_t c = fork();
                if (c == 0) {
                    getpriority(PRIO_PROCESS, 0);
                    _exit(0);
                }
                if (c > 0) waitpid(c, NULL, 0);
            }
            printf("hostile_names: forked %ld\n", n);
            fflush(stdout);
            sleep((unsigned)strtol(argv[5], NULL, 10));
        }
        printf("hostile_names: done\n");
        fflush(stdout);
        return 0;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) {
        perror("readlink /proc/self/exe");
        return 1;
    }
    self[n] = 0;
    char link[PATH_MAX];
    snprintf(link, sizeof link, "%s/exe\n[x]]\"\"\"\xff", argv[1]);
    unlink(link);
    if (symlink(self, link) != 0) {
        perror("symlink");
        return 1;
    }
    char* args[7] = {link, argv[1], "run", NULL, NULL, NULL, NULL};
    for (int i = 2; i < argc && i < 5; ++i) args[i + 1] = argv[i];
    execv(link, args);
    perror("execv");
    return 1;
}
