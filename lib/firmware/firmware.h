/* The firmware model: what is on a flash (a firmware file, a full flash dump,
 * or a device): which chip, where the bootloader is, the flash size in its
 * header, and the partition table.  Works only through struct flash.
 *
 * Partition names understood by firmware_find_part() besides the table's:
 *   "bootloader"       bootloader offset .. 0x8000 (the second-stage loader)
 *   "partition_table"  0x8000 .. 0x9000
 *   "vfs"              MicroPython >= 1.26 implicit filesystem: from the end
 *                      of the last partition to the end of flash, when the
 *                      table has no 'vfs' of its own (part.implicit is set). */
#ifndef MPI_FIRMWARE_H
#define MPI_FIRMWARE_H

#include <stdbool.h>
#include <stdint.h>

#include "chip.h"
#include "err.h"
#include "flash.h"
#include "image.h"
#include "ptable.h"

enum firmware_kind {
    FW_IMAGE,      /* file starting at the bootloader (micropython.org .bin) */
    FW_DUMP,       /* file starting at flash 0x0 (a full flash dump) */
    FW_DEVICE,     /* a chip behind the loader */
    FW_FS_IMAGE,   /* a plain littlefs image: one implicit 'vfs' at 0 */
    FW_APP_IMAGE,  /* an app image alone (.app-bin): no table, only --check-app */
};

struct firmware {
    struct flash *flash;
    enum firmware_kind kind;
    const struct chip *chip;          /* NULL for FW_FS_IMAGE */
    uint32_t boot_offset;             /* flash address of the bootloader */
    struct image_info boot;           /* the bootloader's header */
    uint32_t header_flash_size;       /* flash size from the bootloader header */
    uint32_t flash_size;              /* working flash size (header or -f) */
    struct ptable table;
};

/* Decide what a file holds from its bytes: where the bootloader sits tells
 * whether it starts at the bootloader or at flash 0x0.  Sets *kind and *base
 * (the flash address of the file's first byte). */
int firmware_detect(const uint8_t *buf, size_t len, enum firmware_kind *kind, uint32_t *base,
                    struct err *e);

/* A new, blank littlefs image file (kind FW_FS_IMAGE, all 0xFF, nothing
 * formatted yet) of `size` bytes for `path`, which must not exist or must
 * be blank (empty, all 0xFF or all 0x00; then size 0 takes its length).
 * Nothing is written: saving the firmware creates the file. */
#define FIRMWARE_FS_BLOCK 4096u
int firmware_new_fs_image(struct firmware *fw, const char *path, uint32_t size, struct err *e);

/* Open a file (firmware, dump, fs image or app image) into memory and load
 * it.  fw->flash is a flash_file (lib/flash_file.h) owned by fw. */
int firmware_open_file(struct firmware *fw, const char *path, struct err *e);
void firmware_close(struct firmware *fw);

/* A partition table file, either form (ptable_from_bytes): an ESP-IDF CSV
 * or gen_esp32part's binary.  `sector` (may be NULL) receives the table
 * sector as flash holds it: a binary's own bytes, a CSV's encoding by
 * ptable_serialize, 0xFF to the end.  Errors name the file. */
int firmware_read_table_file(const char *path, uint32_t flash_size, struct ptable *t,
                             uint8_t *sector, struct err *e);

/* Human name of the kind: "firmware file", "flash dump", ... */
const char *firmware_kind_name(enum firmware_kind kind);

/* The layout of the image at `addr` (length, segments) and its descriptors,
 * reading only the headers and the descriptor: no checksum, no SHA-256.
 * What a summary needs from a device without reading the whole app. */
int firmware_image_layout(struct flash *flash, uint32_t addr, uint32_t max,
                          struct image_info *img, struct err *e);

/* Read the image (bootloader or app) that starts at flash `addr`, at most
 * `max` bytes long, header by segment header so a device is not asked for
 * more than the image.  Fills *img (parsed and verified); *buf is malloc'd. */
int firmware_read_image(struct flash *flash, uint32_t addr, uint32_t max, uint8_t **buf,
                        struct image_info *img, struct err *e);

/* Read the bootloader header and the partition table from `flash`.
 * `flash` must already address flash correctly (files: base offset set).
 * `chip` is the detected chip of a device (NULL for files: from the image). */
int firmware_load(struct firmware *fw, struct flash *flash, enum firmware_kind kind,
                  const struct chip *chip, struct err *e);

/* Find a partition by name, including the pseudo partitions above.  On
 * failure the message names the partition and the firmware. */
int firmware_find_part(const struct firmware *fw, const char *name, struct part *out,
                       struct err *e);

/* The implicit MicroPython 'vfs' partition, if this table implies one:
 * no partition named vfs, data space after the last partition. */
bool firmware_implicit_vfs(const struct firmware *fw, struct part *out);

#endif
