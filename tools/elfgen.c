/* elfgen: write a generated ELF executable (lib/fwgen/elfgen.h).
 *
 *   elfgen --chip CHIP [--variant N] [--mmu LOG2] -o FILE     a typical app
 *   elfgen --chip CHIP --random SEED -o FILE                  a random layout
 *   elfgen --chip CHIP --ram 1 -o FILE                        the app's RAM part only
 *                                                             (a program for load_ram)
 *
 * The random layout (for comparing elf2image with esptool over many inputs)
 * places 1-12 sections of assorted types, sizes, alignments and names in
 * the chip's memory regions, some back to back so that they merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chip_image.h"
#include "elfgen.h"
#include "fileio.h"

static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static const char *const names[] = {
    ".flash.appdesc", ".flash.rodata", ".flash.text", ".iram0.text", ".iram0.vectors",
    ".dram0.data", ".dram0.bootdesc", ".rtc.text", ".rtc.data", ".text", ".data", ".init_array",
};

static uint32_t random_type(uint32_t *s)
{
    static const uint32_t types[] = { 1, 1, 1, 1, 1, 1, 8, 0x0E, 0x0F, 0x10, 0x70000003, 3 };
    return types[rnd(s) % (sizeof types / sizeof types[0])];
}

static void random_layout(struct elfgen *g, const struct chip *c, uint32_t seed)
{
    uint32_t s = seed * 2654435761u + 1;
    const struct chip_image *ci = chip_image(c);
    size_t nreg = 0;
    while (ci->memory_map[nreg].name)
        nreg++;
    memset(g, 0, sizeof *g);
    g->machine = rnd(&s) % 2 ? 0x5E : 0xF3;
    unsigned n = 1 + rnd(&s) % 12;
    for (unsigned i = 0; i < n; i++) {
        struct elfgen_section *x = &g->s[g->n++];
        const struct chip_region *r = &ci->memory_map[rnd(&s) % nreg];
        x->name = names[rnd(&s) % (sizeof names / sizeof names[0])];
        x->type = random_type(&s);
        x->size = 1 + rnd(&s) % (rnd(&s) % 4 ? 0x400 : 0x14000);
        x->align = 1u << (rnd(&s) % 5);
        x->seed = (uint8_t)rnd(&s);
        uint32_t span = r->end - r->start > 0x40000 ? 0x40000 : r->end - r->start;
        x->addr = r->start + (rnd(&s) % span & (rnd(&s) % 3 ? ~3u : ~0u));
        if (i && rnd(&s) % 3 == 0) {                /* back to back with the previous */
            const struct elfgen_section *p = &g->s[g->n - 2];
            x->addr = p->addr + ((p->size + 3) & ~3u);
        }
        if (rnd(&s) % 16 == 0)
            x->addr = 0;
    }
    g->entry = g->s[0].addr + 4;
}

/* Keep the sections that load into RAM (no flash-mapped ones). */
static void ram_only(struct elfgen *g)
{
    size_t k = 0;
    for (size_t i = 0; i < g->n; i++)
        if (strncmp(g->s[i].name, ".flash", 6) != 0)
            g->s[k++] = g->s[i];
    g->n = k;
}

int main(int argc, char **argv)
{
    const char *chip = NULL, *out = NULL;
    long variant = 0, mmu = 0, seed = -1, ram = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--chip")) chip = argv[i + 1];
        else if (!strcmp(argv[i], "--variant")) variant = strtol(argv[i + 1], NULL, 0);
        else if (!strcmp(argv[i], "--mmu")) mmu = strtol(argv[i + 1], NULL, 0);
        else if (!strcmp(argv[i], "--random")) seed = strtol(argv[i + 1], NULL, 0);
        else if (!strcmp(argv[i], "--ram")) ram = strtol(argv[i + 1], NULL, 0);
        else if (!strcmp(argv[i], "-o")) out = argv[i + 1];
        else break;
    }
    const struct chip *c = chip ? chip_by_name(chip) : NULL;
    if (!c || !out) {
        fprintf(stderr, "usage: elfgen --chip CHIP [--variant N] [--mmu LOG2] "
                        "[--random SEED] -o FILE\n");
        return 2;
    }
    struct elfgen g;
    if (seed >= 0)
        random_layout(&g, c, (uint32_t)seed);
    else
        elfgen_app(&g, c, (uint32_t)variant, (uint8_t)mmu);
    if (ram)
        ram_only(&g);
    uint8_t *buf;
    size_t len;
    struct err e;
    if (elfgen_build(&g, &buf, &len, &e) != 0 || file_write_atomic(out, buf, len, &e) != 0) {
        fprintf(stderr, "elfgen: %s\n", e.msg);
        return 1;
    }
    free(buf);
    return 0;
}
