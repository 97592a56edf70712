#include "bytes.h"
#include "fwgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "image.h"
#include "otadata.h"

/* Deterministic pseudo-random bytes (xorshift32); never zero state. */
struct rng { uint32_t s; };

static uint32_t rng_next(struct rng *r)
{
    uint32_t x = r->s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return r->s = x;
}

/* Code-like content: mostly random, with runs of a few common bytes so that
 * deflate gains roughly what it gains on real firmware. */
static void fill_code(struct rng *r, uint8_t *p, size_t n)
{
    static const uint8_t common[] = { 0x00, 0x01, 0x06, 0x20, 0x3f, 0x40, 0x81, 0xff };
    for (size_t i = 0; i < n; i++) {
        uint32_t v = rng_next(r);
        p[i] = (v & 0x300) ? (uint8_t)v : common[(v >> 4) & 7];
    }
}

/* Load addresses: Xtensa ESP32 and the S2/S3 memory maps differ from the
 * RISC-V chips'; only plausibility matters here. */
struct memmap { uint32_t drom, dram, iram, irom, boot_dram, boot_iram; };

static struct memmap memmap_for(const struct chip *c)
{
    if (strcmp(c->name, "esp32") == 0)
        return (struct memmap){ 0x3f400020, 0x3ffb0000, 0x40080000, 0x400d0020, 0x3fff0030, 0x40078000 };
    if (strcmp(c->name, "esp32s2") == 0)
        return (struct memmap){ 0x3f000020, 0x3ffbe000, 0x40022000, 0x40080020, 0x3ffe6100, 0x4004c000 };
    if (strcmp(c->name, "esp32s3") == 0)
        return (struct memmap){ 0x3c000020, 0x3fc88000, 0x40374000, 0x42000020, 0x3fcd7000, 0x403c8000 };
    if (strcmp(c->name, "esp32p4") == 0)
        return (struct memmap){ 0x40000020, 0x4ff00000, 0x4ff10000, 0x40100020, 0x4ffb0000, 0x4ff2a000 };
    return (struct memmap){ 0x3c000020, 0x3fc8a000, 0x40380000, 0x42000020, 0x3fcd5000, 0x403c9000 };
}

struct seg_spec { uint32_t addr, len; };

/* Assemble header + segments + checksum + SHA.  seg 0's first bytes are
 * taken from `desc` (descriptor), the rest is generated. */
static int build_image(const struct fwgen_opts *o, const struct seg_spec *segs, unsigned n,
                       const uint8_t *desc, size_t desc_len, uint32_t entry, uint16_t min_rev,
                       struct rng *r, uint8_t **out, size_t *len, struct err *e)
{
    size_t total = IMAGE_HEADER_LEN;
    for (unsigned i = 0; i < n; i++)
        total += 8 + segs[i].len;
    size_t data_len = (total | 15u) + 1;
    size_t full = data_len + IMAGE_SHA_LEN;
    uint8_t *b = calloc(1, full);
    if (!b)
        return err_set(e, "out of memory");
    int code = image_size_code(o->flash_size, e);
    if (code < 0) {
        free(b);
        return -1;
    }
    b[0] = IMAGE_MAGIC;
    b[1] = (uint8_t)n;
    b[2] = 2;                                   /* DIO, as MicroPython builds */
    b[3] = (uint8_t)(code << 4 | 0x0);          /* 40m (or the chip's code 0) */
    put_le32(b + 4, entry);
    b[8] = 0xEE;                                /* WP pin disabled */
    put_le16(b + 12, o->chip->image_id);
    b[14] = 0;
    put_le16(b + 15, min_rev);
    put_le16(b + 17, 0xFFFF);                      /* max revision unset */
    b[23] = 1;                                  /* SHA-256 appended */
    size_t off = IMAGE_HEADER_LEN;
    uint8_t sum = 0xEF;
    for (unsigned i = 0; i < n; i++) {
        put_le32(b + off, segs[i].addr);
        put_le32(b + off + 4, segs[i].len);
        off += 8;
        fill_code(r, b + off, segs[i].len);
        if (i == 0 && desc)
            memcpy(b + off, desc, desc_len);
        for (uint32_t j = 0; j < segs[i].len; j++)
            sum ^= b[off + j];
        off += segs[i].len;
    }
    b[data_len - 1] = sum;
    hash_sha256(b, data_len, b + data_len);
    *out = b;
    *len = full;
    return 0;
}

static void set_str(uint8_t *dst, const char *s, size_t n)
{
    size_t l = strlen(s);
    memset(dst, 0, n);
    memcpy(dst, s, l < n ? l : n - 1);
}

/* What starts the bootloader's first (DRAM) segment: esp_bootloader_desc_t,
 * or for an older bootloader the constants its banner prints, "ESP-IDF %s
 * 2nd stage bootloader" and the version string (never the 0x50 of a
 * descriptor: it starts with NULs). */
static size_t boot_head(const struct fwgen_opts *o, uint8_t *head, size_t cap)
{
    const char *idf = o->boot_idf ? o->boot_idf : "v5.4.2";
    memset(head, 0, cap);
    if (o->boot_no_desc) {
        static const char banner[] = "ESP-IDF %s 2nd stage bootloader";
        size_t n = strlen(idf);
        memcpy(head + 4, banner, sizeof banner);
        memcpy(head + 4 + sizeof banner, idf, n < 32 ? n : 32);
        return 4 + sizeof banner + 33;
    }
    head[0] = BOOT_DESC_MAGIC;
    put_le32(head + 4, 1);
    set_str(head + 8, idf, 32);
    set_str(head + 40, "Nov 21 2026 12:00:00", 24);
    return BOOT_DESC_LEN;
}

static int build_bootloader(const struct fwgen_opts *o, uint8_t **out, size_t *len,
                            struct err *e)
{
    struct memmap m = memmap_for(o->chip);
    struct rng r = { o->seed * 2654435761u + 17 };
    uint8_t head[128];
    size_t head_len = boot_head(o, head, sizeof head);
    struct seg_spec segs[3] = {
        { m.boot_dram, 0x0a40 },
        { m.boot_iram, 0x3c10 },
        { m.boot_iram + 0x4000, 0x1600 },
    };
    return build_image(o, segs, 3, head, head_len, m.boot_iram + 0x3a0, 0, &r, out, len, e);
}

#define APP_MIN_SIZE 0x5000u

int fwgen_app(const struct fwgen_opts *o, uint8_t **out, size_t *len, struct err *e)
{
    struct memmap m = memmap_for(o->chip);
    struct rng r = { o->seed * 2246822519u + 99 };
    uint32_t size = o->app_size ? o->app_size : 0x198000;
    /* The fixed DRAM segment and the share of the others need about 0x4800
     * bytes; below that the IROM length would wrap around. */
    if (size < APP_MIN_SIZE)
        size = APP_MIN_SIZE;
    uint8_t desc[APP_DESC_LEN] = { 0 };
    put_le32(desc, APP_DESC_MAGIC);
    set_str(desc + 0x10, o->version ? o->version : "v1.26.0", 32);
    set_str(desc + 0x30, o->project ? o->project : "micropython", 32);
    set_str(desc + 0x50, "12:00:00", 16);
    set_str(desc + 0x60, "Nov 21 2026", 16);
    set_str(desc + 0x70, o->app_idf ? o->app_idf : "v5.4.2", 32);
    for (int i = 0; i < 32; i++)
        desc[0x90 + i] = (uint8_t)rng_next(&r);
    /* DROM (rodata, holds the descriptor), DRAM, IRAM, IROM (code, the bulk),
     * all lengths multiples of 4 as the format requires. */
    uint32_t body = size - 0x100;
    uint32_t drom = (body / 5) & ~3u, dram = 0x3000, iram = (body / 8) & ~3u;
    uint32_t irom = (body - drom - dram - iram - 5 * 8) & ~3u;
    struct seg_spec segs[4] = {
        { m.drom, drom }, { m.dram, dram }, { m.iram, iram }, { m.irom, irom },
    };
    return build_image(o, segs, 4, desc, sizeof desc, m.iram + 0x1000, o->app_min_rev, &r, out,
                       len, e);
}

static void add(struct ptable *t, const char *name, uint8_t type, uint8_t sub, uint32_t off,
                uint32_t size)
{
    struct part *p = &t->p[t->n++];
    memset(p, 0, sizeof *p);
    strncpy(p->name, name, PTABLE_NAME_MAX);
    p->type = type, p->subtype = sub, p->offset = off, p->size = size;
}

void fwgen_table(const struct fwgen_opts *o, struct ptable *t)
{
    uint32_t flash = o->flash_size ? o->flash_size : 0x400000;
    memset(t, 0, sizeof *t);
    t->has_md5 = true;
    if (o->table == FWGEN_TABLE_OTA) {
        add(t, "nvs", PART_TYPE_DATA, PART_SUBTYPE_NVS, 0x9000, 0x4000);
        add(t, "otadata", PART_TYPE_DATA, PART_SUBTYPE_OTADATA, 0xd000, 0x2000);
        add(t, "phy_init", PART_TYPE_DATA, PART_SUBTYPE_PHY, 0xf000, 0x1000);
        add(t, "ota_0", PART_TYPE_APP, PART_SUBTYPE_OTA_0, 0x10000, 0x180000);
        add(t, "ota_1", PART_TYPE_APP, PART_SUBTYPE_OTA_0 + 1, 0x190000, 0x180000);
        return;
    }
    add(t, "nvs", PART_TYPE_DATA, PART_SUBTYPE_NVS, 0x9000, 0x6000);
    add(t, "phy_init", PART_TYPE_DATA, PART_SUBTYPE_PHY, 0xf000, 0x1000);
    add(t, "factory", PART_TYPE_APP, PART_SUBTYPE_FACTORY, 0x10000, 0x1f0000);
    if (o->table == FWGEN_TABLE_V125 && flash > 0x200000)
        add(t, "vfs", PART_TYPE_DATA, PART_SUBTYPE_FAT, 0x200000, flash - 0x200000);
}

int fwgen_firmware(const struct fwgen_opts *o, uint8_t **out, size_t *len, uint32_t *base,
                   struct err *e)
{
    struct fwgen_opts opt = *o;
    if (!opt.flash_size)
        opt.flash_size = 0x400000;
    struct ptable t;
    fwgen_table(&opt, &t);
    const struct part *app = ptable_first_app(&t);
    /* The default app is as large as MicroPython's; where a preset's slot
     * is smaller (OTA), fill 7/8 of it instead, so every preset works. */
    if (!opt.app_size && app->size < 0x198000 + 0x10000)
        opt.app_size = app->size / 8 * 7;
    uint8_t *boot = NULL, *appimg = NULL;
    size_t boot_len, app_len;
    if (build_bootloader(&opt, &boot, &boot_len, e) || fwgen_app(&opt, &appimg, &app_len, e)) {
        free(boot);
        return -1;
    }
    if (app_len > app->size) {
        free(boot), free(appimg);
        return err_set(e, "generated app (%zu bytes) does not fit '%s'", app_len, app->name);
    }
    uint32_t start = opt.full_dump ? 0 : opt.chip->bootloader_offset;
    uint32_t end = app->offset + (uint32_t)app_len;
    if (opt.pad_to_flash)
        end = opt.flash_size;
    uint8_t *b = malloc(end - start);
    if (!b) {
        free(boot), free(appimg);
        return err_set(e, "out of memory");
    }
    memset(b, 0xFF, end - start);
    memcpy(b + opt.chip->bootloader_offset - start, boot, boot_len);
    ptable_serialize(&t, b + PTABLE_OFFSET - start);
    memcpy(b + app->offset - start, appimg, app_len);
    free(boot), free(appimg);
    *out = b;
    *len = end - start;
    *base = start;
    return 0;
}

/* ---- a deployed device ---------------------------------------------------- */

#define DEVICE_APP_SIZE 0xC0000u     /* about what an Arduino sketch with WiFi is */
#define DEVICE_DATA_LEN 0x10000u     /* data written into each data partition */

static bool is_slot(const struct part *p)
{
    return p->type == PART_TYPE_APP &&
           (p->subtype == PART_SUBTYPE_FACTORY ||
            (p->subtype >= PART_SUBTYPE_OTA_0 && p->subtype <= PART_SUBTYPE_OTA_15));
}

static int device_app(const struct fwgen_device *d, int i, uint8_t *flash, struct err *e)
{
    const struct part *p = &d->table->p[i];
    struct fwgen_opts o = d->fw;
    char version[32];
    snprintf(version, sizeof version, "1.0.%d", i);
    o.version = version;
    o.seed = d->fw.seed + 1 + (uint32_t)i;
    o.app_size = d->fw.app_size ? d->fw.app_size : DEVICE_APP_SIZE;
    if (o.app_size > p->size / 8 * 7)
        o.app_size = p->size / 8 * 7;
    uint8_t *img;
    size_t len;
    if (fwgen_app(&o, &img, &len, e))
        return -1;
    if (len > p->size) {
        free(img);
        return err_set(e, "generated app (%zu bytes) does not fit '%s'", len, p->name);
    }
    memcpy(flash + p->offset, img, len);
    free(img);
    return 0;
}

/* otadata as ESP-IDF leaves it after updates into ota_0 .. ota_<slot>:
 * every earlier entry confirmed (VALID), the last one in `state`. */
static int device_otadata(const struct fwgen_device *d, uint8_t *buf, struct err *e)
{
    int n = otadata_app_count(d->table);
    memset(buf, 0xFF, OTADATA_SIZE);
    for (int k = 0; k <= d->boot_slot; k += d->boot_slot > 0 ? d->boot_slot : 1)
        if (otadata_select(buf, OTADATA_SIZE, k, n, k == d->boot_slot ? d->ota_state :
                           OTA_IMG_VALID, e))
            return -1;
    for (int s = 0; d->corrupt_otadata && s < 2; s++)
        if (get_le32(buf + s * OTADATA_SECTOR) != 0xFFFFFFFFu)
            buf[s * OTADATA_SECTOR + 28] ^= 0x01;
    return 0;
}

int fwgen_device(const struct fwgen_device *d, uint8_t **out, struct err *e)
{
    struct fwgen_opts o = d->fw;
    uint32_t size = o.flash_size ? o.flash_size : 0x400000;
    struct rng r = { o.seed * 2654435761u + 5 };
    uint8_t *flash = malloc(size), *boot = NULL;
    size_t boot_len;
    if (!flash)
        return err_set(e, "out of memory");
    memset(flash, 0xFF, size);
    o.flash_size = size;
    int rc = build_bootloader(&o, &boot, &boot_len, e);
    if (rc == 0)
        memcpy(flash + o.chip->bootloader_offset, boot, boot_len);
    free(boot);
    if (rc == 0 && ptable_end(d->table) > size)
        rc = err_set(e, "the partition table needs more than %u bytes of flash", size);
    if (rc == 0)
        ptable_serialize(d->table, flash + PTABLE_OFFSET);
    for (int i = 0; rc == 0 && i < d->table->n; i++) {
        const struct part *p = &d->table->p[i];
        if (is_slot(p))
            rc = device_app(d, i, flash, e);
        else if (p->type == PART_TYPE_DATA && p->subtype == PART_SUBTYPE_OTADATA)
            rc = device_otadata(d, flash + p->offset, e);
        else if (p->type == PART_TYPE_DATA)
            fill_code(&r, flash + p->offset, p->size < DEVICE_DATA_LEN ? p->size : DEVICE_DATA_LEN);
    }
    if (rc) {
        free(flash);
        return -1;
    }
    *out = flash;
    return 0;
}
