/* The bootloader header patch of write_flash, verify_flash and merge_bin:
 * the flash mode, size and frequency bytes of the image at the bootloader
 * offset set as the options say, and its SHA-256 recomputed, exactly as
 * esptool v5.3.1's _update_image_flash_params() (cmds.py:387-499) does it,
 * ESP8266 images included (their own size table, no digest). */
#include <stdio.h>
#include <string.h>

#include "chip_image.h"
#include "esptool_cmds.h"
#include "hash.h"
#include "image_load.h"

static bool is_keep(const char *v)
{
    return !v || !strcmp(v, "keep");
}

static void warn(void *ctx, const char *msg)
{
    (void)ctx;
    es_warn("%s", msg);
}

/* "4MB" / "512KB" for a detected size. */
static void size_name(uint32_t bytes, char *out, size_t cap)
{
    if (bytes >= (1u << 20))
        snprintf(out, cap, "%uMB", (unsigned)(bytes >> 20));
    else
        snprintf(out, cap, "%uKB", (unsigned)(bytes >> 10));
}

static int code(const struct chip_code *t, const char *name, const char *what, const char *plural,
                struct err *e)
{
    int c = chip_code_of(t, name);
    if (c >= 0)
        return c;
    char list[200];
    chip_code_list(t, list, sizeof list);
    return err_set(e, "Flash %s '%s' is not supported by this chip type. Supported %s: %s", what,
                   name, plural, list);
}

/* The new bytes 2 and 3 of the header; -1 for a value the chip lacks. */
static int new_params(const struct chip *c, const uint8_t *buf, const char *mode,
                      const char *freq, const char *size, uint32_t detected, uint8_t out[2],
                      struct err *e)
{
    static const char *const modes[] = { "qio", "qout", "dio", "dout" };
    const struct chip_image *ci = chip_image(c);
    out[0] = buf[2];
    for (uint8_t i = 0; i < 4 && !is_keep(mode); i++)
        if (!strcmp(mode, modes[i]))
            out[0] = i;
    int f = buf[3] & 0x0F, s = buf[3] & 0xF0;
    if (!is_keep(freq) && (f = code(ci->freqs, freq, "frequency", "frequencies", e)) < 0)
        return -1;
    char detected_name[16];
    if (!is_keep(size) && !strcmp(size, "detect")) {
        size_name(detected, detected_name, sizeof detected_name);
        size = detected_name;
    }
    if (!is_keep(size) && (s = code(ci->sizes, size, "size", "sizes", e)) < 0)
        return -1;
    out[1] = (uint8_t)(s + f);
    return 0;
}

int es_patch_header(const struct chip *c, uint32_t addr, uint8_t *buf, size_t len,
                    const char *mode, const char *freq, const char *size,
                    uint32_t detected_size, bool quiet, struct err *e)
{
    if (len < 8 || addr != c->bootloader_offset)
        return 0;
    if (is_keep(mode) && is_keep(freq) && is_keep(size))
        return 0;
    if (buf[0] != 0xE9) {
        if (!quiet)
            es_warn("Image file at 0x%x doesn't look like an image file, so not changing any "
                    "flash settings.", (unsigned)addr);
        return 0;
    }
    static struct iload img;
    struct err pe;
    if (iload_parse(buf, len, c, &img, quiet ? NULL : warn, NULL, &pe) != 0) {
        if (!quiet)
            es_warn("Image file at 0x%x is not a valid %s image, so not changing any flash "
                    "settings.", (unsigned)addr, c->display);
        return 0;
    }
    uint8_t p[2];
    if (new_params(c, buf, mode, freq, size, detected_size, p, e) != 0)
        return -1;
    if (p[0] != buf[2] || p[1] != buf[3]) {
        if (!quiet)
            es_print("Flash parameters set to 0x%02x%02x.", p[0], p[1]);
        buf[2] = p[0], buf[3] = p[1];
    }
    /* ESP8266 images have no digest (esptool would crash trying) */
    if (c->has_ext_header && buf[23] == 1 && img.data_length + 32 <= len) {
        hash_sha256(buf, img.data_length, buf + img.data_length);
        if (!quiet)
            es_print("SHA digest in image updated.");
    }
    return 0;
}
