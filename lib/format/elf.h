/* The ELF reader of esptool's elf2image (esptool v5.3.1 bin_image.py,
 * class ELFFile; ../shared/docs/esptool-commands.md §1.2): a 32-bit
 * little-endian ELF read for the sections and PT_LOAD program headers that
 * carry bytes to load, with esptool's checks and messages.  Bytes in: the
 * result points into the caller's buffer (which must outlive it).
 *
 *  - sections with an address and a size, of type PROGBITS, INIT_ARRAY,
 *    FINI_ARRAY or PREINIT_ARRAY, in section-table order (NOBITS and STRTAB
 *    quietly skipped, any other type skipped with a warning);
 *  - program headers of type PT_LOAD with a physical address and a file
 *    size, named "PHDR";
 *  - data read as far as the file has it (a section running past the end
 *    of the file is short, as Python's read() makes it). */
#ifndef MPI_ELF_H
#define MPI_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct elf_chunk {
    const char *name;          /* NUL-terminated, inside the string table */
    uint32_t addr;             /* sh_addr, or p_paddr */
    const uint8_t *data;       /* in the input */
    uint32_t len;              /* bytes present (at most the declared size) */
    uint32_t align;            /* sh_addralign / p_align */
};

/* Called for each warning, in order ("Unknown section type 0x70000003 in ELF
 * file"); NULL: none. */
typedef void (*elf_warn_fn)(void *ctx, const char *msg);

struct elf {
    uint32_t entry;
    uint16_t machine;
    struct elf_chunk *sections;    /* owned */
    size_t nsections;
    struct elf_chunk *segments;    /* owned */
    size_t nsegments;
    bool has_phdrs;                /* e_phnum != 0 */
};

/* Parse `len` bytes.  The messages of esptool's fatal errors, with "Image"
 * for the file ("Image has invalid ELF magic header"). */
int elf_parse(const uint8_t *buf, size_t len, struct elf *out, elf_warn_fn warn, void *ctx,
              struct err *e);
void elf_free(struct elf *elf);

#endif
