/* otadata: CRC, active entry, boot slot, and IDF's esp_rewrite_ota_data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "otadata.h"

static uint8_t buf[OTADATA_SIZE];

static void erased(void)
{
    memset(buf, 0xFF, sizeof buf);
}

static void put_entry(int sector, uint32_t seq, uint32_t state)
{
    otadata_encode_entry(buf + sector * OTADATA_SECTOR, seq, state);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static struct otadata parse(void)
{
    struct otadata o;
    struct err e;
    assert_int_equal(otadata_parse(buf, sizeof buf, &o, &e), 0);
    return o;
}

static void add(struct ptable *t, const char *name, int type, int subtype, uint32_t off, uint32_t size)
{
    struct part *p = &t->p[t->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->type = (uint8_t)type;
    p->subtype = (uint8_t)subtype;
    p->offset = off;
    p->size = size;
}

static void test_crc_vectors(void **state)
{
    (void)state;
    assert_int_equal(otadata_crc(1), 0x4743989A);
    assert_int_equal(otadata_crc(2), 0x55F63774);
}

static void test_entry_bytes(void **state)
{
    (void)state;
    uint8_t r[OTADATA_ENTRY_LEN];
    otadata_encode_entry(r, 1, OTA_IMG_UNDEFINED);
    const uint8_t want[32] = { 0x01, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                               0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                               0xFF, 0xFF, 0xFF, 0xFF, 0x9A, 0x98, 0x43, 0x47 };
    assert_memory_equal(r, want, 32);
}

static void test_validity(void **state)
{
    (void)state;
    erased();
    struct otadata o = parse();
    assert_int_equal(o.active, -1);
    assert_false(o.e[0].valid);
    assert_int_equal(otadata_boot_slot(&o, 2), -1);

    put_entry(0, 3, OTA_IMG_VALID);
    put_entry(1, 4, OTA_IMG_VALID);
    o = parse();
    assert_int_equal(o.active, 1);
    assert_int_equal(otadata_boot_slot(&o, 2), 1);   /* (4 - 1) % 2 */
    assert_int_equal(otadata_boot_slot(&o, 3), 0);   /* (4 - 1) % 3 */
    assert_int_equal(otadata_boot_slot(&o, 0), -1);

    /* INVALID, ABORTED, a bad CRC, or an empty seq make an entry invalid. */
    put_entry(1, 4, OTA_IMG_INVALID);
    assert_int_equal(parse().active, 0);
    put_entry(1, 4, OTA_IMG_ABORTED);
    assert_int_equal(parse().active, 0);
    put_entry(1, 4, OTA_IMG_NEW);
    assert_int_equal(parse().active, 1);
    put_entry(1, 4, OTA_IMG_PENDING_VERIFY);
    assert_int_equal(parse().active, 1);
    put_entry(1, 4, OTA_IMG_UNDEFINED);
    assert_int_equal(parse().active, 1);
    buf[OTADATA_SECTOR + 28] ^= 1;
    o = parse();
    assert_false(o.e[1].crc_ok);
    assert_int_equal(o.active, 0);
    put_entry(1, 0xFFFFFFFF, OTA_IMG_VALID);
    assert_int_equal(parse().active, 0);

    /* Tie: entry 0. */
    put_entry(1, 3, OTA_IMG_VALID);
    assert_int_equal(parse().active, 0);

    struct err e;
    assert_int_equal(otadata_parse(buf, OTADATA_SIZE - 1, &o, &e), -1);
    assert_non_null(strstr(e.msg, "otadata"));
}

static void test_app_count_and_boot_part(void **state)
{
    (void)state;
    struct ptable t;
    memset(&t, 0, sizeof t);
    add(&t, "nvs", 1, 2, 0x9000, 0x4000);
    add(&t, "otadata", 1, 0, 0xd000, 0x2000);
    add(&t, "ota_0", 0, 0x10, 0x10000, 0x180000);
    add(&t, "ota_1", 0, 0x11, 0x190000, 0x180000);
    add(&t, "ota_3", 0, 0x13, 0x310000, 0x10000);     /* after a gap: not counted */
    assert_int_equal(otadata_app_count(&t), 2);

    erased();
    struct otadata o = parse();
    assert_string_equal(otadata_boot_part(&o, &t)->name, "ota_0");   /* no factory */
    add(&t, "factory", 0, 0x00, 0x320000, 0x10000);
    assert_string_equal(otadata_boot_part(&o, &t)->name, "factory");
    put_entry(0, 2, OTA_IMG_VALID);
    o = parse();
    assert_string_equal(otadata_boot_part(&o, &t)->name, "ota_1");

    struct ptable none;
    memset(&none, 0, sizeof none);
    add(&none, "nvs", 1, 2, 0x9000, 0x4000);
    assert_int_equal(otadata_app_count(&none), 0);
    assert_null(otadata_boot_part(&o, &none));
}

static void test_select_sequence(void **state)
{
    (void)state;
    struct err e;
    uint8_t blank[OTADATA_SECTOR];
    memset(blank, 0xFF, sizeof blank);

    /* Erased: sector 0 gets seq slot+1, sector 1 untouched. */
    erased();
    assert_int_equal(otadata_select(buf, sizeof buf, 0, 2, OTA_IMG_UNDEFINED, &e), 0);
    uint8_t want[OTADATA_ENTRY_LEN];
    otadata_encode_entry(want, 1, OTA_IMG_UNDEFINED);
    assert_memory_equal(buf, want, 32);
    assert_memory_equal(buf + 32, blank, OTADATA_SECTOR - 32);
    assert_memory_equal(buf + OTADATA_SECTOR, blank, OTADATA_SECTOR);
    assert_int_equal(otadata_boot_slot((struct otadata[]){ parse() }, 2), 0);

    /* Slot 1: the other sector, seq 2. */
    assert_int_equal(otadata_select(buf, sizeof buf, 1, 2, OTA_IMG_NEW, &e), 0);
    struct otadata o = parse();
    assert_int_equal(o.active, 1);
    assert_int_equal(o.e[1].seq, 2);
    assert_int_equal(o.e[1].state, OTA_IMG_NEW);
    assert_int_equal(otadata_boot_slot(&o, 2), 1);
    assert_int_equal(o.e[0].seq, 1);                 /* old entry kept */

    /* Slot 1 again: same sector, same seq, only the state changes. */
    assert_int_equal(otadata_select(buf, sizeof buf, 1, 2, OTA_IMG_UNDEFINED, &e), 0);
    o = parse();
    assert_int_equal(o.active, 1);
    assert_int_equal(o.e[1].seq, 2);
    assert_int_equal(o.e[1].state, OTA_IMG_UNDEFINED);

    /* Back to slot 0: sector 0, seq 3. */
    assert_int_equal(otadata_select(buf, sizeof buf, 0, 2, OTA_IMG_UNDEFINED, &e), 0);
    o = parse();
    assert_int_equal(o.active, 0);
    assert_int_equal(o.e[0].seq, 3);
    assert_int_equal(otadata_boot_slot(&o, 2), 0);
    assert_int_equal(le32(buf + 28), otadata_crc(3));

    /* IDF's example: seqs 4 and 5 with 8 slots run ota_4; ota_7 needs seq 8. */
    erased();
    put_entry(0, 4, OTA_IMG_VALID);
    put_entry(1, 5, OTA_IMG_VALID);
    assert_int_equal(otadata_boot_slot((struct otadata[]){ parse() }, 8), 4);
    assert_int_equal(otadata_select(buf, sizeof buf, 7, 8, OTA_IMG_UNDEFINED, &e), 0);
    o = parse();
    assert_int_equal(o.active, 0);
    assert_int_equal(o.e[0].seq, 8);
    assert_int_equal(otadata_boot_slot(&o, 8), 7);
    /* Then ota_2: seq 11 ((2+1) + 8 > 8), in sector 1. */
    assert_int_equal(otadata_select(buf, sizeof buf, 2, 8, OTA_IMG_UNDEFINED, &e), 0);
    o = parse();
    assert_int_equal(o.active, 1);
    assert_int_equal(o.e[1].seq, 11);
    assert_int_equal(otadata_boot_slot(&o, 8), 2);
}

/* An active seq of 0 (valid: its CRC is 0xFFFFFFFF) must not tie with the
 * new entry: (0 - 1) wraps, so it maps to slot 0xFFFFFFFF % n, and IDF's
 * rule would write seq 0 for slot n - 1 (found by fuzz_otadata). */
static void test_select_after_seq_zero(void **state)
{
    (void)state;
    struct err e;
    for (int n = 2; n <= 16; n++)
        for (int slot = 0; slot < n; slot++) {
            erased();
            put_entry(1, 0, OTA_IMG_VALID);
            assert_int_equal(parse().active, 1);
            assert_int_equal(otadata_select(buf, sizeof buf, slot, n, OTA_IMG_NEW, &e), 0);
            assert_int_equal(otadata_boot_slot((struct otadata[]){ parse() }, n), slot);
        }
}

static void test_select_keeps_label_and_checks_args(void **state)
{
    (void)state;
    struct err e;
    erased();
    put_entry(0, 1, OTA_IMG_VALID);
    memcpy(buf + OTADATA_SECTOR + 4, "label", 5);    /* sector 1: junk label, no entry */
    buf[OTADATA_SECTOR + 100] = 0;                   /* and junk later in the sector */
    assert_int_equal(otadata_select(buf, sizeof buf, 1, 2, OTA_IMG_UNDEFINED, &e), 0);
    assert_memory_equal(buf + OTADATA_SECTOR + 4, "label", 5);
    assert_int_equal(buf[OTADATA_SECTOR + 100], 0xFF);   /* sector erased first */
    assert_int_equal(le32(buf + OTADATA_SECTOR), 2);

    assert_int_equal(otadata_select(buf, sizeof buf, 2, 2, OTA_IMG_UNDEFINED, &e), -1);
    assert_non_null(strstr(e.msg, "ota_2"));
    assert_int_equal(otadata_select(buf, sizeof buf, 0, 0, OTA_IMG_UNDEFINED, &e), -1);
    assert_int_equal(otadata_select(buf, sizeof buf, -1, 2, OTA_IMG_UNDEFINED, &e), -1);
    assert_int_equal(otadata_select(buf, 0x1000, 0, 2, OTA_IMG_UNDEFINED, &e), -1);

    /* A seq at the very top cannot move to another slot. */
    erased();
    put_entry(0, 0xFFFFFFFE, OTA_IMG_VALID);
    assert_int_equal(otadata_select(buf, sizeof buf, 0, 2, OTA_IMG_UNDEFINED, &e), -1);
    assert_non_null(strstr(e.msg, "cannot grow"));

    otadata_select_factory(buf, sizeof buf);
    assert_int_equal(parse().active, -1);
    assert_int_equal(buf[0], 0xFF);
}

static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(otadata_state_name(OTA_IMG_NEW), "new");
    assert_string_equal(otadata_state_name(OTA_IMG_PENDING_VERIFY), "pending_verify");
    assert_string_equal(otadata_state_name(OTA_IMG_VALID), "valid");
    assert_string_equal(otadata_state_name(OTA_IMG_INVALID), "invalid");
    assert_string_equal(otadata_state_name(OTA_IMG_ABORTED), "aborted");
    assert_string_equal(otadata_state_name(OTA_IMG_UNDEFINED), "undefined");
    assert_null(otadata_state_name(5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_vectors),
        cmocka_unit_test(test_entry_bytes),
        cmocka_unit_test(test_validity),
        cmocka_unit_test(test_app_count_and_boot_part),
        cmocka_unit_test(test_select_sequence),
        cmocka_unit_test(test_select_after_seq_zero),
        cmocka_unit_test(test_select_keeps_label_and_checks_args),
        cmocka_unit_test(test_state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
