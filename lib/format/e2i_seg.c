/* What both halves of elf2image use (elf2image.c: options, reading,
 * merging; e2i_save.c: the bytes of each image class): messages, the
 * output, and the segments being built. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chip_image.h"
#include "e2i_impl.h"

void e2i_say(const struct e2i_opts *o, enum e2i_say kind, const char *fmt, ...)
{
    if (!o->say)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    o->say(o->ctx, kind, msg);
}

void e2i_free(struct e2i_out *out)
{
    free(out->image);
    free(out->irom);
    memset(out, 0, sizeof *out);
}

bool e2i_is_flash(const struct e2i *m, uint32_t addr)
{
    if (m->kind == E2I_V3)
        return addr > ESP8266_IROM_START;
    return chip_image_is_flash(m->ci, addr);
}

static int cmp_addr(const void *a, const void *b)
{
    const struct e2i_seg *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;   /* Python's sort is stable */
}

void e2i_sort(struct e2i_seg *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s[i].order = i;
    qsort(s, n, sizeof *s, cmp_addr);
}

int e2i_grow(struct e2i_seg *s, uint32_t len, struct err *e)
{
    if (len <= s->len)
        return 0;
    /* esptool would build the segment and refuse it when saving; refused
     * here, before 16 MB and more are allocated for nothing */
    if (len >= 0x1000000u)
        return err_set(e, "Invalid %s segment length %#x. The 16 MB limit has been exceeded.",
                       s->name ? s->name : "", (unsigned)len);
    uint8_t *d = realloc(s->data, len);
    if (!d)
        return err_set(e, "out of memory");
    memset(d + s->len, 0, len - s->len);
    s->data = d;
    s->len = len;
    return 0;
}
