/* Partition table binary format, lookups, names and validation.
 * (The byte-exact conformance against gen_esp32part.py output is in
 * test_ptable_conformance.c; this file needs no fixtures.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ptable.h"

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

/* MicroPython's classic 4 MB table (reference §4). */
static void mp_table(struct ptable *t)
{
    memset(t, 0, sizeof *t);
    add(t, "nvs", 1, 0x02, 0x9000, 0x6000);
    add(t, "phy_init", 1, 0x01, 0xf000, 0x1000);
    add(t, "factory", 0, 0x00, 0x10000, 0x1f0000);
    add(t, "vfs", 1, 0x81, 0x200000, 0x200000);
}

static bool contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

static void test_serialize_layout(void **state)
{
    (void)state;
    struct ptable t;
    uint8_t buf[PTABLE_SECTOR];
    mp_table(&t);
    ptable_serialize(&t, buf);
    /* First row, decoded by hand. */
    const uint8_t row0[32] = { 0xAA, 0x50, 0x01, 0x02, 0x00, 0x90, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00,
                               'n', 'v', 's', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    assert_memory_equal(buf, row0, 32);
    /* MD5 row at +0x80: EB EB, 14 x FF, then the digest the Python tool's
     * reference table carries (reference §4: fcbb2b92...7bac). */
    assert_int_equal(buf[0x80], 0xEB);
    assert_int_equal(buf[0x81], 0xEB);
    for (int i = 0x82; i < 0x90; i++)
        assert_int_equal(buf[i], 0xFF);
    assert_int_equal(buf[0x90], 0xfc);
    assert_int_equal(buf[0x91], 0xbb);
    assert_int_equal(buf[0x9e], 0x7b);
    assert_int_equal(buf[0x9f], 0xac);
    for (int i = 0xA0; i < (int)PTABLE_SECTOR; i++)
        assert_int_equal(buf[i], 0xFF);
}

static void test_roundtrip(void **state)
{
    (void)state;
    struct ptable t, u;
    struct err e;
    uint8_t buf[PTABLE_SECTOR], buf2[PTABLE_SECTOR];
    mp_table(&t);
    t.p[3].flags = PART_FLAG_ENCRYPTED | PART_FLAG_READONLY;
    ptable_serialize(&t, buf);
    assert_int_equal(ptable_parse(buf, sizeof buf, &u, &e), 0);
    assert_int_equal(u.n, 4);
    assert_true(u.has_md5);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(u.p[i].name, t.p[i].name);
        assert_int_equal(u.p[i].type, t.p[i].type);
        assert_int_equal(u.p[i].subtype, t.p[i].subtype);
        assert_int_equal(u.p[i].offset, t.p[i].offset);
        assert_int_equal(u.p[i].size, t.p[i].size);
        assert_int_equal(u.p[i].flags, t.p[i].flags);
    }
    ptable_serialize(&u, buf2);
    assert_memory_equal(buf, buf2, sizeof buf);

    uint8_t gen[PTABLE_MAX_LEN];
    ptable_serialize_gen(&t, gen);
    assert_memory_equal(gen, buf, sizeof gen);
}

static void test_label_16_bytes_no_nul(void **state)
{
    (void)state;
    struct ptable t, u;
    struct err e;
    uint8_t buf[PTABLE_SECTOR];
    mp_table(&t);
    strcpy(t.p[3].name, "abcdefghijklmnop");
    ptable_serialize(&t, buf);
    assert_memory_equal(buf + 3 * 32 + 12, "abcdefghijklmnop", 16);
    assert_int_equal(buf[3 * 32 + 28], 0);   /* flags follow directly */
    assert_int_equal(ptable_parse(buf, sizeof buf, &u, &e), 0);
    assert_string_equal(u.p[3].name, "abcdefghijklmnop");
    assert_int_equal(ptable_validate(&u, 4 << 20, &e), 0);
}

static void test_without_md5_row(void **state)
{
    (void)state;
    struct ptable t, u;
    struct err e;
    uint8_t buf[PTABLE_SECTOR];
    mp_table(&t);
    ptable_encode(&t, false, buf, sizeof buf);
    for (int i = 0x80; i < 0xA0; i++)
        assert_int_equal(buf[i], 0xFF);
    assert_int_equal(ptable_parse(buf, sizeof buf, &u, &e), 0);
    assert_int_equal(u.n, 4);
    assert_false(u.has_md5);
}

static void test_erased_and_garbage(void **state)
{
    (void)state;
    struct ptable t;
    struct err e;
    uint8_t buf[PTABLE_SECTOR];
    memset(buf, 0xFF, sizeof buf);
    assert_int_equal(ptable_parse(buf, sizeof buf, &t, &e), -1);
    assert_true(contains(e.msg, "no partition table at 0x8000"));
    memset(buf, 0x00, sizeof buf);
    assert_int_equal(ptable_parse(buf, sizeof buf, &t, &e), -1);
    assert_true(contains(e.msg, "no partition table at 0x8000"));
    assert_int_equal(ptable_parse(buf, 0, &t, &e), -1);
    assert_true(contains(e.msg, "no partition table at 0x8000"));
    assert_int_equal(strchr(e.msg, '\n'), NULL);
}

static void test_corrupt_md5(void **state)
{
    (void)state;
    struct ptable t;
    struct err e;
    uint8_t buf[PTABLE_SECTOR];
    mp_table(&t);
    ptable_serialize(&t, buf);
    buf[0x9f] ^= 1;
    assert_int_equal(ptable_parse(buf, sizeof buf, &t, &e), -1);
    assert_true(contains(e.msg, "MD5"));
    assert_true(contains(e.msg, "+0x80"));
    /* A changed entry byte is caught by the same check. */
    ptable_serialize(&t, buf);
    buf[0x44] ^= 0x10;
    assert_int_equal(ptable_parse(buf, sizeof buf, &t, &e), -1);
    assert_true(contains(e.msg, "MD5"));
}

static void test_missing_end_row(void **state)
{
    (void)state;
    struct ptable t;
    struct err e;
    uint8_t buf[PTABLE_SECTOR];
    mp_table(&t);
    ptable_serialize(&t, buf);
    buf[0xA0] = 0x12;                       /* junk where the end row belongs */
    assert_int_equal(ptable_parse(buf, sizeof buf, &t, &e), -1);
    assert_true(contains(e.msg, "+0xa0"));
    /* Without an MD5 row, junk right after the entries. */
    mp_table(&t);
    ptable_encode(&t, false, buf, sizeof buf);
    buf[0x85] = 0;
    assert_int_equal(ptable_parse(buf, sizeof buf, &t, &e), -1);
    assert_true(contains(e.msg, "+0x80"));
}

static void test_truncated(void **state)
{
    (void)state;
    struct ptable t;
    struct err e;
    uint8_t buf[PTABLE_SECTOR];
    mp_table(&t);
    ptable_serialize(&t, buf);
    /* Every cut before the end row is refused, never read past. */
    for (size_t len = 1; len < 0xC0; len++) {
        assert_int_equal(ptable_parse(buf, len, &t, &e), -1);
        assert_true(contains(e.msg, "0x8000"));
    }
    assert_int_equal(ptable_parse(buf, 0xC0, &t, &e), 0);
    assert_int_equal(t.n, 4);
}

static void test_max_entries(void **state)
{
    (void)state;
    struct ptable t, u;
    struct err e;
    uint8_t buf[PTABLE_SECTOR];
    memset(&t, 0, sizeof t);
    for (int i = 0; i < PTABLE_MAX_PARTS; i++) {
        char name[17];
        snprintf(name, sizeof name, "p%d", i);
        add(&t, name, 1, 0x81, 0x9000 + (uint32_t)i * 0x1000, 0x1000);
    }
    assert_int_equal(ptable_validate(&t, 4 << 20, &e), 0);
    ptable_serialize(&t, buf);
    /* 94 entries + MD5 row end exactly at 0xBE0; the end row fills 0xC00. */
    assert_int_equal(buf[94 * 32], 0xEB);
    assert_int_equal(ptable_parse(buf, sizeof buf, &u, &e), 0);
    assert_int_equal(u.n, PTABLE_MAX_PARTS);

    /* A 95th entry (possible in a table without MD5 row) is refused. */
    ptable_encode(&t, false, buf, sizeof buf);
    memcpy(buf + 94 * 32, buf, 32);
    assert_int_equal(ptable_parse(buf, sizeof buf, &u, &e), -1);
    assert_true(contains(e.msg, "more than 94"));

    t.n = PTABLE_MAX_PARTS + 1;
    assert_int_equal(ptable_validate(&t, 4 << 20, &e), -1);
    assert_true(contains(e.msg, "too many"));
}

static void test_lookups(void **state)
{
    (void)state;
    struct ptable t;
    mp_table(&t);
    add(&t, "ota_0", 0, 0x10, 0x400000, 0x100000);
    assert_ptr_equal(ptable_find(&t, "vfs"), &t.p[3]);
    assert_null(ptable_find(&t, "nope"));
    assert_null(ptable_find(&t, "vf"));
    ptable_find_mut(&t, "vfs")->size = 0x100000;
    assert_int_equal(t.p[3].size, 0x100000);
    assert_ptr_equal(ptable_first_app(&t), &t.p[2]);
    assert_int_equal(ptable_end(&t), 0x500000);

    /* Sort is by offset and stable. */
    struct ptable s;
    memset(&s, 0, sizeof s);
    add(&s, "c", 1, 1, 0x30000, 0x1000);
    add(&s, "a", 1, 1, 0x10000, 0x1000);
    add(&s, "b1", 1, 1, 0x20000, 0x1000);
    add(&s, "b2", 1, 1, 0x20000, 0x1000);
    ptable_sort(&s);
    assert_string_equal(s.p[0].name, "a");
    assert_string_equal(s.p[1].name, "b1");
    assert_string_equal(s.p[2].name, "b2");
    assert_string_equal(s.p[3].name, "c");
    memset(&s, 0, sizeof s);
    assert_null(ptable_first_app(&s));
    assert_int_equal(ptable_end(&s), 0);
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(ptable_type_code("app"), 0);
    assert_int_equal(ptable_type_code("DATA"), 1);
    assert_int_equal(ptable_type_code("bootloader"), 2);
    assert_int_equal(ptable_type_code("partition_table"), 3);
    assert_int_equal(ptable_type_code("daat"), -1);
    assert_string_equal(ptable_type_name(1), "data");
    assert_null(ptable_type_name(0x40));

    const struct { int type; const char *name; int code; } subs[] = {
        { 0, "factory", 0x00 }, { 0, "ota_0", 0x10 }, { 0, "ota_15", 0x1F }, { 0, "test", 0x20 },
        { 0, "tee_0", 0x30 }, { 0, "tee_1", 0x31 }, { 1, "ota", 0x00 }, { 1, "phy", 0x01 },
        { 1, "nvs", 0x02 }, { 1, "coredump", 0x03 }, { 1, "nvs_keys", 0x04 }, { 1, "efuse", 0x05 },
        { 1, "undefined", 0x06 }, { 1, "esphttpd", 0x80 }, { 1, "fat", 0x81 }, { 1, "spiffs", 0x82 },
        { 1, "littlefs", 0x83 }, { 1, "tee_ota", 0x90 }, { 2, "primary", 0 }, { 2, "ota", 1 },
        { 2, "recovery", 2 }, { 3, "primary", 0 }, { 3, "ota", 1 },
    };
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        assert_int_equal(ptable_subtype_code(subs[i].type, subs[i].name), subs[i].code);
        assert_string_equal(ptable_subtype_name(subs[i].type, subs[i].code), subs[i].name);
    }
    assert_int_equal(ptable_subtype_code(1, "littlefs2"), -1);
    assert_int_equal(ptable_subtype_code(0, "nvs"), -1);
    assert_int_equal(ptable_subtype_code(0x40, "nvs"), -1);
    assert_null(ptable_subtype_name(1, 0x99));
    assert_null(ptable_subtype_name(0x40, 0));

    char kw[256];
    ptable_keywords(0, false, kw, sizeof kw);
    assert_string_equal(kw, "app, data, bootloader, partition_table");
    size_t n = ptable_keywords(1, true, kw, sizeof kw);
    assert_string_equal(kw, "ota, phy, nvs, coredump, nvs_keys, efuse, undefined, esphttpd, fat, spiffs, littlefs, tee_ota");
    assert_int_equal(n, strlen(kw));
    char small[8];
    assert_int_equal(ptable_keywords(1, true, small, sizeof small), n);
}

/* Run validate on a modified MicroPython table; return the message. */
static const char *bad(struct ptable *t, uint32_t flash, int want_bad)
{
    static struct err e;
    int at = -2;
    assert_int_equal(ptable_validate_at(t, flash, &at, &e), -1);
    assert_int_equal(at, want_bad);
    assert_null(strchr(e.msg, '\n'));
    return e.msg;
}

static void test_validate(void **state)
{
    (void)state;
    struct ptable t;
    struct err e;
    int at;
    mp_table(&t);
    assert_int_equal(ptable_validate_at(&t, 4 << 20, &at, &e), 0);
    assert_int_equal(at, -1);
    assert_int_equal(ptable_validate(&t, 0, &e), 0);

    mp_table(&t);
    assert_true(contains(bad(&t, 2 << 20, 3), "'vfs' ends at 0x400000, beyond the end of the 2 MB flash"));

    mp_table(&t);
    strcpy(t.p[3].name, "nvs");
    assert_true(contains(bad(&t, 4 << 20, 3), "'nvs' is used twice"));

    mp_table(&t);
    t.p[3].name[0] = 0;
    assert_true(contains(bad(&t, 4 << 20, 3), "empty name"));

    mp_table(&t);
    memset(t.p[3].name, 'x', sizeof t.p[3].name);   /* 17 bytes, no NUL */
    assert_true(contains(bad(&t, 4 << 20, 3), "longer than 16"));

    mp_table(&t);
    t.p[2].offset = 0x18000;
    assert_true(contains(bad(&t, 4 << 20, 2), "partition 'factory': offset 0x18000 is not aligned to 0x10000"));

    mp_table(&t);
    t.p[2].size = 0x100800;
    assert_true(contains(bad(&t, 4 << 20, 2), "size 0x100800 is not aligned to 0x1000"));

    mp_table(&t);
    t.p[3].size = 0x1FFFFC;                    /* data sizes may be unaligned */
    assert_int_equal(ptable_validate(&t, 4 << 20, &e), 0);
    t.p[3].offset = 0x200800;
    assert_true(contains(bad(&t, 4 << 20, 3), "offset 0x200800 is not aligned to 0x1000"));

    mp_table(&t);
    t.p[3].size = 0;
    assert_true(contains(bad(&t, 4 << 20, 3), "size is 0"));

    mp_table(&t);
    t.p[3].size = 0xFFFFF000;
    assert_true(contains(bad(&t, 0, 3), "beyond 4 GiB"));

    mp_table(&t);
    t.p[3].offset = 0x1F0000;
    assert_true(contains(bad(&t, 4 << 20, 3), "partitions overlap: 'vfs' at 0x1f0000, previous partition 'factory' ends at 0x200000"));

    /* Out of order: checked in offset order. */
    mp_table(&t);
    add(&t, "spare", 1, 0x81, 0x100000, 0x10000);
    assert_true(contains(bad(&t, 4 << 20, 4), "'spare' at 0x100000, previous partition 'factory' ends at 0x200000"));

    mp_table(&t);
    t.p[0].offset = 0x8000;
    assert_true(contains(bad(&t, 4 << 20, 0), "overlaps the partition table"));
    t.p[0].offset = 0x1000;                    /* 0x1000-0x7000 */
    assert_true(contains(bad(&t, 4 << 20, 0), "below the partition table"));

    /* The bootloader / partition_table pseudo entries may sit below 0x9000. */
    mp_table(&t);
    add(&t, "pt", 3, 0, 0x8000, 0x1000);
    assert_int_equal(ptable_validate(&t, 4 << 20, &e), 0);

    mp_table(&t);
    t.p[1].type = 1;
    t.p[1].subtype = 0;                        /* otadata, 0x1000 */
    assert_true(contains(bad(&t, 4 << 20, 1), "must have size 0x2000"));

    mp_table(&t);
    t.p[0].size = 0x2000;
    t.p[0].subtype = 0;
    t.p[0].offset = 0xa000;
    t.p[1].subtype = 0;
    t.p[1].offset = 0xc000;
    t.p[1].size = 0x2000;
    assert_true(contains(bad(&t, 4 << 20, 1), "both otadata"));

    mp_table(&t);
    t.p[0].size = 0x2000;                      /* rw nvs below 0x3000 */
    assert_true(contains(bad(&t, 4 << 20, 0), "at least 0x3000"));
    t.p[0].flags = PART_FLAG_READONLY;
    assert_int_equal(ptable_validate(&t, 4 << 20, &e), 0);

    mp_table(&t);
    t.p[1].subtype = 0x03;                     /* coredump, readonly */
    t.p[1].flags = PART_FLAG_READONLY;
    assert_true(contains(bad(&t, 4 << 20, 1), "cannot be readonly"));

    memset(&t, 0, sizeof t);
    assert_int_equal(ptable_validate(&t, 4 << 20, &e), 0);
}

/* Random damage never crashes the parser, and every refusal is one line
 * naming the table.  (Deterministic: a fixed LCG.) */
static void test_random_damage(void **state)
{
    (void)state;
    struct ptable t, u;
    struct err e;
    uint8_t good[PTABLE_SECTOR], buf[PTABLE_SECTOR];
    uint32_t seed = 12345;
    mp_table(&t);
    ptable_serialize(&t, good);
    int refused = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(buf, good, sizeof buf);
        for (int k = 0; k < 1 + iter % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[(seed >> 8) % 0xC0] ^= (uint8_t)(1u << ((seed >> 4) & 7));
        }
        if (ptable_parse(buf, (iter & 1) ? sizeof buf : 0xC0, &u, &e) < 0) {
            assert_non_null(strstr(e.msg, "0x8000"));
            assert_null(strchr(e.msg, '\n'));
            refused++;
        } else {
            assert_true(u.n >= 1 && u.n <= 4);
        }
    }
    /* The MD5 row catches nearly every flip inside the entries. */
    assert_true(refused > 2900);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serialize_layout),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_label_16_bytes_no_nul),
        cmocka_unit_test(test_without_md5_row),
        cmocka_unit_test(test_erased_and_garbage),
        cmocka_unit_test(test_corrupt_md5),
        cmocka_unit_test(test_missing_end_row),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_max_entries),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_random_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
