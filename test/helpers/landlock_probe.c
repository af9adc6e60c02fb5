// An app trying to get out of its Landlock confinement. Each argument is one attempt; one
// line per attempt, "OP ARG=ok" or "OP ARG=ERRNO_NAME":
//   read:PATH  write:PATH  create:PATH  exec:PATH  connect:PORT  bind:PORT  kill:PID
//   abstract:NAME (connect to the abstract unix socket @NAME)  listen_abstract:NAME
//   link:SRC,DST  rename:SRC,DST  reopen:PATH (O_PATH, then /proc/self/fd/N for reading)
//   sleep:MS
// and one attempt per Landlock filesystem right:
//   list:DIR (read_dir)  truncate:PATH  unlink:PATH (remove_file)  rmdir:PATH (remove_dir)
//   mkdir:PATH  mkfifo:PATH  mksock:PATH (bind a unix socket there)  symlink:PATH
//   mkchar:PATH mkblock:PATH (device nodes)  ioctl:PATH (TCGETS on the opened file: ENOTTY
//   means the kernel let the ioctl through)  unix:PATH (connect to a pathname unix socket)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char* err_name(int e) {
    switch (e) {
        case 0: return "ok";
        case EACCES: return "EACCES";
        case EPERM: return "EPERM";
        case ENOENT: return "ENOENT";
        case EXDEV: return "EXDEV";
        case ECONNREFUSED: return "ECONNREFUSED";
        case EADDRINUSE: return "EADDRINUSE";
        case ESRCH: return "ESRCH";
        default: return strerrorname_np(e) ? strerrorname_np(e) : "E?";
    }
}

static int result(int rc) { return rc < 0 ? errno : 0; }

static int tcp(int port, int do_bind) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return errno;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = do_bind ? bind(s, (struct sockaddr*)&a, sizeof a) : connect(s, (struct sockaddr*)&a, sizeof a);
    int e = result(rc);
    close(s);
    return e;
}

static int abstract(const char* name, int do_listen) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0) return errno;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t n = strlen(name);
    memcpy(a.sun_path + 1, name, n);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    int rc = do_listen ? bind(s, (struct sockaddr*)&a, len) : connect(s, (struct sockaddr*)&a, len);
    if (rc == 0 && do_listen) {
        listen(s, 1);
        return 0;  // kept open for the rest of the run
    }
    int e = result(rc);
    close(s);
    return e;
}

static int unix_path(const char* path, int do_bind) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0) return errno;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    int rc = do_bind ? bind(s, (struct sockaddr*)&a, sizeof a) : connect(s, (struct sockaddr*)&a, sizeof a);
    int e = result(rc);
    close(s);
    return e;
}

static int list_dir(const char* path) {
    DIR* d = opendir(path);
    if (!d) return errno;
    errno = 0;
    while (readdir(d)) {}
    int e = errno;
    closedir(d);
    return e;
}

static int ioctl_on(const char* path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    struct termios t;
    int e = result(ioctl(fd, TCGETS, &t));
    close(fd);
    return e;
}

static int run(const char* path) {
    pid_t pid = fork();
    if (pid < 0) return errno;
    if (pid == 0) {
        char* argv[] = {(char*)path, NULL};
        execv(path, argv);
        _exit(100 + (errno & 0x3f));
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) >= 100) return WEXITSTATUS(st) - 100;
    return 0;
}

static int two(const char* arg, int (*fn)(const char*, const char*)) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", arg);
    char* comma = strchr(buf, ',');
    if (!comma) return EINVAL;
    *comma = 0;
    return result(fn(buf, comma + 1));
}

int main(int argc, char** argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; ++i) {
        char* op = argv[i];
        char* arg = strchr(op, ':');
        if (!arg) continue;
        *arg++ = 0;
        int e = EINVAL;
        if (!strcmp(op, "read")) {
            int fd = open(arg, O_RDONLY | O_CLOEXEC);
            e = result(fd);
            char c;
            if (fd >= 0 && read(fd, &c, 1) < 0) e = errno;
            if (fd >= 0) close(fd);
        } else if (!strcmp(op, "write")) {
            int fd = open(arg, O_WRONLY | O_APPEND | O_CLOEXEC);
            e = result(fd);
            if (fd >= 0) close(fd);
        } else if (!strcmp(op, "create")) {
            int fd = open(arg, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            e = result(fd);
            if (fd >= 0) close(fd);
        } else if (!strcmp(op, "exec")) {
            e = run(arg);
        } else if (!strcmp(op, "connect")) {
            e = tcp(atoi(arg), 0);
        } else if (!strcmp(op, "bind")) {
            e = tcp(atoi(arg), 1);
        } else if (!strcmp(op, "kill")) {
            e = result(kill(atoi(arg), SIGKILL));
        } else if (!strcmp(op, "abstract")) {
            e = abstract(arg, 0);
        } else if (!strcmp(op, "listen_abstract")) {
            e = abstract(arg, 1);
        } else if (!strcmp(op, "link")) {
            e = two(arg, link);
        } else if (!strcmp(op, "rename")) {
            e = two(arg, rename);
        } else if (!strcmp(op, "reopen")) {
            int p = open(arg, O_PATH | O_CLOEXEC);
            e = result(p);
            if (p >= 0) {
                char proc[64];
                snprintf(proc, sizeof proc, "/proc/self/fd/%d", p);
                int fd = open(proc, O_RDONLY | O_CLOEXEC);
                e = result(fd);
                if (fd >= 0) close(fd);
                close(p);
            }
        } else if (!strcmp(op, "list")) {
            e = list_dir(arg);
        } else if (!strcmp(op, "truncate")) {
            e = result(truncate(arg, 0));
        } else if (!strcmp(op, "unlink")) {
            e = result(unlink(arg));
        } else if (!strcmp(op, "rmdir")) {
            e = result(rmdir(arg));
        } else if (!strcmp(op, "mkdir")) {
            e = result(mkdir(arg, 0700));
        } else if (!strcmp(op, "mkfifo")) {
            e = result(mkfifo(arg, 0600));
        } else if (!strcmp(op, "mksock")) {
            e = unix_path(arg, 1);
        } else if (!strcmp(op, "symlink")) {
            e = result(symlink("target", arg));
        } else if (!strcmp(op, "mkchar")) {
            e = result(mknod(arg, S_IFCHR | 0600, makedev(1, 3)));
        } else if (!strcmp(op, "mkblock")) {
            e = result(mknod(arg, S_IFBLK | 0600, makedev(7, 0)));
        } else if (!strcmp(op, "ioctl")) {
            e = ioctl_on(arg);
        } else if (!strcmp(op, "unix")) {
            e = unix_path(arg, 0);
        } else if (!strcmp(op, "sleep")) {
            struct timespec ts = {atoi(arg) / 1000, (atoi(arg) % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            e = 0;
        }
        printf("%s %s=%s\n", op, arg, err_name(e));
    }
    return 0;
}
