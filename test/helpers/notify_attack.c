// What an attacker inside the app tries against vigil's notify decisions (test/integration/
// notify_attacks.sh). Each subcommand prints one line saying what it achieved.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char* err_name(int e) {
    const char* n = strerrorname_np(e);
    return n ? n : "E?";
}

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

// open PATH with the plain open syscall; on success says what the fd really is.
static int do_open(const char* path) {
    long fd = syscall(SYS_open, path, O_RDONLY);
    if (fd < 0) {
        printf("open %s\n", err_name(errno));
        return 0;
    }
    char link[64], target[4096] = {0};
    snprintf(link, sizeof link, "/proc/self/fd/%ld", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    printf("open ok %s (app pid %d)\n", n > 0 ? target : "?", getpid());
    return 0;
}

static int do_fastopen(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback(port);
    ssize_t r = sendto(s, "x", 1, MSG_FASTOPEN, (struct sockaddr*)&a, sizeof a);
    if (r < 0) printf("fastopen %d %s\n", port, err_name(errno));
    else printf("fastopen %d ok\n", port);
    return 0;
}

static int do_sendmmsg(int port) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = loopback(port);
    struct iovec iov[2] = {{"abc", 3}, {"defgh", 5}};
    struct mmsghdr m[2];
    memset(m, 0, sizeof m);
    for (int i = 0; i < 2; ++i) {
        m[i].msg_hdr.msg_name = &a;
        m[i].msg_hdr.msg_namelen = sizeof a;
        m[i].msg_hdr.msg_iov = &iov[i];
        m[i].msg_hdr.msg_iovlen = 1;
        m[i].msg_len = 999;
    }
    int r = sendmmsg(s, m, 2, 0);
    if (r < 0) printf("sendmmsg %d %s\n", port, err_name(errno));
    else printf("sendmmsg %d n=%d lens=%u,%u\n", port, r, m[0].msg_len, m[1].msg_len);
    return 0;
}

// The msg_name race: vigil reads msghdr.msg_name, another thread changes it before the kernel
// does. The socket is unconnected, so a datagram only leaves with the forbidden destination.
static struct msghdr race_msg;
static struct sockaddr_in race_dest;
static atomic_int race_stop;
static void* flip_name(void* arg) {
    (void)arg;
    while (!atomic_load(&race_stop)) {
        // Volatile stores: the compiler must not drop the first of two stores to one field.
        *(void* volatile*)&race_msg.msg_name = NULL;
        for (volatile int i = 0; i < 50; ++i) {}
        *(void* volatile*)&race_msg.msg_name = &race_dest;
        for (volatile int i = 0; i < 50; ++i) {}
    }
    return NULL;
}

static int do_sendmsg_race(int forbidden, double seconds) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    race_dest = loopback(forbidden);
    struct iovec iov = {"race", 4};
    race_msg.msg_namelen = sizeof race_dest;
    race_msg.msg_iov = &iov;
    race_msg.msg_iovlen = 1;
    pthread_t t;
    pthread_create(&t, NULL, flip_name, NULL);
    long sent = 0, tries = 0;
    double end = now_s() + seconds;
    while (now_s() < end) {
        ++tries;
        if (sendmsg(s, &race_msg, 0) >= 0) ++sent;
    }
    atomic_store(&race_stop, 1);
    pthread_join(t, NULL);
    printf("sendmsg-race sent=%ld tries=%ld\n", sent, tries);
    return 0;
}

// Making vigil's memory reads and socket copies fail (non-dumpable) while flipping the
// destination between an allowed and a forbidden port.
static struct sockaddr_in shared_dest;
static int allowed_port, forbidden_port;
static void* toggle_dumpable(void* arg) {
    (void)arg;
    while (!atomic_load(&race_stop)) {
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        for (volatile int i = 0; i < 200; ++i) {}
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        for (volatile int i = 0; i < 200; ++i) {}
    }
    return NULL;
}
static void* flip_port(void* arg) {
    (void)arg;
    while (!atomic_load(&race_stop)) {
        *(volatile in_port_t*)&shared_dest.sin_port = htons((unsigned short)allowed_port);
        for (volatile int i = 0; i < 50; ++i) {}
        *(volatile in_port_t*)&shared_dest.sin_port = htons((unsigned short)forbidden_port);
        for (volatile int i = 0; i < 50; ++i) {}
    }
    return NULL;
}

static int do_dumpable_race(int allowed, int forbidden, double seconds) {
    allowed_port = allowed;
    forbidden_port = forbidden;
    shared_dest = loopback(allowed);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, toggle_dumpable, NULL);
    pthread_create(&t2, NULL, flip_port, NULL);
    long ok_allowed = 0, ok_forbidden = 0, tries = 0;
    double end = now_s() + seconds;
    while (now_s() < end) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        ++tries;
        if (connect(s, (struct sockaddr*)&shared_dest, sizeof shared_dest) == 0) {
            struct sockaddr_in peer;
            socklen_t len = sizeof peer;
            if (getpeername(s, (struct sockaddr*)&peer, &len) == 0) {
                if (ntohs(peer.sin_port) == forbidden) ++ok_forbidden;
                else ++ok_allowed;
            }
        }
        close(s);
    }
    atomic_store(&race_stop, 1);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    printf("dumpable-race forbidden=%ld allowed=%ld tries=%ld\n", ok_forbidden, ok_allowed, tries);
    return 0;
}

// N threads connect to a unix socket nobody accepts on (they block); the process then exits
// with its calls still in vigil's hands.
static const char* many_path;
static atomic_int many_eagain, many_other;
static void* connect_one(void* arg) {
    (void)arg;
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {0};
    a.sun_family = AF_UNIX;
    strncpy(a.sun_path, many_path, sizeof a.sun_path - 1);
    if (connect(s, (struct sockaddr*)&a, sizeof a) < 0) {
        if (errno == EAGAIN) atomic_fetch_add(&many_eagain, 1);
        else atomic_fetch_add(&many_other, 1);
    }
    return NULL;
}

static int do_connect_many(const char* path, int n) {
    many_path = path;
    pthread_t t;
    for (int i = 0; i < n; ++i) pthread_create(&t, NULL, connect_one, NULL);
    usleep(1500 * 1000);
    printf("connect-many eagain=%d other=%d\n", atomic_load(&many_eagain), atomic_load(&many_other));
    fflush(stdout);
    _exit(0);  // exit_group with connects still pending
}

// Abstract unix name given as text with "\0" written as '~'.
static int do_abstract(const char* name) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {0};
    a.sun_family = AF_UNIX;
    size_t n = strlen(name);
    for (size_t i = 0; i < n; ++i) a.sun_path[1 + i] = name[i] == '~' ? '\0' : name[i];
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    if (connect(s, (struct sockaddr*)&a, len) < 0) printf("abstract %s %s\n", name, err_name(errno));
    else printf("abstract %s ok\n", name);
    return 0;
}

static int do_connect(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback(port);
    if (connect(s, (struct sockaddr*)&a, sizeof a) < 0) printf("connect %d %s\n", port, err_name(errno));
    else printf("connect %d ok\n", port);
    return 0;
}

int main(int argc, char** argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3 && !strcmp(argv[1], "open")) return do_open(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "fastopen")) return do_fastopen(atoi(argv[2]));
    if (argc == 3 && !strcmp(argv[1], "sendmmsg")) return do_sendmmsg(atoi(argv[2]));
    if (argc == 4 && !strcmp(argv[1], "sendmsg-race")) return do_sendmsg_race(atoi(argv[2]), atof(argv[3]));
    if (argc == 5 && !strcmp(argv[1], "dumpable-race"))
        return do_dumpable_race(atoi(argv[2]), atoi(argv[3]), atof(argv[4]));
    if (argc == 4 && !strcmp(argv[1], "connect-many")) return do_connect_many(argv[2], atoi(argv[3]));
    if (argc == 3 && !strcmp(argv[1], "abstract")) return do_abstract(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "connect")) return do_connect(atoi(argv[2]));
    fprintf(stderr, "usage: notify_attack open PATH | fastopen PORT | sendmmsg PORT | "
                    "sendmsg-race FORBIDDEN SECS | dumpable-race ALLOWED FORBIDDEN SECS | "
                    "connect-many PATH N | abstract NAME | connect PORT\n");
    return 2;
}
