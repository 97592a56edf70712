/* An image file read the way esptool's LoadFirmwareImage() reads it
 * (esptool v5.3.1 bin_image.py: ESP32FirmwareImage, ESP8266ROMFirmwareImage,
 * ESP8266V2FirmwareImage), with its warnings and errors: for image_info,
 * load_ram and write_flash's chip check.  image.c is the project's own,
 * stricter reader of app and bootloader images; this one accepts what
 * esptool accepts and says what esptool says.  Bytes in, no I/O. */
#ifndef MPI_IMAGE_LOAD_H
#define MPI_IMAGE_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip.h"
#include "err.h"

#define ILOAD_MAX_SEGMENTS 256

struct iload_seg {
    uint32_t addr, len;
    uint32_t file_offs;          /* of the segment's 8-byte header */
    const uint8_t *data;         /* in the input */
    bool in_checksum;            /* false for the irom0 part of a v2 image */
};

struct iload {
    const struct chip *chip;     /* the class it was read as */
    int version;                 /* 1, or 2 for an ESP8266 "v2" image */
    uint8_t flash_mode, size_freq;
    uint32_t entry;
    bool ext;                    /* has the 16-byte extended header */
    uint8_t wp_pin, clk_drv, q_drv, d_drv, cs_drv, hd_drv, wp_drv;
    uint16_t chip_id;
    uint8_t min_rev;
    uint16_t min_rev_full, max_rev_full;
    bool append_digest;
    uint8_t checksum;            /* as stored */
    uint8_t calc_digest[32], stored_digest[32];
    size_t stored_digest_len;    /* fewer than 32 when the file ends early */
    size_t data_length;          /* bytes the digest covers */
    size_t nseg;
    struct iload_seg seg[ILOAD_MAX_SEGMENTS];
};

typedef void (*iload_warn_fn)(void *ctx, const char *msg);

/* Read buf[0, len) as an image for chip `c` (ESP8266: v1 or v2 by the
 * magic).  Warnings ("Unexpected chip ID in image. ...", "Suspicious
 * segment ...") go to warn.  -1 with esptool's message. */
int iload_parse(const uint8_t *buf, size_t len, const struct chip *c, struct iload *out,
                iload_warn_fn warn, void *ctx, struct err *e);
/* The XOR checksum of the segments that count, seeded 0xEF. */
uint8_t iload_checksum(const struct iload *img);

/* image_info's guess of the chip (esptool's _parse_image_info_header):
 * magic 0xE9 or 0xEA, then an extended header whose digest byte is 0 or 1
 * and whose chip id (low byte) is a known chip's; else ESP8266. */
int iload_detect(const uint8_t *buf, size_t len, const struct chip **c, struct err *e);

#endif
