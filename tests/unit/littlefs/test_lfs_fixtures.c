/* Conformance: every image in ../shared/fixtures/littlefs (made by the
 * official littlefs and MicroPython's copy) reads exactly as its manifest
 * says: tree order, types, sizes, SHA-256 of every file, mtimes, block usage.
 * Damaged images fail (or fall back) as littlefs does.  Then each valid image
 * takes a write and still reads (pending moves and orphans get repaired). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hash.h"
#include "lfs_json.h"
#include "lfs_testutil.h"
#include "testutil.h"

static struct jv manifest;
static char dir[4096];

static void sha256_hex(const uint8_t *d, size_t n, char out[65])
{
    unsigned char md[32];
    hash_sha256(d, n, md);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

struct walk {
    const struct jv *tree;
    int i;
    struct lfs *fs;
};

/* Depth first, littlefs order - the manifest's order. */
static void walk_compare(struct walk *w, const char *path)
{
    struct err e;
    struct lfs_info *v;
    size_t n;
    if (lfs_dir_list(w->fs, path, &v, &n, &e))
        fail_msg("list %s: %s", path, e.msg);
    for (size_t k = 0; k < n; k++) {
        char sub[1200];
        snprintf(sub, sizeof sub, "%s/%s", strcmp(path, "/") ? path : "", v[k].name);
        if (w->i >= w->tree->n)
            fail_msg("extra entry %s", sub);
        const struct jv *t = &w->tree->v[w->i++];
        assert_string_equal(sub, jget(t, "path")->s);
        bool isdir = !strcmp(jget(t, "type")->s, "dir");
        assert_int_equal(v[k].type == LFS_TYPE_DIR, isdir);
        if (isdir) {
            walk_compare(w, sub);
            continue;
        }
        assert_int_equal(v[k].size, jget(t, "size")->i);
        uint8_t *d;
        uint32_t len;
        if (lfs_read_file(w->fs, sub, &d, &len, &e))
            fail_msg("read %s: %s", sub, e.msg);
        char hex[65];
        sha256_hex(d, len, hex);
        free(d);
        assert_string_equal(hex, jget(t, "sha256")->s);
        const struct jv *mt = jget(t, "mtime_ns");
        if (!mt || mt->type == JNULL) {
            assert_false(v[k].has_mtime);
        } else {
            assert_true(v[k].has_mtime);
            assert_int_equal(v[k].mtime_ns, strtoll(mt->s, NULL, 10));
        }
    }
    free(v);
}

static uint8_t *load(const struct jv *img, size_t *n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, jget(img, "file")->s);
    return read_whole(path, n);
}

static struct lfs *mount_img(const struct jv *img, struct flash **fl, struct lfs_config *c)
{
    size_t n;
    uint8_t *data = load(img, &n);
    struct err e;
    *fl = flash_mem_from(data, (uint32_t)n, &e);
    free(data);
    lfs_config_micropython(c);
    c->auto_mtime = false;
    struct lfs *fs;
    uint32_t off = (uint32_t)jget(img, "offset")->i, size = (uint32_t)jget(img, "region_size")->i;
    if (lfs_mount(&fs, *fl, off, size, c, &e))
        fail_msg("%s: mount: %s", jget(img, "file")->s, e.msg);
    return fs;
}

static void check_tree(struct lfs *fs, const struct jv *tree)
{
    struct walk w = { tree, 0, fs };
    walk_compare(&w, "/");
    assert_int_equal(w.i, tree->n);
}

static void test_valid_images(void **state)
{
    (void)state;
    const struct jv *images = jget(&manifest, "images");
    assert_non_null(images);
    assert_true(images->n >= 10);
    for (int k = 0; k < images->n; k++) {
        const struct jv *img = &images->v[k];
        printf("  %s\n", jget(img, "file")->s);
        struct flash *fl;
        struct lfs_config c;
        struct lfs *fs = mount_img(img, &fl, &c);
        struct err e;
        check_tree(fs, jget(img, "tree"));
        struct lfs_fsinfo fi;
        assert_int_equal(lfs_fs_stat(fs, &fi, &e), 0);
        assert_int_equal(fi.block_count, jget(img, "block_count")->i);
        assert_int_equal(fi.used_blocks, jget(img, "used_blocks")->i);
        const char *ver = jget(img, "disk_version")->s;
        assert_int_equal(fi.disk_version, !strcmp(ver, "2.0") ? LFS_DISK_V20 : LFS_DISK_V21);
        int problems = lfs_fsck(fs, fsck_print, NULL, &e);
        assert_int_equal(problems, 0);
        /* a write on top: the old tree stays, the new entries appear */
        assert_int_equal(lfs_mkdir(fs, "/zz_new_dir", &e), 0);
        uint8_t blob[5000];
        for (size_t i = 0; i < sizeof blob; i++)
            blob[i] = (uint8_t)(i * 13);
        assert_int_equal(lfs_write_file(fs, "/zz_new_dir/blob", blob, sizeof blob, 42, &e), 0);
        assert_int_equal(lfs_write_file(fs, "/zz_small", "tiny", 4, 43, &e), 0);
        assert_int_equal(lfs_unmount(fs, &e), 0);
        assert_int_equal(lfs_mount(&fs, fl, (uint32_t)jget(img, "offset")->i,
                                   (uint32_t)jget(img, "region_size")->i, &c, &e), 0);
        assert_int_equal(lfs_remove_recursive(fs, "/zz_new_dir", &e), 0);
        assert_int_equal(lfs_remove(fs, "/zz_small", &e), 0);
        check_tree(fs, jget(img, "tree"));
        assert_int_equal(lfs_fs_stat(fs, &fi, &e), 0);
        assert_int_equal(fi.gstate[0], 0);   /* moves and orphans repaired */
        assert_int_equal(lfs_fsck(fs, fsck_print, NULL, &e), 0);
        struct lfs_stats st;
        lfs_get_stats(fs, &st);
        assert_int_equal(st.prog_over_data, 0);
        lfs_free(fs);
        flash_destroy(fl);
    }
}

static const struct jv *damaged(const char *prefix)
{
    const struct jv *d = jget(&manifest, "damaged");
    for (int i = 0; d && i < d->n; i++)
        if (!strncmp(jget(&d->v[i], "file")->s, prefix, strlen(prefix)))
            return &d->v[i];
    fail_msg("no damaged image %s in the manifest", prefix);
    return NULL;
}

static int mount_damaged(const struct jv *img, struct lfs **fs, struct flash **fl, struct err *e)
{
    size_t n;
    uint8_t *data = load(img, &n);
    *fl = flash_mem_from(data, (uint32_t)n, e);
    free(data);
    struct lfs_config c;
    lfs_config_micropython(&c);
    return lfs_mount(fs, *fl, 0, (uint32_t)n, &c, e);
}

static void test_newer_block_corrupt_falls_back(void **state)
{
    (void)state;
    const struct jv *img = damaged("damaged_root_newer_block_bad_crc");
    struct lfs *fs;
    struct flash *fl;
    struct err e;
    assert_int_equal(mount_damaged(img, &fs, &fl, &e), 0);
    check_tree(fs, jget(img, "tree"));
    lfs_free(fs);
    flash_destroy(fl);
}

static void test_both_blocks_corrupt_fails(void **state)
{
    (void)state;
    const struct jv *img = damaged("damaged_both_root_blocks_bad_crc");
    struct lfs *fs;
    struct flash *fl;
    struct err e;
    assert_int_equal(mount_damaged(img, &fs, &fl, &e), -1);
    assert_non_null(strstr(e.msg, "{0x0, 0x1}"));
    assert_non_null(strstr(e.msg, "corrupt"));
    assert_null(strchr(e.msg, '\n'));
    flash_destroy(fl);
}

static void test_truncated_fails(void **state)
{
    (void)state;
    const struct jv *img = damaged("damaged_truncated");
    struct lfs *fs;
    struct flash *fl;
    struct err e;
    assert_int_equal(mount_damaged(img, &fs, &fl, &e), -1);
    assert_non_null(strstr(e.msg, "truncated"));
    assert_non_null(strstr(e.msg, "1048576"));
    flash_destroy(fl);
}

/* Random damage never crashes or reads out of bounds (ASan watches). */
static void test_fuzzed_images_fail_cleanly(void **state)
{
    (void)state;
    const struct jv *images = jget(&manifest, "images");
    const struct jv *img = NULL;
    for (int k = 0; k < images->n; k++)
        if (strstr(jget(&images->v[k], "file")->s, "mpy_1MB_project"))
            img = &images->v[k];
    assert_non_null(img);
    size_t n;
    uint8_t *orig = load(img, &n);
    uint32_t seed = 12345;
    for (int round = 0; round < 150; round++) {
        struct err e;
        struct flash *fl = flash_mem_from(orig, (uint32_t)n, &e);
        uint8_t *d = flash_mem_data(fl);
        int flips = 1 + round % 8;
        for (int i = 0; i < flips; i++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t blk = (seed >> 8) % 26;     /* the used blocks */
            seed = seed * 1103515245u + 12345u;
            uint32_t off = (seed >> 4) % 4096;
            d[blk * 4096 + off] ^= (uint8_t)(1u << (seed % 8));
        }
        struct lfs_config c;
        lfs_config_micropython(&c);
        c.auto_mtime = false;
        struct lfs *fs;
        if (lfs_mount(&fs, fl, 0, (uint32_t)n, &c, &e) == 0) {
            char *s = snapshot(fs, &e);
            free(s);
            lfs_fsck(fs, NULL, NULL, &e);
            lfs_write_file(fs, "/new", "x", 1, 1, &e);
            lfs_free(fs);
        } else {
            assert_null(strchr(e.msg, '\n'));
            assert_true(strlen(e.msg) > 0);
        }
        flash_destroy(fl);
    }
    free(orig);
}

int main(void)
{
    require_shared("fixtures/littlefs/manifest.json");
    snprintf(dir, sizeof dir, "%s", shared_path("fixtures/littlefs"));
    char mpath[4200];
    snprintf(mpath, sizeof mpath, "%s/manifest.json", dir);
    size_t n;
    uint8_t *text = read_whole(mpath, &n);
    char *z = malloc(n + 1);
    memcpy(z, text, n);
    z[n] = 0;
    free(text);
    j_parse(z, &manifest);
    free(z);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_images),
        cmocka_unit_test(test_newer_block_corrupt_falls_back),
        cmocka_unit_test(test_both_blocks_corrupt_fails),
        cmocka_unit_test(test_truncated_fails),
        cmocka_unit_test(test_fuzzed_images_fail_cleanly),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    jv_free(&manifest);
    return r;
}
