#include "op_part.h"

#include <stdlib.h>
#include <string.h>

#define FS_HEAD_ERASE 0x4000u     /* four 4 KiB blocks: both littlefs superblocks and more */

int op_part_read(struct firmware *fw, const struct part *p, uint8_t **buf, uint32_t *len,
                 struct err *e)
{
    uint8_t *b = malloc(p->size ? p->size : 1);
    if (!b)
        return err_set(e, "out of memory reading partition '%s'", p->name);
    if (flash_read(fw->flash, p->offset, b, p->size, e)) {
        free(b);
        return err_prefix(e, "reading partition '%s': ", p->name);
    }
    *buf = b;
    *len = p->size;
    return 0;
}

static int check_image(const struct firmware *fw, const struct part *p, const uint8_t *data,
                       size_t len, struct err *e)
{
    struct image_info img;
    if (image_parse(data, len, &img, e))
        return err_prefix(e, "not a valid image for '%s': ", p->name);
    if (fw->chip && img.chip != fw->chip)
        return err_set(e, "image for '%s' is for %s, but the firmware is for %s", p->name,
                       img.chip->name, fw->chip->name);
    image_verify(data, &img);
    if (!img.checksum_ok)
        return err_set(e, "image for '%s' has a bad checksum (0x%02x, computed 0x%02x)",
                       p->name, img.checksum_stored, img.checksum_calc);
    if (img.hash_appended && !img.sha_ok)
        return err_set(e, "image for '%s' has a bad SHA-256 digest", p->name);
    bool is_boot = strcmp(p->name, "bootloader") == 0;
    if (!is_boot && !img.has_app_desc)
        return err_set(e, "image for '%s' is not an app image (no esp_app_desc_t): a full "
                          "firmware or a bootloader?", p->name);
    if (is_boot && img.has_app_desc)
        return err_set(e, "image for 'bootloader' is an app image, not a bootloader");
    return 0;
}

static int check_table(const struct firmware *fw, const uint8_t *data, size_t len,
                       struct err *e)
{
    struct ptable t;
    uint8_t sector[PTABLE_SECTOR];
    memset(sector, 0xFF, sizeof sector);
    memcpy(sector, data, len < sizeof sector ? len : sizeof sector);
    if (ptable_parse(sector, sizeof sector, &t, e) || ptable_validate(&t, fw->flash_size, e))
        return err_prefix(e, "not a valid partition table: ");
    return 0;
}

int op_part_write(struct firmware *fw, const struct part *p, const uint8_t *data, size_t len,
                  struct err *e)
{
    if (len > p->size)
        return err_set(e, "%zu bytes do not fit partition '%s' (0x%x bytes)", len, p->name,
                       p->size);
    if (p->type == PART_TYPE_APP && check_image(fw, p, data, len, e))
        return -1;
    if (strcmp(p->name, "partition_table") == 0 && check_table(fw, data, len, e))
        return -1;
    /* Write whole 4 KiB blocks (0xFF-padded) and erase the rest. */
    uint32_t padded = (uint32_t)((len + 0xFFF) & ~(size_t)0xFFF);
    if (padded > p->size)
        padded = p->size;
    uint8_t *buf = malloc(padded ? padded : 1);
    if (!buf)
        return err_set(e, "out of memory");
    memset(buf, 0xFF, padded);
    memcpy(buf, data, len);
    int rc = flash_write(fw->flash, p->offset, buf, padded, e);
    free(buf);
    if (rc == 0)
        rc = flash_erase(fw->flash, p->offset + padded, p->size - padded, e);
    if (rc)
        return err_prefix(e, "writing partition '%s': ", p->name);
    if (strcmp(p->name, "partition_table") == 0) {
        uint8_t sector[PTABLE_SECTOR];
        if (flash_read(fw->flash, PTABLE_OFFSET, sector, sizeof sector, e) ||
            ptable_parse(sector, sizeof sector, &fw->table, e))
            return -1;
    }
    return 0;
}

int op_part_erase(struct firmware *fw, const struct part *p, struct err *e)
{
    if (flash_erase(fw->flash, p->offset, p->size, e))
        return err_prefix(e, "erasing partition '%s': ", p->name);
    return 0;
}

int op_part_erase_fs(struct firmware *fw, const struct part *p, struct err *e)
{
    if (p->type != PART_TYPE_DATA)
        return err_set(e, "partition '%s' is not a data partition", p->name);
    uint32_t n = p->size < FS_HEAD_ERASE ? p->size : FS_HEAD_ERASE;
    if (flash_erase(fw->flash, p->offset, n, e))
        return err_prefix(e, "erasing partition '%s': ", p->name);
    return 0;
}

uint32_t op_trim_len(const uint8_t *buf, uint32_t len, uint32_t block)
{
    uint32_t n = len;
    while (n > 0 && buf[n - 1] == 0xFF)
        n--;
    uint64_t up = ((uint64_t)n + block - 1) / block * block;
    return up > len ? len : (uint32_t)up;
}
