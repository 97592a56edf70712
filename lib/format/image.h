/* ESP firmware image format (esp_image_header_t and what follows).
 * See docs/esp-loader-protocol.md §5 in ../shared.  Pure: bytes in, bytes out.
 *
 *   0  magic 0xE9          4  entry point        12 chip_id (u16)
 *   1  segment count       8  wp_pin, drive      14 min_rev, 15 min_rev_full,
 *   2  flash mode             strengths (3 B)    17 max_rev_full, 19 reserved,
 *   3  size<<4 | freq                            23 hash_appended
 * then segments {load_addr u32, len u32, data[len]}, zero padding, an XOR
 * checksum byte (seed 0xEF) ending on a 16-byte boundary, and optionally the
 * SHA-256 of everything up to and including that checksum byte. */
#ifndef MPI_IMAGE_H
#define MPI_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip.h"
#include "err.h"

#define IMAGE_MAGIC          0xE9
#define IMAGE_HEADER_LEN     24
#define IMAGE_MAX_SEGMENTS   16
#define IMAGE_SHA_LEN        32
#define APP_DESC_MAGIC       0xABCD5432u
#define APP_DESC_OFFSET      0x20      /* header (24) + first segment header (8) */
#define APP_DESC_LEN         256
#define BOOT_DESC_MAGIC      0x50
#define BOOT_DESC_LEN        80

/* esp_app_desc_t, the strings NUL-terminated. */
struct app_desc {
    uint32_t secure_version;
    char version[33];
    char project_name[33];
    char time[17];
    char date[17];
    char idf_ver[33];
    uint8_t elf_sha256[32];
};

/* esp_bootloader_desc_t (ESP-IDF >= 5). */
struct boot_desc {
    uint8_t secure_version;
    uint32_t version;
    char idf_ver[33];
    char date_time[25];
};

struct image_segment {
    uint32_t load_addr;
    uint32_t len;
    uint32_t data_offset;   /* offset of the data within the image */
};

struct image_info {
    /* header */
    uint8_t segment_count;
    uint8_t flash_mode;
    uint8_t flash_freq;         /* low nibble of byte 3 */
    uint8_t flash_size_code;    /* high nibble of byte 3 */
    uint32_t entry;
    uint8_t wp_pin;
    uint16_t chip_id;
    uint8_t min_rev;
    uint16_t min_rev_full, max_rev_full;
    uint8_t hash_appended;
    const struct chip *chip;    /* NULL if chip_id is unknown */
    struct image_segment seg[IMAGE_MAX_SEGMENTS];
    /* layout */
    uint32_t checksum_offset;   /* offset of the XOR checksum byte */
    uint32_t data_len;          /* bytes covered by the SHA: through the checksum */
    uint32_t total_len;         /* data_len, + 32 when the hash is appended */
    /* checks (filled by image_verify) */
    uint8_t checksum_stored, checksum_calc;
    uint8_t sha_stored[IMAGE_SHA_LEN], sha_calc[IMAGE_SHA_LEN];
    bool checksum_ok, sha_ok;
    /* descriptors */
    bool has_app_desc;
    struct app_desc app;
    bool has_boot_desc;
    struct boot_desc boot;
};

/* Parse the 24-byte header: magic, segment count, known chip.  `buf` must
 * hold IMAGE_HEADER_LEN bytes. */
int image_parse_header(const uint8_t *buf, struct image_info *img, struct err *e);

/* Walk the segment headers and compute the layout (total_len etc.).  `buf`
 * holds the first `len` bytes of the image; fails if the image is longer
 * than `len` says ("truncated"), or a segment is implausible. */
int image_parse(const uint8_t *buf, size_t len, struct image_info *img, struct err *e);

/* For a reader that walks the headers itself, skipping segment data (a
 * device): segment `i`'s 8-byte header found at image offset `off`, and
 * the layout (checksum offset, data_len, total_len) once the segments end
 * at `end_of_segments`.  image_parse does the same over a buffer. */
int image_segment_header(const uint8_t h[8], uint32_t off, unsigned i, struct image_segment *seg,
                         struct err *e);
void image_set_layout(struct image_info *img, uint32_t end_of_segments);

/* Bytes needed to know the image's full length when only the first `have`
 * bytes are known: returns 0 when `have` is enough to call image_parse, or
 * how many bytes to read in total before asking again. Lets a caller read a
 * device or a file incrementally, header by segment header. */
uint32_t image_bytes_needed(const uint8_t *buf, size_t have);

/* Compute and compare the XOR checksum and the appended SHA-256, and decode
 * the app or bootloader descriptor.  Requires a successful image_parse. */
void image_verify(const uint8_t *buf, struct image_info *img);
/* Only the descriptors (part of image_verify): needs no more of `buf` than
 * the header, the segment headers and the first APP_DESC_LEN bytes of the
 * first segment. */
void image_decode_desc(const uint8_t *buf, struct image_info *img);

/* Flash size <-> header code.  Sizes are powers of two from 1 MB to 128 MB. */
int image_size_code(uint32_t size, struct err *e);   /* -1 if not allowed */
uint32_t image_size_from_code(unsigned code);         /* 0 if unknown */

/* Rewrite flash mode / frequency / size code in the header (-1 keeps a
 * field) and, if the image has an appended hash, recompute the SHA-256 in
 * place.  Bytes after the digest are untouched.  `len` is the buffer length,
 * which must hold the whole image. */
int image_set_flash_params(uint8_t *buf, size_t len, int mode, int freq, int size_code,
                           struct err *e);

/* Names for messages: "DIO", "40m", "4MB". */
const char *image_mode_name(unsigned mode);
int image_mode_code(const char *name);   /* "qio" -> 0 ... ; -1 if unknown */

#endif
