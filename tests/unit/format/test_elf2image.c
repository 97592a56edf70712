/* elf2image, make_image and the ELF reader against expectations derived by
 * hand from the image format (../shared/docs/esptool-commands.md §1-§2):
 * byte positions, segment order, padding, checksum and digest placement.
 * The ELF inputs come from the project's generator (lib/fwgen/elfgen.c).
 * Nothing here was copied from esptool's output; the comparison with
 * esptool v5.3.1 itself was done outside the tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bytes.h"
#include "elf.h"
#include "elf2image.h"
#include "elfgen.h"
#include "hash.h"
#include "image_load.h"

static uint8_t *build(const struct elfgen *g, size_t *len)
{
    uint8_t *b;
    struct err e;
    assert_int_equal(elfgen_build(g, &b, len, &e), 0);
    return b;
}

static void add(struct elfgen *g, const char *name, uint32_t type, uint32_t addr, uint32_t size,
                uint8_t seed)
{
    g->s[g->n++] = (struct elfgen_section){ name, type, addr, size, 4, seed, NULL, false };
}

static int make(const struct elfgen *g, const char *chip, struct e2i_opts *o, struct e2i_out *out)
{
    size_t len;
    uint8_t *elf = build(g, &len);
    struct err e;
    o->chip = chip_by_name(chip);
    int rc = elf2image(elf, len, o, out, &e);
    free(elf);
    return rc;
}

static uint8_t pattern(uint32_t i, uint8_t seed)
{
    return (uint8_t)(7 * i + seed);
}

/* One DRAM section: header, extended header, one segment, checksum at the
 * 16-byte boundary, SHA-256 of all before it. */
static void test_single_ram_segment(void **state)
{
    (void)state;
    struct elfgen g = { .machine = 0x5E, .entry = 0x40080404 };
    add(&g, ".dram0.data", 1, 0x3FFB0000, 8, 5);
    struct e2i_opts o;
    e2i_opts_init(&o);
    struct e2i_out out;
    assert_int_equal(make(&g, "esp32", &o, &out), 0);
    const uint8_t *b = out.image;
    /* 24 header + 8 segment header + 8 data = 40; checksum at 47; + 32 */
    assert_int_equal(out.image_len, 48 + 32);
    static const uint8_t head[24] = { 0xE9, 1, 0, 0x00, 0x04, 0x04, 0x08, 0x40, 0xEE, 0, 0, 0,
                                      0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0, 1 };
    assert_memory_equal(b, head, 24);
    assert_int_equal(get_le32(b + 24), 0x3FFB0000);
    assert_int_equal(get_le32(b + 28), 8);
    uint8_t chk = 0xEF;
    for (uint32_t i = 0; i < 8; i++) {
        assert_int_equal(b[32 + i], pattern(i, 5));
        chk ^= pattern(i, 5);
    }
    for (int i = 40; i < 47; i++)
        assert_int_equal(b[i], 0);
    assert_int_equal(b[47], chk);
    uint8_t sha[32];
    hash_sha256(b, 48, sha);
    assert_memory_equal(b + 48, sha, 32);
    e2i_free(&out);
}

/* A DROM and an IROM section: the IROM data must sit at a file offset equal
 * to its address modulo 64 KB; the gap is the RAM segment, then zeros. */
static void test_flash_alignment(void **state)
{
    (void)state;
    struct elfgen g = { .machine = 0x5E, .entry = 0x40080000 };
    add(&g, ".flash.rodata", 1, 0x3F400020, 0x100, 1);
    add(&g, ".flash.text", 1, 0x400D0020, 0x80, 2);
    add(&g, ".dram0.data", 1, 0x3FFB0000, 0x20, 5);
    struct e2i_opts o;
    e2i_opts_init(&o);
    struct e2i_out out;
    assert_int_equal(make(&g, "esp32", &o, &out), 0);
    static struct iload img;
    struct err e;
    assert_int_equal(iload_parse(out.image, out.image_len, chip_by_name("esp32"), &img, NULL,
                                 NULL, &e), 0);
    /* DROM already aligned at 0x18 (data at 0x20); after it (end 0x120)
     * IROM needs 0xFEF0 bytes of gap: the whole DRAM segment (0x20 at
     * 0x120), then a zero segment of 0xFEC8 at 0x148, IROM header 0x10018 */
    assert_int_equal(img.nseg, 4);
    assert_int_equal(out.image[1], 4);
    assert_int_equal(img.seg[0].addr, 0x3F400020);
    assert_int_equal(img.seg[0].file_offs, 0x18);
    assert_int_equal(img.seg[1].addr, 0x3FFB0000);
    assert_int_equal(img.seg[1].file_offs, 0x120);
    assert_int_equal(img.seg[2].addr, 0);
    assert_int_equal(img.seg[2].len, 0xFEC8);
    assert_int_equal(img.seg[3].addr, 0x400D0020);
    assert_int_equal(img.seg[3].file_offs, 0x10018);
    for (size_t i = 0; i < img.nseg; i += 3)
        assert_int_equal((img.seg[i].file_offs + 8) % 0x10000, img.seg[i].addr % 0x10000);
    assert_int_equal(iload_checksum(&img), img.checksum);
    assert_memory_equal(img.calc_digest, img.stored_digest, 32);
    e2i_free(&out);
}

/* Sections that end where the next starts, in one memory type, merge;
 * a 0x62-byte section is padded to 0x64 first. */
static void test_merge(void **state)
{
    (void)state;
    struct elfgen g = { .machine = 0xF3, .entry = 0x4037C000 };
    add(&g, ".iram0.vectors", 1, 0x4037C000, 0x400, 3);
    add(&g, ".iram0.text", 1, 0x4037C400, 0x62, 4);
    add(&g, ".iram0.more", 1, 0x4037C464, 0x10, 6);
    struct e2i_opts o;
    e2i_opts_init(&o);
    o.dont_append_digest = true;
    struct e2i_out out;
    assert_int_equal(make(&g, "esp32c3", &o, &out), 0);
    assert_int_equal(out.image[1], 1);
    assert_int_equal(out.image[23], 0);
    assert_int_equal(get_le32(out.image + 28), 0x400 + 0x64 + 0x10);
    assert_int_equal(out.image[32 + 0x400 + 0x62], 0);      /* the padding */
    assert_int_equal(out.image[32 + 0x464], pattern(0, 6));
    assert_int_equal(out.image_len % 16, 0);                 /* no digest */
    e2i_free(&out);
}

/* --secure-pad-v2: the image plus a 32-byte digest ends on 64 KB. */
static void test_secure_pad_and_pad_to_size(void **state)
{
    (void)state;
    struct elfgen g;
    elfgen_app(&g, chip_by_name("esp32s3"), 0, 0);
    struct e2i_opts o;
    e2i_opts_init(&o);
    o.secure_pad_v2 = true;
    struct e2i_out out;
    assert_int_equal(make(&g, "esp32s3", &o, &out), 0);
    assert_int_equal(out.image_len % 0x10000, 0);
    e2i_free(&out);
    e2i_opts_init(&o);
    o.pad_to_size = "4KB";
    assert_int_equal(make(&g, "esp32s3", &o, &out), 0);
    assert_int_equal(out.image_len % 4096, 0);
    assert_int_equal(out.image[out.image_len - 1], 0xFF);
    e2i_free(&out);
}

/* The ELF's SHA-256 goes into the app descriptor at image offset 0xB0. */
static void test_elf_sha256(void **state)
{
    (void)state;
    struct elfgen g;
    elfgen_app(&g, chip_by_name("esp32c6"), 1, 0);
    size_t len;
    uint8_t *elf = build(&g, &len), sha[32];
    hash_sha256(elf, len, sha);
    struct e2i_opts o;
    e2i_opts_init(&o);
    o.chip = chip_by_name("esp32c6");
    struct e2i_out out;
    struct err e;
    assert_int_equal(elf2image(elf, len, &o, &out, &e), 0);
    assert_int_equal(get_le32(out.image + 0x20), 0xABCD5432);   /* descriptor first */
    assert_memory_equal(out.image + 0xB0, sha, 32);
    free(elf);
    e2i_free(&out);
}

/* ESP8266 v1: the non-irom segments in ELF order, unsorted, no digest; the
 * irom0 section as a raw second file at its offset from 0x40200000. */
static void test_esp8266_v1(void **state)
{
    (void)state;
    struct elfgen g;
    elfgen_app(&g, chip_by_name("esp8266"), 0, 0);
    struct e2i_opts o;
    e2i_opts_init(&o);
    struct e2i_out out;
    assert_int_equal(make(&g, "esp8266", &o, &out), 0);
    assert_true(out.two_files);
    assert_int_equal(out.irom_offset, 0x10000);
    assert_int_equal(out.irom_len, 252);                  /* 250 padded to 4 */
    /* .data 32 + .rodata 60 merge into 0x5c at 0x3FFE8000; .text 128 */
    assert_int_equal(out.image[0], 0xE9);
    assert_int_equal(out.image[1], 2);
    assert_int_equal(out.image[3], 0x20);                 /* 1MB in ESP8266's table */
    assert_int_equal(get_le32(out.image + 8), 0x3FFE8000);
    assert_int_equal(get_le32(out.image + 12), 0x5C);
    assert_int_equal(get_le32(out.image + 16 + 0x5C), 0x40100000);
    assert_int_equal(out.image_len, 256);                 /* 0xFC ends at 0xFF with the checksum */
    char n1[64], n2[64];
    e2i_output_names(&o, &out, "dir/app.elf", NULL, n1, n2, sizeof n1);
    assert_string_equal(n1, "dir/app.elf-0x00000.bin");
    assert_string_equal(n2, "dir/app.elf-0x10000.bin");
    e2i_free(&out);
}

/* ESP8266 v2: the irom0 segment at address 0 padded to 16, then a v1
 * image, then the SDK CRC-32. */
static void test_esp8266_v2(void **state)
{
    (void)state;
    struct elfgen g;
    elfgen_app(&g, chip_by_name("esp8266"), 0, 0);
    struct e2i_opts o;
    e2i_opts_init(&o);
    o.version = 2;
    struct e2i_out out;
    assert_int_equal(make(&g, "esp8266", &o, &out), 0);
    assert_int_equal(out.image[0], 0xEA);
    assert_int_equal(out.image[1], 4);
    assert_int_equal(get_le32(out.image + 8), 0);
    assert_int_equal(get_le32(out.image + 12), 0x100);    /* 252 padded to 16 */
    assert_int_equal(out.image[16 + 0x100], 0xE9);
    assert_int_equal(out.image_len % 16, 4);              /* checksum on 16, then the CRC */
    char n1[64], n2[64];
    e2i_output_names(&o, &out, "app.elf", NULL, n1, n2, sizeof n1);
    assert_string_equal(n1, "app-0x10000.bin");
    e2i_free(&out);
}

static void test_make_image(void **state)
{
    (void)state;
    static const uint8_t a[30] = { 1 }, b[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
    struct e2i_file_seg s[2] = { { 0x40100000, a, 30 }, { 0x3FFE8000, b, 16 } };
    struct e2i_out out;
    struct err e;
    assert_int_equal(e2i_make_image(s, 2, 0x40100004, &out, &e), 0);
    /* 8 + (8 + 32) + (8 + 16) = 72: checksum at 79 */
    assert_int_equal(out.image_len, 80);
    assert_int_equal(out.image[1], 2);
    assert_int_equal(get_le32(out.image + 12), 32);
    uint8_t chk = 0xEF ^ 1;             /* a's first byte; b's sixteen ones cancel */
    assert_int_equal(out.image[79], chk);
    assert_null(out.irom);
    e2i_free(&out);
}

static void test_elf_errors(void **state)
{
    (void)state;
    struct elf elf;
    struct err e;
    uint8_t small[10] = { 0x7F, 'E', 'L', 'F' };
    assert_int_equal(elf_parse(small, sizeof small, &elf, NULL, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "valid ELF header"));
    struct elfgen g = { .machine = 0x28, .entry = 4 };
    add(&g, ".text", 1, 0x40080000, 4, 0);
    size_t len;
    uint8_t *b = build(&g, &len);
    assert_int_equal(elf_parse(b, len, &elf, NULL, NULL, &e), -1);
    assert_string_equal(e.msg, "Image does not appear to be an Xtensa or an RISCV ELF image. "
                               "(e_machine = 0x0028)");
    b[0] = 0;
    assert_int_equal(elf_parse(b, len, &elf, NULL, NULL, &e), -1);
    assert_string_equal(e.msg, "Image has invalid ELF magic header");
    free(b);
}

static void test_too_many_segments(void **state)
{
    (void)state;
    struct elfgen g = { .machine = 0x5E, .entry = 0x40080000 };
    for (uint32_t i = 0; i < 17; i++)
        add(&g, ".dram0.data", 1, 0x3FFB0000 + 0x100 * i, 4, (uint8_t)i);
    struct e2i_opts o;
    e2i_opts_init(&o);
    o.chip = chip_by_name("esp32");
    size_t len;
    uint8_t *elf = build(&g, &len);
    struct e2i_out out;
    struct err e;
    assert_int_equal(elf2image(elf, len, &o, &out, &e), -1);
    assert_string_equal(e.msg, "Invalid segment count 17 (max 16). Usually this indicates a "
                               "linker script problem.");
    free(elf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_ram_segment),
        cmocka_unit_test(test_flash_alignment),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_secure_pad_and_pad_to_size),
        cmocka_unit_test(test_elf_sha256),
        cmocka_unit_test(test_esp8266_v1),
        cmocka_unit_test(test_esp8266_v2),
        cmocka_unit_test(test_make_image),
        cmocka_unit_test(test_elf_errors),
        cmocka_unit_test(test_too_many_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
