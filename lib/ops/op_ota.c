#include "op_ota.h"

#include <stdio.h>
#include <string.h>

#include "op_part.h"
#include "otadata.h"

/* The otadata partition and its decoded records; 1 if the table has none. */
static int load(struct firmware *fw, const struct part **part, uint8_t buf[OTADATA_SIZE],
                struct otadata *o, struct err *e)
{
    *part = NULL;
    for (int i = 0; i < fw->table.n; i++)
        if (fw->table.p[i].type == PART_TYPE_DATA && fw->table.p[i].subtype == PART_SUBTYPE_OTADATA)
            *part = &fw->table.p[i];
    if (!*part)
        return 1;
    if ((*part)->size < OTADATA_SIZE)
        return err_set(e, "otadata partition '%s' is 0x%x bytes, not 0x%x", (*part)->name,
                       (*part)->size, OTADATA_SIZE);
    if (flash_read(fw->flash, (*part)->offset, buf, OTADATA_SIZE, e) ||
        otadata_parse(buf, OTADATA_SIZE, o, e))
        return err_prefix(e, "otadata partition '%s': ", (*part)->name);
    return 0;
}

/* The slot after the one that boots now (IDF's next update partition). */
static const struct part *next_slot(const struct ptable *t, const struct part *running,
                                    int *slot)
{
    int n = otadata_app_count(t);
    int cur = -1;
    if (running && running->type == PART_TYPE_APP && running->subtype >= PART_SUBTYPE_OTA_0 &&
        running->subtype <= PART_SUBTYPE_OTA_15)
        cur = running->subtype - PART_SUBTYPE_OTA_0;
    *slot = n > 0 ? (cur + 1) % n : -1;
    for (int i = 0; i < t->n && *slot >= 0; i++)
        if (t->p[i].type == PART_TYPE_APP && t->p[i].subtype == PART_SUBTYPE_OTA_0 + *slot)
            return &t->p[i];
    return NULL;
}

int op_ota_status(struct firmware *fw, struct ota_status *st, struct err *e)
{
    const struct part *part;
    uint8_t buf[OTADATA_SIZE];
    struct otadata o;
    memset(st, 0, sizeof *st);
    int rc = load(fw, &part, buf, &o, e);
    st->has_otadata = part != NULL;
    if (rc)
        return rc > 0 ? 0 : -1;
    const struct part *boot = otadata_boot_part(&o, &fw->table);
    int slot;
    const struct part *next = next_slot(&fw->table, boot, &slot);
    snprintf(st->current, sizeof st->current, "%s", boot ? boot->name : "(none)");
    snprintf(st->next, sizeof st->next, "%s", next ? next->name : "(none)");
    st->records = o;
    st->n_ota = otadata_app_count(&fw->table);
    return 0;
}

int op_ota_update(struct firmware *fw, const uint8_t *app, size_t len, bool rollback,
                  char slot_name[PTABLE_NAME_MAX + 1], struct err *e)
{
    const struct part *part;
    uint8_t buf[OTADATA_SIZE];
    struct otadata o;
    int rc = load(fw, &part, buf, &o, e);
    if (rc)
        return rc > 0 ? err_set(e, "%s: no otadata partition: not an OTA partition table",
                                fw->flash->name) : -1;
    int n = otadata_app_count(&fw->table), slot;
    const struct part *next = next_slot(&fw->table, otadata_boot_part(&o, &fw->table), &slot);
    if (n < 2 || !next)
        return err_set(e, "%s: an OTA update needs at least ota_0 and ota_1", fw->flash->name);
    /* The app first: if it fails, otadata still boots the old one. */
    if (op_part_write(fw, next, app, len, e))
        return -1;
    if (otadata_select(buf, sizeof buf, slot, n, rollback ? OTA_IMG_NEW : OTA_IMG_UNDEFINED, e) ||
        flash_write(fw->flash, part->offset, buf, sizeof buf, e))
        return err_prefix(e, "otadata partition '%s': ", part->name);
    snprintf(slot_name, PTABLE_NAME_MAX + 1, "%s", next->name);
    return 0;
}
