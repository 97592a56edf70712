#include "image_load.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "hash.h"

/* A read position over the buffer, like the BytesIO esptool reads from. */
struct rd {
    const uint8_t *b;
    size_t len, pos;
    iload_warn_fn warn;
    void *ctx;
};

static void warnf(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warnf(struct rd *r, const char *fmt, ...)
{
    if (!r->warn)
        return;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->warn(r->ctx, msg);
}

/* f.read(n) that must return n bytes for struct.unpack. */
static const uint8_t *need(struct rd *r, size_t n, struct err *e)
{
    if (r->pos > r->len || r->len - r->pos < n) {
        err_set(e, "struct.error: unpack requires a buffer of %zu bytes", n);
        return NULL;
    }
    const uint8_t *p = r->b + r->pos;
    r->pos += n;
    return p;
}

static int common_header(struct rd *r, uint8_t magic, struct iload *img, uint8_t *count,
                         struct err *e)
{
    const uint8_t *h = need(r, 8, e);
    if (!h)
        return -1;
    *count = h[1];
    img->flash_mode = h[2];
    img->size_freq = h[3];
    img->entry = get_le32(h + 4);
    if (h[0] != magic)
        return err_set(e, "Invalid firmware image magic=0x%x", h[0]);
    return 0;
}

static int extended_header(struct rd *r, struct iload *img, struct err *e)
{
    const uint8_t *x = need(r, 16, e);
    if (!x)
        return -1;
    img->ext = true;
    img->wp_pin = x[0];
    img->clk_drv = x[1] & 15, img->q_drv = x[1] >> 4;
    img->d_drv = x[2] & 15, img->cs_drv = x[2] >> 4;
    img->hd_drv = x[3] & 15, img->wp_drv = x[3] >> 4;
    img->chip_id = get_le16(x + 4);
    if (img->chip_id != img->chip->image_id)
        warnf(r, "Unexpected chip ID in image. Expected %u but value was %u. Is this image for "
              "a different chip model?", img->chip->image_id, img->chip_id);
    img->min_rev = x[6];
    img->min_rev_full = get_le16(x + 7);
    img->max_rev_full = get_le16(x + 9);
    if (x[15] > 1)
        return err_set(e, "Invalid value for append_digest field (0x%02x). Should be 0 or 1.",
                       x[15]);
    img->append_digest = x[15] == 1;
    return 0;
}

/* load_segment(); ESP8266 images warn about odd places and sizes. */
static int segment(struct rd *r, struct iload *img, bool irom, struct err *e)
{
    if (img->nseg == ILOAD_MAX_SEGMENTS)
        return err_set(e, "too many segments");
    struct iload_seg *s = &img->seg[img->nseg];
    s->file_offs = (uint32_t)r->pos;
    const uint8_t *h = need(r, 8, e);
    if (!h)
        return -1;
    s->addr = get_le32(h);
    s->len = get_le32(h + 4);
    s->in_checksum = true;
    if (!img->ext && !irom && (s->addr > 0x40200000 || s->addr < 0x3FFE0000 || s->len > 65536))
        warnf(r, "Suspicious segment 0x%x, length %u", (unsigned)s->addr, (unsigned)s->len);
    size_t have = r->pos < r->len ? r->len - r->pos : 0;
    if (have < s->len)
        return err_set(e, "End of file reading segment 0x%x, length %u (actual length %zu)",
                       (unsigned)s->addr, (unsigned)s->len, have);
    s->data = r->b + r->pos;
    r->pos += s->len;
    img->nseg++;
    return 0;
}

static int segments_and_checksum(struct rd *r, struct iload *img, unsigned count, struct err *e)
{
    for (unsigned i = 0; i < count; i++)
        if (segment(r, img, false, e) != 0)
            return -1;
    r->pos += 15 - r->pos % 16;
    if (r->pos >= r->len)
        return err_set(e, "TypeError: ord() expected a character, but string of length 0 found");
    img->checksum = r->b[r->pos++];
    return 0;
}

static int load_esp32(struct rd *r, struct iload *img, struct err *e)
{
    uint8_t count;
    if (common_header(r, 0xE9, img, &count, e) != 0 || extended_header(r, img, e) != 0 ||
        segments_and_checksum(r, img, count, e) != 0)
        return -1;
    if (img->append_digest) {
        img->data_length = r->pos;
        size_t n = r->len - r->pos < 32 ? r->len - r->pos : 32;
        memcpy(img->stored_digest, r->b + r->pos, n);
        img->stored_digest_len = n;
        hash_sha256(r->b, r->pos, img->calc_digest);
    }
    return 0;
}

/* "v2": a header, the irom0 segment (address 0, not checksummed), then a
 * v1 image whose header esptool trusts over the first. */
static int load_v2(struct rd *r, struct iload *img, struct err *e)
{
    uint8_t count;
    img->version = 2;
    if (common_header(r, 0xEA, img, &count, e) != 0)
        return -1;
    if (count != 4)
        warnf(r, "V2 header has unexpected \"segment\" count %u (usually 4)", count);
    if (segment(r, img, true, e) != 0)
        return -1;
    img->seg[0].addr = 0;
    img->seg[0].in_checksum = false;
    uint8_t mode = img->flash_mode, sf = img->size_freq;
    uint32_t entry = img->entry;
    if (common_header(r, 0xE9, img, &count, e) != 0)
        return -1;
    if (mode != img->flash_mode)
        warnf(r, "Flash mode value in first header (0x%02x) disagrees with second (0x%02x). Using "
              "second value.", mode, img->flash_mode);
    if (sf != img->size_freq)
        warnf(r, "Flash size/freq value in first header (0x%02x) disagrees with second (0x%02x). "
              "Using second value.", sf, img->size_freq);
    if (entry != img->entry)
        warnf(r, "Entrypoint address in first header (0x%08x) disagrees with second header "
              "(0x%08x). Using second value.", (unsigned)entry, (unsigned)img->entry);
    return segments_and_checksum(r, img, count, e);
}

int iload_parse(const uint8_t *buf, size_t len, const struct chip *c, struct iload *out,
                iload_warn_fn warn, void *ctx, struct err *e)
{
    struct rd r = { buf, len, 0, warn, ctx };
    memset(out, 0, sizeof *out);
    out->chip = c;
    out->version = 1;
    int rc;
    if (c->has_ext_header) {
        rc = load_esp32(&r, out, e);
    } else if (len == 0) {
        rc = err_set(e, "TypeError: ord() expected a character, but string of length 0 found");
    } else if (buf[0] == 0xE9) {
        uint8_t count;
        rc = common_header(&r, 0xE9, out, &count, e);
        if (rc == 0)
            rc = segments_and_checksum(&r, out, count, e);
    } else if (buf[0] == 0xEA) {
        rc = load_v2(&r, out, e);
    } else {
        rc = err_set(e, "Invalid image magic number: %u", buf[0]);
    }
    if (rc == 0 && out->nseg > 16)
        rc = err_set(e, "Invalid segment count %zu (max 16). Usually this indicates a linker "
                     "script problem.", out->nseg);
    return rc;
}

uint8_t iload_checksum(const struct iload *img)
{
    uint8_t c = 0xEF;
    for (size_t i = 0; i < img->nseg; i++)
        if (img->seg[i].in_checksum)
            for (uint32_t k = 0; k < img->seg[i].len; k++)
                c ^= img->seg[i].data[k];
    return c;
}

int iload_detect(const uint8_t *buf, size_t len, const struct chip **c, struct err *e)
{
    if (len == 0)
        return err_set(e, "Image is empty.");
    if (buf[0] != 0xE9 && buf[0] != 0xEA)
        return err_set(e, "This is not a valid image (invalid magic number: 0x%x).", buf[0]);
    size_t ext = len < 24 ? (len > 8 ? len - 8 : 0) : 16;
    if (ext == 0)
        return err_set(e, "IndexError: index out of range");
    *c = chip_by_name("esp8266");
    if (buf[8 + ext - 1] > 1)
        return 0;
    /* esptool compares only the low byte of the chip id */
    const struct chip *found = chip_by_image_id(ext > 4 ? buf[12] : 0);
    if (found)
        *c = found;
    return 0;
}
