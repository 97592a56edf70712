/* The firmware model over a file flash: layout detection for every chip and
 * kind, pseudo partitions, implicit vfs, the file flash's semantics, and the
 * table plan's erase rules (reference §5.4 minus its bugs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "firmware.h"
#include "flash_file.h"
#include "fwgen.h"
#include "layout.h"
#include "op_table.h"

static void load(struct firmware *fw, const char *chip, enum fwgen_table table, bool dump)
{
    struct fwgen_opts o = { .chip = chip_by_name(chip), .flash_size = 0x400000, .table = table,
                            .full_dump = dump, .pad_to_flash = dump };
    uint8_t *buf;
    size_t len;
    uint32_t base;
    struct err e;
    enum firmware_kind kind;
    uint32_t detected;
    assert_int_equal(fwgen_firmware(&o, &buf, &len, &base, &e), 0);
    assert_int_equal(firmware_detect(buf, len, &kind, &detected, &e), 0);
    assert_int_equal(detected, base);
    struct flash *f = flash_file_new(buf, len, base, 0x400000, chip, kind == FW_IMAGE, &e);
    assert_non_null(f);
    assert_int_equal(firmware_load(fw, f, kind, NULL, &e), 0);
}

static void test_every_chip_both_kinds(void **state)
{
    (void)state;
    for (const struct chip *const *c = chip_all(); *c; c++) {
        if (!(*c)->has_ext_header)
            continue;
        for (int dump = 0; dump < 2; dump++) {
            struct firmware fw;
            load(&fw, (*c)->name, FWGEN_TABLE_V125, dump);
            assert_ptr_equal(fw.chip, *c);
            assert_int_equal(fw.boot_offset, (*c)->bootloader_offset);
            assert_int_equal(fw.flash_size, 0x400000);
            assert_int_equal(fw.table.n, 4);
            assert_int_equal(fw.kind, dump ? FW_DUMP : FW_IMAGE);
            struct part p;
            struct err e;
            assert_int_equal(firmware_find_part(&fw, "bootloader", &p, &e), 0);
            assert_int_equal(p.offset, (*c)->bootloader_offset);
            assert_int_equal(p.size, 0x8000 - (*c)->bootloader_offset);
            assert_int_equal(firmware_find_part(&fw, "partition_table", &p, &e), 0);
            assert_int_equal(p.offset, 0x8000);
            assert_int_equal(firmware_find_part(&fw, "nothing", &p, &e), -1);
            assert_non_null(strstr(e.msg, "nothing"));
            firmware_close(&fw);
        }
    }
}

static void test_implicit_vfs(void **state)
{
    (void)state;
    struct firmware fw;
    struct part p;
    struct err e;
    load(&fw, "esp32c6", FWGEN_TABLE_V126, false);
    assert_int_equal(fw.table.n, 3);
    assert_int_equal(firmware_find_part(&fw, "vfs", &p, &e), 0);
    assert_true(p.implicit);
    assert_int_equal(p.offset, 0x200000);
    assert_int_equal(p.size, 0x200000);
    firmware_close(&fw);
    load(&fw, "esp32c6", FWGEN_TABLE_V125, false);
    assert_int_equal(firmware_find_part(&fw, "vfs", &p, &e), 0);
    assert_false(p.implicit);
    firmware_close(&fw);
}

static void test_file_flash_semantics(void **state)
{
    (void)state;
    struct err e;
    uint8_t *d = malloc(0x3000);
    memset(d, 0xAB, 0x3000);
    struct flash *f = flash_file_new(d, 0x3000, 0x1000, 0x10000, "t", true, &e);
    uint8_t b[16];
    assert_int_equal(flash_read(f, 0x0, b, 16, &e), 0);      /* below the file: erased */
    assert_int_equal(b[0], 0xFF);
    assert_int_equal(flash_read(f, 0x3FF8, b, 16, &e), 0);   /* across the end */
    assert_int_equal(b[7], 0xAB);
    assert_int_equal(b[8], 0xFF);
    assert_int_equal(flash_write(f, 0x0, b, 1, &e), -1);     /* before the file */
    assert_false(flash_file_dirty(f));
    assert_int_equal(flash_write(f, 0x1000, (const uint8_t *)"\xAB", 1, &e), 0);
    assert_false(flash_file_dirty(f));                       /* same byte: no change */
    assert_int_equal(flash_write(f, 0x6000, "x", 1, &e), 0); /* extends with 0xFF */
    size_t len;
    const uint8_t *data = flash_file_data(f, &len);
    assert_int_equal(len, 0x5001);
    assert_int_equal(data[0x4000], 0xFF);
    assert_int_equal(flash_erase(f, 0x3000, 0x10000 - 0x3000, &e), 0);   /* tail: trimmed */
    flash_file_data(f, &len);
    assert_int_equal(len, 0x2000);
    assert_int_equal(flash_read(f, 0xFFF0, b, 32, &e), -1);  /* past the flash */
    flash_destroy(f);
}

static void test_plan_erase_rules(void **state)
{
    (void)state;
    struct firmware fw;
    struct err e;
    struct table_plan *plan = malloc(sizeof *plan);
    load(&fw, "esp32", FWGEN_TABLE_V125, false);
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

static void test_detect_rejects(void **state)
{
    (void)state;
    enum firmware_kind kind;
    uint32_t base;
    struct err e;
    uint8_t junk[64] = "hello";
    assert_int_equal(firmware_detect(junk, 0, &kind, &base, &e), -1);
    assert_int_equal(firmware_detect(junk, sizeof junk, &kind, &base, &e), -1);
    uint8_t lfs[8192];
    memset(lfs, 0xFF, sizeof lfs);
    memcpy(lfs + 8, "littlefs", 8);
    assert_int_equal(firmware_detect(lfs, sizeof lfs, &kind, &base, &e), 0);
    assert_int_equal(kind, FW_FS_IMAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_chip_both_kinds),
        cmocka_unit_test(test_implicit_vfs),
        cmocka_unit_test(test_file_flash_semantics),
        cmocka_unit_test(test_plan_erase_rules),
        cmocka_unit_test(test_detect_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
