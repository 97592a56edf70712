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
    /* Serial-loader facts (lib/loader*.c); see chip_loader below. */
    const struct chip_loader *ld;
};

/* What the ROM loader and the flasher stub need to know about a chip
 * (docs/esp-loader-protocol.md §1.4, §2, §4).  Register addresses are
 * absolute; SPI offsets are relative to spi_base. */
struct chip_loader {
    uint32_t magic[4];         /* CHIP_DETECT_MAGIC values at 0x40001000 (0 = unused) */
    uint8_t rom_status_len;    /* status bytes in ROM replies: 2 (ESP8266) or 4 */
    bool rom_begin16;          /* ROM FLASH_BEGIN takes 16 bytes, not 20 (ESP32, ESP8266) */
    bool rom_is_8266;          /* no MD5/deflate/READ_FLASH_SLOW/CHANGE_BAUDRATE/SPI_ATTACH in ROM */
    uint32_t spi_base;         /* SPI0/1 (SPIMEM1) controller driving the flash */
    uint8_t spi_usr, spi_usr1, spi_usr2, spi_mosi_dlen, spi_miso_dlen, spi_w0; /* dlen 0: none */
    uint32_t efuse_base;
    uint32_t mac_reg;          /* MAC word 0; word 1 at +4 (ESP8266: OTP MAC0, see loader) */
    uint32_t uart_clkdiv_reg;  /* for the crystal estimate (C2 ROM baud rule) */
    uint8_t xtal_clk_div;
    const char *stub;          /* stub image name in the embedded table ("esp32c3") */
};

/* Chip whose ROM returns `magic` at 0x40001000; NULL if none. */
const struct chip *chip_by_magic(uint32_t magic);

/* Chip names compare equal ignoring case and '-': "ESP32-S3", "esp32-s3"
 * and "esp32s3" are one chip (how users, esptool and our tables spell them). */
bool chip_name_eq(const char *a, const char *b);

/* Lookup; NULL when unknown. */
const struct chip *chip_by_name(const char *name);     /* "esp32-s3" and "ESP32S3" too */
const struct chip *chip_by_image_id(uint16_t id);
/* All chips, NULL-terminated, in a stable order (for help texts and tests). */
const struct chip *const *chip_all(void);
/* Frequency name for a header nibble, or NULL. */
const char *chip_freq_name(const struct chip *c, unsigned code);

#endif
