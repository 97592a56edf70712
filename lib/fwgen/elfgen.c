#include "elfgen.h"

#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "chip_image.h"

#define EHDR 0x34
#define PHDR 0x20
#define SHDR 0x28
#define SYM 0x10

/* Where a chip's RAM and RTC memory start (esptool's MEMORY_MAP names). */
static uint32_t region(const struct chip *c, const char *name)
{
    for (const struct chip_region *r = chip_image(c)->memory_map; r->name; r++)
        if (!strcmp(r->name, name))
            return r->start;
    return 0;
}

static void add(struct elfgen *g, const char *name, uint32_t type, uint32_t addr, uint32_t size,
                uint8_t seed)
{
    if (g->n < ELFGEN_MAX_SECTIONS)
        g->s[g->n++] = (struct elfgen_section){ name, type, addr, size, 4, seed, NULL, false };
}

/* An esp_app_desc_t: magic, version strings, empty SHA, MMU page byte. */
static const uint8_t *app_desc(uint8_t mmu_log2)
{
    static uint8_t d[256];
    memset(d, 0, sizeof d);
    put_le32(d, 0xABCD5432);
    memcpy(d + 0x10, "v1.0-elfgen", 11);
    memcpy(d + 0x30, "elfgen", 6);
    memcpy(d + 0x50, "12:00:00", 8);
    memcpy(d + 0x60, "Jan  1 2025", 11);
    memcpy(d + 0x70, "v5.4.2", 6);
    d[180] = mmu_log2;
    return d;
}

static void app_8266(struct elfgen *g, uint32_t v)
{
    g->machine = 0x5E;
    g->entry = 0x40100004;
    add(g, ".data", 1, 0x3FFE8000, 32 + 4 * v, 5);
    add(g, ".rodata", 1, 0x3FFE8000 + 32 + 4 * v, 60 + v, 6);
    add(g, ".bss", 8, 0x3FFE8400 + 64 * v, 0x100, 0);
    add(g, ".text", 1, 0x40100000, 128 + 8 * v, 3);
    add(g, ".irom0.text", 1, 0x40210000, 250 + 16 * v, 2);
}

void elfgen_app(struct elfgen *g, const struct chip *c, uint32_t v, uint8_t mmu_log2)
{
    memset(g, 0, sizeof *g);
    if (!c->has_ext_header) {
        app_8266(g, v);
        return;
    }
    const struct chip_image *ci = chip_image(c);
    bool xtensa = !strcmp(c->name, "esp32") || !strcmp(c->name, "esp32s2") ||
                  !strcmp(c->name, "esp32s3");
    g->machine = xtensa ? 0x5E : 0xF3;
    uint32_t iram = region(c, "IRAM"), dram = region(c, "DRAM"), rtc = region(c, "RTC_IRAM");
    /* One address space for both on C5/P4: rodata a few pages above text. */
    uint32_t drom = ci->drom_start == ci->irom_start ? ci->drom_start + 0x40000 : ci->drom_start;
    uint32_t text = 0x80 + 0x10 * v;
    g->entry = iram + 0x400 + 4;
    add(g, ".flash.appdesc", 1, drom + 0x20, 256, 0);
    g->s[0].data = app_desc(mmu_log2);
    add(g, ".flash.rodata", 1, drom + 0x120, 0x40 + 0x100 * v + 2, 1);
    add(g, ".flash.text", 1, ci->irom_start + 0x20, text, 2);
    add(g, ".iram0.vectors", 1, iram, 0x400, 3);
    add(g, ".iram0.text", 1, iram + 0x400, 0x62 + 0x40 * v, 4);
    /* On chips whose DRAM and IRAM are one range, data goes above the code. */
    uint32_t data = dram == iram ? iram + 0x8000 : dram;
    add(g, ".dram0.data", 1, data, 0x20 + 0x10 * v, 5);
    add(g, ".dram0.bss", 8, data + 0x20 + 0x10 * v, 0x100, 0);
    if (rtc)
        add(g, ".rtc.text", 1, rtc, 0x24, 6);
    add(g, ".comment", 1, 0, 0x10, 7);
}

/* ---- the file ---- */

struct layout {
    uint32_t shstr_off, shstr_len, sym_off, str_off, str_len, data_off, ph_off, sh_off, total;
    uint32_t name_off[ELFGEN_MAX_SECTIONS + 4];
    uint32_t sec_off[ELFGEN_MAX_SECTIONS];
    uint32_t nph;
};

static const char *const extra[] = { ".symtab", ".strtab", ".shstrtab" };

static bool has_bytes(const struct elfgen_section *s)
{
    return s->type != 8;
}

/* Header, program headers, section data, tables, section headers. */
static void plan(const struct elfgen *g, struct layout *L)
{
    memset(L, 0, sizeof *L);
    uint32_t off = EHDR;
    for (size_t i = 0; i < g->n; i++)
        L->nph += has_bytes(&g->s[i]) && !g->s[i].no_phdr && g->s[i].addr;
    L->ph_off = off;
    off += L->nph * PHDR;
    for (size_t i = 0; i < g->n; i++) {
        off = (off + 3) & ~3u;
        L->sec_off[i] = off;
        if (has_bytes(&g->s[i]))
            off += g->s[i].size;
    }
    L->shstr_len = 1;
    for (size_t i = 0; i < g->n; i++) {
        L->name_off[i] = L->shstr_len;
        L->shstr_len += (uint32_t)strlen(g->s[i].name) + 1;
    }
    for (size_t i = 0; i < 3; i++) {
        L->name_off[g->n + i] = L->shstr_len;
        L->shstr_len += (uint32_t)strlen(extra[i]) + 1;
    }
    L->shstr_off = off;
    off += L->shstr_len;
    L->str_off = off;
    L->str_len = 8;                                 /* "\0_start\0" */
    off += L->str_len;
    off = (off + 3) & ~3u;
    L->sym_off = off;
    off += 2 * SYM;
    L->sh_off = off;
    L->total = off + (uint32_t)(g->n + 4) * SHDR;
}

static void put_shdr(uint8_t *p, uint32_t name, uint32_t type, uint32_t flags, uint32_t addr,
                     uint32_t off, uint32_t size, uint32_t link, uint32_t info, uint32_t align,
                     uint32_t entsize)
{
    uint32_t v[10] = { name, type, flags, addr, off, size, link, info, align, entsize };
    for (int i = 0; i < 10; i++)
        put_le32(p + 4 * i, v[i]);
}

static void write_sections(const struct elfgen *g, const struct layout *L, uint8_t *b)
{
    uint8_t *ph = b + L->ph_off, *sh = b + L->sh_off + SHDR;   /* entry 0 is null */
    for (size_t i = 0; i < g->n; i++, sh += SHDR) {
        const struct elfgen_section *s = &g->s[i];
        if (has_bytes(s))
            for (uint32_t k = 0; k < s->size; k++)
                b[L->sec_off[i] + k] = s->data ? s->data[k] : (uint8_t)(7 * k + s->seed);
        put_shdr(sh, L->name_off[i], s->type, s->addr ? 0x7 : 0x30, s->addr, L->sec_off[i],
                 s->size, 0, 0, s->align ? s->align : 4, 0);
        if (!has_bytes(s) || s->no_phdr || !s->addr)
            continue;
        uint32_t v[8] = { 1, L->sec_off[i], s->addr, s->addr, s->size, s->size, 7, 4 };
        for (int k = 0; k < 8; k++)
            put_le32(ph + 4 * k, v[k]);
        ph += PHDR;
    }
    uint32_t n = (uint32_t)g->n;
    put_shdr(sh, L->name_off[n], 2, 0, 0, L->sym_off, 2 * SYM, n + 2, 1, 4, SYM);
    put_shdr(sh + SHDR, L->name_off[n + 1], 3, 0, 0, L->str_off, L->str_len, 0, 0, 1, 0);
    put_shdr(sh + 2 * SHDR, L->name_off[n + 2], 3, 0, 0, L->shstr_off, L->shstr_len, 0, 0, 1, 0);
}

static void write_tables(const struct elfgen *g, const struct layout *L, uint8_t *b)
{
    for (size_t i = 0; i < g->n; i++)
        strcpy((char *)b + L->shstr_off + L->name_off[i], g->s[i].name);
    for (size_t i = 0; i < 3; i++)
        strcpy((char *)b + L->shstr_off + L->name_off[g->n + i], extra[i]);
    memcpy(b + L->str_off, "\0_start\0", 8);
    uint8_t *sym = b + L->sym_off + SYM;            /* symbol 0 is null */
    put_le32(sym, 1);                               /* "_start" */
    put_le32(sym + 4, g->entry);
    sym[12] = 0x12;                                 /* STB_GLOBAL, STT_FUNC */
    put_le16(sym + 14, 0xFFF1);                     /* SHN_ABS */
}

static void write_header(const struct elfgen *g, const struct layout *L, uint8_t *b)
{
    static const uint8_t ident[16] = { 0x7F, 'E', 'L', 'F', 1, 1, 1 };
    memcpy(b, ident, 16);
    put_le16(b + 16, 2);                            /* ET_EXEC */
    put_le16(b + 18, g->machine);
    put_le32(b + 20, 1);
    put_le32(b + 24, g->entry);
    put_le32(b + 28, L->nph ? L->ph_off : 0);
    put_le32(b + 32, L->sh_off);
    put_le16(b + 40, EHDR);
    put_le16(b + 42, PHDR);
    put_le16(b + 44, (uint16_t)L->nph);
    put_le16(b + 46, SHDR);
    put_le16(b + 48, (uint16_t)(g->n + 4));
    put_le16(b + 50, (uint16_t)(g->n + 3));         /* .shstrtab, the last */
}

int elfgen_build(const struct elfgen *g, uint8_t **out, size_t *len, struct err *e)
{
    struct layout L;
    if (g->n > ELFGEN_MAX_SECTIONS)
        return err_set(e, "elfgen: too many sections");
    plan(g, &L);
    uint8_t *b = calloc(L.total, 1);
    if (!b)
        return err_set(e, "out of memory");
    write_header(g, &L, b);
    write_sections(g, &L, b);
    write_tables(g, &L, b);
    *out = b;
    *len = L.total;
    return 0;
}
