/* Changing flash through the loader: writes (deflated or plain) and
 * erases, each fenced and guarded against a damaged command
 * (loader_guard.c).  (§2.2, §7)
 *
 * A region goes as a stream: a BEGIN, data blocks, for a stub an END; then
 * the chip's MD5 of the region is checked.  A line that damages frames
 * must cost neither the whole region nor a block taken twice:
 *  - a stub refuses a block that arrives damaged (bad length or checksum)
 *    before writing it: that block goes again, in smaller blocks if the
 *    line keeps damaging them (loader_block);
 *  - a block whose reply is lost may or may not have landed.  A stub
 *    writes a plain block before it takes the next command, so the chip's
 *    MD5 of the block's place tells.  Otherwise (a ROM counts the block and
 *    refuses its seq again; a deflated block's place is unknown) the
 *    stream stops, and a new one starts where the region is known to be
 *    on the flash: for plain data the sector holding the first byte in
 *    doubt (the new BEGIN erases it again), for deflated data the part the
 *    chip's MD5 confirms;
 *  - once the line has damaged something, the region goes in streams of
 *    16 KiB, each checked by MD5 when done: the block checksum (one XOR
 *    byte) lets a block with the same bit flipped twice through. */
#include "bytes.h"
#include "loader.h"
#include "loader_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* An esptool-style line about the write in progress (opts.detail). */
static void detail(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void detail(struct loader *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    loader_say(l->o.detail, l->o.ctx, fmt, ap);
    va_end(ap);
}

/* BEGIN commands carry a 5th word (encrypted) except to ESP32/ESP8266 ROMs. */
static size_t begin_len(const struct loader *l)
{
    return (l->stub || !l->chip->ld->rom_begin16) ? 20 : 16;
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

static const char *op_name(uint8_t op)
{
    switch (op) {
    case LOADER_FLASH_BEGIN: return "FLASH_BEGIN";
    case LOADER_FLASH_DATA: return "FLASH_DATA";
    case LOADER_FLASH_END: return "FLASH_END";
    case LOADER_FLASH_DEFL_BEGIN: return "FLASH_DEFL_BEGIN";
    case LOADER_FLASH_DEFL_DATA: return "FLASH_DEFL_DATA";
    default: return "FLASH_DEFL_END";
    }
}

/* A command that erases or writes `size` bytes at `off`: the guard hashes
 * first what a lowered offset would reach.  A refusal may not be about the
 * command: a stub answers it with an error left from the stream before
 * (and does not run it), and a fence that arrived damaged (too low) makes
 * the chip refuse the region, or the guard's hashes; so the fence goes
 * again, and all of it once or twice more.  A flash that really fails goes
 * on failing. */
static int fenced(struct loader *l, struct guard *g, uint8_t op, const uint8_t *d, size_t n,
                  uint32_t off, uint32_t size, unsigned timeout, const char *what, struct err *e)
{
    for (int i = 0;; i++) {
        if (guard_cover(l, g, off, size, e) == 0 &&
            loader_command_retry(l, op, d, n, 0, timeout, 0, true, NULL, NULL, what, e) == 0)
            return 0;
        struct err fe;
        if (l->fail != LOADER_FAIL_STATUS || i == 2 || guard_refence(l, g, &fe) != 0)
            return -1;
    }
}

/* BEGIN: `size` is what the chip erases (ROM) or expects (stub) from addr. */
static int begin(struct loader *l, struct guard *g, uint8_t op, uint32_t size, uint32_t blocks,
                 uint32_t bsize, uint32_t addr, unsigned timeout, struct err *e)
{
    uint8_t d[20] = { 0 };
    put_le32(d, size);
    put_le32(d + 4, blocks);
    put_le32(d + 8, bsize);
    put_le32(d + 12, addr);
    char what[64];
    snprintf(what, sizeof what, "%s at 0x%08x", op_name(op), (unsigned)addr);
    uint64_t t0 = port_now_ms();
    if (fenced(l, g, op, d, begin_len(l), addr, size, timeout, what, e) != 0)
        return -1;
    if (size && !l->stub)   /* the ROM erases before it answers */
        detail(l, "Took %.2fs to erase flash block", (port_now_ms() - t0) / 1000.0);
    return 0;
}

/* ---- one stream ---- */

/* A region being written, and how far it is known to be on the flash. */
struct region {
    uint32_t addr;              /* flash address of data[0] */
    uint32_t name;              /* the address of the write as asked, for messages (a
                                 * write of changed sectors sends parts of it) */
    const uint8_t *data;
    uint32_t len;               /* a multiple of 4 */
    uint8_t *z;                 /* all of it deflated, when that pays (else NULL) */
    uint32_t zlen;
    uint32_t done;              /* data[0, done) is on the flash: a new stream starts there */
    uint32_t checked;           /* data[0, checked) matched the chip's MD5 */
    uint32_t high;              /* the furthest a stream got: progress */
    struct guard g;
};

/* What one stream sends: data[from, end), deflated or not. */
struct stream {
    uint32_t from, end;
    const uint8_t *src;         /* the bytes the blocks carry */
    uint32_t slen, acked;       /* of src; acked: the chip acknowledged src[0, acked) */
    uint8_t *z;                 /* a deflated copy made for this stream */
    uint8_t data_op;
    uint32_t bs;                /* block size announced in BEGIN */
};

/* The bytes of a stream: plain, or one zlib stream of data[from, end)
 * (the region's own deflated copy when that is all of it). */
static int stream_open(struct region *r, struct stream *s, uint32_t end, struct err *e)
{
    memset(s, 0, sizeof *s);
    s->from = r->done;
    s->end = end;
    s->src = r->data + s->from;
    s->slen = end - s->from;
    s->data_op = r->z ? LOADER_FLASH_DEFL_DATA : LOADER_FLASH_DATA;
    if (!r->z)
        return 0;
    if (s->from == 0 && end == r->len) {
        s->src = r->z;
        s->slen = r->zlen;
        return 0;
    }
    uLongf zlen = compressBound(s->slen);
    s->z = malloc(zlen);
    if (!s->z || compress2(s->z, &zlen, s->src, s->slen, 9) != Z_OK) {
        free(s->z);
        s->z = NULL;
        return err_set(e, "write at 0x%x: zlib compression failed", (unsigned)r->addr);
    }
    s->src = s->z;
    s->slen = (uint32_t)zlen;
    return 0;
}

/* How far into the region the acknowledged part of a stream reaches
 * (deflated: by the stream's ratio). */
static uint32_t stream_reach(const struct stream *s)
{
    return s->from + (uint32_t)((uint64_t)s->acked * (s->end - s->from) / (s->slen ? s->slen : 1));
}

static int stream_begin(struct loader *l, struct region *r, struct stream *s, struct err *e)
{
    uint32_t at = r->addr + s->from, n = s->end - s->from;
    uint8_t op = r->z ? LOADER_FLASH_DEFL_BEGIN : LOADER_FLASH_BEGIN;
    /* A ROM takes blocks of the size BEGIN gave; a stub any size up to it. */
    s->bs = l->stub ? LOADER_STUB_BLOCK : loader_block(l, LOADER_ROM_BLOCK);
    uint32_t size = n;
    if (loader_rom_8266(l))
        size = erase_size_8266(at, n);
    else if (r->z && !l->stub)   /* the ROM erases whole blocks (§2.2) */
        size = (n + LOADER_ROM_BLOCK - 1) / LOADER_ROM_BLOCK * LOADER_ROM_BLOCK;
    unsigned t = l->stub ? loader_timeout(l, 0, 0, 64)
                         : loader_timeout(l, LOADER_ERASE_PER_MB, size, 64);
    return begin(l, &r->g, op, size, (s->slen + s->bs - 1) / s->bs, s->bs, at, t, e);
}

/* The next data block: n bytes of src from `acked`, padded with 0xFF to
 * `pad` (plain blocks, §10.5); `work`: uncompressed bytes the chip writes
 * before it answers. */
static int send_block(struct loader *l, struct region *r, struct stream *s, uint32_t seq,
                      uint32_t n, uint32_t pad, uint32_t work, struct err *e)
{
    uint8_t *buf = l->block;
    put_le32(buf, pad);
    put_le32(buf + 4, seq);
    put_le32(buf + 8, 0);
    put_le32(buf + 12, 0);
    memcpy(buf + 16, s->src + s->acked, n);
    memset(buf + 16 + n, 0xFF, pad - n);
    char what[80];
    snprintf(what, sizeof what, "%s seq %u (write at 0x%08x)", op_name(s->data_op),
             (unsigned)seq, (unsigned)r->name);
    unsigned t = loader_timeout(l, LOADER_WRITE_PER_MB, work, pad + 64);
    return loader_command(l, s->data_op, buf, 16 + pad, loader_checksum(buf + 16, pad), t, 0,
                          NULL, NULL, what, e);
}

static bool can_verify(const struct loader *l)
{
    return !loader_rom_8266(l) && !l->secure_download;
}

/* A block whose reply got lost: did it land?  1 yes, 0 no, -1 cannot tell.
 * A stub writes a plain block before it takes the next command, so the
 * chip's MD5 of its place tells, unless what was there already matches:
 * in a sector the stub has not reached yet the old contents are still
 * there, and in the one it is in it erased them (0xFF).  A ROM counts the
 * block either way, and a deflated block's place is not known. */
static int landed(struct loader *l, struct region *r, struct stream *s, uint32_t n)
{
    uint32_t at = r->addr + s->from + s->acked;
    const uint8_t *b = s->src + s->acked;
    bool blank = true;
    for (uint32_t i = 0; i < n && blank; i++)
        blank = b[i] == 0xFF;
    bool new_sector = at % LOADER_SECTOR == 0 || at % LOADER_SECTOR + n > LOADER_SECTOR;
    if (!l->stub || r->z || new_sector || blank || !can_verify(l))
        return -1;
    struct err ignore;
    uint8_t want[16], got[16];
    loader_md5_of(b, n, want);
    if (loader_recover(l, &ignore) != 0 || loader_md5_sure(l, at, n, got, false, &ignore) != 0)
        return -1;
    return memcmp(want, got, 16) == 0;
}

/* Whether a failed block may simply go again: a stub that refused it as
 * damaged (bad length or checksum) did not write it. */
static bool refused(const struct loader *l)
{
    return l->stub && l->fail == LOADER_FAIL_STATUS && loader_retryable(l, true);
}

/* No reply, or a damaged one: the block may or may not have landed.  (Any
 * other status from a stub is an error of the block before: this one did
 * not run, and the stream is broken.) */
static bool in_doubt(const struct loader *l)
{
    return l->fail == LOADER_FAIL_TIMEOUT || l->fail == LOADER_FAIL_GARBLED;
}

/* A ROM counts a block that passes its seq and length checks (and then
 * writes it, or refuses it with 07, bad checksum), and refuses that seq
 * again (05; rom-transcripts).  So a block it answered 05 (a byte lost, a
 * header damaged) or did not answer may go once more: if the ROM had taken
 * it, it refuses the copy, and only then does the stream start over. */
static bool rom_may_resend(const struct loader *l)
{
    return !l->stub &&
           (in_doubt(l) || (l->fail == LOADER_FAIL_STATUS && l->last_status[1] == 0x05));
}

static int stream_blocks(struct loader *l, struct region *r, struct stream *s, struct err *e)
{
    double ratio = (double)(s->end - s->from) / (s->slen ? s->slen : 1);
    uint32_t prev = 0;          /* a stub answers block k when block k-1 is written */
    struct retry rt = { 0, 0 };
    bool resent = false;        /* this block went again to a ROM */
    for (uint32_t seq = 0; s->acked < s->slen;) {
        uint32_t size = l->stub ? loader_block(l, s->bs) : s->bs;
        uint32_t n = size < s->slen - s->acked ? size : s->slen - s->acked;
        uint32_t work = (uint32_t)(n * ratio);
        int rc = send_block(l, r, s, seq, n, r->z ? n : size, l->stub ? prev : work, e);
        loader_block_sent(l, n, rc == 0);
        /* 1 on the flash, 0 not (it goes again), -1 in doubt */
        int got = rc == 0 ? 1 : refused(l) || (rom_may_resend(l) && !resent) ? 0
                : in_doubt(l) ? landed(l, r, s, n) : -1;
        resent = got == 0 && !l->stub;
        if (got == 1) {
            s->acked += n;
            seq++;
            prev = work;
            rt = (struct retry){ 0, 0 };
            loader_progress(l, "Writing", r->addr, stream_reach(s), r->len);
            continue;
        }
        if (got < 0 || !loader_again(l, &rt, 0))
            return -1;
        loader_resend(l, "%s; sending the block again", e->msg);
        if (loader_recover(l, e) != 0)
            return -1;
    }
    return 0;
}

/* A stub's END (flag 1 = stay in the loader): it ACKs each block before
 * writing it, so this reply is what says the last block reached the flash
 * (and carries a deferred write error, §10.7). */
static int stream_end(struct loader *l, struct region *r, struct err *e)
{
    if (!l->stub)
        return 0;
    uint8_t op = r->z ? LOADER_FLASH_DEFL_END : LOADER_FLASH_END;
    uint8_t d[4] = { 1, 0, 0, 0 };
    char what[64];
    snprintf(what, sizeof what, "%s (write at 0x%08x)", op_name(op), (unsigned)r->name);
    unsigned t = loader_timeout(l, LOADER_WRITE_PER_MB, LOADER_STUB_BLOCK, 64);
    struct retry rt = { 0, 0 };
    for (;;) {
        if (loader_command(l, op, d, 4, 0, t, 0, NULL, NULL, what, e) == 0)
            return 0;
        /* A resend after a lost reply finds the write already ended
         * ("not in flash mode"): the MD5 check that follows decides. */
        if (rt.tries > 0 && l->fail == LOADER_FAIL_STATUS && l->last_status[0] == 0xC6)
            return 0;
        if (!loader_retryable(l, true) || !loader_again(l, &rt, t))
            return -1;
        loader_resend(l, "%s; sending it again", e->msg);
        if (loader_recover(l, e) != 0)
            return -1;
    }
}

/* Write data[done, end) as one stream; on success done = end. */
static int write_stream(struct loader *l, struct region *r, struct stream *s, uint32_t end,
                        struct err *e)
{
    if (stream_open(r, s, end, e) != 0)
        return -1;
    if (stream_begin(l, r, s, e) != 0 || stream_blocks(l, r, s, e) != 0 ||
        stream_end(l, r, e) != 0)
        return -1;
    r->done = end;
    return 0;
}

/* ---- where to go on ---- */

/* The sector boundary at or below data offset `off`, as a data offset
 * (never below `floor`, which is known to be on the flash). */
static uint32_t sector_at(const struct region *r, uint32_t off, uint32_t floor)
{
    uint32_t a = (r->addr + off) & ~(LOADER_SECTOR - 1);
    return a > r->addr + floor ? a - r->addr : floor;
}

/* The longest prefix data[0, P), lo <= P <= hi on sector boundaries, that
 * the chip's MD5 confirms (lo is): hi itself if it holds and is not known
 * to be bad, else by halving, to within 64 KiB. */
static int good_prefix(struct loader *l, struct region *r, uint32_t lo, uint32_t hi,
                       bool hi_bad, uint32_t *out, struct err *e)
{
    uint32_t good = lo, bad = hi_bad ? hi : 0;
    uint32_t p = hi_bad ? sector_at(r, lo + (hi - lo) / 2, lo)
                        : hi < r->len ? sector_at(r, hi, lo) : r->len;
    while (p > good) {
        bool same;
        if (loader_md5_matches(l, r->addr + good, r->data + good, p - good, &same, e) != 0)
            return -1;
        if (same)
            good = p;
        else
            bad = p;
        if (!bad || bad - good <= 0x10000)
            break;
        p = sector_at(r, good + (bad - good) / 2, good);
    }
    *out = good;
    return 0;
}

/* Before a stream starts at done: what no MD5 has confirmed of data[0,
 * done) is checked now (one MD5 as a rule), and done goes back to where
 * the flash is right.  0: all right; 1: it was not (e says how); -1. */
static int confirm(struct loader *l, struct region *r, struct err *e)
{
    if (!can_verify(l) || r->checked >= r->done)
        return 0;
    if (loader_verify(l, r->addr + r->checked, r->data + r->checked, r->done - r->checked,
                      e) == 0) {
        r->checked = r->done;
        return 0;
    }
    if (l->fail != LOADER_FAIL_VERIFY)
        return -1;
    char why[sizeof e->msg];
    snprintf(why, sizeof why, "%s", e->msg);
    if (good_prefix(l, r, r->checked, r->done, true, &r->done, e) != 0)
        return -1;
    r->checked = r->done;
    l->fail = LOADER_FAIL_VERIFY;
    err_set(e, "%s", why);
    return 1;
}

/* A stub may hold this much inflated data before it writes it. */
#define STUB_INFLATE_SLACK 0x8000u

/* Where the next stream starts after this one failed (see the top).  The
 * part of the stream that the chip acknowledged: plain, up to the sector
 * holding the first byte in doubt; deflated, what the chip's MD5 finds of
 * what it could have made of it. */
static int restart_point(struct loader *l, struct region *r, const struct stream *s,
                         struct err *e)
{
    if (!r->z) {
        r->done = sector_at(r, s->from + s->acked, s->from);
        return confirm(l, r, e) < 0 ? -1 : 0;
    }
    uint32_t reach = stream_reach(s);
    uint32_t guess = reach > s->from + STUB_INFLATE_SLACK ? reach - STUB_INFLATE_SLACK : s->from;
    if (!can_verify(l))
        return 0;   /* done stays at the stream's start */
    if (good_prefix(l, r, s->from, guess, false, &r->done, e) != 0)
        return -1;
    r->checked = r->done;
    return 0;
}

/* ---- a region ---- */

/* Whether going on may cure the failure: the line damaged something; not
 * a closed port, nor a flash a stub found failing (writing the same data
 * again will not help), unless the line damages replies too, so that its
 * error may be another status with a bit flipped.  A ROM reports a failed
 * block at once: that sector goes again (erased again). */
static bool restartable(const struct loader *l)
{
    switch (l->fail) {
    case LOADER_FAIL_TIMEOUT:
    case LOADER_FAIL_GARBLED:
    case LOADER_FAIL_VERIFY:
        return true;
    case LOADER_FAIL_STATUS:
        return !loader_flash_failed(l) || l->noisy || !l->stub;
    default:
        return false;
    }
}

/* On a noisy line a region goes in streams of this much, each checked by
 * MD5 when done: the block checksum (one XOR byte) lets a block with two
 * flips of the same bit through, and a stream that has to go again costs
 * no more than this. */
#define NOISY_STREAM 0x4000u

static uint32_t stream_end_at(const struct loader *l, const struct region *r)
{
    if (!l->noisy || r->len - r->done <= NOISY_STREAM)
        return r->len;
    return sector_at(r, r->done + NOISY_STREAM, r->done + LOADER_SECTOR);
}

static int write_region(struct loader *l, struct region *r, struct err *e)
{
    unsigned stalls = 0, wrong = 0;
    while (r->done < r->len) {
        struct stream s;
        int rc = write_stream(l, r, &s, stream_end_at(l, r), e);
        uint32_t reach = rc == 0 ? s.end : stream_reach(&s);
        free(s.z);
        if (rc == 0 && (rc = confirm(l, r, e)) == 0) {
            wrong = 0;
            continue;
        }
        /* No new ground three times in a row (ten on a noisy line), or
         * data written wrong as often, is more than a noisy line. */
        unsigned limit = l->noisy ? LOADER_TRIES : LOADER_ATTEMPTS;
        stalls = reach > r->high ? 0 : stalls + 1;
        r->high = reach > r->high ? reach : r->high;
        wrong += rc > 0;
        if ((rc < 0 && !restartable(l)) || stalls >= limit || wrong >= limit)
            return -1;
        char why[sizeof e->msg];
        snprintf(why, sizeof why, "%s", e->msg);
        if (loader_recover(l, e) != 0 || (rc < 0 && restart_point(l, r, &s, e) != 0))
            return err_prefix(e, "%s; then ", why);
        loader_resend(l, "%s; writing again from 0x%08x", why, (unsigned)(r->addr + r->done));
    }
    return 0;
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

/* Deflate if it pays (sets l->last_zlen). */
static void choose_deflate(struct loader *l, struct region *r, bool compress)
{
    l->last_zlen = 0;
    if (!compress || loader_rom_8266(l))
        return;
    uLongf zlen = compressBound(r->len);
    r->z = malloc(zlen);
    if (r->z && compress2(r->z, &zlen, r->data, r->len, 9) == Z_OK &&
        deflate_pays(l, r->len, (uint32_t)zlen)) {
        r->zlen = l->last_zlen = (uint32_t)zlen;
        detail(l, "Compressed %u bytes to %u...", (unsigned)r->len, (unsigned)zlen);
        return;
    }
    free(r->z);
    r->z = NULL;
}

/* One span as a fenced and guarded region: deflated if that pays, in
 * streams, each checked by MD5 (adds its deflated size to l->last_zlen). */
static int write_span(struct loader *l, uint32_t name, uint32_t addr, const uint8_t *data,
                      uint32_t len, bool compress, struct err *e)
{
    struct region *r = calloc(1, sizeof *r);
    if (!r)
        return err_set(e, "write at 0x%x: out of memory", (unsigned)addr);
    *r = (struct region){ .addr = addr, .name = name, .data = data, .len = len };
    uint32_t zlen = l->last_zlen;
    choose_deflate(l, r, compress);
    int rc = -1;
    if (guard_open(l, &r->g, r->addr, r->len, e) == 0)
        rc = guard_close(l, &r->g, write_region(l, r, e), e);
    l->last_zlen = zlen + (r->z ? r->zlen : 0);
    free(r->z);
    free(r);
    return rc;
}

/* A changed run of write_changed: [lo, hi) of the region at ctx. */
struct changed {
    uint32_t addr;
    const uint8_t *data;
    bool compress;
};

static int write_run(struct loader *l, uint32_t lo, uint32_t hi, bool differs, void *ctx,
                     struct err *e)
{
    const struct changed *c = ctx;
    if (!differs)
        return 0;
    l->last_sent += hi - lo;
    return write_span(l, c->addr, lo, c->data + (lo - c->addr), hi - lo, c->compress, e);
}

/* Only what the chip does not hold already (loader_diff.c): each run of
 * changed sectors as its own span, then the whole region's MD5, so that
 * the result is checked exactly as a full write's. */
static int write_changed(struct loader *l, uint32_t addr, const uint8_t *data, uint32_t len,
                         bool compress, struct err *e)
{
    struct changed c = { addr, data, compress };
    int rc = loader_diff_runs(l, addr, len, data, write_run, &c, e);
    l->last_skipped = len - l->last_sent;
    if (rc == 0 && l->last_sent && l->last_sent < len)
        rc = loader_verify(l, addr, data, len, e);
    return rc;
}

int loader_write(struct loader *l, uint32_t addr, const void *data, uint32_t len,
                 bool compress, struct err *e)
{
    l->last_zlen = l->last_sent = l->last_skipped = 0;
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
    if (total > UINT32_MAX - 4)
        return err_set(e, "write of 0x%x bytes at 0x%x: too large", (unsigned)len, (unsigned)addr);
    uint32_t padded = (uint32_t)((total + 3) & ~(uint64_t)3);
    uint8_t *buf = malloc(padded);
    if (!buf)
        return err_set(e, "write at 0x%x: out of memory", (unsigned)addr);
    memset(buf, 0xFF, padded);
    memcpy(buf + lead, data, len);
    int rc;
    if (loader_can_diff(l)) {
        rc = write_changed(l, addr - lead, buf, padded, compress, e);
    } else {
        rc = write_span(l, addr - lead, addr - lead, buf, padded, compress, e);
        l->last_sent = padded;
    }
    l->sent_total += l->last_sent;
    l->skipped_total += l->last_skipped;
    loader_forget_diff(l);   /* the flash changed */
    free(buf);
    return rc;
}

/* ---- erase ---- */

/* The erase itself: a stub's ERASE_REGION, a ROM's FLASH_BEGIN with no
 * data to follow. */
static int erase_command(struct loader *l, struct guard *g, uint32_t addr, uint32_t len,
                         struct err *e)
{
    unsigned t = loader_timeout(l, LOADER_ERASE_PER_MB, len, 64);
    if (!l->stub) {
        uint32_t erase = loader_rom_8266(l) ? erase_size_8266(addr, len) : len;
        return begin(l, g, LOADER_FLASH_BEGIN, erase, 0, LOADER_ROM_BLOCK, addr, t, e);
    }
    uint8_t d[8];
    put_le32(d, addr);
    put_le32(d + 4, len);
    char what[64];
    snprintf(what, sizeof what, "ERASE_REGION of 0x%x bytes at 0x%08x", (unsigned)len,
             (unsigned)addr);
    return fenced(l, g, LOADER_ERASE_REGION, d, 8, addr, len, t, what, e);
}

/* Erase, then check that the region is erased: a damaged command may have
 * erased elsewhere and left the region as it was.  An erase may go again. */
static int erase_checked(struct loader *l, struct guard *g, uint32_t addr, uint32_t len,
                         struct err *e)
{
    uint8_t blank[16];
    loader_blank_md5(len, blank);
    for (int i = 1;; i++) {
        int rc = erase_command(l, g, addr, len, e);
        if (rc == 0 && can_verify(l))
            rc = loader_verify_md5(l, addr, len, blank, "erasing", e);
        if (rc == 0 || l->fail != LOADER_FAIL_VERIFY || i >= LOADER_ATTEMPTS)
            return rc;
        loader_resend(l, "%s; erasing again", e->msg);
    }
}

/* An erase, fenced and guarded like a write. */
static int erase_span(struct loader *l, uint32_t addr, uint32_t len, struct err *e)
{
    struct guard *g = malloc(sizeof *g);
    if (!g)
        return err_set(e, "erase at 0x%x: out of memory", (unsigned)addr);
    int rc = guard_open(l, g, addr, len, e);
    if (rc == 0)
        rc = guard_close(l, g, erase_checked(l, g, addr, len, e), e);
    free(g);
    return rc;
}

static int erase_run(struct loader *l, uint32_t lo, uint32_t hi, bool differs, void *ctx,
                     struct err *e)
{
    (void)ctx;
    return differs ? erase_span(l, lo, hi - lo, e) : 0;
}

int loader_erase_region(struct loader *l, uint32_t addr, uint32_t len, struct err *e)
{
    if (addr % LOADER_SECTOR || len % LOADER_SECTOR)
        return err_set(e, "erase of 0x%x bytes at 0x%08x: address and size must be multiples "
                          "of 0x1000", (unsigned)len, (unsigned)addr);
    if (len == 0)
        return 0;
    loader_forget_diff(l);
    loader_progress(l, "Erasing", addr, 0, len);
    /* only the sectors that are not erased (loader_diff.c): an erase costs
     * the flash tens of milliseconds a sector, the fence and guard commands */
    int rc = loader_can_diff(l) ? loader_diff_runs(l, addr, len, NULL, erase_run, NULL, e)
                                : erase_span(l, addr, len, e);
    if (rc == 0)
        loader_progress(l, "Erasing", addr, len, len);
    return rc;
}

/* Whether the whole flash is erased already: one MD5 of it (a chip erase
 * takes the flash 10 s or more). */
static int all_erased(struct loader *l, bool *yes, struct err *e)
{
    *yes = false;
    if (!loader_can_diff(l))
        return 0;
    if (loader_attach(l, 0, e) != 0)
        return -1;
    uint8_t want[16], got[16];
    loader_blank_md5(l->flash_size, want);
    if (loader_md5(l, 0, l->flash_size, got, e) != 0)
        return -1;
    *yes = memcmp(want, got, 16) == 0;
    return 0;
}

int loader_erase_all(struct loader *l, struct err *e)
{
    bool blank;
    loader_forget_diff(l);
    if (all_erased(l, &blank, e) != 0)
        return -1;
    if (blank) {
        loader_progress(l, "Erasing", 0, 1, 1);
        return 0;
    }
    if (l->stub) {
        loader_progress(l, "Erasing", 0, 0, 1);
        if (loader_command_retry(l, LOADER_ERASE_FLASH, NULL, 0, 0, LOADER_CHIP_ERASE_TIMEOUT, 0,
                                 true, NULL, NULL, "ERASE_FLASH", e) != 0)
            return -1;
        loader_progress(l, "Erasing", 0, 1, 1);
        return 0;
    }
    if (loader_attach(l, 0, e) != 0)
        return -1;
    return loader_erase_region(l, 0, l->flash_size, e);
}
