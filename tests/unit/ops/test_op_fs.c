/* The --fs operations (lib/ops/op_fs.h) on generated firmware files: get/put
 * round trip with mtimes, get confined to DEST against crafted names and
 * planted symbolic links, put errors, grow limits, mkfs only on data
 * partitions, batched writes flushed once, ls order, and the block count of
 * MicroPython >= 1.26's implicit vfs. */
#define _GNU_SOURCE   /* nftw's FTW_DEPTH / FTW_PHYS */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware.h"
#include "flash_file.h"
#include "firmware_fixture.h"
#include "lfs_priv.h"
#include "op_fs.h"

#define MB (1024u * 1024u)

/* ---- fixtures ---------------------------------------------------------------- */

/* A generated esp32 firmware; *vfs (unless NULL) = its vfs partition. */
static void load_fw(struct firmware *fw, enum fwgen_table table, uint32_t flash_size,
                    struct part *vfs)
{
    struct fwgen_opts o = { .chip = chip_by_name("esp32"), .flash_size = flash_size,
                            .table = table };
    fixture_firmware(fw, &o, "fw");
    struct err e;
    if (vfs)
        assert_int_equal(firmware_find_part(fw, "vfs", vfs, &e), 0);
}

static int64_t fixed_clock(void)
{
    return 1700000000LL * 1000000000LL;
}

/* A firmware (v1.25 table, 4 MB) whose vfs holds a fresh filesystem. */
struct env {
    struct firmware fw;
    struct op_fs *set;
    struct lfs *fs;
    char tmp[64];
};

static struct env *env_new(void)
{
    struct env *v = calloc(1, sizeof *v);
    struct err e;
    load_fw(&v->fw, FWGEN_TABLE_V125, 4 * MB, NULL);
    v->set = op_fs_new(&v->fw, fixed_clock);
    assert_non_null(v->set);
    assert_int_equal(op_fs_mkfs(v->set, "vfs", &e), 0);
    struct op_fs_mount *m = op_fs_mount(v->set, "vfs", NULL, &e);
    assert_non_null(m);
    v->fs = m->fs;
    snprintf(v->tmp, sizeof v->tmp, "/tmp/test_op_fs-XXXXXX");
    assert_non_null(mkdtemp(v->tmp));
    return v;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

static void env_free(struct env *v)
{
    nftw(v->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    op_fs_free(v->set);
    firmware_close(&v->fw);
    free(v);
}

static char *path(const struct env *v, const char *rel)
{
    static char buf[4][512];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", v->tmp, rel);
    return b;
}

static void write_host(const char *p, const void *data, size_t len, int64_t sec, long nsec)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    struct timespec ts[2] = { { (time_t)sec, nsec }, { (time_t)sec, nsec } };
    assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static size_t read_host(const char *p, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static bool exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

/* Events reported by get/put. */
struct events {
    int n[OP_FS_SKIP_SPECIAL + 1];
    bool saw_up;   /* the crafted "../../../up" was reported */
};

static void count_event(void *ctx, const struct op_fs_copy *c)
{
    struct events *ev = ctx;
    ev->n[c->kind]++;
    if (c->kind == OP_FS_SKIP_UNSAFE && !strcmp(c->dst, "../../../up"))
        ev->saw_up = true;
}

/* ---- get / put ------------------------------------------------------------------ */

static void test_roundtrip_keeps_contents_and_mtimes(void **state)
{
    (void)state;
    struct env *v = env_new();
    struct err e;
    uint8_t big[20000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7 + i / 251);
    assert_int_equal(mkdir(path(v, "src"), 0755), 0);
    assert_int_equal(mkdir(path(v, "src/lib"), 0755), 0);
    assert_int_equal(mkdir(path(v, "src/lib/sub"), 0755), 0);
    assert_int_equal(mkdir(path(v, "src/empty"), 0755), 0);
    write_host(path(v, "src/main.py"), "print(1)\n", 9, 1612325106, 123456789);
    write_host(path(v, "src/lib/big.bin"), big, sizeof big, 1000000000, 1);
    write_host(path(v, "src/lib/sub/zero"), "", 0, 1700000001, 999999999);

    struct events ev = { 0 };
    assert_int_equal(op_fs_put(v->fs, path(v, "src"), "/", count_event, &ev, &e), 0);
    assert_int_equal(ev.n[OP_FS_COPY_FILE], 3);
    assert_int_equal(ev.n[OP_FS_COPY_DIR], 4);   /* src (top), empty, lib, lib/sub */
    struct lfs_info info;
    assert_int_equal(lfs_stat(v->fs, "/src/lib/big.bin", &info, &e), 0);
    assert_int_equal(info.size, sizeof big);
    assert_true(info.has_mtime);
    assert_int_equal(info.mtime_ns, 1000000000LL * 1000000000LL + 1);

    /* `put file newname`: a file onto a path that is not a directory */
    assert_int_equal(op_fs_put(v->fs, path(v, "src/main.py"), "renamed.py", NULL, NULL, &e), 0);
    assert_int_equal(lfs_stat(v->fs, "/renamed.py", &info, &e), 0);
    assert_int_equal(info.size, 9);

    memset(&ev, 0, sizeof ev);
    assert_int_equal(op_fs_get(v->fs, "src", path(v, "out"), count_event, &ev, &e), 0);
    assert_int_equal(ev.n[OP_FS_COPY_FILE], 3);
    assert_int_equal(ev.n[OP_FS_SKIP_UNSAFE], 0);
    uint8_t got[30000];
    assert_int_equal(read_host(path(v, "out/lib/big.bin"), got, sizeof got), sizeof big);
    assert_memory_equal(got, big, sizeof big);
    assert_int_equal(read_host(path(v, "out/main.py"), got, sizeof got), 9);
    assert_memory_equal(got, "print(1)\n", 9);
    struct stat st;
    assert_int_equal(stat(path(v, "out/lib/sub/zero"), &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(st.st_mtim.tv_sec, 1700000001);
    assert_int_equal(st.st_mtim.tv_nsec, 999999999);
    assert_int_equal(stat(path(v, "out/main.py"), &st), 0);
    assert_int_equal(st.st_mtim.tv_sec, 1612325106);
    assert_int_equal(st.st_mtim.tv_nsec, 123456789);
    assert_int_equal(stat(path(v, "out/empty"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));

    /* a single file into an existing directory, and to a new name */
    assert_int_equal(op_fs_get(v->fs, "/renamed.py", path(v, "out"), NULL, NULL, &e), 0);
    assert_true(exists(path(v, "out/renamed.py")));
    assert_int_equal(op_fs_get(v->fs, "/renamed.py", path(v, "r2.py"), NULL, NULL, &e), 0);
    assert_int_equal(read_host(path(v, "r2.py"), got, sizeof got), 9);
    env_free(v);
}

static void test_put_missing_source_fails(void **state)
{
    (void)state;
    struct env *v = env_new();
    struct err e;
    err_clear(&e);
    assert_int_equal(op_fs_put(v->fs, path(v, "nonexistent"), "/", NULL, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "nonexistent"));
    assert_non_null(strstr(e.msg, "No such file"));
    struct lfs_info info;
    assert_int_equal(lfs_stat(v->fs, "/nonexistent", &info, &e), -1);
    /* neither a file nor a directory */
    assert_int_equal(mkfifo(path(v, "fifo"), 0644), 0);
    assert_int_equal(op_fs_put(v->fs, path(v, "fifo"), "/", NULL, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "not a file or directory"));
    env_free(v);
}

static void test_safe_name(void **state)
{
    (void)state;
    static const char *bad[] = { "", ".", "..", "a/b", "/abs", "a/../../x", "..\\x",
                                 "esc\x1b[2J", "nl\n", "del\x7f", "tab\t" };
    static const char *good[] = { "main.py", "...", "..x", "x..", ".hidden", "a b",
                                  "\xc3\xa9t\xc3\xa9.txt" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(op_fs_safe_name(bad[i]));
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(op_fs_safe_name(good[i]));
}

/* Give the entry at `p` the name `name` by committing a new name tag for
 * its id: what a crafted image holds.  (lfs_mkdir / lfs_write_file cannot
 * make such names: '/' separates components and '..' is refused.) */
static void craft_name(struct lfs *fs, const char *p, const char *name)
{
    struct lookup r;
    struct err e;
    assert_int_equal(fs_lookup(fs, p, true, &r, &e), 0);
    struct mattr a = { TAG(r.type, r.id, strlen(name)), name };
    assert_int_equal(fs_commit(fs, &r.d, &a, 1, &e), 0);
}

static void test_get_never_escapes_dest(void **state)
{
    (void)state;
    struct env *v = env_new();
    struct err e;
    static const char *crafted[] = { "..", "a/../../x", ".", "/abs", "esc\x1b]0;t\x07", "b\\s" };
    char tmpl[32];
    for (size_t i = 0; i < sizeof crafted / sizeof crafted[0]; i++) {
        snprintf(tmpl, sizeof tmpl, "f%zu", i);
        assert_int_equal(lfs_write_file(v->fs, tmpl, "evil", 4, -1, &e), 0);
        craft_name(v->fs, tmpl, crafted[i]);
    }
    /* a directory named ".." holding a file: DEST/../escape if followed */
    assert_int_equal(lfs_mkdir(v->fs, "/zz", &e), 0);
    assert_int_equal(lfs_write_file(v->fs, "/zz/escape", "evil", 4, -1, &e), 0);
    craft_name(v->fs, "/zz", "..");
    /* and one nested below a safe directory */
    assert_int_equal(lfs_mkdir(v->fs, "/d", &e), 0);
    assert_int_equal(lfs_write_file(v->fs, "/d/n", "evil", 4, -1, &e), 0);
    craft_name(v->fs, "/d/n", "../../../up");
    assert_int_equal(lfs_write_file(v->fs, "/ok.txt", "fine", 4, -1, &e), 0);

    /* the listing shows the crafted names as they are */
    struct lfs_info *list;
    size_t n;
    assert_int_equal(lfs_dir_list(v->fs, "/", &list, &n, &e), 0);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found += !strcmp(list[i].name, "a/../../x") || !strcmp(list[i].name, "..");
    free(list);
    assert_int_equal(found, 3);

    assert_int_equal(mkdir(path(v, "dest"), 0755), 0);
    struct events ev = { 0 };
    assert_int_equal(op_fs_get(v->fs, "/", path(v, "dest"), count_event, &ev, &e), 0);
    assert_int_equal(ev.n[OP_FS_SKIP_UNSAFE], 8);
    assert_true(ev.saw_up);
    assert_int_equal(ev.n[OP_FS_COPY_FILE], 2);    /* boot.py, ok.txt */
    assert_int_equal(ev.n[OP_FS_COPY_DIR], 2);     /* "/" (top), d */
    /* nothing beside DEST, and DEST holds only the safe names */
    assert_false(exists(path(v, "x")));
    assert_false(exists(path(v, "escape")));
    assert_false(exists(path(v, "up")));
    assert_false(exists("/tmp/up"));
    assert_false(exists("/abs"));
    assert_true(exists(path(v, "dest/ok.txt")));
    assert_true(exists(path(v, "dest/boot.py")));
    assert_true(exists(path(v, "dest/d")));
    assert_false(exists(path(v, "dest/d/n")));
    assert_false(exists(path(v, "dest/b\\s")));
    assert_false(exists(path(v, "dest/a")));
    assert_false(exists(path(v, "dest/abs")));

    /* a single file with an unsafe name, into a directory: refused */
    err_clear(&e);
    assert_int_equal(op_fs_get(v->fs, "/b\\s", path(v, "dest"), NULL, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "unsafe name"));
    env_free(v);
}

static void test_get_does_not_follow_links_in_dest(void **state)
{
    (void)state;
    struct env *v = env_new();
    struct err e;
    assert_int_equal(lfs_mkdir(v->fs, "/d", &e), 0);
    assert_int_equal(lfs_write_file(v->fs, "/d/f.txt", "new", 3, -1, &e), 0);
    assert_int_equal(lfs_write_file(v->fs, "/g.txt", "new", 3, -1, &e), 0);
    assert_int_equal(mkdir(path(v, "outside"), 0755), 0);
    write_host(path(v, "outside/g.txt"), "old", 3, 1, 0);
    assert_int_equal(mkdir(path(v, "dest"), 0755), 0);

    /* DEST/d is a link to a directory outside DEST */
    assert_int_equal(symlink(path(v, "outside"), path(v, "dest/d")), 0);
    /* ...given as DEST itself it is the user's choice and is followed */
    assert_int_equal(op_fs_get(v->fs, "/d", path(v, "dest/d"), NULL, NULL, &e), 0);
    assert_true(exists(path(v, "outside/f.txt")));
    assert_int_equal(remove(path(v, "outside/f.txt")), 0);
    /* ...found below DEST it is not */
    assert_int_equal(op_fs_get(v->fs, "/", path(v, "dest"), NULL, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "not a directory"));
    assert_false(exists(path(v, "outside/f.txt")));

    /* DEST/g.txt is a link to a file outside DEST */
    assert_int_equal(remove(path(v, "dest/d")), 0);
    assert_int_equal(remove(path(v, "dest/g.txt")), 0);   /* copied by the last get */
    assert_int_equal(symlink(path(v, "outside/g.txt"), path(v, "dest/g.txt")), 0);
    assert_int_equal(op_fs_get(v->fs, "/", path(v, "dest"), NULL, NULL, &e), -1);
    uint8_t got[8];
    assert_int_equal(read_host(path(v, "outside/g.txt"), got, sizeof got), 3);
    assert_memory_equal(got, "old", 3);
    env_free(v);
}

/* ---- ls, cat -------------------------------------------------------------------------- */

struct lines {
    char s[1024];
};

static void add_line(void *ctx, const char *rel, const struct lfs_info *info)
{
    struct lines *l = ctx;
    size_t n = strlen(l->s);
    snprintf(l->s + n, sizeof l->s - n, "%s%s\n", rel, info->type == LFS_TYPE_DIR ? "/" : "");
}

static void test_ls_walk_order_and_cat(void **state)
{
    (void)state;
    struct env *v = env_new();
    struct err e;
    assert_int_equal(op_fs_mkdirs(v->fs, "b/c", &e), 0);
    assert_int_equal(op_fs_mkdirs(v->fs, "/a/", &e), 0);
    assert_int_equal(lfs_write_file(v->fs, "/b/c/x", "\0\1\2", 3, -1, &e), 0);
    assert_int_equal(lfs_write_file(v->fs, "/b/y", "y", 1, -1, &e), 0);
    assert_int_equal(lfs_write_file(v->fs, "/z", "z", 1, -1, &e), 0);
    struct lines l = { "" };
    assert_int_equal(op_fs_ls(v->fs, "", add_line, &l, &e), 0);
    assert_string_equal(l.s, "boot.py\nz\na/\nb/\nb/y\nb/c/\nb/c/x\n");
    l.s[0] = '\0';
    assert_int_equal(op_fs_ls(v->fs, "b/c/x", add_line, &l, &e), 0);
    assert_string_equal(l.s, "x\n");
    assert_int_equal(op_fs_ls(v->fs, "nope", add_line, &l, &e), -1);

    uint8_t *data;
    uint32_t len;
    assert_int_equal(op_fs_cat(v->fs, "b/c/x", &data, &len, &e), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(data, "\0\1\2", 3);
    free(data);
    assert_int_equal(op_fs_cat(v->fs, "b", &data, &len, &e), -1);
    assert_non_null(strstr(e.msg, "not a file"));
    /* mkdir -p through a file fails */
    assert_int_equal(op_fs_mkdirs(v->fs, "z/sub", &e), -1);
    assert_non_null(strstr(e.msg, "not a directory"));
    env_free(v);
}

/* ---- mkfs, grow --------------------------------------------------------------------------- */

static uint32_t hash_flash(struct flash *f, uint32_t off, uint32_t len)
{
    uint8_t *b = malloc(len);
    struct err e;
    assert_int_equal(flash_read(f, off, b, len, &e), 0);
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 16777619u;
    free(b);
    return h;
}

static void test_mkfs_only_on_data_partitions(void **state)
{
    (void)state;
    struct firmware fw;
    struct err e;
    load_fw(&fw, FWGEN_TABLE_V125, 4 * MB, NULL);
    struct op_fs *set = op_fs_new(&fw, NULL);
    struct part app;
    assert_int_equal(firmware_find_part(&fw, "factory", &app, &e), 0);
    uint32_t before = hash_flash(fw.flash, app.offset, app.size);
    err_clear(&e);
    assert_int_equal(op_fs_mkfs(set, "factory", &e), -1);
    assert_non_null(strstr(e.msg, "not a data partition"));
    assert_int_equal(hash_flash(fw.flash, app.offset, app.size), before);
    struct part p;
    assert_int_equal(op_fs_mkfs_check(set, "phy_init", &p, &e), -1);   /* one block */
    assert_non_null(strstr(e.msg, "too small"));
    assert_int_equal(op_fs_mkfs_check(set, "nope", &p, &e), -1);
    assert_int_equal(op_fs_mkfs_check(set, "vfs", &p, &e), 0);
    assert_int_equal(p.offset, 0x200000);
    op_fs_free(set);
    firmware_close(&fw);
}

static void test_grow_limits(void **state)
{
    (void)state;
    struct firmware fw;
    struct err e;
    struct part p;
    load_fw(&fw, FWGEN_TABLE_V125, 4 * MB, &p);
    assert_int_equal(p.size, 512 * 4096);
    /* a filesystem of half the partition, as after the table grew it */
    struct lfs_config c;
    lfs_config_micropython(&c);
    c.write_back = false;
    assert_int_equal(lfs_format(fw.flash, p.offset, p.size / 2, &c, &e), 0);

    struct op_fs *set = op_fs_new(&fw, NULL);
    bool fresh;
    struct op_fs_mount *m = op_fs_mount(set, "vfs", &fresh, &e);
    assert_non_null(m);
    assert_true(fresh);
    assert_true(m->blocks_mismatch);
    assert_int_equal(m->fs_blocks, 256);
    assert_int_equal(m->part_blocks, 512);
    assert_ptr_equal(op_fs_mount(set, "vfs", &fresh, &e), m);
    assert_false(fresh);

    struct op_fs_grow plan;
    assert_int_equal(op_fs_grow_plan(m->fs, 0x1001, &plan, &e), -1);
    assert_non_null(strstr(e.msg, "multiple"));
    assert_int_equal(op_fs_grow_plan(m->fs, 128 * 4096, &plan, &e), 0);
    assert_int_equal(plan.from, 256);
    assert_int_equal(plan.to, 128);
    assert_int_equal(op_fs_grow(m->fs, &plan, &e), -1);
    assert_non_null(strstr(e.msg, "shrink"));
    assert_int_equal(op_fs_grow_plan(m->fs, 513 * 4096, &plan, &e), 0);
    assert_int_equal(op_fs_grow(m->fs, &plan, &e), -1);
    assert_non_null(strstr(e.msg, "partition"));
    assert_int_equal(op_fs_grow_plan(m->fs, 300 * 4096, &plan, &e), 0);
    assert_int_equal(op_fs_grow(m->fs, &plan, &e), 0);
    assert_int_equal(op_fs_grow_plan(m->fs, OP_FS_GROW_FILL, &plan, &e), 0);
    assert_int_equal(plan.from, 300);
    assert_int_equal(plan.to, 512);
    assert_int_equal(op_fs_grow(m->fs, &plan, &e), 0);
    assert_int_equal(op_fs_flush(set, &e), 0);
    op_fs_free(set);

    set = op_fs_new(&fw, NULL);
    m = op_fs_mount(set, "vfs", &fresh, &e);
    assert_non_null(m);
    assert_false(m->blocks_mismatch);
    struct op_fs_stat st;
    assert_int_equal(op_fs_stat(m->fs, &st, &e), 0);
    assert_int_equal(st.blocks, 512);
    assert_int_equal(st.total_kb, 2048);
    assert_int_equal(st.free_blocks, 512 - st.used_blocks);
    assert_int_equal(st.version_major, 2);
    assert_int_equal(st.version_minor, 1);
    op_fs_free(set);
    firmware_close(&fw);
}

/* ---- one mount, one flush ---------------------------------------------------------------- */

static void test_batched_changes_flush_once(void **state)
{
    (void)state;
    struct firmware fw;
    struct err e;
    struct part p;
    load_fw(&fw, FWGEN_TABLE_V125, 4 * MB, &p);
    struct op_fs *set = op_fs_new(&fw, fixed_clock);
    assert_int_equal(op_fs_mkfs(set, "vfs", &e), 0);
    assert_int_equal(op_fs_flush(set, &e), 0);
    op_fs_free(set);
    uint32_t before = hash_flash(fw.flash, p.offset, p.size);

    set = op_fs_new(&fw, fixed_clock);
    struct lfs *fs = op_fs_mount(set, "vfs", NULL, &e)->fs;
    assert_int_equal(op_fs_mkdirs(fs, "/lib/sub", &e), 0);
    assert_int_equal(op_fs_mkdirs(fs, "/d1", &e), 0);
    assert_int_equal(op_fs_mkdirs(fs, "/d2", &e), 0);
    assert_int_equal(lfs_write_file(fs, "/lib/sub/m.py", "m", 1, -1, &e), 0);
    assert_int_equal(op_fs_rename(fs, "/lib", "/lib2", &e), 0);
    assert_int_equal(op_fs_rm(fs, "/d1", &e), 0);
    assert_int_equal(op_fs_rm(fs, "/boot.py", &e), 0);
    /* the same mount serves every later use */
    assert_ptr_equal(op_fs_mount(set, "vfs", NULL, &e)->fs, fs);
    /* nothing reached the flash yet */
    assert_int_equal(hash_flash(fw.flash, p.offset, p.size), before);
    assert_int_equal(op_fs_flush(set, &e), 0);
    assert_true(hash_flash(fw.flash, p.offset, p.size) != before);
    op_fs_free(set);

    set = op_fs_new(&fw, fixed_clock);
    fs = op_fs_mount(set, "vfs", NULL, &e)->fs;
    struct lines l = { "" };
    assert_int_equal(op_fs_ls(fs, "/", add_line, &l, &e), 0);
    assert_string_equal(l.s, "d2/\nlib2/\nlib2/sub/\nlib2/sub/m.py\n");
    op_fs_free(set);
    firmware_close(&fw);
}

/* ---- MicroPython >= 1.26: the implicit vfs ---------------------------------------------------- */

/* MicroPython mounts the implicit vfs with block_count = region size / 4096
 * and littlefs refuses a superblock that says otherwise: what mkfs writes
 * must say exactly that.  Checked on the raw superblock bytes, not through
 * our own reader. */
static void check_implicit_vfs(uint32_t flash_size)
{
    struct firmware fw;
    struct err e;
    struct part p;
    load_fw(&fw, FWGEN_TABLE_V126, flash_size, &p);
    assert_true(p.implicit);
    assert_int_equal(p.offset + p.size, flash_size);
    uint32_t want = p.size / 4096;
    struct op_fs *set = op_fs_new(&fw, fixed_clock);
    assert_int_equal(op_fs_mkfs(set, "vfs", &e), 0);
    assert_int_equal(op_fs_flush(set, &e), 0);
    op_fs_free(set);

    /* blocks 0 and 1: revision, tag, "littlefs", tag, then the superblock
     * struct (version, block_size, block_count, ...) from byte 20 */
    int seen = 0;
    for (uint32_t b = 0; b < 2; b++) {
        uint8_t blk[32];
        assert_int_equal(flash_read(fw.flash, p.offset + b * 4096, blk, sizeof blk, &e), 0);
        if (memcmp(blk + 8, "littlefs", 8))
            continue;
        seen++;
        assert_int_equal(get_le32(blk + 20), LFS_DISK_V21);
        assert_int_equal(get_le32(blk + 24), 4096);
        assert_int_equal(get_le32(blk + 28), want);
    }
    assert_true(seen > 0);

    /* and it mounts as MicroPython would: exactly the region */
    struct lfs_config c;
    lfs_config_micropython(&c);
    struct lfs *fs;
    assert_int_equal(lfs_mount(&fs, fw.flash, p.offset, p.size, &c, &e), 0);
    struct lfs_fsinfo fi;
    assert_int_equal(lfs_fs_stat(fs, &fi, &e), 0);
    assert_int_equal(fi.block_count, want);
    assert_int_equal(fi.part_blocks, want);
    struct lfs_info info;
    assert_int_equal(lfs_stat(fs, "/boot.py", &info, &e), 0);
    lfs_free(fs);
    firmware_close(&fw);
}

static void test_implicit_vfs_block_count(void **state)
{
    (void)state;
    check_implicit_vfs(4 * MB);
    check_implicit_vfs(8 * MB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_keeps_contents_and_mtimes),
        cmocka_unit_test(test_put_missing_source_fails),
        cmocka_unit_test(test_safe_name),
        cmocka_unit_test(test_get_never_escapes_dest),
        cmocka_unit_test(test_get_does_not_follow_links_in_dest),
        cmocka_unit_test(test_ls_walk_order_and_cat),
        cmocka_unit_test(test_mkfs_only_on_data_partitions),
        cmocka_unit_test(test_grow_limits),
        cmocka_unit_test(test_batched_changes_flush_once),
        cmocka_unit_test(test_implicit_vfs_block_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
