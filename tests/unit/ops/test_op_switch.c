/* --ota-switch on a flash in memory (lib/ops/op_switch*.c): the end state
 * byte for byte, a power cut before every write and erase (the device
 * still boots an app, and a rerun reaches the same end state), a torn
 * otadata write, "already switched", and the inputs that are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flash_mem.h"
#include "fwgen.h"
#include "op_switch.h"
#include "testutil.h"

#define FLASH 0x400000u

/* An Arduino-style 4 MB OTA table, with a filesystem and a core dump. */
static const char table_csv[] =
    "nvs,      data, nvs,     0x9000,  0x5000,\n"
    "otadata,  data, ota,     0xe000,  0x2000,\n"
    "app0,     app,  ota_0,   0x10000, 0x140000,\n"
    "app1,     app,  ota_1,   0x150000,0x140000,\n"
    "spiffs,   data, spiffs,  0x290000,0x160000,\n"
    "coredump, data, coredump,0x3F0000,0x10000,\n";

struct dev {
    int boot_slot;
    uint32_t state;
    bool corrupt;
    const char *csv;
    const char *chip;
};

static struct flash *device(const struct dev *d)
{
    struct ptable t;
    struct err e;
    const char *csv = d->csv ? d->csv : table_csv;
    const struct chip *chip = chip_by_name(d->chip ? d->chip : "esp32");
    assert_int_equal(ptable_from_csv(csv, strlen(csv), "t.csv", FLASH, &t, &e), 0);
    struct fwgen_device g = { { .chip = chip, .flash_size = FLASH, .seed = 7,
                                .project = "arduino-app", .app_idf = "v5.1.4",
                                .boot_idf = "v5.1.4", .boot_no_desc = true },
                              &t, d->boot_slot, d->state, d->corrupt };
    uint8_t *buf;
    assert_int_equal(fwgen_device(&g, &buf, &e), 0);
    struct flash *f = flash_mem_from(buf, FLASH, &e);
    free(buf);
    assert_non_null(f);
    return f;
}

static uint8_t *micropython(const char *chip, size_t *len)
{
    struct fwgen_opts o = { .chip = chip_by_name(chip), .flash_size = FLASH, .seed = 11,
                            .version = "v1.24.1", .app_idf = "v5.2.2" };
    uint8_t *app;
    struct err e;
    assert_int_equal(fwgen_app(&o, &app, len, &e), 0);
    return app;
}

/* Every test's MicroPython app (for the ESP32) and plan. */
struct fx {
    uint8_t *mp;
    size_t len;
    struct switch_plan *p;
};

static int setup(void **state)
{
    struct fx *x = calloc(1, sizeof *x);
    x->mp = micropython("esp32", &x->len);
    x->p = malloc(sizeof *x->p);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    struct fx *x = *state;
    free(x->mp);
    free(x->p);
    free(x);
    return 0;
}

/* The whole switch on `f` (opts: defaults); -1 with e on the first refusal. */
static int run_switch(struct flash *f, const uint8_t *mp, size_t len, struct switch_plan *p,
                      struct err *e)
{
    struct firmware fw;
    struct switch_opts o = { 0 };
    struct switch_chip c = { .revision = -1 };
    if (firmware_load(&fw, f, FW_DUMP, NULL, e) || op_switch_read(&fw, mp, len, &o, &c, p, e))
        return -1;
    if (p->st.already)
        return 0;
    if (op_switch_check(p, &o, e) || op_switch_plan(&fw, &o, p, e))
        return -1;
    return op_switch_apply(&fw, p, NULL, NULL, e);
}

/* What the ESP-IDF bootloader starts: a valid table, otadata (or its
 * fallback) leading to a slot, a valid image there.  Its name, or NULL. */
static const char *boots(struct flash *f, char name[PTABLE_NAME_MAX + 1])
{
    struct firmware fw;
    struct err e;
    uint8_t ota[OTADATA_SIZE], *img;
    struct otadata o;
    struct image_info info;
    if (firmware_load(&fw, f, FW_DUMP, NULL, &e))
        return NULL;
    const struct part *od = NULL;
    for (int i = 0; i < fw.table.n; i++)
        if (fw.table.p[i].type == PART_TYPE_DATA && fw.table.p[i].subtype == 0)
            od = &fw.table.p[i];
    if (!od || flash_read(f, od->offset, ota, sizeof ota, &e) ||
        otadata_parse(ota, sizeof ota, &o, &e))
        return NULL;
    const struct part *p = otadata_boot_part(&o, &fw.table);
    if (!p || firmware_read_image(f, p->offset, p->size, &img, &info, &e))
        return NULL;
    free(img);
    if (!info.checksum_ok || !info.sha_ok)
        return NULL;
    return strcpy(name, p->name);
}

static void check_end_state(const uint8_t *before, struct flash *f, const struct switch_plan *p,
                            const uint8_t *mp, size_t len)
{
    const uint8_t *after = flash_mem_data(f);
    const struct switch_layout *l = &p->layout;
    const struct part *k = &l->table.p[l->keep_slot], *slot = &l->table.p[l->mp_slot];
    const struct part *vfs = &l->table.p[l->vfs];
    uint8_t table[PTABLE_SECTOR];
    char name[PTABLE_NAME_MAX + 1];
    ptable_serialize(&l->table, table);
    assert_memory_equal(after, before, PTABLE_OFFSET);                  /* bootloader */
    assert_memory_equal(after + PTABLE_OFFSET, table, sizeof table);
    assert_memory_equal(after + 0x9000, before + 0x9000, 0x5000);      /* nvs */
    assert_memory_equal(after + slot->offset, mp, len);
    for (uint32_t i = 0; i < 0x4000; i++)
        assert_int_equal(after[vfs->offset + i], 0xFF);
    assert_memory_equal(after + 0xe000, p->otadata_final, OTADATA_SIZE);
    if (!p->move)
        assert_memory_equal(after + k->offset, before + k->offset, k->size);
    assert_non_null(boots(f, name));
    assert_string_equal(name, slot->name);
}

static int run_fx(struct flash *f, struct fx *x, struct err *e)
{
    return run_switch(f, x->mp, x->len, x->p, e);
}

/* A cut before every write/erase call: boots, then completes on rerun. */
static void cut_everywhere(struct fx *x, const struct dev *d)
{
    struct err e;
    char name[PTABLE_NAME_MAX + 1];
    struct flash *clean = device(d);
    assert_int_equal(run_fx(clean, x, &e), 0);
    long calls = flash_mem_ops(clean);
    assert_true(calls >= 4);
    for (long n = 0; n < calls; n++) {
        struct flash *f = device(d);
        flash_mem_cut_after(f, n, false);
        assert_int_equal(run_fx(f, x, &e), -1);
        assert_true(flash_mem_cut(f));
        if (!boots(f, name))
            fail_msg("cut before write %ld of %ld: the device does not boot", n + 1, calls);
        flash_mem_cut_after(f, -1, false);
        struct flash *again = flash_mem_from(flash_mem_data(f), FLASH, &e);
        if (run_fx(again, x, &e))
            fail_msg("cut before write %ld: the rerun fails: %s", n + 1, e.msg);
        assert_memory_equal(flash_mem_data(again), flash_mem_data(clean), FLASH);
        flash_destroy(again);
        flash_destroy(f);
    }
    flash_destroy(clean);
}

static void test_end_state(void **state)
{
    struct fx *x = *state;
    struct switch_plan *p = x->p;
    struct err e;
    struct dev d = { 0, OTA_IMG_VALID, false, NULL, NULL };
    struct flash *f = device(&d);
    uint8_t *before = malloc(FLASH);
    memcpy(before, flash_mem_data(f), FLASH);
    assert_int_equal(run_fx(f, x, &e), 0);
    assert_false(p->move);
    assert_string_equal(p->layout.table.p[p->layout.mp_slot].name, "app1");
    check_end_state(before, f, p, x->mp, x->len);
    /* again: nothing to do */
    long calls = flash_mem_ops(f);
    assert_int_equal(run_fx(f, x, &e), 0);
    assert_true(p->st.already);
    assert_int_equal(flash_mem_ops(f), calls);
    flash_destroy(f);
    /* app1 runs: copied into app0 first, then the same end state */
    d.boot_slot = 1;
    f = device(&d);
    memcpy(before, flash_mem_data(f), FLASH);
    assert_int_equal(run_fx(f, x, &e), 0);
    assert_true(p->move);
    check_end_state(before, f, p, x->mp, x->len);
    assert_memory_equal(flash_mem_data(f) + 0x10000, before + 0x150000, 0xC0000);
    flash_destroy(f);
    free(before);
}

static void test_cuts(void **state)
{
    cut_everywhere(*state, &(struct dev){ 0, OTA_IMG_VALID, false, NULL, NULL });
    cut_everywhere(*state, &(struct dev){ 1, OTA_IMG_VALID, false, NULL, NULL });
    cut_everywhere(*state, &(struct dev){ 1, OTA_IMG_UNDEFINED, false, NULL, NULL });
}

/* A write torn half-way: the app slot's and vfs's do not matter, and an
 * otadata entry cut short of its CRC is ignored (the other one boots);
 * only the table's sector is the known window. */
static void test_torn_otadata(void **state)
{
    struct fx *x = *state;
    struct err e;
    char name[PTABLE_NAME_MAX + 1];
    struct dev d = { 0, OTA_IMG_VALID, false, NULL, NULL };
    struct flash *f = device(&d);
    flash_mem_cut_after(f, 3, true);     /* app, table, vfs head; then otadata, torn */
    assert_int_equal(run_fx(f, x, &e), -1);
    assert_non_null(boots(f, name));
    flash_mem_cut_after(f, -1, false);
    /* the new entry cut before its CRC: the old entry still boots app0 */
    uint8_t *ota = flash_mem_data(f) + 0xe000 + 0x1000;
    memset(ota, 0xFF, 0x1000);
    memcpy(ota, x->p->otadata_final + 0x1000, 28);
    assert_non_null(boots(f, name));
    assert_string_equal(name, "app0");
    assert_int_equal(run_fx(f, x, &e), 0);
    assert_non_null(boots(f, name));
    assert_string_equal(name, "app1");
    flash_destroy(f);
}

static void expect_refused(const struct dev *d, const char *mp_chip, const char *msg)
{
    size_t len;
    uint8_t *mp = micropython(mp_chip, &len);
    struct switch_plan *p = malloc(sizeof *p);
    struct err e;
    struct flash *f = device(d);
    uint8_t *before = malloc(FLASH);
    memcpy(before, flash_mem_data(f), FLASH);
    assert_int_equal(run_switch(f, mp, len, p, &e), -1);
    if (!strstr(e.msg, msg))
        fail_msg("'%s', want '%s'", e.msg, msg);
    assert_memory_equal(flash_mem_data(f), before, FLASH);       /* nothing written */
    flash_destroy(f);
    free(before);
    free(p);
    free(mp);
}

static void test_refused(void **state)
{
    (void)state;
    static const char factory_only[] = "nvs, data, nvs, 0x9000, 0x6000,\n"
                                       "factory, app, factory, 0x10000, 0x1f0000,\n"
                                       "vfs, data, fat, 0x200000, 0x200000,\n";
    static const char small[] = "nvs, data, nvs, 0x9000, 0x5000,\n"
                                "otadata, data, ota, 0xe000, 0x2000,\n"
                                "app0, app, ota_0, 0x10000, 0x1E0000,\n"
                                "app1, app, ota_1, 0x1F0000, 0x1E0000,\n"
                                "eeprom, data, 0x99, 0x3D0000, 0x28000,\n"
                                "spiffs, data, spiffs, 0x3F8000, 0x8000,\n";
    expect_refused(&(struct dev){ -1, 0, false, factory_only, NULL }, "esp32",
                   "not an OTA layout");
    expect_refused(&(struct dev){ 0, OTA_IMG_VALID, false, NULL, NULL }, "esp32s3",
                   "the MicroPython app is for esp32s3, the device is esp32");
    expect_refused(&(struct dev){ 0, OTA_IMG_VALID, true, NULL, NULL }, "esp32",
                   "otadata at 0xe000 is corrupt");
    expect_refused(&(struct dev){ 1, OTA_IMG_PENDING_VERIFY, false, NULL, NULL }, "esp32",
                   "state pending_verify");
    expect_refused(&(struct dev){ 0, OTA_IMG_VALID, false, small, NULL }, "esp32",
                   "no room for a vfs partition");
}

static void test_app_file(void **state)
{
    (void)state;
    char path[512];
    uint8_t *app;
    size_t len;
    struct err e;
    FILE *f;
    snprintf(path, sizeof path, "%s/readme.txt", test_tmpdir());
    assert_non_null(f = fopen(path, "w"));
    fputs("not a firmware\n", f);
    fclose(f);
    assert_int_equal(op_switch_app_file(path, &app, &len, &e), -1);
    assert_non_null(strstr(e.msg, path));
    assert_non_null(strstr(e.msg, "not an ESP firmware image"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_end_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cuts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_otadata, setup, teardown),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_app_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
