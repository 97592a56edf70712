/* Flash access through the loader: writes (deflate or plain), reads (stub
 * READ_FLASH or ROM READ_FLASH_SLOW), erase and MD5.  (§2.2, §2.6, §7) */
#include "bytes.h"
#include "loader.h"
#include "loader_impl.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void md5_of(const void *d, size_t n, uint8_t out[16])
{
    unsigned len = 16;
    EVP_Digest(d, n, out, &len, EVP_md5(), NULL);
}

static void hex16(const uint8_t m[16], char out[33])
{
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", m[i]);
}

static void progress(struct loader *l, const char *what, uint32_t addr, uint64_t done,
                     uint64_t total)
{
    if (l->o.progress)
        l->o.progress(l->o.ctx, what, addr, done, total);
}

/* An esptool-style line about the write in progress (opts.detail). */
static void detail(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void detail(struct loader *l, const char *fmt, ...)
{
    if (!l->o.detail)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    l->o.detail(l->o.ctx, msg);
}

static bool rom_8266(const struct loader *l)
{
    return !l->stub && l->chip->ld->rom_is_8266;
}

/* BEGIN commands carry a 5th word (encrypted) except to ESP32/ESP8266 ROMs. */
static size_t begin_len(const struct loader *l)
{
    return (l->stub || !l->chip->ld->rom_begin16) ? 20 : 16;
}

int loader_md5(struct loader *l, uint32_t addr, uint32_t len, uint8_t md5[16], struct err *e)
{
    if (rom_8266(l))
        return err_set(e, "SPI_FLASH_MD5 at 0x%08x: the ESP8266 ROM has no MD5 command "
                          "(use the stub)", (unsigned)addr);
    uint8_t d[16] = { 0 };
    put_le32(d, addr);
    put_le32(d + 4, len);
    char what[64];
    snprintf(what, sizeof what, "SPI_FLASH_MD5 of 0x%x bytes at 0x%08x", (unsigned)len,
             (unsigned)addr);
    const uint8_t *p;
    size_t n;
    int rlen = l->stub ? 16 : 32;
    if (loader_command_retry(l, LOADER_SPI_FLASH_MD5, d, 16, 0,
                             loader_timeout_per_mb(LOADER_MD5_PER_MB, len), rlen, true, &p, &n,
                             what, e))
        return -1;
    if (l->stub) {
        memcpy(md5, p, 16);
        return 0;
    }
    /* The ROM answers 32 lowercase hex characters. */
    for (int i = 0; i < 16; i++) {
        unsigned v;
        char two[3] = { (char)p[2 * i], (char)p[2 * i + 1], 0 };
        if (sscanf(two, "%2x", &v) != 1) {
            l->fail = LOADER_FAIL_GARBLED;
            return err_set(e, "%s: the ROM sent a malformed MD5", what);
        }
        md5[i] = (uint8_t)v;
    }
    return 0;
}

static int verify_md5(struct loader *l, uint32_t addr, const uint8_t *data, uint32_t len,
                      struct err *e)
{
    uint8_t want[16], got[16];
    md5_of(data, len, want);
    if (loader_md5(l, addr, len, got, e) != 0)
        return -1;
    if (memcmp(want, got, 16) == 0)
        return 0;
    /* Replies carry no checksum: a bit flipped on the way back looks like
     * a mismatch.  Ask once more before calling the flash wrong. */
    if (loader_md5(l, addr, len, got, e) != 0)
        return -1;
    if (memcmp(want, got, 16) == 0)
        return 0;
    l->fail = LOADER_FAIL_VERIFY;
    char hw[33], hg[33];
    hex16(want, hw);
    hex16(got, hg);
    uint8_t *ff = malloc(len ? len : 1);
    bool empty = false;
    if (ff) {
        uint8_t m[16];
        memset(ff, 0xFF, len);
        md5_of(ff, len, m);
        empty = memcmp(m, got, 16) == 0;
        free(ff);
    }
    return err_set(e, "verifying 0x%x bytes at 0x%08x: MD5 on the chip %s, expected %s%s",
                   (unsigned)len, (unsigned)addr, hg, hw,
                   empty ? " (the written region is empty)" : "");
}

/* ESP8266 ROM erase-size bug workaround (ET5 targets/esp8266.py). */
static uint32_t erase_size_8266(uint32_t offset, uint32_t size)
{
    uint32_t per_block = 16, sector = LOADER_SECTOR;
    uint32_t num = (size + sector - 1) / sector, start = offset / sector;
    uint32_t head = per_block - (start % per_block);
    if (num < head)
        head = num;
    if (num < 2 * head)
        return (num + 1) / 2 * sector;
    return (num - head) * sector;
}

static int begin(struct loader *l, uint8_t op, uint32_t size, uint32_t blocks, uint32_t bsize,
                 uint32_t addr, unsigned timeout, struct err *e)
{
    uint8_t d[20] = { 0 };
    put_le32(d, size);
    put_le32(d + 4, blocks);
    put_le32(d + 8, bsize);
    put_le32(d + 12, addr);
    char what[64];
    snprintf(what, sizeof what, "%s at 0x%08x",
             op == LOADER_FLASH_BEGIN ? "FLASH_BEGIN" : "FLASH_DEFL_BEGIN", (unsigned)addr);
    uint64_t t0 = port_now_ms();
    if (loader_command_retry(l, op, d, begin_len(l), 0, timeout, 0, true, NULL, NULL, what,
                             e) != 0)
        return -1;
    if (size && !l->stub)   /* the ROM erases before it answers */
        detail(l, "Took %.2fs to erase flash block", (port_now_ms() - t0) / 1000.0);
    return 0;
}

static int data_block(struct loader *l, uint8_t op, uint32_t seq, const uint8_t *chunk,
                      uint32_t n, uint32_t addr, unsigned timeout, struct err *e)
{
    static uint8_t buf[16 + LOADER_STUB_BLOCK];
    put_le32(buf, n);
    put_le32(buf + 4, seq);
    put_le32(buf + 8, 0);
    put_le32(buf + 12, 0);
    memcpy(buf + 16, chunk, n);
    char what[80];
    snprintf(what, sizeof what, "%s seq %u (write at 0x%08x)",
             op == LOADER_FLASH_DATA ? "FLASH_DATA" : "FLASH_DEFL_DATA", (unsigned)seq,
             (unsigned)addr);
    for (int attempt = 1;; attempt++) {
        if (loader_command(l, op, buf, 16 + n, loader_checksum(chunk, n), timeout, 0, NULL,
                           NULL, what, e) == 0)
            return 0;
        /* esptool sends a block up to 3 times, whatever went wrong.  A stub
         * reports a failed flash write one block late (§10.7), so resending
         * this block cannot repair that one; nor can anything follow a
         * closed port.  (A block the stub did take whose reply got lost is
         * taken twice: the MD5 check after the write catches that.) */
        bool again = loader_retryable(l, true) ||
                     (!l->stub && l->fail == LOADER_FAIL_STATUS);
        /* A ROM that answered 05 or 07 has counted this seq and refuses
         * it again (rom-transcripts): the caller needs a new BEGIN. */
        bool refused = !l->stub && l->fail == LOADER_FAIL_STATUS &&
                       (l->last_status[1] == 0x05 || l->last_status[1] == 0x07);
        if (attempt >= LOADER_ATTEMPTS || !again || refused)
            return -1;
        loader_note(l, "%s; sending the block again (attempt %d of %d)", e->msg, attempt + 1,
                    LOADER_ATTEMPTS);
        enum loader_fail why = l->fail;
        if (loader_resync(l, e) != 0) {
            l->fail = LOADER_FAIL_PORT;
            return err_prefix(e, "%s: ", what);
        }
        l->fail = why;
        l->resends++;
    }
}

static int end_stub(struct loader *l, uint8_t op, uint32_t addr, unsigned timeout,
                    struct err *e)
{
    /* Flag 1 = stay in the loader.  A stub ACKs each block before writing
     * it, so this reply is what says the last block reached the flash (and
     * carries a deferred write error, §10.7). */
    uint8_t d[4] = { 1, 0, 0, 0 };
    char what[64];
    snprintf(what, sizeof what, "%s (write at 0x%08x)",
             op == LOADER_FLASH_END ? "FLASH_END" : "FLASH_DEFL_END", (unsigned)addr);
    for (int attempt = 1;; attempt++) {
        if (loader_command(l, op, d, 4, 0, timeout, 0, NULL, NULL, what, e) == 0)
            return 0;
        /* A resend after a lost reply finds the write already ended
         * ("not in flash mode"): the MD5 check that follows decides. */
        if (attempt > 1 && l->fail == LOADER_FAIL_STATUS && l->last_status[0] == 0xC6)
            return 0;
        if (attempt >= LOADER_ATTEMPTS || !loader_retryable(l, true))
            return -1;
        loader_note(l, "%s; sending it again (attempt %d of %d)", e->msg, attempt + 1,
                    LOADER_ATTEMPTS);
        if (loader_resync(l, e) != 0) {
            l->fail = LOADER_FAIL_PORT;
            return -1;
        }
        l->resends++;
    }
}

/* Whether writing the whole region again may succeed: the line damaged
 * something the block retries could not repair (or a block was taken twice
 * and the MD5 shows it), but neither the flash nor the port failed.  Not
 * when the chip stayed silent through every resend: it is gone. */
static bool region_retryable(const struct loader *l)
{
    switch (l->fail) {
    case LOADER_FAIL_GARBLED:
    case LOADER_FAIL_VERIFY:
        return true;
    case LOADER_FAIL_STATUS:
        return !loader_flash_failed(l);
    default:
        return false;
    }
}

/* Before starting a region again: get in step, and let a stub report (and
 * forget) an error it holds from deferred work, so that the next BEGIN is
 * executed.  SYNC is harmless to ROM and stub alike. */
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

/* A ROM counts every block that reaches it, also one that fails its
 * checksum, and refuses a resend of that seq (01 05): after a damaged block
 * only a new FLASH_BEGIN helps.  So a ROM write goes on from a new BEGIN at
 * the sector holding the failed block (at most 3 blocks written twice)
 * instead of writing the whole region again.  At most this many per write. */
#define ROM_RESTARTS 8

static int begin_plain(struct loader *l, uint32_t addr, uint32_t len, uint32_t bs,
                       struct err *e)
{
    uint32_t blocks = (len + bs - 1) / bs;
    uint32_t erase = rom_8266(l) ? erase_size_8266(addr, len) : len;
    unsigned t = l->stub ? LOADER_DEFAULT_TIMEOUT : loader_timeout_per_mb(LOADER_ERASE_PER_MB, len);
    return begin(l, LOADER_FLASH_BEGIN, erase, blocks, bs, addr, t, e);
}

static int write_plain(struct loader *l, uint32_t addr, const uint8_t *data, uint32_t len,
                       struct err *e)
{
    uint32_t bs = l->stub ? LOADER_STUB_BLOCK : LOADER_ROM_BLOCK;
    uint32_t blocks = (len + bs - 1) / bs;
    if (begin_plain(l, addr, len, bs, e) != 0)
        return -1;
    static uint8_t block[LOADER_STUB_BLOCK];
    unsigned bt = loader_timeout_per_mb(LOADER_WRITE_PER_MB, bs);
    uint32_t first = 0;                     /* block the current BEGIN starts at */
    int restarts = 0;
    for (uint32_t i = 0; i < blocks;) {
        uint32_t off = i * bs, n = len - off < bs ? len - off : bs;
        memcpy(block, data + off, n);
        memset(block + n, 0xFF, bs - n);    /* the last block is padded (§10.5) */
        if (data_block(l, LOADER_FLASH_DATA, i - first, block, bs, addr + off, bt, e) != 0) {
            if (l->stub || restarts >= ROM_RESTARTS || !loader_retryable(l, true))
                return -1;
            uint32_t from = off / LOADER_SECTOR * LOADER_SECTOR;
            loader_note(l, "%s; starting again at 0x%08x", e->msg, (unsigned)(addr + from));
            if (loader_resync(l, e) != 0) {
                l->fail = LOADER_FAIL_PORT;
                return -1;
            }
            if (begin_plain(l, addr + from, len - from, bs, e) != 0)
                return -1;
            restarts++;
            l->resends++;
            i = first = from / bs;
            continue;
        }
        progress(l, "Writing", addr, off + n, len);
        i++;
    }
    return l->stub ? end_stub(l, LOADER_FLASH_END, addr, bt, e) : 0;
}

static int write_deflated(struct loader *l, uint32_t addr, uint32_t len, const uint8_t *z,
                          uint32_t zlen, struct err *e)
{
    uint32_t bs = l->stub ? LOADER_STUB_BLOCK : LOADER_ROM_BLOCK;
    uint32_t blocks = (zlen + bs - 1) / bs;
    /* The stub takes the uncompressed size; the ROM erases that much up
     * front, rounded up to its block size (§2.2). */
    uint32_t size = l->stub ? len : (len + LOADER_ROM_BLOCK - 1) / LOADER_ROM_BLOCK * LOADER_ROM_BLOCK;
    unsigned t = l->stub ? LOADER_DEFAULT_TIMEOUT : loader_timeout_per_mb(LOADER_ERASE_PER_MB, size);
    if (begin(l, LOADER_FLASH_DEFL_BEGIN, size, blocks, bs, addr, t, e) != 0)
        return -1;
    /* Timeouts from the block's share of uncompressed bytes; the stub ACKs
     * before writing, so block k waits as long as block k-1 needs. */
    double ratio = (double)len / zlen;
    unsigned prev = LOADER_DEFAULT_TIMEOUT;
    for (uint32_t seq = 0; seq < blocks; seq++) {
        uint32_t off = seq * bs, n = zlen - off < bs ? zlen - off : bs;
        unsigned bt = loader_timeout_per_mb(LOADER_WRITE_PER_MB, (uint32_t)(n * ratio));
        if (data_block(l, LOADER_FLASH_DEFL_DATA, seq, z + off, n, addr,
                       l->stub ? prev : bt, e) != 0)
            return -1;
        prev = bt;
        uint64_t done = (uint64_t)(off + n) * len / zlen;
        progress(l, "Writing", addr, done, len);
    }
    return l->stub ? end_stub(l, LOADER_FLASH_DEFL_END, addr, prev, e) : 0;
}

/* Whether the deflated stream costs fewer bytes on the wire than the plain
 * write: plain blocks are padded to the block size (§10.5), deflated ones
 * are not, and every block costs its 8-byte command and 16-byte data
 * header.  (Comparing against the unpadded length would send an 8000-byte
 * random file as one padded 16 KiB stub block.) */
static bool deflate_pays(const struct loader *l, uint32_t len, uint32_t zlen)
{
    uint64_t bs = l->stub ? LOADER_STUB_BLOCK : LOADER_ROM_BLOCK, head = 8 + 16;
    uint64_t plain_blocks = (len + bs - 1) / bs, z_blocks = (zlen + bs - 1) / bs;
    return zlen + z_blocks * head < plain_blocks * (bs + head);
}

int loader_write(struct loader *l, uint32_t addr, const void *data, uint32_t len,
                 bool compress, struct err *e)
{
    if (len == 0)
        return 0;
    uint32_t lead = 0;
    if (!l->stub && addr % LOADER_SECTOR) {
        /* The ROM erases whole sectors: write from the sector start, as
         * esptool does, with 0xFF in front. */
        lead = addr % LOADER_SECTOR;
        loader_note(l, "Address 0x%x is not sector aligned: writing 0xFF from 0x%x",
                    (unsigned)addr, (unsigned)(addr - lead));
    }
    /* Pad to a multiple of 4 with 0xFF (§7.1). */
    uint64_t total = (uint64_t)lead + len;
    uint32_t padded = (uint32_t)((total + 3) & ~(uint64_t)3);
    if (total > UINT32_MAX - 4)
        return err_set(e, "write of 0x%x bytes at 0x%x: too large", (unsigned)len, (unsigned)addr);
    uint8_t *buf = malloc(padded);
    if (!buf)
        return err_set(e, "write at 0x%x: out of memory", (unsigned)addr);
    memset(buf, 0xFF, padded);
    memcpy(buf + lead, data, len);
    uint32_t a = addr - lead;
    int rc = -1;
    uint8_t *z = NULL;
    uLongf zlen = 0;
    l->last_zlen = 0;
    if (compress && !rom_8266(l)) {
        zlen = compressBound(padded);
        z = malloc(zlen);
        if (!z) {
            err_set(e, "write at 0x%x: out of memory", (unsigned)addr);
            goto out;
        }
        if (compress2(z, &zlen, buf, padded, 9) != Z_OK) {
            err_set(e, "write at 0x%x: zlib compression failed", (unsigned)addr);
            goto out;
        }
        if (deflate_pays(l, padded, (uint32_t)zlen)) {
            l->last_zlen = (uint32_t)zlen;
            detail(l, "Compressed %u bytes to %u...", (unsigned)padded, (unsigned)zlen);
        }
    }
    for (int attempt = 1;; attempt++) {
        if (l->last_zlen)
            rc = write_deflated(l, a, padded, z, (uint32_t)zlen, e);
        else
            rc = write_plain(l, a, buf, padded, e);
        if (rc == 0 && !rom_8266(l) && !l->secure_download) {
            progress(l, "Verifying", a, 0, padded);
            rc = verify_md5(l, a, buf, padded, e);
        }
        if (rc == 0 || attempt >= LOADER_ATTEMPTS || !region_retryable(l))
            break;
        loader_note(l, "%s; writing 0x%x bytes at 0x%08x again", e->msg, (unsigned)padded,
                    (unsigned)a);
        if (clear_pending(l, e) != 0)
            break;
        l->resends++;
    }
out:
    free(z);
    free(buf);
    return rc;
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
    if (loader_command_retry(l, LOADER_READ_FLASH, d, 16, 0, LOADER_DEFAULT_TIMEOUT, 0, true,
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
        progress(l, "Reading", base, addr - base + *got, total);
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
    md5_of(out, len, m);
    if (memcmp(m, l->frame, 16) != 0) {
        char hw[33], hg[33];
        hex16(l->frame, hg);
        hex16(m, hw);
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

/* Does our copy of [addr, addr+len) match the chip's MD5 of it? */
static int md5_matches(struct loader *l, uint32_t addr, const uint8_t *data, uint32_t len,
                       bool *same, struct err *e)
{
    uint8_t want[16], got[16];
    if (loader_md5(l, addr, len, want, e) != 0)
        return -1;
    md5_of(data, len, got);
    *same = memcmp(want, got, 16) == 0;
    return 0;
}

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
            loader_note(l, "%s; reading again from 0x%08x", e->msg, (unsigned)(addr + done));
            if (read_abort(l, e) != 0)
                return -1;
            l->resends++;
        }
        bool same = true;
        if (pieced && md5_matches(l, addr, out, len, &same, e) != 0)
            return -1;
        if (same)
            return 0;
        l->fail = LOADER_FAIL_VERIFY;
        err_set(e, "READ_FLASH of 0x%x bytes at 0x%08x: the data read differs from the chip's "
                   "MD5", (unsigned)len, (unsigned)addr);
        if (pass >= LOADER_ATTEMPTS)
            return -1;
        loader_note(l, "%s; reading it again", e->msg);
        l->resends++;
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
            if (loader_command_retry(l, LOADER_READ_FLASH_SLOW, d, 8, 0, LOADER_DEFAULT_TIMEOUT,
                                     64, true, &p, NULL, what, e) != 0)
                return -1;
            memcpy(out + got, p, n);
            got += n;
            if (got % 1024 == 0 || got == len)
                progress(l, "Reading", base, addr - base + got, total);
        }
        bool same;
        if (md5_matches(l, addr, out, len, &same, e) != 0)
            return -1;
        if (same)
            return 0;
        l->fail = LOADER_FAIL_VERIFY;
        err_set(e, "READ_FLASH_SLOW of 0x%x bytes at 0x%08x: the data read differs from the "
                   "chip's MD5", (unsigned)len, (unsigned)addr);
        if (pass >= LOADER_ATTEMPTS)
            return -1;
        loader_note(l, "%s; reading it again", e->msg);
        l->resends++;
    }
}

int loader_read(struct loader *l, uint32_t addr, void *buf, uint32_t len, struct err *e)
{
    if (len == 0)
        return 0;
    if (rom_8266(l))
        return err_set(e, "reading flash at 0x%08x: the ESP8266 ROM cannot read flash "
                          "(use the stub)", (unsigned)addr);
    uint32_t chunk = l->stub ? READ_CHUNK_STUB : READ_CHUNK_ROM;
    uint8_t *out = buf;
    for (uint32_t off = 0; off < len; off += chunk) {
        uint32_t n = len - off < chunk ? len - off : chunk;
        int rc = l->stub ? read_stub(l, addr + off, out + off, n, addr, len, e)
                         : read_rom(l, addr + off, out + off, n, addr, len, e);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int loader_erase_region(struct loader *l, uint32_t addr, uint32_t len, struct err *e)
{
    if (addr % LOADER_SECTOR || len % LOADER_SECTOR)
        return err_set(e, "erase of 0x%x bytes at 0x%08x: address and size must be multiples "
                          "of 0x1000", (unsigned)len, (unsigned)addr);
    if (len == 0)
        return 0;
    progress(l, "Erasing", addr, 0, len);
    char what[64];
    if (l->stub) {
        uint8_t d[8];
        put_le32(d, addr);
        put_le32(d + 4, len);
        snprintf(what, sizeof what, "ERASE_REGION of 0x%x bytes at 0x%08x", (unsigned)len,
                 (unsigned)addr);
        if (loader_command_retry(l, LOADER_ERASE_REGION, d, 8, 0,
                                 loader_timeout_per_mb(LOADER_ERASE_PER_MB, len), 0, true, NULL,
                                 NULL, what, e) != 0)
            return -1;
    } else {
        /* The ROM erases at FLASH_BEGIN; no data needs to follow. */
        uint32_t erase = rom_8266(l) ? erase_size_8266(addr, len) : len;
        if (begin(l, LOADER_FLASH_BEGIN, erase, 0, LOADER_ROM_BLOCK, addr,
                  loader_timeout_per_mb(LOADER_ERASE_PER_MB, len), e) != 0)
            return -1;
    }
    progress(l, "Erasing", addr, len, len);
    return 0;
}

int loader_erase_all(struct loader *l, struct err *e)
{
    if (l->stub) {
        progress(l, "Erasing", 0, 0, 1);
        if (loader_command_retry(l, LOADER_ERASE_FLASH, NULL, 0, 0, LOADER_CHIP_ERASE_TIMEOUT, 0,
                                 true, NULL, NULL, "ERASE_FLASH", e) != 0)
            return -1;
        progress(l, "Erasing", 0, 1, 1);
        return 0;
    }
    if (loader_attach(l, 0, e) != 0)
        return -1;
    return loader_erase_region(l, 0, l->flash_size, e);
}
