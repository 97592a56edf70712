/* The device backup file: records in and out unchanged, neighbours of a
 * kind merged, a damaged or foreign file refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backup.h"

static void three_records(struct backup *b)
{
    uint8_t data[0x2000];
    struct err e;
    memset(b, 0, sizeof *b);
    snprintf(b->chip, sizeof b->chip, "esp32");
    b->mac[5] = 0x56;
    b->flash_size = 0x400000;
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    assert_int_equal(backup_add(b, 0x10000, 0x1000, data, &e), 0);
    assert_int_equal(backup_add(b, 0x11000, 0x1000, data + 0x1000, &e), 0);   /* merged */
    assert_int_equal(backup_add(b, 0x12000, 0x3000, NULL, &e), 0);            /* erased */
    assert_int_equal(backup_add(b, 0x200000, 0x1000, data, &e), 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct backup b, back;
    struct err e;
    three_records(&b);
    assert_int_equal(b.n, 3);
    assert_int_equal(backup_data_bytes(&b), 0x3000);
    assert_int_equal(backup_covered(&b), 0x6000);
    uint8_t *bytes;
    size_t len;
    assert_int_equal(backup_encode(&b, &bytes, &len, &e), 0);
    assert_memory_equal(bytes, "MPI-BACKUP 1\n", 13);
    assert_int_equal(backup_decode(bytes, len, &back, &e), 0);
    assert_string_equal(back.chip, "esp32");
    assert_int_equal(back.mac[5], 0x56);
    assert_int_equal(back.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(back.r[i].addr, b.r[i].addr);
        assert_int_equal(back.r[i].len, b.r[i].len);
        assert_int_equal(back.r[i].erased, b.r[i].erased);
        if (!b.r[i].erased)
            assert_memory_equal(back.r[i].data, b.r[i].data, b.r[i].len);
    }
    free(bytes);
    backup_free(&b);
    backup_free(&back);
}

static void test_damage_refused(void **state)
{
    (void)state;
    struct backup b, back;
    struct err e;
    three_records(&b);
    uint8_t *bytes;
    size_t len;
    assert_int_equal(backup_encode(&b, &bytes, &len, &e), 0);
    bytes[100] ^= 1;
    assert_int_equal(backup_decode(bytes, len, &back, &e), -1);
    bytes[100] ^= 1;
    assert_int_equal(backup_decode(bytes, len - 1, &back, &e), -1);
    assert_int_equal(backup_decode((const uint8_t *)"not a backup at all, no", 23, &back, &e), -1);
    free(bytes);
    backup_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_damage_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
