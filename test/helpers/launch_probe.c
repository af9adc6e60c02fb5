// An app that attacks the launch: what it can do to the terminal and to vigil's signal handling.
//   launch_probe tiocsti TEXT          ioctl(0, TIOCSTI) each byte of TEXT (a trailing "\n" is a
//                                      newline); prints "tiocsti ret=R errno=E" for the first byte
//   launch_probe session               prints "own-group=0|1 ctty=0|1" (/dev/tty opens or not)
//   launch_probe reacquire TEXT        tries to get the terminal on fd 0 back: TIOCSCTTY itself,
//                                      then a child in a new session TIOCSCTTY (steal 0 and 1)
//                                      and TIOCSTI of TEXT; prints "reacquire self=E steal0=E
//                                      steal1=E tiocsti=E" (errno, 0 = it worked)
//   launch_probe sigqueue SIG CODE PID rt_sigqueueinfo(parent, SIG) with si_code CODE, si_pid PID
//                                      (-1: our own pid)
//   launch_probe flood SIG N           N such signals (SI_QUEUE, our pid), 1 ms apart
//   launch_probe fsetown SIG           an I/O signal: F_SETOWN(parent) + F_SETSIG(SIG) on a pipe
//   launch_probe kill-renamed SIG      renames itself "a\nb) S 1" (a newline and a ')' in its
//                                      name), then kill(parent, SIG)
// The signal modes catch SIG themselves and wait 700 ms for vigil to forward it back: they print
// "received" and exit 1 if it came, "not received" and exit 0 if not, exit 2 on a setup error.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_signal(int sig) {
    (void)sig;
    got = 1;
}

static void catch_sig(int sig) {
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    if (sigaction(sig, &sa, NULL) < 0) { perror("sigaction"); exit(2); }
}

static int verdict(void) {
    for (int i = 0; i < 70 && !got; ++i) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    printf("%s\n", got ? "received" : "not received");
    fflush(stdout);
    return got ? 1 : 0;
}

static int send_queued(pid_t to, int sig, int code, pid_t claimed) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = sig;
    info.si_code = code;
    info.si_pid = claimed;
    info.si_uid = getuid();
    return (int)syscall(SYS_rt_sigqueueinfo, to, sig, &info);
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    const char* mode = argv[1];
    if (!strcmp(mode, "tiocsti") && argc == 3) {
        int first_ret = 0, first_errno = 0;
        for (const char* p = argv[2]; *p; ++p) {
            char c = *p;
            if (p[0] == '\\' && p[1] == 'n') c = '\n', ++p;
            int r = ioctl(0, TIOCSTI, &c);
            if (p == argv[2]) first_ret = r, first_errno = r < 0 ? errno : 0;
        }
        printf("tiocsti ret=%d errno=%d\n", first_ret, first_errno);
        return 0;
    }
    if (!strcmp(mode, "session")) {
        int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
        printf("own-group=%d ctty=%d\n", getpgid(0) == getpid(), fd >= 0);
        return 0;
    }
    if (!strcmp(mode, "reacquire") && argc == 3) {
        int self = ioctl(0, TIOCSCTTY, 0) < 0 ? errno : 0;
        int fds[2];
        if (pipe(fds) < 0) return 2;
        pid_t child = fork();
        if (child < 0) return 2;
        if (child == 0) {
            int r[3] = {-1, -1, -1};
            if (setsid() >= 0) {
                r[0] = ioctl(0, TIOCSCTTY, 0) < 0 ? errno : 0;
                r[1] = ioctl(0, TIOCSCTTY, 1) < 0 ? errno : 0;
                r[2] = 0;
                for (const char* p = argv[2]; *p && !r[2]; ++p) {
                    char c = *p;
                    if (p[0] == '\\' && p[1] == 'n') c = '\n', ++p;
                    r[2] = ioctl(0, TIOCSTI, &c) < 0 ? errno : 0;
                }
            }
            if (write(fds[1], r, sizeof r) != sizeof r) _exit(2);
            _exit(0);
        }
        int r[3] = {-1, -1, -1};
        close(fds[1]);
        if (read(fds[0], r, sizeof r) != sizeof r) return 2;
        printf("reacquire self=%d steal0=%d steal1=%d tiocsti=%d\n", self, r[0], r[1], r[2]);
        return 0;
    }
    if (argc < 3) return 2;
    int sig = atoi(argv[2]);
    pid_t parent = getppid();
    catch_sig(sig);
    if (!strcmp(mode, "sigqueue") && argc == 5) {
        pid_t claimed = atoi(argv[4]) == -1 ? getpid() : atoi(argv[4]);
        if (send_queued(parent, sig, atoi(argv[3]), claimed) < 0) { perror("rt_sigqueueinfo"); return 2; }
        return verdict();
    }
    if (!strcmp(mode, "flood") && argc == 4) {
        for (int i = 0; i < atoi(argv[3]); ++i) {
            if (send_queued(parent, sig, SI_QUEUE, getpid()) < 0) { perror("rt_sigqueueinfo"); return 2; }
            struct timespec ts = {0, 1000000L};
            nanosleep(&ts, NULL);
        }
        return verdict();
    }
    if (!strcmp(mode, "fsetown")) {
        int p[2];
        if (pipe(p) < 0 || fcntl(p[0], F_SETOWN, parent) < 0 || fcntl(p[0], F_SETSIG, sig) < 0 ||
            fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK) < 0) { perror("fcntl"); return 2; }
        if (write(p[1], "x", 1) != 1) { perror("write"); return 2; }
        return verdict();
    }
    if (!strcmp(mode, "kill-renamed")) {
        if (prctl(PR_SET_NAME, "a\nb) S 1", 0, 0, 0) < 0) { perror("prctl"); return 2; }
        if (kill(parent, sig) < 0) { perror("kill"); return 2; }
        return verdict();
    }
    fprintf(stderr, "launch_probe: bad arguments\n");
    return 2;
}
