/* The one flash interface: a flat space of flash addresses that a firmware
 * file, a plain filesystem image and a device all implement.  Every
 * operation (table rewrite, partition read/write, littlefs) is written once
 * against it.
 *
 * Semantics, identical for every backend:
 *   read   - bytes at [addr, addr+len).  Addresses the backend does not hold
 *            (past the end of a firmware file) read as 0xFF, as erased flash.
 *   write  - make [addr, addr+len) equal to buf.  The backend erases whatever
 *            it must first (a device erases and rewrites whole sectors); the
 *            caller never has to erase before writing.
 *   erase  - make [addr, addr+len) read as 0xFF.
 *   flush  - push any cached writes to the backing store (a device verifies
 *            them); a no-op for backends without a cache.
 *   forget - drop cached contents, so reads reach the store (optional).
 * `size` is the flash size in bytes: no access may reach past it.
 * All addresses are absolute flash addresses; a backend translates them
 * (a firmware file that starts at the bootloader has a base offset). */
#ifndef MPI_FLASH_H
#define MPI_FLASH_H

#include <stdbool.h>
#include <stdint.h>
#include "err.h"

struct flash;

struct flash_ops {
    int (*read)(struct flash *f, uint32_t addr, void *buf, uint32_t len, struct err *e);
    int (*write)(struct flash *f, uint32_t addr, const void *buf, uint32_t len, struct err *e);
    int (*erase)(struct flash *f, uint32_t addr, uint32_t len, struct err *e);
    int (*flush)(struct flash *f, struct err *e);   /* may be NULL */
    void (*destroy)(struct flash *f);               /* frees the backend */
    /* Drop what a cache holds of the store, so the next read comes from it
     * (a device: from the chip); may be NULL.  Pending writes stay. */
    void (*forget)(struct flash *f);
};

struct flash {
    const struct flash_ops *ops;
    uint32_t size;          /* flash size in bytes */
    const char *name;       /* for messages: file name or port */
    /* Set by backends whose writes can be cut off part-way (a device: power
     * or the cable can go at any byte).  There a write erases and rewrites
     * whole 4 KiB sectors, so a cut can also destroy the bytes of the sector
     * that the write did not change.  Writers that must survive a cut
     * (littlefs) then never rewrite a sector holding live data and flush in
     * the order their data must reach the flash.  A file backend is never
     * interruptible: its output is replaced atomically as a whole. */
    bool interruptible;
};

/* Bounds-checked wrappers: every caller goes through these. */
int flash_read(struct flash *f, uint32_t addr, void *buf, uint32_t len, struct err *e);
int flash_write(struct flash *f, uint32_t addr, const void *buf, uint32_t len, struct err *e);
int flash_erase(struct flash *f, uint32_t addr, uint32_t len, struct err *e);
int flash_flush(struct flash *f, struct err *e);
/* After flash_flush: reads come from the store again, not from a cache, so
 * a verification reads what the store holds (a no-op without a cache). */
void flash_forget(struct flash *f);
void flash_destroy(struct flash *f);

#endif
