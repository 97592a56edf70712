/* Building and editing partition tables the way mp-image-tool-esp32 does:
 * the preset layouts (--table ota|default|original), a layout from a list of
 * name/subtype/offset/size items (--table LAYOUT), and the edits --app-size,
 * --delete, --resize, --rename and --add.  Pure: tables in, tables out; the
 * result is checked by ptable_validate() before anything is written.
 * Rules: docs/mp-image-tool-esp32-reference.md §5 in ../shared. */
#ifndef MPI_LAYOUT_H
#define MPI_LAYOUT_H

#include <stdint.h>

#include "err.h"
#include "ptable.h"

/* One item of a layout or an --add/--resize list: NAME[=SUBTYPE[:OFFSET]:SIZE].
 * Empty subtype = inferred from the name; offset 0 = place automatically;
 * size 0 = fill (to the next partition or the end of flash). */
struct layout_item {
    char name[64];
    char subtype[32];
    uint32_t offset;
    uint32_t size;
};

/* OTA slot size when --app-size is not given, by flash size (§5.1). */
uint32_t layout_ota_app_size(uint32_t flash_size);

/* --table ota|default|original: fills `items` (at most 8) and returns the
 * count, or -1 for an unknown name.  `first_app` is the current first app
 * offset (the OTA preset sizes nvs to end 0x2000 below it); `app_size` 0 =
 * the default OTA slot size for the flash size. */
int layout_preset(const char *name, uint32_t first_app, uint32_t app_size, uint32_t flash_size,
                  struct layout_item *items);

/* A new table from items, placed in order (§5.2).  Offsets not given follow
 * the highest partition so far, aligned to 64 KiB for apps and 4 KiB for data. */
int layout_build(const struct layout_item *items, int n, uint32_t flash_size, struct ptable *t,
                 struct err *e);

/* Edits; each fails with a message naming the partition. */
int layout_resize(struct ptable *t, const char *name, uint32_t size, uint32_t flash_size,
                  struct err *e);
int layout_app_size(struct ptable *t, uint32_t size, uint32_t flash_size, struct err *e);
int layout_delete(struct ptable *t, const char *name, struct err *e);
int layout_rename(struct ptable *t, const char *from, const char *to, struct err *e);
int layout_add(struct ptable *t, const struct layout_item *item, uint32_t flash_size,
               struct err *e);

/* Subtype for an item: the given name (or number), else inferred from the
 * partition name (otadata -> ota, vfs -> fat, phy_init -> phy, else the name
 * itself).  Sets *type too.  -1 with a message if unknown. */
int layout_subtype(const char *name, const char *subtype, int *type, struct err *e);

#endif
