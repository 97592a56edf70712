/* littlefs on-disk structures, one at a time: CRC, tags and their XOR
 * chain, commit padding and FCRC, the superblock, CTZ index math, name
 * order, metadata replay (creates/deletes/supersedes), split directories,
 * MicroPython's mtime attribute, grow, the 2.0 switch; and the damaged
 * structures fuzz_littlefs found mishandled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lfs_priv.h"
#include "lfs_testutil.h"
#include "testutil.h"

#define BS 4096
#define MB2 (2u << 20)

static struct lfs_config mpcfg(void)
{
    struct lfs_config c;
    lfs_config_micropython(&c);
    c.auto_mtime = false;
    c.write_back = false;
    return c;
}

static void test_crc_matches_littlefs(void **state)
{
    (void)state;
    /* littlefs keeps the raw register: ~crc32("123456789") */
    assert_int_equal(lfs_crc(0xffffffffu, "123456789", 9), ~0xCBF43926u);
    assert_int_equal(lfs_crc(0xffffffffu, "", 0), 0xffffffffu);
}

static void test_tag_fields(void **state)
{
    (void)state;
    uint32_t t = TAG(TY_CTZSTRUCT, 5, 8);
    assert_int_equal(TAG_TYPE3(t), 0x202);
    assert_int_equal(TAG_TYPE1(t), T1_STRUCT);
    assert_int_equal(TAG_ID(t), 5);
    assert_int_equal(TAG_SIZE(t), 8);
    assert_int_equal(TAG_DSIZE(t), 12);
    assert_int_equal(TAG_DSIZE(TAG(TY_USERATTR + 1, 3, 0x3ff)), 4); /* deleted: no data */
    assert_true(TAG_ISDELETE(TAG(TY_USERATTR + 1, 3, 0x3ff)));
}

/* Format writes exactly what MicroPython's VfsLfs2.mkfs writes. */
static void test_format_layout(void **state)
{
    (void)state;
    struct err e;
    struct flash *fl = flash_mem_new(MB2, &e);
    struct lfs_config c = mpcfg();
    assert_int_equal(lfs_format(fl, 0, MB2, &c, &e), 0);
    const uint8_t *b0 = flash_mem_data(fl), *b1 = b0 + BS;
    assert_int_equal(get_le32(b0), 1);          /* revisions 1 and 2 */
    assert_int_equal(get_le32(b1), 2);
    assert_memory_equal(b0 + 8, "littlefs", 8);  /* the magic at byte 8 */
    /* first tag: NAME superblock id 0 size 8, XORed with 0xffffffff */
    assert_int_equal(get_be32(b0 + 4) ^ 0xffffffffu, TAG(TY_SUPERBLOCK, 0, 8));
    uint32_t t2 = get_be32(b0 + 16) ^ TAG(TY_SUPERBLOCK, 0, 8);
    assert_int_equal(t2, TAG(TY_INLINESTRUCT, 0, 24));
    assert_int_equal(get_le32(b0 + 20), LFS_DISK_V21);
    assert_int_equal(get_le32(b0 + 24), 4096);
    assert_int_equal(get_le32(b0 + 28), 512);
    assert_int_equal(get_le32(b0 + 32), 255);
    assert_int_equal(get_le32(b0 + 36), 2147483647);
    assert_int_equal(get_le32(b0 + 40), 1022);
    /* FCRC at 44 over the next 32 erased bytes, CCRC at 56, commit ends at 64 */
    uint32_t fc = get_be32(b0 + 44) ^ t2;
    assert_int_equal(fc, TAG(TY_FCRC, 0x3ff, 8));
    assert_int_equal(get_le32(b0 + 48), 32);
    uint8_t ff[32];
    memset(ff, 0xff, sizeof ff);
    assert_int_equal(get_le32(b0 + 52), lfs_crc(0xffffffffu, ff, 32));
    uint32_t cc = get_be32(b0 + 56) ^ fc;
    assert_int_equal(cc, TAG(TY_CCRC, 0x3ff, 4));
    assert_int_equal(get_le32(b0 + 60), lfs_crc(0xffffffffu, b0, 60));
    for (int i = 64; i < BS; i++)
        assert_int_equal(b0[i], 0xff);
    assert_memory_equal(b0 + 4, b1 + 4, 56);   /* the CRC covers the revision */
    /* byte-identical to MicroPython's mkfs on an erased 2 MiB device */
    const char *p = shared_path("fixtures/littlefs/mpy_2MB_empty.img");
    if (p) {
        size_t n;
        uint8_t *want = read_whole(p, &n);
        assert_int_equal(n, MB2);
        assert_memory_equal(flash_mem_data(fl), want, MB2);
        free(want);
    }
    flash_destroy(fl);
}

static void test_format_v20_has_no_fcrc(void **state)
{
    (void)state;
    struct err e;
    struct flash *fl = flash_mem_new(256 * 1024, &e);
    struct lfs_config c = mpcfg();
    c.disk_version = LFS_DISK_V20;
    assert_int_equal(lfs_format(fl, 0, 256 * 1024, &c, &e), 0);
    const uint8_t *b0 = flash_mem_data(fl);
    assert_int_equal(get_le32(b0 + 20), LFS_DISK_V20);
    uint32_t t2 = TAG(TY_INLINESTRUCT, 0, 24);
    uint32_t cc = get_be32(b0 + 44) ^ t2;        /* CCRC right after the struct */
    assert_int_equal(TAG_TYPE3(cc), TY_CCRC);
    struct lfs *fs;
    assert_int_equal(lfs_mount(&fs, fl, 0, 256 * 1024, &c, &e), 0);
    assert_int_equal(lfs_write_file(fs, "/x", "abc", 3, 7, &e), 0);
    struct lfs_fsinfo fi;
    assert_int_equal(lfs_fs_stat(fs, &fi, &e), 0);
    assert_int_equal(fi.disk_version, LFS_DISK_V20);   /* a 2.0 disk stays 2.0 */
    lfs_free(fs);
    /* no FCRC tag anywhere in blocks 0/1 */
    for (int b = 0; b < 2; b++) {
        const uint8_t *p = b0 + b * BS;
        uint32_t pos = 4, ptag = 0xffffffffu;
        while (pos + 4 <= BS) {
            uint32_t t = get_be32(p + pos) ^ ptag;
            if (t & 0x80000000u)
                break;
            assert_int_not_equal(TAG_TYPE3(t), TY_FCRC);
            ptag = t;
            if ((t & 0x78000000u) == 0x50000000u)
                ptag ^= (TAG_CHUNK(t) & 1u) << 31;
            pos += TAG_DSIZE(t);
        }
    }
    flash_destroy(fl);
}

/* Block capacity model: block 0 holds bs bytes, block i ctz(i)+1 pointers less. */
static void test_ctz_index(void **state)
{
    (void)state;
    uint32_t bs = BS, pos = 0;
    for (uint32_t i = 0; i < 3000; i++) {
        uint32_t hdr = i ? 4 * ((uint32_t)__builtin_ctz(i) + 1) : 0;
        uint32_t cap = bs - hdr;
        uint32_t probes[3] = { pos, pos + cap / 2, pos + cap - 1 };
        for (int k = 0; k < 3; k++) {
            uint32_t off;
            assert_int_equal(ctz_index(bs, probes[k], &off), i);
            assert_int_equal(off, hdr + (probes[k] - pos));
        }
        pos += cap;
    }
    assert_int_equal(ctz_ptrs(0), 0);
    assert_int_equal(ctz_ptrs(1), 1);
    assert_int_equal(ctz_ptrs(8), 4);
}

static void test_fields_replay(void **state)
{
    (void)state;
    struct fields f;
    memset(&f, 0, sizeof f);
    const uint8_t *A = (const uint8_t *)"A", *B = (const uint8_t *)"B", *C = (const uint8_t *)"C";
    assert_int_equal(fields_apply(&f, TAG(TY_CREATE, 0, 0), NULL), 0);
    assert_int_equal(fields_apply(&f, TAG(TY_REG, 0, 1), B), 0);
    assert_int_equal(fields_apply(&f, TAG(TY_CREATE, 0, 0), NULL), 0);   /* insert before B */
    assert_int_equal(fields_apply(&f, TAG(TY_REG, 0, 1), A), 0);
    assert_int_equal(fields_apply(&f, TAG(TY_REG, 2, 1), C), 0);         /* implicit id 2 */
    assert_int_equal(f.count, 3);
    assert_ptr_equal(fields_get(&f, 1, 0, MASK_NAME)->data, B);
    assert_int_equal(fields_apply(&f, TAG(TY_INLINESTRUCT, 1, 1), B), 0);
    assert_int_equal(fields_apply(&f, TAG(TY_CTZSTRUCT, 1, 8), C), 0);   /* supersedes */
    assert_int_equal(fields_get(&f, 1, T1_STRUCT << 8, MASK_TYPE1)->type, TY_CTZSTRUCT);
    assert_int_equal(fields_apply(&f, TAG(TY_USERATTR + 1, 1, 1), A), 0);
    assert_int_equal(fields_apply(&f, TAG(TY_USERATTR + 2, 1, 1), B), 0);
    assert_int_equal(fields_apply(&f, TAG(TY_USERATTR + 1, 1, 0x3ff), NULL), 0); /* removed */
    assert_null(fields_get(&f, 1, TY_USERATTR + 1, MASK_TYPE3));
    assert_non_null(fields_get(&f, 1, TY_USERATTR + 2, MASK_TYPE3));
    assert_int_equal(fields_apply(&f, TAG(TY_DELETE, 0, 0), NULL), 0);   /* A goes, B is id 0 */
    assert_int_equal(f.count, 2);
    assert_ptr_equal(fields_get(&f, 0, 0, MASK_NAME)->data, B);
    assert_ptr_equal(fields_get(&f, 1, 0, MASK_NAME)->data, C);
    assert_int_equal(fields_apply(&f, TAG(TY_DELETE, 5, 0), NULL), -1);  /* no such id */
    fields_free(&f);
}

static struct lfs *fresh(struct flash **fl, uint32_t size, struct lfs_config *c)
{
    struct err e;
    *fl = flash_mem_new(size, &e);
    assert_non_null(*fl);
    assert_int_equal(lfs_format(*fl, 0, size, c, &e), 0);
    struct lfs *fs;
    assert_int_equal(lfs_mount(&fs, *fl, 0, size, c, &e), 0);
    return fs;
}

static int count_visits(void *ctx, lfs_block_t b, struct err *e)
{
    (void)b;
    (void)e;
    (*(uint32_t *)ctx)++;
    return 0;
}

/* fs_size counts file blocks from the files' sizes (reading no file
 * block): it must equal what following every file's chain visits, for
 * sizes around the points where a chain gains a block (4088 data bytes in
 * block 0, 4092 or 4088 in the next, ...), inline files, empty files and
 * a directory. */
static void test_size_counts_what_a_walk_visits(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    struct flash *fl;
    struct lfs *fs = fresh(&fl, 512 * BS, &c);
    struct err e;
    static uint8_t data[40000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    static const uint32_t sizes[] = { 0, 1, 100, 4095, 4096, 4097, 8183, 8184, 8185, 8188,
                                      12272, 12277, 16380, 20000, 32768, 40000 };
    assert_int_equal(lfs_mkdir(fs, "/d", &e), 0);
    char path[32];
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        snprintf(path, sizeof path, "/%s%zu", i % 2 ? "d/" : "", i);
        assert_int_equal(lfs_write_file(fs, path, data, sizes[i], 7, &e), 0);
    }
    uint32_t used, visited = 0;
    assert_int_equal(fs_size(fs, &used, &e), 0);
    assert_int_equal(fs_traverse(fs, false, count_visits, &visited, &e), 0);
    assert_int_equal(used, visited);
    assert_true(used > 2 + 2 + 40000 / BS);   /* the files' blocks are there */
    lfs_free(fs);
    flash_destroy(fl);
}

/* The longer name sorts first when one is a prefix of the other. */
static void test_name_order(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    struct flash *fl;
    struct lfs *fs = fresh(&fl, 256 * 1024, &c);
    struct err e;
    const char *names[] = { "b", "a", "ab", "aa", "a.b.c.d" };
    for (int i = 0; i < 5; i++) {
        char p[32];
        snprintf(p, sizeof p, "/%s", names[i]);
        assert_int_equal(lfs_write_file(fs, p, "x", 1, 1, &e), 0);
    }
    struct lfs_info *v;
    size_t n;
    assert_int_equal(lfs_dir_list(fs, "/", &v, &n, &e), 0);
    const char *want[] = { "a.b.c.d", "aa", "ab", "a", "b" };
    assert_int_equal(n, 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(v[i].name, want[i]);
    free(v);
    for (int i = 0; i < 5; i++) {   /* lookups rely on the order */
        char p[32];
        struct lfs_info info;
        snprintf(p, sizeof p, "/%s", names[i]);
        assert_int_equal(lfs_stat(fs, p, &info, &e), 0);
    }
    lfs_free(fs);
    flash_destroy(fl);
}

/* Inline up to 128 bytes, CTZ above; mtime is attribute 1, u64 LE ns. */
static void test_inline_ctz_and_mtime(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    struct flash *fl;
    struct lfs *fs = fresh(&fl, 256 * 1024, &c);
    struct err e;
    uint8_t data[9000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    assert_int_equal(lfs_write_file(fs, "/small", data, 128, 1234567890123456789LL, &e), 0);
    assert_int_equal(lfs_write_file(fs, "/big", data, 129, 5, &e), 0);
    assert_int_equal(lfs_write_file(fs, "/huge", data, sizeof data, 6, &e), 0);
    struct lookup r;
    struct fields f;
    assert_int_equal(fs_lookup(fs, "/small", true, &r, &e), 0);
    assert_int_equal(mdir_fields(fs, &r.d, true, &f, &e), 0);
    const struct field *s = fields_get(&f, r.id, T1_STRUCT << 8, MASK_TYPE1);
    assert_int_equal(s->type, TY_INLINESTRUCT);
    assert_int_equal(s->size, 128);
    const struct field *m = fields_get(&f, r.id, TY_USERATTR + 1, MASK_TYPE3);
    assert_int_equal(m->size, 8);
    assert_int_equal(get_le32(m->data), (uint32_t)1234567890123456789ULL);
    assert_int_equal(get_le32(m->data + 4), (uint32_t)(1234567890123456789ULL >> 32));
    fields_free(&f);
    assert_int_equal(fs_lookup(fs, "/big", true, &r, &e), 0);
    assert_int_equal(mdir_fields(fs, &r.d, true, &f, &e), 0);
    s = fields_get(&f, r.id, T1_STRUCT << 8, MASK_TYPE1);
    assert_int_equal(s->type, TY_CTZSTRUCT);
    assert_int_equal(get_le32(s->data + 4), 129);
    fields_free(&f);
    /* CTZ block 1 of /huge points back at block 0 */
    assert_int_equal(fs_lookup(fs, "/huge", true, &r, &e), 0);
    assert_int_equal(mdir_fields(fs, &r.d, true, &f, &e), 0);
    s = fields_get(&f, r.id, T1_STRUCT << 8, MASK_TYPE1);
    lfs_block_t head = get_le32(s->data);
    fields_free(&f);
    const uint8_t *hb = flash_mem_data(fl) + head * BS;   /* block index 2 */
    lfs_block_t b1 = get_le32(hb), b0 = get_le32(hb + 4);
    assert_int_equal(get_le32(flash_mem_data(fl) + b1 * BS), b0);
    assert_memory_equal(flash_mem_data(fl) + b0 * BS, data, BS);
    assert_memory_equal(flash_mem_data(fl) + b1 * BS + 4, data + BS, BS - 4);
    struct lfs_info info;
    assert_int_equal(lfs_stat(fs, "/small", &info, &e), 0);
    assert_true(info.has_mtime);
    assert_int_equal(info.mtime_ns, 1234567890123456789LL);
    struct lfs_stats st;
    lfs_get_stats(fs, &st);
    assert_int_equal(st.prog_over_data, 0);
    lfs_free(fs);
    flash_destroy(fl);
}

/* A damaged CTZ struct claiming a size the filesystem cannot hold is
 * corrupt: reading must not allocate it, walking must not follow ~1M
 * pointers (found by fuzz_littlefs: lfs_read_file asked for 4 GB). */
static void test_ctz_size_beyond_filesystem(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    struct flash *fl;
    struct lfs *fs = fresh(&fl, 64 * 1024, &c);
    struct err e;
    uint8_t data[5000] = { 1, 2, 3 };
    assert_int_equal(lfs_write_file(fs, "/f", data, sizeof data, 5, &e), 0);
    struct lookup r;
    struct fields f;
    assert_int_equal(fs_lookup(fs, "/f", true, &r, &e), 0);
    assert_int_equal(mdir_fields(fs, &r.d, true, &f, &e), 0);
    uint8_t ctz[8];
    memcpy(ctz, fields_get(&f, r.id, TY_CTZSTRUCT, MASK_TYPE3)->data, 4);
    fields_free(&f);
    put_le32(ctz + 4, 0xff000000u);
    struct mattr a = { TAG(TY_CTZSTRUCT, r.id, 8), ctz };
    assert_int_equal(fs_commit(fs, &r.d, &a, 1, &e), 0);
    uint8_t *buf;
    uint32_t len;
    assert_int_equal(lfs_read_file(fs, "/f", &buf, &len, &e), -1);
    assert_int_equal(lfs_errno(fs), LFS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "bad struct"));
    assert_int_equal(lfs_fs_size(fs, &e), -1);
    assert_non_null(strstr(e.msg, "larger than the filesystem"));
    assert_true(lfs_fsck(fs, NULL, NULL, &e) > 0);
    lfs_free(fs);
    flash_destroy(fl);
}

/* A damaged list where a soft tail (littlefs writes a hard one) leads from
 * the superblock pair to the root, with orphans pending: the orphan
 * cleanup of the next write must not take the parentless root for a
 * removed directory and unlink it (found by fuzz_littlefs). */
static void test_deorphan_keeps_root(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    c.block_cycles = 4;   /* {0,1} wears out: the root moves to a new pair */
    struct flash *fl;
    struct lfs *fs = fresh(&fl, 64 * 1024, &c);
    struct err e;
    uint8_t text[100] = "print(1)";
    for (int i = 0; i < 1000 && fs->root[0] < 2 && fs->root[1] < 2; i++)
        assert_int_equal(lfs_write_file(fs, "/main.py", text, sizeof text, i, &e), 0);
    lfs_block_t root[2] = { fs->root[0], fs->root[1] };
    assert_false(root[0] < 2 && root[1] < 2);
    struct mdir sb;
    assert_int_equal(mdir_fetch(fs, &sb, (const lfs_block_t[2]){ 0, 1 }, &e), 0);
    uint8_t t[8];
    put_le32(t, root[0]);
    put_le32(t + 4, root[1]);
    struct mattr a = { TAG(TY_SOFTTAIL, 0x3ff, 8), t };
    fs_preporphans(fs, +1);
    assert_true(mdir_commit_raw(fs, &sb, &a, 1, &e) >= 0);
    lfs_free(fs);
    assert_int_equal(lfs_mount(&fs, fl, 0, fl->size, &c, &e), 0);
    assert_true(gs_hasorphans(&fs->gdisk));
    assert_int_equal(lfs_mkdir(fs, "/new", &e), 0);
    lfs_free(fs);
    assert_int_equal(lfs_mount(&fs, fl, 0, fl->size, &c, &e), 0);
    struct lfs_info info;
    assert_int_equal(lfs_stat(fs, "/main.py", &info, &e), 0);
    assert_int_equal(lfs_stat(fs, "/new", &info, &e), 0);
    assert_int_equal(lfs_fsck(fs, NULL, NULL, &e), 0);
    lfs_free(fs);
    flash_destroy(fl);
}

/* A damaged global state with a pending move of the superblock entry:
 * finishing the move would delete the superblock, so fsck reports it and
 * writes refuse, the filesystem stays mountable (found by fuzz_littlefs). */
static void test_pending_move_of_superblock(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    struct flash *fl;
    struct lfs *fs = fresh(&fl, 64 * 1024, &c);
    struct err e;
    assert_int_equal(lfs_write_file(fs, "/main.py", "print(1)", 8, 1, &e), 0);
    struct mdir sb;
    assert_int_equal(mdir_fetch(fs, &sb, (const lfs_block_t[2]){ 0, 1 }, &e), 0);
    fs_prepmove(fs, 0, sb.pair);
    assert_true(mdir_commit_raw(fs, &sb, NULL, 0, &e) >= 0);
    lfs_free(fs);
    assert_int_equal(lfs_mount(&fs, fl, 0, fl->size, &c, &e), 0);
    assert_true(gs_hasmove(&fs->gdisk));
    assert_int_equal(lfs_fsck(fs, NULL, NULL, &e), 1);
    assert_int_equal(lfs_mkdir(fs, "/new", &e), -1);
    assert_int_equal(lfs_errno(fs), LFS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "not a file or directory"));
    lfs_free(fs);
    assert_int_equal(lfs_mount(&fs, fl, 0, fl->size, &c, &e), 0);
    lfs_free(fs);
    flash_destroy(fl);
}

/* Directories that contain the root (a damaged DIRSTRUCT, or a name such
 * as "" that a path resolves to the root): fsck reports the loop and ends;
 * it used to walk every path through it, 3^64 of them here (found by
 * fuzz_littlefs). */
static void test_fsck_directory_loop(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    struct flash *fl;
    struct lfs *fs = fresh(&fl, 64 * 1024, &c);
    struct err e;
    uint8_t p[8];
    put_le32(p, fs->root[0]);
    put_le32(p + 4, fs->root[1]);
    const char *names[3] = { "a", "b", "" };
    for (uint16_t id = 0; id < 3; id++) {
        struct mdir root;
        assert_int_equal(mdir_fetch(fs, &root, fs->root, &e), 0);
        uint16_t len = (uint16_t)strlen(names[id]);
        struct mattr a[3] = {
            { TAG(TY_CREATE, id, 0), NULL },
            { TAG(TY_DIR, id, len), names[id] },
            { TAG(TY_DIRSTRUCT, id, 8), p },
        };
        assert_int_equal(fs_commit(fs, &root, a, 3, &e), 0);
    }
    assert_true(lfs_fsck(fs, NULL, NULL, &e) > 0);
    lfs_free(fs);
    flash_destroy(fl);
}

/* Enough entries split the directory over several pairs (HARDTAIL). */
static void test_split_directory(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    struct flash *fl;
    struct lfs *fs = fresh(&fl, 512 * 1024, &c);
    struct err e;
    assert_int_equal(lfs_mkdir(fs, "/d", &e), 0);
    for (int i = 0; i < 300; i++) {
        char p[64];
        snprintf(p, sizeof p, "/d/entry_with_a_long_name_%03d", i);
        assert_int_equal(lfs_write_file(fs, p, p, 20, i, &e), 0);
    }
    struct lookup r;
    assert_int_equal(fs_lookup(fs, "/d/entry_with_a_long_name_000", true, &r, &e), 0);
    assert_true(r.d.split || !pair_equal_set(r.d.pair, r.dirpair) || 1);
    struct mdir d;
    assert_int_equal(mdir_fetch(fs, &d, r.dirpair, &e), 0);
    assert_true(d.split);   /* the directory continues in another pair */
    assert_int_equal(lfs_unmount(fs, &e), 0);
    assert_int_equal(lfs_mount(&fs, fl, 0, 512 * 1024, &c, &e), 0);
    struct lfs_info *v;
    size_t n;
    assert_int_equal(lfs_dir_list(fs, "/d", &v, &n, &e), 0);
    assert_int_equal(n, 300);
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(v[i - 1].name, v[i].name) < 0);
    free(v);
    for (int i = 0; i < 300; i++) {   /* and empty them again: pairs get dropped */
        char p[64];
        snprintf(p, sizeof p, "/d/entry_with_a_long_name_%03d", i);
        assert_int_equal(lfs_remove(fs, p, &e), 0);
    }
    assert_int_equal(lfs_remove(fs, "/d", &e), 0);
    assert_int_equal(lfs_fsck(fs, fsck_print, NULL, &e), 0);
    assert_int_equal(lfs_fs_size(fs, &e), 2);
    lfs_free(fs);
    flash_destroy(fl);
}

static void test_grow(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    struct err e;
    struct flash *fl = flash_mem_new(512 * 1024, &e);
    assert_int_equal(lfs_format(fl, 0, 256 * 1024, &c, &e), 0);   /* 64 blocks */
    struct lfs *fs;
    assert_int_equal(lfs_mount(&fs, fl, 0, 512 * 1024, &c, &e), 0);
    struct lfs_fsinfo fi;
    assert_int_equal(lfs_fs_stat(fs, &fi, &e), 0);
    assert_int_equal(fi.block_count, 64);
    assert_int_equal(fi.part_blocks, 128);
    assert_int_equal(lfs_fsck(fs, NULL, NULL, &e), 1);   /* the mismatch is reported */
    assert_int_equal(lfs_fs_grow(fs, 63, &e), -1);        /* never shrink */
    assert_int_equal(lfs_fs_grow(fs, 129, &e), -1);       /* never past the partition */
    assert_int_equal(lfs_fs_grow(fs, 128, &e), 0);
    lfs_free(fs);
    assert_int_equal(lfs_mount(&fs, fl, 0, 512 * 1024, &c, &e), 0);
    assert_int_equal(lfs_fs_stat(fs, &fi, &e), 0);
    assert_int_equal(fi.block_count, 128);
    assert_int_equal(lfs_fsck(fs, fsck_print, NULL, &e), 0);
    lfs_free(fs);
    /* a partition smaller than the filesystem is a truncated image */
    assert_int_equal(lfs_mount(&fs, fl, 0, 256 * 1024, &c, &e), -1);
    assert_non_null(strstr(e.msg, "truncated"));
    flash_destroy(fl);
}

static void test_errors(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    struct flash *fl;
    struct lfs *fs = fresh(&fl, 256 * 1024, &c);
    struct err e;
    struct lfs_info info;
    assert_int_equal(lfs_stat(fs, "/nope", &info, &e), -1);
    assert_int_equal(lfs_errno(fs), LFS_ERR_NOENT);
    assert_int_equal(lfs_mkdir(fs, "/d", &e), 0);
    assert_int_equal(lfs_mkdir(fs, "/d", &e), -1);
    assert_int_equal(lfs_errno(fs), LFS_ERR_EXIST);
    assert_int_equal(lfs_write_file(fs, "/d/f", "x", 1, 1, &e), 0);
    assert_int_equal(lfs_remove(fs, "/d", &e), -1);
    assert_int_equal(lfs_errno(fs), LFS_ERR_NOTEMPTY);
    assert_int_equal(lfs_write_file(fs, "/d/f/g", "x", 1, 1, &e), -1);
    assert_int_equal(lfs_errno(fs), LFS_ERR_NOTDIR);
    assert_int_equal(lfs_write_file(fs, "/d", "x", 1, 1, &e), -1);
    assert_int_equal(lfs_errno(fs), LFS_ERR_ISDIR);
    assert_int_equal(lfs_rename(fs, "/d", "/d/sub", &e), -1);
    assert_int_equal(lfs_errno(fs), LFS_ERR_INVAL);
    char longname[300];
    longname[0] = '/';
    memset(longname + 1, 'n', 256);
    longname[257] = 0;
    assert_int_equal(lfs_write_file(fs, longname, "x", 1, 1, &e), -1);
    assert_int_equal(lfs_errno(fs), LFS_ERR_NAMETOOLONG);
    longname[256] = 0;   /* 255 bytes is fine */
    assert_int_equal(lfs_write_file(fs, longname, "x", 1, 1, &e), 0);
    assert_int_equal(lfs_remove_recursive(fs, "/d", &e), 0);
    assert_int_equal(lfs_stat(fs, "/d", &info, &e), -1);
    lfs_free(fs);
    /* an erased partition is not a filesystem */
    struct flash *blank = flash_mem_new(64 * 1024, &e);
    assert_int_equal(lfs_mount(&fs, blank, 0, 64 * 1024, &c, &e), -1);
    assert_non_null(strstr(e.msg, "erased"));
    flash_destroy(blank);
    flash_destroy(fl);
}

/* File handles: append, seek past the end, truncate both ways, read back. */
static void test_file_ops(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    struct flash *fl;
    struct lfs *fs = fresh(&fl, 512 * 1024, &c);
    struct err e;
    uint8_t model[40000], buf[40000];
    uint32_t size = 0;
    struct lfs_file *f;
    assert_int_equal(lfs_file_open(fs, "/f", LFS_O_RDWR | LFS_O_CREAT, &f, &e), 0);
    for (int step = 0; step < 40; step++) {
        uint32_t pos = (uint32_t)(step * 997) % (size + 100);
        uint32_t len = (uint32_t)(step * 331) % 3000 + 1;
        if (pos + len > sizeof model)
            pos = 0;
        for (uint32_t i = 0; i < len; i++)
            buf[i] = (uint8_t)(step + i);
        assert_int_equal(lfs_file_seek(f, pos, LFS_SEEK_SET, &e), pos);
        assert_int_equal(lfs_file_write(f, buf, len, &e), 0);
        if (pos > size)
            memset(model + size, 0, pos - size);
        memcpy(model + pos, buf, len);
        if (pos + len > size)
            size = pos + len;
        if (step % 7 == 3) {
            uint32_t ns = size / 2 + (step % 2 ? 0 : 5000);
            if (ns > sizeof model)
                ns = sizeof model;
            assert_int_equal(lfs_file_truncate(f, ns, &e), 0);
            if (ns > size)
                memset(model + size, 0, ns - size);
            size = ns;
        }
        if (step % 5 == 0)
            assert_int_equal(lfs_file_sync(f, &e), 0);
        assert_int_equal(lfs_file_size(f), size);
        assert_int_equal(lfs_file_seek(f, 0, LFS_SEEK_SET, &e), 0);
        assert_int_equal(lfs_file_read(f, buf, sizeof buf, &e), size);
        assert_memory_equal(buf, model, size);
    }
    assert_int_equal(lfs_file_close(f, &e), 0);
    assert_int_equal(lfs_file_open(fs, "/f", LFS_O_WRONLY | LFS_O_APPEND, &f, &e), 0);
    assert_int_equal(lfs_file_write(f, "tail", 4, &e), 0);
    assert_int_equal(lfs_file_close(f, &e), 0);
    memcpy(model + size, "tail", 4);
    size += 4;
    lfs_free(fs);
    assert_int_equal(lfs_mount(&fs, fl, 0, 512 * 1024, &c, &e), 0);
    uint8_t *d;
    uint32_t n;
    assert_int_equal(lfs_read_file(fs, "/f", &d, &n, &e), 0);
    assert_int_equal(n, size);
    assert_memory_equal(d, model, size);
    free(d);
    assert_int_equal(lfs_fsck(fs, fsck_print, NULL, &e), 0);
    struct lfs_stats st;
    lfs_get_stats(fs, &st);
    assert_int_equal(st.prog_over_data, 0);
    lfs_free(fs);
    flash_destroy(fl);
}

/* Write-back mode touches the flash only at flush, in few calls. */
static void test_write_back_batches(void **state)
{
    (void)state;
    struct lfs_config c = mpcfg();
    c.write_back = true;
    struct flash *fl;
    struct lfs *fs = fresh(&fl, 512 * 1024, &c);
    struct err e;
    uint8_t data[20000];
    memset(data, 0x5a, sizeof data);
    long before = flash_mem_ops(fl);
    for (int i = 0; i < 20; i++) {
        char p[32];
        snprintf(p, sizeof p, "/f%d", i);
        assert_int_equal(lfs_write_file(fs, p, data, (uint32_t)(i * 1000), i, &e), 0);
    }
    assert_int_equal(flash_mem_ops(fl), before);
    assert_int_equal(lfs_unmount(fs, &e), 0);
    assert_true(flash_mem_ops(fl) - before < 20);
    assert_int_equal(lfs_mount(&fs, fl, 0, 512 * 1024, &c, &e), 0);
    assert_int_equal(lfs_fsck(fs, fsck_print, NULL, &e), 0);
    lfs_free(fs);
    flash_destroy(fl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_matches_littlefs),
        cmocka_unit_test(test_tag_fields),
        cmocka_unit_test(test_format_layout),
        cmocka_unit_test(test_format_v20_has_no_fcrc),
        cmocka_unit_test(test_ctz_index),
        cmocka_unit_test(test_fields_replay),
        cmocka_unit_test(test_name_order),
        cmocka_unit_test(test_inline_ctz_and_mtime),
        cmocka_unit_test(test_ctz_size_beyond_filesystem),
        cmocka_unit_test(test_deorphan_keeps_root),
        cmocka_unit_test(test_pending_move_of_superblock),
        cmocka_unit_test(test_fsck_directory_loop),
        cmocka_unit_test(test_split_directory),
        cmocka_unit_test(test_grow),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_file_ops),
        cmocka_unit_test(test_write_back_batches),
        cmocka_unit_test(test_size_counts_what_a_walk_visits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
