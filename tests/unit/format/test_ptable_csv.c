/* The ESP-IDF partition CSV reader (gen_esp32part.py rules) and writer.
 * Real files are in test_ptable_conformance.c; these are the edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ptable.h"

static struct ptable t;
static struct err e;

static int csv(const char *text)
{
    return ptable_from_csv(text, strlen(text), "p.csv", 4 << 20, &t, &e);
}

static void ok(const char *text)
{
    if (csv(text) < 0)
        fail_msg("refused: %s\n%s", e.msg, text);
}

/* Refused, with the message starting "p.csv:LINE: " and containing words. */
static void refused(const char *text, int line, const char *words)
{
    char head[64];
    if (csv(text) == 0)
        fail_msg("accepted:\n%s", text);
    snprintf(head, sizeof head, line ? "p.csv:%d: " : "p.csv: ", line);
    if (strncmp(e.msg, head, strlen(head)) || !strstr(e.msg, words) || strchr(e.msg, '\n'))
        fail_msg("got \"%s\", want \"%s...%s\"", e.msg, head, words);
}

static void expect(int i, const char *name, int type, int subtype, uint32_t off, uint32_t size, uint32_t flags)
{
    assert_true(i < t.n);
    assert_string_equal(t.p[i].name, name);
    assert_int_equal(t.p[i].type, type);
    assert_int_equal(t.p[i].subtype, subtype);
    assert_int_equal(t.p[i].offset, off);
    assert_int_equal(t.p[i].size, size);
    assert_int_equal(t.p[i].flags, flags);
}

static void test_layout_of_text(void **state)
{
    (void)state;
    /* Comments, blank and blank-looking lines, tabs, CRLF, no final newline. */
    ok("# Name, Type, SubType, Offset, Size, Flags\r\n"
       "\r\n"
       "   # indented comment\r\n"
       " \t \r\n"
       "nvs,\tdata,\tnvs,\t0x9000,\t0x6000,\r\n"
       "factory, app, factory, 0x10000, 0x1F0000");
    assert_int_equal(t.n, 2);
    expect(0, "nvs", 1, 2, 0x9000, 0x6000, 0);
    expect(1, "factory", 0, 0, 0x10000, 0x1F0000, 0);

    /* Old Mac line ends and a UTF-8 BOM; no flags column at all. */
    ok("\xEF\xBB\xBFnvs,data,nvs,0x9000,0x6000\rfactory,app,factory,0x10000,0x1F0000\r");
    assert_int_equal(t.n, 2);
    /* Extra columns are ignored, as gen_esp32part does. */
    ok("nvs,data,nvs,0x9000,0x6000,,extra,more\n");
    expect(0, "nvs", 1, 2, 0x9000, 0x6000, 0);
}

static void test_line_numbers(void **state)
{
    (void)state;
    /* Comments, blank lines and CRLF all count as lines. */
    refused("# a\r\n\r\nnvs, data, nvs, 0x9000, 0x6000,\r\n# b\r\nfactory, app, factory, 0x10000, 0x1G,\r\n",
            5, "size '0x1G' is not a number");
    refused("nvs, data, nvs, 0x9000, 0x6000\r\rx, data, fat, zz, 4K\n", 3, "offset 'zz' is not a number");
}

static void test_numbers(void **state)
{
    (void)state;
    ok("a, data, fat, 36K, 4k\n"
       "b, data, fat, 40960, 0x1_000\n"
       "c, data, fat, 0o130000, 0b1000000000000\n"
       "d, data, fat, 0xC000, 1kk\n"
       "e, data, fat, 0x20_0000, 1M\n"
       "f, data, fat, +0x300000, 1m\n");
    expect(0, "a", 1, 0x81, 0x9000, 0x1000, 0);
    expect(1, "b", 1, 0x81, 0xA000, 0x1000, 0);
    expect(2, "c", 1, 0x81, 0xB000, 0x1000, 0);
    expect(3, "d", 1, 0x81, 0xC000, 0x100000, 0);
    expect(4, "e", 1, 0x81, 0x200000, 0x100000, 0);
    expect(5, "f", 1, 0x81, 0x300000, 0x100000, 0);

    /* Python's int(x, 0): no leading zeros on decimals, no stray '_'. */
    refused("a, data, fat, 0x9000, 0100\n", 1, "size '0100' is not a number");
    refused("a, data, fat, 0x9000, 1__0\n", 1, "is not a number");
    refused("a, data, fat, 0x9000, 10_\n", 1, "is not a number");
    refused("a, data, fat, 0x9000, 0x\n", 1, "is not a number");
    refused("a, data, fat, 0x9000, K\n", 1, "is not a number");
    refused("a, data, fat, 0x9000, 1.5M\n", 1, "is not a number");
    refused("a, data, fat, 0x9000, 99999999999999999999999\n", 1, "too large");
    /* Values that do not fit the 32-bit fields (gen_esp32part crashes). */
    refused("a, data, fat, 0x100000000, 4K\n", 1, "offset 0x100000000 does not fit in 32 bits");
    refused("a, data, fat, 0x9000, 4096M\n", 1, "size 0x100000000 does not fit in 32 bits");
    refused("a, data, fat, 0xFFFFF000, 8K\n", 1, "beyond 4 GiB");
}

static void test_types_and_subtypes(void **state)
{
    (void)state;
    ok("a, DATA, SPIFFS, 0x9000, 4K\n"
       "b, 1, 0x83, 0xa000, 4K\n"
       "c, data, 0x99, 0xb000, 4K\n"
       "d, 0x40, 0x8f, 0xc000, 4K\n"
       "e, data, , 0xd000, 4K\n"
       "f, app, ota_15, 0x10000, 64K\n"
       "g, 0, 0x20, 0x20000, 64K\n"
       "h, data, nvs_keys, 0x30000, 4K, encrypted\n"
       "i, data, coredump, 0x31000, 64K\n"
       "j, data, undefined, 0x41000, 4K\n"
       "k, data, efuse, 0x42000, 8K\n"
       "l, data, tee_ota, 0x44000, 8K\n"
       "m, app, tee_1, 0x50000, 64K\n"
       "n, data, littlefs, 0x60000, 64K\n"
       "o, partition_table, ota, 0x70000, 123\n");
    expect(0, "a", 1, 0x82, 0x9000, 0x1000, 0);
    expect(1, "b", 1, 0x83, 0xa000, 0x1000, 0);
    expect(2, "c", 1, 0x99, 0xb000, 0x1000, 0);
    expect(3, "d", 0x40, 0x8f, 0xc000, 0x1000, 0);
    expect(4, "e", 1, 0x06, 0xd000, 0x1000, 0);     /* empty subtype: undefined */
    expect(5, "f", 0, 0x1f, 0x10000, 0x10000, 0);
    expect(6, "g", 0, 0x20, 0x20000, 0x10000, 0);
    expect(7, "h", 1, 0x04, 0x30000, 0x1000, 1);
    expect(8, "i", 1, 0x03, 0x31000, 0x10000, 0);
    expect(9, "j", 1, 0x06, 0x41000, 0x1000, 0);
    expect(10, "k", 1, 0x05, 0x42000, 0x2000, 0);
    expect(11, "l", 1, 0x90, 0x44000, 0x2000, 0);
    expect(12, "m", 0, 0x31, 0x50000, 0x10000, 0);
    expect(13, "n", 1, 0x83, 0x60000, 0x10000, 0);
    expect(14, "o", 3, 0x01, 0x70000, 0x1000, 0);   /* table size is always 0x1000 */

    refused("a, daat, nvs, 0x9000, 24K\n", 1, "unknown partition type 'daat' (known: app, data, bootloader, partition_table");
    refused("a, data, littlefs2, 0x9000, 24K\n", 1, "unknown subtype 'littlefs2' for type data (known: ota, phy, nvs,");
    refused("a, app, nvs, 0x10000, 64K\n", 1, "unknown subtype 'nvs' for type app");
    refused("a, 0x40, fat, 0x9000, 24K\n", 1, "subtype 'fat' is not a number");
    refused("a, , nvs, 0x9000, 24K\n", 1, "type field is empty");
    refused("a, app, , 0x10000, 64K\n", 1, "app partition needs a subtype");
    refused("a, 0x100, 0, 0x9000, 24K\n", 1, "does not fit in a byte");
    refused("a, data, 256, 0x9000, 24K\n", 1, "does not fit in a byte");
    refused("a, data, -1, 0x9000, 24K\n", 1, "does not fit in a byte");
    refused("a, data, nvs, 0x9000,\n", 1, "size field is empty");
    refused("a, data, nvs, 0x9000\n", 1, "size field is empty");
    refused("a\n", 1, "type field is empty");
    refused("boot, bootloader, primary, 0x1000, 28K\n", 1, "bootloader");
}

static void test_partition_table_entry(void **state)
{
    (void)state;
    /* The primary table entry sits at 0x8000 whatever the CSV says, and is
     * left out of offset placement. */
    ok("pt, partition_table, primary, , \nnvs, data, nvs, , 24K\n");
    expect(0, "pt", 3, 0, 0x8000, 0x1000, 0);
    expect(1, "nvs", 1, 2, 0x9000, 0x6000, 0);
}

static void test_flags(void **state)
{
    (void)state;
    ok("a, data, fat, 0x9000, 4K, encrypted\n"
       "b, data, fat, 0xa000, 4K, readonly\n"
       "c, data, fat, 0xb000, 4K, encrypted:readonly\n"
       "d, data, fat, 0xc000, 4K, readonly : encrypted\n"
       "e, data, fat, 0xd000, 4K, ::\n");
    assert_int_equal(t.p[0].flags, 1);
    assert_int_equal(t.p[1].flags, 2);
    assert_int_equal(t.p[2].flags, 3);
    assert_int_equal(t.p[3].flags, 3);
    assert_int_equal(t.p[4].flags, 0);
    refused("a, data, fat, 0x9000, 4K, secret\n", 1, "unknown flag 'secret'");
    refused("a, data, fat, 0x9000, 4K, Encrypted\n", 1, "unknown flag 'Encrypted'");
    /* gen_esp32part separates flags with ':' only. */
    refused("a, data, fat, 0x9000, 4K, encrypted readonly\n", 1, "unknown flag 'encrypted readonly'");
    refused("o, data, ota, 0x9000, 8K, readonly\n", 1, "cannot be readonly");
}

static void test_automatic_offsets(void **state)
{
    (void)state;
    /* First right after the table, data 4 KiB aligned, app 64 KiB aligned. */
    ok("nvs, data, nvs, , 0x5000\n"
       "otadata, data, ota, , 0x2000\n"
       "phy, data, phy, , 0x1000\n"
       "ota_0, app, ota_0, , 0x180000\n"
       "odd, data, fat, , 0x1234\n"
       "next, data, fat, , 4K\n"
       "ota_1, app, ota_1, , 1M\n"
       "fixed, data, fat, 0x300000, 4K\n"
       "after, data, fat, , 4K\n");
    expect(0, "nvs", 1, 2, 0x9000, 0x5000, 0);
    expect(1, "otadata", 1, 0, 0xe000, 0x2000, 0);
    expect(2, "phy", 1, 1, 0x10000, 0x1000, 0);
    expect(3, "ota_0", 0, 0x10, 0x20000, 0x180000, 0);
    expect(4, "odd", 1, 0x81, 0x1a0000, 0x1234, 0);
    expect(5, "next", 1, 0x81, 0x1a2000, 0x1000, 0);
    expect(6, "ota_1", 0, 0x11, 0x1b0000, 0x100000, 0);
    expect(7, "fixed", 1, 0x81, 0x300000, 0x1000, 0);
    expect(8, "after", 1, 0x81, 0x301000, 0x1000, 0);

    /* A negative size means "up to this address". */
    ok("nvs, data, nvs, , 24K\nfactory, app, factory, , -0x200000\nvfs, data, fat, , -0x400000\n");
    expect(1, "factory", 0, 0, 0x10000, 0x1F0000, 0);
    expect(2, "vfs", 1, 0x81, 0x200000, 0x200000, 0);
    refused("nvs, data, nvs, , -0x1000\n", 1, "size -0x8000 does not fit in 32 bits");
}

static void test_checks(void **state)
{
    (void)state;
    refused("nvs, data, nvs, 0x8000, 24K\n", 1, "'nvs' at 0x8000 overlaps the partition table sector 0x8000; use offset 0x9000 or higher");
    refused("nvs, data, nvs, 0x9000, 24K\nphy, data, phy, 0xe000, 4K\n", 2,
            "partitions overlap: 'phy' at 0xe000, previous partition ends at 0xf000");
    refused("nvs, data, nvs, 0x9000, 24K\nfactory, app, factory, 0x10000, 1M\nnvs, data, fat, , 1M\n", 3,
            "'nvs' is used twice");
    refused("nvs, data, nvs, 0x9000, 24K\nfactory, app, factory, 0x10000, 5M\n", 2,
            "'factory' ends at 0x510000, beyond the end of the 4 MB flash");
    refused("nvs, data, nvs, 0x9000, 0\n", 1, "size is 0");
    refused("nvs, data, nvs, 0x9000, 8K\n", 1, "at least 0x3000");
    ok("nvs, data, nvs, 0x9000, 8K, readonly\n");
    refused("o1, data, ota, , 8K\no2, data, ota, , 8K\n", 2, "only one is allowed");
    refused("t, data, tee_ota, , 4K\n", 1, "TEE otadata partition must have size 0x2000");
    refused("abcdefghijklmnopq, data, fat, , 4K\n", 1, "'abcdefghijklmnopq' is longer than 16 bytes");
    ok("abcdefghijklmnop, data, fat, , 4K\n");
    assert_string_equal(t.p[0].name, "abcdefghijklmnop");
    refused(", data, fat, , 4K\n", 1, "empty name");
    refused("", 0, "no partitions");
    refused("# only a comment\n\n", 0, "no partitions");
    static const char nul[] = "a, data, fat, 0x9000, 4K\nb, data, f\0at, , 4K\n";
    assert_int_equal(ptable_from_csv(nul, sizeof nul - 1, "p.csv", 0, &t, &e), -1);
    assert_string_equal(e.msg, "p.csv:2: line contains a NUL byte");

    /* Flash size 0: no size check. */
    const char *big = "nvs, data, nvs, 0x9000, 24K\nvfs, data, fat, 0x10000, 64M\n";
    assert_int_equal(ptable_from_csv(big, strlen(big), "p.csv", 0, &t, &e), 0);
    /* NULL file name still gives a named message. */
    assert_int_equal(ptable_from_csv("x", 1, NULL, 0, &t, &e), -1);
    assert_non_null(strstr(e.msg, ".csv:1: "));
}

static void test_too_many(void **state)
{
    (void)state;
    size_t cap = 100 * 64;
    char *text = malloc(cap);
    size_t len = 0;
    for (int i = 0; i < PTABLE_MAX_PARTS + 1; i++)
        len += (size_t)snprintf(text + len, cap - len, "p%d, data, fat, , 4K\n", i);
    /* 94 fit exactly (94 rows + MD5 row + end row = 0xC00). */
    char *cut = text;
    for (int i = 0; i < PTABLE_MAX_PARTS; i++)
        cut = strchr(cut, '\n') + 1;
    assert_int_equal(ptable_from_csv(text, (size_t)(cut - text), "p.csv", 4 << 20, &t, &e), 0);
    assert_int_equal(t.n, PTABLE_MAX_PARTS);
    assert_int_equal(ptable_from_csv(text, len, "p.csv", 4 << 20, &t, &e), -1);
    assert_string_equal(e.msg, "p.csv:95: too many partitions (the table holds at most 94)");
    free(text);
}

static void test_to_csv(void **state)
{
    (void)state;
    const char *in = "nvs, data, nvs, 0x9000, 24K\n"
                     "factory, app, factory, 0x10000, 0x1F0000, encrypted\n"
                     "odd, 0x40, 0x8f, 0x200000, 0x36FFFC, readonly:encrypted\n"
                     "vfs, data, 0x99, 0x600000, 2M\n";
    assert_int_equal(ptable_from_csv(in, strlen(in), "p.csv", 8 << 20, &t, &e), 0);
    char buf[512];
    size_t n = ptable_to_csv(&t, buf, sizeof buf);
    const char *want =
        "# ESP-IDF Partition Table\n"
        "# Name, Type, SubType, Offset, Size, Flags\n"
        "nvs,data,nvs,0x9000,24K,\n"
        "factory,app,factory,0x10000,1984K,encrypted\n"
        "odd,64,143,0x200000,0x36fffc,encrypted:readonly\n"
        "vfs,data,153,0x600000,2M,\n";
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
    /* Too small a buffer: truncated, terminated, full length returned. */
    char small[20];
    assert_int_equal(ptable_to_csv(&t, small, sizeof small), n);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_int_equal(ptable_to_csv(&t, NULL, 0), n);
    /* And it reads back to the same table. */
    struct ptable u = t;
    assert_int_equal(ptable_from_csv(buf, n, "back.csv", 8 << 20, &t, &e), 0);
    assert_memory_equal(&t, &u, sizeof t);
}

/* Every prefix of a CSV either parses or gives a one-line error with the
 * file name: no crash, no read past the end (run under ASan in CI). */
static void test_every_prefix(void **state)
{
    (void)state;
    const char *text = "# Name, Type, SubType, Offset, Size, Flags\r\n"
                       "nvs,      data, nvs,     0x9000,  0x6000,\r\n"
                       "phy_init, data, phy,     ,        4K,\r\n"
                       "factory,  app,  factory, 0x10000, 1984K, encrypted:readonly\r\n"
                       "vfs,      data, fat,     ,        2M\r\n";
    size_t len = strlen(text);
    int good = 0;
    for (size_t n = 0; n <= len; n++) {
        char *copy = malloc(n ? n : 1);     /* exact size: ASan sees overreads */
        memcpy(copy, text, n);
        if (ptable_from_csv(copy, n, "p.csv", 4 << 20, &t, &e) == 0)
            good++;
        else
            assert_true(strncmp(e.msg, "p.csv:", 6) == 0 && !strchr(e.msg, '\n'));
        free(copy);
    }
    assert_true(good > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_of_text),
        cmocka_unit_test(test_line_numbers),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_types_and_subtypes),
        cmocka_unit_test(test_partition_table_entry),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_automatic_offsets),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_to_csv),
        cmocka_unit_test(test_every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
