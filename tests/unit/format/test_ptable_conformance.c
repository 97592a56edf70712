/* Conformance with ESP-IDF's gen_esp32part.py: every CSV in
 * ../shared/fixtures/partitions must give its .bin byte for byte, every .bin
 * must parse to the entries the manifest lists, and every malformed CSV must
 * give a one-line error naming the file and line.  Skips when ../shared is
 * absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ptable.h"
#include "testutil.h"

#define FIXTURES "fixtures/partitions"

static char *manifest;

/* One table or malformed case of manifest.json, found by a small scan: the
 * manifest is machine-written, one key per line, so looking for quoted keys
 * inside the object's text is enough. */
struct fixture {
    char csv[256], bin[256], result[32];
    uint32_t flash;
    bool md5;                   /* false with --disable-md5sum */
    struct ptable entries;      /* from the manifest's "entries" */
};

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == ':' || *p == ',')
        p++;
    return p;
}

/* The string value of "key" within [p, end), or false. */
static bool str_value(const char *p, const char *end, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *k = strstr(p, pat);
    if (!k || k >= end)
        return false;
    k = skip_ws(k + strlen(pat));
    if (*k != '"')
        return false;
    const char *q = strchr(k + 1, '"');
    size_t n = (size_t)(q - k - 1);
    assert_true(n < cap);
    memcpy(out, k + 1, n);
    out[n] = '\0';
    return true;
}

static long long num_value(const char *p, const char *end, const char *key, const char **after)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *k = strstr(p, pat);
    assert_non_null(k);
    assert_true(k < end);
    char *stop;
    long long v = strtoll(skip_ws(k + strlen(pat)), &stop, 10);
    *after = stop;
    return v;
}

static void read_entries(const char *p, const char *end, struct ptable *t)
{
    memset(t, 0, sizeof *t);
    const char *list = strstr(p, "\"entries\":");
    if (!list || list >= end)
        return;
    /* The entries run to the end of the object (no other key has "name"). */
    const char *close = end;
    const char *k = list;
    while ((k = strstr(k, "\"name\":")) && k < close) {
        struct part *x = &t->p[t->n++];
        const char *a;
        assert_true(str_value(k, close, "name", x->name, sizeof x->name));
        x->type = (uint8_t)num_value(k, close, "type", &a);
        x->subtype = (uint8_t)num_value(k, close, "subtype", &a);
        x->offset = (uint32_t)num_value(k, close, "offset", &a);
        x->size = (uint32_t)num_value(k, close, "size", &a);
        x->flags = (uint32_t)num_value(k, close, "flags", &a);
        k = a;
    }
}

/* The i-th object with a "csv" key; false past the last. */
static bool fixture_at(int i, struct fixture *f)
{
    const char *p = manifest;
    for (int j = 0; j <= i; j++) {
        p = strstr(p, "\"csv\": \"");
        if (!p)
            return false;
        if (j < i)
            p++;
    }
    const char *end = strstr(p + 1, "\"csv\": \"");
    if (!end)
        end = p + strlen(p);
    memset(f, 0, sizeof *f);
    assert_true(str_value(p, end, "csv", f->csv, sizeof f->csv));
    if (!str_value(p, end, "bin", f->bin, sizeof f->bin))
        f->bin[0] = '\0';
    if (!str_value(p, end, "gen_esp32part_result", f->result, sizeof f->result))
        strcpy(f->result, "table");
    const char *opts = strstr(p, "\"gen_esp32part_options\":");
    assert_true(opts && opts < end);
    const char *close = strchr(opts, ']');
    const char *nomd5 = strstr(opts, "\"--disable-md5sum\"");
    f->md5 = !(nomd5 && nomd5 < close);
    const char *fs = strstr(opts, "\"--flash-size\"");
    if (fs && fs < close) {
        const char *v = strchr(fs + 14, '"');
        f->flash = (uint32_t)strtoul(v + 1, NULL, 10) << 20;
        assert_non_null(strstr(v, "MB\""));
    }
    read_entries(p, end, &f->entries);
    return true;
}

static char *read_fixture(const char *rel, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, rel);
    const char *full = shared_path(path);
    assert_non_null(full);
    return (char *)read_whole(full, len);
}

static void assert_same_entries(const struct ptable *got, const struct ptable *want, const char *what)
{
    if (got->n != want->n)
        fail_msg("%s: %d entries, manifest lists %d", what, got->n, want->n);
    for (int i = 0; i < got->n; i++) {
        const struct part *a = &got->p[i], *b = &want->p[i];
        if (strcmp(a->name, b->name) || a->type != b->type || a->subtype != b->subtype
            || a->offset != b->offset || a->size != b->size || a->flags != b->flags)
            fail_msg("%s: entry %d is %s %d/%d 0x%x+0x%x %u, manifest %s %d/%d 0x%x+0x%x %u", what, i,
                     a->name, a->type, a->subtype, a->offset, a->size, a->flags,
                     b->name, b->type, b->subtype, b->offset, b->size, b->flags);
    }
}

static bool expect_error(const struct fixture *f)
{
    /* gen_esp32part errors and crashes, plus the 20-byte name it truncates. */
    return strcmp(f->result, "error") == 0 || strcmp(f->result, "crash") == 0
           || strstr(f->csv, "name_too_long") != NULL;
}

/* Every good CSV gives its .bin byte for byte, and the entries listed. */
static void test_csv_to_bin(void **state)
{
    (void)state;
    struct fixture f;
    int tables = 0, malformed_ok = 0;
    for (int i = 0; fixture_at(i, &f); i++) {
        if (expect_error(&f))
            continue;
        size_t clen, blen;
        char *csv = read_fixture(f.csv, &clen);
        uint8_t *bin = (uint8_t *)read_fixture(f.bin, &blen);
        assert_int_equal(blen, PTABLE_MAX_LEN);
        struct ptable t;
        struct err e;
        if (ptable_from_csv(csv, clen, f.csv, f.flash, &t, &e) < 0)
            fail_msg("%s refused: %s", f.csv, e.msg);
        assert_same_entries(&t, &f.entries, f.csv);
        uint8_t out[PTABLE_MAX_LEN];
        ptable_encode(&t, f.md5, out, sizeof out);
        if (memcmp(out, bin, PTABLE_MAX_LEN) != 0)
            fail_msg("%s: binary differs from %s", f.csv, f.bin);
        /* The 4 KiB sector form is the same bytes, then 0xFF. */
        uint8_t sector[PTABLE_SECTOR];
        ptable_encode(&t, f.md5, sector, sizeof sector);
        assert_memory_equal(sector, bin, PTABLE_MAX_LEN);
        if (f.md5) {
            ptable_serialize(&t, sector);
            assert_memory_equal(sector, bin, PTABLE_MAX_LEN);
        }
        for (size_t k = PTABLE_MAX_LEN; k < PTABLE_SECTOR; k++)
            assert_int_equal(sector[k], 0xFF);
        if (strncmp(f.csv, "malformed/", 10) == 0)
            malformed_ok++;
        else
            tables++;
        free(csv);
        free(bin);
    }
    assert_int_equal(tables, 61);               /* 60 CSVs + the nomd5 variant */
    assert_int_equal(malformed_ok, 1);          /* name_16_chars.csv */
}

/* Every .bin parses to the manifest's entries and re-encodes to itself. */
static void test_bin_parses(void **state)
{
    (void)state;
    struct fixture f;
    int n = 0;
    for (int i = 0; fixture_at(i, &f); i++) {
        if (!f.bin[0])
            continue;
        size_t blen;
        uint8_t *bin = (uint8_t *)read_fixture(f.bin, &blen);
        struct ptable t;
        struct err e;
        if (ptable_parse(bin, blen, &t, &e) < 0)
            fail_msg("%s: %s", f.bin, e.msg);
        assert_int_equal(t.has_md5, f.md5);
        assert_same_entries(&t, &f.entries, f.bin);
        uint8_t out[PTABLE_MAX_LEN];
        ptable_encode(&t, f.md5, out, sizeof out);
        assert_memory_equal(out, bin, PTABLE_MAX_LEN);
        /* name_too_long.bin holds gen_esp32part's silently truncated label:
         * valid as a binary, 16 bytes without NUL. */
        if (ptable_validate(&t, f.flash, &e) < 0)
            fail_msg("%s: %s", f.bin, e.msg);
        free(bin);
        n++;
    }
    assert_int_equal(n, 63);
}

static void test_nomd5_variant(void **state)
{
    (void)state;
    size_t alen, blen;
    uint8_t *a = (uint8_t *)read_fixture("esp-idf/partitions_two_ota.bin", &alen);
    uint8_t *b = (uint8_t *)read_fixture("esp-idf/partitions_two_ota.nomd5.bin", &blen);
    struct ptable ta, tb;
    struct err e;
    assert_int_equal(ptable_parse(a, alen, &ta, &e), 0);
    assert_int_equal(ptable_parse(b, blen, &tb, &e), 0);
    assert_false(tb.has_md5);
    assert_same_entries(&tb, &ta, "nomd5");
    uint8_t out[PTABLE_MAX_LEN];
    ptable_encode(&tb, false, out, sizeof out);
    assert_memory_equal(out, b, PTABLE_MAX_LEN);
    free(a);
    free(b);
}

/* What each malformed file must say: the line, and a word of the reason. */
static const struct {
    const char *csv;
    int line;
    const char *words;
} malformed[] = {
    { "malformed/overlap.csv", 5, "partitions overlap: 'vfs' at 0x1f0000, previous partition ends at 0x200000" },
    { "malformed/overlap_partition_table.csv", 2, "overlaps the partition table" },
    { "malformed/overlap_unsorted.csv", 5, "partitions overlap: 'spare' at 0x100000, previous partition ends at 0x400000" },
    { "malformed/misaligned_app.csv", 4, "'factory': offset 0x18000 is not aligned to 0x10000" },
    { "malformed/app_size_unaligned.csv", 3, "'factory': size 0x100800 is not aligned to 0x1000" },
    { "malformed/duplicate_name.csv", 3, "'nvs' is used twice" },
    { "malformed/name_too_long.csv", 4, "'user_filesystem_data' is longer than 16 bytes" },
    { "malformed/unknown_subtype.csv", 4, "unknown subtype 'littlefs2' for type data" },
    { "malformed/unknown_type.csv", 2, "unknown partition type 'daat'" },
    { "malformed/beyond_flash.csv", 4, "'vfs' ends at 0x500000, beyond the end of the 4 MB flash" },
    { "malformed/size_u32_overflow.csv", 4, "size 0x100000000 does not fit in 32 bits" },
    { "malformed/bad_number.csv", 3, "size '0x1G0000' is not a number" },
    { "malformed/otadata_wrong_size.csv", 3, "'otadata': otadata partition must have size 0x2000" },
    { "malformed/arduino-esp32_rainmaker_8MB.csv", 5, "'ota_1': offset 0x3fd000 is not aligned to 0x10000" },
    { "malformed/arduino-esp32_zigbee_zczr.csv", 6, "partitions overlap: 'spiffs' at 0x28f000, previous partition ends at 0x290000" },
};

static void test_malformed(void **state)
{
    (void)state;
    struct fixture f;
    int n = 0, total = 0;
    for (int i = 0; fixture_at(i, &f); i++) {
        if (strncmp(f.csv, "malformed/", 10) == 0)
            total++;
        if (!expect_error(&f))
            continue;
        size_t k = 0;
        while (k < sizeof malformed / sizeof malformed[0] && strcmp(malformed[k].csv, f.csv))
            k++;
        if (k == sizeof malformed / sizeof malformed[0])
            fail_msg("%s: no expectation in this test", f.csv);
        size_t clen;
        char *csv = read_fixture(f.csv, &clen);
        struct ptable t;
        struct err e;
        if (ptable_from_csv(csv, clen, f.csv, f.flash, &t, &e) == 0)
            fail_msg("%s accepted", f.csv);
        char head[300];
        snprintf(head, sizeof head, "%s:%d: ", f.csv, malformed[k].line);
        if (strncmp(e.msg, head, strlen(head)) != 0 || !strstr(e.msg, malformed[k].words)
            || strchr(e.msg, '\n'))
            fail_msg("%s: got \"%s\", want \"%s...%s\"", f.csv, e.msg, head, malformed[k].words);
        free(csv);
        n++;
    }
    assert_int_equal(total, 16);
    assert_int_equal(n, 15);
}

/* Binary -> CSV (ptable_to_csv) -> binary gives the same bytes. */
static void test_csv_roundtrip(void **state)
{
    (void)state;
    struct fixture f;
    int n = 0;
    for (int i = 0; fixture_at(i, &f); i++) {
        if (!f.bin[0])
            continue;
        size_t blen;
        uint8_t *bin = (uint8_t *)read_fixture(f.bin, &blen);
        struct ptable t, u;
        struct err e;
        assert_int_equal(ptable_parse(bin, blen, &t, &e), 0);
        char text[8192];
        size_t len = ptable_to_csv(&t, text, sizeof text);
        assert_true(len < sizeof text);
        if (ptable_from_csv(text, len, "roundtrip.csv", f.flash, &u, &e) < 0)
            fail_msg("%s: %s\n%s", f.bin, e.msg, text);
        uint8_t out[PTABLE_MAX_LEN];
        ptable_encode(&u, f.md5, out, sizeof out);
        assert_memory_equal(out, bin, PTABLE_MAX_LEN);
        free(bin);
        n++;
    }
    assert_int_equal(n, 63);
}

int main(void)
{
    require_shared(FIXTURES "/manifest.json");
    size_t len;
    manifest = (char *)read_whole(shared_path(FIXTURES "/manifest.json"), &len);
    manifest = realloc(manifest, len + 1);
    manifest[len] = '\0';
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_to_bin),
        cmocka_unit_test(test_bin_parses),
        cmocka_unit_test(test_nomd5_variant),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_csv_roundtrip),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(manifest);
    return rc;
}
