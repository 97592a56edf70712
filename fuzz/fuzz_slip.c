/* libFuzzer target for SLIP framing (lib/format/slip.c): the fuzz bytes as
 * a stream from the chip (boot noise, frames, bad escapes, frames longer
 * than the buffer), and as a payload that must come back unchanged from
 * slip_encode through the decoder.  Seeds: the emulated chip's replies
 * (fuzz/corpus/fuzz_slip, make_corpus). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_slip: %s\n", what);
    abort();
}

/* The stream into a decoder of `cap` bytes: frames stay within it. */
static void stream(const uint8_t *data, size_t size, size_t cap)
{
    uint8_t buf[64];
    struct slip_decoder d;
    slip_decoder_init(&d, buf, cap);
    for (size_t i = 0; i < size; i++)
        if (slip_feed(&d, data[i]) && (d.len == 0 || d.len > cap))
            fail("a frame that is empty or longer than the buffer");
}

static void roundtrip(const uint8_t *data, size_t size)
{
    static uint8_t enc[2 * 65536 + 2], dec[65536];
    if (size > sizeof dec)
        return;
    size_t n = slip_encode(data, size, enc);
    if (n > 2 * size + 2)
        fail("encoding longer than 2n + 2");
    struct slip_decoder d;
    slip_decoder_init(&d, dec, sizeof dec);
    int frames = 0;
    for (size_t i = 0; i < n; i++)
        if (slip_feed(&d, enc[i])) {
            frames++;
            if (d.len != size || memcmp(dec, data, size) || d.bad_escape || d.overflow)
                fail("a payload does not come back from slip_encode");
        }
    if (frames != (size > 0))
        fail("slip_encode did not make one frame");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    stream(data, size, 64);
    stream(data, size, 8);
    roundtrip(data, size);
    return 0;
}
