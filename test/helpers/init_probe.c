// A test app for vigil's init duties: reports what it observes (signals, mask, fds, zombies).
//   init_probe exit N                 exit with status N
//   init_probe signals FILE [EXITSIG] append "SIG n" to FILE per signal; "ready" once handlers are set;
//                                     exit 0 on EXITSIG (default SIGUSR2)
//   init_probe group FILE             like signals, but a forked child in the same process group
//                                     also reports ("child SIG n"); exits on SIGUSR2
//   init_probe ignore-term            ignore SIGTERM, write "ready" to stdout, sleep
//   init_probe status                 print SigBlk/SigIgn lines of /proc/self/status
//   init_probe fds                    print open fds other than 0, 1, 2
//   init_probe orphans N              leave N orphaned, exited grandchildren; after 1 s count
//                                     zombies whose parent is our parent; exit with that count
//   init_probe kill-parent SIG        send SIG to the parent (vigil), wait 300 ms, exit 0
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int out_fd = -1;
static int exit_sig = SIGUSR2;
static const char* who = "";

static void on_signal(int sig) {
    char line[64];
    int n = snprintf(line, sizeof line, "%sSIG %d\n", who, sig);
    write(out_fd, line, (size_t)n);
    if (sig == exit_sig) _exit(0);
}

static void catch_all(void) {
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || (sig >= 32 && sig < SIGRTMIN)) continue;
        struct sigaction sa = {0};
        sa.sa_handler = on_signal;
        sigaction(sig, &sa, NULL);
    }
}

static void open_out(const char* path) {
    out_fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (out_fd < 0) { perror(path); exit(2); }
}

static void say(const char* s) { write(out_fd, s, strlen(s)); }

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0) {}
}

static int count_zombies_of(pid_t parent) {
    int zombies = 0;
    DIR* d = opendir("/proc");
    struct dirent* e;
    while (d && (e = readdir(d))) {
        char path[64], buf[512];
        if (atoi(e->d_name) <= 0) continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE* f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        char* rp = strrchr(buf, ')');
        char state;
        int ppid;
        if (rp && sscanf(rp + 2, "%c %d", &state, &ppid) == 2 && state == 'Z' && ppid == parent) ++zombies;
    }
    if (d) closedir(d);
    return zombies;
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    const char* mode = argv[1];
    if (!strcmp(mode, "exit") && argc > 2) return atoi(argv[2]);
    if (!strcmp(mode, "signals") && argc > 2) {
        open_out(argv[2]);
        if (argc > 3) exit_sig = atoi(argv[3]);
        catch_all();
        say("ready\n");
        for (;;) pause();
    }
    if (!strcmp(mode, "group") && argc > 2) {
        open_out(argv[2]);
        catch_all();
        if (fork() == 0) {
            who = "child ";
            say("child ready\n");
            for (;;) pause();
        }
        sleep_ms(100);
        say("ready\n");
        for (;;) pause();
    }
    if (!strcmp(mode, "ignore-term")) {
        signal(SIGTERM, SIG_IGN);
        printf("ready\n");
        fflush(stdout);
        for (;;) pause();
    }
    if (!strcmp(mode, "status")) {
        char line[256];
        FILE* f = fopen("/proc/self/status", "r");
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "SigBlk", 6) || !strncmp(line, "SigIgn", 6)) fputs(line, stdout);
        return 0;
    }
    if (!strcmp(mode, "fds")) {
        DIR* d = opendir("/proc/self/fd");
        struct dirent* e;
        while ((e = readdir(d)))
            if (atoi(e->d_name) > 2 && atoi(e->d_name) != dirfd(d)) {
                char target[256] = "", link[64];
                snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
                readlink(link, target, sizeof target - 1);
                printf("%s -> %s\n", e->d_name, target);
            }
        return 0;
    }
    if (!strcmp(mode, "orphans") && argc > 2) {
        int n = atoi(argv[2]);
        for (int i = 0; i < n; ++i) {
            pid_t c = fork();
            if (c == 0) {
                if (fork() == 0) _exit(0);  // the grandchild: orphaned, then exits
                _exit(0);
            }
            waitpid(c, NULL, 0);
        }
        sleep_ms(1000);
        return count_zombies_of(getppid());
    }
    if (!strcmp(mode, "kill-parent") && argc > 2) {
        kill(getppid(), atoi(argv[2]));
        sleep_ms(300);
        return 0;
    }
    return 2;
}
