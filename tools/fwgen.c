/* fwgen: write a realistic, deterministic ESP32-family firmware image for
 * tests, benchmarks and the README demo (see lib/fwgen/fwgen.h).
 *   fwgen --chip esp32 [--flash-size 4M] [--table v1.25|v1.26|ota]
 *         [--app-size N] [--dump] [--pad] [--seed N] [--app-only] -o FILE
 * Descriptors: [--version V] [--project NAME] [--app-idf V] [--min-rev N]
 *              [--boot-idf V] [--boot-no-desc]
 * A deployed ESP-IDF / Arduino device (the whole flash):
 *   fwgen --chip esp32 --device TABLE.bin|TABLE.csv [--boot-slot N|none]
 *         [--ota-state valid|new|pending_verify|undefined|...]
 *         [--corrupt-otadata] -o FILE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "firmware.h"
#include "fwgen.h"
#include "otadata.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: fwgen --chip CHIP [--flash-size BYTES|4M] [--table v1.25|v1.26|ota]\n"
            "             [--app-size BYTES] [--dump] [--pad] [--seed N] [--version V]\n"
            "             [--project NAME] [--app-idf V] [--min-rev N] [--boot-idf V]\n"
            "             [--boot-no-desc] [--app-only] -o FILE\n"
            "       fwgen --chip CHIP --device TABLE [--boot-slot N|none] [--ota-state S]\n"
            "             [--corrupt-otadata] ... -o FILE\n");
    return 2;
}

static uint32_t parse_num(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 0);
    if (*end == 'M' || *end == 'm')
        v <<= 20;
    else if (*end == 'K' || *end == 'k')
        v <<= 10;
    return (uint32_t)v;
}

static int parse_state(const char *s, uint32_t *state)
{
    static const uint32_t all[] = { OTA_IMG_NEW, OTA_IMG_PENDING_VERIFY, OTA_IMG_VALID,
                                    OTA_IMG_INVALID, OTA_IMG_ABORTED, OTA_IMG_UNDEFINED };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, otadata_state_name(all[i])) == 0) {
            *state = all[i];
            return 0;
        }
    return -1;
}

struct args {
    struct fwgen_opts o;
    const char *out, *device;
    int app_only, boot_slot, corrupt;
    uint32_t ota_state;
};

/* One option with its value; 0, or -1 for a usage error. */
static int option(struct args *a, const char *k, const char *v)
{
    struct fwgen_opts *o = &a->o;
    if (!strcmp(k, "--chip")) {
        if (!(o->chip = chip_by_name(v)))
            return fprintf(stderr, "fwgen: unknown chip '%s'\n", v), -1;
    } else if (!strcmp(k, "--flash-size")) o->flash_size = parse_num(v);
    else if (!strcmp(k, "--app-size")) o->app_size = parse_num(v);
    else if (!strcmp(k, "--seed")) o->seed = parse_num(v);
    else if (!strcmp(k, "--version")) o->version = v;
    else if (!strcmp(k, "--project")) o->project = v;
    else if (!strcmp(k, "--app-idf")) o->app_idf = v;
    else if (!strcmp(k, "--min-rev")) o->app_min_rev = (uint16_t)parse_num(v);
    else if (!strcmp(k, "--boot-idf")) o->boot_idf = v;
    else if (!strcmp(k, "--device")) a->device = v;
    else if (!strcmp(k, "--boot-slot")) a->boot_slot = strcmp(v, "none") ? (int)parse_num(v) : -1;
    else if (!strcmp(k, "--ota-state")) return parse_state(v, &a->ota_state);
    else if (!strcmp(k, "-o")) a->out = v;
    else if (!strcmp(k, "--table")) {
        if (!strcmp(v, "v1.25")) o->table = FWGEN_TABLE_V125;
        else if (!strcmp(v, "v1.26")) o->table = FWGEN_TABLE_V126;
        else if (!strcmp(v, "ota")) o->table = FWGEN_TABLE_OTA;
        else return -1;
    } else return -1;
    return 0;
}

static int parse(int argc, char **argv, struct args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--dump")) a->o.full_dump = 1;
        else if (!strcmp(k, "--pad")) a->o.pad_to_flash = 1;
        else if (!strcmp(k, "--app-only")) a->app_only = 1;
        else if (!strcmp(k, "--boot-no-desc")) a->o.boot_no_desc = 1;
        else if (!strcmp(k, "--corrupt-otadata")) a->corrupt = 1;
        else if (!v || option(a, k, v)) return -1;
        else i++;
    }
    return a->o.chip && a->out && a->o.chip->has_ext_header ? 0 : -1;
}

static int generate(const struct args *a, uint8_t **buf, size_t *len, struct err *e)
{
    uint32_t base = 0;
    if (a->app_only)
        return fwgen_app(&a->o, buf, len, e);
    if (!a->device)
        return fwgen_firmware(&a->o, buf, len, &base, e);
    struct ptable t;
    if (firmware_read_table_file(a->device, a->o.flash_size, &t, NULL, e))
        return -1;
    struct fwgen_device d = { a->o, &t, a->boot_slot, a->ota_state, a->corrupt };
    *len = a->o.flash_size;
    return fwgen_device(&d, buf, e);
}

int main(int argc, char **argv)
{
    struct args a = { .o = { .flash_size = 0x400000, .table = FWGEN_TABLE_V126, .seed = 1 },
                      .boot_slot = 0, .ota_state = OTA_IMG_VALID };
    file_io_init();
    if (parse(argc, argv, &a))
        return usage();
    uint8_t *buf;
    size_t len;
    struct err e;
    int rc = generate(&a, &buf, &len, &e);
    if (rc == 0) {
        rc = file_write_atomic(a.out, buf, len, &e);
        free(buf);
    }
    if (rc) {
        fprintf(stderr, "fwgen: %s\n", e.msg);
        return 1;
    }
    return 0;
}
