/* Can a deployed bootloader boot a given app, and can the chip run it?
 * What `--ota-switch` needs to know before it moves a device to MicroPython:
 * the bootloader can never be changed in the field, so the app must be one
 * this bootloader boots.  Pure: strings and image headers in, verdicts out.
 *
 *   ESP-IDF versions   "v4.4.7-dirty", "5.2.1", "v5.1-rc2": major.minor[.patch]
 *   the rule           compat_check(): app >= bootloader, and within the
 *                      ESP-IDF lines a bootloader of that line is known to
 *                      boot (the table in compat.c, with its sources)
 *   a pairing          compat_suggest(): a MicroPython release built on an
 *                      ESP-IDF the bootloader boots
 *   the bootloader's   compat_boot_idf(): from esp_bootloader_desc_t, or the
 *   own version        version string of its "ESP-IDF %s 2nd stage bootloader"
 *                      banner
 *   chip revisions     compat_rev_range(): what an image header allows
 *   secure boot, flash encryption: decoded from GET_SECURITY_INFO or, on the
 *                      ESP32, its eFuse words */
#ifndef MPI_COMPAT_H
#define MPI_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip.h"
#include "image.h"

#define IDF_VER_TEXT 33           /* esp_app_desc_t.idf_ver holds 32 bytes */

/* major.minor.patch; patch -1 = not given (then it matches any patch). */
struct idf_ver {
    int major, minor, patch;
};

/* "v4.4.7-dirty" -> 4.4.7, "5.1-rc2" -> 5.1.-1.  false for anything that
 * does not start with [v]N.N (a git hash, an empty string). */
bool idf_ver_parse(const char *s, struct idf_ver *v);
/* <0, 0, >0 like strcmp; a patch of -1 on either side compares equal. */
int idf_ver_cmp(const struct idf_ver *a, const struct idf_ver *b);

enum compat_result {
    COMPAT_OK,        /* the sources say this bootloader boots this app */
    COMPAT_REFUSED,   /* they say it does not */
    COMPAT_UNKNOWN,   /* a version is unknown, or beyond what the table knows */
};

struct compat_verdict {
    enum compat_result result;
    char reason[300];         /* one sentence, with the versions */
    char suggestion[300];     /* REFUSED: a MicroPython/ESP-IDF pairing that works */
};

/* The verdict for an app built with ESP-IDF `app_idf` on a bootloader built
 * with `boot_idf` (either may be "" = unknown). */
void compat_check(const char *boot_idf, const char *app_idf, const struct chip *chip,
                  struct compat_verdict *v);

/* A MicroPython release whose micropython.org build (or, failing that, a
 * build of its own with a supported ESP-IDF) this bootloader boots, as one
 * sentence; "" when there is none. */
void compat_suggest(const char *boot_idf, const struct chip *chip, char *out, size_t cap);

/* The ESP-IDF version of the bootloader image `buf` (`len` bytes, parsed
 * into `img`): esp_bootloader_desc_t's idf_ver where it has one, else the
 * version string its banner prints.  Returns where it came from
 * ("esp_bootloader_desc_t", "banner string") or NULL with out = "". */
const char *compat_boot_idf(const uint8_t *buf, size_t len, const struct image_info *img,
                            char out[IDF_VER_TEXT]);

/* The chip revisions (major * 100 + minor) an image header allows:
 * [*min, *max], *max = COMPAT_REV_ANY when it sets no upper bound. */
#define COMPAT_REV_ANY 0xFFFFu
void compat_rev_range(const struct image_info *img, unsigned *min, unsigned *max);
/* "v3.1", or "any" for COMPAT_REV_ANY. */
void compat_rev_name(unsigned rev, char out[12]);

/* Security features that make a flash unwritable from the outside: the
 * serial loader reads and writes ciphertext under flash encryption, and
 * secure boot refuses an unsigned app. */
struct chip_security {
    bool known;
    bool secure_boot;
    bool flash_encryption;
};
/* From a GET_SECURITY_INFO reply (flags u32, flash_crypt_cnt u8, ...; 12 or
 * 20 bytes): flag bit 0 is SECURE_BOOT_EN, an odd count of set bits in
 * flash_crypt_cnt is encryption on (protocol doc §2.2). */
void compat_security_info(const uint8_t *p, size_t n, struct chip_security *s);
/* The ESP32 has no GET_SECURITY_INFO: its eFuse words 0 (FLASH_CRYPT_CNT in
 * bits 20..26) and 6 (ABS_DONE_0 bit 4, ABS_DONE_1 bit 5 from revision 3)
 * say the same (esptool targets/esp32.py, get_flash_encryption_enabled and
 * get_secure_boot_enabled). */
#define COMPAT_ESP32_EFUSE_WORD0 0x000u   /* offsets from the chip's eFuse base */
#define COMPAT_ESP32_EFUSE_WORD6 0x018u
void compat_security_esp32(uint32_t word0, uint32_t word6, int chip_rev, struct chip_security *s);

#endif
