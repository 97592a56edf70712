/* libFuzzer target for the loader's side of the serial protocol
 * (lib/loader, and the SLIP decoder under it): the fuzz bytes are what the
 * chip says while the loader resets, syncs, detects the chip, uploads the
 * stub, changes the baud rate, attaches, reads, writes and erases flash
 * (support/loader_session.h: the input format and the session).
 *
 * The port plays the input back: its first part is there from the start,
 * each later part arrives when the loader writes a request or moves a modem
 * line, as a chip answers; once every part is out and read, the port says
 * the other end closed.  Time is virtual (the loader's port_now_ms and
 * port_sleep_ms are wrapped at link time, fuzz/fuzz.cmake): a read that
 * finds nothing waits out its timeout at once.  Seeds: the emulated chip's
 * replies to the same session (fuzz/corpus/fuzz_loader, make_corpus). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunks.h"
#include "loader_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
uint64_t __wrap_port_now_ms(void);
void __wrap_port_sleep_ms(unsigned ms);

static uint64_t now_ms;

uint64_t __wrap_port_now_ms(void) { return now_ms; }
void __wrap_port_sleep_ms(unsigned ms) { now_ms += ms; }

struct script_port {
    struct port base;
    struct port_ops ops;
    struct chunks parts;
    uint8_t *rx;            /* parts released and not read yet */
    size_t rx_len, rx_pos;
};

static struct script_port *sp(struct port *p) { return (struct script_port *)p; }

static void release_next(struct script_port *s)
{
    const uint8_t *part;
    size_t len;
    if (!chunks_next(&s->parts, &part, &len))
        return;
    memcpy(s->rx + s->rx_len, part, len);
    s->rx_len += len;
}

static int sp_read(struct port *p, void *buf, size_t len, int timeout_ms, struct err *e)
{
    struct script_port *s = sp(p);
    if (s->rx_pos == s->rx_len) {
        if (s->parts.done)
            return err_set(e, "%s: the other end closed the connection", p->name);
        now_ms += (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
        return 0;
    }
    size_t n = s->rx_len - s->rx_pos < len ? s->rx_len - s->rx_pos : len;
    memcpy(buf, s->rx + s->rx_pos, n);
    s->rx_pos += n;
    return (int)n;
}

static int sp_write(struct port *p, const void *buf, size_t len, struct err *e)
{
    (void)buf, (void)len, (void)e;
    release_next(sp(p));
    return 0;
}

static int sp_baud(struct port *p, uint32_t baud, struct err *e)
{
    (void)e;
    p->baud = baud;
    return 0;
}

static int sp_lines(struct port *p, bool dtr, bool rts, struct err *e)
{
    (void)dtr, (void)rts, (void)e;
    release_next(sp(p));
    return 0;
}

static void sp_close(struct port *p)
{
    (void)p;   /* the target frees it */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < LS_HEADER)
        return 0;
    struct script_port s = { .ops = { sp_read, sp_write, sp_baud, sp_lines, sp_close } };
    s.base.ops = &s.ops;
    s.base.baud = 115200;
    strcpy(s.base.name, "fuzz");
    /* the parts together are never longer than the input */
    s.rx = malloc(size);
    if (!s.rx)
        return 0;
    chunks_init(&s.parts, data + LS_HEADER, size - LS_HEADER);
    release_next(&s);
    now_ms = 1000000;
    struct err e;
    int rc = loader_session(&s.base, data, &e);
    if (getenv("FUZZ_VERBOSE"))   /* does a seed replay to the end? */
        fprintf(stderr, "fuzz_loader: %s\n", rc ? e.msg : "session complete");
    free(s.rx);
    return 0;
}
