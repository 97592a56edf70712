/* rm -r: removes whole trees, keeps the root, and stops with an error
 * instead of exhausting the stack when directories nest absurdly deep (as a
 * damaged filesystem whose directory contains itself would look). */
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
    char path[4 * 200] = "";
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

static void test_too_deep_is_an_error(void **state)
{
    (void)state;
    struct flash *f;
    struct lfs *fs = fresh(&f);
    struct err e;
    nest(fs, 140);
    assert_int_equal(lfs_remove_recursive(fs, "/a", &e), -1);
    assert_non_null(strstr(e.msg, "deeper than"));
    lfs_free(fs);
    flash_destroy(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_removed_root_kept),
        cmocka_unit_test(test_too_deep_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
