/* Internals shared by the loader's files (lib/loader/loader*.c and
 * flash_device.c). */
#ifndef MPI_LOADER_IMPL_H
#define MPI_LOADER_IMPL_H

#include <stdarg.h>

#include "bytes.h"
#include "loader.h"

#define LOADER_DEFAULT_TIMEOUT   3000u   /* ms, esptool DEFAULT_TIMEOUT */
#define LOADER_SYNC_TIMEOUT      100u
#define LOADER_MEM_END_TIMEOUT   200u
#define LOADER_CHIP_ERASE_TIMEOUT 120000u
#define LOADER_MAX_TIMEOUT       240000u
#define LOADER_ERASE_PER_MB      30u     /* s/MB: ROM BEGIN erase, ERASE_REGION */
#define LOADER_WRITE_PER_MB      40u     /* s/MB: per written block */
#define LOADER_MD5_PER_MB        8u      /* s/MB: SPI_FLASH_MD5 */
#define LOADER_ROM_BLOCK         0x400u  /* FLASH_WRITE_SIZE, ROM */
#define LOADER_STUB_BLOCK        0x4000u /* FLASH_WRITE_SIZE, stub */
#define LOADER_RAM_BLOCK         0x1800u /* ESP_RAM_BLOCK */
#define LOADER_SECTOR            0x1000u
/* A noisy line (loader.c): a command goes up to LOADER_TRIES times while
 * the chip answers, however damaged, and until it has been silent as long
 * as esptool waits in all (3 x 3 s); replies get LOADER_NOISY_TIMEOUT plus
 * their time on the wire; data blocks shrink down to LOADER_MIN_BLOCK. */
#define LOADER_TRIES             10
#define LOADER_SILENT_MS         (LOADER_ATTEMPTS * LOADER_DEFAULT_TIMEOUT)
#define LOADER_NOISY_TIMEOUT     150u
#define LOADER_MIN_BLOCK         64u
#define LOADER_CLEAN_RUN         500           /* commands in a row: the line is clean again */
#define LOADER_MAGIC_REG         0x40001000u   /* chip magic (every chip has it) */

int loader_next_frame(struct loader *l, uint64_t deadline, bool *bad, struct err *e);
int loader_flush_input(struct loader *l, struct err *e);
int loader_send_raw_frame(struct loader *l, const uint8_t *buf, size_t len, struct err *e);
int loader_send_command(struct loader *l, uint8_t op, const void *data, size_t len,
                        uint32_t chk, struct err *e);
int loader_wait_reply(struct loader *l, uint8_t op, unsigned timeout_ms, int resp_len,
                      const uint8_t **payload, size_t *plen, const char *what, struct err *e);
/* A line to a log function (none: nothing). */
void loader_say(loader_log_fn fn, void *ctx, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
void loader_note(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line error and what is done about it (counts l->resends): a note for
 * each of the first few, then one saying the rest are not listed (a noisy
 * line makes hundreds). */
#define LOADER_RESEND_NOTES 20
void loader_resend(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* esptool's timeout_per_mb: max(3 s, secs_per_mb * bytes / 1e6), capped. */
unsigned loader_timeout_per_mb(unsigned secs_per_mb, uint32_t bytes);
/* XOR of the bytes, seeded 0xEF (§1.5). */
uint32_t loader_checksum(const uint8_t *d, size_t n);

/* ---- flash helpers: MD5 (loader_md5.c), progress (loader.c) ---- */

static inline bool loader_rom_8266(const struct loader *l)
{
    return !l->stub && l->chip->ld->rom_is_8266;
}
void loader_md5_of(const void *d, size_t n, uint8_t out[16]);
void loader_hex16(const uint8_t m[16], char out[33]);
void loader_progress(struct loader *l, const char *what, uint32_t addr, uint64_t done,
                     uint64_t total);
/* Does our copy of [addr, addr+len) match the chip's MD5 of it? */
int loader_md5_matches(struct loader *l, uint32_t addr, const uint8_t *data, uint32_t len,
                       bool *same, struct err *e);
/* The chip's MD5 of [addr, addr+len), believed on a noisy line (or with
 * `twice`) when two replies agree (an MD5 reply has no checksum). */
int loader_md5_sure(struct loader *l, uint32_t addr, uint32_t len, uint8_t md5[16], bool twice,
                    struct err *e);
/* The MD5 of len bytes of erased flash (0xFF). */
void loader_blank_md5(uint32_t len, uint8_t out[16]);
/* The chip's MD5 of [addr, addr+len) must be `want` (asked twice before
 * calling the flash wrong: replies carry no checksum); the error starts
 * with `what` ("verifying"). */
int loader_verify_md5(struct loader *l, uint32_t addr, uint32_t len, const uint8_t want[16],
                      const char *what, struct err *e);
/* The same for the MD5 of `data`. */
int loader_verify(struct loader *l, uint32_t addr, const uint8_t *data, uint32_t len,
                  struct err *e);

/* ---- a noisy line (loader.c) ---- */

/* The timeout for a command whose work on the chip takes secs_per_mb per
 * MB of `work` bytes and that puts `wire` bytes on the line: esptool's on
 * a clean line; once the line has damaged something, only what the work
 * and the wire need, so that a lost frame costs little. */
unsigned loader_timeout(const struct loader *l, unsigned secs_per_mb, uint32_t work,
                        size_t wire);
/* After a failed exchange: whether to try again.  `r` starts zeroed; each
 * call counts one failure of the exchange it belongs to. */
struct retry {
    unsigned tries;
    unsigned silent_ms;     /* timeouts in a row, in ms */
};
bool loader_again(struct loader *l, struct retry *r, unsigned timeout_ms);
/* Get in step before sending again (marks the line noisy): after a timeout
 * the chip may hold half a frame or answer late (loader_resync); when it
 * did answer, only stray fragments of that answer may follow. */
int loader_recover(struct loader *l, struct err *e);
/* The size of the next data block, at most `max`: `max` itself on a clean
 * line; on one that damages blocks, the power of two that gets the most
 * data through (loader.c).  loader_block_sent() tells how a block of n
 * bytes fared. */
uint32_t loader_block(const struct loader *l, uint32_t max);
void loader_block_sent(struct loader *l, uint32_t n, bool ok);
/* SPI_SET_PARAMS with total size `size` (retried; it changes nothing but
 * the size the chip believes). */
int loader_set_params(struct loader *l, uint32_t size, struct err *e);

/* ---- what a damaged command could reach (loader_guard.c) ---- */

/* Commands carry no checksum: one flipped bit in the size or offset of an
 * erasing command moves it.  A write or erase of a region is fenced (the
 * chip is told the flash ends where the region ends, so it refuses any
 * erase or write that a flipped bit pushes past it) and guarded (the
 * areas below the region that a cleared offset bit could move it to are
 * hashed before and after; a change is reported). */
#define GUARD_AREAS 48
struct guard_area {
    uint32_t addr, len;
    uint8_t md5[16];
};
struct guard {
    uint32_t start, end;    /* the region, in whole sectors */
    bool hash;              /* the chip can hash flash (SPI_FLASH_MD5) */
    unsigned n;
    struct guard_area area[GUARD_AREAS];
};
/* Fence the region [addr, addr+len) and start with nothing guarded. */
int guard_open(struct loader *l, struct guard *g, uint32_t addr, uint32_t len, struct err *e);
/* Before sending a command that erases or writes `size` bytes at `off`:
 * hash what a lowered offset would reach that is not guarded yet. */
int guard_cover(struct loader *l, struct guard *g, uint32_t off, uint32_t size, struct err *e);
/* After the region is done (rc = its result): hash the areas again.  A
 * change is the error, whatever rc was; else rc with e as it was. */
int guard_close(struct loader *l, struct guard *g, int rc, struct err *e);
/* Send the fence again (after the chip refused the region). */
int guard_refence(struct loader *l, const struct guard *g, struct err *e);
/* Before reading [.., end): a fence left below it is lifted
 * (loader_connect.c, beside loader_set_params). */
int loader_unfence(struct loader *l, uint32_t end, struct err *e);

#endif
