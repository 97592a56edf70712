/* What the transports share on a POSIX system: the clock, and the socket
 * calls of port_sock.h (port_win32.c has them for Windows).  The
 * transports (port_serial.c, port_tcp.c, port_rfc2217.c) call these;
 * nothing here calls a transport. */
/* accept4 */
#define _GNU_SOURCE
#include "port.h"
#include "port_impl.h"
#include "port_sock.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
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

int sock_startup(void)
{
    return 0;
}

int sock_open(const struct addrinfo *ai)
{
    return socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
}

int sock_accept(int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0)
        sock_set_nodelay(fd);
    return fd;
}

int sock_close(int fd)
{
    return close(fd);
}

int sock_set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void sock_set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int sock_listen(const struct addrinfo *ai, int backlog)
{
    int fd = sock_open(ai), one = 1;
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, backlog) != 0 ||
        sock_set_nonblock(fd) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

void sock_quickack(int fd)
{
#ifdef TCP_QUICKACK
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#else
    (void)fd;
#endif
}

int sock_connect(int fd, const struct sockaddr *sa, size_t len)
{
    if (connect(fd, sa, (socklen_t)len) == 0)
        return 0;
    return errno == EINPROGRESS ? 1 : -1;
}

int sock_error(int fd)
{
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        return errno;
    return soerr;
}

int sock_poll(struct pollfd *p, unsigned n, int timeout_ms)
{
    return poll(p, n, timeout_ms);
}

ssize_t sock_read(int fd, void *buf, size_t len)
{
    return read(fd, buf, len);
}

ssize_t sock_write(int fd, const void *buf, size_t len)
{
    return write(fd, buf, len);
}
