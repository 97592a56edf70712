/* The chip's MD5 of a flash region (SPI_FLASH_MD5, ROM and stub), ours of
 * bytes we hold or of erased flash, and checking a region by them: what
 * reads, writes, diffs, guards and backups all stand on.  (§2.6) */
#include "bytes.h"
#include "hash.h"
#include "loader.h"
#include "loader_impl.h"

#include <stdio.h>
#include <string.h>

void loader_md5_of(const void *d, size_t n, uint8_t out[16])
{
    hash_md5(d, n, out);
}

void loader_hex16(const uint8_t m[16], char out[33])
{
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", m[i]);
}

/* The ROM answers 32 lowercase hex characters; 0 when they are. */
static int rom_hex(const uint8_t *p, uint8_t md5[16])
{
    for (int i = 0; i < 16; i++) {
        unsigned v;
        char two[3] = { (char)p[2 * i], (char)p[2 * i + 1], 0 };
        if (sscanf(two, "%2x", &v) != 1)
            return -1;
        md5[i] = (uint8_t)v;
    }
    return 0;
}

int loader_md5(struct loader *l, uint32_t addr, uint32_t len, uint8_t md5[16], struct err *e)
{
    if (loader_rom_8266(l))
        return err_set(e, "SPI_FLASH_MD5 at 0x%08x: the ESP8266 ROM has no MD5 command "
                          "(use the stub)", (unsigned)addr);
    if (loader_unfence(l, addr + len, e) != 0)
        return -1;
    uint8_t d[16] = { 0 };
    put_le32(d, addr);
    put_le32(d + 4, len);
    char what[64];
    snprintf(what, sizeof what, "SPI_FLASH_MD5 of 0x%x bytes at 0x%08x", (unsigned)len,
             (unsigned)addr);
    int rlen = l->stub ? 16 : 32;
    /* A reply damaged on the line may still be framed right: hex that is
     * not hex is asked for again, as a reply that did not arrive is. */
    for (int i = 0;; i++) {
        const uint8_t *p;
        size_t n;
        if (loader_command_retry(l, LOADER_SPI_FLASH_MD5, d, 16, 0,
                                 loader_timeout(l, LOADER_MD5_PER_MB, len, 64), rlen, true, &p,
                                 &n, what, e))
            return -1;
        if (l->stub) {
            memcpy(md5, p, 16);
            return 0;
        }
        if (rom_hex(p, md5) == 0)
            return 0;
        l->fail = LOADER_FAIL_GARBLED;
        err_set(e, "%s: the ROM sent a malformed MD5", what);
        if (i + 1 >= LOADER_TRIES)
            return -1;
        loader_resend(l, "%s; sending it again", e->msg);
    }
}

/* An MD5 reply has no checksum: on a line that damages bytes, or when
 * `twice` asks for it, believe it when two replies agree. */
int loader_md5_sure(struct loader *l, uint32_t addr, uint32_t len, uint8_t md5[16], bool twice,
                    struct err *e)
{
    uint8_t prev[16];
    for (int i = 0; i < LOADER_TRIES; i++) {
        if (loader_md5(l, addr, len, md5, e) != 0)
            return -1;
        if ((!l->noisy && !twice) || (i > 0 && memcmp(md5, prev, 16) == 0))
            return 0;
        memcpy(prev, md5, 16);
    }
    return err_set(e, "SPI_FLASH_MD5 of 0x%x bytes at 0x%08x: no two replies agree",
                   (unsigned)len, (unsigned)addr);
}

void loader_blank_md5(uint32_t len, uint8_t out[16])
{
    uint8_t ff[4096];
    memset(ff, 0xFF, sizeof ff);
    struct hash_md5 *c = hash_md5_new();
    memset(out, 0, 16);
    if (!c)
        return;
    for (uint32_t left = len; left > 0;) {
        uint32_t k = left < sizeof ff ? left : (uint32_t)sizeof ff;
        hash_md5_update(c, ff, k);
        left -= k;
    }
    hash_md5_end(c, out);
}

int loader_verify_md5(struct loader *l, uint32_t addr, uint32_t len, const uint8_t want[16],
                      const char *what, struct err *e)
{
    uint8_t got[16];
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
    uint8_t blank[16];
    loader_hex16(want, hw);
    loader_hex16(got, hg);
    loader_blank_md5(len, blank);
    return err_set(e, "%s 0x%x bytes at 0x%08x: MD5 on the chip %s, expected %s%s", what,
                   (unsigned)len, (unsigned)addr, hg, hw,
                   memcmp(blank, got, 16) == 0 ? " (the written region is empty)" : "");
}

int loader_verify(struct loader *l, uint32_t addr, const uint8_t *data, uint32_t len,
                  struct err *e)
{
    uint8_t want[16];
    loader_md5_of(data, len, want);
    return loader_verify_md5(l, addr, len, want, "verifying", e);
}

/* Before reading again: get in step, and let a stub report (and forget)
 * an error it holds from deferred work, so that the next command is
 * executed.  SYNC is harmless to ROM and stub alike. */

/* Does our copy of [addr, addr+len) match the chip's MD5 of it? */
int loader_md5_matches(struct loader *l, uint32_t addr, const uint8_t *data, uint32_t len,
                       bool *same, struct err *e)
{
    uint8_t want[16], got[16];
    if (loader_md5(l, addr, len, want, e) != 0)
        return -1;
    loader_md5_of(data, len, got);
    *same = memcmp(want, got, 16) == 0;
    return 0;
}
