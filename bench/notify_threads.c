/* Scaling of the notification path: T threads call getppid() (notified) in a loop for S
 * seconds, all at once. Prints the calls per second of all threads together and the CPU time
 * the supervisor (this process's parent: vigil or the raw C supervisor) used meanwhile, read
 * from /proc/PPID/stat before and after (all its threads).
 * usage: notify_threads THREADS SECONDS
 * output: threads=T calls=N calls_per_s=R supervisor_cpu_pct=P supervisor_us_per_call=U */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_int go;
static atomic_int stop;
static atomic_long total;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* utime + stime of process PID, in seconds (getppid() itself is notified: the parent's pid
 * comes from /proc/self/stat). */
static double cpu_of(long pid) {
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE* f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char* p = strrchr(buf, ')');
    if (!p) return -1;
    unsigned long long ut = 0, st = 0;
    /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long parent_pid(void) {
    char buf[512];
    FILE* f = fopen("/proc/self/stat", "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char* p = strrchr(buf, ')');
    long ppid = -1;
    if (p) sscanf(p + 2, "%*c %ld", &ppid);
    return ppid;
}

static void* worker(void* arg) {
    (void)arg;
    while (!atomic_load(&go)) {}
    long n = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        syscall(SYS_getppid);
        ++n;
    }
    atomic_fetch_add(&total, n);
    return NULL;
}

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: notify_threads THREADS SECONDS\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    double seconds = atof(argv[2]);
    if (threads < 1 || threads > 1024 || seconds <= 0) return 2;
    for (int i = 0; i < 1000; ++i) syscall(SYS_getppid); /* warm up */
    long ppid = parent_pid();
    pthread_t* t = calloc((size_t)threads, sizeof *t);
    for (int i = 0; i < threads; ++i) pthread_create(&t[i], NULL, worker, NULL);
    double cpu0 = cpu_of(ppid), t0 = now_s();
    atomic_store(&go, 1);
    struct timespec d = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&d, NULL);
    atomic_store(&stop, 1);
    double t1 = now_s();
    for (int i = 0; i < threads; ++i) pthread_join(t[i], NULL);
    double cpu1 = cpu_of(ppid);
    long calls = atomic_load(&total);
    double cpu = cpu1 - cpu0;
    printf("threads=%d calls=%ld calls_per_s=%.0f supervisor_cpu_pct=%.0f supervisor_us_per_call=%.2f\n",
           threads, calls, (double)calls / (t1 - t0), 100.0 * cpu / (t1 - t0),
           calls ? cpu * 1e6 / (double)calls : 0.0);
    return 0;
}
