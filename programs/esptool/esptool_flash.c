/* esptool write_flash, verify_flash, read_flash, erase_flash, erase_region,
 * and the bootloader header patch they share with merge_bin. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esptool.h"
#include "image.h"

static bool is_keep(const char *v)
{
    return !v || !strcmp(v, "keep");
}

int es_patch_header(const struct chip *c, uint32_t addr, uint8_t *buf, size_t len,
                    const char *mode, const char *freq, const char *size,
                    uint32_t detected_size, bool quiet, struct err *e)
{
    if (is_keep(mode) && is_keep(freq) && is_keep(size))
        return 0;
    if (addr != c->bootloader_offset || len < IMAGE_HEADER_LEN)
        return 0;
    if (buf[0] != IMAGE_MAGIC || !c->has_ext_header || buf[23] > 1) {
        if (!quiet)
            es_warn("Image file at 0x%x doesn't look like an image file, so not changing "
                    "any flash settings.", (unsigned)addr);
        return 0;
    }
    int m = -1, f = -1, s = -1;
    if (!is_keep(mode) && (m = image_mode_code(mode)) < 0)
        return err_set(e, "invalid --flash-mode '%s' (qio, qout, dio, dout, keep)", mode);
    if (!is_keep(freq) && (f = chip_freq_code(c, freq)) < 0)
        return err_set(e, "invalid --flash-freq '%s' for %s", freq, c->display);
    if (!is_keep(size)) {
        uint32_t bytes = 0;
        if (!strcmp(size, "detect"))
            bytes = detected_size;
        else if (es_parse_u32(size, &bytes) != 0)
            return err_set(e, "invalid --flash-size '%s'", size);
        if (bytes && (s = image_size_code(bytes, e)) < 0)
            return -1;
    }
    struct err pe;
    uint8_t old2 = buf[2], old3 = buf[3];
    if (image_set_flash_params(buf, len, m, f, s, &pe) != 0) {
        if (!quiet)
            es_warn("Image file at 0x%x is not a valid ESP image (%s), so not changing any "
                    "flash settings.", (unsigned)addr, pe.msg);
        return 0;
    }
    if (!quiet && (old2 != buf[2] || old3 != buf[3])) {
        es_print("Flash params set to 0x%02x%02x", buf[2], buf[3]);
        if (buf[23] == 1)
            es_print("SHA digest in image updated");
    }
    return 0;
}

struct pair {
    uint32_t addr;
    const char *file;
    uint8_t *data;
    size_t len;
};

struct flash_args {
    struct pair p[64];
    int n;
    const char *mode, *freq, *size;
    bool z, u, erase_all, diff;
    /* read_flash / erase_region positional numbers */
    const char *pos[3];
    int npos;
};

/* Options shared by write_flash/verify_flash/merge_bin and the pairs. */
static int parse_flash_args(int argc, char **argv, struct flash_args *a, bool pairs,
                            struct err *e)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        char o[64];
        es_normalize(argv[i], o, sizeof o);
        const char *eq = strchr(argv[i], '=');
        if (!strncmp(o, "--", 2) && eq)
            o[eq - argv[i]] = '\0';
#define VALUE() (eq && !strncmp(o, "--", 2) ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL))
        if (!strcmp(o, "-z") || !strcmp(o, "--compress")) {
            a->z = true;
        } else if (!strcmp(o, "-u") || !strcmp(o, "--no-compress")) {
            a->u = true;
        } else if (!strcmp(o, "-e") || !strcmp(o, "--erase-all")) {
            a->erase_all = true;
        } else if (!strcmp(o, "--flash-mode") || !strcmp(o, "-fm")) {
            if (!(a->mode = VALUE()))
                return err_set(e, "%s needs a value", argv[i]);
        } else if (!strcmp(o, "--flash-freq") || !strcmp(o, "-ff")) {
            if (!(a->freq = VALUE()))
                return err_set(e, "%s needs a value", argv[i]);
        } else if (!strcmp(o, "--flash-size") || !strcmp(o, "-fs")) {
            if (!(a->size = VALUE()))
                return err_set(e, "%s needs a value", argv[i]);
        } else if (!strcmp(o, "--diff")) {
            /* v4: --diff yes|no; v5: a flag */
            a->diff = true;
            if (i + 1 < argc && (!strcmp(argv[i + 1], "yes") || !strcmp(argv[i + 1], "no")))
                a->diff = !strcmp(argv[++i], "yes");
        } else if (!strcmp(o, "--verify") || !strcmp(o, "--no-progress") ||
                   !strcmp(o, "--force") || !strcmp(o, "--ignore-flash-encryption-efuse-setting")
                   || !strcmp(o, "--no-diff-verify")) {
            /* accepted for compatibility: we always verify by MD5 */
        } else if (!strcmp(o, "--encrypt") || !strcmp(o, "--encrypt-files")) {
            return err_set(e, "%s: encrypted writes are not supported", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] && !(argv[i][1] >= '0' && argv[i][1] <= '9')) {
            return err_set(e, "%s: unknown option %s", argv[0], argv[i]);
        } else if (pairs) {
            if (i + 1 >= argc)
                return err_set(e, "%s: address %s has no file", argv[0], argv[i]);
            if (a->n >= 64)
                return err_set(e, "%s: too many files", argv[0]);
            struct pair *p = &a->p[a->n++];
            if (es_parse_u32(argv[i], &p->addr) != 0)
                return err_set(e, "%s: invalid address '%s'", argv[0], argv[i]);
            p->file = argv[++i];
        } else {
            if (a->npos >= 3)
                return err_set(e, "%s: unexpected argument '%s'", argv[0], argv[i]);
            a->pos[a->npos++] = argv[i];
        }
#undef VALUE
    }
    return 0;
}

static int cmp_pair(const void *x, const void *y)
{
    const struct pair *a = x, *b = y;
    return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static int load_pairs(struct flash_args *a, struct err *e)
{
    if (a->n == 0)
        return err_set(e, "no address/file pairs given");
    for (int i = 0; i < a->n; i++)
        if (es_read_file(a->p[i].file, &a->p[i].data, &a->p[i].len, e) != 0)
            return -1;
    qsort(a->p, (size_t)a->n, sizeof a->p[0], cmp_pair);
    for (int i = 0; i + 1 < a->n; i++)
        if ((uint64_t)a->p[i].addr + a->p[i].len > a->p[i + 1].addr)
            return err_set(e, "detected overlap at address 0x%x for file %s",
                           (unsigned)a->p[i + 1].addr, a->p[i + 1].file);
    return 0;
}

static void free_pairs(struct flash_args *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->p[i].data);
}

/* Pad to 4 bytes with 0xFF (what esptool writes and hashes). */
static uint8_t *padded_copy(const struct pair *p, uint32_t *len)
{
    uint32_t n = (uint32_t)((p->len + 3) & ~(size_t)3);
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return NULL;
    memset(b, 0xFF, n);
    memcpy(b, p->data, p->len);
    *len = n;
    return b;
}

/* The bytes to send or compare for one ADDR FILE pair: padded, and with the
 * bootloader header patched as --flash_mode/--flash_freq/--flash_size say.
 * NULL with e filled on failure. */
static uint8_t *prepared(struct loader *l, const struct flash_args *a, const struct pair *p,
                         bool verify, uint32_t *len, struct err *e)
{
    uint8_t *buf = padded_copy(p, len);
    if (!buf) {
        err_set(e, "out of memory");
        return NULL;
    }
    if (es_patch_header(l->chip, p->addr, buf, *len, a->mode, a->freq, a->size, l->flash_size,
                        verify, e) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int es_cmd_write_flash(struct esptool *t, int argc, char **argv, struct err *e)
{
    struct flash_args a;
    int rc = -1;
    if (parse_flash_args(argc, argv, &a, true, e) != 0 || load_pairs(&a, e) != 0)
        goto out;
    if (a.z && a.u) {
        err_set(e, "-z and -u cannot be used together");
        goto out;
    }
    if (es_connect(t, e) != 0 || es_attach(t, a.size, true, e) != 0)
        goto out;
    struct loader *l = t->l;
    bool compress = a.z || (!a.u && l->stub);
    for (int i = 0; i < a.n; i++)
        if ((uint64_t)a.p[i].addr + a.p[i].len > l->flash_size) {
            err_set(e, "file %s (0x%zx bytes) at 0x%x does not fit in %uMB of flash",
                    a.p[i].file, a.p[i].len, (unsigned)a.p[i].addr,
                    (unsigned)(l->flash_size >> 20));
            goto out;
        }
    if (a.erase_all) {
        es_print("Erasing flash (this may take a while)...");
        uint64_t t0 = port_now_ms();
        if (loader_erase_all(l, e) != 0)
            goto out;
        es_print("Chip erase completed successfully in %.1fs", (port_now_ms() - t0) / 1000.0);
    }
    for (int i = 0; i < a.n; i++) {
        struct pair *p = &a.p[i];
        uint32_t len;
        uint8_t *buf = prepared(l, &a, p, false, &len, e);
        if (!buf)
            goto out;
        uint32_t start = p->addr & ~0xFFFu;
        uint32_t end = (p->addr + len + 0xFFF) & ~0xFFFu;
        if (p->addr != start)
            es_warn("Flash address 0x%08x is not aligned to a 0x1000 byte flash sector. "
                    "0x%x bytes before this address will be erased.", (unsigned)p->addr,
                    (unsigned)(p->addr - start));
        es_print("Flash will be erased from 0x%08x to 0x%08x...", (unsigned)start,
                 (unsigned)(end - 1));
        if (!l->stub)
            es_print("Erasing flash...");
        uint64_t t0 = port_now_ms();
        int r = loader_write(l, p->addr, buf, len, compress, e);
        double secs = (port_now_ms() - t0) / 1000.0;
        free(buf);
        if (r != 0)
            goto out;
        double kbit = secs > 0 ? len * 8 / secs / 1000 : 0;
        if (l->last_zlen)
            es_print("Wrote %u bytes (%u compressed) at 0x%08x in %.1f seconds "
                     "(effective %.1f kbit/s)...", (unsigned)len, (unsigned)l->last_zlen,
                     (unsigned)p->addr, secs, kbit);
        else
            es_print("Wrote %u bytes at 0x%08x in %.1f seconds (%.1f kbit/s)...",
                     (unsigned)len, (unsigned)p->addr, secs, kbit);
        if (!l->chip->ld->rom_is_8266 || l->stub)
            es_print("Hash of data verified.");
    }
    es_print("%s", "");
    es_print("Leaving...");
    rc = 0;
out:
    free_pairs(&a);
    return rc;
}

static void md5_of(const void *d, size_t n, uint8_t out[16])
{
    unsigned len = 16;
    EVP_Digest(d, n, out, &len, EVP_md5(), NULL);
}

int es_cmd_verify_flash(struct esptool *t, int argc, char **argv, struct err *e)
{
    struct flash_args a;
    int rc = -1, failed = 0;
    if (parse_flash_args(argc, argv, &a, true, e) != 0 || load_pairs(&a, e) != 0)
        goto out;
    if (es_connect(t, e) != 0 || es_attach(t, a.size, true, e) != 0)
        goto out;
    struct loader *l = t->l;
    for (int i = 0; i < a.n; i++) {
        struct pair *p = &a.p[i];
        uint32_t len;
        uint8_t *buf = prepared(l, &a, p, true, &len, e);
        if (!buf)
            goto out;
        es_print("Verifying 0x%x (%u) bytes @ 0x%08x in flash against %s...", (unsigned)len,
                 (unsigned)len, (unsigned)p->addr, p->file);
        uint8_t want[16], got[16];
        md5_of(buf, len, want);
        if (loader_md5(l, p->addr, len, got, e) != 0) {
            free(buf);
            goto out;
        }
        if (memcmp(want, got, 16) == 0) {
            es_print("-- verify OK (digest matched)");
        } else {
            failed++;
            es_print("-- verify FAILED (digest mismatch)");
            if (a.diff) {
                uint8_t *dev = malloc(len);
                if (dev && loader_read(l, p->addr, dev, len, e) == 0) {
                    uint32_t diffs = 0;
                    for (uint32_t k = 0; k < len; k++)
                        if (dev[k] != buf[k] && diffs++ < 100)
                            es_print("   %08x %02x %02x", (unsigned)(p->addr + k), buf[k],
                                     dev[k]);
                    es_print("-- %u bytes differ", (unsigned)diffs);
                }
                free(dev);
            }
        }
        free(buf);
    }
    if (failed) {
        err_set(e, "Verify failed.");
        goto out;
    }
    rc = 0;
out:
    free_pairs(&a);
    return rc;
}

int es_cmd_read_flash(struct esptool *t, int argc, char **argv, struct err *e)
{
    struct flash_args a;
    if (parse_flash_args(argc, argv, &a, false, e) != 0)
        return -1;
    if (a.npos != 3)
        return err_set(e, "usage: read_flash ADDRESS SIZE FILE");
    uint32_t addr, size = 0;
    bool all = !strcmp(a.pos[1], "ALL") || !strcmp(a.pos[1], "all");
    if (es_parse_u32(a.pos[0], &addr) != 0 || (!all && es_parse_u32(a.pos[1], &size) != 0))
        return err_set(e, "read_flash: invalid address or size");
    if (es_connect(t, e) != 0 || es_attach(t, a.size, false, e) != 0)
        return -1;
    struct loader *l = t->l;
    if (all)
        size = addr < l->flash_size ? l->flash_size - addr : 0;
    if ((uint64_t)addr + size > l->flash_size)
        return err_set(e, "read_flash: 0x%x bytes at 0x%x is beyond the %uMB flash",
                       (unsigned)size, (unsigned)addr, (unsigned)(l->flash_size >> 20));
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return err_set(e, "out of memory");
    uint64_t t0 = port_now_ms();
    if (loader_read(l, addr, buf, size, e) != 0) {
        free(buf);
        return -1;
    }
    double secs = (port_now_ms() - t0) / 1000.0;
    FILE *f = fopen(a.pos[2], "wb");
    if (!f || fwrite(buf, 1, size, f) != size || fclose(f) != 0) {
        free(buf);
        return err_sys(e, "%s: cannot write", a.pos[2]);
    }
    free(buf);
    es_print("Read %u bytes at 0x%08x in %.1f seconds (%.1f kbit/s)...", (unsigned)size,
             (unsigned)addr, secs, secs > 0 ? size * 8 / secs / 1000 : 0);
    return 0;
}

int es_cmd_erase_flash(struct esptool *t, int argc, char **argv, struct err *e)
{
    (void)argv;
    if (argc > 2)
        return err_set(e, "erase_flash takes no arguments");
    if (es_connect(t, e) != 0)
        return -1;
    es_print("Erasing flash (this may take a while)...");
    uint64_t t0 = port_now_ms();
    if (loader_erase_all(t->l, e) != 0)
        return -1;
    es_print("Chip erase completed successfully in %.1fs", (port_now_ms() - t0) / 1000.0);
    return 0;
}

int es_cmd_erase_region(struct esptool *t, int argc, char **argv, struct err *e)
{
    struct flash_args a;
    if (parse_flash_args(argc, argv, &a, false, e) != 0)
        return -1;
    uint32_t addr, size;
    if (a.npos != 2 || es_parse_u32(a.pos[0], &addr) || es_parse_u32(a.pos[1], &size))
        return err_set(e, "usage: erase_region ADDRESS SIZE");
    if (addr % 0x1000)
        return err_set(e, "Offset to erase from must be a multiple of 4096");
    if (size % 0x1000)
        return err_set(e, "Size of data to erase must be a multiple of 4096");
    if (es_connect(t, e) != 0)
        return -1;
    if (!t->l->stub && es_attach(t, a.size, false, e) != 0)
        return -1;
    es_print("Erasing region (may be slow depending on size)...");
    uint64_t t0 = port_now_ms();
    if (loader_erase_region(t->l, addr, size, e) != 0)
        return -1;
    es_print("Erase completed successfully in %.1f seconds.", (port_now_ms() - t0) / 1000.0);
    return 0;
}
