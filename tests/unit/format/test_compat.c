/* Bootloader/app compatibility (lib/format/compat.c): ESP-IDF versions, the
 * verdicts, the pairings suggested, the bootloader's own version from its
 * descriptor or banner, chip revisions and the security eFuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "compat.h"
#include "fwgen.h"

static void test_versions(void **state)
{
    (void)state;
    struct idf_ver v, w;
    assert_true(idf_ver_parse("v4.4.7-dirty", &v));
    assert_int_equal(v.major, 4);
    assert_int_equal(v.minor, 4);
    assert_int_equal(v.patch, 7);
    assert_true(idf_ver_parse("5.1-rc2", &v));
    assert_int_equal(v.patch, -1);
    assert_true(idf_ver_parse("v3.3.5-1-g85c43024c", &v));
    assert_false(idf_ver_parse("9e627e7-dirty", &v));
    assert_false(idf_ver_parse("", &v));
    assert_false(idf_ver_parse("v4", &v));
    assert_false(idf_ver_parse("v4.4x", &v));
    assert_true(idf_ver_parse("v4.4", &w));
    assert_true(idf_ver_parse("v4.4.7", &v));
    assert_int_equal(idf_ver_cmp(&v, &w), 0);      /* no patch: any patch */
    assert_true(idf_ver_parse("v4.10.0", &w));
    assert_true(idf_ver_cmp(&v, &w) < 0);
}

/* The verdicts, as a table: bootloader, app, result. */
static void test_verdicts(void **state)
{
    (void)state;
    static const struct {
        const char *boot, *app;
        enum compat_result want;
    } cases[] = {
        { "v3.3", "v4.0.2", COMPAT_REFUSED },        /* v3 bootloaders: no v4 apps */
        { "v3.3.5", "v4.4.7", COMPAT_REFUSED },
        { "v4.1", "v4.0", COMPAT_REFUSED },          /* an app older than the bootloader */
        { "v4.1.2", "v4.0.2", COMPAT_REFUSED },
        { "v4.4.7", "v4.4.6", COMPAT_REFUSED },      /* the bugfix field counts */
        { "v5.0", "v5.2", COMPAT_OK },
        { "v5.0.1", "v5.2.2", COMPAT_OK },
        { "v4.1", "v4.2", COMPAT_OK },
        { "v3.3", "v3.3.4", COMPAT_OK },
        { "v4.4.7-dirty", "v4.4.7", COMPAT_OK },
        { "v5.4.2", "v6.0", COMPAT_OK },             /* v5 bootloaders boot v6 apps */
        { "v4.4", "v5.0.2", COMPAT_REFUSED },        /* the same major line only */
        { "v2.1", "v3.3", COMPAT_REFUSED },          /* before v3.1: no MicroPython app */
        { "", "v5.2.2", COMPAT_UNKNOWN },
        { "9e627e7-dirty", "v5.2.2", COMPAT_UNKNOWN },
        { "v5.2", "", COMPAT_UNKNOWN },
        { "v7.0", "v7.1", COMPAT_UNKNOWN },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct compat_verdict v;
        compat_check(cases[i].boot, cases[i].app, chip_by_name("esp32"), &v);
        if (v.result != cases[i].want)
            fail_msg("bootloader %s, app %s: result %d, want %d (%s)", cases[i].boot,
                     cases[i].app, v.result, cases[i].want, v.reason);
        assert_true(v.reason[0] != '\0');
        assert_int_equal(v.suggestion[0] != '\0', v.result == COMPAT_REFUSED);
    }
}

static void expect_suggestion(const char *boot, const char *chip, const char *a, const char *b)
{
    struct compat_verdict v;
    compat_check(boot, "v9.0", chip_by_name(chip), &v);
    if (!strstr(v.suggestion, a) || !strstr(v.suggestion, b))
        fail_msg("bootloader %s (%s): suggestion '%s', want '%s' and '%s'", boot, chip,
                 v.suggestion, a, b);
}

static void test_suggestions(void **state)
{
    (void)state;
    expect_suggestion("v4.1", "esp32", "MicroPython v1.20.0 from micropython.org", "v4.2");
    expect_suggestion("v4.4", "esp32s3", "MicroPython v1.20.0 from micropython.org", "v4.4");
    expect_suggestion("v4.4.7", "esp32", "v1.20.0 built yourself", "v4.4.7");
    expect_suggestion("v3.3.5", "esp32", "MicroPython v1.14", "v3.3");
    expect_suggestion("v5.0.1", "esp32", "v1.28.0", "v5.5.1");
    expect_suggestion("v2.1", "esp32", "none", "serial");
}

static void boot_version(bool desc, const char *want_from)
{
    struct fwgen_opts o = { .chip = chip_by_name("esp32"), .boot_idf = "v4.4.7",
                            .boot_no_desc = !desc, .table = FWGEN_TABLE_OTA };
    uint8_t *buf;
    size_t len;
    uint32_t base;
    struct err e;
    struct image_info img;
    char ver[IDF_VER_TEXT];
    assert_int_equal(fwgen_firmware(&o, &buf, &len, &base, &e), 0);
    assert_int_equal(image_parse(buf, len, &img, &e), 0);
    image_verify(buf, &img);
    assert_int_equal(img.has_boot_desc, desc);
    assert_string_equal(compat_boot_idf(buf, img.total_len, &img, ver), want_from);
    assert_string_equal(ver, "v4.4.7");
    /* without the banner a bootloader with no descriptor tells nothing */
    uint8_t *banner = NULL;
    for (size_t i = 0; !banner && i + 9 <= img.total_len; i++)
        if (memcmp(buf + i, "2nd stage", 9) == 0)
            banner = buf + i;
    if (!desc) {
        assert_non_null(banner);
        banner[0] = 'X';
        assert_null(compat_boot_idf(buf, img.total_len, &img, ver));
        assert_string_equal(ver, "");
    }
    free(buf);
}

static void test_bootloader_version(void **state)
{
    (void)state;
    boot_version(true, "esp_bootloader_desc_t");
    boot_version(false, "banner string");
}

static void test_revisions(void **state)
{
    (void)state;
    struct image_info img = { 0 };
    unsigned lo, hi;
    char name[12];
    img.chip = chip_by_name("esp32");
    img.min_rev = 3;
    img.max_rev_full = 0xFFFF;
    compat_rev_range(&img, &lo, &hi);           /* legacy byte: the major revision */
    assert_int_equal(lo, 300);
    assert_int_equal(hi, COMPAT_REV_ANY);
    img.min_rev_full = 101;
    img.max_rev_full = 199;
    compat_rev_range(&img, &lo, &hi);
    assert_int_equal(lo, 101);
    assert_int_equal(hi, 199);
    compat_rev_name(301, name);
    assert_string_equal(name, "v3.1");
    compat_rev_name(COMPAT_REV_ANY, name);
    assert_string_equal(name, "any");
}

static void test_security(void **state)
{
    (void)state;
    struct chip_security s;
    uint8_t info[20] = { 0 };
    compat_security_info(info, sizeof info, &s);
    assert_true(s.known);
    assert_false(s.secure_boot || s.flash_encryption);
    info[0] = 1;                                /* SECURE_BOOT_EN */
    info[4] = 0x07;                             /* three bits: encryption on */
    compat_security_info(info, 12, &s);
    assert_true(s.secure_boot && s.flash_encryption);
    info[4] = 0x03;                             /* two bits: off again */
    compat_security_info(info, 12, &s);
    assert_false(s.flash_encryption);
    compat_security_esp32(1u << 20, 0, 100, &s);
    assert_true(s.flash_encryption);
    assert_false(s.secure_boot);
    compat_security_esp32(3u << 20, 1u << 5, 100, &s);   /* ABS_DONE_1 needs revision 3 */
    assert_false(s.flash_encryption || s.secure_boot);
    compat_security_esp32(0, 1u << 5, 300, &s);
    assert_true(s.secure_boot);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_suggestions),
        cmocka_unit_test(test_bootloader_version),
        cmocka_unit_test(test_revisions),
        cmocka_unit_test(test_security),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
