/* esptool merge_bin: several address/file pairs into one raw, Intel HEX or
 * UF2 file, the bootloader's header patched as write_flash would (§5.6).
 *   merge_bin -o OUT [--format raw|hex|uf2] [--target-offset A]
 *             [--pad-to-size S | --fill-flash-size S] [--flash-mode ...] ADDR FILE...
 * UF2 blocks (512 bytes): magic 0x0A324655, 0x9E5D5157, flags (0x2000 family
 * id present | 0x4000 MD5 present), address, payload length, block number,
 * block count, family id, 476 data bytes (payload, then addr u32, len u32,
 * MD5 of the payload when MD5 is on), final magic 0x0AB16F30.  Block numbers
 * restart for every input file, as esptool writes them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "hash.h"
#include "esptool.h"

struct input {
    uint32_t addr;
    const char *file;
    uint8_t *data;
    size_t len;
};

static int cmp_input(const void *x, const void *y)
{
    const struct input *a = x, *b = y;
    return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static int write_uf2(FILE *f, const struct input *in, int n, uint32_t family, bool md5,
                     uint32_t chunk)
{
    for (int k = 0; k < n; k++) {
        uint32_t blocks = (uint32_t)((in[k].len + chunk - 1) / chunk);
        for (uint32_t b = 0; b < blocks; b++) {
            uint8_t blk[512];
            memset(blk, 0, sizeof blk);
            size_t off = (size_t)b * chunk;
            uint32_t len = (uint32_t)(in[k].len - off < chunk ? in[k].len - off : chunk);
            uint32_t addr = in[k].addr + (uint32_t)off;
            put_le32(blk, 0x0A324655);
            put_le32(blk + 4, 0x9E5D5157);
            put_le32(blk + 8, 0x2000u | (md5 ? 0x4000u : 0));
            put_le32(blk + 12, addr);
            put_le32(blk + 16, len);
            put_le32(blk + 20, b);
            put_le32(blk + 24, blocks);
            put_le32(blk + 28, family);
            memcpy(blk + 32, in[k].data + off, len);
            if (md5) {
                put_le32(blk + 32 + len, addr);
                put_le32(blk + 36 + len, len);
                hash_md5(in[k].data + off, len, blk + 40 + len);
            }
            put_le32(blk + 508, 0x0AB16F30);
            if (fwrite(blk, 1, sizeof blk, f) != sizeof blk)
                return -1;
        }
    }
    return 0;
}

static void hex_record(FILE *f, uint8_t type, uint16_t addr, const uint8_t *d, unsigned n)
{
    unsigned sum = n + (addr >> 8) + (addr & 0xFF) + type;
    fprintf(f, ":%02X%04X%02X", n, addr, type);
    for (unsigned i = 0; i < n; i++) {
        fprintf(f, "%02X", d[i]);
        sum += d[i];
    }
    fprintf(f, "%02X\n", (unsigned)(-sum & 0xFF));
}

/* Intel HEX: 16-byte data records, an extended linear address record (type
 * 04) whenever the upper 16 address bits change, end-of-file record. */
static int write_hex(FILE *f, const struct input *in, int n)
{
    long upper = -1;
    for (int k = 0; k < n; k++) {
        for (size_t off = 0; off < in[k].len;) {
            uint32_t a = in[k].addr + (uint32_t)off;
            if ((long)(a >> 16) != upper) {
                upper = a >> 16;
                uint8_t u[2] = { (uint8_t)(upper >> 8), (uint8_t)upper };
                hex_record(f, 4, 0, u, 2);
            }
            unsigned chunk = 16;
            if (in[k].len - off < chunk)
                chunk = (unsigned)(in[k].len - off);
            if ((a & 0xFFFF) + chunk > 0x10000)
                chunk = 0x10000 - (a & 0xFFFF);
            hex_record(f, 0, (uint16_t)a, in[k].data + off, chunk);
            off += chunk;
        }
    }
    hex_record(f, 1, 0, NULL, 0);
    return ferror(f) ? -1 : 0;
}

/* A raw image is every byte from the target offset to the end of the last
 * input or the padding: no flash is larger than 128 MB. */
static int raw_too_large(const struct input *in, int n, uint32_t target, uint32_t pad,
                         struct err *e)
{
    uint64_t end = pad;
    for (int i = 0; i < n; i++)
        if ((uint64_t)in[i].addr + in[i].len > end)
            end = (uint64_t)in[i].addr + in[i].len;
    if (end > target && end - target > FILE_MAX_FLASH)
        return err_set(e, "merge_bin: the output would be 0x%llx bytes, larger than the "
                          "largest flash (128 MB)", (unsigned long long)(end - target));
    return 0;
}

int es_cmd_merge_bin(struct esptool *t, int argc, char **argv, struct err *e)
{
    const char *out = NULL, *format = "raw", *mode = NULL, *freq = NULL, *size = NULL;
    uint32_t target = 0, pad = 0, chunk = 0;
    bool md5 = true;
    struct input in[64];
    int n = 0, rc = -1;
    for (int i = 1; i < argc; i++) {
        char o[64];
        es_normalize(argv[i], o, sizeof o);
        const char *eq = strchr(argv[i], '=');
        if (!strncmp(o, "--", 2) && eq)
            o[eq - argv[i]] = '\0';
        const char *v = NULL;
        bool takes = !strcmp(o, "-o") || !strcmp(o, "--output") || !strcmp(o, "-f") ||
                     !strcmp(o, "--format") || !strcmp(o, "--flash-mode") || !strcmp(o, "-fm") ||
                     !strcmp(o, "--flash-freq") || !strcmp(o, "-ff") ||
                     !strcmp(o, "--flash-size") || !strcmp(o, "-fs") ||
                     !strcmp(o, "--target-offset") || !strcmp(o, "-t") ||
                     !strcmp(o, "--pad-to-size") || !strcmp(o, "--fill-flash-size") ||
                     !strcmp(o, "--chunk-size");
        if (takes) {
            v = eq && !strncmp(o, "--", 2) ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                err_set(e, "merge_bin: %s needs a value", o);
                goto out;
            }
        }
        if (!strcmp(o, "-o") || !strcmp(o, "--output")) out = v;
        else if (!strcmp(o, "-f") || !strcmp(o, "--format")) format = v;
        else if (!strcmp(o, "--flash-mode") || !strcmp(o, "-fm")) mode = v;
        else if (!strcmp(o, "--flash-freq") || !strcmp(o, "-ff")) freq = v;
        else if (!strcmp(o, "--flash-size") || !strcmp(o, "-fs")) size = v;
        else if (!strcmp(o, "--md5-disable")) md5 = false;
        else if (takes) {
            uint32_t *dst = !strcmp(o, "--chunk-size") ? &chunk
                          : (!strcmp(o, "--target-offset") || !strcmp(o, "-t")) ? &target : &pad;
            if (es_parse_u32(v, dst) != 0) {
                err_set(e, "merge_bin: invalid number '%s' for %s", v, o);
                goto out;
            }
        } else if (argv[i][0] == '-') {
            err_set(e, "merge_bin: unknown option %s", argv[i]);
            goto out;
        } else {
            if (i + 1 >= argc || n >= 64 || es_parse_u32(argv[i], &in[n].addr) != 0) {
                err_set(e, "merge_bin: expected ADDRESS FILE pairs, got '%s'", argv[i]);
                goto out;
            }
            in[n].file = argv[++i];
            in[n].data = NULL;
            n++;
        }
    }
    if (!t->chip || !strcmp(t->chip, "auto")) {
        err_set(e, "merge_bin needs --chip");
        goto out;
    }
    const struct chip *c = chip_by_name(t->chip);
    if (!out) {
        err_set(e, "merge_bin needs -o OUTPUT");
        goto out;
    }
    if (strcmp(format, "raw") && strcmp(format, "hex") && strcmp(format, "uf2")) {
        err_set(e, "Invalid format: '%s', choose from 'raw', 'uf2', 'hex'.", format);
        goto out;
    }
    if (n == 0) {
        err_set(e, "No input data.");
        goto out;
    }
    if (size && !strcmp(size, "detect"))
        size = NULL;   /* no device to detect from */
    for (int i = 0; i < n; i++)
        if (file_read_all(in[i].file, FILE_MAX_FLASH, &in[i].data, &in[i].len, e) != 0)
            goto out;
    qsort(in, (size_t)n, sizeof in[0], cmp_input);
    for (int i = 0; i < n; i++) {
        if (i + 1 < n && (uint64_t)in[i].addr + in[i].len > in[i + 1].addr) {
            err_set(e, "Detected overlap at address 0x%x for file %s", (unsigned)in[i + 1].addr,
                    in[i + 1].file);
            goto out;
        }
        if (es_patch_header(c, in[i].addr, in[i].data, in[i].len, mode, freq, size, 0, false,
                            e) != 0)
            goto out;
    }
    if (in[0].addr < target) {
        err_set(e, "Output data target offset is 0x%x. Input data offset 0x%x is before this.",
                (unsigned)target, (unsigned)in[0].addr);
        goto out;
    }
    if (!strcmp(format, "raw") && raw_too_large(in, n, target, pad, e))
        goto out;
    /* Built in memory, then written as every output file is (fileio.h). */
    char *mem = NULL;
    size_t total = 0;
    FILE *f = open_memstream(&mem, &total);
    if (!f) {
        err_sys(e, "%s", out);
        goto out;
    }
    int w = 0;
    uint64_t pos = target;
    if (!strcmp(format, "uf2")) {
        w = write_uf2(f, in, n, c->uf2_family, md5, chunk ? chunk : (md5 ? 452 : 476));
    } else if (!strcmp(format, "hex")) {
        w = write_hex(f, in, n);
    } else {
        for (int i = 0; i < n && !w; i++) {
            for (; pos < in[i].addr && !w; pos++)
                w = fputc(0xFF, f) == EOF;
            w = w || fwrite(in[i].data, 1, in[i].len, f) != in[i].len;
            pos += in[i].len;
        }
        for (; pad && pos < pad && !w; pos++)
            w = fputc(0xFF, f) == EOF;
    }
    if (fclose(f) != 0 || w) {
        free(mem);
        err_set(e, "%s: out of memory", out);
        goto out;
    }
    int wrc = file_write_atomic(out, mem, total, e);
    free(mem);
    if (wrc != 0)
        goto out;
    if (!strcmp(format, "uf2"))
        es_print("Wrote 0x%zx bytes to file '%s', ready to be flashed with any ESP USB Bridge.",
                 total, out);
    else
        es_print("Wrote 0x%zx bytes to file '%s', ready to flash to offset 0x%x.", total, out,
                 (unsigned)target);
    rc = 0;
out:
    for (int i = 0; i < n; i++)
        free(in[i].data);
    return rc;
}
