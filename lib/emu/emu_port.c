/* The emulator behind the port interface, in the same process: what the
 * loader writes goes straight into the chip, what the chip sends is read
 * back.  For unit tests of the loader against the emulated ROM and stub
 * (no pty, no threads).  Time comes from port_now_ms()/port_sleep_ms(), so
 * a test clock applies to the reset circuit too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "port.h"

struct emu_port {
    struct port base;
    struct emu *emu;
};

static struct emu *emu_of(struct port *p)
{
    return ((struct emu_port *)p)->emu;
}

static int ep_read(struct port *p, void *buf, size_t len, int timeout_ms, struct err *e)
{
    (void)e;
    struct emu *emu = emu_of(p);
    uint64_t deadline = port_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        uint64_t now = port_now_ms();
        emu_tick(emu, now);
        size_t n = emu_tx(emu, buf, len);
        if (n == 0 && emu_tx_pending(emu) > 0)
            n = emu_tx(emu, buf, len);          /* stopped at a baud switch */
        if (n > 0)
            return (int)n;
        /* Nothing will arrive unless a timed event (a boot) is due. */
        int next = emu_next_event_ms(emu, now);
        if (next < 0 || now + (uint64_t)next > deadline)
            return 0;
        port_sleep_ms(next > 0 ? (unsigned)next : 1);
    }
}

static int ep_write(struct port *p, const void *buf, size_t len, struct err *e)
{
    (void)e;
    emu_rx(emu_of(p), buf, len);
    return 0;
}

static int ep_set_baud(struct port *p, uint32_t baud, struct err *e)
{
    (void)e;
    p->baud = baud;
    return 0;
}

static int ep_set_lines(struct port *p, bool dtr, bool rts, struct err *e)
{
    (void)e;
    if (p->has_lines)
        emu_set_lines(emu_of(p), dtr, rts, port_now_ms());
    return 0;
}

static void ep_close(struct port *p)
{
    free(p);
}

static const struct port_ops emu_port_ops = {
    .read = ep_read,
    .write = ep_write,
    .set_baud = ep_set_baud,
    .set_lines = ep_set_lines,
    .close = ep_close,
};

struct port *emu_port_open(struct emu *emu, bool with_lines, struct err *e)
{
    struct emu_port *ep = calloc(1, sizeof *ep);
    if (!ep) {
        err_set(e, "out of memory");
        return NULL;
    }
    ep->emu = emu;
    ep->base.ops = &emu_port_ops;
    snprintf(ep->base.name, sizeof ep->base.name, "emu:%s", emu_chip_name(emu));
    ep->base.has_lines = with_lines;
    ep->base.baud = 115200;
    return &ep->base;
}
