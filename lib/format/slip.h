/* SLIP framing (RFC 1055) as the ESP ROM loader uses it: every packet
 * starts and ends with 0xC0; inside, 0xC0 -> DB DC and 0xDB -> DB DD.
 * The decoder is lenient: bytes between frames (boot messages) are skipped,
 * an empty frame (C0 C0) is ignored, and an invalid escape is reported. */
#ifndef MPI_SLIP_H
#define MPI_SLIP_H

#include <stddef.h>
#include <stdint.h>

#define SLIP_END      0xC0
#define SLIP_ESC      0xDB
#define SLIP_ESC_END  0xDC
#define SLIP_ESC_ESC  0xDD

/* Encode `len` bytes with both delimiters into `out`, which must hold
 * 2 * len + 2 bytes.  Returns the encoded length. */
size_t slip_encode(const uint8_t *in, size_t len, uint8_t *out);

enum slip_state { SLIP_IDLE, SLIP_IN_FRAME, SLIP_IN_ESCAPE };

struct slip_decoder {
    enum slip_state state;
    uint8_t *buf;        /* frame buffer supplied by the caller */
    size_t cap, len;
    size_t garbage;      /* bytes seen outside frames (boot log, noise) */
    int bad_escape;      /* set when an escape sequence was invalid */
    int overflow;        /* set when a frame exceeded cap */
};

void slip_decoder_init(struct slip_decoder *d, uint8_t *buf, size_t cap);
/* Feed one byte.  Returns 1 when a complete non-empty frame is in d->buf
 * (d->len bytes; valid until the next call), else 0.  A frame with a bad
 * escape or an overflow is still returned with the flag set, so the caller
 * can report it; the flags clear at the next frame start. */
int slip_feed(struct slip_decoder *d, uint8_t byte);

#endif
