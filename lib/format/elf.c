#include "elf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

#define EHDR_LEN 0x34
#define SHDR_LEN 0x28
#define PHDR_LEN 0x20
#define PT_LOAD  1

enum {
    SHT_PROGBITS = 0x01, SHT_STRTAB = 0x03, SHT_NOBITS = 0x08,
    SHT_INIT_ARRAY = 0x0E, SHT_FINI_ARRAY = 0x0F, SHT_PREINIT_ARRAY = 0x10,
};

/* What Python's f.seek(off); f.read(n) gives: the bytes present. */
static uint32_t present(size_t len, uint32_t off, uint32_t n)
{
    if (off >= len)
        return 0;
    return len - off < n ? (uint32_t)(len - off) : n;
}

/* A header table of `want` bytes at `off` must be in the file whole. */
static int table_present(size_t len, uint32_t off, uint32_t want, const char *what, struct err *e)
{
    uint32_t have = present(len, off, want);
    if (have == 0)
        return err_set(e, "No %s header found at offset 0x%04x in ELF image.", what,
                       (unsigned)off);
    if (have != want)
        return err_set(e, "Only read %#x bytes from %s header (expected %#x). Truncated ELF "
                          "image?", (unsigned)have, what, (unsigned)want);
    return 0;
}

static bool loadable_type(uint32_t t)
{
    return t == SHT_PROGBITS || t == SHT_INIT_ARRAY || t == SHT_FINI_ARRAY ||
           t == SHT_PREINIT_ARRAY;
}

static void warn(elf_warn_fn fn, void *ctx, const char *fmt, uint32_t v)
{
    char msg[96];
    if (!fn)
        return;
    snprintf(msg, sizeof msg, fmt, (unsigned)v);
    fn(ctx, msg);
}

/* The name at `off` in the string table: it must end inside the bytes the
 * table has (esptool looks for the NUL and fails without one). */
static int lookup_name(const uint8_t *tab, uint32_t tlen, uint32_t off, const char **name,
                       struct err *e)
{
    if (off < tlen && memchr(tab + off, 0, tlen - off)) {
        *name = (const char *)tab + off;
        return 0;
    }
    return err_set(e, "ELF section name at string table offset 0x%x is not terminated",
                   (unsigned)off);
}

/* The section table: `shnum` entries at `shoff`, names from section
 * `shstrndx`.  Fills elf->sections with the loadable ones. */
static int read_sections(const uint8_t *buf, size_t len, uint32_t shoff, uint32_t shnum,
                         uint32_t shstrndx, struct elf *elf, elf_warn_fn wfn, void *ctx,
                         struct err *e)
{
    if (table_present(len, shoff, shnum * SHDR_LEN, "section", e) != 0)
        return -1;
    if (shstrndx >= shnum)
        return err_set(e, "ELF file has no STRTAB section at shstrndx %u", (unsigned)shstrndx);
    const uint8_t *sh = buf + shoff, *st = sh + shstrndx * SHDR_LEN;
    if (get_le32(st + 4) != SHT_STRTAB)
        warn(wfn, ctx, "ELF file has incorrect STRTAB section type 0x%02x", get_le32(st + 4));
    uint32_t toff = get_le32(st + 16), tlen = present(len, toff, get_le32(st + 20));
    const uint8_t *tab = tlen ? buf + toff : NULL;
    elf->sections = calloc(shnum, sizeof *elf->sections);
    if (!elf->sections)
        return err_set(e, "out of memory");
    for (uint32_t i = 0; i < shnum; i++) {
        const uint8_t *h = sh + i * SHDR_LEN;
        uint32_t type = get_le32(h + 4), addr = get_le32(h + 12), off = get_le32(h + 16);
        uint32_t size = get_le32(h + 20);
        if (addr == 0 || size == 0)
            continue;
        if (!loadable_type(type) && type != SHT_NOBITS && type != SHT_STRTAB) {
            warn(wfn, ctx, "Unknown section type 0x%02x in ELF file", type);
            continue;
        }
        if (type == SHT_STRTAB)
            continue;
        const char *name = NULL;
        if (lookup_name(tab, tlen, get_le32(h), &name, e) != 0)
            return -1;
        if (type == SHT_NOBITS)
            continue;                     /* no bytes in the image */
        struct elf_chunk *c = &elf->sections[elf->nsections++];
        c->name = name;
        c->addr = addr;
        c->len = present(len, off, size);
        c->data = c->len ? buf + off : NULL;
        c->align = get_le32(h + 32);
    }
    return 0;
}

/* The program headers: PT_LOAD entries with an address and file bytes. */
static int read_segments(const uint8_t *buf, size_t len, uint32_t phoff, uint32_t phnum,
                         struct elf *elf, struct err *e)
{
    elf->has_phdrs = phnum != 0;
    if (phnum == 0)
        return 0;
    if (table_present(len, phoff, phnum * PHDR_LEN, "segment", e) != 0)
        return -1;
    elf->segments = calloc(phnum, sizeof *elf->segments);
    if (!elf->segments)
        return err_set(e, "out of memory");
    for (uint32_t i = 0; i < phnum; i++) {
        const uint8_t *h = buf + phoff + i * PHDR_LEN;
        uint32_t off = get_le32(h + 4), paddr = get_le32(h + 12), filesz = get_le32(h + 16);
        if (get_le32(h) != PT_LOAD || paddr == 0 || filesz == 0)
            continue;
        struct elf_chunk *c = &elf->segments[elf->nsegments++];
        c->name = "PHDR";
        c->addr = paddr;
        c->len = present(len, off, filesz);
        c->data = c->len ? buf + off : NULL;
        c->align = get_le32(h + 28);
    }
    return 0;
}

int elf_parse(const uint8_t *buf, size_t len, struct elf *out, elf_warn_fn wfn, void *ctx,
              struct err *e)
{
    memset(out, 0, sizeof *out);
    if (len < EHDR_LEN)
        return err_set(e, "Image does not have a valid ELF header: unpack requires a buffer "
                          "of %d bytes", EHDR_LEN);
    if (buf[0] != 0x7F || memcmp(buf + 1, "ELF", 3) != 0)
        return err_set(e, "Image has invalid ELF magic header");
    out->machine = get_le16(buf + 18);
    out->entry = get_le32(buf + 24);
    if (out->machine != 0x5E && out->machine != 0xF3)
        return err_set(e, "Image does not appear to be an Xtensa or an RISCV ELF image. "
                          "(e_machine = 0x%04x)", out->machine);
    uint32_t phoff = get_le32(buf + 28), shoff = get_le32(buf + 32);
    uint16_t phnum = get_le16(buf + 44), shentsize = get_le16(buf + 46);
    uint16_t shnum = get_le16(buf + 48), shstrndx = get_le16(buf + 50);
    if (shentsize != SHDR_LEN)
        return err_set(e, "Image has unexpected section header entry size 0x%x (not 0x%x)",
                       shentsize, SHDR_LEN);
    if (shnum == 0)
        return err_set(e, "Image has 0 section headers");
    if (read_sections(buf, len, shoff, shnum, shstrndx, out, wfn, ctx, e) != 0 ||
        read_segments(buf, len, phoff, phnum, out, e) != 0) {
        elf_free(out);
        return -1;
    }
    return 0;
}

void elf_free(struct elf *elf)
{
    free(elf->sections);
    free(elf->segments);
    elf->sections = elf->segments = NULL;
    elf->nsections = elf->nsegments = 0;
}
