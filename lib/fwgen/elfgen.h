/* A deterministic generator of ELF executables as ESP-IDF and the ESP8266
 * SDK link them, for the tests of elf2image (and its fuzz seeds): an ELF32
 * little-endian file with program headers, a section table with its
 * string table, and a symbol table holding _start (the entry point).
 *
 * elfgen_build() writes any list of sections; elfgen_app() fills the list
 * of a typical app for a chip: .flash.appdesc (an esp_app_desc_t with an
 * empty ELF SHA-256 field) and .flash.rodata in DROM, .flash.text in IROM,
 * .iram0.vectors and .iram0.text in IRAM, .dram0.data in DRAM, .dram0.bss
 * (NOBITS), .rtc.text in RTC memory where the chip has it, and .comment at
 * address 0; ESP8266: .data, .rodata, .bss, .text and .irom0.text.
 * Section bytes are byte i = (7 * i + seed) & 0xFF unless given.  The same
 * options give the same bytes. */
#ifndef MPI_ELFGEN_H
#define MPI_ELFGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip.h"
#include "err.h"

#define ELFGEN_MAX_SECTIONS 32

struct elfgen_section {
    const char *name;
    uint32_t type;          /* SHT_*: 1 PROGBITS, 8 NOBITS, 0x0E INIT_ARRAY, ... */
    uint32_t addr;
    uint32_t size;
    uint32_t align;         /* sh_addralign (0 = 4) */
    uint8_t seed;           /* content pattern */
    const uint8_t *data;    /* NULL: the pattern */
    bool no_phdr;           /* no PT_LOAD for it (a loadable section has one) */
};

struct elfgen {
    uint16_t machine;       /* 0x5E Xtensa, 0xF3 RISC-V */
    uint32_t entry;
    size_t n;
    struct elfgen_section s[ELFGEN_MAX_SECTIONS];
};

/* The section list of a typical app for the chip; `variant` changes the
 * sizes (0: the smallest, with sizes that are not multiples of 4 and
 * sections that merge), `mmu_log2` goes into the descriptor's MMU page size
 * byte (0: none). */
void elfgen_app(struct elfgen *g, const struct chip *c, uint32_t variant, uint8_t mmu_log2);
/* The ELF file. */
int elfgen_build(const struct elfgen *g, uint8_t **out, size_t *len, struct err *e);

#endif
