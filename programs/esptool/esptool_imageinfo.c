/* image_info's text, as esptool v5.3.1 prints it (cmds.py image_info,
 * _print_image_info): the header, the extended header, every segment with
 * its memory types, the checksum and digest, and the app or bootloader
 * descriptor; ESP8266 v1 and v2 images too.  The image is read as esptool
 * reads it (lib/format/image_load.c). */
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "chip_image.h"
#include "esptool_cmds.h"
#include "image_load.h"

static void warn(void *ctx, const char *msg)
{
    (void)ctx;
    es_warn("%s", msg);
}

static void title(const char *fmt, const char *chip)
{
    char t[80];
    snprintf(t, sizeof t, fmt, chip);
    char line[80];
    size_t n = strlen(t) < sizeof line - 1 ? strlen(t) : sizeof line - 1;
    memset(line, '=', n);
    line[n] = '\0';
    es_print("%s", t);
    es_print("%s", line);
}

static void print_header(const struct iload *img, const struct chip_image *ci)
{
    es_print("Image version: %d", img->version);
    if (img->entry)
        es_print("Entry point: %#8x", (unsigned)img->entry);
    else
        es_print("Entry point not set");
    es_print("Segments: %zu", img->nseg);
    const char *s = chip_code_name(ci->sizes, img->size_freq & 0xF0);
    if (s)
        es_print("Flash size: %s", s);
    else
        es_warn("Invalid flash size (0x%x)", img->size_freq & 0xF0);
    const char *f = chip_code_name(ci->freqs, img->size_freq & 0x0F);
    if (f)
        es_print("Flash freq: %s", f);
    else
        es_warn("Invalid flash frequency (0x%x)", img->size_freq & 0x0F);
    static const char *const modes[] = { "QIO", "QOUT", "DIO", "DOUT" };
    if (img->flash_mode < 4)
        es_print("Flash mode: %s", modes[img->flash_mode]);
    else
        es_warn("Invalid flash mode (%u)", img->flash_mode);
}

static void print_extended(const struct iload *img)
{
    es_print("%s", "");
    title("%s Extended Image Header", img->chip->display);
    es_print("WP pin: 0x%x%s", img->wp_pin, img->wp_pin == 0xEE ? " (disabled)" : "");
    es_print("Flash pins drive settings: clk_drv: 0x%x, q_drv: 0x%x, d_drv: 0x%x, cs0_drv: 0x%x, "
             "hd_drv: 0x%x, wp_drv: 0x%x", img->clk_drv, img->q_drv, img->d_drv, img->cs_drv,
             img->hd_drv, img->wp_drv);
    const struct chip *c = chip_by_image_id(img->chip_id);
    es_print("Chip ID: %u (%s)", img->chip_id, c ? c->display : "Unknown ID");
    es_print("Minimal chip revision: v%u.%u, (legacy min_rev = %u)", img->min_rev_full / 100,
             img->min_rev_full % 100, img->min_rev);
    es_print("Maximal chip revision: v%u.%u", img->max_rev_full / 100, img->max_rev_full % 100);
}

/* sanitize_string(): the bytes without their NULs. */
static void text(const uint8_t *p, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i])
            out[k++] = (char)p[i];
    out[k] = '\0';
}

static int print_app_desc(const struct iload_seg *s, struct err *e)
{
    if (s->len < 256)
        return err_set(e, "struct.error: unpack requires a buffer of 256 bytes");
    const uint8_t *d = s->data;
    if (get_le32(d) != 0xABCD5432)
        return 0;
    char version[33], project[33], tm[17], date[17], idf[33], sha[65];
    text(d + 16, 32, version), text(d + 48, 32, project), text(d + 80, 16, tm);
    text(d + 96, 16, date), text(d + 112, 32, idf);
    for (int i = 0; i < 32; i++)
        snprintf(sha + 2 * i, 3, "%02x", d[144 + i]);
    unsigned lo = get_le16(d + 176), hi = get_le16(d + 178);
    es_print("%s", "");
    title("%sApplication Information", "");
    es_print("Project name: %s", project);
    es_print("App version: %s", version);
    es_print("Compile time: %s %s", date, tm);
    es_print("ELF file SHA256: %s", sha);
    es_print("ESP-IDF: %s", idf);
    es_print("Minimal eFuse block revision: %u.%u", lo / 100, lo % 100);
    es_print("Maximal eFuse block revision: %u.%u", hi / 100, hi % 100);
    if (d[180])
        es_print("MMU page size: %llu KB",
                 d[180] < 64 ? (unsigned long long)(((uint64_t)1 << d[180]) / 1024) : 0ULL);
    es_print("Secure version: %u", (unsigned)get_le32(d + 4));
    return 0;
}

static void print_boot_desc(const struct iload_seg *s)
{
    const uint8_t *d = s->data;
    if (d[0] != 0x50)
        return;
    char idf[33], when[25];
    text(d + 8, 32, idf), text(d + 40, 24, when);
    es_print("%s", "");
    title("%sBootloader Information", "");
    es_print("Bootloader version: %u", (unsigned)get_le32(d + 4));
    es_print("ESP-IDF: %s", idf);
    es_print("Compile time: %s", when);
}

/* The segment table; the first DROM segment may hold the app descriptor,
 * the last DRAM one of 80 bytes or more the bootloader's. */
static void print_segments(const struct iload *img, const struct chip_image *ci,
                           const struct iload_seg **app, const struct iload_seg **boot)
{
    es_print("%s", "");
    title("%sSegments Information", "");
    es_print("Segment   Length   Load addr   File offs  Memory types");
    es_print("-------  -------  ----------  ----------  ------------");
    *app = *boot = NULL;
    for (size_t i = 0; i < img->nseg; i++) {
        const struct iload_seg *s = &img->seg[i];
        char types[200], padded[204];
        chip_image_memory_types(ci, s->addr, types, sizeof types);
        snprintf(padded, sizeof padded, ", %s,", types);
        if (strstr(padded, ", DROM,") && !*app)
            *app = s;
        else if (strstr(padded, ", DRAM,") && s->len >= 80)
            *boot = s;
        es_print("%7zu  0x%05x  0x%08x  0x%08x  %s", i, (unsigned)s->len, (unsigned)s->addr,
                 (unsigned)s->file_offs, types);
    }
}

static void print_footer(const struct iload *img)
{
    es_print("%s", "");
    title("%s Image Footer", img->chip->display);
    uint8_t calc = iload_checksum(img);
    if (calc == img->checksum)
        es_print("Checksum: 0x%02x (valid)", img->checksum);
    else
        es_print("Checksum: 0x%02x (invalid - calculated 0x%02x)", img->checksum, calc);
    if (!img->append_digest)
        return;
    char h[65];
    for (int i = 0; i < 32; i++)
        snprintf(h + 2 * i, 3, "%02x", img->calc_digest[i]);
    bool ok = img->stored_digest_len == 32 && !memcmp(img->stored_digest, img->calc_digest, 32);
    es_print("Validation hash: %s (%s)", h, ok ? "valid" : "invalid");
}

int es_image_info_print(const char *chip_arg, const uint8_t *buf, size_t len, struct err *e)
{
    const struct chip *c = NULL;
    bool detect = !chip_arg || !strcmp(chip_arg, "auto");
    if (detect ? iload_detect(buf, len, &c, e) != 0 : !(c = chip_by_name(chip_arg)))
        return detect ? -1 : err_set(e, "unknown chip '%s'", chip_arg);
    es_print("Image size: %zu bytes", len);
    if (detect)
        es_print("Detected image type: %s", c->display);
    static struct iload img;
    if (iload_parse(buf, len, c, &img, warn, NULL, e) != 0)
        return -1;
    const struct chip_image *ci = chip_image(c);
    es_print("%s", "");
    title("%s Image Header", c->display);
    print_header(&img, ci);
    if (c->has_ext_header)
        print_extended(&img);
    const struct iload_seg *app, *boot;
    print_segments(&img, ci, &app, &boot);
    print_footer(&img);
    if (app && app->len)
        return print_app_desc(app, e);
    if (boot)
        print_boot_desc(boot);
    return 0;
}
