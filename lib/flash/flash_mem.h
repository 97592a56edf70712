/* A struct flash held in memory, for tests and benchmarks.
 *
 * It can simulate a power cut: flash_mem_cut_after(f, n) lets n write/erase
 * calls through and fails the next one and every call after it ("the power
 * is off").  With `torn`, the failing write first stores a prefix of its
 * bytes, as a write interrupted half-way would. */
#ifndef MPI_FLASH_MEM_H
#define MPI_FLASH_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "flash.h"

/* A flash of `size` bytes, erased (0xFF). */
struct flash *flash_mem_new(uint32_t size, struct err *e);
/* A flash holding a copy of `data`. */
struct flash *flash_mem_from(const void *data, uint32_t size, struct err *e);
/* The bytes (size bytes; the caller may read and change them). */
uint8_t *flash_mem_data(struct flash *f);
/* Fail the (n+1)-th write/erase from now on; n < 0 disables. */
void flash_mem_cut_after(struct flash *f, long n, bool torn);
/* Write/erase calls made so far. */
long flash_mem_ops(const struct flash *f);
bool flash_mem_cut(const struct flash *f);

#endif
