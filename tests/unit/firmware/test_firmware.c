/* The firmware model over a file flash: layout detection for every chip and
 * kind, pseudo partitions, implicit vfs and the file flash's semantics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "firmware.h"
#include "firmware_fixture.h"
#include "flash_file.h"

static void load(struct firmware *fw, const char *chip, enum fwgen_table table, bool dump)
{
    struct fwgen_opts o = { .chip = chip_by_name(chip), .flash_size = 0x400000, .table = table,
                            .full_dump = dump, .pad_to_flash = dump };
    fixture_firmware(fw, &o, chip);
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
    struct flash *f = flash_file_new((struct file_data){ d, 0x3000, false }, 0x1000, 0x10000, "t", true, &e);
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
        cmocka_unit_test(test_detect_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
