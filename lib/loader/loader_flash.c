/* Reading flash through the loader: stub READ_FLASH or ROM
 * READ_FLASH_SLOW, in chunks each checked by MD5 (loader_md5.c), skipping
 * what the chip says is erased (loader_diff.c).  Writing and erasing are in
 * loader_write.c.  (§2.2, §7) */
#include "bytes.h"
#include "hash.h"
#include "loader.h"
#include "loader_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int clear_pending(struct loader *l, struct err *e)
{
    uint8_t d[36] = { 0x07, 0x07, 0x12, 0x20 };
    memset(d + 4, 0x55, 32);
    if (loader_resync(l, e) != 0 || loader_send_command(l, LOADER_SYNC, d, sizeof d, 0, e) != 0 ||
        loader_resync(l, e) != 0) {
        l->fail = LOADER_FAIL_PORT;
        return -1;
    }
    return 0;
}

/* One READ_FLASH stream (§2.6): raw data frames (no header), each acked
 * with the running total as a bare LE u32 frame, then a 16-byte MD5 frame.
 * *got counts the bytes that arrived in whole packets, also on failure, so
 * a caller can go on from there. */
static int read_stream(struct loader *l, uint32_t addr, uint8_t *out, uint32_t len,
                       uint32_t *got, uint32_t base, uint32_t total, struct err *e)
{
    const uint32_t packet = LOADER_SECTOR;
    uint8_t d[16];
    put_le32(d, addr);
    put_le32(d + 4, len);
    put_le32(d + 8, packet);
    put_le32(d + 12, 64);
    char what[64];
    snprintf(what, sizeof what, "READ_FLASH of 0x%x bytes at 0x%08x", (unsigned)len,
             (unsigned)addr);
    *got = 0;
    if (loader_command_retry(l, LOADER_READ_FLASH, d, 16, 0, LOADER_QUICK, 0, true,
                             NULL, NULL, what, e) != 0)
        return -1;
    while (*got < len) {
        bool bad;
        int r = loader_next_frame(l, port_now_ms() + LOADER_DEFAULT_TIMEOUT, &bad, e);
        if (r < 0) {
            l->fail = LOADER_FAIL_PORT;
            return err_prefix(e, "%s: ", what);
        }
        if (r == 0) {
            l->fail = LOADER_FAIL_TIMEOUT;
            return err_set(e, "%s: no data after 0x%x bytes (timeout)", what, (unsigned)*got);
        }
        uint32_t n = (uint32_t)l->frame_len;
        if (bad || n > len - *got || (n < packet && *got + n < len)) {
            l->fail = LOADER_FAIL_GARBLED;
            return err_set(e, "%s: damaged %u-byte packet at 0x%08x", what, (unsigned)n,
                           (unsigned)(addr + *got));
        }
        memcpy(out + *got, l->frame, n);
        *got += n;
        uint8_t ack[4];
        put_le32(ack, *got);
        if (loader_send_raw_frame(l, ack, 4, e) != 0) {
            l->fail = LOADER_FAIL_PORT;
            return err_prefix(e, "%s: ", what);
        }
        loader_progress(l, "Reading", base, addr - base + *got, total);
    }
    bool bad;
    int r = loader_next_frame(l, port_now_ms() + LOADER_DEFAULT_TIMEOUT, &bad, e);
    if (r < 0) {
        l->fail = LOADER_FAIL_PORT;
        return err_prefix(e, "%s: ", what);
    }
    if (r == 0 || bad || l->frame_len != 16) {
        l->fail = r == 0 ? LOADER_FAIL_TIMEOUT : LOADER_FAIL_GARBLED;
        return err_set(e, "%s: no valid MD5 frame after the data", what);
    }
    uint8_t m[16];
    loader_md5_of(out, len, m);
    if (memcmp(m, l->frame, 16) != 0) {
        char hw[33], hg[33];
        loader_hex16(l->frame, hg);
        loader_hex16(m, hw);
        /* Which byte is wrong is unknown: none of this stream counts. */
        *got = 0;
        l->fail = LOADER_FAIL_VERIFY;
        return err_set(e, "%s: MD5 of the data received (%s) differs from the chip's (%s)",
                       what, hw, hg);
    }
    return 0;
}

/* Stop a stream the stub may still be sending (any frame that is not an
 * ack ends it, and it answers with its MD5 frame), then get in step: the
 * same SYNC-between-resyncs as before restarting a write. */
static int read_abort(struct loader *l, struct err *e)
{
    return clear_pending(l, e);
}

/* Reads go in chunks, each checked by an MD5 before the next: a byte
 * damaged on the line costs one chunk, not the whole read. */
#define READ_CHUNK_STUB 0x4000u
#define READ_CHUNK_ROM  0x1000u

/* One chunk through the stub.  A line error in the middle of a stream
 * costs only the rest of it: the read goes on from the last whole packet
 * with a new READ_FLASH, and data no stream MD5 covered is then checked
 * with SPI_FLASH_MD5. */
static int read_stub(struct loader *l, uint32_t addr, uint8_t *out, uint32_t len,
                     uint32_t base, uint32_t total, struct err *e)
{
    for (int pass = 1;; pass++) {
        uint32_t done = 0;
        int fails = 0;
        bool pieced = false;
        while (done < len) {
            uint32_t got;
            if (read_stream(l, addr + done, out + done, len - done, &got, base, total, e) == 0) {
                done = len;
                break;
            }
            done += got;
            if (got)
                fails = 0, pieced = true;
            if (!loader_retryable(l, true) && l->fail != LOADER_FAIL_VERIFY)
                return -1;
            if (++fails >= LOADER_ATTEMPTS)
                return -1;
            loader_resend(l, "%s; reading again from 0x%08x", e->msg, (unsigned)(addr + done));
            if (read_abort(l, e) != 0)
                return -1;
        }
        bool same = true;
        if (pieced && loader_md5_matches(l, addr, out, len, &same, e) != 0)
            return -1;
        if (same)
            return 0;
        l->fail = LOADER_FAIL_VERIFY;
        err_set(e, "READ_FLASH of 0x%x bytes at 0x%08x: the data read differs from the chip's "
                   "MD5", (unsigned)len, (unsigned)addr);
        if (pass >= LOADER_ATTEMPTS)
            return -1;
        loader_resend(l, "%s; reading it again", e->msg);
    }
}

/* One chunk through the ROM, 64 bytes a command.  These replies carry no
 * checksum, so the chunk is compared with the ROM's MD5 of it. */
static int read_rom(struct loader *l, uint32_t addr, uint8_t *out, uint32_t len,
                    uint32_t base, uint32_t total, struct err *e)
{
    for (int pass = 1;; pass++) {
        for (uint32_t got = 0; got < len;) {
            uint32_t n = len - got < 64 ? len - got : 64;
            uint8_t d[8];
            put_le32(d, addr + got);
            put_le32(d + 4, n);
            char what[64];
            snprintf(what, sizeof what, "READ_FLASH_SLOW at 0x%08x", (unsigned)(addr + got));
            const uint8_t *p;
            /* Always 64 data bytes; past the request they are stale buffer. */
            if (loader_command_retry(l, LOADER_READ_FLASH_SLOW, d, 8, 0, LOADER_QUICK,
                                     64, true, &p, NULL, what, e) != 0)
                return -1;
            memcpy(out + got, p, n);
            got += n;
            if (got % 1024 == 0 || got == len)
                loader_progress(l, "Reading", base, addr - base + got, total);
        }
        bool same;
        if (loader_md5_matches(l, addr, out, len, &same, e) != 0)
            return -1;
        if (same)
            return 0;
        l->fail = LOADER_FAIL_VERIFY;
        err_set(e, "READ_FLASH_SLOW of 0x%x bytes at 0x%08x: the data read differs from the "
                   "chip's MD5", (unsigned)len, (unsigned)addr);
        if (pass >= LOADER_ATTEMPTS)
            return -1;
        loader_resend(l, "%s; reading it again", e->msg);
    }
}

/* [addr, addr+len) in chunks; progress counts from `base` out of `total`. */
static int read_span(struct loader *l, uint32_t addr, uint8_t *out, uint32_t len, uint32_t base,
                     uint32_t total, struct err *e)
{
    uint32_t chunk = l->stub ? READ_CHUNK_STUB : READ_CHUNK_ROM;
    for (uint32_t off = 0; off < len; off += chunk) {
        uint32_t n = len - off < chunk ? len - off : chunk;
        int rc = l->stub ? read_stub(l, addr + off, out + off, n, base, total, e)
                         : read_rom(l, addr + off, out + off, n, base, total, e);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* A read this long asks first which sectors are erased (loader_diff.c):
 * a 64 KiB block is 0.7 s on the line at 921600 baud, its MD5 a few ms. */
#define SPARSE_MIN 0x10000u

/* A sparse read's run: read what is not erased; the rest is 0xFF without
 * asking for it. */
struct sparse {
    uint32_t addr, len;
    uint8_t *out;
};

static int read_run(struct loader *l, uint32_t lo, uint32_t hi, bool differs, void *ctx,
                    struct err *e)
{
    const struct sparse *s = ctx;
    uint8_t *at = s->out + (lo - s->addr);
    if (differs)
        return read_span(l, lo, at, hi - lo, s->addr, s->len, e);
    memset(at, 0xFF, hi - lo);
    l->read_skipped += hi - lo;
    loader_progress(l, "Reading", s->addr, hi - s->addr, s->len);
    return 0;
}

int loader_read(struct loader *l, uint32_t addr, void *buf, uint32_t len, struct err *e)
{
    if (len == 0)
        return 0;
    if (loader_rom_8266(l))
        return err_set(e, "reading flash at 0x%08x: the ESP8266 ROM cannot read flash "
                          "(use the stub)", (unsigned)addr);
    if (loader_unfence(l, addr + len, e) != 0)
        return -1;
    if (len >= SPARSE_MIN && loader_can_diff(l)) {
        struct sparse s = { addr, len, buf };
        return loader_diff_runs(l, addr, len, NULL, read_run, &s, e);
    }
    return read_span(l, addr, buf, len, addr, len, e);
}
