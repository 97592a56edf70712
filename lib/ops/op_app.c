#include "op_app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int op_app_inspect(struct firmware *fw, const struct part *p, struct app_report *r,
                   struct err *e)
{
    memset(r, 0, sizeof *r);
    r->part = *p;
    uint8_t magic;
    if (flash_read(fw->flash, p->offset, &magic, 1, e))
        return -1;
    if (magic != IMAGE_MAGIC)
        return 0;
    r->present = true;
    uint8_t *buf;
    struct err why;
    if (firmware_read_image(fw->flash, p->offset, p->size, &buf, &r->img, &why)) {
        snprintf(r->problem, sizeof r->problem, "%s", why.msg);
        return 0;
    }
    free(buf);
    if (fw->chip && r->img.chip != fw->chip)
        snprintf(r->problem, sizeof r->problem, "image is for %s, the bootloader for %s",
                 r->img.chip->name, fw->chip->name);
    else if (!r->img.checksum_ok)
        snprintf(r->problem, sizeof r->problem, "checksum mismatch (stored 0x%02x, computed 0x%02x)",
                 r->img.checksum_stored, r->img.checksum_calc);
    else if (r->img.hash_appended && !r->img.sha_ok)
        snprintf(r->problem, sizeof r->problem, "SHA-256 mismatch");
    else
        r->valid = true;
    return 0;
}

int op_app_extract(struct firmware *fw, uint8_t **buf, size_t *len, struct part *which,
                   struct err *e)
{
    const struct part *p = ptable_first_app(&fw->table);
    struct image_info img;
    if (!p)
        return err_set(e, "%s: no app partition in the partition table", fw->flash->name);
    if (firmware_read_image(fw->flash, p->offset, p->size, buf, &img, e))
        return err_prefix(e, "partition '%s': ", p->name);
    *len = img.total_len;
    *which = *p;
    return 0;
}
