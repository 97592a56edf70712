/* The partition table of a device switched from an ESP-IDF / Arduino OTA
 * layout to MicroPython (`--ota-switch`).  Pure: a table in, a table out.
 *
 *   kept, byte for byte and in place: the slot that runs while the switch
 *     happens, otadata, nvs, nvs_keys, phy_init and every partition this
 *     function does not know how to reuse (other data subtypes, user types,
 *     test and TEE apps), plus the names given in `keep` (coredump, a
 *     filesystem);
 *   reused: the other app slots (factory, ota_N), spiffs/fat/littlefs and
 *     coredump partitions, and unallocated space;
 *   the MicroPython slot: the other OTA slot (ota_0 when the factory app
 *     runs), keeping its label, `mp_size` bytes at a 64 KiB boundary, placed
 *     where it leaves the largest free region (its old offset when that is
 *     as good, else the lowest);
 *   vfs: the largest free region left (data/fat, MicroPython's littlefs);
 *     the rest stays unused.
 * Applied to its own result it returns the same table (the resumed switch
 * relies on that): the free space is the same and so is every choice. */
#ifndef MPI_SWITCH_LAYOUT_H
#define MPI_SWITCH_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "ptable.h"

#define SWITCH_VFS_MIN 0x10000u    /* smaller is not worth a filesystem */
#define SWITCH_MAX_KEEP 16

struct switch_layout_in {
    const struct ptable *old;
    uint32_t flash_size;
    int keep_slot;                 /* index in old->p of the app that runs meanwhile */
    uint32_t mp_size;              /* the MicroPython slot */
    const char *keep[SWITCH_MAX_KEEP];   /* more partitions to keep, by name */
    int n_keep;
};

struct switch_layout {
    struct ptable table;           /* the new table, by offset */
    int keep_slot, mp_slot, vfs;   /* indexes into table.p */
    int old_mp;                    /* index in old->p of the slot MicroPython replaces */
    bool kept[PTABLE_MAX_PARTS];   /* per old->p: stays byte for byte */
    uint32_t unused;               /* bytes of flash in no partition */
    bool no_room;                  /* failed only for want of space */
};

int switch_layout_plan(const struct switch_layout_in *in, struct switch_layout *out,
                       struct err *e);

/* Whether `t` is an OTA layout the switch handles: otadata, ota_0, and at
 * most ota_0 and ota_1 (the otadata sequence numbers keep their meaning only
 * if the number of OTA slots does not change). */
int switch_layout_check_ota(const struct ptable *t, struct err *e);

#endif
