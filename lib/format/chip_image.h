/* What esptool knows about a chip's image format beyond chip.c's row: the
 * flash-mapped address ranges, the memory map (segment merging and the
 * "Memory types" of image_info), the MMU page sizes an app may choose, and
 * esptool's own spellings and codes of flash sizes and frequencies (in
 * esptool's order: that order decides how a code is named back, e.g. the
 * ESP32-C6 writes 80m and 40m alike as 0 and reads 0 as "80m").
 * Sources: esptool v5.3.1 esptool/targets/ (FLASH_SIZES,
 * FLASH_FREQUENCY, MEMORY_MAP, IROM/DROM_MAP_*), bin_image.py
 * (MMU_PAGE_SIZE_CONF); ../shared/docs/esptool-commands.md §1.5-1.6. */
#ifndef MPI_CHIP_IMAGE_H
#define MPI_CHIP_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip.h"

struct chip_region {
    uint32_t start, end;       /* end exclusive */
    const char *name;
};

struct chip_code {
    const char *name;          /* "4MB", "80m" */
    uint8_t code;              /* header bits: size in the high nibble, freq in the low */
};

struct chip_image {
    const char *chip;          /* chip.c name */
    uint32_t irom_start, irom_end, drom_start, drom_end;   /* flash-mapped */
    const struct chip_region *memory_map;   /* terminated by a NULL name */
    const uint32_t *mmu_sizes;              /* configurable page sizes, 0-terminated; NULL: fixed 64 KB */
    const struct chip_code *sizes;          /* FLASH_SIZES, NULL-name terminated */
    const struct chip_code *freqs;          /* FLASH_FREQUENCY */
};

#define CHIP_IMAGE_PAGE 0x10000u            /* IROM_ALIGN of every ESP32-family image */
#define ESP8266_IROM_START 0x40200000u      /* ESP8266 "irom0" mapping */
#define ESP8266_IROM_END   0x40300000u

/* The facts for a chip of chip.c (every chip has them). */
const struct chip_image *chip_image(const struct chip *c);

/* Whether addr starts in the chip's flash-mapped IROM or DROM range. */
bool chip_image_is_flash(const struct chip_image *ci, uint32_t addr);
/* The memory-map names of the regions holding addr, joined by ", " into
 * out ("BYTE_ACCESSIBLE, DRAM"); "" for none. */
void chip_image_memory_types(const struct chip_image *ci, uint32_t addr, char *out, size_t cap);

/* Code for a name in a table, or -1; name for a code (the first that has
 * it), or NULL. */
int chip_code_of(const struct chip_code *t, const char *name);
const char *chip_code_name(const struct chip_code *t, uint8_t code);
/* "1MB, 2MB, 4MB" into out: the names of a table, for messages. */
void chip_code_list(const struct chip_code *t, char *out, size_t cap);

#endif
