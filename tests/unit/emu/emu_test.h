/* Helpers for the emulator unit tests (test_emu_*.c): send request frames
 * to an emulated chip and collect the SLIP frames it answers with. */
#ifndef EMU_TEST_H
#define EMU_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emu.h"
#include "slip.h"

#define MAXF 64

struct frames {
    size_t n;
    size_t len[MAXF];
    uint8_t *f[MAXF];
    size_t garbage;            /* bytes outside frames (boot messages) */
    char text[4096];           /* those bytes as text */
};

static inline void frames_free(struct frames *fr)
{
    for (size_t i = 0; i < fr->n; i++)
        free(fr->f[i]);
    memset(fr, 0, sizeof *fr);
}

/* Take everything the chip has sent (across baud switches) and split it
 * into frames; bytes outside frames go to fr->text. */
static inline void collect(struct emu *emu, struct frames *fr)
{
    static uint8_t raw[1 << 20];
    size_t n = 0, got;
    memset(fr, 0, sizeof *fr);
    while (emu_tx_pending(emu) > 0 && (got = emu_tx(emu, raw + n, sizeof raw - n)) > 0)
        n += got;
    static uint8_t buf[8192];
    struct slip_decoder d;
    slip_decoder_init(&d, buf, sizeof buf);
    size_t t = 0;
    for (size_t i = 0; i < n; i++) {
        if (d.state == SLIP_IDLE && raw[i] != SLIP_END && t + 1 < sizeof fr->text)
            fr->text[t++] = (char)raw[i];
        if (slip_feed(&d, raw[i]) && fr->n < MAXF) {
            fr->f[fr->n] = malloc(d.len);
            memcpy(fr->f[fr->n], buf, d.len);
            fr->len[fr->n++] = d.len;
        }
    }
    fr->garbage = d.garbage;
}

/* Raw output bytes (frames not decoded). */
static inline size_t collect_raw(struct emu *emu, uint8_t *out, size_t cap)
{
    size_t n = 0, got;
    while (emu_tx_pending(emu) > 0 && (got = emu_tx(emu, out + n, cap - n)) > 0)
        n += got;
    return n;
}

static inline uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t data_checksum(const uint8_t *d, size_t n)
{
    uint32_t c = 0xEF;
    for (size_t i = 0; i < n; i++)
        c ^= d[i];
    return c;
}

/* Send one request: 00 op size checksum data. */
static inline void request(struct emu *emu, uint8_t op, const void *data, size_t n, uint32_t csum)
{
    static uint8_t pkt[0x4000 + 64], enc[2 * sizeof pkt + 2];
    assert_true(n + 8 <= sizeof pkt);
    pkt[0] = 0;
    pkt[1] = op;
    pkt[2] = (uint8_t)n;
    pkt[3] = (uint8_t)(n >> 8);
    put32(pkt + 4, csum);
    if (n)
        memcpy(pkt + 8, data, n);
    size_t m = slip_encode(pkt, n + 8, enc);
    emu_rx(emu, enc, m);
}

static inline void request_words(struct emu *emu, uint8_t op, int nwords, ...)
{
    uint8_t d[64];
    va_list ap;
    va_start(ap, nwords);
    for (int i = 0; i < nwords; i++)
        put32(d + 4 * i, va_arg(ap, uint32_t));
    va_end(ap);
    request(emu, op, d, 4 * (size_t)nwords, 0);
}

/* A DATA command: len, seq, 0, 0, data, with the checksum. */
static inline void request_data(struct emu *emu, uint8_t op, uint32_t seq, const uint8_t *data,
                                size_t n)
{
    static uint8_t d[0x4000 + 16];
    put32(d, (uint32_t)n);
    put32(d + 4, seq);
    put32(d + 8, 0);
    put32(d + 12, 0);
    memcpy(d + 16, data, n);
    request(emu, op, d, n + 16, data_checksum(data, n));
}

static inline void send_frame_raw(struct emu *emu, const void *payload, size_t n)
{
    uint8_t enc[64];
    size_t m = slip_encode(payload, n, enc);
    emu_rx(emu, enc, m);
}

/* Expect exactly one reply frame for `op`: returns its status offset. */
static inline const uint8_t *one_reply(struct emu *emu, struct frames *fr, uint8_t op)
{
    collect(emu, fr);
    assert_int_equal(fr->n, 1);
    assert_true(fr->len[0] >= 10);
    assert_int_equal(fr->f[0][0], 0x01);
    assert_int_equal(fr->f[0][1], op);
    assert_int_equal(fr->len[0], 8 + (size_t)(fr->f[0][2] | fr->f[0][3] << 8));
    return fr->f[0];
}

static inline struct emu *open_chip(const char *chip, uint32_t flash_size)
{
    struct emu_options o = { .chip = chip, .flash_size = flash_size };
    struct err e;
    struct emu *emu = emu_open(&o, &e);
    assert_non_null(emu);
    struct frames fr;
    collect(emu, &fr);                          /* the boot banner */
    frames_free(&fr);
    return emu;
}

static inline void sync_chip(struct emu *emu)
{
    uint8_t d[36] = { 0x07, 0x07, 0x12, 0x20 };
    memset(d + 4, 0x55, 32);
    request(emu, 0x08, d, sizeof d, 0);
}

/* Upload a pretend stub (two regions) and run it; consumes the replies and
 * checks for OHAI. */
static inline void start_stub(struct emu *emu)
{
    uint8_t code[0x200];
    memset(code, 0x11, sizeof code);
    struct frames fr;
    request_words(emu, 0x05, 4, (uint32_t)sizeof code, 1u, 0x1800u, 0x40380000u);
    request_data(emu, 0x07, 0, code, sizeof code);
    request_words(emu, 0x05, 4, 0x40u, 1u, 0x1800u, 0x3FC96000u);
    request_data(emu, 0x07, 0, code, 0x40);
    request_words(emu, 0x06, 2, 0u, 0x40380010u);
    collect(emu, &fr);
    assert_int_equal(fr.n, 6);
    assert_int_equal(fr.len[5], 4);
    assert_memory_equal(fr.f[5], "OHAI", 4);
    frames_free(&fr);
    assert_int_equal(emu_state(emu), EMU_STUB);
}

#endif
