/* struct flash over the serial loader, with a write-back sector cache.
 * See flash_device.h for the semantics.  The cache holds one state per
 * 4 KiB sector:
 *   S_NONE    not known
 *   S_CLEAN   buffer equals the chip
 *   S_ERASED  known to be all 0xFF on the chip (no buffer needed)
 *   S_DIRTY   buffer differs from the chip (written back by flush) */
#include "flash_device.h"
#include "loader_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECTOR 0x1000u
#define WRITE_THROUGH (64u * 1024)
#define SMALL_READ 64u

enum { S_NONE, S_CLEAN, S_ERASED, S_DIRTY };

struct dev_flash {
    struct flash base;
    struct loader *l;
    bool compress;
    bool hold;                  /* see device_opts.hold */
    bool committed;             /* before_commit has run */
    int (*before_commit)(void *ctx, struct flash *f, struct err *e);
    void *commit_ctx;
    uint32_t nsect;
    uint8_t *state;
    uint8_t **buf;
    char name[256];
    struct flash_device_stats st;
};

static const struct flash_ops dev_ops;

void device_opts_init(struct device_opts *o)
{
    memset(o, 0, sizeof *o);
    loader_opts_init(&o->lo);
}

struct loader *flash_device_loader(struct flash *f)
{
    return f && f->ops == &dev_ops ? ((struct dev_flash *)f)->l : NULL;
}

void flash_device_get_stats(struct flash *f, struct flash_device_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!f || f->ops != &dev_ops)
        return;
    struct dev_flash *d = (struct dev_flash *)f;
    *st = d->st;
    for (uint32_t s = 0; s < d->nsect; s++)
        st->pending_sectors += d->state[s] == S_DIRTY;
}

static uint8_t *sect_buf(struct dev_flash *d, uint32_t s, struct err *e)
{
    if (!d->buf[s]) {
        d->buf[s] = malloc(SECTOR);
        if (!d->buf[s]) {
            err_set(e, "%s: out of memory for the sector cache", d->name);
            return NULL;
        }
        if (d->state[s] == S_ERASED)
            memset(d->buf[s], 0xFF, SECTOR);
    }
    return d->buf[s];
}

/* Make sectors [first, first+count) readable from the cache, fetching the
 * unknown ones in contiguous runs. */
static int fetch(struct dev_flash *d, uint32_t first, uint32_t count, struct err *e)
{
    uint32_t s = first, end = first + count;
    while (s < end) {
        if (d->state[s] != S_NONE) {
            s++;
            continue;
        }
        uint32_t run = s;
        while (run < end && d->state[run] == S_NONE)
            run++;
        uint32_t n = run - s;
        uint8_t *tmp = malloc((size_t)n * SECTOR);
        if (!tmp)
            return err_set(e, "%s: out of memory", d->name);
        if (loader_read(d->l, s * SECTOR, tmp, n * SECTOR, e) != 0) {
            free(tmp);
            return err_prefix(e, "%s: ", d->name);
        }
        for (uint32_t i = 0; i < n; i++) {
            uint8_t *b = sect_buf(d, s + i, e);
            if (!b) {
                free(tmp);
                return -1;
            }
            memcpy(b, tmp + (size_t)i * SECTOR, SECTOR);
            d->state[s + i] = S_CLEAN;
        }
        d->st.sectors_read += n;
        free(tmp);
        s = run;
    }
    return 0;
}

static int dev_read(struct flash *f, uint32_t addr, void *out, uint32_t len, struct err *e)
{
    struct dev_flash *d = (struct dev_flash *)f;
    uint32_t first = addr / SECTOR, last = (addr + len - 1) / SECTOR;
    /* A few bytes of a sector nobody has read (littlefs following a file's
     * block list): ask for just them, uncached.  Fetching the sector would
     * send 4 KiB over the line for a 4-byte pointer. */
    if (first == last && len <= SMALL_READ && d->state[first] == S_NONE) {
        d->st.small_reads++;
        if (loader_read(d->l, addr, out, len, e) != 0)
            return err_prefix(e, "%s: ", d->name);
        return 0;
    }
    if (fetch(d, first, last - first + 1, e) != 0)
        return -1;
    uint8_t *o = out;
    for (uint32_t s = first; s <= last; s++) {
        uint32_t lo = s == first ? addr % SECTOR : 0;
        uint32_t hi = s == last ? (addr + len - 1) % SECTOR + 1 : SECTOR;
        if (d->state[s] == S_ERASED && !d->buf[s])
            memset(o, 0xFF, hi - lo);
        else
            memcpy(o, d->buf[s] + lo, hi - lo);
        o += hi - lo;
    }
    return 0;
}

/* Write back dirty sectors in [first, last] as contiguous runs. */
static int write_back(struct dev_flash *d, uint32_t first, uint32_t last, struct err *e)
{
    uint32_t s = first;
    while (s <= last) {
        if (d->state[s] != S_DIRTY) {
            s++;
            continue;
        }
        uint32_t run = s;
        while (run <= last && d->state[run] == S_DIRTY)
            run++;
        uint32_t n = run - s;
        uint8_t *tmp = malloc((size_t)n * SECTOR);
        if (!tmp)
            return err_set(e, "%s: out of memory", d->name);
        for (uint32_t i = 0; i < n; i++)
            memcpy(tmp + (size_t)i * SECTOR, d->buf[s + i], SECTOR);
        int rc = loader_write(d->l, s * SECTOR, tmp, n * SECTOR, d->compress, e);
        free(tmp);
        if (rc != 0) {
            /* What is on the chip is unknown now: forget the clean copies
             * would be wrong too, so keep them dirty for a retry. */
            return err_prefix(e, "%s: ", d->name);
        }
        for (uint32_t i = 0; i < n; i++)
            d->state[s + i] = S_CLEAN;
        d->st.sectors_written += n;
        d->st.bytes_sent_to_write += d->l->last_sent;
        d->st.bytes_skipped += d->l->last_skipped;
        s = run;
    }
    return 0;
}

static int dev_write(struct flash *f, uint32_t addr, const void *data, uint32_t len,
                     struct err *e)
{
    struct dev_flash *d = (struct dev_flash *)f;
    uint32_t first = addr / SECTOR, last = (addr + len - 1) / SECTOR;
    /* Partial sectors at the ends need the chip's bytes around ours. */
    if (addr % SECTOR && fetch(d, first, 1, e) != 0)
        return -1;
    if ((addr + len) % SECTOR && fetch(d, last, 1, e) != 0)
        return -1;
    const uint8_t *in = data;
    for (uint32_t s = first; s <= last; s++) {
        uint32_t lo = s == first ? addr % SECTOR : 0;
        uint32_t hi = s == last ? (addr + len - 1) % SECTOR + 1 : SECTOR;
        uint32_t n = hi - lo;
        bool known = d->state[s] != S_NONE;
        if (known) {
            bool same;
            if (d->state[s] == S_ERASED && !d->buf[s]) {
                same = true;
                for (uint32_t i = 0; i < n && same; i++)
                    same = in[i] == 0xFF;
            } else {
                same = memcmp(d->buf[s] + lo, in, n) == 0;
            }
            if (same) {
                in += n;
                continue;
            }
        }
        uint8_t *b = sect_buf(d, s, e);
        if (!b)
            return -1;
        memcpy(b + lo, in, n);
        d->state[s] = S_DIRTY;
        in += n;
    }
    if (len >= WRITE_THROUGH && !d->hold)
        return write_back(d, first, last, e);
    return 0;
}

/* Held: whole sectors become 0xFF in the cache, written back with the
 * rest (a sector the chip has erased already costs an MD5, loader_diff). */
static int hold_erase(struct dev_flash *d, uint32_t s, uint32_t end, struct err *e)
{
    for (; s < end; s++) {
        if (d->state[s] == S_ERASED)
            continue;
        uint8_t *b = sect_buf(d, s, e);
        if (!b)
            return -1;
        memset(b, 0xFF, SECTOR);
        d->state[s] = S_DIRTY;
    }
    return 0;
}

static int dev_erase(struct flash *f, uint32_t addr, uint32_t len, struct err *e)
{
    struct dev_flash *d = (struct dev_flash *)f;
    uint32_t a = (addr + SECTOR - 1) / SECTOR * SECTOR;
    uint32_t b = (addr + len) / SECTOR * SECTOR;
    if (a >= b) {
        /* Inside one sector: write 0xFF. */
        uint8_t *ff = malloc(len);
        if (!ff)
            return err_set(e, "%s: out of memory", d->name);
        memset(ff, 0xFF, len);
        int rc = dev_write(f, addr, ff, len, e);
        free(ff);
        return rc;
    }
    /* Partial head and tail sectors. */
    if (addr < a && dev_erase(f, addr, a - addr, e) != 0)
        return -1;
    if (addr + len > b && dev_erase(f, b, addr + len - b, e) != 0)
        return -1;
    /* Whole sectors: erase runs not already known to be erased. */
    uint32_t s = a / SECTOR, end = b / SECTOR;
    if (d->hold)
        return hold_erase(d, s, end, e);
    while (s < end) {
        if (d->state[s] == S_ERASED) {
            s++;
            continue;
        }
        uint32_t run = s;
        while (run < end && d->state[run] != S_ERASED)
            run++;
        if (loader_erase_region(d->l, s * SECTOR, (run - s) * SECTOR, e) != 0)
            return err_prefix(e, "%s: ", d->name);
        d->st.erases++;
        for (uint32_t i = s; i < run; i++) {
            free(d->buf[i]);
            d->buf[i] = NULL;
            d->state[i] = S_ERASED;
        }
        s = run;
    }
    return 0;
}

static bool any_dirty(const struct dev_flash *d)
{
    for (uint32_t s = 0; s < d->nsect; s++)
        if (d->state[s] == S_DIRTY)
            return true;
    return false;
}

static int dev_flush(struct flash *f, struct err *e)
{
    struct dev_flash *d = (struct dev_flash *)f;
    if (d->before_commit && !d->committed && any_dirty(d)) {
        if (d->before_commit(d->commit_ctx, f, e) != 0)
            return -1;
        d->committed = true;
    }
    return d->nsect ? write_back(d, 0, d->nsect - 1, e) : 0;
}

int flash_device_changes(struct flash *f,
                         int (*fn)(void *ctx, uint32_t addr, uint32_t len, const uint8_t *data,
                                   struct err *e),
                         void *ctx, struct err *e)
{
    if (!f || f->ops != &dev_ops)
        return 0;
    struct dev_flash *d = (struct dev_flash *)f;
    for (uint32_t s = 0; s < d->nsect;) {
        if (d->state[s] != S_DIRTY) {
            s++;
            continue;
        }
        uint32_t run = s;
        while (run < d->nsect && d->state[run] == S_DIRTY)
            run++;
        uint8_t *tmp = malloc((size_t)(run - s) * SECTOR);
        if (!tmp)
            return err_set(e, "%s: out of memory", d->name);
        for (uint32_t i = s; i < run; i++)
            memcpy(tmp + (size_t)(i - s) * SECTOR, d->buf[i], SECTOR);
        int rc = fn(ctx, s * SECTOR, (run - s) * SECTOR, tmp, e);
        free(tmp);
        if (rc != 0)
            return rc;
        s = run;
    }
    return 0;
}

static void dev_destroy(struct flash *f)
{
    struct dev_flash *d = (struct dev_flash *)f;
    uint32_t dirty = 0;
    for (uint32_t s = 0; s < d->nsect; s++) {
        dirty += d->state[s] == S_DIRTY;
        free(d->buf[s]);
    }
    if (dirty && d->l->o.log) {
        char msg[400];
        snprintf(msg, sizeof msg, "%.300s: %u changed sector(s) were not flushed and are dropped",
                 d->name, (unsigned)dirty);
        d->l->o.log(d->l->o.ctx, msg);
    }
    free(d->buf);
    free(d->state);
    loader_close(d->l);
    free(d);
}

/* Clean and erased sectors become unknown: the next read asks the chip. */
static void dev_forget(struct flash *f)
{
    struct dev_flash *d = (struct dev_flash *)f;
    for (uint32_t s = 0; s < d->nsect; s++)
        if (d->state[s] != S_DIRTY) {
            free(d->buf[s]);
            d->buf[s] = NULL;
            d->state[s] = S_NONE;
        }
}

static const struct flash_ops dev_ops = {
    dev_read, dev_write, dev_erase, dev_flush, dev_destroy, dev_forget,
};

int flash_device_security(struct flash *f, struct chip_security *s, struct err *e)
{
    struct loader *l = flash_device_loader(f);
    memset(s, 0, sizeof *s);
    if (!l)
        return 0;
    if (strcmp(l->chip->name, "esp32") == 0) {
        uint32_t w0, w6, base = l->chip->ld->efuse_base;
        if (loader_read_reg(l, base + COMPAT_ESP32_EFUSE_WORD0, &w0, e) ||
            loader_read_reg(l, base + COMPAT_ESP32_EFUSE_WORD6, &w6, e))
            return err_prefix(e, "%s: reading the eFuses: ", f->name);
        compat_security_esp32(w0, w6, loader_chip_revision(l), s);
        return 0;
    }
    const uint8_t *p;
    size_t n;
    struct err ignore;
    if (loader_command_retry(l, LOADER_GET_SECURITY_INFO, NULL, 0, 0, LOADER_QUICK,
                             -1, false, &p, &n, "GET_SECURITY_INFO", &ignore) == 0)
        compat_security_info(p, n, s);
    else if (l->have_security_info)
        s->secure_boot = (l->sec_flags & 1u) != 0;   /* what the ROM said at connect */
    return 0;
}

struct flash *flash_device_from_loader(struct loader *l, const struct device_opts *o,
                                       struct err *e)
{
    if (loader_attach(l, o->flash_size, e) != 0) {
        loader_close(l);
        return NULL;
    }
    struct dev_flash *d = calloc(1, sizeof *d);
    if (!d) {
        loader_close(l);
        err_set(e, "out of memory");
        return NULL;
    }
    d->l = l;
    d->compress = !o->no_compress;
    d->hold = o->hold;
    d->before_commit = o->before_commit;
    d->commit_ctx = o->commit_ctx;
    d->nsect = l->flash_size / SECTOR;
    d->state = calloc(d->nsect ? d->nsect : 1, 1);
    d->buf = calloc(d->nsect ? d->nsect : 1, sizeof *d->buf);
    if (!d->state || !d->buf) {
        free(d->state);
        free(d->buf);
        free(d);
        loader_close(l);
        err_set(e, "out of memory");
        return NULL;
    }
    snprintf(d->name, sizeof d->name, "%s", l->port->name);
    d->base.ops = &dev_ops;
    d->base.size = l->flash_size;
    d->base.name = d->name;
    d->base.interruptible = true;
    return &d->base;
}

struct flash *flash_device_open(const char *port, const struct device_opts *o,
                                struct loader **out, struct err *e)
{
    struct loader *l;
    if (loader_open(&l, port, &o->lo, e) != 0)
        return NULL;
    struct flash *f = flash_device_from_loader(l, o, e);
    if (f && out)
        *out = l;
    return f;
}
