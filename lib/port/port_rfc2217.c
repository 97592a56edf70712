/* rfc2217://HOST:PORT - a serial port behind a Telnet server that speaks
 * RFC 2217 COM-PORT-OPTION (ser2net, esp_rfc2217_server, espemu --rfc2217).
 *
 * Telnet (RFC 854) framing on the byte stream:
 *   IAC (0xFF) starts a command; a data byte 0xFF is sent as IAC IAC, both ways.
 *   IAC WILL/WONT/DO/DONT <opt>     option negotiation
 *   IAC SB <opt> <bytes...> IAC SE  subnegotiation (0xFF inside doubled too)
 * We offer and accept BINARY (0), SUPPRESS-GO-AHEAD (3) and COM-PORT-OPTION
 * (44), and refuse everything else.  Port control goes as
 *   IAC SB 44 <cmd> <value> IAC SE
 * with SET-BAUDRATE (1, u32 big-endian), SET-DATASIZE (2), SET-PARITY (3),
 * SET-STOPSIZE (4) and SET-CONTROL (5: 1 no flow control, 8/9 DTR on/off,
 * 11/12 RTS on/off).  The server answers each with cmd + 100; we do not
 * wait for those acks (order on the TCP stream is what matters, as with
 * pyserial's ign_set_control) but consume them while reading. */
#include "port.h"
#include "port_impl.h"
#include "port_sock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    T_SE = 240, T_SB = 250, T_WILL = 251, T_WONT = 252, T_DO = 253, T_DONT = 254, T_IAC = 255,
    OPT_BINARY = 0, OPT_SGA = 3, OPT_COMPORT = 44,
    CPO_SET_BAUDRATE = 1, CPO_SET_DATASIZE = 2, CPO_SET_PARITY = 3, CPO_SET_STOPSIZE = 4,
    CPO_SET_CONTROL = 5, CPO_SERVER_OFFSET = 100,
    CTL_NO_FLOW = 1, CTL_DTR_ON = 8, CTL_DTR_OFF = 9, CTL_RTS_ON = 11, CTL_RTS_OFF = 12,
};

enum tstate { TS_DATA, TS_IAC, TS_OPT, TS_SB, TS_SB_IAC };

struct rfc_port {
    struct port base;
    int fd;
    enum tstate st;
    uint8_t opt_cmd;
    uint8_t sb[64];
    size_t sb_len;
    bool we[256], they[256];    /* option state: we WILL / they WILL */
    unsigned acks;              /* COM-PORT-OPTION server replies seen */
    bool comport_ok;            /* server agreed to COM-PORT-OPTION */
};

static bool wanted(uint8_t opt)
{
    return opt == OPT_BINARY || opt == OPT_SGA || opt == OPT_COMPORT;
}

static int send_raw(struct rfc_port *r, const uint8_t *b, size_t n, struct err *e)
{
    return port_fd_write(r->fd, b, n, r->base.name, e);
}

static int send_neg(struct rfc_port *r, uint8_t cmd, uint8_t opt, struct err *e)
{
    uint8_t b[3] = { T_IAC, cmd, opt };
    return send_raw(r, b, 3, e);
}

/* IAC SB 44 cmd value... IAC SE, with 0xFF in the value doubled. */
static int send_cpo(struct rfc_port *r, uint8_t cmd, const uint8_t *val, size_t n,
                    struct err *e)
{
    uint8_t b[32];
    size_t k = 0;
    b[k++] = T_IAC, b[k++] = T_SB, b[k++] = OPT_COMPORT, b[k++] = cmd;
    for (size_t i = 0; i < n && k < sizeof b - 4; i++) {
        b[k++] = val[i];
        if (val[i] == T_IAC)
            b[k++] = T_IAC;
    }
    b[k++] = T_IAC, b[k++] = T_SE;
    return send_raw(r, b, k, e);
}

static int negotiate(struct rfc_port *r, uint8_t cmd, uint8_t opt, struct err *e)
{
    switch (cmd) {
    case T_DO:
        if (!wanted(opt))
            return send_neg(r, T_WONT, opt, e);
        if (opt == OPT_COMPORT)
            r->comport_ok = true;
        if (!r->we[opt]) {
            r->we[opt] = true;
            return send_neg(r, T_WILL, opt, e);
        }
        return 0;
    case T_DONT:
        if (r->we[opt]) {
            r->we[opt] = false;
            return send_neg(r, T_WONT, opt, e);
        }
        return 0;
    case T_WILL:
        if (!wanted(opt))
            return send_neg(r, T_DONT, opt, e);
        if (opt == OPT_COMPORT)
            r->comport_ok = true;
        if (!r->they[opt]) {
            r->they[opt] = true;
            return send_neg(r, T_DO, opt, e);
        }
        return 0;
    case T_WONT:
        if (r->they[opt]) {
            r->they[opt] = false;
            return send_neg(r, T_DONT, opt, e);
        }
        return 0;
    }
    return 0;
}

static void subneg(struct rfc_port *r)
{
    if (r->sb_len >= 2 && r->sb[0] == OPT_COMPORT && r->sb[1] >= CPO_SERVER_OFFSET)
        r->acks++;
}

/* Decode raw Telnet bytes in place; returns the number of data bytes. */
static int decode(struct rfc_port *r, uint8_t *buf, size_t n, struct err *e)
{
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = buf[i];
        switch (r->st) {
        case TS_DATA:
            if (b == T_IAC)
                r->st = TS_IAC;
            else
                buf[out++] = b;
            break;
        case TS_IAC:
            if (b == T_IAC) {
                buf[out++] = b;
                r->st = TS_DATA;
            } else if (b >= T_WILL) {
                r->opt_cmd = b;
                r->st = TS_OPT;
            } else if (b == T_SB) {
                r->sb_len = 0;
                r->st = TS_SB;
            } else {
                r->st = TS_DATA;   /* NOP, GA, ...: nothing to do */
            }
            break;
        case TS_OPT:
            r->st = TS_DATA;
            if (negotiate(r, r->opt_cmd, b, e) != 0)
                return -1;
            break;
        case TS_SB:
            if (b == T_IAC)
                r->st = TS_SB_IAC;
            else if (r->sb_len < sizeof r->sb)
                r->sb[r->sb_len++] = b;
            break;
        case TS_SB_IAC:
            if (b == T_SE) {
                subneg(r);
                r->st = TS_DATA;
            } else {
                if (b == T_IAC && r->sb_len < sizeof r->sb)
                    r->sb[r->sb_len++] = b;
                r->st = TS_SB;
            }
            break;
        }
    }
    return (int)out;
}

static int rfc_read(struct port *p, void *buf, size_t len, int timeout_ms, struct err *e)
{
    struct rfc_port *r = (struct rfc_port *)p;
    uint64_t deadline = port_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        uint64_t now = port_now_ms();
        int left = now >= deadline ? 0 : (int)(deadline - now);
        int n = port_tcp_read(r->fd, buf, len, left, p->name, e);
        if (n <= 0)
            return n;
        n = decode(r, buf, (size_t)n, e);
        if (n != 0)
            return n;
        if (left == 0)
            return 0;
    }
}

static int rfc_write(struct port *p, const void *buf, size_t len, struct err *e)
{
    struct rfc_port *r = (struct rfc_port *)p;
    const uint8_t *in = buf;
    uint8_t tmp[4096];
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        tmp[k++] = in[i];
        if (in[i] == T_IAC)
            tmp[k++] = T_IAC;
        if (k >= sizeof tmp - 2) {
            if (send_raw(r, tmp, k, e) != 0)
                return -1;
            k = 0;
        }
    }
    return k ? send_raw(r, tmp, k, e) : 0;
}

static int rfc_set_baud(struct port *p, uint32_t baud, struct err *e)
{
    struct rfc_port *r = (struct rfc_port *)p;
    uint8_t v[4] = { (uint8_t)(baud >> 24), (uint8_t)(baud >> 16), (uint8_t)(baud >> 8),
                     (uint8_t)baud };
    if (send_cpo(r, CPO_SET_BAUDRATE, v, 4, e) != 0)
        return -1;
    p->baud = baud;
    return 0;
}

static int rfc_set_lines(struct port *p, bool dtr, bool rts, struct err *e)
{
    struct rfc_port *r = (struct rfc_port *)p;
    uint8_t d = dtr ? CTL_DTR_ON : CTL_DTR_OFF, s = rts ? CTL_RTS_ON : CTL_RTS_OFF;
    if (send_cpo(r, CPO_SET_CONTROL, &d, 1, e) != 0)
        return -1;
    return send_cpo(r, CPO_SET_CONTROL, &s, 1, e);
}

static void rfc_close(struct port *p)
{
    sock_close(((struct rfc_port *)p)->fd);
    free(p);
}

static const struct port_ops rfc_ops = {
    rfc_read, rfc_write, rfc_set_baud, rfc_set_lines, rfc_close,
};

struct port *port_rfc2217_open(const char *hostport, uint32_t baud, struct err *e)
{
    int fd = port_tcp_connect(hostport, e);
    if (fd < 0) {
        err_prefix(e, "rfc2217://");
        return NULL;
    }
    char name[sizeof ((struct port *)0)->name];
    snprintf(name, sizeof name, "rfc2217://%s", hostport);
    return port_rfc2217_on_fd(fd, name, baud, e);
}

struct port *port_rfc2217_on_fd(int fd, const char *name, uint32_t baud, struct err *e)
{
    struct rfc_port *r = calloc(1, sizeof *r);
    if (!r) {
        sock_close(fd);
        err_set(e, "out of memory");
        return NULL;
    }
    r->fd = fd;
    r->base.ops = &rfc_ops;
    r->base.has_lines = true;
    snprintf(r->base.name, sizeof r->base.name, "%s", name);

    static const uint8_t hello[] = {
        T_IAC, T_WILL, OPT_BINARY, T_IAC, T_DO, OPT_BINARY,
        T_IAC, T_WILL, OPT_SGA, T_IAC, T_DO, OPT_SGA,
        T_IAC, T_WILL, OPT_COMPORT,
    };
    r->we[OPT_BINARY] = r->they[OPT_BINARY] = true;
    r->we[OPT_SGA] = r->they[OPT_SGA] = true;
    r->we[OPT_COMPORT] = true;
    if (send_raw(r, hello, sizeof hello, e) != 0)
        goto fail;
    /* Wait (up to 2 s) for the server to accept COM-PORT-OPTION; data that
     * arrives meanwhile is boot noise and may be dropped. */
    uint64_t deadline = port_now_ms() + 2000;
    while (!r->comport_ok && port_now_ms() < deadline) {
        uint8_t junk[256];
        if (rfc_read(&r->base, junk, sizeof junk, 50, e) < 0)
            goto fail;
    }
    if (!r->comport_ok) {
        err_set(e, "%s: the server does not speak RFC 2217 COM-PORT-OPTION", r->base.name);
        goto fail;
    }
    uint8_t one = 1, eight = 8, noflow = CTL_NO_FLOW;
    if (rfc_set_baud(&r->base, baud, e) != 0 ||
        send_cpo(r, CPO_SET_DATASIZE, &eight, 1, e) != 0 ||
        send_cpo(r, CPO_SET_PARITY, &one, 1, e) != 0 ||
        send_cpo(r, CPO_SET_STOPSIZE, &one, 1, e) != 0 ||
        send_cpo(r, CPO_SET_CONTROL, &noflow, 1, e) != 0)
        goto fail;
    return &r->base;
fail:
    rfc_close(&r->base);
    return NULL;
}
