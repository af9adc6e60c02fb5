// A program with a fixed, small syscall repertoire for the learn tests; flags add one thing.
//   (always)        uname, socket(AF_INET, SOCK_STREAM), getuid, a thread named probe-worker
//   --extra         also calls getpriority (a syscall the plain run never makes)
//   --unix          also creates an AF_UNIX socket (one extra family)
//   --ready         prints READY after the startup work, waits 300 ms, then does the ready work
//   --late-uname    calls uname again after READY (a startup-only syscall, in the ready phase)
//   --wait          after the work, waits for SIGTERM and exits 0 on it
//   --crash         after the work, dies of SIGSEGV
// Each step prints "NAME=0" or "NAME=ERRNONAME" so the tests can see what the filter did.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static void report(const char* what, int rc) {
    if (rc < 0)
        printf("%s=%s\n", what, strerrorname_np(errno));
    else
        printf("%s=0\n", what);
    fflush(stdout);
}

static void make_socket(const char* what, int family) {
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    report(what, fd);
    if (fd >= 0) close(fd);
}

static void* worker(void* arg) {
    (void)arg;
    prctl(PR_SET_NAME, "probe-worker");
    report("worker_getuid", (int)getuid() < 0 ? -1 : 0);
    return NULL;
}

static void do_uname(void) {
    struct utsname u;
    report("uname", uname(&u));
}

static volatile sig_atomic_t stop;
static void on_term(int sig) {
    (void)sig;
    stop = 1;
}

int main(int argc, char** argv) {
    int extra = 0, unix_family = 0, ready = 0, late_uname = 0, wait_term = 0, crash = 0;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--extra")) extra = 1;
        else if (!strcmp(argv[i], "--unix")) unix_family = 1;
        else if (!strcmp(argv[i], "--ready")) ready = 1;
        else if (!strcmp(argv[i], "--late-uname")) late_uname = 1;
        else if (!strcmp(argv[i], "--wait")) wait_term = 1;
        else if (!strcmp(argv[i], "--crash")) crash = 1;
        else {
            fprintf(stderr, "learn_probe: unknown flag %s\n", argv[i]);
            return 2;
        }
    }
    if (wait_term) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_term;
        sigaction(SIGTERM, &sa, NULL);
    }
    do_uname();
    make_socket("inet", AF_INET);
    if (unix_family) make_socket("unix", AF_UNIX);
    if (ready) {
        printf("READY\n");
        fflush(stdout);
        struct timespec ts = {0, 300 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    report("getuid", (int)getuid() < 0 ? -1 : 0);
    if (extra) report("getpriority", getpriority(PRIO_PROCESS, 0) == -1 && errno ? -1 : 0);
    if (late_uname) do_uname();
    while (wait_term && !stop) pause();
    if (crash) raise(SIGSEGV);
    printf("done\n");
    return 0;
}
