/* --ota-switch, step 5: the steps of the plan, in its order, each flushed
 * (on a device: written and MD5-verified on the chip) before the next one
 * starts.  Why this order keeps the device bootable: op_switch.h. */
#include "op_switch.h"

#include <stdlib.h>
#include <string.h>

#define SECTOR 0x1000u

/* `len` bytes and 0xFF up to the next sector, so whole sectors are written. */
static int write_padded(struct firmware *fw, uint32_t addr, const uint8_t *data, size_t len,
                        struct err *e)
{
    size_t padded = (len + SECTOR - 1) / SECTOR * SECTOR;
    uint8_t *buf = malloc(padded ? padded : 1);
    if (!buf)
        return err_set(e, "out of memory");
    memset(buf, 0xFF, padded);
    memcpy(buf, data, len);
    int rc = flash_write(fw->flash, addr, buf, (uint32_t)padded, e);
    free(buf);
    return rc;
}

static int copy_running(struct firmware *fw, const struct switch_plan *p,
                        const struct switch_step *s, struct err *e)
{
    const struct part *r = &p->old_table.p[p->st.running];
    uint8_t *buf;
    struct image_info img;
    if (firmware_read_image(fw->flash, r->offset, r->size, &buf, &img, e))
        return err_prefix(e, "reading the running app '%s': ", r->name);
    int rc = 0;
    if (!img.checksum_ok || (img.hash_appended && !img.sha_ok))
        rc = err_set(e, "the running app '%s' at 0x%x reads back damaged: not copied", r->name,
                     r->offset);
    if (rc == 0)
        rc = write_padded(fw, s->addr, buf, img.total_len, e);
    free(buf);
    return rc;
}

/* The one otadata sector the step names, from the otadata it leads to. */
static int write_otadata(struct firmware *fw, const struct switch_plan *p,
                         const struct switch_step *s, const uint8_t *otadata, struct err *e)
{
    return flash_write(fw->flash, s->addr, otadata + (s->addr - p->st.otadata_part.offset),
                       SECTOR, e);
}

static int write_table(struct firmware *fw, const struct switch_plan *p, struct err *e)
{
    uint8_t sector[PTABLE_SECTOR];
    ptable_serialize(&p->layout.table, sector);
    if (flash_write(fw->flash, PTABLE_OFFSET, sector, sizeof sector, e))
        return -1;
    fw->table = p->layout.table;
    return 0;
}

static int read_equal(struct firmware *fw, uint32_t addr, const uint8_t *want, uint32_t len,
                      const char *what, struct err *e)
{
    uint8_t *got = malloc(len ? len : 1);
    if (!got)
        return err_set(e, "out of memory");
    int rc = flash_read(fw->flash, addr, got, len, e);
    if (rc == 0 && memcmp(got, want, len) != 0)
        rc = err_set(e, "%s at 0x%x reads back different from what was written", what, addr);
    free(got);
    return rc;
}

static int verify_app(struct firmware *fw, const struct switch_plan *p, const struct part *mp,
                      struct err *e)
{
    uint8_t *buf;
    struct image_info img;
    if (firmware_read_image(fw->flash, mp->offset, mp->size, &buf, &img, e))
        return err_prefix(e, "the MicroPython app in '%s': ", mp->name);
    int rc = 0;
    if (img.total_len != p->st.mp_len || memcmp(buf, p->st.mp_app, p->st.mp_len) != 0)
        rc = err_set(e, "the MicroPython app in '%s' at 0x%x reads back different from what "
                        "was written", mp->name, mp->offset);
    free(buf);
    return rc;
}

/* What the bootloader will find, read from the store (not from a cache). */
static const struct switch_step *find_step(const struct switch_plan *p, enum switch_action a)
{
    for (int i = 0; i < p->n_steps; i++)
        if (p->step[i].action == a)
            return &p->step[i];
    return NULL;
}

static int verify(struct firmware *fw, const struct switch_plan *p, struct err *e)
{
    const struct switch_layout *l = &p->layout;
    const struct part *mp = &l->table.p[l->mp_slot];
    uint8_t table[PTABLE_SECTOR];
    struct otadata o;
    flash_forget(fw->flash);
    ptable_serialize(&l->table, table);
    if (read_equal(fw, PTABLE_OFFSET, table, sizeof table, "the partition table", e) ||
        read_equal(fw, p->st.otadata_part.offset, p->otadata_final, OTADATA_SIZE, "otadata", e) ||
        verify_app(fw, p, mp, e))
        return -1;
    const struct switch_step *erase = find_step(p, SW_ERASE_VFS);
    uint8_t *ff = malloc(erase->len);
    if (!ff)
        return err_set(e, "out of memory");
    memset(ff, 0xFF, erase->len);
    int rc = read_equal(fw, erase->addr, ff, erase->len, "the erased head of 'vfs'", e);
    free(ff);
    otadata_parse(p->otadata_final, OTADATA_SIZE, &o, e);
    if (rc == 0 && otadata_boot_part(&o, &l->table) != mp)
        rc = err_set(e, "otadata does not select '%s'", mp->name);
    return rc;
}

static int run_step(struct firmware *fw, const struct switch_plan *p, const struct switch_step *s,
                    struct err *e)
{
    switch (s->action) {
    case SW_BACKUP:
        return 0;
    case SW_COPY_RUNNING:
        return copy_running(fw, p, s, e);
    case SW_SELECT_COPY:
        return write_otadata(fw, p, s, p->otadata_move, e);
    case SW_WRITE_APP:
        return write_padded(fw, s->addr, p->st.mp_app, p->st.mp_len, e);
    case SW_WRITE_TABLE:
        return write_table(fw, p, e);
    case SW_ERASE_VFS:
        return flash_erase(fw->flash, s->addr, s->len, e);
    case SW_SELECT_MP:
        return write_otadata(fw, p, s, p->otadata_final, e);
    case SW_VERIFY:
        return verify(fw, p, e);
    }
    return 0;
}

int op_switch_apply(struct firmware *fw, struct switch_plan *p, switch_step_fn fn, void *ctx,
                    struct err *e)
{
    for (int i = 0; i < p->n_steps; i++) {
        const struct switch_step *s = &p->step[i];
        if (s->action == SW_BACKUP)
            continue;
        if (fn)
            fn(ctx, i, s);
        /* The flush is the step: what it wrote is on the chip, verified,
         * before the next step may depend on it. */
        if (run_step(fw, p, s, e) || flash_flush(fw->flash, e))
            return err_prefix(e, "step %d of %d (%s): ", i + 1, p->n_steps, s->text);
    }
    return 0;
}
