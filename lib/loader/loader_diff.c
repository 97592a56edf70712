/* Asking the chip what differs, so that only that goes over the line.
 *
 * Why: the line is the cost of device work (a 1.7 MB write takes 15 s at
 * 921600 baud), and the chip can say which parts of a region matter with
 * SPI_FLASH_MD5, which takes any range and answers 16 bytes.  A re-flash
 * of a firmware that changed in one place, a read of a flash that is
 * mostly erased, an erase of what is erased already: each then costs a
 * few MD5 commands instead of the whole region.
 *
 * Coarse to fine: the MD5 of the whole region (an unchanged region costs
 * one command; reads skip this step, a wholly erased region being rare),
 * then of each 64 KiB block in it, then of each 4 KiB sector of the blocks
 * that differ.  One changed sector in a 1.7 MB region costs 1 + 27 + 16
 * commands of about 50 bytes each, against 1.2 MB of deflated data.
 *
 * A block that differs and is erased needs no more questions: its sectors
 * differ where the wanted bytes are not all 0xFF (a first flash of an
 * erased chip costs a command per block).  The last answer for a region
 * is kept until the next write or erase (l->known): the safety net asks
 * about the region a write then asks about again (loader_backup.c).
 *
 * A damaged MD5 reply can only make a part look changed (it is then
 * written or read for nothing; an MD5 equal by accident is 2^-128), and
 * what is written is verified by MD5 as always (loader_write.c). */
#include "loader.h"
#include "loader_impl.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK 0x10000u

bool loader_can_diff(const struct loader *l)
{
    return !l->o.no_diff && !loader_rom_8266(l) && !l->secure_download;
}

uint32_t loader_sectors(uint32_t addr, uint32_t len)
{
    return len ? (uint32_t)(((uint64_t)addr + len - 1) / LOADER_SECTOR - addr / LOADER_SECTOR + 1)
               : 0;
}

/* The MD5 of `want` (NULL: of erased flash). */
static void expected_md5(const uint8_t *want, uint32_t len, uint8_t out[16])
{
    if (want)
        loader_md5_of(want, len, out);
    else
        loader_blank_md5(len, out);
}

/* Does the chip hold `want` (NULL: erased flash) at [addr, addr+len)? */
static int holds(struct loader *l, uint32_t addr, uint32_t len, const uint8_t *want, bool *same,
                 struct err *e)
{
    uint8_t exp[16], got[16];
    expected_md5(want, len, exp);
    if (loader_md5(l, addr, len, got, e) != 0)
        return -1;
    l->diff_queries++;
    *same = memcmp(exp, got, 16) == 0;
    return 0;
}

static bool all_ff(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

/* The sectors of a block [lo, hi) that is known to differ from `want`
 * (of the region at `base`): an erased block's by looking at `want`,
 * another's by asking sector by sector. */
static int diff_sectors(struct loader *l, uint32_t base, uint32_t lo, uint32_t hi,
                        const uint8_t *want, uint8_t *map, struct err *e)
{
    uint32_t first = lo / LOADER_SECTOR - base / LOADER_SECTOR;
    uint32_t n = loader_sectors(lo, hi - lo);
    bool erased = false;
    if (n == 1) {
        map[first] = 1;
        return 0;
    }
    if (want && holds(l, lo, hi - lo, NULL, &erased, e) != 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t s = (lo / LOADER_SECTOR + i) * LOADER_SECTOR;
        uint32_t a = s > lo ? s : lo, b = s + LOADER_SECTOR < hi ? s + LOADER_SECTOR : hi;
        const uint8_t *w = want ? want + (a - base) : NULL;
        bool same;
        if (erased)
            same = all_ff(w, b - a);
        else if (holds(l, a, b - a, w, &same, e) != 0)
            return -1;
        map[first + i] = !same;
    }
    return 0;
}

/* One 64 KiB block [lo, hi) of the region at `base`: mark its sectors
 * that differ.  `known_bad`: the block itself is known to differ. */
static int diff_block(struct loader *l, uint32_t base, uint32_t lo, uint32_t hi,
                      const uint8_t *want, uint8_t *map, bool known_bad, struct err *e)
{
    bool same = false;
    if (!known_bad && holds(l, lo, hi - lo, want ? want + (lo - base) : NULL, &same, e) != 0)
        return -1;
    if (!same)
        return diff_sectors(l, base, lo, hi, want, map, e);
    memset(map + (lo / LOADER_SECTOR - base / LOADER_SECTOR), 0, loader_sectors(lo, hi - lo));
    return 0;
}

/* The kept answer (see the top): for the same region and bytes only. */
static bool recall(const struct loader *l, uint32_t addr, uint32_t len, const uint8_t md5[16],
                   uint8_t *map)
{
    const struct loader_known *k = &l->known;
    if (!k->map || k->addr != addr || k->len != len || memcmp(k->md5, md5, 16))
        return false;
    memcpy(map, k->map, loader_sectors(addr, len));
    return true;
}

static void remember(struct loader *l, uint32_t addr, uint32_t len, const uint8_t md5[16],
                     const uint8_t *map)
{
    loader_forget_diff(l);
    uint32_t n = loader_sectors(addr, len);
    struct loader_known *k = &l->known;
    if (!(k->map = malloc(n)))
        return;
    memcpy(k->map, map, n);
    memcpy(k->md5, md5, 16);
    k->addr = addr;
    k->len = len;
}

void loader_forget_diff(struct loader *l)
{
    free(l->known.map);
    l->known.map = NULL;
}

/* map[i] = 1 where the i-th sector-aligned piece of [addr, addr+len)
 * (the first and last may be partial) differs on the chip from `want`,
 * or with want NULL, is not erased (0xFF); 0 where it holds that.  Where
 * the chip cannot be asked, all 1. */
static int loader_diff(struct loader *l, uint32_t addr, uint32_t len, const uint8_t *want,
                       uint8_t *map, struct err *e)
{
    uint32_t n = loader_sectors(addr, len);
    memset(map, 1, n);
    if (n == 0 || !loader_can_diff(l))
        return 0;
    uint8_t md5[16];
    if (want) {
        loader_md5_of(want, len, md5);
        if (recall(l, addr, len, md5, map))
            return 0;
    }
    uint64_t end = (uint64_t)addr + len;
    bool one_block = addr / BLOCK == (end - 1) / BLOCK;
    /* A write asks about the whole region first: unchanged is the case
     * that matters (a re-flash of the same build).  The answer for a
     * region of one block is the block's answer. */
    bool whole_bad = false;
    if (want) {
        bool same;
        if (holds(l, addr, len, want, &same, e) != 0)
            return -1;
        if (same) {
            memset(map, 0, n);
            remember(l, addr, len, md5, map);
            return 0;
        }
        whole_bad = true;
    }
    for (uint64_t b = addr - addr % BLOCK; b < end; b += BLOCK) {
        uint32_t lo = b > addr ? (uint32_t)b : addr;
        uint32_t hi = b + BLOCK < end ? (uint32_t)(b + BLOCK) : (uint32_t)end;
        if (diff_block(l, addr, lo, hi, want, map, whole_bad && one_block, e) != 0)
            return -1;
    }
    if (want)
        remember(l, addr, len, md5, map);
    return 0;
}

int loader_next_run(const uint8_t *map, uint32_t n, uint8_t value, uint32_t *i, uint32_t *count)
{
    while (*i < n && map[*i] != value)
        (*i)++;
    if (*i >= n)
        return 0;
    uint32_t j = *i;
    while (j < n && map[j] == value)
        j++;
    *count = j - *i;
    return 1;
}

void loader_run_span(uint32_t addr, uint32_t len, uint32_t first, uint32_t count,
                     uint32_t *lo, uint32_t *hi)
{
    uint64_t s = (uint64_t)(addr / LOADER_SECTOR + first) * LOADER_SECTOR;
    uint64_t t = s + (uint64_t)count * LOADER_SECTOR, end = (uint64_t)addr + len;
    *lo = s > addr ? (uint32_t)s : addr;
    *hi = t < end ? (uint32_t)t : (uint32_t)end;
}

int loader_diff_runs(struct loader *l, uint32_t addr, uint32_t len, const uint8_t *want,
                     loader_run_fn fn, void *ctx, struct err *e)
{
    uint32_t n = loader_sectors(addr, len);
    uint8_t *map = malloc(n ? n : 1);
    if (!map)
        return err_set(e, "at 0x%x: out of memory", (unsigned)addr);
    int rc = loader_diff(l, addr, len, want, map, e);
    for (uint32_t i = 0, k = 0; rc == 0 && i < n; i += k) {
        uint32_t lo, hi;
        bool differs = map[i];
        loader_next_run(map, n, map[i], &i, &k);
        loader_run_span(addr, len, i, k, &lo, &hi);
        rc = fn(l, lo, hi, differs, ctx, e);
    }
    free(map);
    return rc;
}
