/* Test app for the notify integration tests and benchmark. One line of output per step:
 *   notify_probe connect PORT...      connect to 127.0.0.1:PORT, print "connect PORT ok|ERRNO"
 *   notify_probe exec PATH            execv PATH, print "exec PATH ERRNO" if it returns
 *   notify_probe repeat-connect PORT  connect every 50 ms forever, printing each result
 *   notify_probe bench N              N getppid() calls: median/p99 round trip (ns) and calls/s
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char* err_name(int e) {
    const char* n = strerrorname_np(e);
    return n ? n : "?";
}

static void do_connect(const char* port_text) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(port_text));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr*)&a, sizeof a) == 0)
        printf("connect %s ok\n", port_text);
    else
        printf("connect %s %s\n", port_text, err_name(errno));
    fflush(stdout);
    close(s);
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp_ll(const void* a, const void* b) {
    long long x = *(const long long*)a, y = *(const long long*)b;
    return (x > y) - (x < y);
}

static int bench(long n) {
    long long* lat = malloc(sizeof(long long) * (size_t)n);
    if (!lat) return 1;
    for (long i = 0; i < 1000; ++i) syscall(SYS_getppid);  /* warm up */
    long long start = now_ns();
    for (long i = 0; i < n; ++i) {
        long long t0 = now_ns();
        syscall(SYS_getppid);
        lat[i] = now_ns() - t0;
    }
    long long total = now_ns() - start;
    qsort(lat, (size_t)n, sizeof *lat, cmp_ll);
    printf("calls=%ld median_ns=%lld p99_ns=%lld calls_per_s=%.0f\n", n, lat[n / 2],
           lat[(n * 99) / 100], (double)n * 1e9 / (double)total);
    free(lat);
    return 0;
}

int main(int argc, char** argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && strcmp(argv[1], "connect") == 0) {
        for (int i = 2; i < argc; ++i) do_connect(argv[i]);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "exec") == 0) {
        char* args[] = {argv[2], NULL};
        execv(argv[2], args);
        printf("exec %s %s\n", argv[2], err_name(errno));
        return 1;
    }
    if (argc == 3 && strcmp(argv[1], "repeat-connect") == 0) {
        for (;;) {
            do_connect(argv[2]);
            usleep(50000);
        }
    }
    if (argc == 3 && strcmp(argv[1], "bench") == 0) return bench(atol(argv[2]));
    fprintf(stderr, "usage: notify_probe connect PORT... | exec PATH | repeat-connect PORT | bench N\n");
    return 2;
}
