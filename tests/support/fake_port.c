#include "fake_port.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

static int fp_read(struct port *p, void *buf, size_t len, int timeout_ms, struct err *e)
{
    (void)e;
    struct fake_port *fp = (struct fake_port *)p;
    if (fp->out_pos == fp->out_len) {
        /* Drained: start the buffer over, and let the loader's timeout run
         * without sleeping for real. */
        fp->out_pos = fp->out_len = 0;
        port_sleep_ms(timeout_ms < 2 ? (unsigned)timeout_ms : 2);
        return 0;
    }
    size_t n = fp->out_len - fp->out_pos;
    if (n > len)
        n = len;
    memcpy(buf, fp->out + fp->out_pos, n);
    fp->out_pos += n;
    return (int)n;
}

static int fp_baud(struct port *p, uint32_t baud, struct err *e)
{
    (void)e;
    p->baud = baud;
    return 0;
}

static int fp_lines(struct port *p, bool dtr, bool rts, struct err *e)
{
    (void)p, (void)dtr, (void)rts, (void)e;
    return 0;
}

static void fp_close(struct port *p)
{
    (void)p;   /* owned by the test */
}

void fake_port_init(struct fake_port *fp, const char *name, fake_port_write_fn write)
{
    fp->ops = (struct port_ops){ fp_read, write, fp_baud, fp_lines, fp_close };
    fp->base.ops = &fp->ops;
    fp->base.baud = 115200;
    snprintf(fp->base.name, sizeof fp->base.name, "%s", name);
    fp->out_len = fp->out_pos = 0;
}

void fake_port_queue(struct fake_port *fp, const void *bytes, size_t n)
{
    assert_true(fp->out_len + n <= sizeof fp->out);
    memcpy(fp->out + fp->out_len, bytes, n);
    fp->out_len += n;
}

void fake_port_queue_hex(struct fake_port *fp, const char *hex)
{
    fp->out_len += test_unhex(hex, fp->out + fp->out_len, sizeof fp->out - fp->out_len);
}
