/* Reading and writing a stream descriptor with a timeout: a serial device
 * on POSIX, a socket everywhere (through port_sock.h). */
#include "port.h"
#include "port_impl.h"
#include "port_sock.h"

#include <errno.h>

int port_fd_read(int fd, void *buf, size_t len, int timeout_ms, const char *name,
                 struct err *e)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    for (;;) {
        int r = sock_poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return err_sys(e, "%s: poll", name);
        if (r == 0)
            return 0;
        ssize_t n = sock_read(fd, buf, len);
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
        ssize_t n = sock_write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            /* Non-blocking fd with a full buffer: wait until writable (10 s,
             * esptool's write timeout). */
            struct pollfd pfd = { .fd = fd, .events = POLLOUT };
            int r = sock_poll(&pfd, 1, 10000);
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
