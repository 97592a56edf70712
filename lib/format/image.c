#include "bytes.h"
#include "hash.h"
#include "image.h"

#include <string.h>

/* Segments longer than this are not plausible in any ESP image (the
 * largest memory region is 16 MB of mapped flash). */
#define SEGMENT_MAX (16u * 1024 * 1024)

int image_parse_header(const uint8_t *buf, struct image_info *img, struct err *e)
{
    memset(img, 0, sizeof *img);
    if (buf[0] != IMAGE_MAGIC)
        return err_set(e, "no image: wrong magic 0x%02x (expected 0xe9)", buf[0]);
    img->segment_count = buf[1];
    img->flash_mode = buf[2];
    img->flash_freq = buf[3] & 0x0F;
    img->flash_size_code = buf[3] >> 4;
    img->entry = get_le32(buf + 4);
    img->wp_pin = buf[8];
    img->chip_id = get_le16(buf + 12);
    img->min_rev = buf[14];
    img->min_rev_full = get_le16(buf + 15);
    img->max_rev_full = get_le16(buf + 17);
    img->hash_appended = buf[23];
    if (img->segment_count == 0 || img->segment_count > IMAGE_MAX_SEGMENTS)
        return err_set(e, "bad image header: %u segments (1..%d allowed)", img->segment_count,
                       IMAGE_MAX_SEGMENTS);
    if (img->hash_appended > 1)
        return err_set(e, "bad image header: hash_appended byte is 0x%02x", img->hash_appended);
    img->chip = chip_by_image_id(img->chip_id);
    if (!img->chip)
        return err_set(e, "bad image header: unknown chip id 0x%04x", img->chip_id);
    return 0;
}

/* Offset just past the segment table walk: where the checksum padding starts,
 * or 0 with `*need` set when more bytes are required to know it, or 0 with
 * `*bad` = 1 + index of a segment whose length is implausible. */
static uint32_t walk_segments(const uint8_t *buf, size_t have, unsigned count,
                              struct image_segment *seg, uint32_t *need, int *bad)
{
    uint32_t off = IMAGE_HEADER_LEN;
    *bad = 0;
    *need = 0;
    for (unsigned i = 0; i < count; i++) {
        if (have < (size_t)off + 8) {
            *need = off + 8;
            return 0;
        }
        uint32_t len = get_le32(buf + off + 4);
        if (len > SEGMENT_MAX) {
            *bad = (int)i + 1;
            if (seg)
                seg[i] = (struct image_segment){ get_le32(buf + off), len, off + 8 };
            return 0;
        }
        if (seg) {
            seg[i].load_addr = get_le32(buf + off);
            seg[i].len = len;
            seg[i].data_offset = off + 8;
        }
        off += 8 + len;
    }
    return off;
}

/* The checksum byte sits where (offset + 1) is a multiple of 16. */
static uint32_t checksum_offset_after(uint32_t end_of_segments)
{
    return (end_of_segments | 15u);
}

uint32_t image_bytes_needed(const uint8_t *buf, size_t have)
{
    if (have < IMAGE_HEADER_LEN)
        return IMAGE_HEADER_LEN;
    uint32_t need;
    int bad;
    unsigned count = buf[1] > IMAGE_MAX_SEGMENTS ? IMAGE_MAX_SEGMENTS : buf[1];
    uint32_t end = walk_segments(buf, have, count, NULL, &need, &bad);
    if (bad)
        return 0;                 /* image_parse will report it */
    if (need)
        return need;
    uint32_t total = checksum_offset_after(end) + 1 + (buf[23] == 1 ? IMAGE_SHA_LEN : 0);
    return have >= total ? 0 : total;
}

int image_parse(const uint8_t *buf, size_t len, struct image_info *img, struct err *e)
{
    if (len < IMAGE_HEADER_LEN)
        return err_set(e, "truncated image: %zu bytes, the header alone needs %d", len,
                       IMAGE_HEADER_LEN);
    if (image_parse_header(buf, img, e))
        return -1;
    uint32_t need;
    int bad;
    uint32_t end = walk_segments(buf, len, img->segment_count, img->seg, &need, &bad);
    if (bad)
        return err_set(e, "bad image: segment %d at offset 0x%x has an implausible length 0x%x",
                       bad - 1, img->seg[bad - 1].data_offset - 8, img->seg[bad - 1].len);
    if (need || end > len)
        return err_set(e, "truncated image: segments need %u bytes, only %zu present",
                       need ? need : end, len);
    image_set_layout(img, end);
    if (img->total_len > len)
        return err_set(e, "truncated image: %u bytes needed, only %zu present", img->total_len,
                       len);
    return 0;
}

int image_segment_header(const uint8_t h[8], uint32_t off, unsigned i, struct image_segment *seg,
                         struct err *e)
{
    seg->load_addr = get_le32(h);
    seg->len = get_le32(h + 4);
    seg->data_offset = off + 8;
    if (seg->len > SEGMENT_MAX)
        return err_set(e, "bad image: segment %u at offset 0x%x has an implausible length 0x%x",
                       i, off, seg->len);
    return 0;
}

void image_set_layout(struct image_info *img, uint32_t end_of_segments)
{
    img->checksum_offset = checksum_offset_after(end_of_segments);
    img->data_len = img->checksum_offset + 1;
    img->total_len = img->data_len + (img->hash_appended ? IMAGE_SHA_LEN : 0);
}

static void copy_str(char *dst, const uint8_t *src, size_t n)
{
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* esp_app_desc_t: first thing in the first segment (image offset 0x20). */
static void decode_app_desc(const uint8_t *buf, const struct image_info *img,
                            struct image_info *out)
{
    const struct image_segment *s = &img->seg[0];
    if (s->len < APP_DESC_LEN || get_le32(buf + s->data_offset) != APP_DESC_MAGIC)
        return;
    const uint8_t *d = buf + s->data_offset;
    out->has_app_desc = true;
    out->app.secure_version = get_le32(d + 0x04);
    copy_str(out->app.version, d + 0x10, 32);
    copy_str(out->app.project_name, d + 0x30, 32);
    copy_str(out->app.time, d + 0x50, 16);
    copy_str(out->app.date, d + 0x60, 16);
    copy_str(out->app.idf_ver, d + 0x70, 32);
    memcpy(out->app.elf_sha256, d + 0x90, 32);
}

/* esp_bootloader_desc_t (IDF >= 5): first thing in the first segment of a
 * bootloader image, magic byte 0x50. */
static void decode_boot_desc(const uint8_t *buf, const struct image_info *img,
                             struct image_info *out)
{
    const struct image_segment *s = &img->seg[0];
    if (s->len < BOOT_DESC_LEN || buf[s->data_offset] != BOOT_DESC_MAGIC)
        return;
    const uint8_t *d = buf + s->data_offset;
    out->has_boot_desc = true;
    out->boot.secure_version = d[3];
    out->boot.version = get_le32(d + 4);
    copy_str(out->boot.idf_ver, d + 8, 32);
    copy_str(out->boot.date_time, d + 40, 24);
}

void image_verify(const uint8_t *buf, struct image_info *img)
{
    uint8_t sum = 0xEF;
    for (unsigned i = 0; i < img->segment_count; i++)
        for (uint32_t j = 0; j < img->seg[i].len; j++)
            sum ^= buf[img->seg[i].data_offset + j];
    img->checksum_calc = sum;
    img->checksum_stored = buf[img->checksum_offset];
    img->checksum_ok = sum == img->checksum_stored;
    if (img->hash_appended) {
        hash_sha256(buf, img->data_len, img->sha_calc);
        memcpy(img->sha_stored, buf + img->data_len, IMAGE_SHA_LEN);
        img->sha_ok = memcmp(img->sha_calc, img->sha_stored, IMAGE_SHA_LEN) == 0;
    }
    image_decode_desc(buf, img);
}

void image_decode_desc(const uint8_t *buf, struct image_info *img)
{
    img->has_app_desc = img->has_boot_desc = false;
    decode_app_desc(buf, img, img);
    if (!img->has_app_desc)
        decode_boot_desc(buf, img, img);
}

int image_size_code(uint32_t size, struct err *e)
{
    for (unsigned code = 0; code <= 7; code++)
        if (size == (1024u * 1024u) << code)
            return (int)code;
    return err_set(e, "flash size 0x%x is not one of 1MB, 2MB, 4MB, 8MB, 16MB, 32MB, 64MB, 128MB",
                   size);
}

uint32_t image_size_from_code(unsigned code)
{
    return code <= 7 ? (1024u * 1024u) << code : 0;
}

int image_set_flash_params(uint8_t *buf, size_t len, int mode, int freq, int size_code,
                           struct err *e)
{
    struct image_info img;
    if (image_parse(buf, len, &img, e))
        return -1;
    if (mode >= 0)
        buf[2] = (uint8_t)mode;
    if (freq >= 0)
        buf[3] = (uint8_t)((buf[3] & 0xF0) | (freq & 0x0F));
    if (size_code >= 0)
        buf[3] = (uint8_t)((buf[3] & 0x0F) | (size_code << 4));
    if (img.hash_appended)
        hash_sha256(buf, img.data_len, buf + img.data_len);
    return 0;
}

static const char *const mode_names[] = { "QIO", "QOUT", "DIO", "DOUT", "FAST_READ", "SLOW_READ" };

const char *image_mode_name(unsigned mode)
{
    return mode < sizeof mode_names / sizeof mode_names[0] ? mode_names[mode] : "unknown";
}

int image_mode_code(const char *name)
{
    for (unsigned i = 0; i < 4; i++) {
        const char *a = mode_names[i], *b = name;
        while (*a && (*a | 0x20) == (*b | 0x20))
            a++, b++;
        if (!*a && !*b)
            return (int)i;
    }
    return -1;
}
