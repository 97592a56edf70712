/* Walks (lfs_walk, and ls, get, rm -r and fsck through it) on damaged and
 * on deep trees: a directory pair reached twice (30 levels of two entries
 * sharing the next level: 2^30 paths to a walk that does not remember
 * pairs), a directory inside itself, a split directory whose pair list
 * loops, a file whose block list loops; and a valid tree 5000 levels deep,
 * which a recursive walk (or one with a depth limit) cannot take. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lfs_craft.h"
#include "lfs_priv.h"
#include "lfs_testutil.h"

static struct lfs *fresh(struct flash **fl, uint32_t size, const struct lfs_config *c)
{
    struct err e;
    struct lfs *fs;
    *fl = flash_mem_new(size, &e);
    assert_non_null(*fl);
    assert_int_equal(lfs_format(*fl, 0, size, c, &e), 0);
    assert_int_equal(lfs_mount(&fs, *fl, 0, size, c, &e), 0);
    return fs;
}

static struct lfs_config mpcfg(void)
{
    struct lfs_config c;
    lfs_config_micropython(&c);
    c.auto_mtime = false;
    c.write_back = false;
    return c;
}

/* What a walk saw; with `fs`, a file "bottom.txt" is read where found. */
struct seen {
    struct lfs *fs;
    int dirs, entries, twice, other, maxdepth, left, bottom;
    struct sbuf problems;
};

static void read_bottom(struct seen *s, const struct lfs_walk_dir *d, const struct lfs_info *f)
{
    struct lfs_file *h;
    struct err e;
    char buf[8];
    assert_int_equal(lfs_file_open_at(s->fs, d->dir, f->name, f->name_len, "bottom", &h, &e), 0);
    assert_int_equal(lfs_file_read(h, buf, sizeof buf, &e), 4);
    assert_memory_equal(buf, "deep", 4);
    assert_int_equal(lfs_file_close(h, &e), 0);
    s->bottom++;
}

static int count_list(void *ctx, const struct lfs_walk_dir *d, struct err *e)
{
    struct seen *s = ctx;
    (void)e;
    s->dirs++;
    s->entries += (int)d->n;
    if (d->depth > s->maxdepth)
        s->maxdepth = d->depth;
    for (size_t i = 0; s->fs && i < d->n; i++)
        if (!strcmp(d->v[i].name, "bottom.txt"))
            read_bottom(s, d, &d->v[i]);
    return 0;
}

static void collect_unlinked(void *ctx, const char *path, const char *why)
{
    sb_add(ctx, "%s: %s\n", path, why);
}

static void fsck_lines(void *ctx, const char *msg)
{
    sb_add(ctx, "%s\n", msg);
}

static int count_leave(void *ctx, const struct lfs_walk_dir *d, struct err *e)
{
    (void)d;
    (void)e;
    ((struct seen *)ctx)->left++;
    return 0;
}

static int count_problem(void *ctx, const struct lfs_walk_dir *d, const struct lfs_info *sub,
                         enum lfs_walk_problem kind, const char *why, struct err *e)
{
    struct seen *s = ctx;
    char path[512];
    (void)e;
    if (sub)
        lfs_walk_path(d, sub, path, sizeof path);
    else
        snprintf(path, sizeof path, "%s", d->path);
    if (kind == LFS_WALK_TWICE)
        s->twice++;
    else
        s->other++;
    sb_add(&s->problems, "%s: %s\n", path, why);
    return 0;
}

static const struct lfs_walk_ops counting = { count_list, NULL, count_leave, count_problem };

/* /a/a/.../a, `levels` directories; in each but the last a second entry
 * "b" leading to the same pair as its "a". */
static void make_shared_levels(struct lfs *fs, int levels)
{
    char path[4 * 64] = "";
    struct err e;
    for (int i = 0; i < levels; i++) {
        strcat(path, "/a");
        assert_int_equal(lfs_mkdir(fs, path, &e), 0);
    }
    assert_int_equal(lfs_write_file(fs, "/a/leaf.txt", "leaf", 4, -1, &e), 0);
    strcpy(path, "");
    for (int i = 0; i + 1 < levels; i++) {
        strcat(path, "/a");
        char target[4 * 64];
        snprintf(target, sizeof target, "%s/a", path);
        assert_int_equal(craft_link(fs, path, "b", target, &e), 0);
    }
}

/* 30 levels of two entries sharing one pair: 2^30 paths for a walk that
 * follows every entry; each pair is listed once, each second way reported
 * once, and fsck, size and rm -r stay linear too. */
static void test_shared_pairs_walked_once(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    struct flash *fl;
    struct lfs *fs = fresh(&fl, 256 * 1024, &c);
    struct err e;
    make_shared_levels(fs, 30);
    struct seen s = { 0 };
    assert_int_equal(lfs_walk(fs, "/", &counting, &s, &e), 0);
    assert_int_equal(s.dirs, 31);            /* the root and 30 levels */
    assert_int_equal(s.left, 31);
    assert_int_equal(s.twice, 29);
    assert_int_equal(s.other, 0);
    assert_int_equal(s.maxdepth, 30);
    assert_non_null(strstr(s.problems.s, "a/b: directory pair {0x"));
    assert_non_null(strstr(s.problems.s, "reached twice"));

    struct sbuf out = { 0 };
    assert_int_equal(lfs_fsck(fs, fsck_lines, &out, &e), 29);
    assert_true(lfs_fs_size(fs, &e) > 0);

    /* rm -r: the second ways are unlinked, everything goes, nothing leaks */
    struct sbuf unlinked = { 0 };
    assert_int_equal(lfs_remove_tree(fs, "/", collect_unlinked, &unlinked, &e), 0);
    assert_non_null(strstr(unlinked.s, "a/a/b: a second entry for directory pair"));
    struct lfs_info *v;
    size_t n;
    assert_int_equal(lfs_dir_list(fs, "/", &v, &n, &e), 0);
    assert_int_equal(n, 0);
    free(v);
    assert_int_equal(lfs_fsck(fs, NULL, NULL, &e), 0);
    assert_int_equal(lfs_fs_size(fs, &e), 2);   /* the superblock pair alone */
    free(s.problems.s);
    free(out.s);
    free(unlinked.s);
    lfs_free(fs);
    flash_destroy(fl);
}

/* A directory inside itself (an entry leading back to an ancestor, and one
 * to the root): walked once, reported, removed. */
static void test_directory_inside_itself(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    struct flash *fl;
    struct lfs *fs = fresh(&fl, 256 * 1024, &c);
    struct err e;
    assert_int_equal(lfs_mkdir(fs, "/x", &e), 0);
    assert_int_equal(lfs_mkdir(fs, "/x/y", &e), 0);
    assert_int_equal(lfs_write_file(fs, "/x/y/f", "f", 1, -1, &e), 0);
    assert_int_equal(craft_link(fs, "/x/y", "up", "/x", &e), 0);
    assert_int_equal(craft_link(fs, "/x/y", "root", "/", &e), 0);
    struct seen s = { 0 };
    assert_int_equal(lfs_walk(fs, "/", &counting, &s, &e), 0);
    assert_int_equal(s.dirs, 3);
    assert_int_equal(s.twice, 2);
    assert_non_null(strstr(s.problems.s, "x/y/up: "));
    assert_non_null(strstr(s.problems.s, "x/y/root: "));
    assert_int_equal(lfs_fsck(fs, NULL, NULL, &e), 2);
    if (lfs_remove_recursive(fs, "/x", &e))
        fail_msg("rm -r /x: %s", e.msg);
    struct lfs_info info;
    assert_int_equal(lfs_stat(fs, "/x", &info, &e), -1);
    assert_int_equal(lfs_fsck(fs, NULL, NULL, &e), 0);
    free(s.problems.s);
    lfs_free(fs);
    flash_destroy(fl);
}

/* A split directory whose hard tail leads back to its own head: listed up
 * to there and reported; the allocator's walk of the tail list says where
 * it loops instead of going round. */
static void test_pair_list_loop(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    struct flash *fl;
    struct lfs *fs = fresh(&fl, 256 * 1024, &c);
    struct err e;
    assert_int_equal(lfs_mkdir(fs, "/d", &e), 0);
    assert_int_equal(lfs_write_file(fs, "/d/f", "f", 1, -1, &e), 0);
    struct lfs_info d;
    assert_int_equal(lfs_stat(fs, "/d", &d, &e), 0);
    struct mdir m;
    assert_int_equal(mdir_fetch(fs, &m, d.dir, &e), 0);
    uint8_t t[8];
    put_le32(t, d.dir[0]);
    put_le32(t + 4, d.dir[1]);
    struct mattr a = { TAG(TY_HARDTAIL, 0x3ff, 8), t };
    assert_true(mdir_commit_raw(fs, &m, &a, 1, &e) >= 0);
    struct seen s = { 0 };
    assert_int_equal(lfs_walk(fs, "/", &counting, &s, &e), 0);
    assert_int_equal(s.other, 1);
    assert_non_null(strstr(s.problems.s, "d: its list of pairs leads to pair"));
    assert_int_equal(s.entries, 2);          /* d in the root, f in d: once */
    assert_int_equal(lfs_fs_size(fs, &e), -1);
    assert_non_null(strstr(e.msg, "tail list loops"));
    free(s.problems.s);
    lfs_free(fs);
    flash_destroy(fl);
}

/* A file whose block list loops (its last block's pointers all point at
 * itself) and claims a size the filesystem could hold: reading it stops
 * with an error that says so, instead of returning its first block's data
 * over and over. */
static void test_file_chain_loop(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    struct flash *fl;
    struct lfs *fs = fresh(&fl, 256 * 1024, &c);
    struct err e;
    static uint8_t data[6000];   /* two blocks: the second points at the first */
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 13);
    assert_int_equal(lfs_write_file(fs, "/f.bin", data, sizeof data, -1, &e), 0);
    assert_int_equal(craft_ctz_loop(fs, "/f.bin", &e), 0);
    uint8_t *buf;
    uint32_t len;
    assert_int_equal(lfs_read_file(fs, "/f.bin", &buf, &len, &e), -1);
    assert_int_equal(lfs_errno(fs), LFS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "/f.bin: block 0x"));
    assert_non_null(strstr(e.msg, "comes twice in the file's block list"));
    struct sbuf out = { 0 };
    assert_true(lfs_fsck(fs, fsck_lines, &out, &e) > 0);
    assert_non_null(strstr(out.s, "/f.bin: block 0x"));
    /* a size no filesystem this small holds: refused before any read */
    assert_int_equal(craft_ctz_size(fs, "/f.bin", 0x7fffffff, &e), 0);
    struct lfs_file *f;
    assert_int_equal(lfs_file_open(fs, "/f.bin", LFS_O_RDONLY, &f, &e), -1);
    assert_non_null(strstr(e.msg, "bad struct"));
    free(out.s);
    lfs_free(fs);
    flash_destroy(fl);
}

/* 5000 levels (small blocks keep the image small): the walk, fsck and a
 * read at the bottom all work. */
#define DEEP 5000

static void test_deep_tree(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    c.block_size = 512;
    c.inline_max = 64;
    struct flash *fl;
    struct lfs *fs = fresh(&fl, (2 * DEEP + 64) * 512, &c);
    struct err e;
    assert_int_equal(craft_deep(fs, DEEP, &e), 0);
    struct seen s = { .fs = fs };
    assert_int_equal(lfs_walk(fs, "/", &counting, &s, &e), 0);
    assert_int_equal(s.dirs, DEEP + 1);
    assert_int_equal(s.maxdepth, DEEP);
    assert_int_equal(s.twice + s.other, 0);
    assert_int_equal(s.bottom, 1);
    assert_int_equal(lfs_fsck(fs, NULL, NULL, &e), 0);
    lfs_free(fs);
    flash_destroy(fl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_pairs_walked_once),
        cmocka_unit_test(test_directory_inside_itself),
        cmocka_unit_test(test_pair_list_loop),
        cmocka_unit_test(test_file_chain_loop),
        cmocka_unit_test(test_deep_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
