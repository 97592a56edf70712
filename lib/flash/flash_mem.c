/* In-memory struct flash with a power-cut switch (see flash_mem.h). */
#include "flash_mem.h"

#include <stdlib.h>
#include <string.h>

struct flash_mem {
    struct flash f;
    uint8_t *data;
    long ops;       /* write/erase calls so far */
    long cut_at;    /* the call number that fails, or -1 */
    bool torn;
    bool off;       /* power is off */
};

static struct flash_mem *mem(struct flash *f) { return (struct flash_mem *)f; }

static int mem_read(struct flash *f, uint32_t addr, void *buf, uint32_t len, struct err *e)
{
    (void)e;
    memcpy(buf, mem(f)->data + addr, len);
    return 0;
}

/* true when this call must fail (the power goes off now or went off before) */
static bool power_cut(struct flash_mem *m)
{
    if (m->off)
        return true;
    m->ops++;
    if (m->cut_at >= 0 && m->ops > m->cut_at) {
        m->off = true;
        return true;
    }
    return false;
}

static int mem_write(struct flash *f, uint32_t addr, const void *buf, uint32_t len,
                     struct err *e)
{
    struct flash_mem *m = mem(f);
    bool was_off = m->off;
    if (power_cut(m)) {
        if (!was_off && m->torn)
            memcpy(m->data + addr, buf, len / 2);
        return err_set(e, "%s: power cut at write 0x%x", f->name, addr);
    }
    memcpy(m->data + addr, buf, len);
    return 0;
}

static int mem_erase(struct flash *f, uint32_t addr, uint32_t len, struct err *e)
{
    struct flash_mem *m = mem(f);
    bool was_off = m->off;
    if (power_cut(m)) {
        if (!was_off && m->torn)
            memset(m->data + addr, 0xff, len / 2);
        return err_set(e, "%s: power cut at erase 0x%x", f->name, addr);
    }
    memset(m->data + addr, 0xff, len);
    return 0;
}

static void mem_destroy(struct flash *f)
{
    free(mem(f)->data);
    free(f);
}

static const struct flash_ops mem_ops = { mem_read, mem_write, mem_erase, NULL, mem_destroy,
                                          NULL };

struct flash *flash_mem_new(uint32_t size, struct err *e)
{
    struct flash_mem *m = calloc(1, sizeof *m);
    if (m)
        m->data = malloc(size ? size : 1);
    if (!m || !m->data) {
        free(m);
        err_set(e, "out of memory for a %u-byte memory flash", size);
        return NULL;
    }
    memset(m->data, 0xff, size);
    m->f.ops = &mem_ops;
    m->f.size = size;
    m->f.name = "memory flash";
    m->cut_at = -1;
    return &m->f;
}

struct flash *flash_mem_from(const void *data, uint32_t size, struct err *e)
{
    struct flash *f = flash_mem_new(size, e);
    if (f)
        memcpy(mem(f)->data, data, size);
    return f;
}

uint8_t *flash_mem_data(struct flash *f) { return mem(f)->data; }

void flash_mem_cut_after(struct flash *f, long n, bool torn)
{
    struct flash_mem *m = mem(f);
    m->cut_at = n < 0 ? -1 : m->ops + n;
    m->torn = torn;
    m->off = false;
}

long flash_mem_ops(const struct flash *f) { return ((const struct flash_mem *)f)->ops; }
bool flash_mem_cut(const struct flash *f) { return ((const struct flash_mem *)f)->off; }
