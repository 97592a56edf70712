/* esptool write_flash, verify_flash, read_flash, erase_flash, erase_region,
 * and the bootloader header patch they share with merge_bin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esptool.h"
#include "esptool_cmds.h"
#include "hash.h"
#include "image.h"

/* es_patch_header (the bootloader header patch): esptool_patch.c. */

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
    bool force;                /* --force: no chip or revision check (esptool_checks.c) */
    /* esptool's fast re-flash: --skip-flashed, --diff-with OLD... (one per
     * file, "skip" for none), --trust-flash-content */
    bool skip_flashed, trust;
    const char *old[64];
    int nold;
    bool resume;               /* read_flash --resume */
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
        } else if (!strcmp(o, "--skip-flashed") || !strcmp(o, "-s")) {
            a->skip_flashed = true;
        } else if (!strcmp(o, "--trust-flash-content")) {
            a->trust = true;
        } else if (!strcmp(o, "--resume")) {
            a->resume = true;
        } else if (!strcmp(o, "--diff-with")) {
            /* as esptool's OptionEatAll: every word up to the next option */
            while (i + 1 < argc && argv[i + 1][0] != '-' && a->nold < 64)
                a->old[a->nold++] = argv[++i];
            if (a->nold == 0)
                return err_set(e, "--diff-with needs at least one file (or 'skip')");
        } else if (!strcmp(o, "--force")) {
            a->force = true;
        } else if (!strcmp(o, "--verify") || !strcmp(o, "--no-progress") ||
                   !strcmp(o, "--ignore-flash-encryption-efuse-setting")
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
        if (file_read_all(a->p[i].file, FILE_MAX_FLASH, &a->p[i].data, &a->p[i].len, e) != 0)
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

static void md5_of(const void *d, size_t n, uint8_t out[16])
{
    hash_md5(d, n, out);
}

/* What one ADDR FILE pair came to: the --json result and the lines. */
struct written {
    uint32_t sent, skipped, zlen;
    double secs;
};

/* --diff-with OLD: esptool's fast re-flash, trusting that the flash holds
 * OLD: the sectors where NEW differs from it are written (plainly, without
 * asking the chip), then the whole file is checked by MD5; if the flash
 * did not hold OLD after all, what differs on the chip is written (asking
 * it, loader_diff), so the result is exact either way. */
static int write_over_old(struct loader *l, const struct flash_args *a, const struct pair *p,
                          const uint8_t *buf, uint32_t len, const uint8_t *old, size_t olen,
                          bool compress, struct written *w, struct err *e)
{
    uint32_t n = loader_sectors(p->addr, len);
    uint8_t *map = malloc(n ? n : 1);
    if (!map)
        return err_set(e, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        uint32_t lo, hi;
        loader_run_span(p->addr, len, i, 1, &lo, &hi);
        map[i] = 0;
        for (uint32_t k = lo - p->addr; k < hi - p->addr && !map[i]; k++)
            map[i] = buf[k] != (k < olen ? old[k] : 0xFF);
    }
    bool saved = l->o.no_diff;
    int rc = 0;
    l->o.no_diff = true;
    for (uint32_t i = 0, k; rc == 0 && loader_next_run(map, n, 1, &i, &k); i += k) {
        uint32_t lo, hi;
        loader_run_span(p->addr, len, i, k, &lo, &hi);
        es_print("Reflashing %u changed sector%s at 0x%08x...", (unsigned)k, k == 1 ? "" : "s",
                 (unsigned)lo);
        rc = loader_write(l, lo, buf + (lo - p->addr), hi - lo, compress, e);
        w->sent += hi - lo;
        w->zlen += l->last_zlen;
    }
    l->o.no_diff = saved;
    free(map);
    w->skipped = len - w->sent;
    if (rc != 0 || (a->trust && w->sent == 0))
        return rc;
    uint8_t want[16], got[16];
    md5_of(buf, len, want);
    if (loader_md5(l, p->addr, len, got, e) != 0)
        return -1;
    if (memcmp(want, got, 16) == 0)
        return 0;
    es_print("The flash did not hold %s: writing what differs...", p->file);
    rc = loader_write(l, p->addr, buf, len, compress, e);
    w->sent += l->last_sent;
    w->skipped = len - (l->last_sent < len ? l->last_sent : len);
    w->zlen += l->last_zlen;
    return rc;
}

/* --skip-flashed: the whole file's MD5 on the chip (esptool's meaning; our
 * default write asks the same first, and more). */
static int already_there(struct loader *l, const struct pair *p, const uint8_t *buf,
                         uint32_t len, bool *yes, struct err *e)
{
    uint8_t want[16], got[16];
    md5_of(buf, len, want);
    if (loader_md5(l, p->addr, len, got, e) != 0)
        return -1;
    *yes = memcmp(want, got, 16) == 0;
    return 0;
}

static void report_write(struct esptool *t, const struct pair *p, uint32_t len,
                         const uint8_t *buf, const struct written *w)
{
    struct loader *l = t->l;
    double kbit = w->secs > 0 ? len * 8 / w->secs / 1000 : 0;
    if (w->zlen)
        es_print("Wrote %u bytes (%u compressed) at 0x%08x in %.1f seconds "
                 "(effective %.1f kbit/s)...", (unsigned)len, (unsigned)w->zlen,
                 (unsigned)p->addr, w->secs, kbit);
    else
        es_print("Wrote %u bytes at 0x%08x in %.1f seconds (%.1f kbit/s)...", (unsigned)len,
                 (unsigned)p->addr, w->secs, kbit);
    if (w->skipped)
        es_print("%u bytes were in flash already and not sent (%u sent).",
                 (unsigned)w->skipped, (unsigned)w->sent);
    if (!l->chip->ld->rom_is_8266 || l->stub)
        es_print("Hash of data verified.");
    if (!t->json)
        return;
    uint8_t md5[16];
    md5_of(buf, len, md5);
    json_obj(t->json, NULL);
    json_str(t->json, "file", p->file);
    json_int(t->json, "address", p->addr);
    json_int(t->json, "length", len);
    json_int(t->json, "sent", w->sent);
    json_int(t->json, "skipped", w->skipped);
    json_int(t->json, "compressed", w->zlen);
    json_hex(t->json, "md5", md5, 16);
    json_num(t->json, "seconds", w->secs);
    json_end(t->json);
}

/* One ADDR FILE pair, its bytes prepared (padded, header patched). */
static int write_pair(struct esptool *t, const struct flash_args *a, int i, const uint8_t *buf,
                      uint32_t len, bool compress, struct err *e)
{
    struct loader *l = t->l;
    const struct pair *p = &a->p[i];
    uint8_t *old = NULL;
    size_t olen = 0;
    const char *oldname = i < a->nold && strcmp(a->old[i], "skip") ? a->old[i] : NULL;
    struct written w = { 0 };
    int rc = 0;
    if (p->len == 0) {
        es_warn("'%s' is empty.", p->file);     /* skipped, as esptool does */
        return 0;
    }
    if (oldname && (file_read_all(oldname, FILE_MAX_FLASH, &old, &olen, e) != 0 ||
                    es_patch_header(l->chip, p->addr, old, olen, a->mode, a->freq, a->size,
                                    l->flash_size, true, e) != 0))
        rc = -1;
    uint64_t t0 = port_now_ms();
    bool skip = false;
    if (rc == 0 && a->skip_flashed && (rc = already_there(l, p, buf, len, &skip, e)) == 0 && skip)
        es_print("'%s' at 0x%08x already in flash, skipping write.", p->file,
                 (unsigned)p->addr);
    if (rc == 0 && !skip) {
        uint32_t start = p->addr & ~0xFFFu, end = (p->addr + len + 0xFFF) & ~0xFFFu;
        if (p->addr != start)
            es_warn("Flash address 0x%08x is not aligned to a 0x1000 byte flash sector. "
                    "0x%x bytes before this address will be erased.", (unsigned)p->addr,
                    (unsigned)(p->addr - start));
        es_print("Flash will be erased from 0x%08x to 0x%08x...", (unsigned)start,
                 (unsigned)(end - 1));
        if (!l->stub)
            es_print("Erasing flash...");
        if (oldname) {
            rc = write_over_old(l, a, p, buf, len, old, olen, compress, &w, e);
        } else {
            rc = loader_write(l, p->addr, buf, len, compress, e);
            w = (struct written){ l->last_sent, l->last_skipped, l->last_zlen, 0 };
        }
    }
    if (skip)
        w.skipped = len;
    w.secs = (port_now_ms() - t0) / 1000.0;
    if (rc == 0)
        report_write(t, p, len, buf, &w);
    free(old);
    return rc;
}

/* Every pair's bytes, then the safety net over all of them, then the
 * writes. */
static int write_all(struct esptool *t, const struct flash_args *a, struct err *e)
{
    struct loader *l = t->l;
    bool compress = a->z || (!a->u && l->stub);
    uint8_t *buf[64] = { 0 };
    uint32_t len[64];
    struct es_change c[64];
    int rc = 0;
    for (int i = 0; i < a->n && rc == 0; i++) {
        if (!(buf[i] = prepared(l, a, &a->p[i], false, &len[i], e)))
            rc = -1;
        c[i] = (struct es_change){ a->p[i].addr, len[i], buf[i], a->p[i].file };
    }
    if (rc == 0)
        rc = a->erase_all ? es_safety_erase_all(t, e) : es_safety(t, c, a->n, e);
    if (rc == 0 && a->erase_all) {
        es_print("Erasing flash (this may take a while)...");
        uint64_t t0 = port_now_ms();
        rc = loader_erase_all(l, e);
        if (rc == 0)
            es_print("Chip erase completed successfully in %.1fs", (port_now_ms() - t0) / 1000.0);
    }
    bool listed = rc == 0 && t->json;
    if (listed)
        json_arr(t->json, "files");
    for (int i = 0; i < a->n && rc == 0; i++)
        rc = write_pair(t, a, i, buf[i], len[i], compress, e);
    if (listed)
        json_end(t->json);
    for (int i = 0; i < a->n; i++)
        free(buf[i]);
    return rc > 0 ? 0 : rc;   /* 1: a dry run, nothing more to do */
}

int es_cmd_write_flash(struct esptool *t, int argc, char **argv, struct err *e)
{
    struct flash_args a;
    int rc = -1;
    if (parse_flash_args(argc, argv, &a, true, e) != 0 || load_pairs(&a, e) != 0 ||
        es_flash_options(&a.mode, &a.freq, &a.size, e) != 0)
        goto out;
    if (a.z && a.u) {
        err_set(e, "-z and -u cannot be used together");
        goto out;
    }
    if (a.skip_flashed && a.nold) {
        err_set(e, "Options --diff-with and --skip-flashed are mutually exclusive.");
        goto out;
    }
    if (a.trust && !a.nold) {
        err_set(e, "Option --trust-flash-content requires --diff-with.");
        goto out;
    }
    if (es_connect(t, e) != 0)
        goto out;
    for (int i = 0; i < a.n && !a.force; i++)
        if (es_check_image_chip(t, a.p[i].file, a.p[i].data, a.p[i].len, e) != 0)
            goto out;
    if (es_attach(t, a.size, true, e) != 0)
        goto out;
    for (int i = 0; i < a.n; i++)
        if ((uint64_t)a.p[i].addr + a.p[i].len > t->l->flash_size) {
            err_set(e, "file %s (0x%zx bytes) at 0x%x does not fit in %uMB of flash",
                    a.p[i].file, a.p[i].len, (unsigned)a.p[i].addr,
                    (unsigned)(t->l->flash_size >> 20));
            goto out;
        }
    if (write_all(t, &a, e) != 0)
        goto out;
    es_print("%s", "");
    es_print("Leaving...");
    rc = 0;
out:
    free_pairs(&a);
    return rc;
}

int es_cmd_verify_flash(struct esptool *t, int argc, char **argv, struct err *e)
{
    struct flash_args a;
    int rc = -1, failed = 0;
    if (parse_flash_args(argc, argv, &a, true, e) != 0 || load_pairs(&a, e) != 0 ||
        es_flash_options(&a.mode, &a.freq, &a.size, e) != 0)
        goto out;
    if (es_connect(t, e) != 0 || es_attach(t, a.size, true, e) != 0)
        goto out;
    struct loader *l = t->l;
    if (t->json)
        json_arr(t->json, "files");
    for (int i = 0; i < a.n; i++) {
        struct pair *p = &a.p[i];
        uint32_t len;
        uint8_t *buf = prepared(l, &a, p, true, &len, e);
        if (!buf)
            goto listed;
        es_print("Verifying 0x%x (%u) bytes @ 0x%08x in flash against %s...", (unsigned)len,
                 (unsigned)len, (unsigned)p->addr, p->file);
        uint8_t want[16], got[16];
        md5_of(buf, len, want);
        if (loader_md5(l, p->addr, len, got, e) != 0) {
            free(buf);
            goto listed;
        }
        if (t->json) {
            json_obj(t->json, NULL);
            json_str(t->json, "file", p->file);
            json_int(t->json, "address", p->addr);
            json_int(t->json, "length", len);
            json_hex(t->json, "md5", want, 16);
            json_bool(t->json, "match", memcmp(want, got, 16) == 0);
            json_end(t->json);
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
    rc = 0;
listed:
    if (t->json)
        json_end(t->json);
    if (rc == 0 && failed)
        rc = err_set(e, "Verify failed.");
out:
    free_pairs(&a);
    return rc;
}

/* read_flash keeps what it has read and checked in FILE.part as it goes
 * (every RESUME_STEP), so that a read cut short can go on with --resume
 * instead of starting over; the part is removed once FILE is written. */
#define RESUME_STEP 0x40000u

/* --resume: the part of an earlier read, if the chip still holds it (its
 * MD5 on the chip).  Returns the bytes taken over (0: start over). */
static uint32_t resume_from(struct loader *l, const char *part, uint32_t addr, uint8_t *buf,
                            uint32_t size)
{
    uint8_t *old;
    size_t n;
    struct err ignore;
    if (file_read_all(part, size, &old, &n, &ignore) != 0)
        return 0;
    bool same = false;
    uint8_t want[16], got[16];
    md5_of(old, n, want);
    if (n > 0 && loader_md5(l, addr, (uint32_t)n, got, &ignore) == 0)
        same = memcmp(want, got, 16) == 0;
    if (same)
        memcpy(buf, old, n);
    free(old);
    if (!same) {
        es_print("%s does not match the flash any more: reading from the start.", part);
        return 0;
    }
    es_print("Resuming after the 0x%zx bytes in %s.", n, part);
    return (uint32_t)n;
}

static int read_resumable(struct loader *l, const char *file, bool resume, uint32_t addr,
                          uint8_t *buf, uint32_t size, uint32_t *from, struct err *e)
{
    char part[4096];
    snprintf(part, sizeof part, "%s.part", file);
    *from = resume ? resume_from(l, part, addr, buf, size) : 0;
    bool keep = size > RESUME_STEP;
    for (uint32_t done = *from; done < size;) {
        uint32_t n = size - done < RESUME_STEP ? size - done : RESUME_STEP;
        if (loader_read(l, addr + done, buf + done, n, e) != 0)
            return -1;
        done += n;
        if (keep && done < size && file_write_atomic(part, buf, done, e) != 0)
            return -1;
    }
    if (file_write_atomic(file, buf, size, e) != 0)
        return -1;
    remove(part);
    return 0;
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
    uint64_t t0 = port_now_ms(), skipped0 = l->read_skipped;
    uint32_t from;
    int rc = read_resumable(l, a.pos[2], a.resume, addr, buf, size, &from, e);
    double secs = (port_now_ms() - t0) / 1000.0;
    uint64_t skipped = l->read_skipped - skipped0;
    if (rc == 0) {
        es_print("Read %u bytes at 0x%08x in %.1f seconds (%.1f kbit/s)...", (unsigned)size,
                 (unsigned)addr, secs, secs > 0 ? size * 8 / secs / 1000 : 0);
        if (skipped)
            es_print("%llu bytes were erased flash and not read (0xFF in the file).",
                     (unsigned long long)skipped);
    }
    if (rc == 0 && t->json) {
        uint8_t md5[16];
        md5_of(buf, size, md5);
        json_obj(t->json, "read");
        json_str(t->json, "file", a.pos[2]);
        json_int(t->json, "address", addr);
        json_int(t->json, "length", size);
        json_int(t->json, "skipped", (int64_t)skipped);
        json_int(t->json, "resumed", from);
        json_hex(t->json, "md5", md5, 16);
        json_num(t->json, "seconds", secs);
        json_end(t->json);
    }
    free(buf);
    return rc;
}

/* The --json result of an erase. */
static void erase_json(struct esptool *t, uint32_t addr, uint32_t len, double secs)
{
    if (!t->json)
        return;
    json_obj(t->json, "erase");
    json_int(t->json, "address", addr);
    json_int(t->json, "length", len);
    json_num(t->json, "seconds", secs);
    json_end(t->json);
}

int es_cmd_erase_flash(struct esptool *t, int argc, char **argv, struct err *e)
{
    (void)argv;
    if (argc > 2)
        return err_set(e, "erase_flash takes no arguments");
    if (es_connect(t, e) != 0)
        return -1;
    int safe = es_safety_erase_all(t, e);
    if (safe != 0)
        return safe < 0 ? -1 : 0;
    es_print("Erasing flash (this may take a while)...");
    uint64_t t0 = port_now_ms();
    if (loader_erase_all(t->l, e) != 0)
        return -1;
    double secs = (port_now_ms() - t0) / 1000.0;
    es_print("Chip erase completed successfully in %.1fs", secs);
    erase_json(t, 0, t->l->flash_size, secs);
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
    struct es_change c = { addr, size, NULL, "erase_region" };
    int safe = es_safety(t, &c, 1, e);
    if (safe != 0)
        return safe < 0 ? -1 : 0;
    es_print("Erasing region (may be slow depending on size)...");
    uint64_t t0 = port_now_ms();
    if (loader_erase_region(t->l, addr, size, e) != 0)
        return -1;
    double secs = (port_now_ms() - t0) / 1000.0;
    es_print("Erase completed successfully in %.1f seconds.", secs);
    erase_json(t, addr, size, secs);
    return 0;
}
