/* Internals of elf2image (elf2image.c: options, reading, merging;
 * e2i_save.c: the layout of each image class; e2i_seg.c: what both use). */
#ifndef MPI_E2I_IMPL_H
#define MPI_E2I_IMPL_H

#include "chip_image.h"
#include "elf.h"
#include "elf2image.h"

enum e2i_kind { E2I_FAMILY, E2I_V1, E2I_V2, E2I_V3 };

struct e2i_seg {
    uint32_t addr;
    uint8_t *data;          /* owned, len bytes */
    uint32_t len;
    const char *name;       /* NULL: a padding segment */
    uint32_t align;
    size_t order;           /* for a stable sort */
};

struct e2i {
    const struct e2i_opts *o;
    enum e2i_kind kind;
    const struct chip_image *ci;     /* the chip's ranges */
    const struct chip_image *map;    /* memory map used for merging (v3: ESP32's) */
    const struct chip_image *codes;  /* size and frequency codes (v3: ESP32's) */
    const char *loader_name;         /* ROM_LOADER.CHIP_NAME of the class */
    struct elf elf;
    struct e2i_seg *segs;
    size_t nsegs;
    uint32_t entry;
    uint32_t page;                   /* IROM_ALIGN */
    uint8_t mode, size_freq;
    uint64_t pad_to;
    int secure_pad;                  /* 0, 1 or 2 */
    bool digest;
    uint32_t sha_offset;             /* 0: no ELF SHA-256 to insert */
    uint8_t elf_sha[32];
};

void e2i_say(const struct e2i_opts *o, enum e2i_say kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool e2i_is_flash(const struct e2i *m, uint32_t addr);
void e2i_sort(struct e2i_seg *s, size_t n);
/* Zero-extend a segment's data to len bytes. */
int e2i_grow(struct e2i_seg *s, uint32_t len, struct err *e);
/* The image class's save(): the bytes of the file(s). */
int e2i_save(struct e2i *m, struct e2i_out *out, struct err *e);

#endif
