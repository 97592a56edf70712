/* Image format: header parse, layout, checksum, SHA-256, descriptors, flash
 * size rewrite, incremental length discovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fwgen.h"
#include "hash.h"
#include "image.h"

static uint8_t *app(const char *chip, size_t *len)
{
    struct fwgen_opts o = { .chip = chip_by_name(chip), .flash_size = 0x400000, .app_size = 0x20000 };
    uint8_t *buf;
    struct err e;
    assert_int_equal(fwgen_app(&o, &buf, len, &e), 0);
    return buf;
}

static void test_parse_and_verify(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = app("esp32s3", &len);
    struct image_info img;
    struct err e;
    assert_int_equal(image_parse(b, len, &img, &e), 0);
    assert_string_equal(img.chip->name, "esp32s3");
    assert_int_equal(img.segment_count, 4);
    assert_int_equal(img.total_len, len);
    assert_int_equal(img.data_len % 16, 0);
    assert_int_equal(img.data_len + 32, len);
    image_verify(b, &img);
    assert_true(img.checksum_ok);
    assert_true(img.sha_ok);
    assert_true(img.has_app_desc);
    assert_string_equal(img.app.project_name, "micropython");
    assert_string_equal(img.app.version, "v1.26.0");
    /* The checksum covers segment data only: flip a data byte. */
    b[img.seg[1].data_offset + 3] ^= 0x01;
    image_verify(b, &img);
    assert_false(img.checksum_ok);
    assert_false(img.sha_ok);
    free(b);
}

/* The smallest apps fwgen makes are still whole images (a tiny app_size
 * used to wrap the last segment's length around to 4 GB). */
static void test_smallest_app(void **state)
{
    (void)state;
    for (uint32_t size = 0x1000; size <= 0x6000; size += 0x800) {
        struct fwgen_opts o = { .chip = chip_by_name("esp32"), .flash_size = 0x400000,
                                .app_size = size };
        uint8_t *b;
        size_t len;
        struct err e;
        struct image_info img;
        assert_int_equal(fwgen_app(&o, &b, &len, &e), 0);
        assert_true(len <= 0x6100);
        assert_int_equal(image_parse(b, len, &img, &e), 0);
        image_verify(b, &img);
        assert_true(img.checksum_ok && img.sha_ok);
        free(b);
    }
}

static void test_truncated_and_bad(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = app("esp32", &len);
    struct image_info img;
    struct err e;
    for (size_t cut = 0; cut < len; cut += 997)
        assert_int_equal(image_parse(b, cut, &img, &e), -1);
    assert_int_equal(image_parse(b, len - 1, &img, &e), -1);
    assert_non_null(strstr(e.msg, "truncated"));
    b[0] = 0xE8;
    assert_int_equal(image_parse(b, len, &img, &e), -1);
    assert_non_null(strstr(e.msg, "magic"));
    b[0] = 0xE9;
    b[12] = 0x77;   /* unknown chip */
    assert_int_equal(image_parse(b, len, &img, &e), -1);
    assert_non_null(strstr(e.msg, "chip"));
    b[12] = 0;
    b[1] = 17;      /* too many segments */
    assert_int_equal(image_parse(b, len, &img, &e), -1);
    b[1] = 4;
    b[24 + 4 + 3] = 0x7F;   /* absurd first segment length */
    assert_int_equal(image_parse(b, len, &img, &e), -1);
    free(b);
}

static void test_bytes_needed_walks_headers(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = app("esp32c3", &len);
    size_t have = 0;
    int steps = 0;
    uint32_t need;
    while ((need = image_bytes_needed(b, have)) != 0) {
        assert_true(need > have);
        assert_true(need <= len);
        have = need;
        steps++;
    }
    /* header, 4 segment headers, then the whole image */
    assert_int_equal(steps, 6);
    assert_int_equal(have, len);
    free(b);
}

static void test_set_flash_size_rehashes(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = app("esp32", &len);
    uint8_t *copy = malloc(len + 100);
    memcpy(copy, b, len);
    memset(copy + len, 0x5A, 100);      /* trailing bytes must survive */
    struct err e;
    assert_int_equal(image_set_flash_params(copy, len + 100, -1, -1, 3, &e), 0);
    assert_int_equal(copy[3], 0x30);
    struct image_info img;
    assert_int_equal(image_parse(copy, len, &img, &e), 0);
    uint8_t sha[32];
    hash_sha256(copy, img.data_len, sha);
    assert_memory_equal(copy + img.data_len, sha, 32);
    for (int i = 0; i < 100; i++)
        assert_int_equal(copy[len + i], 0x5A);
    /* Only byte 3 and the digest changed. */
    int diffs = 0;
    for (size_t i = 0; i < len; i++)
        diffs += copy[i] != b[i];
    assert_true(diffs >= 2 && diffs <= 33);
    free(copy);
    free(b);
}

static void test_size_codes(void **state)
{
    (void)state;
    struct err e;
    assert_int_equal(image_size_code(0x100000, &e), 0);
    assert_int_equal(image_size_code(0x8000000, &e), 7);
    assert_int_equal(image_size_code(0x600000, &e), -1);
    assert_int_equal(image_size_code(0x10000000, &e), -1);
    assert_int_equal(image_size_code(0, &e), -1);
    assert_int_equal(image_size_from_code(2), 0x400000);
    assert_int_equal(image_size_from_code(8), 0);
    assert_int_equal(image_mode_code("dio"), 2);
    assert_int_equal(image_mode_code("QIO"), 0);
    assert_int_equal(image_mode_code("quad"), -1);
}

static void test_every_chip(void **state)
{
    (void)state;
    for (const struct chip *const *c = chip_all(); *c; c++) {
        if (!(*c)->has_ext_header)
            continue;
        size_t len;
        uint8_t *b = app((*c)->name, &len);
        struct image_info img;
        struct err e;
        assert_int_equal(image_parse(b, len, &img, &e), 0);
        assert_ptr_equal(img.chip, *c);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_verify),
        cmocka_unit_test(test_smallest_app),
        cmocka_unit_test(test_truncated_and_bad),
        cmocka_unit_test(test_bytes_needed_walks_headers),
        cmocka_unit_test(test_set_flash_size_rehashes),
        cmocka_unit_test(test_size_codes),
        cmocka_unit_test(test_every_chip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
