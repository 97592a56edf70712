/* The chips we know: one row per chip, facts from the image format and the
 * ROM loader (see docs/esp-loader-protocol.md §4.2 and §5.1 in ../shared).
 * Everything chip-specific is looked up here, never spelled out elsewhere. */
#ifndef MPI_CHIP_H
#define MPI_CHIP_H

#include <stdbool.h>
#include <stdint.h>

#define CHIP_ID_NONE 0xFFFFu   /* image header chip_id for "no chip" */

struct chip {
    const char *name;          /* "esp32s3": what the CLI accepts and prints */
    const char *display;       /* "ESP32-S3": esptool's spelling */
    uint16_t image_id;         /* chip_id in the extended image header */
    uint32_t bootloader_offset;/* flash address of the second-stage bootloader */
    uint32_t uf2_family;       /* UF2 family id for merge_bin --format uf2 */
    bool has_ext_header;       /* false only for esp8266 */
    /* Flash frequency names for header nibble values 0x0, 0x1, 0x2, 0xF
     * (NULL where the chip has no such code). */
    const char *freq_names[4];
};

/* Lookup; NULL when unknown. */
const struct chip *chip_by_name(const char *name);     /* "esp32-s3" and "ESP32S3" too */
const struct chip *chip_by_image_id(uint16_t id);
/* All chips, NULL-terminated, in a stable order (for help texts and tests). */
const struct chip *const *chip_all(void);
/* Frequency name for a header nibble, or NULL. */
const char *chip_freq_name(const struct chip *c, unsigned code);
/* Header nibble for a frequency name like "40m"; -1 if the chip has none. */
int chip_freq_code(const struct chip *c, const char *name);

#endif
