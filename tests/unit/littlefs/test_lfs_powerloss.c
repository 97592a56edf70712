/* Power loss: a realistic sequence of operations is run again and again on
 * the same starting image, the flash "losing power" after the N-th
 * program/erase for every N (and, in a second pass, tearing that write in
 * half).  After each cut the filesystem must mount, read completely, pass
 * fsck and equal the state before or after the interrupted operation; and
 * the next write must work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lfs_model.h"
#include "testutil.h"

#define SIZE (256 * 1024)

static uint8_t blob[40000];

/* One operation of the sequence; returns 0 or -1 (power cut). */
static int step(struct lfs *fs, int i, struct err *e)
{
    struct lfs_file *f;
    switch (i) {
    case 0: return lfs_write_file(fs, "/new.txt", blob, 50, 100, e);
    case 1: return lfs_write_file(fs, "/lib/big.bin", blob, 20000, 101, e);
    case 2:
        if (lfs_file_open(fs, "/data/log.txt", LFS_O_WRONLY | LFS_O_APPEND, &f, e))
            return -1;
        if (lfs_file_write(f, blob + 7, 3000, e)) {
            lfs_file_close(f, e);
            return -1;
        }
        lfs_file_set_mtime(f, 102);
        return lfs_file_close(f, e);
    case 3: return lfs_mkdir(fs, "/lib/sub", e);
    case 4: return lfs_rename(fs, "/lib/a.py", "/lib/sub/a.py", e);      /* across pairs */
    case 5: return lfs_remove(fs, "/empty", e);                          /* rmdir */
    case 6: return lfs_write_file(fs, "/boot.py", blob + 3, 200, 106, e); /* overwrite */
    case 7:
        if (lfs_file_open(fs, "/data/log.txt", LFS_O_RDWR, &f, e))
            return -1;
        if (lfs_file_truncate(f, 100, e)) {                            /* back to inline */
            lfs_file_close(f, e);
            return -1;
        }
        lfs_file_set_mtime(f, 107);
        return lfs_file_close(f, e);
    case 8: return lfs_rename(fs, "/data", "/data2", e);
    case 9: return lfs_rename(fs, "/new.txt", "/boot.py", e);           /* replace */
    case 10: return lfs_remove(fs, "/many/f03", e);
    case 11: return lfs_write_file(fs, "/many/f99", blob + 9, 9000, 111, e);
    case 12: return lfs_rename(fs, "/lib/sub", "/many/sub", e);           /* move a dir */
    case 13: return lfs_remove(fs, "/lib/big.bin", e);
    default:
        if (i < 14 + 80) {   /* churn: compactions, relocations, expansion */
            char p[32];
            snprintf(p, sizeof p, "%s/c%d", i % 2 ? "/many" : "", i % 3);
            return lfs_write_file(fs, p, blob + i, 60 + (uint32_t)(i * 37) % 69, 200 + i, e);
        }
        return 1;   /* end of the sequence */
    }
}

static void apply(struct model *m, int i)
{
    struct ment *x;
    switch (i) {
    case 0: x = m_add(m, "/new.txt", false); x->data = malloc(50); memcpy(x->data, blob, 50); x->len = 50; x->mtime = 100; break;
    case 1: x = m_add(m, "/lib/big.bin", false); x->data = malloc(20000); memcpy(x->data, blob, 20000); x->len = 20000; x->mtime = 101; break;
    case 2:
        x = m_find(m, "/data/log.txt");
        x->data = realloc(x->data, x->len + 3000);
        memcpy(x->data + x->len, blob + 7, 3000);
        x->len += 3000;
        x->mtime = 102;
        break;
    case 3: m_add(m, "/lib/sub", true); break;
    case 4: m_rename(m, "/lib/a.py", "/lib/sub/a.py"); break;
    case 5: m_rmtree(m, "/empty"); break;
    case 6: x = m_find(m, "/boot.py"); free(x->data); x->data = malloc(200); memcpy(x->data, blob + 3, 200); x->len = 200; x->mtime = 106; break;
    case 7: x = m_find(m, "/data/log.txt"); x->len = 100; x->mtime = 107; break;
    case 8: m_rename(m, "/data", "/data2"); break;
    case 9: m_rename(m, "/new.txt", "/boot.py"); break;
    case 10: m_rmtree(m, "/many/f03"); break;
    case 11: x = m_add(m, "/many/f99", false); x->data = malloc(9000); memcpy(x->data, blob + 9, 9000); x->len = 9000; x->mtime = 111; break;
    case 12: m_rename(m, "/lib/sub", "/many/sub"); break;
    case 13: m_rmtree(m, "/lib/big.bin"); break;
    default: {
        char p[32];
        snprintf(p, sizeof p, "%s/c%d", i % 2 ? "/many" : "", i % 3);
        x = m_find(m, p);
        if (!x)
            x = m_add(m, p, false);
        uint32_t n = 60 + (uint32_t)(i * 37) % 69;
        free(x->data);
        x->data = malloc(n + 1);
        memcpy(x->data, blob + i, n);
        x->len = n;
        x->mtime = 200 + i;
    }
    }
}

static void populate(struct lfs *fs, struct model *m)
{
    struct err e;
    const struct { const char *p; uint32_t len; } files[] = {
        { "/boot.py", 139 }, { "/lib/a.py", 3000 }, { "/data/log.txt", 10000 },
    };
    assert_int_equal(lfs_mkdir(fs, "/lib", &e), 0);
    assert_int_equal(lfs_mkdir(fs, "/data", &e), 0);
    assert_int_equal(lfs_mkdir(fs, "/empty", &e), 0);
    assert_int_equal(lfs_mkdir(fs, "/many", &e), 0);
    m_add(m, "/lib", true);
    m_add(m, "/data", true);
    m_add(m, "/empty", true);
    m_add(m, "/many", true);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(lfs_write_file(fs, files[i].p, blob + i, files[i].len, i, &e), 0);
        struct ment *x = m_add(m, files[i].p, false);
        x->data = malloc(files[i].len);
        memcpy(x->data, blob + i, files[i].len);
        x->len = files[i].len;
        x->mtime = i;
    }
    for (int i = 0; i < 40; i++) {   /* enough to split /many over pairs */
        char p[32];
        snprintf(p, sizeof p, "/many/f%02d", i);
        assert_int_equal(lfs_write_file(fs, p, blob + i, 40 + i, 10 + i, &e), 0);
        struct ment *x = m_add(m, p, false);
        x->data = malloc(40 + (size_t)i);
        memcpy(x->data, blob + i, 40 + (size_t)i);
        x->len = 40 + (uint32_t)i;
        x->mtime = 10 + i;
    }
}

static char *snap_sorted(struct lfs *fs)
{
    struct err e;
    char *s = snapshot(fs, &e);
    if (!s)
        fail_msg("snapshot after power cut: %s", e.msg);
    return sort_lines(s);
}

static void run(int cycles, bool torn, uint32_t bsize)
{
    struct err e;
    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = (uint8_t)(i * 2654435761u >> 13);
    struct lfs_config c;
    lfs_config_micropython(&c);
    c.auto_mtime = false;
    c.write_back = false;   /* every prog/erase reaches the flash: cut between any two */
    c.block_cycles = cycles;
    c.block_size = bsize;   /* small blocks: many compactions, splits, relocations */
    struct flash *base = flash_mem_new(SIZE, &e);
    assert_int_equal(lfs_format(base, 0, SIZE, &c, &e), 0);
    struct lfs *fs;
    assert_int_equal(lfs_mount(&fs, base, 0, SIZE, &c, &e), 0);
    struct model m = { 0 };
    populate(fs, &m);
    lfs_free(fs);
    /* expected states, and the number of flash operations of the run */
    char *states[160];
    int nsteps = 0;
    states[0] = m_snapshot(&m);
    struct flash *fl = flash_mem_from(flash_mem_data(base), SIZE, &e);
    assert_int_equal(lfs_mount(&fs, fl, 0, SIZE, &c, &e), 0);
    long start = flash_mem_ops(fl);
    for (;;) {
        int r = step(fs, nsteps, &e);
        if (r == 1)
            break;
        if (r)
            fail_msg("step %d: %s", nsteps, e.msg);
        apply(&m, nsteps);
        states[++nsteps] = m_snapshot(&m);
        char *got = snap_sorted(fs);
        assert_string_equal(got, states[nsteps]);
        free(got);
    }
    long total = flash_mem_ops(fl) - start;
    struct lfs_stats st;
    lfs_get_stats(fs, &st);
    printf("  compactions %llu, relocations %llu, splits %llu\n", (unsigned long long)st.compactions,
           (unsigned long long)st.relocations, (unsigned long long)st.splits);
    if (cycles < 10)
        assert_true(st.relocations > 0 && st.splits > 0);
    lfs_free(fs);
    flash_destroy(fl);
    printf("  %d steps, %ld program/erase operations, block_cycles %d%s\n", nsteps, total,
           cycles, torn ? ", torn writes" : "");
    int before = 0, after = 0;
    for (long n = 0; n < total; n++) {
        fl = flash_mem_from(flash_mem_data(base), SIZE, &e);
        assert_int_equal(lfs_mount(&fs, fl, 0, SIZE, &c, &e), 0);
        flash_mem_cut_after(fl, n, torn);
        int i = 0;
        while (i < nsteps && step(fs, i, &e) == 0)
            i++;
        assert_true(i < nsteps);        /* the cut happened */
        assert_true(flash_mem_cut(fl));
        lfs_free(fs);
        flash_mem_cut_after(fl, -1, false);
        if (lfs_mount(&fs, fl, 0, SIZE, &c, &e))
            fail_msg("cut after %ld ops (step %d): mount: %s", n, i, e.msg);
        char *got = snap_sorted(fs);
        if (!strcmp(got, states[i]))
            before++;
        else if (!strcmp(got, states[i + 1]))
            after++;
        else {
            printf("got:\n%s\nbefore:\n%s\nafter:\n%s", got, states[i], states[i + 1]);
            fail_msg("cut after %ld ops in step %d: neither the old nor the new state", n, i);
        }
        if (lfs_fsck(fs, fsck_print, NULL, &e) != 0)
            fail_msg("cut after %ld ops in step %d: fsck found problems", n, i);
        /* life goes on: the next write repairs and works */
        if (lfs_write_file(fs, "/after", "ok", 2, 1, &e))
            fail_msg("cut after %ld ops in step %d: write after: %s", n, i, e.msg);
        lfs_free(fs);
        assert_int_equal(lfs_mount(&fs, fl, 0, SIZE, &c, &e), 0);
        assert_int_equal(lfs_fsck(fs, fsck_print, NULL, &e), 0);
        struct lfs_fsinfo fi;
        assert_int_equal(lfs_fs_stat(fs, &fi, &e), 0);
        assert_int_equal(fi.gstate[0] & ~0x3ffu, 0);
        free(got);
        lfs_free(fs);
        flash_destroy(fl);
    }
    printf("  old state %d times, new state %d times\n", before, after);
    assert_true(before > 0 && after > 0);
    for (int i = 0; i <= nsteps; i++)
        free(states[i]);
    m_free(&m);
    flash_destroy(base);
}

static void test_powerloss_micropython(void **state)
{
    (void)state;
    run(100, false, 4096);
}

static void test_powerloss_relocating(void **state)
{
    (void)state;
    run(2, false, 512);
}

static void test_powerloss_torn_writes(void **state)
{
    (void)state;
    run(2, true, 512);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_powerloss_micropython),
        cmocka_unit_test(test_powerloss_relocating),
        cmocka_unit_test(test_powerloss_torn_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
