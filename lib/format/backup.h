/* A device backup: the bytes a command is about to destroy on a chip's
 * flash, saved before it does (the safety net of README "Backups").  Only
 * what matters is kept: a record is either data, or a range that was
 * erased (0xFF) before, which a restore erases again; flash the command
 * did not change is not in it.  Restoring every record gives the flash
 * back byte for byte in every range the command touched.
 *
 * The file (little-endian):
 *   "MPI-BACKUP 1\n"            13 bytes: what it is, readable in a dump
 *   chip name                   16 bytes, NUL padded ("esp32")
 *   MAC                         6 bytes (zeros: unknown)
 *   flash size, record count    u32, u32
 *   per record: address u32, length u32, kind u32 (0 data, 1 erased),
 *               then `length` bytes for data
 *   MD5 of everything before    16 bytes (a damaged backup is refused)
 * Pure functions on bytes; writing the file is the caller's. */
#ifndef MPI_BACKUP_H
#define MPI_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct backup_rec {
    uint32_t addr, len;
    bool erased;             /* the range was 0xFF: no data */
    uint8_t *data;           /* len bytes (owned), NULL when erased */
};

struct backup {
    char chip[16];
    uint8_t mac[6];
    uint32_t flash_size;
    int n, cap;
    struct backup_rec *r;
};

/* Add a range (data NULL: it was erased); ranges stay sorted and a range
 * that continues the last one of its kind is merged into it. */
int backup_add(struct backup *b, uint32_t addr, uint32_t len, const uint8_t *data,
               struct err *e);
/* Bytes of data held (erased ranges not counted) and bytes covered. */
uint64_t backup_data_bytes(const struct backup *b);
uint64_t backup_covered(const struct backup *b);
int backup_encode(const struct backup *b, uint8_t **out, size_t *len, struct err *e);
int backup_decode(const uint8_t *in, size_t len, struct backup *b, struct err *e);
void backup_free(struct backup *b);

#endif
