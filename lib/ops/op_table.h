/* Rewriting the partition table and the flash size, plan first, then apply.
 * The plan validates everything before a byte is written: the new table
 * (ptable_validate), the first app partition staying where the app is, every
 * app image still fitting its partition.  It lists the data partitions to
 * erase because they moved or changed size (a partition only renamed is
 * kept; a grown filesystem is kept with a warning, see reference §5.4). */
#ifndef MPI_OP_TABLE_H
#define MPI_OP_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "firmware.h"

/* Erase no more than this of a large data partition that moved: enough to
 * wipe any filesystem superblock and NVS page headers that start there. */
#define ERASE_HEAD_LEN 0x4000u
/* Partitions up to this size are erased whole (nvs, otadata, phy). */
#define ERASE_WHOLE_MAX 0x10000u

struct table_erase {
    struct part part;       /* the new partition */
    uint32_t len;           /* bytes erased from its start */
};

struct table_plan {
    struct ptable table;            /* the new table */
    uint32_t flash_size;            /* the new flash size */
    bool table_changed, size_changed;
    int n_erase;
    struct table_erase erase[PTABLE_MAX_PARTS + 1];
    int n_grown;
    struct part grown[PTABLE_MAX_PARTS + 1];   /* filesystems that grew: warn */
};

int op_table_plan(const struct firmware *fw, const struct ptable *table, uint32_t flash_size,
                  struct table_plan *plan, struct err *e);
/* Write header (+ SHA), table, and erase; updates fw to the new state. */
int op_table_apply(struct firmware *fw, const struct table_plan *plan, struct err *e);

#endif
