/* The chip's RAM as far as the host can see it: the bytes MEM_DATA loaded
 * (a program for load_ram, the stub itself), read back word by word by
 * READ_REG (read_mem, dump_mem) and changed by WRITE_REG (write_mem).  A
 * sparse set of 4 KiB pages; addresses nobody loaded read as registers do
 * (emu_regs.c). */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "chip_image.h"
#include "emu_impl.h"

static uint8_t *find(const struct emu_ram *r, uint32_t base)
{
    for (unsigned i = 0; i < r->n; i++)
        if (r->base[i] == base)
            return r->page[i];
    return NULL;
}

static uint8_t *page_for(struct emu *emu, uint32_t base)
{
    struct emu_ram *r = &emu->ram;
    uint8_t *p = find(r, base);
    if (p || r->n == EMU_RAM_PAGES)
        return p;
    p = calloc(1, EMU_RAM_PAGE);
    if (!p)
        return NULL;
    r->base[r->n] = base;
    r->page[r->n++] = p;
    return p;
}

/* false: RAM has no room for a page (the rest is dropped; the caller says
 * so, as this file sits below the log). */
bool emu_ram_write(struct emu *emu, uint32_t addr, const uint8_t *data, uint32_t len)
{
    while (len > 0) {
        uint32_t base = addr & ~(EMU_RAM_PAGE - 1), off = addr - base;
        uint32_t n = EMU_RAM_PAGE - off < len ? EMU_RAM_PAGE - off : len;
        uint8_t *p = page_for(emu, base);
        if (!p)
            return false;
        memcpy(p + off, data, n);
        addr += n, data += n, len -= n;
    }
    return true;
}

bool emu_ram_read32(const struct emu *emu, uint32_t addr, uint32_t *value)
{
    addr &= ~3u;
    const uint8_t *p = find(&emu->ram, addr & ~(EMU_RAM_PAGE - 1));
    if (!p)
        return false;
    *value = get_le32(p + (addr & (EMU_RAM_PAGE - 1)));
    return true;
}

/* Whether addr is in the chip's RAM (a region esptool's memory map names
 * ..RAM..: DRAM, IRAM, RTC_DRAM, DIRAM_IRAM...): written there, a word is
 * kept like loaded bytes, across resets, for the next session to read. */
static bool is_ram(const struct emu *emu, uint32_t addr)
{
    const struct chip *c = chip_by_name(emu->chip->name);
    const struct chip_image *ci = c ? chip_image(c) : NULL;
    for (const struct chip_region *r = ci ? ci->memory_map : NULL; r && r->name; r++)
        if (addr >= r->start && addr < r->end && strstr(r->name, "RAM"))
            return true;
    return false;
}

bool emu_ram_write32(struct emu *emu, uint32_t addr, uint32_t value)
{
    addr &= ~3u;
    uint32_t base = addr & ~(EMU_RAM_PAGE - 1);
    uint8_t *p = find(&emu->ram, base);
    if (!p && is_ram(emu, addr))
        p = page_for(emu, base);
    if (!p)
        return false;
    put_le32(p + (addr & (EMU_RAM_PAGE - 1)), value);
    return true;
}

void emu_ram_free(struct emu *emu)
{
    for (unsigned i = 0; i < emu->ram.n; i++)
        free(emu->ram.page[i]);
    emu->ram.n = 0;
}
