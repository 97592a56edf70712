/* Reading, writing and erasing whole partitions (and the pseudo partitions
 * 'bootloader' and 'partition_table') on any firmware: file or device. */
#ifndef MPI_OP_PART_H
#define MPI_OP_PART_H

#include <stddef.h>
#include <stdint.h>

#include "firmware.h"

/* The whole partition; *buf is malloc'd, *len = part->size. */
int op_part_read(struct firmware *fw, const struct part *p, uint8_t **buf, uint32_t *len,
                 struct err *e);

/* Make the partition hold `data` followed by erased flash.  What is written
 * is checked first: an app partition or 'bootloader' takes only a valid
 * image for this firmware's chip, 'partition_table' only a valid table that
 * fits the flash; nothing may be larger than the partition. */
int op_part_write(struct firmware *fw, const struct part *p, const uint8_t *data, size_t len,
                  struct err *e);

int op_part_erase(struct firmware *fw, const struct part *p, struct err *e);
/* Erase the first blocks of a filesystem partition so it is formatted anew. */
int op_part_erase_fs(struct firmware *fw, const struct part *p, struct err *e);

/* Length after dropping trailing 0xFF bytes, rounded up to `block` but never
 * beyond `len` (--trim: 16, --trimblocks: 4096). */
uint32_t op_trim_len(const uint8_t *buf, uint32_t len, uint32_t block);

#endif
