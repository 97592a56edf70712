/* esptool's elf2image and make_image, byte for byte (esptool v5.3.1
 * cmds.py elf2image(), bin_image.py ESP32FirmwareImage / ESP8266ROM-,
 * V2-, V3FirmwareImage; v4.12 make_image; ../shared/docs/esptool-commands.md
 * §1-§2).  Bytes in, bytes out: the caller reads the ELF and writes the
 * files; the lines esptool prints come through `say`, in esptool's order.
 *
 * Layout of an ESP32-family image: header and extended header, then the
 * flash-mapped segments (IROM/DROM) each placed so that its data's file
 * offset equals its load address modulo the MMU page size, the gaps filled
 * with pieces of the RAM segments or zero padding segments; the rest of
 * RAM; optional secure padding; the XOR checksum at a 16-byte boundary; the
 * SHA-256 of everything before it; 0xFF up to --pad-to-size.  ESP8266: the
 * v1 pair of files (segments + the raw irom0 file), v2 (one file, CRC-32)
 * or v3 (ESP32-like, no extended header). */
#ifndef MPI_ELF2IMAGE_H
#define MPI_ELF2IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip.h"
#include "err.h"

enum e2i_say { E2I_PRINT, E2I_WARNING, E2I_NOTE };
typedef void (*e2i_say_fn)(void *ctx, enum e2i_say kind, const char *msg);

struct e2i_opts {
    const struct chip *chip;
    int version;                   /* ESP8266 image format 1, 2 or 3 */
    const char *flash_mode;        /* "qio" (default), "qout", "dio", "dout" */
    const char *flash_freq;        /* NULL: code 0 */
    const char *flash_size;        /* "1MB" (default) */
    unsigned min_rev;              /* legacy byte (0..255) */
    unsigned min_rev_full;         /* 0..65535 */
    unsigned max_rev_full;         /* 0..65535, default 65535 */
    bool secure_pad, secure_pad_v2;
    uint32_t elf_sha256_offset;    /* 0: from .flash.appdesc */
    bool dont_append_digest;
    bool use_segments;             /* program headers instead of sections */
    const char *flash_mmu_page_size; /* "64KB".."8KB", NULL: from the app descriptor */
    const char *pad_to_size;       /* "4KB", "1MB"; NULL: none */
    bool ram_only_header;
    e2i_say_fn say;
    void *ctx;
};

void e2i_opts_init(struct e2i_opts *o);

/* What was built.  ESP8266 v1: `image` is the 0x00000 file and `irom` (may
 * be NULL) the raw irom0 data, `irom_offset` its flash offset. */
struct e2i_out {
    uint8_t *image;
    size_t image_len;
    uint8_t *irom;
    size_t irom_len;
    uint32_t irom_offset;
    bool two_files;                /* ESP8266 v1 */
};

/* Build from the ELF in elf[0, len).  The ELF's warnings, "Creating ...",
 * "Merged N ELF sections." and "Successfully created ..." go to o->say;
 * errors found once the image is laid out come after the success line, as
 * in esptool.  Free out with e2i_free. */
int elf2image(const uint8_t *elf, size_t len, const struct e2i_opts *o, struct e2i_out *out,
              struct err *e);
void e2i_free(struct e2i_out *out);

/* The file name(s) esptool chooses: `output` as given (v1: a prefix), or
 * derived from the ELF's name when NULL ("app.elf" -> "app.bin";
 * v1 "app.elf-0x00000.bin" and "app.elf-0x10000.bin"; v2
 * "app-0x10000.bin").  name2 is set for the v1 irom file only. */
void e2i_output_names(const struct e2i_opts *o, const struct e2i_out *out, const char *elf_name,
                      const char *output, char *name1, char *name2, size_t cap);

/* make_image (esptool v4, ESP8266): segments from files at addresses, the
 * v1 format (a 0x00000 file and, for an irom0 address, the raw file). */
struct e2i_file_seg {
    uint32_t addr;
    const uint8_t *data;
    size_t len;
};
int e2i_make_image(const struct e2i_file_seg *segs, size_t n, uint32_t entry,
                   struct e2i_out *out, struct err *e);

#endif
