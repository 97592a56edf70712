/* The chip table (lib/format/chip.c): names as users spell them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "chip.h"

static void test_chip_names(void **state)
{
    (void)state;
    assert_true(chip_name_eq("ESP32-S3", "esp32s3"));
    assert_true(chip_name_eq("esp32-c61", "ESP32C61"));
    assert_true(chip_name_eq("esp32", "esp32"));
    assert_false(chip_name_eq("esp32", "esp32s3"));
    assert_false(chip_name_eq("esp32c6", "esp32c61"));
    assert_false(chip_name_eq("", "esp32"));
    assert_ptr_equal(chip_by_name("ESP32-C3"), chip_by_name("esp32c3"));
    assert_null(chip_by_name("esp33"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chip_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
