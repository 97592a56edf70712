/* fwgen: write a realistic, deterministic ESP32-family firmware image for
 * tests, benchmarks and the README demo (see lib/fwgen/fwgen.h).
 *   fwgen --chip esp32 [--flash-size 4M] [--table v1.25|v1.26|ota]
 *         [--app-size N] [--dump] [--pad] [--seed N] [--app-only] -o FILE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "fwgen.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: fwgen --chip CHIP [--flash-size BYTES|4M] [--table v1.25|v1.26|ota]\n"
            "             [--app-size BYTES] [--dump] [--pad] [--seed N] [--version V]\n"
            "             [--app-only] -o FILE\n");
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

int main(int argc, char **argv)
{
    struct fwgen_opts o = { .flash_size = 0x400000, .table = FWGEN_TABLE_V126, .seed = 1 };
    const char *out = NULL;
    int app_only = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--dump")) { o.full_dump = 1; continue; }
        if (!strcmp(a, "--pad")) { o.pad_to_flash = 1; continue; }
        if (!strcmp(a, "--app-only")) { app_only = 1; continue; }
        if (!v)
            return usage();
        i++;
        if (!strcmp(a, "--chip")) {
            if (!(o.chip = chip_by_name(v))) {
                fprintf(stderr, "fwgen: unknown chip '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--flash-size")) o.flash_size = parse_num(v);
        else if (!strcmp(a, "--app-size")) o.app_size = parse_num(v);
        else if (!strcmp(a, "--seed")) o.seed = parse_num(v);
        else if (!strcmp(a, "--version")) o.version = v;
        else if (!strcmp(a, "-o")) out = v;
        else if (!strcmp(a, "--table")) {
            if (!strcmp(v, "v1.25")) o.table = FWGEN_TABLE_V125;
            else if (!strcmp(v, "v1.26")) o.table = FWGEN_TABLE_V126;
            else if (!strcmp(v, "ota")) o.table = FWGEN_TABLE_OTA;
            else return usage();
        } else return usage();
    }
    if (!o.chip || !out || !o.chip->has_ext_header)
        return usage();
    uint8_t *buf;
    size_t len;
    uint32_t base = 0;
    struct err e;
    int rc = app_only ? fwgen_app(&o, &buf, &len, &e) : fwgen_firmware(&o, &buf, &len, &base, &e);
    if (rc == 0) {
        rc = file_write_atomic(out, buf, len, &e);
        free(buf);
    }
    if (rc) {
        fprintf(stderr, "fwgen: %s\n", e.msg);
        return 1;
    }
    return 0;
}
