/* Whole-file I/O for the firmware-file side: read a file into memory, and
 * write one atomically (a temporary beside the target, fsync, rename), so a
 * failure never leaves a half-written output behind. */
#ifndef MPI_FILEIO_H
#define MPI_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

int file_read_all(const char *path, uint8_t **buf, size_t *len, struct err *e);
int file_write_atomic(const char *path, const void *buf, size_t len, struct err *e);

#endif
