/* What a write or an erase is about to destroy, read off the chip before
 * it does (the safety net: README "Backups").  Only what matters: which
 * sectors change is loader_diff's answer (kept for the write that follows,
 * so it is asked once), and of those only the ones that are not erased are
 * read, whole sectors (a write from an unaligned address erases its whole
 * first sector); erased ones are noted as such (a restore erases them
 * again). */
#include "loader.h"
#include "loader_impl.h"

#include <stdlib.h>
#include <string.h>

static bool all_ff(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

static uint32_t down(uint32_t a) { return a & ~(LOADER_SECTOR - 1); }
static uint32_t up(uint64_t a)
{
    return (uint32_t)((a + LOADER_SECTOR - 1) & ~(uint64_t)(LOADER_SECTOR - 1));
}

/* Sectors [lo, hi) (aligned) into the backup, each as data or as erased.
 * A short run is asked first whether it is erased (a read of 64 KiB or
 * more asks that itself, loader_read). */
static int keep_sectors(struct loader *l, uint32_t lo, uint32_t hi, struct backup *b,
                        struct err *e)
{
    uint8_t want[16], got[16];
    if (hi - lo < 0x10000 && loader_can_diff(l)) {
        loader_blank_md5(hi - lo, want);
        if (loader_md5(l, lo, hi - lo, got, e) != 0)
            return -1;
        if (memcmp(want, got, 16) == 0)
            return backup_add(b, lo, hi - lo, NULL, e);
    }
    uint8_t *buf = malloc(hi - lo);
    if (!buf)
        return err_set(e, "backup at 0x%x: out of memory", (unsigned)lo);
    int rc = loader_read(l, lo, buf, hi - lo, e);
    for (uint32_t a = lo; rc == 0 && a < hi; a += LOADER_SECTOR) {
        const uint8_t *s = buf + (a - lo);
        rc = backup_add(b, a, LOADER_SECTOR, all_ff(s, LOADER_SECTOR) ? NULL : s, e);
    }
    free(buf);
    return rc;
}

struct kept {
    struct backup *b;
    uint64_t changed;
};

static int keep_run(struct loader *l, uint32_t lo, uint32_t hi, bool differs, void *ctx,
                    struct err *e)
{
    struct kept *k = ctx;
    if (!differs)
        return 0;
    k->changed += hi - lo;
    return keep_sectors(l, down(lo), up(hi), k->b, e);
}

int loader_backup(struct loader *l, uint32_t addr, uint32_t len, const uint8_t *want,
                  struct backup *b, uint64_t *changed, struct err *e)
{
    *changed = 0;
    if (len == 0)
        return 0;
    if (loader_rom_8266(l)) {
        /* this ROM can neither read nor hash the flash: nothing to save */
        *changed = len;
        return 0;
    }
    struct kept k = { b, 0 };
    int rc = loader_diff_runs(l, addr, len, want, keep_run, &k, e);
    *changed = k.changed;
    return rc;
}
