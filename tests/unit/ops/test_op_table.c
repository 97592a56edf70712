/* The table plan (lib/ops/op_table.c): which partitions a new table erases,
 * grows or refuses (reference §5.4 minus its bugs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "firmware_fixture.h"
#include "layout.h"
#include "op_table.h"

static void test_plan_erase_rules(void **state)
{
    (void)state;
    struct firmware fw;
    struct err e;
    struct table_plan *plan = malloc(sizeof *plan);
    struct fwgen_opts o = { .chip = chip_by_name("esp32"), .flash_size = 0x400000,
                            .table = FWGEN_TABLE_V125 };
    fixture_firmware(&fw, &o, "esp32");
    struct ptable t = fw.table;
    /* Rename only: nothing erased. */
    assert_int_equal(layout_rename(&t, "vfs", "ffat", &e), 0);
    assert_int_equal(op_table_plan(&fw, &t, fw.flash_size, plan, &e), 0);
    assert_true(plan->table_changed);
    assert_int_equal(plan->n_erase, 0);
    /* Grow the filesystem in place (-f 8M --resize vfs=0): warning only. */
    t = fw.table;
    assert_int_equal(layout_resize(&t, "vfs", 0, 0x800000, &e), 0);
    assert_int_equal(op_table_plan(&fw, &t, 0x800000, plan, &e), 0);
    assert_int_equal(plan->n_erase, 0);
    assert_int_equal(plan->n_grown, 1);
    assert_true(plan->size_changed);
    /* Shrink nvs: erased whole (small). Shrink vfs: first 16 KiB. */
    t = fw.table;
    assert_int_equal(layout_resize(&t, "nvs", 0x5000, fw.flash_size, &e), 0);
    assert_int_equal(layout_resize(&t, "vfs", 0x100000, fw.flash_size, &e), 0);
    assert_int_equal(op_table_plan(&fw, &t, fw.flash_size, plan, &e), 0);
    assert_int_equal(plan->n_erase, 2);
    assert_string_equal(plan->erase[0].part.name, "nvs");
    assert_int_equal(plan->erase[0].len, 0x5000);
    assert_int_equal(plan->erase[1].len, 0x4000);
    /* The app does not fit a smaller factory: refused. */
    t = fw.table;
    assert_int_equal(layout_app_size(&t, 0x100000, fw.flash_size, &e), 0);
    assert_int_equal(op_table_plan(&fw, &t, fw.flash_size, plan, &e), -1);
    assert_non_null(strstr(e.msg, "factory"));
    /* Moving the first app partition is refused. */
    t = fw.table;
    t.p[2].offset = 0x20000;
    t.p[2].size = 0x1e0000;
    assert_int_equal(op_table_plan(&fw, &t, fw.flash_size, plan, &e), -1);
    free(plan);
    firmware_close(&fw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_erase_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
