/* The save() of each image class esptool builds from an ELF (bin_image.py
 * ESP32FirmwareImage.save, ESP8266ROMFirmwareImage.save,
 * ESP8266V2FirmwareImage.save, ESP8266V3FirmwareImage.save; the section
 * numbers are those of ../shared/docs/esptool-commands.md). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bytes.h"
#include "e2i_impl.h"
#include "hash.h"
#include "image.h"

#define SEG_HDR 8
#define SIXTEEN_MB 0x1000000u

struct wbuf {
    uint8_t *b;
    size_t len, cap;
    bool oom;
};

static void put(struct wbuf *w, const void *d, size_t n)
{
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *b = realloc(w->b, cap);
        if (!b) {
            w->oom = true;
            return;
        }
        w->b = b;
        w->cap = cap;
    }
    if (d)
        memcpy(w->b + w->len, d, n);
    else
        memset(w->b + w->len, 0, n);
    w->len += n;
}

/* A segment as save_segment() sees it: a view of bytes at a load address. */
struct view {
    uint32_t addr;
    uint8_t *data;
    uint32_t len;
    const char *name;
};

/* maybe_patch_segment_data(): the ELF's SHA-256 where the offset falls in
 * this segment, counted from its header (§1.12). */
static int patch_sha(const struct e2i *m, size_t pos, struct view *v, struct err *e)
{
    uint64_t off = m->sha_offset;
    if (!off || off < pos || off >= pos + v->len)
        return 0;
    uint64_t at = off - pos;
    if (at < SEG_HDR || at + 32 > v->len)
        return err_set(e, "Cannot place SHA256 digest on segment boundary(elf_sha256_offset=%u, "
                       "file_pos=%zu, segment_size=%u)", (unsigned)off, pos, (unsigned)v->len);
    at -= SEG_HDR;
    for (int i = 0; i < 32; i++)
        if (v->data[at + i])
            return err_set(e, "Contents of segment at SHA256 digest offset %#x are not zero. "
                           "Refusing to overwrite.", (unsigned)off);
    memcpy(v->data + at, m->elf_sha, 32);
    return 0;
}

/* save_segment(): header, data, checksum (when `chk` is given). */
static int save_seg(const struct e2i *m, struct wbuf *w, struct view *v, const char *name,
                    uint8_t *chk, struct err *e)
{
    if (patch_sha(m, w->len, v, e) != 0)
        return -1;
    const char *n = name ? name : "";
    if (v->len & 3)
        return err_set(e, "Invalid %s segment length %#x. It has to be multiple of 4.", n,
                       (unsigned)v->len);
    if (v->len >= SIXTEEN_MB)
        return err_set(e, "Invalid %s segment length %#x. The 16 MB limit has been exceeded.", n,
                       (unsigned)v->len);
    uint8_t h[SEG_HDR];
    put_le32(h, v->addr);
    put_le32(h + 4, v->len);
    put(w, h, SEG_HDR);
    put(w, v->data, v->len);
    if (chk)
        for (uint32_t i = 0; i < v->len; i++)
            *chk ^= v->data[i];
    return 0;
}

/* A segment of `len` zero bytes at address 0. */
static int save_zeros(const struct e2i *m, struct wbuf *w, uint32_t len, const char *name,
                      uint8_t *chk, struct err *e)
{
    struct view v = { 0, calloc(len ? len : 1, 1), len, NULL };
    if (!v.data)
        return err_set(e, "out of memory");
    int rc = save_seg(m, w, &v, name, chk, e);
    free(v.data);
    return rc;
}

static struct view view_of(struct e2i_seg *s)
{
    return (struct view){ s->addr, s->data, s->len, s->name };
}

/* The checksum byte where the file reaches a multiple of 16. */
static void put_checksum(struct wbuf *w, uint8_t chk)
{
    put(w, NULL, 15 - w->len % 16);
    put(w, &chk, 1);
}

static void put_header(struct wbuf *w, uint8_t magic, uint8_t count, const struct e2i *m)
{
    uint8_t h[8] = { magic, count, m->mode, m->size_freq };
    put_le32(h + 4, m->entry);
    put(w, h, 8);
}

/* Two flash segments in one MMU page cannot both be mapped (§1.8 step 4). */
static int check_pages(const struct e2i *m, struct e2i_seg **flash, size_t n, struct err *e)
{
    for (size_t i = 1; i < n; i++)
        if (flash[i]->addr / m->page == flash[i - 1]->addr / m->page)
            return err_set(e, "Segment loaded at %#010x lands in same %u KB flash mapping as "
                           "segment loaded at %#010x. Can't generate binary. Suggest changing "
                           "linker script or ELF to merge sections.", (unsigned)flash[i]->addr,
                           (unsigned)(m->page / 1024), (unsigned)flash[i - 1]->addr);
    return 0;
}

/* ---- ESP32 family ---- */

struct lists {
    struct e2i_seg *flash[16];
    size_t nflash;
    struct view ram[16];
    size_t nram, ram0;       /* ram[ram0..nram) not yet written */
};

/* Sorted flash and RAM lists, the app descriptor first in flash and the
 * bootloader descriptor first in RAM (§1.8 steps 2-3), no two flash
 * segments in one page (step 4).  At most 16 segments get here (verify). */
static int split_lists(struct e2i *m, struct lists *l, bool nonempty, struct err *e)
{
    e2i_sort(m->segs, m->nsegs);
    memset(l, 0, sizeof *l);
    for (size_t i = 0; i < m->nsegs; i++) {
        struct e2i_seg *s = &m->segs[i];
        if (nonempty && !s->len)
            continue;
        if (e2i_is_flash(m, s->addr))
            l->flash[l->nflash++] = s;
        else
            l->ram[l->nram++] = view_of(s);
    }
    if (m->kind != E2I_FAMILY)
        return check_pages(m, l->flash, l->nflash, e);
    for (size_t i = 0; i < l->nflash; i++)
        if (!strcmp(l->flash[i]->name, ".flash.appdesc")) {
            struct e2i_seg *s = l->flash[i];
            memmove(l->flash + 1, l->flash, i * sizeof *l->flash);
            l->flash[0] = s;
            break;
        }
    for (size_t i = 0; i < l->nram; i++)
        if (!strcmp(l->ram[i].name, ".dram0.bootdesc")) {
            struct view v = l->ram[i];
            memmove(l->ram + 1, l->ram, i * sizeof *l->ram);
            l->ram[0] = v;
            break;
        }
    return check_pages(m, l->flash, l->nflash, e);
}

/* save_flash_segment(): on the ESP32, a segment may not end less than
 * 0x24 bytes past a page boundary (an old IDF bootloader left that page
 * unmapped), so it grows to reach that (§1.8 step 7). */
static int save_flash(struct e2i *m, struct wbuf *w, struct e2i_seg *s, uint8_t *chk,
                      struct err *e)
{
    if (m->kind == E2I_FAMILY && !strcmp(m->o->chip->name, "esp32")) {
        uint32_t rem = (uint32_t)((w->len + s->len + SEG_HDR) % m->page);
        if (rem < 0x24 && e2i_grow(s, s->len + (0x24 - rem), e) != 0)
            return -1;
    }
    struct view v = view_of(s);
    return save_seg(m, w, &v, s->name, chk, e);
}

/* get_alignment_data_needed(): data bytes of padding before a flash
 * segment's header so that its data lands at addr modulo the page. */
static int64_t pad_needed(const struct e2i *m, size_t pos, uint32_t addr)
{
    int64_t p = m->page;
    int64_t pad = (p - (int64_t)(pos % m->page)) + ((int64_t)(addr % m->page) - SEG_HDR);
    if (pad == 0 || pad == p)
        return 0;
    pad -= SEG_HDR;
    return pad < 0 ? pad + p : pad;
}

/* Padding before a flash segment: the front of the first RAM segment when
 * one is left and the gap holds more than a header, else zeros. */
static int save_pad(struct e2i *m, struct wbuf *w, struct lists *l, uint32_t pad,
                    const char *name, uint8_t *chk, struct err *e)
{
    if (l->ram0 == l->nram || pad <= SEG_HDR)
        return save_zeros(m, w, pad, name, chk, e);
    struct view *r = &l->ram[l->ram0];
    struct view piece = { r->addr, r->data, pad < r->len ? pad : r->len, r->name };
    r->data += piece.len;
    r->len -= piece.len;
    r->addr += pad;
    if (r->len == 0)
        l->ram0++;
    return save_seg(m, w, &piece, name, chk, e);
}

/* §1.8 step 5: each flash segment page-aligned, RAM filling the gaps. */
static int layout_normal(struct e2i *m, struct wbuf *w, struct lists *l, uint8_t *chk,
                         unsigned *total, struct err *e)
{
    for (size_t i = 0; i < l->nflash;) {
        struct e2i_seg *s = l->flash[i];
        int64_t pad = pad_needed(m, w->len, s->addr);
        if (pad > 0) {
            if (save_pad(m, w, l, (uint32_t)pad, s->name, chk, e) != 0)
                return -1;
        } else {
            if ((w->len + SEG_HDR) % m->page != s->addr % m->page)
                return err_set(e, "AssertionError (flash segment at %#010x cannot be aligned)",
                               (unsigned)s->addr);
            if (save_flash(m, w, s, chk, e) != 0)
                return -1;
            i++;
        }
        ++*total;
    }
    for (; l->ram0 < l->nram; l->ram0++, ++*total)
        if (save_seg(m, w, &l->ram[l->ram0], l->ram[l->ram0].name, chk, e) != 0)
            return -1;
    return 0;
}

/* §1.9: RAM segments and their checksum first, then the flash segments in
 * reverse, each behind zero padding that aligns it once the image sits at
 * the bootloader offset; none of that is checksummed or counted. */
static int layout_ram_only(struct e2i *m, struct wbuf *w, struct lists *l, uint8_t *chk,
                           struct err *e)
{
    for (size_t i = 0; i < l->nram; i++)
        if (save_seg(m, w, &l->ram[i], l->ram[i].name, chk, e) != 0)
            return -1;
    put_checksum(w, *chk);
    int64_t p = m->page, boot = m->o->chip->bootloader_offset;
    for (size_t i = l->nflash; i-- > 0;) {
        struct e2i_seg *s = l->flash[i];
        int64_t pad = (((int64_t)s->addr - (int64_t)w->len - 2 * SEG_HDR) % p + p) % p;
        if (pad < boot)
            pad += p;
        pad -= boot;
        if (save_zeros(m, w, (uint32_t)pad, s->name, NULL, e) != 0 ||
            save_flash(m, w, s, NULL, e) != 0)
            return -1;
    }
    return 0;
}

/* §1.10: a zero segment so that the signed image ends on a page. */
static int secure_pad(struct e2i *m, struct wbuf *w, uint8_t *chk, unsigned *total,
                      struct err *e)
{
    if (!m->digest)
        return err_set(e, "secure_pad only applies if a SHA-256 digest is also appended to the "
                       "image");
    int64_t p = m->page, past = (int64_t)((w->len + SEG_HDR) % m->page);
    int64_t space = m->secure_pad == 1 ? 32 + 4 + 64 + 12 : 32;
    int64_t pad = ((p - past - 16 - space) % p + p) % p;
    ++*total;
    return save_zeros(m, w, (uint32_t)pad, NULL, chk, e);
}

/* The SHA-256 of the image so far, then 0xFF up to --pad-to-size.  The
 * padding goes where esptool's file position is: after rewriting the
 * segment count (offset 1) it is at offset 2, and only the digest moves it
 * to the end, so without a digest the 0xFF bytes overwrite the image from
 * offset 2 (esptool v5.3.1 bin_image.py:969-990). */
static void finish(struct e2i *m, struct wbuf *w, bool pad_to)
{
    size_t pos = 2;
    if (m->digest) {
        uint8_t d[32];
        size_t n = w->len;
        put(w, NULL, 32);
        if (!w->oom)
            hash_sha256(w->b, n, d), memcpy(w->b + n, d, 32);
        pos = w->len;
    }
    if (!pad_to || !m->pad_to || pos % m->pad_to == 0)
        return;
    size_t n = (size_t)(m->pad_to - pos % m->pad_to);
    if (pos + n > w->len)
        put(w, NULL, pos + n - w->len);
    if (!w->oom)
        memset(w->b + pos, 0xFF, n);
}

static int save_family(struct e2i *m, struct wbuf *w, struct err *e)
{
    /* struct.pack's range checks (the CLI lets 256 and 65536 through) */
    if (m->o->min_rev > 255)
        return err_set(e, "struct.error: ubyte format requires 0 <= number <= 255");
    if (m->o->min_rev_full > 65535 || m->o->max_rev_full > 65535)
        return err_set(e, "struct.error: ushort format requires 0 <= number <= 65535");
    put_header(w, IMAGE_MAGIC, (uint8_t)m->nsegs, m);
    uint8_t x[16] = { 0xEE };
    put_le16(x + 4, m->o->chip->image_id);
    x[6] = (uint8_t)m->o->min_rev;
    put_le16(x + 7, (uint16_t)m->o->min_rev_full);
    put_le16(x + 9, (uint16_t)m->o->max_rev_full);
    x[15] = m->digest;
    put(w, x, 16);
    struct lists l;
    if (split_lists(m, &l, false, e) != 0)
        return -1;
    uint8_t chk = 0xEF;
    unsigned total = 0;
    bool ram_only = m->o->ram_only_header;
    if ((ram_only ? layout_ram_only(m, w, &l, &chk, e) : layout_normal(m, w, &l, &chk, &total, e))
        != 0)
        return -1;
    if (m->secure_pad && secure_pad(m, w, &chk, &total, e) != 0)
        return -1;
    if (!ram_only)
        put_checksum(w, chk);
    if (!w->oom)
        w->b[1] = (uint8_t)(ram_only ? l.nram : total);
    finish(m, w, true);
    return 0;
}

/* ---- ESP8266 ---- */

/* get_irom_segment(): at most one segment in the irom0 mapping. */
static int irom_segment(struct e2i *m, struct e2i_seg **irom, struct err *e)
{
    size_t n = 0;
    *irom = NULL;
    for (size_t i = 0; i < m->nsegs; i++)
        if (m->segs[i].addr >= ESP8266_IROM_START && m->segs[i].addr < ESP8266_IROM_END) {
            if (!n++)
                *irom = &m->segs[i];
        }
    if (n > 1)
        return err_set(e, "Found %zu segments that could be irom0. Bad ELF file?", n);
    return 0;
}

/* The common header and the non-irom segments with their checksum (v1,
 * and v2's second part). */
static int save_plain(struct e2i *m, struct wbuf *w, const struct e2i_seg *irom,
                      struct err *e)
{
    put_header(w, IMAGE_MAGIC, (uint8_t)(m->nsegs - (irom != NULL)), m);
    uint8_t chk = 0xEF;
    for (size_t i = 0; i < m->nsegs; i++) {
        if (&m->segs[i] == irom)
            continue;
        struct view v = view_of(&m->segs[i]);
        if (save_seg(m, w, &v, NULL, &chk, e) != 0)
            return -1;
    }
    put_checksum(w, chk);
    return 0;
}

static int save_v1(struct e2i *m, struct wbuf *w, struct e2i_out *out, struct err *e)
{
    struct e2i_seg *irom;
    if (irom_segment(m, &irom, e) != 0 || save_plain(m, w, irom, e) != 0)
        return -1;
    out->two_files = true;
    if (irom) {
        out->irom = malloc(irom->len ? irom->len : 1);
        if (!out->irom)
            return err_set(e, "out of memory");
        memcpy(out->irom, irom->data, irom->len);
        out->irom_len = irom->len;
        out->irom_offset = irom->addr - ESP8266_IROM_START;
    }
    return 0;
}

/* The SDK bootloader's CRC: zlib's CRC-32, then inverted when bit 31 is
 * set, else plus one. */
static uint32_t esp8266_crc32(const uint8_t *d, size_t n)
{
    uint32_t crc = (uint32_t)crc32(0, d, (uInt)n);
    return crc & 0x80000000u ? crc ^ 0xFFFFFFFFu : crc + 1;
}

static int save_v2(struct e2i *m, struct wbuf *w, struct e2i_out *out, struct err *e)
{
    struct e2i_seg *irom;
    if (irom_segment(m, &irom, e) != 0)
        return -1;
    put_header(w, 0xEA, 4, m);
    if (irom) {
        out->irom_offset = irom->addr - ESP8266_IROM_START;
        struct view v = { 0, calloc((irom->len + 15) & ~15u, 1), (irom->len + 15) & ~15u, NULL };
        if (!v.data)
            return err_set(e, "out of memory");
        memcpy(v.data, irom->data, irom->len);
        int rc = save_seg(m, w, &v, NULL, NULL, e);
        free(v.data);
        if (rc != 0)
            return -1;
    }
    if (save_plain(m, w, irom, e) != 0)
        return -1;
    uint8_t crc[4];
    put_le32(crc, w->oom ? 0 : esp8266_crc32(w->b, w->len));
    put(w, crc, 4);
    return 0;
}

/* v3: flash segments first (".flash.rodata" without its first 8 bytes),
 * then RAM, no padding, no extended header, always a digest. */
static int save_v3(struct e2i *m, struct wbuf *w, struct err *e)
{
    put_header(w, IMAGE_MAGIC, (uint8_t)m->nsegs, m);
    struct lists l;
    if (split_lists(m, &l, true, e) != 0)
        return -1;
    uint8_t chk = 0xEF;
    for (size_t i = 0; i < l.nflash; i++) {
        struct view v = view_of(l.flash[i]);
        if (!strcmp(v.name, ".flash.rodata")) {
            uint32_t cut = v.len < 8 ? v.len : 8;
            v.data += cut;
            v.len -= cut;
        }
        if (save_seg(m, w, &v, NULL, &chk, e) != 0)
            return -1;
    }
    for (size_t i = 0; i < l.nram; i++)
        if (save_seg(m, w, &l.ram[i], NULL, &chk, e) != 0)
            return -1;
    put_checksum(w, chk);
    if (!w->oom)
        w->b[1] = (uint8_t)(l.nflash + l.nram);
    finish(m, w, false);
    return 0;
}

int e2i_save(struct e2i *m, struct e2i_out *out, struct err *e)
{
    struct wbuf w = { NULL, 0, 0, false };
    int rc;
    switch (m->kind) {
    case E2I_FAMILY: rc = save_family(m, &w, e); break;
    case E2I_V1: rc = save_v1(m, &w, out, e); break;
    case E2I_V2: rc = save_v2(m, &w, out, e); break;
    default: rc = save_v3(m, &w, e); break;
    }
    if (rc == 0 && w.oom)
        rc = err_set(e, "out of memory");
    if (rc != 0) {
        free(w.b);
        return -1;
    }
    out->image = w.b;
    out->image_len = w.len;
    return 0;
}

/* make_image: each file one segment, padded to 4 bytes, in the v1 format. */
int e2i_make_image(const struct e2i_file_seg *segs, size_t n, uint32_t entry,
                   struct e2i_out *out, struct err *e)
{
    static const struct e2i_opts o = { 0 };
    struct e2i m;
    memset(&m, 0, sizeof m);
    memset(out, 0, sizeof *out);
    m.o = &o;
    m.kind = E2I_V1;
    m.entry = entry;
    m.segs = calloc(n ? n : 1, sizeof *m.segs);
    int rc = m.segs ? 0 : err_set(e, "out of memory");
    for (size_t i = 0; i < n && rc == 0; i++, m.nsegs++) {
        struct e2i_seg *s = &m.segs[i];
        s->addr = segs[i].addr;
        /* ImageSegment pads to 4 bytes only at a non-zero address */
        s->len = (uint32_t)(s->addr ? (segs[i].len + 3) & ~(size_t)3 : segs[i].len);
        s->data = calloc(s->len ? s->len : 1, 1);
        if (!s->data)
            rc = err_set(e, "out of memory");
        else if (segs[i].len)
            memcpy(s->data, segs[i].data, segs[i].len);
    }
    struct wbuf w = { NULL, 0, 0, false };
    if (rc == 0)
        rc = save_v1(&m, &w, out, e);
    if (rc == 0 && w.oom)
        rc = err_set(e, "out of memory");
    for (size_t i = 0; i < m.nsegs; i++)
        free(m.segs[i].data);
    free(m.segs);
    if (rc != 0) {
        free(w.b);
        e2i_free(out);
        return -1;
    }
    out->image = w.b;
    out->image_len = w.len;
    return 0;
}
