#include "firmware.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "flash_file.h"

#define LFS_MAGIC_OFFSET 8        /* "littlefs" sits 8 bytes into the superblock */

const char *firmware_kind_name(enum firmware_kind kind)
{
    switch (kind) {
    case FW_IMAGE: return "firmware file";
    case FW_DUMP: return "flash dump";
    case FW_DEVICE: return "device";
    case FW_FS_IMAGE: return "filesystem image";
    case FW_APP_IMAGE: return "app image";
    }
    return "?";
}

static bool valid_header_at(const uint8_t *buf, size_t len, size_t off, struct image_info *img)
{
    struct err e;
    return len >= off + IMAGE_HEADER_LEN && image_parse_header(buf + off, img, &e) == 0;
}

static bool is_littlefs(const uint8_t *buf, size_t len)
{
    /* The superblock pair is blocks 0 and 1 (4 KiB blocks as MicroPython). */
    for (size_t blk = 0; blk < 2; blk++) {
        size_t off = blk * 4096 + LFS_MAGIC_OFFSET;
        if (len >= off + 8 && memcmp(buf + off, "littlefs", 8) == 0)
            return true;
    }
    return false;
}

/* An app image has an esp_app_desc_t where a bootloader has its own
 * descriptor (or none). */
static bool has_app_desc(const uint8_t *buf, size_t len)
{
    return len >= APP_DESC_OFFSET + 4 && buf[APP_DESC_OFFSET] == 0x32 &&
           buf[APP_DESC_OFFSET + 1] == 0x54 && buf[APP_DESC_OFFSET + 2] == 0xCD &&
           buf[APP_DESC_OFFSET + 3] == 0xAB;
}

int firmware_detect(const uint8_t *buf, size_t len, enum firmware_kind *kind, uint32_t *base,
                    struct err *e)
{
    struct image_info img;
    if (len == 0)
        return err_set(e, "empty file");
    if (valid_header_at(buf, len, 0, &img)) {
        if (has_app_desc(buf, len)) {
            *kind = FW_APP_IMAGE;
            *base = 0;
            return 0;
        }
        /* A bootloader at file offset 0: the file starts at the chip's
         * bootloader offset (0x0 on most chips, so also a dump). */
        *base = img.chip->bootloader_offset;
        uint32_t hdr_size = image_size_from_code(img.flash_size_code);
        *kind = (*base == 0 && hdr_size && len >= hdr_size) ? FW_DUMP : FW_IMAGE;
        return 0;
    }
    /* A full flash dump of a chip whose bootloader is not at 0x0. */
    for (size_t off = 0x1000; off <= 0x2000; off += 0x1000) {
        if (valid_header_at(buf, len, off, &img) && img.chip->bootloader_offset == off) {
            *kind = FW_DUMP;
            *base = 0;
            return 0;
        }
    }
    if (is_littlefs(buf, len)) {
        *kind = FW_FS_IMAGE;
        *base = 0;
        return 0;
    }
    if (len < IMAGE_HEADER_LEN && buf[0] == IMAGE_MAGIC)
        return err_set(e, "truncated: %zu bytes, too short for an image header", len);
    if (buf[0] == IMAGE_MAGIC)
        return image_parse_header(buf, &img, e);
    return err_set(e, "not an ESP firmware image: no image magic 0xe9 at offset 0x0, 0x1000 "
                      "or 0x2000, and no littlefs filesystem (first byte 0x%02x)", buf[0]);
}

int firmware_read_image(struct flash *flash, uint32_t addr, uint32_t max, uint8_t **out,
                        struct image_info *img, struct err *e)
{
    uint8_t *buf = NULL;
    size_t have = 0;
    uint32_t need;
    while ((need = image_bytes_needed(buf, have)) != 0) {
        if (need > max) {
            free(buf);
            return err_set(e, "image at 0x%x is truncated: it needs 0x%x bytes, only 0x%x "
                              "available", addr, need, max);
        }
        uint8_t *nb = realloc(buf, need);
        if (!nb) {
            free(buf);
            return err_set(e, "out of memory");
        }
        buf = nb;
        if (flash_read(flash, addr + (uint32_t)have, buf + have, need - (uint32_t)have, e)) {
            free(buf);
            return -1;
        }
        have = need;
        /* The header must be valid before we trust its segment lengths. */
        if (have == IMAGE_HEADER_LEN && image_parse_header(buf, img, e)) {
            free(buf);
            return err_prefix(e, "image at 0x%x: ", addr);
        }
    }
    if (image_parse(buf, have, img, e)) {
        free(buf);
        return err_prefix(e, "image at 0x%x: ", addr);
    }
    image_verify(buf, img);
    *out = buf;
    return 0;
}

/* The first bytes of the first segment, where the descriptors are. */
static int read_desc(struct flash *flash, uint32_t addr, struct image_info *img, struct err *e)
{
    const struct image_segment *s0 = &img->seg[0];
    uint32_t span = s0->len < APP_DESC_LEN ? s0->len : APP_DESC_LEN;
    uint8_t buf[IMAGE_HEADER_LEN + 8 + APP_DESC_LEN];   /* seg[0] data starts at 32 */
    if (img->segment_count == 0)
        return 0;
    if (flash_read(flash, addr + s0->data_offset, buf + s0->data_offset, span, e))
        return -1;
    image_decode_desc(buf, img);
    return 0;
}

int firmware_image_layout(struct flash *flash, uint32_t addr, uint32_t max,
                          struct image_info *img, struct err *e)
{
    uint8_t h[IMAGE_HEADER_LEN];
    if (max < IMAGE_HEADER_LEN || flash_read(flash, addr, h, sizeof h, e) ||
        image_parse_header(h, img, e))
        return err_prefix(e, "image at 0x%x: ", addr);
    uint32_t off = IMAGE_HEADER_LEN;
    for (unsigned i = 0; i < img->segment_count; i++) {
        uint8_t sh[8];
        if ((uint64_t)off + 8 > max)
            return err_set(e, "image at 0x%x is truncated: segment %u starts past 0x%x bytes",
                           addr, i, max);
        if (flash_read(flash, addr + off, sh, sizeof sh, e) ||
            image_segment_header(sh, off, i, &img->seg[i], e))
            return err_prefix(e, "image at 0x%x: ", addr);
        off += 8 + img->seg[i].len;
    }
    image_set_layout(img, off);
    if (img->total_len > max)
        return err_set(e, "image at 0x%x is truncated: it needs 0x%x bytes, only 0x%x available",
                       addr, img->total_len, max);
    return read_desc(flash, addr, img, e);
}

int firmware_load(struct firmware *fw, struct flash *flash, enum firmware_kind kind,
                  const struct chip *chip, struct err *e)
{
    memset(fw, 0, sizeof *fw);
    fw->flash = flash;
    fw->kind = kind;
    fw->chip = chip;
    if (kind == FW_FS_IMAGE) {
        fw->flash_size = fw->header_flash_size = flash->size;
        return 0;
    }
    uint8_t hdr[IMAGE_HEADER_LEN];
    if (kind == FW_APP_IMAGE) {
        if (flash_read(flash, 0, hdr, sizeof hdr, e) || image_parse_header(hdr, &fw->boot, e))
            return -1;
        fw->chip = fw->boot.chip;
        fw->flash_size = fw->header_flash_size = image_size_from_code(fw->boot.flash_size_code);
        return 0;
    }
    if (kind != FW_DEVICE) {
        /* Files: find the bootloader where firmware_detect put it. */
        for (const struct chip *const *c = chip_all(); *c; c++) {
            struct err ignore;
            if (flash_read(flash, (*c)->bootloader_offset, hdr, sizeof hdr, &ignore) == 0 &&
                image_parse_header(hdr, &fw->boot, &ignore) == 0 &&
                fw->boot.chip->bootloader_offset == (*c)->bootloader_offset) {
                fw->chip = fw->boot.chip;
                break;
            }
        }
        if (!fw->chip)
            return err_set(e, "no bootloader image found at 0x0, 0x1000 or 0x2000");
    } else {
        if (flash_read(flash, fw->chip->bootloader_offset, hdr, sizeof hdr, e))
            return -1;
        if (image_parse_header(hdr, &fw->boot, e))
            return err_set(e, "no bootloader found on flash at 0x%x (use --flash to write a "
                              "firmware first)", fw->chip->bootloader_offset);
        if (fw->boot.chip != fw->chip)
            return err_set(e, "the bootloader at 0x%x is for %s, but the chip is %s",
                           fw->chip->bootloader_offset, fw->boot.chip->name, fw->chip->name);
    }
    fw->boot_offset = fw->chip->bootloader_offset;
    fw->header_flash_size = image_size_from_code(fw->boot.flash_size_code);
    if (!fw->header_flash_size)
        return err_set(e, "bootloader header at 0x%x: unknown flash size code %u",
                       fw->boot_offset, fw->boot.flash_size_code);
    fw->flash_size = fw->header_flash_size;
    uint8_t sector[PTABLE_SECTOR];
    if (flash_read(flash, PTABLE_OFFSET, sector, sizeof sector, e))
        return -1;
    /* ptable_parse's messages name the table and its offset already */
    return ptable_parse(sector, sizeof sector, &fw->table, e);
}

/* A file that ends inside the partition table is truncated: the missing
 * bytes would read as erased flash and fake a valid-looking table. */
static int check_file_covers_table(const struct firmware *fw, uint32_t base, size_t len,
                                   struct err *e)
{
    if (fw->kind != FW_IMAGE && fw->kind != FW_DUMP)
        return 0;
    uint32_t rows = (uint32_t)fw->table.n + 1 + (fw->table.has_md5 ? 1 : 0);
    uint64_t need = PTABLE_OFFSET + (uint64_t)rows * PTABLE_ENTRY_LEN;
    if ((uint64_t)base + len < need)
        return err_set(e, "truncated: the file ends at flash 0x%llx, inside the partition table "
                          "(0x%x-0x%llx)", (unsigned long long)base + len, PTABLE_OFFSET,
                       (unsigned long long)need);
    return 0;
}

int firmware_open_file(struct firmware *fw, const char *path, struct err *e)
{
    struct file_data file;
    enum firmware_kind kind;
    uint32_t base;
    memset(fw, 0, sizeof *fw);
    if (file_map(path, FILE_MAX_FLASH, &file, e))
        return -1;
    const uint8_t *buf = file.buf;
    size_t len = file.len;
    if (firmware_detect(buf, len, &kind, &base, e)) {
        file_data_free(&file);
        return err_prefix(e, "%s: ", path);
    }
    /* The flash size comes from the bootloader header (wherever the file
     * has it); a file longer than that widens it (flash_file_new). */
    uint32_t size = 0;
    struct image_info hdr;
    for (size_t o = 0; kind != FW_FS_IMAGE && o <= 0x2000; o += 0x1000)
        if (valid_header_at(buf, len, o, &hdr)) {
            size = image_size_from_code(hdr.flash_size_code);
            break;
        }
    bool trim = (kind == FW_IMAGE);
    struct flash *flash = flash_file_new(file, base, size, path, trim, e);
    if (!flash)
        return -1;
    if (firmware_load(fw, flash, kind, NULL, e) || check_file_covers_table(fw, base, len, e)) {
        flash_destroy(flash);
        fw->flash = NULL;
        return err_prefix(e, "%s: ", path);
    }
    return 0;
}

int firmware_read_table_file(const char *path, uint32_t flash_size, struct ptable *t,
                             uint8_t *sector, struct err *e)
{
    uint8_t *buf;
    size_t len;
    if (file_read_all(path, FILE_MAX_TEXT, &buf, &len, e))
        return -1;
    int rc = ptable_from_bytes(buf, len, path, flash_size, t, e);
    if (rc == 0 && sector && len >= 2 && buf[0] == 0xAA && buf[1] == 0x50) {
        memset(sector, 0xFF, PTABLE_SECTOR);
        memcpy(sector, buf, len < PTABLE_SECTOR ? len : PTABLE_SECTOR);
    } else if (rc == 0 && sector) {
        ptable_serialize(t, sector);
    }
    free(buf);
    return rc;
}

static bool all_bytes(const uint8_t *buf, size_t len, uint8_t v)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != v)
            return false;
    return true;
}

int firmware_new_fs_image(struct firmware *fw, const char *path, uint32_t size, struct err *e)
{
    memset(fw, 0, sizeof *fw);
    if (access(path, F_OK) == 0) {
        /* Only a blank file (empty, erased or zeroed flash) becomes a new
         * image: anything else is data we will not silently replace. */
        uint8_t *old;
        size_t len;
        if (file_read_all(path, FILE_MAX_FLASH, &old, &len, e))
            return -1;
        bool blank = all_bytes(old, len, 0xFF) || all_bytes(old, len, 0x00);
        free(old);
        if (!blank)
            return err_set(e, "%s: holds data that is neither a firmware nor a filesystem", path);
        if (!size)
            size = (uint32_t)len;
    }
    if (!size)
        return err_set(e, "%s: no such file (give --size to create a littlefs image)", path);
    if (size % FIRMWARE_FS_BLOCK || size < 2 * FIRMWARE_FS_BLOCK)
        return err_set(e, "%s: a littlefs image of %u bytes: the size must be a multiple of %u "
                          "and at least two blocks", path, size, FIRMWARE_FS_BLOCK);
    uint8_t *buf = malloc(size);
    if (!buf)
        return err_set(e, "out of memory");
    memset(buf, 0xFF, size);
    struct file_data blank = { buf, size, false };
    struct flash *flash = flash_file_new(blank, 0, size, path, false, e);
    if (!flash)
        return -1;
    if (firmware_load(fw, flash, FW_FS_IMAGE, NULL, e)) {
        flash_destroy(flash);
        fw->flash = NULL;
        return err_prefix(e, "%s: ", path);
    }
    return 0;
}

void firmware_close(struct firmware *fw)
{
    flash_destroy(fw->flash);
    fw->flash = NULL;
}

bool firmware_implicit_vfs(const struct firmware *fw, struct part *out)
{
    if (fw->kind == FW_FS_IMAGE || fw->kind == FW_APP_IMAGE || ptable_find(&fw->table, "vfs"))
        return false;
    uint32_t end = ptable_end(&fw->table);
    end = (end + 0xFFF) & ~0xFFFu;
    if (end == 0 || end >= fw->flash_size)
        return false;
    memset(out, 0, sizeof *out);
    strcpy(out->name, "vfs");
    out->type = PART_TYPE_DATA;
    out->subtype = PART_SUBTYPE_FAT;
    out->offset = end;
    out->size = fw->flash_size - end;
    out->implicit = true;
    return true;
}

int firmware_find_part(const struct firmware *fw, const char *name, struct part *out,
                       struct err *e)
{
    memset(out, 0, sizeof *out);
    if (fw->kind == FW_FS_IMAGE) {
        if (strcmp(name, "vfs") != 0)
            return err_set(e, "%s: a plain filesystem image has only the partition 'vfs', not '%s'",
                           fw->flash->name, name);
        strcpy(out->name, "vfs");
        out->type = PART_TYPE_DATA;
        out->subtype = PART_SUBTYPE_FAT;
        out->size = fw->flash->size;
        out->implicit = true;
        return 0;
    }
    if (strcmp(name, "bootloader") == 0) {
        strcpy(out->name, "bootloader");
        out->type = PART_TYPE_APP;
        out->offset = fw->boot_offset;
        out->size = PTABLE_OFFSET - fw->boot_offset;
        return 0;
    }
    if (strcmp(name, "partition_table") == 0) {
        strcpy(out->name, "partition_table");
        out->type = 0x03;   /* ESP-IDF's partition_table type */
        out->offset = PTABLE_OFFSET;
        out->size = PTABLE_SECTOR;
        return 0;
    }
    const struct part *p = ptable_find(&fw->table, name);
    if (p) {
        *out = *p;
        return 0;
    }
    if (strcmp(name, "vfs") == 0 && firmware_implicit_vfs(fw, out))
        return 0;
    return err_set(e, "%s: no partition '%s' in the partition table", fw->flash->name, name);
}
