#include "op_table.h"

#include <stdlib.h>
#include <string.h>

#include "flash_file.h"

static bool is_fs_subtype(uint8_t subtype)
{
    return subtype == PART_SUBTYPE_FAT || subtype == PART_SUBTYPE_LITTLEFS ||
           subtype == PART_SUBTYPE_SPIFFS;
}

/* All data partitions of a table, with the implicit vfs it implies. */
static int data_parts(const struct firmware *fw, const struct ptable *t, uint32_t flash_size,
                      struct part *out)
{
    int n = 0;
    for (int i = 0; i < t->n; i++)
        if (t->p[i].type == PART_TYPE_DATA)
            out[n++] = t->p[i];
    struct firmware view = *fw;
    view.table = *t;
    view.flash_size = flash_size;
    if (firmware_implicit_vfs(&view, &out[n]))
        n++;
    return n;
}

static void plan_erases(const struct firmware *fw, struct table_plan *plan)
{
    struct part old[PTABLE_MAX_PARTS + 1], now[PTABLE_MAX_PARTS + 1];
    int n_old = data_parts(fw, &fw->table, fw->flash_size, old);
    int n_new = data_parts(fw, &plan->table, plan->flash_size, now);
    for (int i = 0; i < n_new; i++) {
        const struct part *p = &now[i], *same_place = NULL;
        for (int j = 0; j < n_old; j++)
            if (old[j].offset == p->offset && old[j].type == p->type &&
                old[j].subtype == p->subtype)
                same_place = &old[j];
        if (same_place && same_place->size == p->size)
            continue;                       /* unchanged, or only renamed */
        if (same_place && p->size > same_place->size && is_fs_subtype(p->subtype)) {
            plan->grown[plan->n_grown++] = *p;
            continue;
        }
        struct table_erase *er = &plan->erase[plan->n_erase++];
        er->part = *p;
        er->len = p->size <= ERASE_WHOLE_MAX ? p->size : ERASE_HEAD_LEN;
    }
}

/* The app images in the current app partitions must fit the new ones at the
 * same offset; the first app partition must not move (the app is there). */
static int check_apps(const struct firmware *fw, const struct table_plan *plan, struct err *e)
{
    const struct part *old_app = ptable_first_app(&fw->table);
    const struct part *new_app = ptable_first_app(&plan->table);
    if (old_app && !new_app)
        return err_set(e, "the new table has no app partition");
    if (old_app && new_app->offset != old_app->offset)
        return err_set(e, "the first app partition '%s' would move from 0x%x to 0x%x: the app "
                          "image cannot move with it", new_app->name, old_app->offset,
                       new_app->offset);
    for (int i = 0; i < plan->table.n; i++) {
        const struct part *p = &plan->table.p[i];
        if (p->type != PART_TYPE_APP)
            continue;
        uint8_t *buf;
        struct image_info img;
        struct err ignore;
        /* Only where an image is now: an empty slot has nothing to fit. */
        uint32_t avail = fw->flash_size > p->offset ? fw->flash_size - p->offset : 0;
        if (firmware_read_image(fw->flash, p->offset, avail, &buf, &img, &ignore) != 0)
            continue;
        free(buf);
        if (img.total_len > p->size)
            return err_set(e, "the app image in '%s' (%u bytes) does not fit its new size 0x%x "
                              "(%u bytes): use -a/--app-size or a larger partition",
                           p->name, img.total_len, p->size, p->size);
    }
    return 0;
}

int op_table_plan(const struct firmware *fw, const struct ptable *table, uint32_t flash_size,
                  struct table_plan *plan, struct err *e)
{
    memset(plan, 0, sizeof *plan);
    plan->table = *table;
    plan->table.has_md5 = true;
    plan->flash_size = flash_size;
    if (image_size_code(flash_size, e) < 0)
        return -1;
    if (ptable_validate(&plan->table, flash_size, e))
        return -1;
    if (check_apps(fw, plan, e))
        return -1;
    plan->table_changed = !ptable_equal(&fw->table, &plan->table);
    plan->size_changed = flash_size != fw->header_flash_size;
    plan_erases(fw, plan);
    return 0;
}

static int rewrite_flash_size(struct firmware *fw, uint32_t size, struct err *e)
{
    uint8_t *buf;
    struct image_info img;
    if (firmware_read_image(fw->flash, fw->boot_offset, PTABLE_OFFSET - fw->boot_offset, &buf,
                            &img, e))
        return err_prefix(e, "bootloader: ");
    int code = image_size_code(size, e);
    int rc = code < 0 ? -1 : image_set_flash_params(buf, img.total_len, -1, -1, code, e);
    if (rc == 0)
        rc = flash_write(fw->flash, fw->boot_offset, buf, img.total_len, e);
    free(buf);
    if (rc == 0)
        fw->boot.flash_size_code = (uint8_t)code;
    return rc;
}

int op_table_apply(struct firmware *fw, const struct table_plan *plan, struct err *e)
{
    if (plan->flash_size != fw->flash->size && fw->kind != FW_DEVICE &&
        plan->flash_size > fw->flash->size &&
        flash_file_resize(fw->flash, plan->flash_size, e))
        return -1;
    if (plan->size_changed && rewrite_flash_size(fw, plan->flash_size, e))
        return -1;
    if (plan->table_changed) {
        uint8_t sector[PTABLE_SECTOR];
        ptable_serialize(&plan->table, sector);
        if (flash_write(fw->flash, PTABLE_OFFSET, sector, sizeof sector, e))
            return err_prefix(e, "writing the partition table: ");
    }
    for (int i = 0; i < plan->n_erase; i++) {
        const struct table_erase *er = &plan->erase[i];
        if (flash_erase(fw->flash, er->part.offset, er->len, e))
            return err_prefix(e, "erasing partition '%s': ", er->part.name);
    }
    fw->table = plan->table;
    fw->flash_size = fw->header_flash_size = plan->flash_size;
    if (fw->kind != FW_DEVICE && plan->flash_size < fw->flash->size)
        return flash_file_resize(fw->flash, plan->flash_size, e);
    return 0;
}
