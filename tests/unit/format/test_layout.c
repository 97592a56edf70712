/* Layouts: presets per flash size (reference §5.1), packing, resize moving
 * later partitions, add/delete/rename. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "layout.h"

#define MB 0x100000u

static void build_preset(const char *name, uint32_t flash, struct ptable *t, int expect_rc)
{
    struct layout_item items[8];
    struct err e;
    int n = layout_preset(name, 0x10000, 0, flash, items);
    assert_true(n > 0);
    assert_int_equal(layout_build(items, n, flash, t, &e), expect_rc);
}

static void expect_part(const struct ptable *t, const char *name, uint32_t off, uint32_t size)
{
    const struct part *p = ptable_find(t, name);
    assert_non_null(p);
    assert_int_equal(p->offset, off);
    assert_int_equal(p->size, size);
}

static void test_ota_preset_sizes(void **state)
{
    (void)state;
    struct ptable t;
    build_preset("ota", 4 * MB, &t, 0);
    expect_part(&t, "nvs", 0x9000, 0x5000);
    expect_part(&t, "otadata", 0xe000, 0x2000);
    expect_part(&t, "ota_0", 0x10000, 0x180000);
    expect_part(&t, "ota_1", 0x190000, 0x180000);
    expect_part(&t, "vfs", 0x310000, 0xf0000);
    build_preset("ota", 8 * MB, &t, 0);
    expect_part(&t, "ota_1", 0x210000, 0x200000);
    expect_part(&t, "vfs", 0x410000, 0x3f0000);
    build_preset("ota", 16 * MB, &t, 0);
    expect_part(&t, "ota_1", 0x280000, 0x270000);
    expect_part(&t, "vfs", 0x4f0000, 0xb10000);
    build_preset("ota", 2 * MB, &t, -1);      /* no room for ota_1 */
}

static void test_default_and_original(void **state)
{
    (void)state;
    struct ptable t;
    build_preset("original", 4 * MB, &t, 0);
    assert_int_equal(t.n, 4);
    expect_part(&t, "phy_init", 0xf000, 0x1000);
    expect_part(&t, "vfs", 0x200000, 0x200000);
    assert_int_equal(ptable_find(&t, "vfs")->subtype, PART_SUBTYPE_FAT);
    build_preset("default", 8 * MB, &t, 0);
    expect_part(&t, "nvs", 0x9000, 0x7000);
    expect_part(&t, "vfs", 0x200000, 0x600000);
    struct layout_item items[8];
    assert_int_equal(layout_preset("nonsense", 0x10000, 0, 4 * MB, items), -1);
}

static void test_layout_aligns_apps(void **state)
{
    (void)state;
    struct layout_item items[3] = {
        { "nvs", "", 0, 0x6000 }, { "factory", "", 0, 0x1f0000 }, { "vfs", "", 0, 0 },
    };
    struct ptable t;
    struct err e;
    assert_int_equal(layout_build(items, 3, 4 * MB, &t, &e), 0);
    expect_part(&t, "factory", 0x10000, 0x1f0000);      /* not 0xf000 */
    expect_part(&t, "vfs", 0x200000, 0x200000);
    assert_int_equal(ptable_validate(&t, 4 * MB, &e), 0);
}

static void test_resize_moves_following(void **state)
{
    (void)state;
    struct ptable t;
    struct err e;
    build_preset("original", 4 * MB, &t, 0);
    assert_int_equal(layout_resize(&t, "nvs", 0x7000, 4 * MB, &e), 0);
    /* phy_init moved up to 0x10000, factory to the next 64 KiB boundary */
    expect_part(&t, "phy_init", 0x10000, 0x1000);
    expect_part(&t, "factory", 0x20000, 0x1f0000);
    expect_part(&t, "vfs", 0x210000, 0x1f0000);      /* clipped at the end of flash */
    build_preset("original", 4 * MB, &t, 0);
    assert_int_equal(layout_resize(&t, "vfs", 0x100000, 4 * MB, &e), 0);
    assert_int_equal(layout_resize(&t, "vfs", 0, 4 * MB, &e), 0);      /* fill again */
    expect_part(&t, "vfs", 0x200000, 0x200000);
    assert_int_equal(layout_resize(&t, "nope", 0, 4 * MB, &e), -1);
    assert_non_null(strstr(e.msg, "nope"));
}

static void test_add_delete_rename(void **state)
{
    (void)state;
    struct ptable t;
    struct err e;
    build_preset("original", 4 * MB, &t, 0);
    assert_int_equal(layout_resize(&t, "vfs", 0x100000, 4 * MB, &e), 0);
    struct layout_item add = { "data", "fat", 0, 0x32000 };
    assert_int_equal(layout_add(&t, &add, 4 * MB, &e), 0);
    expect_part(&t, "data", 0x300000, 0x32000);
    assert_int_equal(layout_add(&t, &add, 4 * MB, &e), -1);       /* exists */
    struct layout_item big = { "big", "fat", 0, 0x200000 };
    assert_int_equal(layout_add(&t, &big, 4 * MB, &e), -1);       /* no room */
    assert_int_equal(layout_rename(&t, "data", "ffat", &e), 0);
    assert_non_null(ptable_find(&t, "ffat"));
    assert_int_equal(layout_rename(&t, "ffat", "vfs", &e), -1);    /* duplicate */
    assert_int_equal(layout_rename(&t, "ffat", "seventeen-chars-x", &e), -1);
    assert_int_equal(layout_delete(&t, "ffat", &e), 0);
    assert_null(ptable_find(&t, "ffat"));
    assert_int_equal(layout_delete(&t, "ffat", &e), -1);
    /* An overlapping add passes layout_add but not validation. */
    struct layout_item over = { "x", "fat", 0x100000, 0x10000 };
    assert_int_equal(layout_add(&t, &over, 4 * MB, &e), 0);
    assert_int_equal(ptable_validate(&t, 4 * MB, &e), -1);
}

static void test_subtype_inference(void **state)
{
    (void)state;
    int type;
    struct err e;
    assert_int_equal(layout_subtype("otadata", "", &type, &e), PART_SUBTYPE_OTADATA);
    assert_int_equal(type, PART_TYPE_DATA);
    assert_int_equal(layout_subtype("vfs", NULL, &type, &e), PART_SUBTYPE_FAT);
    assert_int_equal(layout_subtype("ota_1", "", &type, &e), PART_SUBTYPE_OTA_0 + 1);
    assert_int_equal(type, PART_TYPE_APP);
    assert_int_equal(layout_subtype("x", "littlefs", &type, &e), PART_SUBTYPE_LITTLEFS);
    assert_int_equal(layout_subtype("foo", "", &type, &e), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ota_preset_sizes),
        cmocka_unit_test(test_default_and_original),
        cmocka_unit_test(test_layout_aligns_apps),
        cmocka_unit_test(test_resize_moves_following),
        cmocka_unit_test(test_add_delete_rename),
        cmocka_unit_test(test_subtype_inference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
