/* A generator of realistic firmware images, for tests, benchmarks and the
 * README demo: a bootloader image (extended header, segments, XOR checksum,
 * appended SHA-256, esp_bootloader_desc_t) at the chip's bootloader offset, a
 * partition table with its MD5 row at 0x8000, and an app image with
 * esp_app_desc_t at the first app partition, laid out as MicroPython's
 * makeimg.py does.  Also the whole flash of a deployed ESP-IDF / Arduino
 * device (fwgen_device): any partition table, an app in every app slot,
 * otadata selecting one of them, data in nvs and the filesystems.
 * Deterministic: the same options give the same bytes. */
#ifndef MPI_FWGEN_H
#define MPI_FWGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip.h"
#include "err.h"
#include "ptable.h"

enum fwgen_table {
    FWGEN_TABLE_V125,   /* nvs, phy_init, factory, vfs (MicroPython <= 1.25) */
    FWGEN_TABLE_V126,   /* nvs, phy_init, factory; vfs implicit (>= 1.26) */
    FWGEN_TABLE_OTA,    /* nvs, otadata, phy_init, ota_0, ota_1 (4MiB-ota style) */
};

struct fwgen_opts {
    const struct chip *chip;
    uint32_t flash_size;      /* header flash size; default 4 MB */
    enum fwgen_table table;
    uint32_t app_size;        /* approximate app image length; default 0x198000,
                                 about what MicroPython's ESP32_GENERIC app is */
    bool full_dump;           /* start the output at flash 0x0, not the bootloader */
    bool pad_to_flash;        /* pad with 0xFF to the flash size (a full dump) */
    uint32_t seed;
    const char *version;      /* esp_app_desc_t.version; default "v1.26.0" */
    const char *project;      /* esp_app_desc_t.project_name; default "micropython" */
    const char *app_idf;      /* esp_app_desc_t.idf_ver; default "v5.4.2" */
    uint16_t app_min_rev;     /* the app's min_rev_full (major * 100 + minor); default 0 */
    const char *boot_idf;     /* the bootloader's ESP-IDF; default "v5.4.2" */
    bool boot_no_desc;        /* a bootloader without esp_bootloader_desc_t (before
                                 ESP-IDF 5.2): the version only in its banner string */
};

/* A deployed device: fw's chip, flash size, seed and descriptors, the
 * table given, an app of fw.project in every factory/ota slot (the slot's
 * index in the app's version, "1.0.N"), otadata selecting ota_<boot_slot>
 * (-1: erased, so factory or ota_0 boots) in state ota_state, with both its
 * entries' CRCs broken if corrupt_otadata, and pseudo-random data in every
 * other data partition (nvs, filesystems, ...). */
struct fwgen_device {
    struct fwgen_opts fw;
    const struct ptable *table;
    int boot_slot;
    uint32_t ota_state;
    bool corrupt_otadata;
};

/* The partition table the generator uses for these options. */
void fwgen_table(const struct fwgen_opts *o, struct ptable *t);
/* The app image alone (what -x extracts).  Caller frees *out. */
int fwgen_app(const struct fwgen_opts *o, uint8_t **out, size_t *len, struct err *e);
/* The whole firmware file.  Caller frees *out.  *base is the flash address
 * of the first byte (the bootloader offset, or 0 for a dump). */
int fwgen_firmware(const struct fwgen_opts *o, uint8_t **out, size_t *len, uint32_t *base,
                   struct err *e);
/* The device's whole flash (fw.flash_size bytes, from 0x0).  Caller frees. */
int fwgen_device(const struct fwgen_device *d, uint8_t **out, struct err *e);

#endif
