/* libFuzzer target for the ELF reader and elf2image (lib/format/elf.c,
 * elf2image.c, e2i_save.c) and the image reader of image_info
 * (image_load.c).  The input is an ELF file; its length picks the chip and
 * the options (so a seed keeps meaning the same run).  Oracle, beyond
 * crashes: an image elf2image builds for an ESP32-family chip reads back
 * with esptool's reader, its checksum right and, when appended, its
 * SHA-256 too; flash-mapped segments sit at their address modulo the page.
 * Seeds: generated apps (lib/fwgen/elfgen.c; fuzz/corpus/fuzz_elf,
 * make_corpus). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chip_image.h"
#include "elf.h"
#include "elf2image.h"
#include "image_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void options(struct e2i_opts *o, size_t size)
{
    const struct chip *const *all = chip_all();
    size_t n = 0;
    while (all[n])
        n++;
    e2i_opts_init(o);
    o->chip = all[size % n];
    size_t k = size / n;
    o->version = 1 + (int)(k % 3);
    o->ram_only_header = k & 4;
    o->use_segments = k & 8;
    o->secure_pad_v2 = k & 16;
    o->dont_append_digest = k & 32;
    o->pad_to_size = k & 64 ? "4KB" : NULL;
}

static void check(const struct e2i_opts *o, const struct e2i_out *out)
{
    static struct iload img;
    struct err e;
    if (!o->chip->has_ext_header || o->pad_to_size || o->ram_only_header)
        return;
    if (iload_parse(out->image, out->image_len, o->chip, &img, NULL, NULL, &e) != 0) {
        if (strstr(e.msg, "Invalid segment count"))
            return;     /* padding can take an image past 16 segments, as in esptool */
        fprintf(stderr, "elf2image output unreadable: %s\n", e.msg);
        abort();
    }
    if (iload_checksum(&img) != img.checksum ||
        (img.append_digest && memcmp(img.calc_digest, img.stored_digest, 32)))
        abort();
    /* the page may be any of the chip's sizes (the app descriptor picks
     * it): aligned to it is aligned to the smallest */
    const struct chip_image *ci = chip_image(o->chip);
    uint32_t page = ci->mmu_sizes ? ci->mmu_sizes[0] : CHIP_IMAGE_PAGE;
    for (size_t i = 0; i < img.nseg; i++)
        if (chip_image_is_flash(ci, img.seg[i].addr) &&
            (img.seg[i].file_offs + 8) % page != img.seg[i].addr % page)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct e2i_opts o;
    struct e2i_out out;
    struct err e;
    struct elf elf;
    if (elf_parse(data, size, &elf, NULL, NULL, &e) == 0)
        elf_free(&elf);
    options(&o, size);
    if (elf2image(data, size, &o, &out, &e) == 0) {
        check(&o, &out);
        e2i_free(&out);
    }
    static struct iload img;
    iload_parse(data, size, o.chip, &img, NULL, NULL, &e);
    return 0;
}
