/* The table of a switch to MicroPython (lib/format/switch_layout.c), on the
 * real tables arduino-esp32 and ESP-IDF ship (../shared/fixtures): what is
 * kept, where MicroPython and vfs go, the refusals, and that the result
 * planned again gives itself (what a resumed switch relies on). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "switch_layout.h"
#include "testutil.h"

#define MB 0x100000u
#define MP_SLOT 0x1e0000u       /* a 0x198000-byte app + the default margin */

static void load(const char *rel, struct ptable *t)
{
    size_t len;
    struct err e;
    uint8_t *buf = read_whole(shared_path(rel), &len);
    assert_int_equal(ptable_from_bytes(buf, len, rel, 0, t, &e), 0);
    free(buf);
}

static int index_of(const struct ptable *t, const char *name)
{
    const struct part *p = ptable_find(t, name);
    assert_non_null(p);
    return (int)(p - t->p);
}

static bool same(const struct ptable *a, const struct ptable *b)
{
    if (a->n != b->n)
        return false;
    for (int i = 0; i < a->n; i++)
        if (memcmp(&a->p[i], &b->p[i], sizeof a->p[i]) != 0)
            return false;
    return true;
}

/* Plan `table` with `running` kept, check the slot and vfs, check that
 * every kept partition is unchanged, and that planning the result again
 * gives the same table. */
static void plan_ok(const char *rel, uint32_t flash, const char *running, uint32_t mp_at,
                    uint32_t vfs_at, uint32_t vfs_size, struct switch_layout *l)
{
    struct ptable old, again;
    struct err e;
    load(rel, &old);
    struct switch_layout_in in = { &old, flash, index_of(&old, running), MP_SLOT, { 0 }, 0 };
    if (switch_layout_plan(&in, l, &e))
        fail_msg("%s: %s", rel, e.msg);
    const struct part *mp = &l->table.p[l->mp_slot], *vfs = &l->table.p[l->vfs];
    assert_int_equal(mp->offset, mp_at);
    assert_int_equal(mp->size, MP_SLOT);
    assert_string_equal(vfs->name, "vfs");
    assert_int_equal(vfs->offset, vfs_at);
    assert_int_equal(vfs->size, vfs_size);
    for (int i = 0; i < old.n; i++)
        if (l->kept[i]) {
            const struct part *k = ptable_find(&l->table, old.p[i].name);
            assert_non_null(k);
            assert_memory_equal(k, &old.p[i], sizeof *k);
        }
    assert_int_equal(ptable_validate(&l->table, flash, &e), 0);
    again = l->table;
    struct switch_layout l2;
    in.old = &again;
    in.keep_slot = l->keep_slot;
    assert_int_equal(switch_layout_plan(&in, &l2, &e), 0);
    assert_true(same(&l2.table, &l->table));
}

static void test_arduino(void **state)
{
    (void)state;
    struct switch_layout l;
    require_shared("fixtures/partitions/arduino-esp32/default.bin");
    plan_ok("fixtures/partitions/arduino-esp32/default.bin", 4 * MB, "app0", 0x150000, 0x330000,
            0xd0000, &l);
    assert_string_equal(l.table.p[l.mp_slot].name, "app1");
    assert_null(ptable_find(&l.table, "spiffs"));
    assert_null(ptable_find(&l.table, "coredump"));
    plan_ok("fixtures/partitions/arduino-esp32/min_spiffs.bin", 4 * MB, "app0", 0x1f0000,
            0x3d0000, 0x30000, &l);
    plan_ok("fixtures/partitions/arduino-esp32/default_8MB.bin", 8 * MB, "app0", 0x340000,
            0x520000, 0x2e0000, &l);
    /* app1 runs: MicroPython fits beside it in app0's place only with a
     * move (the caller's business), so this is "no room". */
    struct ptable old;
    struct err e;
    load("fixtures/partitions/arduino-esp32/default.bin", &old);
    struct switch_layout_in in = { &old, 4 * MB, index_of(&old, "app1"), MP_SLOT, { 0 }, 0 };
    assert_int_equal(switch_layout_plan(&in, &l, &e), -1);
    assert_true(l.no_room);
    assert_non_null(strstr(e.msg, "no room for MicroPython"));
}

static void test_keep(void **state)
{
    (void)state;
    struct ptable old;
    struct switch_layout l;
    struct err e;
    require_shared("fixtures/partitions/arduino-esp32/default.bin");
    load("fixtures/partitions/arduino-esp32/default.bin", &old);
    struct switch_layout_in in = { &old, 4 * MB, index_of(&old, "app0"), MP_SLOT,
                                   { "coredump" }, 1 };
    assert_int_equal(switch_layout_plan(&in, &l, &e), 0);
    const struct part *vfs = &l.table.p[l.vfs];
    assert_int_equal(vfs->offset + vfs->size, 0x3f0000);     /* up to the kept coredump */
    assert_non_null(ptable_find(&l.table, "coredump"));
    in.keep[0] = "app1";                                      /* MicroPython's slot */
    assert_int_equal(switch_layout_plan(&in, &l, &e), -1);
    assert_non_null(strstr(e.msg, "'app1'"));
    in.keep[0] = "nope";
    assert_int_equal(switch_layout_plan(&in, &l, &e), -1);
    assert_non_null(strstr(e.msg, "--keep: no partition 'nope'"));
}

static void test_esp_idf_two_ota(void **state)
{
    (void)state;
    struct switch_layout l;
    const char *rel = "fixtures/partitions/esp-idf/partitions_two_ota.bin";
    require_shared(rel);
    /* factory runs (erased otadata): MicroPython in ota_0, ota_1 reused */
    plan_ok(rel, 4 * MB, "factory", 0x110000, 0x2f0000, 0x110000, &l);
    assert_string_equal(l.table.p[l.mp_slot].name, "ota_0");
    assert_null(ptable_find(&l.table, "ota_1"));
    /* ota_0 runs: factory reused; MicroPython stays at ota_1's offset, vfs
     * takes the larger space below ota_0 */
    plan_ok(rel, 4 * MB, "ota_0", 0x210000, 0x10000, 0x100000, &l);
    assert_null(ptable_find(&l.table, "factory"));
    /* ota_1 runs: MicroPython moves down into factory's place */
    plan_ok(rel, 4 * MB, "ota_1", 0x10000, 0x310000, 0xf0000, &l);
    assert_string_equal(l.table.p[l.mp_slot].name, "ota_0");
}

static void expect_refused(const char *rel, const char *running, const char *msg)
{
    struct ptable old;
    struct switch_layout l;
    struct err e;
    require_shared(rel);
    load(rel, &old);
    struct switch_layout_in in = { &old, 16 * MB, index_of(&old, running), MP_SLOT, { 0 }, 0 };
    assert_int_equal(switch_layout_plan(&in, &l, &e), -1);
    if (!strstr(e.msg, msg))
        fail_msg("%s: '%s', want '%s'", rel, e.msg, msg);
}

static void test_refused(void **state)
{
    (void)state;
    expect_refused("fixtures/partitions/esp-idf/partitions_singleapp.bin", "factory",
                   "not an OTA layout: the partition table has no otadata");
    expect_refused("fixtures/partitions/arduino-esp32/m5stack_partitions_16MB_factory_6_apps.bin",
                   "firmware", "6 OTA app slots");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arduino),
        cmocka_unit_test(test_keep),
        cmocka_unit_test(test_esp_idf_two_ota),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
