/* The safety net on a device (README "Backups"): before the first change
 * reaches the chip, print what will be written and erased, by partition
 * name and address, and what data on the chip is lost; save that data
 * (only what is not erased, only what changes) to a backup file in the
 * current directory, named on the screen, unless --no-backup; with
 * --dry-run stop there, nothing written.  `--restore FILE` puts a backup
 * back (mpi_restore).  The device flash holds every change until this has
 * run (flash_device.h, device_opts.hold). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "backup_file.h"
#include "fileio.h"
#include "flash_device.h"
#include "mpi.h"
#include "mpi_run.h"
#include "out.h"

/* Which partitions [addr, addr+len) touches: "factory", "nvs, otadata",
 * or the pseudo partitions below the table. */
static void region_name(const struct mpi_safety *s, uint32_t addr, uint32_t len, char *out,
                        size_t cap)
{
    out[0] = '\0';
    uint64_t end = (uint64_t)addr + len;
    if (addr < PTABLE_OFFSET)
        snprintf(out, cap, "bootloader");
    if (addr < PTABLE_OFFSET + PTABLE_SECTOR && end > PTABLE_OFFSET)
        snprintf(out + strlen(out), cap - strlen(out), "%spartition_table", out[0] ? ", " : "");
    for (int i = 0; s->have_table && i < s->table.n; i++) {
        const struct part *p = &s->table.p[i];
        if (addr < (uint64_t)p->offset + p->size && end > p->offset && strlen(out) + 20 < cap)
            snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? ", " : "", p->name);
    }
    if (!out[0])
        snprintf(out, cap, "outside the partition table");
}

struct plan_ctx {
    struct mpi_safety *s;
    struct loader *l;
    struct backup b;
};

static int plan_run(void *ctx, uint32_t addr, uint32_t len, const uint8_t *data, struct err *e)
{
    struct plan_ctx *c = ctx;
    uint64_t changed, before = backup_data_bytes(&c->b);
    if (loader_backup(c->l, addr, len, data, &c->b, &changed, e) != 0)
        return err_prefix(e, "reading what the changes replace: ");
    if (changed == 0)
        return 0;
    uint64_t lost = backup_data_bytes(&c->b) - before;
    char name[256];
    region_name(c->s, addr, len, name, sizeof name);
    out_action("Change 0x%08x..0x%08x (%s): %llu bytes change, %llu bytes of data are lost", addr,
               addr + len - 1, name, (unsigned long long)changed, (unsigned long long)lost);
    if (c->s->json) {
        json_obj(c->s->json, NULL);
        json_str(c->s->json, "op", "change");
        json_str(c->s->json, "partitions", name);
        json_int(c->s->json, "address", addr);
        json_int(c->s->json, "length", len);
        json_int(c->s->json, "changed", (int64_t)changed);
        json_int(c->s->json, "lost", (int64_t)lost);
        json_end(c->s->json);
    }
    return 0;
}

static int save(struct mpi_safety *s, const struct backup *b, struct err *e)
{
    char name[512];
    if (backup_file_save(b, name, sizeof name, e) != 0)
        return err_prefix(e, "the backup (nothing was written to %s): ", s->port);
    out_action("Backup of the data this changes (%llu bytes): %s",
               (unsigned long long)backup_data_bytes(b), name);
    out_info("  restore it with: mp-image-tool-esp32 %s --restore %s", s->port, name);
    snprintf(s->backup_file, sizeof s->backup_file, "%s", name);
    if (s->json) {
        json_obj(s->json, NULL);
        json_str(s->json, "op", "backup");
        json_str(s->json, "file", name);
        json_int(s->json, "data", (int64_t)backup_data_bytes(b));
        json_end(s->json);
    }
    return 0;
}

int mpi_safety_commit(void *ctx, struct flash *f, struct err *e)
{
    struct mpi_safety *s = ctx;
    if (s->o->no_backup && !s->o->dry_run)
        return 0;
    struct plan_ctx c = { s, flash_device_loader(f), { .flash_size = f->size } };
    snprintf(c.b.chip, sizeof c.b.chip, "%s", c.l->chip->name);
    struct err ignore;
    if (loader_read_mac(c.l, c.b.mac, &ignore) != 0)
        memset(c.b.mac, 0, 6);
    int rc = flash_device_changes(f, plan_run, &c, e);
    if (rc == 0 && s->o->dry_run) {
        out_action("Dry run: nothing was written to %s.", s->port);
        s->stopped = true;
        rc = err_set(e, "--dry-run: stopped before the first write");
    } else if (rc == 0 && !s->o->no_backup && backup_data_bytes(&c.b) > 0) {
        rc = save(s, &c.b, e);
    }
    backup_free(&c.b);
    return rc;
}

/* --restore FILE: every record back onto the device (held and committed
 * as any change, so the restore itself is backed up first). */
int mpi_restore(struct mpi_run *run, struct flash *f, struct err *e)
{
    uint8_t *bytes;
    size_t len;
    struct backup b;
    const char *file = run->opts.restore;
    if (file_read_all(file, FILE_MAX_FLASH + (1u << 20), &bytes, &len, e) != 0)
        return -1;
    int rc = backup_decode(bytes, len, &b, e);
    free(bytes);
    if (rc != 0)
        return err_prefix(e, "%s: ", file);
    const struct chip *chip = flash_device_loader(f)->chip;
    if (strcmp(b.chip, chip->name) != 0)
        rc = err_set(e, "%s is a backup of an %s, %s is an %s", file, b.chip, run->opts.input,
                     chip->name);
    else if (b.flash_size > f->size)
        rc = err_set(e, "%s is a backup of a %u MB flash, %s has %u MB", file,
                     b.flash_size >> 20, run->opts.input, f->size >> 20);
    for (int i = 0; i < b.n && rc == 0; i++) {
        const struct backup_rec *r = &b.r[i];
        out_action("Restoring 0x%x bytes at 0x%08x (%s)...", r->len, r->addr,
                   r->erased ? "erased" : "data");
        rc = r->erased ? flash_erase(f, r->addr, r->len, e)
                       : flash_write(f, r->addr, r->data, r->len, e);
    }
    if (rc == 0)
        out_info("Restoring %s: %llu bytes of data, %llu bytes in all.", file,
                 (unsigned long long)backup_data_bytes(&b), (unsigned long long)backup_covered(&b));
    backup_free(&b);
    return rc;
}
