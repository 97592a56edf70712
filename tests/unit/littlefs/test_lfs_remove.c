/* rm -r: removes whole trees, keeps the root, and takes any depth (its
 * walk keeps its stack on the heap; loops are test_lfs_walk's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "flash_mem.h"
#include "lfs.h"

#define SIZE (512 * 4096)     /* every directory is a 2-block pair */

static struct lfs *fresh(struct flash **f)
{
    struct lfs_config cfg;
    struct err e;
    struct lfs *fs;
    lfs_config_micropython(&cfg);
    *f = flash_mem_new(SIZE, &e);
    assert_non_null(*f);
    assert_int_equal(lfs_format(*f, 0, SIZE, &cfg, &e), 0);
    assert_int_equal(lfs_mount(&fs, *f, 0, SIZE, &cfg, &e), 0);
    return fs;
}

/* /a/a/a/... `depth` levels, a file at the bottom. */
static void nest(struct lfs *fs, int depth)
{
    char path[4 * 220] = "";
    struct err e;
    for (int i = 0; i < depth; i++) {
        strcat(path, "/a");
        if (lfs_mkdir(fs, path, &e))
            fail_msg("depth %d: %s", i, e.msg);
    }
    strcat(path, "/f");
    assert_int_equal(lfs_write_file(fs, path, "x", 1, -1, &e), 0);
}

static void test_tree_removed_root_kept(void **state)
{
    (void)state;
    struct flash *f;
    struct lfs *fs = fresh(&f);
    struct err e;
    struct lfs_info info;
    nest(fs, 20);
    assert_int_equal(lfs_write_file(fs, "/top.txt", "y", 1, -1, &e), 0);
    assert_int_equal(lfs_remove_recursive(fs, "/a", &e), 0);
    assert_int_equal(lfs_stat(fs, "/a", &info, &e), -1);
    assert_int_equal(lfs_stat(fs, "/top.txt", &info, &e), 0);
    assert_int_equal(lfs_remove_recursive(fs, "/", &e), 0);
    assert_int_equal(lfs_stat(fs, "/", &info, &e), 0);
    assert_int_equal(lfs_stat(fs, "/top.txt", &info, &e), -1);
    lfs_free(fs);
    flash_destroy(f);
}

/* Deeper than the 128 levels the recursive rm -r stopped at (a valid
 * tree: littlefs and MicroPython make and read it): removed whole. */
static void test_deep_tree_removed(void **state)
{
    (void)state;
    struct flash *f;
    struct lfs *fs = fresh(&f);
    struct err e;
    struct lfs_info info;
    nest(fs, 200);
    assert_int_equal(lfs_remove_recursive(fs, "/a", &e), 0);
    assert_int_equal(lfs_stat(fs, "/a", &info, &e), -1);
    assert_int_equal(lfs_fsck(fs, NULL, NULL, &e), 0);
    assert_int_equal(lfs_fs_size(fs, &e), 2);
    lfs_free(fs);
    flash_destroy(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_removed_root_kept),
        cmocka_unit_test(test_deep_tree_removed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
