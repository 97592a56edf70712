/* --ota-switch, steps 1 to 3: what is deployed, may it be switched, and how
 * (see op_switch.h). */
#include "op_switch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_table.h"

#define SECTOR 0x1000u

static uint32_t round_up(uint32_t v, uint32_t a)
{
    return (uint32_t)(((uint64_t)v + a - 1) / a * a);
}

static void note(struct switch_plan *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(struct switch_plan *p, const char *fmt, ...)
{
    if (p->n_notes == SWITCH_MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->notes[p->n_notes++], sizeof p->notes[0], fmt, ap);
    va_end(ap);
}

static int find_index(const struct ptable *t, int type, int subtype)
{
    for (int i = 0; i < t->n; i++)
        if (t->p[i].type == type && t->p[i].subtype == subtype)
            return i;
    return -1;
}

/* ---- 1. the deployed state --------------------------------------------- */

static int read_bootloader(struct firmware *fw, struct switch_state *st, struct err *e)
{
    uint8_t *buf;
    struct image_info img;
    if (firmware_read_image(fw->flash, fw->boot_offset, PTABLE_OFFSET - fw->boot_offset, &buf,
                            &img, e))
        return err_prefix(e, "bootloader: ");
    st->boot_idf_from = compat_boot_idf(buf, img.total_len, &img, st->boot_idf);
    free(buf);
    return 0;
}

/* A CRC that does not match is what a torn write leaves; the bootloader
 * ignores such an entry.  With no valid entry left, though, what boots
 * comes from a fallback nobody chose: refused. */
static int check_otadata(struct switch_plan *p, struct err *e)
{
    const struct switch_state *st = &p->st;
    for (int i = 0; i < 2; i++) {
        const struct otadata_entry *x = &st->ota.e[i];
        if (x->seq == 0xFFFFFFFFu || x->crc_ok)
            continue;
        if (st->ota.active < 0)
            return err_set(e, "otadata at 0x%x is corrupt: entry %d (seq %u) has a wrong CRC "
                              "and no entry is valid, so which app boots is not known",
                           st->otadata_part.offset, i, (unsigned)x->seq);
        note(p, "otadata entry %d has a wrong CRC; the bootloader ignores it (so does the "
                "switch, which rewrites that sector)", i);
    }
    if (st->ota.active < 0)
        return 0;
    uint32_t state = st->ota.e[st->ota.active].state;
    if (state == OTA_IMG_NEW || state == OTA_IMG_PENDING_VERIFY)
        return err_set(e, "otadata at 0x%x: the running app is in state %s (an OTA update not "
                          "confirmed yet): a bootloader with rollback may still boot the other "
                          "slot, which the switch overwrites; let the device boot and confirm "
                          "its app (or roll back) first", st->otadata_part.offset,
                       otadata_state_name(state));
    return 0;
}

static int read_otadata(struct firmware *fw, const struct switch_opts *o, struct switch_plan *p,
                        struct err *e)
{
    struct switch_state *st = &p->st;
    int i = find_index(&fw->table, PART_TYPE_DATA, PART_SUBTYPE_OTADATA);
    st->otadata_part = fw->table.p[i];      /* switch_layout_check_ota found it */
    if (flash_read(fw->flash, st->otadata_part.offset, st->otadata, OTADATA_SIZE, e) ||
        otadata_parse(st->otadata, OTADATA_SIZE, &st->ota, e))
        return err_prefix(e, "otadata at 0x%x: ", st->otadata_part.offset);
    if (o->table_only) {
        st->running = find_index(&fw->table, PART_TYPE_APP, PART_SUBTYPE_OTA_0);
        return 0;
    }
    if (check_otadata(p, e))
        return -1;
    const struct part *boot = otadata_boot_part(&st->ota, &fw->table);
    st->running = (int)(boot - fw->table.p);
    return 0;
}

static int read_running(struct firmware *fw, struct switch_state *st, struct err *e)
{
    const struct part *r = &fw->table.p[st->running];
    if (firmware_image_layout(fw->flash, r->offset, r->size, &st->running_img, e))
        return err_prefix(e, "the slot otadata boots, '%s' at 0x%x, holds no valid app: ",
                          r->name, r->offset);
    st->running_known = true;
    return 0;
}

static int check_mp(struct firmware *fw, struct switch_state *st, struct err *e)
{
    struct image_info *m = &st->mp;
    if (image_parse(st->mp_app, st->mp_len, m, e))
        return err_prefix(e, "the MicroPython app: ");
    image_verify(st->mp_app, m);
    if (m->chip != fw->chip)
        return err_set(e, "the MicroPython app is for %s, the device is %s", m->chip->name,
                       fw->chip->name);
    if (!m->checksum_ok || (m->hash_appended && !m->sha_ok))
        return err_set(e, "the MicroPython app is damaged: its %s does not match",
                       m->checksum_ok ? "SHA-256" : "checksum");
    if (!m->has_app_desc)
        return err_set(e, "the MicroPython file holds no app image (no esp_app_desc_t)");
    return 0;
}

static void name_rev(unsigned lo, unsigned hi, char *out, size_t cap)
{
    char a[12], b[12];
    compat_rev_name(lo, a);
    compat_rev_name(hi, b);
    snprintf(out, cap, "%s to %s", a, b);
}

static int check_revision(const struct switch_chip *c, struct switch_plan *p, struct err *e)
{
    unsigned lo, hi, rlo, rhi;
    char want[32], have[32];
    compat_rev_range(&p->st.mp, &lo, &hi);
    name_rev(lo, hi, want, sizeof want);
    if (c->revision >= 0) {
        compat_rev_name((unsigned)c->revision, have);
        if ((unsigned)c->revision < lo || (unsigned)c->revision > hi)
            return err_set(e, "the MicroPython app runs on chip revisions %s; this chip is %s",
                           want, have);
        return 0;
    }
    if (!p->st.running_known)
        return 0;
    compat_rev_range(&p->st.running_img, &rlo, &rhi);
    name_rev(rlo, rhi, have, sizeof have);
    if (lo > rlo || hi < rhi)
        note(p, "the MicroPython app runs on chip revisions %s, the deployed app on %s: check "
                "the chips of the fleet", want, have);
    return 0;
}

static int check_security(const struct switch_chip *c, struct switch_plan *p, struct err *e)
{
    if (!c->is_device)
        return 0;
    if (c->security.flash_encryption)
        return err_set(e, "flash encryption is enabled (eFuse): the serial loader reads and "
                          "writes ciphertext, the switch would destroy the device; refused");
    if (c->security.secure_boot)
        return err_set(e, "secure boot is enabled (eFuse): the bootloader only starts signed "
                          "apps, and the MicroPython app is not signed with this device's key; "
                          "refused");
    if (!c->security.known)
        note(p, "the chip did not tell whether secure boot or flash encryption is enabled");
    return 0;
}

/* Already this MicroPython (a finished switch), or MicroPython of another
 * build (not a deployed ESP-IDF app: --ota-update is for that). */
static int check_running_app(const struct switch_state *st, const struct part *r,
                             bool *already, struct err *e)
{
    const struct image_info *a = &st->running_img, *m = &st->mp;
    *already = a->has_app_desc && a->total_len == m->total_len &&
               memcmp(a->app.elf_sha256, m->app.elf_sha256, sizeof m->app.elf_sha256) == 0 &&
               strcmp(a->app.project_name, m->app.project_name) == 0;
    if (!*already && a->has_app_desc && strcmp(a->app.project_name, "micropython") == 0)
        return err_set(e, "'%s' runs MicroPython %s already: the switch is for ESP-IDF and "
                          "Arduino apps (use --ota-update to change MicroPython)", r->name,
                       a->app.version);
    return 0;
}

int op_switch_read(struct firmware *fw, const uint8_t *mp, size_t mp_len,
                   const struct switch_opts *o, const struct switch_chip *c,
                   struct switch_plan *p, struct err *e)
{
    memset(p, 0, sizeof *p);
    struct switch_state *st = &p->st;
    st->chip = fw->chip;
    st->chip_revision = c->revision;
    st->flash_size = fw->flash_size;
    st->mp_app = mp;
    st->mp_len = mp_len;
    p->old_table = fw->table;
    if (flash_read(fw->flash, PTABLE_OFFSET, p->old_table_raw, PTABLE_MAX_LEN, e))
        return -1;
    if (check_security(c, p, e) || check_mp(fw, st, e) || read_bootloader(fw, st, e) ||
        switch_layout_check_ota(&fw->table, e) || read_otadata(fw, o, p, e))
        return -1;
    if (!o->table_only && (read_running(fw, st, e) ||
                           check_running_app(st, &fw->table.p[st->running], &st->already, e)))
        return -1;
    return check_revision(c, p, e);
}

/* ---- 2. the verdict ------------------------------------------------------ */

int op_switch_check(struct switch_plan *p, const struct switch_opts *o, struct err *e)
{
    compat_check(p->st.boot_idf, p->st.mp.app.idf_ver, p->st.chip, &p->verdict);
    if (p->verdict.result != COMPAT_REFUSED)
        return 0;
    if (o->force) {
        p->forced = true;
        return 0;
    }
    return err_set(e, "refused: %s; what works instead: %s (--force overrides this verdict)",
                   p->verdict.reason, p->verdict.suggestion);
}

/* ---- 3. the plan ---------------------------------------------------------- */

/* MicroPython fits only with ota_0 kept instead of the running ota_1: the
 * running app is copied there first (over serial; the field procedure
 * makes the device boot ota_0 by an OTA update). */
static int plan_moved(struct firmware *fw, struct switch_layout_in *in, struct switch_plan *p,
                      struct err *e)
{
    const struct part *r = &fw->table.p[p->st.running];
    int ota0 = find_index(&fw->table, PART_TYPE_APP, PART_SUBTYPE_OTA_0);
    struct err first = *e;
    if (r->subtype != PART_SUBTYPE_OTA_0 + 1 || ota0 < 0 || !p->st.running_known ||
        p->st.running_img.total_len > fw->table.p[ota0].size)
        return -1;
    in->keep_slot = ota0;
    if (switch_layout_plan(in, &p->layout, e)) {
        *e = first;
        return -1;
    }
    p->move = true;
    snprintf(p->field_note, sizeof p->field_note,
             "MicroPython does not fit beside the running '%s': first make the device boot "
             "ota_0 '%s' (an OTA update of its app or of the repartitioner lands there); over "
             "serial the tool copies '%s' into '%s' and selects it first", r->name,
             fw->table.p[ota0].name, r->name, fw->table.p[ota0].name);
    return 0;
}

static int plan_layout(struct firmware *fw, const struct switch_opts *o, struct switch_plan *p,
                       struct err *e)
{
    struct switch_layout_in in = { &p->old_table, p->st.flash_size, p->st.running,
                                   p->mp_slot_size, { 0 }, o->n_keep };
    memcpy(in.keep, o->keep, sizeof in.keep);
    if (switch_layout_plan(&in, &p->layout, e) == 0) {
        const struct part *k = &fw->table.p[p->st.running];
        snprintf(p->field_note, sizeof p->field_note, "the repartitioner must run from '%s' "
                 "(at 0x%x), the app slot this table keeps", k->name, k->offset);
        return 0;
    }
    if (!p->layout.no_room)
        return -1;
    return plan_moved(fw, &in, p, e);
}

/* The one otadata sector that differs between two states. */
static uint32_t changed_sector(const struct switch_plan *p, const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, SECTOR) != 0 ? p->st.otadata_part.offset
                                     : p->st.otadata_part.offset + SECTOR;
}

static int plan_otadata(struct switch_plan *p, struct err *e)
{
    const struct part *mp = &p->layout.table.p[p->layout.mp_slot];
    memcpy(p->otadata_move, p->st.otadata, OTADATA_SIZE);
    if (p->move && otadata_select(p->otadata_move, OTADATA_SIZE, 0,
                                  otadata_app_count(&p->old_table), OTA_IMG_VALID, e))
        return err_prefix(e, "otadata at 0x%x: ", p->st.otadata_part.offset);
    memcpy(p->otadata_final, p->otadata_move, OTADATA_SIZE);
    /* VALID: the app was verified before it was selected, and a bootloader
     * with rollback would otherwise return to the old app on the second
     * boot unless MicroPython confirmed itself. */
    if (otadata_select(p->otadata_final, OTADATA_SIZE, mp->subtype - PART_SUBTYPE_OTA_0,
                       otadata_app_count(&p->layout.table), OTA_IMG_VALID, e))
        return err_prefix(e, "otadata at 0x%x: ", p->st.otadata_part.offset);
    return 0;
}

static struct switch_step *add_step(struct switch_plan *p, enum switch_action a, uint32_t addr,
                                    uint32_t len)
{
    struct switch_step *s = &p->step[p->n_steps++];
    memset(s, 0, sizeof *s);
    s->action = a;
    s->addr = addr;
    s->len = len;
    return s;
}

static void describe(struct switch_step *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void describe(struct switch_step *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->text, sizeof s->text, fmt, ap);
    va_end(ap);
}

static uint32_t selected_seq(const uint8_t *otadata)
{
    struct otadata o;
    struct err ignore;
    otadata_parse(otadata, OTADATA_SIZE, &o, &ignore);
    return o.active >= 0 ? o.e[o.active].seq : 0;
}

static void plan_move_steps(struct switch_plan *p)
{
    const struct part *r = &p->old_table.p[p->st.running];
    const struct part *k = &p->layout.table.p[p->layout.keep_slot];
    struct switch_step *s = add_step(p, SW_COPY_RUNNING, k->offset,
                                     round_up(p->st.running_img.total_len, SECTOR));
    describe(s, "copy the running app '%s' (0x%x bytes) into '%s' at 0x%x",
             r->name, p->st.running_img.total_len, k->name, k->offset);
    s = add_step(p, SW_SELECT_COPY, changed_sector(p, p->st.otadata, p->otadata_move), SECTOR);
    describe(s, "otadata: boot '%s' (seq %u, state valid)", k->name,
             (unsigned)selected_seq(p->otadata_move));
}

static void plan_steps(struct firmware *fw, struct switch_plan *p)
{
    const struct switch_layout *l = &p->layout;
    const struct part *mp = &l->table.p[l->mp_slot], *vfs = &l->table.p[l->vfs];
    struct switch_step *s;
    if (fw->kind == FW_DEVICE) {
        s = add_step(p, SW_BACKUP, 0, 0);
        describe(s, "back up what changes to files on this computer");
    }
    if (p->move)
        plan_move_steps(p);
    s = add_step(p, SW_WRITE_APP, mp->offset, round_up((uint32_t)p->st.mp_len, SECTOR));
    describe(s, "write MicroPython %s (0x%zx bytes) into '%s' at 0x%x",
             p->st.mp.app.version, p->st.mp_len, mp->name, mp->offset);
    s = add_step(p, SW_WRITE_TABLE, PTABLE_OFFSET, SECTOR);
    s->done = p->table_done;
    describe(s, "write the new partition table at 0x%x%s", PTABLE_OFFSET,
             p->table_done ? " (done: the device has it already)" : "");
    s = add_step(p, SW_ERASE_VFS, vfs->offset, vfs->size < ERASE_HEAD_LEN ? vfs->size
                                                                          : ERASE_HEAD_LEN);
    describe(s, "erase the first 0x%x bytes of 'vfs' at 0x%x (MicroPython "
             "makes its filesystem there at first boot)", s->len, vfs->offset);
    s = add_step(p, SW_SELECT_MP, changed_sector(p, p->otadata_move, p->otadata_final), SECTOR);
    describe(s, "otadata: boot '%s' (seq %u, state valid)", mp->name,
             (unsigned)selected_seq(p->otadata_final));
    s = add_step(p, SW_VERIFY, 0, 0);
    describe(s, "read back the table, otadata, the MicroPython app and "
             "the vfs head%s", fw->kind == FW_DEVICE ? " from the chip" : "");
}

static void add_range(struct switch_plan *p, uint32_t addr, uint32_t len, const char *what)
{
    if (!len || p->n_backup == SWITCH_MAX_RANGES)
        return;
    struct switch_range *r = &p->backup[p->n_backup++];
    r->addr = addr;
    r->len = len;
    snprintf(r->what, sizeof r->what, "%s", what);
}

static int by_addr(const void *a, const void *b)
{
    const struct switch_range *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Overlapping or touching ranges become one, so each byte is read once. */
static void merge_ranges(struct switch_plan *p)
{
    qsort(p->backup, (size_t)p->n_backup, sizeof p->backup[0], by_addr);
    int n = 0;
    for (int i = 0; i < p->n_backup; i++) {
        struct switch_range *last = n ? &p->backup[n - 1] : NULL, *r = &p->backup[i];
        if (last && r->addr <= last->addr + last->len) {
            uint32_t end = r->addr + r->len;
            if (end > last->addr + last->len)
                last->len = end - last->addr;
            size_t k = strlen(last->what);
            snprintf(last->what + k, sizeof last->what - k, "+%s", r->what);
            continue;
        }
        p->backup[n++] = *r;
    }
    p->n_backup = n;
}

/* Everything the steps write or erase, and every data partition the new
 * table drops (the user's data, which MicroPython's vfs replaces). */
static void plan_backup(struct switch_plan *p)
{
    add_range(p, PTABLE_OFFSET, SECTOR, "partition table");
    add_range(p, p->st.otadata_part.offset, OTADATA_SIZE, "otadata");
    for (int i = 0; i < p->n_steps; i++) {
        const struct switch_step *s = &p->step[i];
        if (s->action == SW_COPY_RUNNING || s->action == SW_WRITE_APP ||
            s->action == SW_ERASE_VFS)
            add_range(p, s->addr, s->len, s->action == SW_ERASE_VFS ? "vfs head" : "app slot");
    }
    for (int i = 0; i < p->old_table.n; i++) {
        const struct part *x = &p->old_table.p[i];
        if (!p->layout.kept[i] && x->type == PART_TYPE_DATA)
            add_range(p, x->offset, x->size, x->name);
    }
    merge_ranges(p);
}

int op_switch_plan(struct firmware *fw, const struct switch_opts *o, struct switch_plan *p,
                   struct err *e)
{
    uint32_t need = (uint32_t)p->st.mp_len;
    p->mp_slot_size = o->app_size ? o->app_size : round_up(need, APP_ALIGN) + SWITCH_MARGIN;
    if (p->mp_slot_size < need)
        return err_set(e, "--app-size 0x%x is smaller than the MicroPython app (0x%x bytes)",
                       p->mp_slot_size, need);
    if (plan_layout(fw, o, p, e) || plan_otadata(p, e))
        return -1;
    p->table_done = ptable_equal(&fw->table, &p->layout.table);
    plan_steps(fw, p);
    plan_backup(p);
    return 0;
}
