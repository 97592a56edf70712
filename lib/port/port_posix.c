/* What every fd-backed transport shares on a POSIX system: the clock, and
 * reading and writing a file descriptor with a timeout.  The transports
 * (port_serial.c, port_tcp.c, port_rfc2217.c) call these; nothing here
 * calls a transport. */
#include "port.h"
#include "port_impl.h"

#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

void port_sleep_ms(unsigned ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

uint64_t port_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int port_fd_read(int fd, void *buf, size_t len, int timeout_ms, const char *name,
                 struct err *e)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    for (;;) {
        int r = poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return err_sys(e, "%s: poll", name);
        if (r == 0)
            return 0;
        ssize_t n = read(fd, buf, len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return err_sys(e, "%s: read", name);
        if (n == 0)
            return err_set(e, "%s: the other end closed the connection", name);
        return (int)n;
    }
}

int port_fd_write(int fd, const void *buf, size_t len, const char *name, struct err *e)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            /* Non-blocking fd with a full buffer: wait until writable (10 s,
             * esptool's write timeout). */
            struct pollfd pfd = { .fd = fd, .events = POLLOUT };
            int r = poll(&pfd, 1, 10000);
            if (r == 0)
                return err_set(e, "%s: write timed out after 10 s", name);
            continue;
        }
        if (n < 0)
            return err_sys(e, "%s: write", name);
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
