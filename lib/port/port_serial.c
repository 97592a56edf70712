/* Serial ports on Linux through termios directly.
 *
 * Why no serial library: it would be an extra dependency for ~200 lines, and
 * we need full control of exactly the three things that matter here:
 * arbitrary baud rates (termios2/BOTHER, port_serial_baud.c), the modem
 * lines set atomically (TIOCMSET, for the "unix tight" reset) and read
 * timeouts (poll), plus a clean answer when a port has no modem lines at all
 * (a pty or a socat link): has_lines = false and the loader skips resets.
 * Everything OS-specific stays in this file so macOS/Windows ports can be
 * added beside it. */
#include "port.h"
#include "port_impl.h"
#include "port_serial.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

struct serial_port {
    struct port base;
    int fd;
    bool excl;   /* TIOCEXCL set: cleared again at close */
};

static int ser_read(struct port *p, void *buf, size_t len, int timeout_ms, struct err *e)
{
    struct serial_port *s = (struct serial_port *)p;
    return port_fd_read(s->fd, buf, len, timeout_ms, p->name, e);
}

static int ser_write(struct port *p, const void *buf, size_t len, struct err *e)
{
    struct serial_port *s = (struct serial_port *)p;
    return port_fd_write(s->fd, buf, len, p->name, e);
}

/* Classic Bxxx constant for the rare system without termios2. */
static speed_t std_speed(uint32_t baud)
{
    switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    default: return 0;
    }
}

static int ser_set_baud(struct port *p, uint32_t baud, struct err *e)
{
    struct serial_port *s = (struct serial_port *)p;
    if (port_serial_set_baud_any(s->fd, baud) != 0) {
        speed_t sp = std_speed(baud);
        struct termios t;
        if (!sp)
            return err_sys(e, "%s: cannot set %u baud", p->name, (unsigned)baud);
        if (tcgetattr(s->fd, &t) != 0 || cfsetispeed(&t, sp) != 0 ||
            cfsetospeed(&t, sp) != 0 || tcsetattr(s->fd, TCSANOW, &t) != 0)
            return err_sys(e, "%s: cannot set %u baud", p->name, (unsigned)baud);
    }
    p->baud = baud;
    return 0;
}

static int ser_set_lines(struct port *p, bool dtr, bool rts, struct err *e)
{
    struct serial_port *s = (struct serial_port *)p;
    if (!p->has_lines)
        return 0;
    int bits;
    if (ioctl(s->fd, TIOCMGET, &bits) != 0)
        return err_sys(e, "%s: reading modem lines", p->name);
    bits &= ~(TIOCM_DTR | TIOCM_RTS);
    if (dtr)
        bits |= TIOCM_DTR;
    if (rts)
        bits |= TIOCM_RTS;
    /* One TIOCMSET changes both lines at once (the unix-tight reset relies
     * on never passing through an unwanted combination). */
    if (ioctl(s->fd, TIOCMSET, &bits) != 0)
        return err_sys(e, "%s: setting DTR/RTS", p->name);
    return 0;
}

static void ser_close(struct port *p)
{
    struct serial_port *s = (struct serial_port *)p;
    if (s->excl)
        ioctl(s->fd, TIOCNXCL);
    close(s->fd);
    free(s);
}

static const struct port_ops serial_ops = {
    ser_read, ser_write, ser_set_baud, ser_set_lines, ser_close,
};

/* ---- who holds a busy port ---- */

/* Has process `pid` the character device `rdev` open?  Only descriptors
 * that name something in /dev are stat'ed (a stat can hang on a network
 * file). */
static bool pid_holds(const char *pid, dev_t rdev)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%.20s/fd", pid);
    DIR *d = opendir(dir);
    if (!d)
        return false;   /* gone, or another user's without root */
    bool yes = false;
    for (struct dirent *de; !yes && (de = readdir(d));) {
        char fd[96], target[64];
        snprintf(fd, sizeof fd, "%s/%.20s", dir, de->d_name);
        ssize_t n = readlink(fd, target, sizeof target - 1);
        struct stat st;
        yes = n > 5 && !strncmp(target, "/dev/", 5) && stat(fd, &st) == 0 &&
              S_ISCHR(st.st_mode) && st.st_rdev == rdev;
    }
    closedir(d);
    return yes;
}

static void command_name(const char *pid, char *out, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%.20s/comm", pid);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(out, (int)cap, f))
        snprintf(out, cap, "?");
    if (f)
        fclose(f);
    out[strcspn(out, "\n")] = '\0';
}

/* "PID 1234 (screen)" for up to three other processes that hold the
 * device open, "" when none can be seen. */
static void port_holders(dev_t rdev, char *out, size_t cap)
{
    out[0] = '\0';
    DIR *proc = opendir("/proc");
    if (!proc)
        return;
    char self[24];
    snprintf(self, sizeof self, "%ld", (long)getpid());
    int found = 0;
    for (struct dirent *de; found < 3 && (de = readdir(proc));) {
        if (!isdigit((unsigned char)de->d_name[0]) || !strcmp(de->d_name, self) ||
            !pid_holds(de->d_name, rdev))
            continue;
        char comm[32];
        command_name(de->d_name, comm, sizeof comm);
        size_t k = strlen(out);
        snprintf(out + k, cap - k, "%sPID %.20s (%.31s)", found++ ? ", " : "", de->d_name, comm);
    }
    closedir(proc);
}

static struct port *port_busy(const char *path, struct err *e)
{
    struct stat st;
    char who[256] = "";
    if (stat(path, &st) == 0 && S_ISCHR(st.st_mode))
        port_holders(st.st_rdev, who, sizeof who);
    if (who[0])
        err_set(e, "%s: port is busy, held by %s", path, who);
    else
        err_set(e, "%s: port is busy (held by a program this user cannot see)", path);
    return NULL;
}

/* ---- opening ---- */

/* Unix98 pty slaves (major 136-143).  A pty keeps TIOCEXCL after its last
 * slave closes for as long as the master (espemu) lives, so a killed run
 * would lock every later one out: a pty gets the flock only. */
static bool is_pty_slave(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && major(st.st_rdev) >= 136 && major(st.st_rdev) <= 143;
}

/* Two flashers on one port garble both transfers.  flock, as pyserial's
 * exclusive=True, keeps out every program that asks (this one, esptool.py);
 * TIOCEXCL (set once the port is ours, cleared at close) makes the kernel
 * refuse any further open (EBUSY) to all but root, also to programs that
 * do not ask (screen, minicom). */
static bool set_exclusive(int fd)
{
    return !is_pty_slave(fd) && ioctl(fd, TIOCEXCL) == 0;
}

struct port *port_serial_open(const char *path, uint32_t baud, struct err *e)
{
    /* O_NONBLOCK: open must not wait for carrier; reads go through poll. */
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            err_set(e, "%s: no such serial port", path);
        else if (errno == EACCES)
            err_set(e, "%s: permission denied (add yourself to the dialout group?)", path);
        else if (errno == EBUSY)
            port_busy(path, e);
        else
            err_sys(e, "%s: cannot open", path);
        return NULL;
    }
    if (!isatty(fd)) {
        close(fd);
        err_set(e, "%s: not a serial port", path);
        return NULL;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        close(fd);
        return port_busy(path, e);
    }
    struct termios t;
    if (tcgetattr(fd, &t) != 0) {
        err_sys(e, "%s: not a serial port", path);
        close(fd);
        return NULL;
    }
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CRTSCTS);
    t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSANOW, &t) != 0) {
        err_sys(e, "%s: configuring the port", path);
        close(fd);
        return NULL;
    }
    struct serial_port *s = calloc(1, sizeof *s);
    if (!s) {
        close(fd);
        err_set(e, "%s: out of memory", path);
        return NULL;
    }
    s->fd = fd;
    s->excl = set_exclusive(fd);
    s->base.ops = &serial_ops;
    snprintf(s->base.name, sizeof s->base.name, "%s", path);
    int bits;
    s->base.has_lines = ioctl(fd, TIOCMGET, &bits) == 0;
    if (ser_set_baud(&s->base, baud, e) != 0) {
        ser_close(&s->base);
        return NULL;
    }
    tcflush(fd, TCIOFLUSH);
    return &s->base;
}

/* ---- names and discovery ---- */

static int read_hex_file(const char *path, uint16_t *v)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    unsigned x;
    int ok = fscanf(f, "%x", &x) == 1;
    fclose(f);
    if (!ok)
        return -1;
    *v = (uint16_t)x;
    return 0;
}

int port_usb_ids(const char *path, uint16_t *vid, uint16_t *pid)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char link[PATH_MAX], real[PATH_MAX];
    snprintf(link, sizeof link, "/sys/class/tty/%s/device", base);
    if (!realpath(link, real))
        return -1;
    /* Walk up from the interface to the USB device that has idVendor. */
    for (int depth = 0; depth < 6; depth++) {
        char f[PATH_MAX + 16];
        snprintf(f, sizeof f, "%s/idVendor", real);
        if (read_hex_file(f, vid) == 0) {
            snprintf(f, sizeof f, "%s/idProduct", real);
            return read_hex_file(f, pid);
        }
        char *slash = strrchr(real, '/');
        if (!slash || slash == real)
            break;
        *slash = '\0';
    }
    return -1;
}

int port_find_candidates(struct port_candidate *out, int max)
{
    DIR *d = opendir("/sys/class/tty");
    if (!d)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < max) {
        if (strncmp(de->d_name, "ttyUSB", 6) != 0 && strncmp(de->d_name, "ttyACM", 6) != 0)
            continue;
        struct port_candidate c;
        memset(&c, 0, sizeof c);
        snprintf(c.path, sizeof c.path, "/dev/%.50s", de->d_name);
        if (port_usb_ids(c.path, &c.vid, &c.pid) != 0)
            continue;
        const char *what = port_known_bridge(c.vid, c.pid);
        if (!what)
            continue;
        snprintf(c.what, sizeof c.what, "%s", what);
        out[n++] = c;
    }
    closedir(d);
    port_sort_candidates(out, n);
    return n;
}
