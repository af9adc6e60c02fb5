// exec_kill N CMD [ARGS...]: N times, starts CMD as PID 1 of a new PID namespace and sends it
// SIGTERM as soon as its execve has happened (the moment /proc/PID/comm shows CMD's name),
// then reports how each run ended: "runs N lost L" where lost counts runs whose exit status
// was not 128+SIGTERM (143). Used to check that vigil blocks signals before its first
// instructions can miss one (the kernel drops default-action signals to a namespace init).
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int comm_is(pid_t pid, const char* name) {
    char path[64], buf[64];
    snprintf(path, sizeof path, "/proc/%d/comm", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    if (buf[n - 1] == '\n') buf[n - 1] = 0;
    return strncmp(buf, name, 15) == 0;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: exec_kill N CMD [ARGS...]\n");
        return 2;
    }
    int runs = atoi(argv[1]), lost = 0;
    char* copy = strdup(argv[2]);
    const char* name = basename(copy);
    for (int i = 0; i < runs; ++i) {
        pid_t middle = fork();
        if (middle < 0) return perror("fork"), 1;
        if (middle == 0) {
            if (unshare(CLONE_NEWPID) < 0) return perror("unshare(CLONE_NEWPID)"), 1;
            pid_t init = fork();
            if (init < 0) return perror("fork"), 1;
            if (init == 0) {
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 2);
                execv(argv[2], argv + 2);
                _exit(127);
            }
            while (!comm_is(init, name)) {}
            kill(init, SIGTERM);
            int st;
            if (waitpid(init, &st, 0) < 0) return perror("waitpid"), 1;
            _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        }
        int st;
        waitpid(middle, &st, 0);
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (code != 143) {
            ++lost;
            fprintf(stderr, "run %d: status %d\n", i + 1, code);
        }
    }
    printf("runs %d lost %d\n", runs, lost);
    return 0;
}
