/* A device as a struct flash (flash.h): the flash of a chip behind the
 * serial loader, with a sector cache so that many small accesses (littlefs)
 * cost few round trips.
 *
 *   struct device_opts o;
 *   device_opts_init(&o);              // then set o.lo.baud, o.lo.chip, ...
 *   struct loader *l;                  // optional: for chip/MAC/flash id
 *   struct flash *f = flash_device_open("/dev/ttyUSB0", &o, &l, &e);
 *   ... flash_read / flash_write / flash_erase ...
 *   flash_flush(f, &e);                // REQUIRED: writes back and verifies
 *   flash_destroy(f);                  // --after action, closes the port
 *
 * Semantics (as flash.h):
 *   read   served from the cache; misses fetch whole 4 KiB sectors.
 *   write  makes the bytes equal: partial sectors are read, modified and
 *          rewritten as whole sectors (read-modify-write).  Sectors whose
 *          content does not change are not written.  Writes are kept in the
 *          cache; a write of 64 KiB or more is written through at once.
 *   erase  whole sectors are erased on the chip at once (ERASE_REGION with
 *          the stub, FLASH_BEGIN with the ROM); partial sectors are written
 *          with 0xFF.
 *   flush  writes every changed sector run (deflated, one FLASH_DEFL_* run
 *          per contiguous range) and checks each run's MD5 on the chip.
 *   forget   drops the clean sectors from the cache, so the next reads come
 *          from the chip (a verification after flush).
 *   destroy  frees the cache WITHOUT writing (unflushed changes are dropped,
 *          with a note through the log callback), runs the --after action
 *          (hard reset by default) and closes the port.
 * The struct loader stays owned by the flash: `*out` is valid until
 * flash_destroy(). */
#ifndef MPI_FLASH_DEVICE_H
#define MPI_FLASH_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "compat.h"
#include "err.h"
#include "flash.h"
#include "loader.h"

struct device_opts {
    struct loader_opts lo;   /* port, reset, stub, baud, callbacks (loader.h) */
    uint32_t flash_size;     /* 0 = detect from the flash id */
    bool no_compress;        /* send plain FLASH_DATA instead of deflate */
    /* Hold every change in the cache until flush (erases and large writes
     * too), and call `before_commit` once, at the first flush that has
     * something to write, before anything reaches the chip: the safety net
     * (it can list the changes with flash_device_changes, read what they
     * destroy, and refuse: flush then fails with its error, nothing
     * written).  The changes then go as the sector runs that differ from
     * the chip (loader_write asks it first, loader_diff). */
    bool hold;
    int (*before_commit)(void *ctx, struct flash *f, struct err *e);
    void *commit_ctx;
};

/* Defaults: loader_opts_init() (115200 baud, 7 attempts, hard reset after,
 * stub), flash size detected, compression on. */
void device_opts_init(struct device_opts *o);

/* Connect to the chip on `port` ("/dev/ttyUSB0", "socket://h:p",
 * "rfc2217://h:p"), attach its flash and return it as a struct flash.
 * `out` may be NULL.  NULL on failure with e filled. */
struct flash *flash_device_open(const char *port, const struct device_opts *o,
                                struct loader **out, struct err *e);

/* The same over an already connected loader (the flash takes ownership). */
struct flash *flash_device_from_loader(struct loader *l, const struct device_opts *o,
                                       struct err *e);

/* The loader behind a device flash, or NULL if `f` is not a device. */
struct loader *flash_device_loader(struct flash *f);

/* Secure boot and flash encryption as the chip's eFuses say: the answer
 * to GET_SECURITY_INFO, or on the ESP32 (which has none) eFuse words 0 and
 * 6.  s->known stays false when the chip gives neither. */
int flash_device_security(struct flash *f, struct chip_security *s, struct err *e);

/* The changes held for the chip: each run of changed sectors with the
 * bytes it will hold (`fn` returns non-zero to stop). */
int flash_device_changes(struct flash *f,
                         int (*fn)(void *ctx, uint32_t addr, uint32_t len, const uint8_t *data,
                                   struct err *e),
                         void *ctx, struct err *e);

/* Cache statistics, for tests and benchmarks. */
struct flash_device_stats {
    uint64_t sectors_read, sectors_written, erases, bytes_sent_to_write;
    uint64_t small_reads;       /* reads of a few bytes, not cached */
    uint32_t pending_sectors;   /* changed in the cache, not yet on the chip */
    uint64_t bytes_skipped;     /* of the sectors written back: already on the chip */
};
void flash_device_get_stats(struct flash *f, struct flash_device_stats *st);

#endif
