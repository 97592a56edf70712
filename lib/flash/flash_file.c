#include "flash_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

struct flash_file {
    struct flash flash;       /* first: the struct flash * is a struct flash_file * */
    struct file_data file;    /* what was read: data points into it until it grows */
    uint8_t *data;
    size_t len, cap;
    uint32_t base;
    bool trim_tail;
    bool dirty;
    char name[1024];
};

static struct flash_file *ff(struct flash *f)
{
    return (struct flash_file *)f;
}

static int ff_read(struct flash *f, uint32_t addr, void *buf, uint32_t len, struct err *e)
{
    struct flash_file *x = ff(f);
    uint8_t *out = buf;
    (void)e;
    for (uint32_t i = 0; i < len; ) {
        uint64_t a = (uint64_t)addr + i;
        if (a < x->base || a - x->base >= x->len) {
            out[i++] = 0xFF;
            continue;
        }
        size_t off = (size_t)(a - x->base);
        size_t n = x->len - off;
        if (n > len - i)
            n = len - i;
        memcpy(out + i, x->data + off, n);
        i += (uint32_t)n;
    }
    return 0;
}

static int ensure_len(struct flash_file *x, size_t want, struct err *e)
{
    if (want <= x->len)
        return 0;
    if (want > x->cap) {
        size_t cap = x->cap ? x->cap : 4096;
        while (cap < want)
            cap *= 2;
        /* a mapping cannot grow: copy it out first */
        uint8_t *d = x->file.mapped ? malloc(cap) : realloc(x->data, cap);
        if (!d)
            return err_set(e, "%s: out of memory", x->name);
        if (x->file.mapped) {
            memcpy(d, x->data, x->len);
            file_data_free(&x->file);
        }
        x->file.buf = NULL;
        x->data = d;
        x->cap = cap;
    }
    memset(x->data + x->len, 0xFF, want - x->len);
    x->len = want;
    return 0;
}

static int ff_write(struct flash *f, uint32_t addr, const void *buf, uint32_t len, struct err *e)
{
    struct flash_file *x = ff(f);
    if (addr < x->base)
        return err_set(e, "%s: cannot write at 0x%x: the file starts at flash address 0x%x",
                       x->name, addr, x->base);
    size_t off = addr - x->base;
    if (ensure_len(x, off + len, e))
        return -1;
    if (memcmp(x->data + off, buf, len) != 0) {
        memcpy(x->data + off, buf, len);
        x->dirty = true;
    }
    return 0;
}

static int ff_erase(struct flash *f, uint32_t addr, uint32_t len, struct err *e)
{
    struct flash_file *x = ff(f);
    (void)e;
    uint64_t start = addr < x->base ? x->base : addr;
    uint64_t end = (uint64_t)addr + len;
    if (end <= x->base || start - x->base >= x->len)
        return 0;                       /* nothing of it is in the file */
    size_t s = (size_t)(start - x->base);
    size_t n = end - x->base >= x->len ? x->len - s : (size_t)(end - start);
    if (x->trim_tail && s + n == x->len && s > 0) {
        x->len = s;
        x->dirty = true;
        return 0;
    }
    for (size_t i = s; i < s + n; i++) {
        if (x->data[i] != 0xFF) {
            memset(x->data + s, 0xFF, n);
            x->dirty = true;
            break;
        }
    }
    return 0;
}

static void ff_destroy(struct flash *f)
{
    struct flash_file *x = ff(f);
    if (x->file.buf)
        file_data_free(&x->file);
    else
        free(x->data);
    free(x);
}

static const struct flash_ops file_ops = {
    .read = ff_read, .write = ff_write, .erase = ff_erase, .flush = NULL, .destroy = ff_destroy,
};

struct flash *flash_file_new(struct file_data file, uint32_t base, uint32_t size,
                             const char *name, bool trim_tail, struct err *e)
{
    struct flash_file *x = calloc(1, sizeof *x);
    if (!x) {
        file_data_free(&file);
        err_set(e, "%s: out of memory", name);
        return NULL;
    }
    size_t len = file.len;
    x->file = file;
    x->data = file.buf;
    x->len = x->cap = len;
    x->base = base;
    x->trim_tail = trim_tail;
    snprintf(x->name, sizeof x->name, "%s", name);
    x->flash.ops = &file_ops;
    x->flash.name = x->name;
    x->flash.size = size;
    if ((uint64_t)base + len > size)
        x->flash.size = (uint32_t)((uint64_t)base + len > UINT32_MAX ? UINT32_MAX : base + len);
    return &x->flash;
}

int flash_file_resize(struct flash *f, uint32_t size, struct err *e)
{
    struct flash_file *x = ff(f);
    if ((uint64_t)x->base + x->len > size)
        return err_set(e, "%s: the file holds 0x%zx bytes of flash, more than the new flash size 0x%x",
                       x->name, x->base + x->len, size);
    f->size = size;
    return 0;
}

const uint8_t *flash_file_data(struct flash *f, size_t *len)
{
    *len = ff(f)->len;
    return ff(f)->data;
}

uint32_t flash_file_base(struct flash *f)
{
    return ff(f)->base;
}

bool flash_file_dirty(struct flash *f)
{
    return ff(f)->dirty;
}

int flash_file_save(struct flash *f, const char *path, struct err *e)
{
    struct flash_file *x = ff(f);
    return file_write_atomic(path, x->data, x->len, e);
}
