#include "slip.h"

size_t slip_encode(const uint8_t *in, size_t len, uint8_t *out)
{
    size_t n = 0;
    out[n++] = SLIP_END;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == SLIP_END) {
            out[n++] = SLIP_ESC;
            out[n++] = SLIP_ESC_END;
        } else if (in[i] == SLIP_ESC) {
            out[n++] = SLIP_ESC;
            out[n++] = SLIP_ESC_ESC;
        } else {
            out[n++] = in[i];
        }
    }
    out[n++] = SLIP_END;
    return n;
}

void slip_decoder_init(struct slip_decoder *d, uint8_t *buf, size_t cap)
{
    d->state = SLIP_IDLE;
    d->buf = buf;
    d->cap = cap;
    d->len = 0;
    d->garbage = 0;
    d->bad_escape = 0;
    d->overflow = 0;
}

static void put(struct slip_decoder *d, uint8_t b)
{
    if (d->len < d->cap)
        d->buf[d->len++] = b;
    else
        d->overflow = 1;
}

int slip_feed(struct slip_decoder *d, uint8_t b)
{
    switch (d->state) {
    case SLIP_IDLE:
        if (b == SLIP_END) {
            d->state = SLIP_IN_FRAME;
            d->len = 0;
            d->bad_escape = 0;
            d->overflow = 0;
        } else {
            d->garbage++;
        }
        return 0;
    case SLIP_IN_FRAME:
        if (b == SLIP_END) {
            /* An empty frame is the start of the next one (C0 C0 between
             * packets); stay in the frame. */
            if (d->len == 0)
                return 0;
            d->state = SLIP_IDLE;
            return 1;
        }
        if (b == SLIP_ESC)
            d->state = SLIP_IN_ESCAPE;
        else
            put(d, b);
        return 0;
    case SLIP_IN_ESCAPE:
        d->state = SLIP_IN_FRAME;
        if (b == SLIP_ESC_END) {
            put(d, SLIP_END);
        } else if (b == SLIP_ESC_ESC) {
            put(d, SLIP_ESC);
        } else {
            /* Keep the byte so the frame length still makes sense, but flag it. */
            d->bad_escape = 1;
            put(d, b);
        }
        return 0;
    }
    return 0;
}
