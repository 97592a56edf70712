/* esptool's safety net: before write_flash, erase_region or erase_flash
 * change the flash, and before restore_backup puts a backup back, say
 * what is written and erased and what data on the chip is lost, and save
 * that data (only what is not erased, only what changes) to a backup file
 * in the current directory, named on the screen; restore_backup FILE (or
 * mp-image-tool-esp32 PORT --restore FILE) puts it back.  Where nothing
 * but erased flash changes, no file is written.  --no-backup skips it,
 * --dry-run stops after the plan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "backup_file.h"
#include "esptool.h"

static void plan_line(struct esptool *t, const struct es_change *c, uint64_t changed,
                      uint64_t lost)
{
    es_print("Safety net: %s 0x%08x..0x%08x (%s): %llu bytes change, %llu bytes of data "
             "on the chip are lost", c->data ? "write" : "erase", (unsigned)c->addr,
             (unsigned)(c->addr + c->len - 1), c->what, (unsigned long long)changed,
             (unsigned long long)lost);
    if (!t->json)
        return;
    json_obj(t->json, NULL);
    json_str(t->json, "action", c->data ? "write" : "erase");
    json_str(t->json, "what", c->what);
    json_int(t->json, "address", c->addr);
    json_int(t->json, "length", c->len);
    json_int(t->json, "changed", (int64_t)changed);
    json_int(t->json, "lost", (int64_t)lost);
    json_end(t->json);
}

static int save(struct esptool *t, const struct backup *b, struct err *e)
{
    char name[256];
    if (backup_file_save(b, name, sizeof name, e) != 0)
        return err_prefix(e, "the backup (nothing was changed): ");
    es_print("Backup of what this changes (%llu bytes of data): %s",
             (unsigned long long)backup_data_bytes(b), name);
    es_print("  restore it with: esptool -p %s restore-backup %s", t->port_name, name);
    if (t->json) {
        json_obj(t->json, "backup");
        json_str(t->json, "file", name);
        json_int(t->json, "data", (int64_t)backup_data_bytes(b));
        json_int(t->json, "covered", (int64_t)backup_covered(b));
        json_end(t->json);
    }
    return 0;
}

int es_safety(struct esptool *t, const struct es_change *c, int n, struct err *e)
{
    if (t->no_backup && !t->dry_run)
        return 0;
    struct loader *l = t->l;
    if (loader_attach(l, 0, e) != 0)   /* the flash size goes into the backup */
        return -1;
    struct backup b = { .flash_size = l->flash_size };
    snprintf(b.chip, sizeof b.chip, "%s", l->chip->name);
    unsigned m[6];
    if (sscanf(t->mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6)
        for (int i = 0; i < 6; i++)
            b.mac[i] = (uint8_t)m[i];
    int rc = 0;
    if (t->json)
        json_arr(t->json, "plan");
    for (int i = 0; i < n && rc == 0; i++) {
        uint64_t changed, before = backup_data_bytes(&b);
        rc = loader_backup(l, c[i].addr, c[i].len, c[i].data, &b, &changed, e);
        if (rc == 0)
            plan_line(t, &c[i], changed, backup_data_bytes(&b) - before);
    }
    if (t->json)
        json_end(t->json);
    if (rc == 0 && t->dry_run) {
        es_print("Dry run: nothing was written.");
        rc = 1;
    } else if (rc == 0 && !t->no_backup && backup_data_bytes(&b) > 0) {
        rc = save(t, &b, e);
    }
    backup_free(&b);
    return rc;
}

int es_safety_erase_all(struct esptool *t, struct err *e)
{
    if (t->no_backup && !t->dry_run)
        return 0;
    if (loader_attach(t->l, 0, e) != 0)
        return -1;
    struct es_change c = { 0, t->l->flash_size, NULL, "the whole flash" };
    return es_safety(t, &c, 1, e);
}

/* restore-backup FILE: every record back, through the same safety net. */
int es_cmd_restore_backup(struct esptool *t, int argc, char **argv, struct err *e)
{
    if (argc != 2)
        return err_set(e, "usage: restore-backup FILE");
    uint8_t *bytes;
    size_t len;
    struct backup b;
    if (file_read_all(argv[1], FILE_MAX_FLASH + (1u << 20), &bytes, &len, e) != 0)
        return -1;
    int rc = backup_decode(bytes, len, &b, e);
    free(bytes);
    if (rc != 0)
        return err_prefix(e, "%s: ", argv[1]);
    struct es_change *c = calloc((size_t)b.n + 1, sizeof *c);
    rc = c ? es_connect(t, e) : err_set(e, "out of memory");
    if (rc == 0 && strcmp(b.chip, t->l->chip->name) != 0)
        rc = err_set(e, "%s is a backup of an %s, this chip is an %s", argv[1], b.chip,
                     t->l->chip->name);
    if (rc == 0)
        rc = es_attach(t, NULL, false, e);
    for (int i = 0; i < b.n && c; i++)
        c[i] = (struct es_change){ b.r[i].addr, b.r[i].len, b.r[i].data, argv[1] };
    if (rc == 0)
        rc = es_safety(t, c, b.n, e);
    for (int i = 0; i < b.n && rc == 0; i++) {
        const struct backup_rec *r = &b.r[i];
        es_print("Restoring 0x%x bytes at 0x%08x (%s)...", (unsigned)r->len, (unsigned)r->addr,
                 r->erased ? "erased" : "data");
        rc = r->erased ? loader_erase_region(t->l, r->addr, r->len, e)
                       : loader_write(t->l, r->addr, r->data, r->len, t->l->stub, e);
    }
    if (rc == 0)
        es_print("Restored %s: %llu bytes of data, %llu bytes in all.", argv[1],
                 (unsigned long long)backup_data_bytes(&b), (unsigned long long)backup_covered(&b));
    free(c);
    backup_free(&b);
    return rc > 0 ? 0 : rc;
}
