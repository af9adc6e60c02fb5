// tty_inject_probe: tries, as an attacker inside the app would, to inject input into a
// terminal. It makes a new session, opens a fresh pty whose slave becomes its controlling
// terminal (so the kernel itself would permit TIOCSTI), then prints one line per attempt:
//   "NAME ok" or "NAME errno=E"
// for TIOCSTI (also with the request's upper 32 bits set, which the kernel ignores),
// TIOCLINUX, and TIOCGWINSZ as a control that must still work. Exit 0 when every line printed.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

static void report(const char* name, long rc) {
    if (rc < 0) printf("%s errno=%d\n", name, errno);
    else printf("%s ok\n", name);
    fflush(stdout);
}

int main(void) {
    if (setsid() < 0 && errno != EPERM) {  // EPERM: already a session leader
        perror("setsid");
        return 2;
    }
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
        perror("posix_openpt");
        return 2;
    }
    const char* name = ptsname(master);
    int slave = name ? open(name, O_RDWR) : -1;  // no O_NOCTTY: it becomes our terminal
    if (slave < 0) {
        perror("open pty slave");
        return 2;
    }
    char c = 'x';
    report("TIOCSTI", syscall(SYS_ioctl, slave, (unsigned long)TIOCSTI, &c));
    report("TIOCSTI-high", syscall(SYS_ioctl, slave, 0x100000000ul | TIOCSTI, &c));
    char sub = 2;  // TIOCL_SETSEL's neighbour: any subcode reaches the same check
    report("TIOCLINUX", syscall(SYS_ioctl, slave, (unsigned long)TIOCLINUX, &sub));
    struct winsize ws;
    report("TIOCGWINSZ", syscall(SYS_ioctl, slave, (unsigned long)TIOCGWINSZ, &ws));
    return 0;
}
