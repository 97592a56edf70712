#include "flash.h"

#include <stddef.h>

static int check_range(struct flash *f, const char *what, uint32_t addr, uint32_t len,
                       struct err *e)
{
    if (addr > f->size || len > f->size - addr)
        return err_set(e, "%s: %s of 0x%x bytes at 0x%x is beyond the end of flash (0x%x)",
                       f->name, what, len, addr, f->size);
    return 0;
}

int flash_read(struct flash *f, uint32_t addr, void *buf, uint32_t len, struct err *e)
{
    if (check_range(f, "read", addr, len, e))
        return -1;
    return len ? f->ops->read(f, addr, buf, len, e) : 0;
}

int flash_write(struct flash *f, uint32_t addr, const void *buf, uint32_t len, struct err *e)
{
    if (check_range(f, "write", addr, len, e))
        return -1;
    return len ? f->ops->write(f, addr, buf, len, e) : 0;
}

int flash_erase(struct flash *f, uint32_t addr, uint32_t len, struct err *e)
{
    if (check_range(f, "erase", addr, len, e))
        return -1;
    return len ? f->ops->erase(f, addr, len, e) : 0;
}

int flash_flush(struct flash *f, struct err *e)
{
    return f->ops->flush ? f->ops->flush(f, e) : 0;
}

void flash_forget(struct flash *f)
{
    if (f->ops->forget)
        f->ops->forget(f);
}

void flash_destroy(struct flash *f)
{
    if (f && f->ops->destroy)
        f->ops->destroy(f);
}
