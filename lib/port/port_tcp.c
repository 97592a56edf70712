/* socket://HOST:PORT - a raw TCP byte stream (a serial server such as
 * ser2net in raw mode, or espemu --tcp).  There are no modem lines and no
 * baud control: the server's side decides both, so has_lines is false and
 * set_baud only records the number. */
#include "port.h"
#include "port_impl.h"
#include "port_sock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tcp_port {
    struct port base;
    int fd;
};

/* connect() with a deadline.  Without one, a server that does not accept
 * (its listen queue full: QEMU's serial socket while the emulated chip does
 * not read its UART) or a host that drops SYNs blocks us for the kernel's
 * ~2 minutes of SYN retries.  pyserial's socket:// gives up after 5 s. */
static int connect_within(int fd, const struct sockaddr *sa, size_t len, int timeout_ms)
{
    int rc = sock_set_nonblock(fd) ? -1 : sock_connect(fd, sa, len);
    if (rc <= 0)
        return rc;
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    uint64_t end = port_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        uint64_t now = port_now_ms();
        int r = sock_poll(&p, 1, now >= end ? 0 : (int)(end - now));
        if (r > 0)
            break;
        if (r == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (errno != EINTR)
            return -1;
    }
    int soerr = sock_error(fd);
    if (soerr) {
        errno = soerr;
        return -1;
    }
    return 0;
}

int port_tcp_connect(const char *hostport, struct err *e)
{
    return port_tcp_connect_ms(hostport, PORT_TCP_CONNECT_MS, e);
}

int port_tcp_connect_ms(const char *hostport, int timeout_ms, struct err *e)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport || !colon[1] || (size_t)(colon - hostport) >= sizeof host)
        return err_set(e, "%s: expected HOST:PORT", hostport);
    size_t hl = (size_t)(colon - hostport);
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    /* [::1]:port */
    if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    char service[32];
    snprintf(service, sizeof service, "%s", colon + 1);
    char *q = strchr(service, '?');     /* pyserial-style options are ignored */
    if (q)
        *q = '\0';

    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res;
    if (sock_startup())
        return err_sys(e, "%s: cannot start the network", hostport);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0)
        return err_set(e, "%s: %s", hostport, gai_strerror(rc));
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = sock_open(ai);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (connect_within(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms) == 0)
            break;
        saved = errno;
        sock_close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (saved == ETIMEDOUT)
            return err_set(e, "%s: cannot connect: no answer within %.1f s (is the server "
                              "accepting connections?)", hostport, timeout_ms / 1000.0);
        errno = saved;
        return err_sys(e, "%s: cannot connect", hostport);
    }
    sock_set_nodelay(fd);
    return fd;
}

int port_tcp_read(int fd, void *buf, size_t len, int timeout_ms, const char *name,
                  struct err *e)
{
    int n = port_fd_read(fd, buf, len, timeout_ms, name, e);
    if (n > 0) {
        /* Acknowledge at once.  A server that leaves Nagle on (ser2net)
         * holds back the rest of a reply until our ACK, which Linux delays
         * by up to 40 ms: that on every request/response round trip. */
        sock_quickack(fd);
    }
    return n;
}

static int tcp_read(struct port *p, void *buf, size_t len, int timeout_ms, struct err *e)
{
    return port_tcp_read(((struct tcp_port *)p)->fd, buf, len, timeout_ms, p->name, e);
}

static int tcp_write(struct port *p, const void *buf, size_t len, struct err *e)
{
    return port_fd_write(((struct tcp_port *)p)->fd, buf, len, p->name, e);
}

static int tcp_set_baud(struct port *p, uint32_t baud, struct err *e)
{
    (void)e;
    p->baud = baud;
    return 0;
}

static int tcp_set_lines(struct port *p, bool dtr, bool rts, struct err *e)
{
    (void)p, (void)dtr, (void)rts, (void)e;
    return 0;
}

static void tcp_close(struct port *p)
{
    sock_close(((struct tcp_port *)p)->fd);
    free(p);
}

static const struct port_ops tcp_ops = {
    tcp_read, tcp_write, tcp_set_baud, tcp_set_lines, tcp_close,
};

struct port *port_tcp_open(const char *hostport, uint32_t baud, struct err *e)
{
    int fd = port_tcp_connect(hostport, e);
    if (fd < 0) {
        err_prefix(e, "socket://");
        return NULL;
    }
    struct tcp_port *t = calloc(1, sizeof *t);
    if (!t) {
        sock_close(fd);
        err_set(e, "out of memory");
        return NULL;
    }
    t->fd = fd;
    t->base.ops = &tcp_ops;
    t->base.has_lines = false;
    t->base.baud = baud;
    snprintf(t->base.name, sizeof t->base.name, "socket://%s", hostport);
    return &t->base;
}
