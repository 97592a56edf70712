/* Randomised: long seeded sequences of operations (write, append, truncate,
 * remove, mkdir, recursive rmdir, rename files and directories across
 * directories and over existing targets) applied to our littlefs and to an
 * in-memory model; after every few operations the filesystem is remounted
 * and must equal the model and pass fsck.  Run with MicroPython's settings,
 * with tiny block_cycles (constant pair relocation and superblock
 * expansion), write-back caching and a 2.0 disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lfs_model.h"
#include "testutil.h"

static uint32_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return n ? rng_state % n : 0;
}

static const char *names[] = { "a", "ab", "abc", "b", "boot.py", "x.bin", "a.b", "long_name_for_testing_purposes", "ü" };
#define NNAMES (int)(sizeof names / sizeof names[0])

static void pick_dir(struct model *m, char *out, size_t n)
{
    int dirs[256], k = 0;
    for (int i = 0; i < m->n && k < 256; i++)
        if (m->v[i].dir)
            dirs[k++] = i;
    uint32_t r = rnd((uint32_t)k + 1);
    snprintf(out, n, "%s", r == (uint32_t)k ? "" : m->v[dirs[r]].path);
}

static struct ment *pick(struct model *m, int want_dir)
{
    int idx[512], k = 0;
    for (int i = 0; i < m->n && k < 512; i++)
        if (want_dir < 0 || m->v[i].dir == (want_dir == 1))
            idx[k++] = i;
    return k ? &m->v[idx[rnd((uint32_t)k)]] : NULL;
}

static uint32_t rsize(void)
{
    uint32_t r = rnd(100);
    return r < 60 ? rnd(200) : r < 95 ? rnd(9000) : rnd(30000);
}

static void fill(uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd(256);
}

static void check(struct lfs *fs, struct model *m)
{
    struct err e;
    char *got = snapshot(fs, &e);
    if (!got)
        fail_msg("snapshot: %s", e.msg);
    got = sort_lines(got);
    char *want = m_snapshot(m);
    if (strcmp(got, want)) {
        printf("--- got\n%s--- want\n%s", got, want);
        fail_msg("filesystem differs from the model");
    }
    free(got);
    free(want);
}

static void run(uint32_t seed, int nops, int cycles, bool write_back, uint32_t version,
                uint32_t bsize)
{
    rng_state = seed;
    struct err e;
    const uint32_t size = 512 * 1024;
    struct flash *fl = flash_mem_new(size, &e);
    struct lfs_config c;
    lfs_config_micropython(&c);
    c.auto_mtime = false;
    c.block_cycles = cycles;
    c.write_back = write_back;
    c.disk_version = version;
    c.block_size = bsize;
    assert_int_equal(lfs_format(fl, 0, size, &c, &e), 0);
    struct lfs *fs;
    assert_int_equal(lfs_mount(&fs, fl, 0, size, &c, &e), 0);
    struct model m = { 0 };
    uint8_t *buf = malloc(40000);
    for (int op = 0; op < nops; op++) {
        char dir[160], path[200];
        uint32_t kind = rnd(100);
        if (kind < 35 && m_bytes(&m) < 200000) {                 /* write a file */
            pick_dir(&m, dir, sizeof dir);
            snprintf(path, sizeof path, "%s/%s", dir, names[rnd(NNAMES)]);
            struct ment *x = m_find(&m, path);
            uint32_t len = rsize();
            fill(buf, len);
            int r = lfs_write_file(fs, path, buf, len, op, &e);
            if (x && x->dir) {
                assert_int_equal(r, -1);
                assert_int_equal(lfs_errno(fs), LFS_ERR_ISDIR);
                continue;
            }
            if (r)
                fail_msg("op %d write %s: %s", op, path, e.msg);
            if (!x)
                x = m_add(&m, path, false);
            free(x->data);
            x->data = malloc(len + 1);
            memcpy(x->data, buf, len);
            x->len = len;
            x->mtime = op;
        } else if (kind < 45 && m_bytes(&m) < 200000) {          /* append */
            struct ment *x = pick(&m, 0);
            if (!x)
                continue;
            struct lfs_file *f;
            uint32_t len = 1 + rnd(3000);
            fill(buf, len);
            assert_int_equal(lfs_file_open(fs, x->path, LFS_O_WRONLY | LFS_O_APPEND, &f, &e), 0);
            assert_int_equal(lfs_file_write(f, buf, len, &e), 0);
            lfs_file_set_mtime(f, op);
            if (lfs_file_close(f, &e))
                fail_msg("op %d append %s: %s", op, x->path, e.msg);
            x->data = realloc(x->data, x->len + len);
            memcpy(x->data + x->len, buf, len);
            x->len += len;
            x->mtime = op;
        } else if (kind < 52) {                                   /* truncate */
            struct ment *x = pick(&m, 0);
            if (!x)
                continue;
            uint32_t ns = rnd(x->len + 2000);
            struct lfs_file *f;
            assert_int_equal(lfs_file_open(fs, x->path, LFS_O_RDWR, &f, &e), 0);
            assert_int_equal(lfs_file_truncate(f, ns, &e), 0);
            lfs_file_set_mtime(f, op);
            if (lfs_file_close(f, &e))
                fail_msg("op %d truncate %s: %s", op, x->path, e.msg);
            x->data = realloc(x->data, ns + 1);
            if (ns > x->len)
                memset(x->data + x->len, 0, ns - x->len);
            x->len = ns;
            x->mtime = op;
        } else if (kind < 62) {                                   /* remove a file */
            struct ment *x = pick(&m, 0);
            if (!x)
                continue;
            if (lfs_remove(fs, x->path, &e))
                fail_msg("op %d remove %s: %s", op, x->path, e.msg);
            m_del(&m, x);
        } else if (kind < 72) {                                   /* mkdir */
            pick_dir(&m, dir, sizeof dir);
            if (strlen(dir) > 60)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, names[rnd(NNAMES)]);
            struct ment *x = m_find(&m, path);
            int r = lfs_mkdir(fs, path, &e);
            if (x) {
                assert_int_equal(r, -1);
                assert_int_equal(lfs_errno(fs), LFS_ERR_EXIST);
                continue;
            }
            if (r)
                fail_msg("op %d mkdir %s: %s", op, path, e.msg);
            m_add(&m, path, true);
        } else if (kind < 77) {                                   /* rm -r */
            struct ment *x = pick(&m, 1);
            if (!x)
                continue;
            char p[160];
            snprintf(p, sizeof p, "%s", x->path);
            if (!m_empty_dir(&m, p) && rnd(2)) {
                assert_int_equal(lfs_remove(fs, p, &e), -1);
                assert_int_equal(lfs_errno(fs), LFS_ERR_NOTEMPTY);
                continue;
            }
            if (lfs_remove_recursive(fs, p, &e))
                fail_msg("op %d rm -r %s: %s", op, p, e.msg);
            m_rmtree(&m, p);
        } else if (kind < 95) {                                   /* rename */
            struct ment *x = pick(&m, -1);
            if (!x)
                continue;
            char from[160];
            snprintf(from, sizeof from, "%s", x->path);
            pick_dir(&m, dir, sizeof dir);
            snprintf(path, sizeof path, "%s/%s", dir, names[rnd(NNAMES)]);
            if (strlen(path) > 100)
                continue;
            struct ment *t = m_find(&m, path);
            bool self = !strcmp(from, path);
            bool inside = x->dir && m_under(from, path);
            bool ok = !inside && (self || !t || (t->dir == x->dir && (!t->dir || m_empty_dir(&m, path))));
            int r = lfs_rename(fs, from, path, &e);
            if (!ok) {
                assert_int_equal(r, -1);
                continue;
            }
            if (r)
                fail_msg("op %d rename %s -> %s: %s", op, from, path, e.msg);
            if (!self)
                m_rename(&m, from, path);
        } else {                                                  /* remount */
            if (write_back)
                assert_int_equal(lfs_unmount(fs, &e), 0);
            else
                lfs_free(fs);
            if (lfs_mount(&fs, fl, 0, size, &c, &e))
                fail_msg("op %d remount: %s", op, e.msg);
            check(fs, &m);
            int problems = lfs_fsck(fs, fsck_print, NULL, &e);
            assert_int_equal(problems, 0);
        }
        if (op % 50 == 0)
            check(fs, &m);
    }
    assert_int_equal(lfs_unmount(fs, &e), 0);
    assert_int_equal(lfs_mount(&fs, fl, 0, size, &c, &e), 0);
    check(fs, &m);
    assert_int_equal(lfs_fsck(fs, fsck_print, NULL, &e), 0);
    struct lfs_stats st;
    lfs_get_stats(fs, &st);
    assert_int_equal(st.prog_over_data, 0);
    struct lfs_fsinfo fi;
    assert_int_equal(lfs_fs_stat(fs, &fi, &e), 0);
    if (cycles < 10)   /* the superblock pair wore out and handed the root on */
        assert_false((fi.root[0] == 0 && fi.root[1] == 1) || (fi.root[0] == 1 && fi.root[1] == 0));
    lfs_free(fs);
    const char *dump = getenv("LFS_TEST_DUMP");   /* for cross-checks by hand */
    if (dump) {
        char p[256];
        snprintf(p, sizeof p, "%s.%u.img", dump, seed);
        FILE *o = fopen(p, "wb");
        if (o) {
            fwrite(flash_mem_data(fl), 1, size, o);
            fclose(o);
        }
        snprintf(p, sizeof p, "%s.%u.txt", dump, seed);
        o = fopen(p, "w");
        char *want = m_snapshot(&m);
        if (o) {
            fputs(want, o);
            fclose(o);
        }
        free(want);
    }
    m_free(&m);
    free(buf);
    flash_destroy(fl);
}

static void test_random_micropython(void **state)
{
    (void)state;
    run(1, 2500, 100, false, LFS_DISK_V21, 4096);
}

static void test_random_relocating(void **state)
{
    (void)state;
    run(7, 2500, 3, true, LFS_DISK_V21, 4096);
}

static void test_random_v20(void **state)
{
    (void)state;
    run(99, 1500, 5, false, LFS_DISK_V20, 4096);
}

static void test_random_small_blocks(void **state)
{
    (void)state;
    run(2024, 2000, 4, false, LFS_DISK_V21, 512);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_micropython),
        cmocka_unit_test(test_random_relocating),
        cmocka_unit_test(test_random_v20),
        cmocka_unit_test(test_random_small_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
