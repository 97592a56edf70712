/* esptool image_info FILE: the header, extended header, segments, checksum,
 * SHA-256 and the app or bootloader descriptor of an image file (no device). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esptool.h"
#include "esptool_cmds.h"
#include "image.h"
#include "json_image.h"

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

int es_cmd_image_info(struct esptool *t, int argc, char **argv, struct err *e)
{
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--version") && i + 1 < argc)
            i++;   /* v4's --version 1|2: one format here */
        else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else
            return err_set(e, "image_info: unexpected argument '%s'", argv[i]);
    }
    if (!file)
        return err_set(e, "usage: image_info FILE");
    uint8_t *buf;
    size_t len;
    if (file_read_all(file, FILE_MAX_FLASH, &buf, &len, e) != 0)
        return -1;
    if (!t->json) {
        /* esptool v5's text, from the image read as esptool reads it */
        int rc = es_image_info_print(t->chip, buf, len, e);
        free(buf);
        return rc;
    }
    struct image_info img;
    if (len < IMAGE_HEADER_LEN || image_parse(buf, len, &img, e) != 0) {
        if (len < IMAGE_HEADER_LEN)
            err_set(e, "%s: too short for an image (%zu bytes)", file, len);
        else
            err_prefix(e, "%s: ", file);
        free(buf);
        return -1;
    }
    image_verify(buf, &img);
    const struct chip *c = img.chip;
    es_print("File size: %zu (bytes)", len);
    es_print("Detected image type: %s", c ? c->display : "unknown");
    es_print("Image version: 1");
    es_print("Entry point: 0x%08x", (unsigned)img.entry);
    es_print("Segments: %u", img.segment_count);
    uint32_t fs = image_size_from_code(img.flash_size_code);
    if (fs)
        es_print("Flash size: %uMB", (unsigned)(fs >> 20));
    else
        es_print("Flash size: unknown (code 0x%x)", img.flash_size_code);
    const char *fq = c ? chip_freq_name(c, img.flash_freq) : NULL;
    es_print("Flash freq: %s", fq ? fq : "unknown");
    es_print("Flash mode: %s", image_mode_name(img.flash_mode));
    es_print("%s", "");
    es_print("%s extended image header", c ? c->display : "ESP");
    es_print("===========================");
    es_print("WP pin: 0x%02x%s", img.wp_pin, img.wp_pin == 0xEE ? " (disabled)" : "");
    es_print("Chip ID: %u (%s)", img.chip_id, c ? c->display : "unknown");
    es_print("Minimal chip revision: v%u.%u, (legacy min_rev = %u)",
             img.min_rev_full / 100, img.min_rev_full % 100, img.min_rev);
    es_print("Maximal chip revision: v%u.%u", img.max_rev_full / 100, img.max_rev_full % 100);
    es_print("%s", "");
    es_print("Segments information");
    es_print("====================");
    es_print("Segment   Length   Load addr   File offs");
    es_print("-------  -------  ----------  ----------");
    for (unsigned i = 0; i < img.segment_count; i++)
        es_print("%7u  0x%05x  0x%08x  0x%08x", i, (unsigned)img.seg[i].len,
                 (unsigned)img.seg[i].load_addr, (unsigned)img.seg[i].data_offset - 8);
    es_print("%s", "");
    es_print("%s image footer", c ? c->display : "ESP");
    es_print("===================");
    es_print("Checksum: 0x%02x (%s)", img.checksum_stored,
             img.checksum_ok ? "valid" : "invalid");
    if (img.hash_appended) {
        char h[65];
        hex(img.sha_stored, 32, h);
        es_print("Validation hash: %s (%s)", h, img.sha_ok ? "valid" : "invalid");
    }
    if (img.has_app_desc) {
        char h[65];
        es_print("%s", "");
        es_print("Application information");
        es_print("=======================");
        es_print("Project name: %s", img.app.project_name);
        es_print("App version: %s", img.app.version);
        es_print("Compile time: %s %s", img.app.date, img.app.time);
        hex(img.app.elf_sha256, 32, h);
        es_print("ELF file SHA256: %s", h);
        es_print("ESP-IDF: %s", img.app.idf_ver);
        es_print("Secure version: %u", (unsigned)img.app.secure_version);
    } else if (img.has_boot_desc) {
        es_print("%s", "");
        es_print("Bootloader information");
        es_print("======================");
        es_print("Bootloader version: %u", (unsigned)img.boot.version);
        es_print("ESP-IDF: %s", img.boot.idf_ver);
        es_print("Compile time: %s", img.boot.date_time);
    }
    if (t->json) {
        json_str(t->json, "file", file);
        json_image(t->json, "image", &img, true);
    }
    free(buf);
    return 0;
}
