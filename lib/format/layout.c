#include "layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MB 0x100000u

static uint32_t align_up(uint32_t v, uint32_t a)
{
    return (uint32_t)(((uint64_t)v + a - 1) / a * a);
}

static uint32_t alignment_for(int type)
{
    return type == PART_TYPE_APP ? APP_ALIGN : DATA_ALIGN;
}

uint32_t layout_ota_app_size(uint32_t flash_size)
{
    if (flash_size > 8 * MB)
        return 0x270000;
    if (flash_size > 4 * MB)
        return 0x200000;
    return 0x180000;
}

static void item(struct layout_item *it, const char *name, const char *sub, uint32_t size)
{
    memset(it, 0, sizeof *it);
    snprintf(it->name, sizeof it->name, "%s", name);
    snprintf(it->subtype, sizeof it->subtype, "%s", sub);
    it->size = size;
}

int layout_preset(const char *name, uint32_t first_app, uint32_t app_size, uint32_t flash_size,
                  struct layout_item *items)
{
    if (strcmp(name, "original") == 0) {
        item(&items[0], "nvs", "nvs", 0x6000);
        item(&items[1], "phy_init", "phy", 0x1000);
        item(&items[2], "factory", "factory", 0x1f0000);
        item(&items[3], "vfs", "fat", 0);
        return 4;
    }
    if (strcmp(name, "default") == 0) {
        item(&items[0], "nvs", "nvs", 0x7000);
        item(&items[1], "factory", "factory", 0x1f0000);
        item(&items[2], "vfs", "fat", 0);
        return 3;
    }
    if (strcmp(name, "ota") == 0) {
        uint32_t slot = app_size ? app_size : layout_ota_app_size(flash_size);
        uint32_t nvs = first_app > 0x9000 + OTADATA_SIZE ? first_app - 0x9000 - OTADATA_SIZE : 0x5000;
        item(&items[0], "nvs", "nvs", nvs);
        item(&items[1], "otadata", "ota", OTADATA_SIZE);
        item(&items[2], "ota_0", "ota_0", slot);
        item(&items[3], "ota_1", "ota_1", slot);
        item(&items[4], "vfs", "fat", 0);
        return 5;
    }
    return -1;
}

int layout_subtype(const char *name, const char *subtype, int *type, struct err *e)
{
    const char *s = subtype;
    if (!s || !*s) {
        if (strcmp(name, "otadata") == 0)
            s = "ota";
        else if (strcmp(name, "vfs") == 0)
            s = "fat";
        else if (strcmp(name, "phy_init") == 0)
            s = "phy";
        else
            s = name;
    }
    int code = ptable_subtype_code(PART_TYPE_APP, s);
    if (code >= 0) {
        *type = PART_TYPE_APP;
        return code;
    }
    code = ptable_subtype_code(PART_TYPE_DATA, s);
    if (code >= 0) {
        *type = PART_TYPE_DATA;
        return code;
    }
    /* A number is a data subtype (0x80-0xFE are free for users). */
    char *end;
    unsigned long v = strtoul(s, &end, 0);
    if (*s && !*end && v <= 0xFE) {
        *type = PART_TYPE_DATA;
        return (int)v;
    }
    err_set(e, "partition '%s': unknown subtype '%s' (give one, e.g. %s=fat:SIZE)", name, s, name);
    return -1;
}

static int check_name(const char *name, struct err *e)
{
    size_t n = strlen(name);
    if (n == 0)
        return err_set(e, "empty partition name");
    if (n > PTABLE_NAME_MAX)
        return err_set(e, "partition name '%s' is longer than %d characters", name, PTABLE_NAME_MAX);
    return 0;
}

/* Append a partition, placing it after the highest one when offset is 0 and
 * filling to the end of flash when size is 0. */
static int place(struct ptable *t, const struct layout_item *it, uint32_t flash_size,
                 struct err *e)
{
    int type;
    int sub = layout_subtype(it->name, it->subtype, &type, e);
    if (sub < 0 || check_name(it->name, e))
        return -1;
    if (ptable_find(t, it->name))
        return err_set(e, "partition '%s' already exists", it->name);
    if (t->n >= PTABLE_MAX_PARTS)
        return err_set(e, "too many partitions (at most %d)", PTABLE_MAX_PARTS);
    uint32_t offset = it->offset;
    if (!offset) {
        offset = ptable_end(t);
        if (offset < PTABLE_OFFSET + PTABLE_SECTOR)
            offset = PTABLE_OFFSET + PTABLE_SECTOR;
        offset = align_up(offset, alignment_for(type));
    }
    uint32_t size = it->size;
    if (!size) {
        if (offset >= flash_size)
            return err_set(e, "no room on flash for partition '%s' (it would start at 0x%x, "
                              "flash ends at 0x%x)", it->name, offset, flash_size);
        size = flash_size - offset;
    }
    if ((uint64_t)offset + size > flash_size)
        return err_set(e, "no room on flash for partition '%s' (0x%x bytes at 0x%x; flash ends "
                          "at 0x%x)", it->name, size, offset, flash_size);
    struct part *p = &t->p[t->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", it->name);
    p->type = (uint8_t)type;
    p->subtype = (uint8_t)sub;
    p->offset = offset;
    p->size = size;
    return 0;
}

int layout_build(const struct layout_item *items, int n, uint32_t flash_size, struct ptable *t,
                 struct err *e)
{
    memset(t, 0, sizeof *t);
    t->has_md5 = true;
    for (int i = 0; i < n; i++)
        if (place(t, &items[i], flash_size, e))
            return -1;
    return 0;
}

/* After partition i changed size, move later partitions up that now overlap
 * it (aligned as their type needs) and clip them at the end of flash. */
static int push_following(struct ptable *t, int i, uint32_t flash_size, struct err *e)
{
    ptable_sort(t);
    for (int j = 0; j < t->n; j++)
        if (j > 0) {
            struct part *prev = &t->p[j - 1], *p = &t->p[j];
            uint32_t prev_end = prev->offset + prev->size;
            if (p->offset >= prev_end)
                continue;
            uint32_t off = align_up(prev_end, alignment_for(p->type));
            uint32_t end = p->offset + p->size;
            p->offset = off;
            if (end > flash_size)
                end = flash_size;
            if (off >= flash_size || (uint64_t)off + p->size > flash_size) {
                if (off >= end)
                    return err_set(e, "no room left on flash for partition '%s' after resizing",
                                   p->name);
                p->size = flash_size - off;
            }
        }
    (void)i;
    return 0;
}

int layout_resize(struct ptable *t, const char *name, uint32_t size, uint32_t flash_size,
                  struct err *e)
{
    struct part *p = ptable_find_mut(t, name);
    if (!p)
        return err_set(e, "--resize: no partition '%s'", name);
    if (size == 0) {
        /* Fill up to the next partition, or to the end of flash. */
        uint32_t next = flash_size;
        for (int i = 0; i < t->n; i++)
            if (t->p[i].offset > p->offset && t->p[i].offset < next)
                next = t->p[i].offset;
        if (next <= p->offset)
            return err_set(e, "--resize: no room to grow partition '%s'", name);
        size = next - p->offset;
    }
    p->size = size;
    return push_following(t, (int)(p - t->p), flash_size, e);
}

int layout_app_size(struct ptable *t, uint32_t size, uint32_t flash_size, struct err *e)
{
    ptable_sort(t);
    for (int i = 0; i < t->n; i++)
        if (t->p[i].type == PART_TYPE_APP) {
            char name[PTABLE_NAME_MAX + 1];
            memcpy(name, t->p[i].name, sizeof name);
            if (layout_resize(t, name, size, flash_size, e))
                return -1;
        }
    return 0;
}

int layout_delete(struct ptable *t, const char *name, struct err *e)
{
    struct part *p = ptable_find_mut(t, name);
    if (!p)
        return err_set(e, "--delete: no partition '%s'", name);
    int i = (int)(p - t->p);
    memmove(&t->p[i], &t->p[i + 1], (size_t)(t->n - i - 1) * sizeof t->p[0]);
    t->n--;
    return 0;
}

int layout_rename(struct ptable *t, const char *from, const char *to, struct err *e)
{
    struct part *p = ptable_find_mut(t, from);
    if (!p)
        return err_set(e, "--rename: no partition '%s'", from);
    if (check_name(to, e))
        return err_prefix(e, "--rename: ");
    if (strcmp(from, to) != 0 && ptable_find(t, to))
        return err_set(e, "--rename: partition '%s' already exists", to);
    snprintf(p->name, sizeof p->name, "%s", to);
    return 0;
}

int layout_add(struct ptable *t, const struct layout_item *it, uint32_t flash_size,
               struct err *e)
{
    if (place(t, it, flash_size, e))
        return err_prefix(e, "--add: ");
    ptable_sort(t);
    return 0;
}
