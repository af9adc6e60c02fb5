// A service for the `vigil up` tests. Runs its arguments in order, printing one line per step:
//   pidfile:PATH   write getpid() to PATH (atomically, via PATH.tmp)
//   print:TEXT     print TEXT on stdout     err:TEXT  print TEXT on stderr
//   status         print "filters N seccomp M uid U" from /proc/self/status
//   exec:PATH      fork, execve PATH in the child: "exec ok" / "exec EPERM" ...
//   kill:PIDFILE   kill(PID, SIGTERM) on the pid in PIDFILE: "kill PID ok" / "kill PID EPERM"
//   ptrace:PIDFILE PTRACE_ATTACH (then detach): "ptrace PID ok" / "ptrace PID EPERM"
//   mem:PIDFILE    open /proc/PID/mem for reading: "mem PID ok" / "mem PID EACCES"
//   wait:PATH      wait (up to 30 s) until PATH exists
//   orphan         leave a grandchild that ends 0.2 s later, reparented to PID 1 (or the subreaper)
//   flood:N        print N long lines as fast as the pipe takes them
//   sleep:MS       sleep            hang  pause until a signal (SIGTERM: exit 0 unless "stubborn")
//   stubborn       ignore SIGTERM from now on
//   exit:N         exit with N
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char* err_name(int e) {
    switch (e) {
        case 0: return "ok";
        case EPERM: return "EPERM";
        case EACCES: return "EACCES";
        case ESRCH: return "ESRCH";
        case ENOENT: return "ENOENT";
        default: return strerrorname_np(e) ? strerrorname_np(e) : "E?";
    }
}

static pid_t pid_from(const char* file) {
    FILE* f = fopen(file, "r");
    int pid = 0;
    if (!f || fscanf(f, "%d", &pid) != 1) {
        printf("cannot read a pid from %s\n", file);
        exit(3);
    }
    fclose(f);
    return pid;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

static void on_term(int sig) {
    (void)sig;
    _exit(0);
}

int main(int argc, char** argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGTERM, on_term);
    for (int i = 1; i < argc; ++i) {
        char* op = argv[i];
        char* arg = strchr(op, ':');
        if (arg) *arg++ = 0;
        if (!strcmp(op, "pidfile")) {
            char tmp[4096];
            snprintf(tmp, sizeof tmp, "%s.tmp", arg);
            FILE* f = fopen(tmp, "w");
            if (!f) return 3;
            fprintf(f, "%d\n", getpid());
            fclose(f);
            rename(tmp, arg);
            printf("pid %d written\n", getpid());
        } else if (!strcmp(op, "print")) {
            printf("%s\n", arg);
        } else if (!strcmp(op, "err")) {
            fprintf(stderr, "%s\n", arg);
        } else if (!strcmp(op, "status")) {
            FILE* f = fopen("/proc/self/status", "r");
            char line[512];
            int filters = -1, mode = -1, uid = -1;
            while (f && fgets(line, sizeof line, f)) {
                sscanf(line, "Seccomp_filters: %d", &filters);
                sscanf(line, "Seccomp: %d", &mode);
                sscanf(line, "Uid: %d", &uid);
            }
            if (f) fclose(f);
            printf("filters %d seccomp %d uid %d\n", filters, mode, uid);
        } else if (!strcmp(op, "exec")) {
            int p[2];
            if (pipe2(p, O_CLOEXEC) < 0) return 3;
            pid_t c = fork();
            if (c == 0) {
                char* args[] = {arg, NULL};
                execve(arg, args, NULL);
                int e = errno;
                if (write(p[1], &e, sizeof e) < 0) {}
                _exit(127);
            }
            close(p[1]);
            int e = 0;
            ssize_t n = read(p[0], &e, sizeof e);
            close(p[0]);
            waitpid(c, NULL, 0);
            printf("exec %s\n", n == sizeof e ? err_name(e) : "ok");
        } else if (!strcmp(op, "kill")) {
            pid_t pid = pid_from(arg);
            int r = kill(pid, SIGTERM);
            printf("kill %d %s\n", pid, err_name(r < 0 ? errno : 0));
        } else if (!strcmp(op, "ptrace")) {
            pid_t pid = pid_from(arg);
            long r = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
            int e = r < 0 ? errno : 0;
            if (r == 0) {
                waitpid(pid, NULL, __WALL);
                ptrace(PTRACE_DETACH, pid, NULL, NULL);
            }
            printf("ptrace %d %s\n", pid, err_name(e));
        } else if (!strcmp(op, "mem")) {
            pid_t pid = pid_from(arg);
            char path[64];
            snprintf(path, sizeof path, "/proc/%d/mem", pid);
            int fd = open(path, O_RDONLY);
            printf("mem %d %s\n", pid, err_name(fd < 0 ? errno : 0));
            if (fd >= 0) close(fd);
        } else if (!strcmp(op, "wait")) {
            struct stat st;
            for (int t = 0; t < 3000 && stat(arg, &st) != 0; ++t) sleep_ms(10);
        } else if (!strcmp(op, "orphan")) {
            pid_t c = fork();
            if (c == 0) {
                if (fork() == 0) {
                    sleep_ms(200);
                    _exit(0);
                }
                _exit(0);
            }
            waitpid(c, NULL, 0);
            printf("orphan left\n");
        } else if (!strcmp(op, "flood")) {
            char line[1024];
            memset(line, 'x', sizeof line - 2);
            line[sizeof line - 2] = '\n';
            line[sizeof line - 1] = 0;
            long n = atol(arg);
            for (long k = 0; k < n; ++k) fputs(line, stdout);
            fflush(stdout);
            printf("flood done\n");
        } else if (!strcmp(op, "sleep")) {
            sleep_ms(atol(arg));
        } else if (!strcmp(op, "hang")) {
            for (;;) pause();
        } else if (!strcmp(op, "stubborn")) {
            signal(SIGTERM, SIG_IGN);
        } else if (!strcmp(op, "exit")) {
            return atoi(arg);
        } else {
            fprintf(stderr, "services_probe: unknown step %s\n", op);
            return 3;
        }
    }
    return 0;
}
