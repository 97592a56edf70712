/* What a damaged command could reach, and a fence against most of it.
 *
 * Why: only the data of the *_DATA commands carries a checksum (§1.5).
 * One flipped bit in the size or offset of FLASH_BEGIN, FLASH_DEFL_BEGIN
 * or ERASE_REGION moves an erase (and the writes after it) anywhere in the
 * flash, and the reply says all went well; the region's own MD5 check
 * cannot see what happened elsewhere, nor can a rerun repair it.
 *
 *  - A bit set in the size, or in the offset, moves the end up.  The ROM's
 *    erase and write functions, which the stubs use too, refuse a range
 *    that ends past the flash size SPI_SET_PARAMS gave (ESP-IDF
 *    esp_rom_spiflash_erase_area/_write: "start + len > chip_size").  So
 *    the chip is told the flash ends where the region ends (the fence)
 *    before the region is erased or written: it refuses all of these.  A
 *    fence that arrives damaged too low makes the chip refuse the region:
 *    it goes again.  (One damaged too high only leaves the region as
 *    exposed as without a fence.)
 *  - A bit cleared in the offset moves the command down by 2^k.  The areas
 *    below the region such a command could reach are hashed (SPI_FLASH_MD5)
 *    before it is sent, and again when the region is done.  An area that
 *    was erased flash is erased again; any other change is an error that
 *    names the area: what it held is lost (the chip erased it), but not
 *    silently.  Offsets below 4 KiB alignment: a ROM refuses them,
 *    a stub erases whole sectors; the sector rounding covers both.
 *  - A bit cleared in the size erases less: the region's MD5 check fails.
 * WRITE_REG can reach the flash only through SPI commands that need a
 * write enable first (WREN), which the loader never sends; READ_REG,
 * SPI_FLASH_MD5, READ_FLASH(_SLOW) only read; MEM_* write RAM.
 * Not covered: the ESP8266 ROM (no SPI_SET_PARAMS, no MD5), and the hash
 * in Secure Download Mode (no MD5). */
#include "loader.h"
#include "loader_impl.h"

#include <stdio.h>
#include <string.h>

/* Areas closer than this are hashed as one (fewer commands, a little more
 * flash read by the chip). */
#define GUARD_GAP 0x10000u

static uint32_t sector_down(uint32_t a)
{
    return a & ~(LOADER_SECTOR - 1);
}

static uint64_t sector_up(uint64_t a)
{
    return (a + LOADER_SECTOR - 1) & ~(uint64_t)(LOADER_SECTOR - 1);
}

static bool can_fence(const struct loader *l)
{
    return !loader_rom_8266(l);
}

int guard_open(struct loader *l, struct guard *g, uint32_t addr, uint32_t len, struct err *e)
{
    g->start = sector_down(addr);
    uint64_t end = sector_up((uint64_t)addr + len);
    g->end = end > UINT32_MAX ? UINT32_MAX & ~(LOADER_SECTOR - 1) : (uint32_t)end;
    g->hash = !loader_rom_8266(l) && !l->secure_download;
    g->n = 0;
    if (!can_fence(l))
        return 0;
    /* Without the flash's size we could not lift the fence again. */
    if (!l->attached && loader_attach(l, 0, e) != 0)
        return -1;
    return l->fence == g->end ? 0 : loader_set_params(l, g->end, e);
}

int guard_refence(struct loader *l, const struct guard *g, struct err *e)
{
    return can_fence(l) ? loader_set_params(l, g->end, e) : 0;
}

/* Guard [lo, hi): the parts not guarded yet become areas, hashed now.
 * The areas stay sorted and apart. */
static int add_area(struct loader *l, struct guard *g, uint32_t lo, uint32_t hi, struct err *e)
{
    unsigned i = 0;
    while (lo < hi) {
        while (i < g->n && g->area[i].addr + g->area[i].len <= lo)
            i++;
        if (i < g->n && g->area[i].addr <= lo) {
            lo = g->area[i].addr + g->area[i].len;   /* guarded already */
            continue;
        }
        uint32_t stop = i < g->n && g->area[i].addr < hi ? g->area[i].addr : hi;
        if (g->n == GUARD_AREAS)
            return err_set(e, "write at 0x%08x: too many areas to guard", (unsigned)g->start);
        /* Asked until two replies agree once the line has damaged
         * anything (loader_md5_sure); on a clean line once: a reply damaged
         * there, rare as that is, can only make the area look changed
         * later, a false alarm that stops the run, never a silent loss,
         * and asking twice costs a third more flash reads on every write
         * (a 63-file --fs put: 9 MB). */
        struct guard_area a = { lo, stop - lo, { 0 } };
        if (loader_md5_sure(l, lo, stop - lo, a.md5, false, e) != 0)
            return -1;
        memmove(&g->area[i + 1], &g->area[i], (g->n - i) * sizeof g->area[0]);
        g->area[i] = a;
        g->n++;
        lo = stop;
        i++;
    }
    return 0;
}

int guard_cover(struct loader *l, struct guard *g, uint32_t off, uint32_t size, struct err *e)
{
    if (!g->hash || size == 0)
        return 0;
    /* Where the command lands for each offset bit that is set, below the
     * region, merged when close (the bits go from low to high, so the
     * areas go from high to low). */
    uint32_t lo = 0, hi = 0;
    for (int k = 0; k < 32; k++) {
        uint32_t bit = 1u << k;
        if (!(off & bit))
            continue;
        uint32_t a = sector_down(off - bit);
        uint64_t b = sector_up((uint64_t)(off - bit) + size);
        if (b > g->start)
            b = g->start;
        if (a >= b)
            continue;                       /* lands inside the region */
        if (hi && b + GUARD_GAP >= lo) {
            lo = a;                          /* close to the last: one area */
            continue;
        }
        if (hi && add_area(l, g, lo, hi, e) != 0)
            return -1;
        lo = a;
        hi = (uint32_t)b;
    }
    return hi ? add_area(l, g, lo, hi, e) : 0;
}

/* Whether the chip's MD5 of the area differs from the one taken before.
 * A reply damaged now would cry wolf, so a difference is asked again.
 * -1: the chip did not answer (e says why). */
static int area_changed(struct loader *l, const struct guard_area *a, struct err *e)
{
    uint8_t now[16];
    for (int i = 0; i < 2; i++) {
        if (loader_md5_sure(l, a->addr, a->len, now, false, e) != 0)
            return -1;
        if (memcmp(now, a->md5, 16) == 0)
            return 0;
    }
    return 1;
}

/* Whether the area held only erased flash (0xFF) before. */
static bool was_blank(const struct guard_area *a)
{
    uint8_t m[16];
    loader_blank_md5(a->len, m);
    return memcmp(m, a->md5, 16) == 0;
}

/* A changed area that held only erased flash: what the damaged command
 * did there is undone by erasing it again (an erase fenced and guarded in
 * turn, but not repaired in turn). */
static bool restored(struct loader *l, const struct guard *g, const struct guard_area *a)
{
    if (l->repairing || !was_blank(a))
        return false;
    struct err ignore;
    l->repairing = true;
    int rc = loader_erase_region(l, a->addr, a->len, &ignore);
    l->repairing = false;
    if (guard_refence(l, g, &ignore) != 0 || rc != 0 || area_changed(l, a, &ignore) != 0)
        return false;
    loader_note(l, "Flash at 0x%08x-0x%08x, outside the region written, was changed by a "
                   "command damaged on the line; it was erased flash, and is erased again",
                (unsigned)a->addr, (unsigned)(a->addr + a->len - 1));
    return true;
}

/* The areas could not all be hashed again: say so with the error there is
 * (or make one: what cannot be checked is not a success). */
static int unchecked(const struct guard *g, int rc, const char *why, struct err *e)
{
    char was[sizeof e->msg];
    snprintf(was, sizeof was, "%s", rc ? e->msg : why);
    return err_set(e, "%s (so flash below 0x%08x, outside the region, could not be checked)",
                   was, (unsigned)g->start);
}

int guard_close(struct loader *l, struct guard *g, int rc, struct err *e)
{
    if (rc != 0 && l->fail == LOADER_FAIL_PORT)
        return g->n ? unchecked(g, rc, NULL, e) : rc;
    unsigned changed = 0, first = 0;
    for (unsigned i = 0; i < g->n; i++) {
        struct err me;
        int c = area_changed(l, &g->area[i], &me);
        /* A refusal may be a fence that arrived damaged, too low. */
        if (c < 0 && l->fail == LOADER_FAIL_STATUS && guard_refence(l, g, &me) == 0)
            c = area_changed(l, &g->area[i], &me);
        if (c < 0)
            return unchecked(g, rc, me.msg, e);   /* the chip no longer answers */
        if (c > 0 && !restored(l, g, &g->area[i]) && !changed++)
            first = i;
    }
    if (!changed)
        return rc;
    const struct guard_area *a = &g->area[first];
    l->fail = LOADER_FAIL_VERIFY;
    return err_set(e, "flash outside the region 0x%08x-0x%08x changed, at 0x%08x-0x%08x%s: a "
                      "command damaged on the line (commands carry no checksum) erased or "
                      "wrote there; what it held is lost, and writing again does not bring it "
                      "back",
                   (unsigned)g->start, (unsigned)(g->end - 1), (unsigned)a->addr,
                   (unsigned)(a->addr + a->len - 1), changed > 1 ? " and elsewhere" : "");
}
