/* struct flash over a file held in memory: a firmware image that starts at
 * the bootloader (base = bootloader offset), a full flash dump (base 0), or a
 * plain filesystem image.  Nothing touches the disk until flash_file_save(),
 * which writes the result atomically to a new file; the input is never
 * modified.
 *
 * Addresses below `base` or past the end of the data read as 0xFF.  Writing
 * past the end extends the data (the gap filled with 0xFF), as flashing the
 * image would leave it.  With `trim_tail`, an erase that reaches the end of
 * the data shortens it instead, so an image does not grow by erased space. */
#ifndef MPI_FLASH_FILE_H
#define MPI_FLASH_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fileio.h"
#include "flash.h"

/* Takes ownership of `file` (file_map's, or a malloc'd buffer with mapped
 * false).  `size` is the flash size. */
struct flash *flash_file_new(struct file_data file, uint32_t base, uint32_t size,
                             const char *name, bool trim_tail, struct err *e);
/* Change the flash size (after -f); fails if the data would not fit. */
int flash_file_resize(struct flash *f, uint32_t size, struct err *e);
/* The data as it would be written: first byte is flash address `base`. */
const uint8_t *flash_file_data(struct flash *f, size_t *len);
uint32_t flash_file_base(struct flash *f);
/* True once anything changed the data. */
bool flash_file_dirty(struct flash *f);
/* The data to `path` with file_write_atomic (fileio.h): atomically over a
 * file, directly into a device or FIFO, never replacing either. */
int flash_file_save(struct flash *f, const char *path, struct err *e);

#endif
