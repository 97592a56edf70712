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
#include <termios.h>
#include <unistd.h>

struct serial_port {
    struct port base;
    int fd;
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
    close(s->fd);
    free(s);
}

static const struct port_ops serial_ops = {
    ser_read, ser_write, ser_set_baud, ser_set_lines, ser_close,
};

struct port *port_serial_open(const char *path, uint32_t baud, struct err *e)
{
    /* O_NONBLOCK: open must not wait for carrier; reads go through poll. */
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            err_set(e, "%s: no such serial port", path);
        else if (errno == EACCES)
            err_set(e, "%s: permission denied (add yourself to the dialout group?)", path);
        else
            err_sys(e, "%s: cannot open", path);
        return NULL;
    }
    if (!isatty(fd)) {
        close(fd);
        err_set(e, "%s: not a serial port", path);
        return NULL;
    }
    /* Like pyserial's exclusive=True: a second flasher on the same port
     * garbles both transfers. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        close(fd);
        err_set(e, "%s: port is busy (another program has it open)", path);
        return NULL;
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

void port_expand_name(const char *name, char *out, size_t cap)
{
    const char *fmt = NULL;
    if (name[0] == 'u') fmt = "/dev/ttyUSB%s";
    else if (name[0] == 'a') fmt = "/dev/ttyACM%s";
    else if (name[0] == 'c') fmt = "COM%s";
    bool digits = name[0] && name[1];
    for (const char *q = name + 1; *name && *q; q++)
        if (!isdigit((unsigned char)*q))
            digits = false;
    if (fmt && digits)
        snprintf(out, cap, fmt, name + 1);
    else
        snprintf(out, cap, "%s", name);
}

int port_is_usb_jtag(uint16_t vid, uint16_t pid)
{
    return vid == 0x303A && pid == 0x1001;
}

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

static const char *known_bridge(uint16_t vid, uint16_t pid)
{
    if (vid == 0x303A)
        return pid == 0x1001 ? "Espressif USB-Serial/JTAG" : "Espressif USB";
    if (vid == 0x10C4)
        return "CP210x";
    if (vid == 0x1A86)
        return pid == 0x55D4 ? "CH9102" : "CH340";
    if (vid == 0x0403)
        return "FTDI";
    return NULL;
}

static int cmp_cand(const void *a, const void *b)
{
    return strcmp(((const struct port_candidate *)a)->path,
                  ((const struct port_candidate *)b)->path);
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
        const char *what = known_bridge(c.vid, c.pid);
        if (!what)
            continue;
        snprintf(c.what, sizeof c.what, "%s", what);
        out[n++] = c;
    }
    closedir(d);
    qsort(out, (size_t)n, sizeof *out, cmp_cand);
    return n;
}
