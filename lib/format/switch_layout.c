#include "switch_layout.h"

#include <stdio.h>
#include <string.h>

#include "otadata.h"

#define FIRST_FREE (PTABLE_OFFSET + PTABLE_SECTOR)

struct region {
    uint32_t start, end;
};

struct free_map {
    int n;
    struct region r[PTABLE_MAX_PARTS + 2];
};

static uint32_t align_up(uint32_t v, uint32_t a)
{
    return (uint32_t)(((uint64_t)v + a - 1) / a * a);
}

static const struct part *find_app(const struct ptable *t, int subtype, int *index)
{
    for (int i = 0; i < t->n; i++)
        if (t->p[i].type == PART_TYPE_APP && t->p[i].subtype == subtype) {
            if (index)
                *index = i;
            return &t->p[i];
        }
    return NULL;
}

int switch_layout_check_ota(const struct ptable *t, struct err *e)
{
    bool otadata = false;
    for (int i = 0; i < t->n; i++)
        otadata |= t->p[i].type == PART_TYPE_DATA && t->p[i].subtype == PART_SUBTYPE_OTADATA;
    if (!otadata)
        return err_set(e, "not an OTA layout: the partition table has no otadata partition");
    int n = otadata_app_count(t);
    if (n == 0)
        return err_set(e, "not an OTA layout: the partition table has no ota_0 app partition");
    if (n > 2)
        return err_set(e, "the partition table has %d OTA app slots: only layouts with ota_0 "
                          "and ota_1 can be switched (otadata would change its meaning)", n);
    return 0;
}

/* Partitions a switch reuses unless told to keep them: app slots the
 * bootloader may choose (factory, ota_N) and what MicroPython's vfs
 * replaces (filesystems, the core dump). */
static bool reusable(const struct part *p)
{
    if (p->type == PART_TYPE_APP)
        return p->subtype == PART_SUBTYPE_FACTORY ||
               (p->subtype >= PART_SUBTYPE_OTA_0 && p->subtype <= PART_SUBTYPE_OTA_15);
    return p->type == PART_TYPE_DATA &&
           (p->subtype == PART_SUBTYPE_FAT || p->subtype == PART_SUBTYPE_SPIFFS ||
            p->subtype == PART_SUBTYPE_LITTLEFS || p->subtype == 0x03 /* coredump */);
}

static int classify(const struct switch_layout_in *in, struct switch_layout *out, struct err *e)
{
    const struct ptable *t = in->old;
    for (int i = 0; i < t->n; i++)
        out->kept[i] = i == in->keep_slot || !reusable(&t->p[i]);
    for (int k = 0; k < in->n_keep; k++) {
        const struct part *p = ptable_find(t, in->keep[k]);
        if (!p)
            return err_set(e, "--keep: no partition '%s' in the partition table", in->keep[k]);
        if (p - t->p == out->old_mp)
            return err_set(e, "--keep: partition '%s' is the slot MicroPython goes into",
                           in->keep[k]);
        out->kept[p - t->p] = true;
    }
    for (int i = 0; i < t->n; i++)
        if (out->kept[i] && strcmp(t->p[i].name, "vfs") == 0)
            return err_set(e, "partition 'vfs' is kept, but the switch needs that name for "
                              "MicroPython's filesystem");
    return 0;
}

/* The slot MicroPython goes into: the other OTA slot of a two-slot table,
 * ota_0 when the factory app runs. */
static int pick_mp_slot(const struct switch_layout_in *in, struct err *e)
{
    const struct part *k = &in->old->p[in->keep_slot];
    int want = k->subtype == PART_SUBTYPE_OTA_0 ? PART_SUBTYPE_OTA_0 + 1 : PART_SUBTYPE_OTA_0;
    int index;
    if (k->type != PART_TYPE_APP || (k->subtype != PART_SUBTYPE_FACTORY &&
                                     k->subtype != PART_SUBTYPE_OTA_0 &&
                                     k->subtype != PART_SUBTYPE_OTA_0 + 1))
        return err_set(e, "partition '%s' is not a factory, ota_0 or ota_1 app slot", k->name);
    if (!find_app(in->old, want, &index))
        return err_set(e, "not an OTA layout: '%s' runs, and there is no ota_%d slot for "
                          "MicroPython", k->name, want - PART_SUBTYPE_OTA_0);
    return index;
}

static void free_map_of(const struct switch_layout_in *in, const bool *kept, struct free_map *m)
{
    struct ptable t = *in->old;
    int n = 0;
    for (int i = 0; i < in->old->n; i++)
        if (kept[i])
            t.p[n++] = in->old->p[i];
    t.n = n;
    ptable_sort(&t);
    uint32_t pos = FIRST_FREE;
    m->n = 0;
    for (int i = 0; i <= t.n; i++) {
        uint32_t start = i < t.n ? t.p[i].offset : in->flash_size;
        if (start > pos && pos < in->flash_size)
            m->r[m->n++] = (struct region){ pos, start < in->flash_size ? start : in->flash_size };
        if (i < t.n && align_up(t.p[i].offset + t.p[i].size, DATA_ALIGN) > pos)
            pos = align_up(t.p[i].offset + t.p[i].size, DATA_ALIGN);
    }
}

/* The largest region of `m` once [at, at+size) is taken out of region `r`
 * (size 0: nothing taken); ties go to the lowest. */
static struct region largest_left(const struct free_map *m, int r, uint32_t at, uint32_t size)
{
    struct region best = { 0, 0 };
    for (int i = 0; i < m->n; i++) {
        struct region parts[2] = { m->r[i], { 0, 0 } };
        if (i == r && size) {
            parts[0].end = at;
            parts[1] = (struct region){ at + size, m->r[i].end };
        }
        for (int k = 0; k < 2; k++)
            if (parts[k].end - parts[k].start > best.end - best.start)
                best = parts[k];
    }
    return best;
}

struct placement {
    bool found;
    int region;
    uint32_t at;
    uint32_t vfs_len;
};

static void consider(const struct free_map *m, int r, uint32_t at, uint32_t size, uint32_t old,
                     struct placement *best)
{
    if (at < m->r[r].start || (uint64_t)at + size > m->r[r].end)
        return;
    struct region v = largest_left(m, r, at, size);
    uint32_t len = v.end - v.start;
    bool better = !best->found || len > best->vfs_len ||
                  (len == best->vfs_len && at == old && best->at != old) ||
                  (len == best->vfs_len && best->at != old && at < best->at);
    if (better)
        *best = (struct placement){ true, r, at, len };
}

static struct placement place_mp(const struct free_map *m, uint32_t size, uint32_t old)
{
    struct placement best = { false, 0, 0, 0 };
    for (int r = 0; r < m->n; r++) {
        uint32_t lo = align_up(m->r[r].start, APP_ALIGN);
        consider(m, r, lo, size, old, &best);
        if (m->r[r].end >= size)
            consider(m, r, (m->r[r].end - size) / APP_ALIGN * APP_ALIGN, size, old, &best);
        consider(m, r, old, size, old, &best);
    }
    return best;
}

static struct part *add_part(struct ptable *t, const char *name, uint8_t type, uint8_t sub,
                             uint32_t offset, uint32_t size)
{
    struct part *p = &t->p[t->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->type = type;
    p->subtype = sub;
    p->offset = offset;
    p->size = size;
    return p;
}

static int index_at(const struct ptable *t, uint32_t offset)
{
    for (int i = 0; i < t->n; i++)
        if (t->p[i].offset == offset)
            return i;
    return -1;
}

static uint32_t free_total(const struct free_map *m)
{
    uint64_t n = 0;
    for (int i = 0; i < m->n; i++)
        n += m->r[i].end - m->r[i].start;
    return (uint32_t)n;
}

static int build(const struct switch_layout_in *in, const struct free_map *m,
                 const struct placement *pl, struct switch_layout *out, struct err *e)
{
    const struct ptable *old = in->old;
    const struct part *mp = &old->p[out->old_mp];
    struct region v = largest_left(m, pl->region, pl->at, in->mp_size);
    if (v.end - v.start < SWITCH_VFS_MIN) {
        out->no_room = true;
        return err_set(e, "no room for a vfs partition: with a 0x%x-byte MicroPython slot the "
                          "largest free region left is 0x%x bytes (make it smaller with "
                          "--app-size)", in->mp_size, v.end - v.start);
    }
    struct ptable *t = &out->table;
    memset(t, 0, sizeof *t);
    t->has_md5 = true;
    for (int i = 0; i < old->n; i++)
        if (out->kept[i])
            t->p[t->n++] = old->p[i];
    add_part(t, mp->name, PART_TYPE_APP, mp->subtype, pl->at, in->mp_size);
    add_part(t, "vfs", PART_TYPE_DATA, PART_SUBTYPE_FAT, v.start, v.end - v.start);
    ptable_sort(t);
    out->keep_slot = index_at(t, old->p[in->keep_slot].offset);
    out->mp_slot = index_at(t, pl->at);
    out->vfs = index_at(t, v.start);
    out->unused = free_total(m) - in->mp_size - (v.end - v.start);
    if (ptable_validate(t, in->flash_size, e))
        return err_prefix(e, "the new partition table: ");
    return 0;
}

int switch_layout_plan(const struct switch_layout_in *in, struct switch_layout *out,
                       struct err *e)
{
    memset(out, 0, sizeof *out);
    if (switch_layout_check_ota(in->old, e))
        return -1;
    if (in->mp_size == 0 || in->mp_size % DATA_ALIGN)
        return err_set(e, "MicroPython slot size 0x%x is not a multiple of 4 KiB", in->mp_size);
    out->old_mp = pick_mp_slot(in, e);
    if (out->old_mp < 0 || classify(in, out, e))
        return -1;
    struct free_map m;
    free_map_of(in, out->kept, &m);
    struct placement pl = place_mp(&m, in->mp_size, in->old->p[out->old_mp].offset);
    if (!pl.found) {
        struct region big = largest_left(&m, -1, 0, 0);
        out->no_room = true;
        return err_set(e, "no room for MicroPython: it needs a 0x%x-byte slot, the largest "
                          "free region with '%s' and the partitions kept in place is 0x%x "
                          "bytes at 0x%x", in->mp_size, in->old->p[in->keep_slot].name,
                       big.end - big.start, big.start);
    }
    return build(in, &m, &pl, out, e);
}
