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
#include "flash_mem.h"
#include "firmware_fixture.h"
#include "lfs_craft.h"
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

/* A listing, one line per entry as the CLI prints it. */
struct lines {
    char s[4096];
};

static void add_line(void *ctx, const char *rel, const struct lfs_info *info)
{
    struct lines *l = ctx;
    size_t n = strlen(l->s);
    snprintf(l->s + n, sizeof l->s - n, "%s%s\n", rel, info->type == LFS_TYPE_DIR ? "/" : "");
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

/* One convention for names from the image (names.h): escaped, they are
 * host names; only "", "." and ".." and names too long once escaped have
 * none. */
static void test_host_name(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        size_t len;
        const char *host;
    } v[] = {
        { "main.py", 7, "main.py" },
        { "a/b", 3, "a\\x2fb" },
        { "/abs", 4, "\\x2fabs" },
        { "..\\x", 4, "..\\\\x" },
        { "esc\x1b[2J", 7, "esc\\x1b[2J" },
        { "nl\n", 3, "nl\\x0a" },
        { "del\x7f", 4, "del\\x7f" },
        { "tab\t", 4, "tab\\x09" },
        { "nul\0x", 5, "nul\\x00x" },
        { "c1\xc2\x9b", 4, "c1\\xc2\\x9b" },
        { "bad\xff", 4, "bad\\xff" },
        { "...", 3, "..." },
        { ".hidden", 7, ".hidden" },
        { "a b", 3, "a b" },
        { "\xc3\xa9t\xc3\xa9.txt", 9, "\xc3\xa9t\xc3\xa9.txt" },
    };
    char buf[256];
    const char *why;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        const char *h = op_fs_host_name(v[i].name, v[i].len, buf, sizeof buf, &why);
        assert_non_null(h);
        assert_string_equal(h, v[i].host);
    }
    static const char *none[] = { "", ".", ".." };
    for (size_t i = 0; i < 3; i++) {
        why = NULL;
        assert_null(op_fs_host_name(none[i], strlen(none[i]), buf, sizeof buf, &why));
        assert_non_null(why);
    }
    char ctl[100];
    memset(ctl, 1, sizeof ctl);   /* 400 bytes escaped */
    assert_null(op_fs_host_name(ctl, sizeof ctl, buf, sizeof buf, &why));
    assert_non_null(strstr(why, "255"));
}

/* Give the entry at `p` the name `name` by committing a new name tag for
 * its id: what a crafted image holds.  (lfs_mkdir / lfs_write_file cannot
 * make such names: '/' separates components and '..' is refused.) */
static void craft_name(struct lfs *fs, const char *p, const char *name)
{
    struct err e;
    assert_int_equal(craft_rename(fs, p, name, (uint32_t)strlen(name), &e), 0);
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
    err_clear(&e);
    /* only the three with no host spelling are skipped, and the copy says
     * it is incomplete */
    assert_int_equal(op_fs_get(v->fs, "/", path(v, "dest"), count_event, &ev, &e), -1);
    assert_non_null(strstr(e.msg, "incomplete: 3 entries skipped"));
    assert_int_equal(ev.n[OP_FS_SKIP_UNSAFE], 3);
    assert_int_equal(ev.n[OP_FS_COPY_FILE], 7);
    assert_int_equal(ev.n[OP_FS_COPY_DIR], 2);     /* "/" (top), d */
    /* nothing beside DEST; the others under their escaped names */
    assert_false(exists(path(v, "x")));
    assert_false(exists(path(v, "escape")));
    assert_false(exists(path(v, "up")));
    assert_false(exists("/tmp/up"));
    assert_false(exists("/abs"));
    assert_true(exists(path(v, "dest/ok.txt")));
    assert_true(exists(path(v, "dest/boot.py")));
    assert_true(exists(path(v, "dest/a\\x2f..\\x2f..\\x2fx")));
    assert_true(exists(path(v, "dest/\\x2fabs")));
    assert_true(exists(path(v, "dest/esc\\x1b]0;t\\x07")));
    assert_true(exists(path(v, "dest/b\\\\s")));
    assert_true(exists(path(v, "dest/d/..\\x2f..\\x2f..\\x2fup")));
    assert_false(exists(path(v, "dest/d/n")));
    assert_false(exists(path(v, "dest/a")));

    /* a single file, into a directory: under its escaped name */
    assert_int_equal(op_fs_get(v->fs, "/b\\s", path(v, "one"), NULL, NULL, &e), 0);
    assert_int_equal(mkdir(path(v, "single"), 0755), 0);
    assert_int_equal(op_fs_get(v->fs, "/b\\s", path(v, "single"), NULL, NULL, &e), 0);
    assert_true(exists(path(v, "single/b\\\\s")));
    env_free(v);
}

/* Names MicroPython writes (any character but '/' and NUL) and the ones
 * only a crafted image holds (a NUL, a '/'): get writes every one of them
 * under its escaped name, and ls shows the same spelling, one line each. */
static void test_get_and_ls_escape_names(void **state)
{
    (void)state;
    struct env *v = env_new();
    struct err e;
    static const char *names[] = { "esc\x1b[31mred", "nl\nname", "cr\rname", "back\\slash",
                                   "tab\tname", "del\x7f" };
    char p[64];
    for (size_t i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "/%s", names[i]);
        assert_int_equal(lfs_write_file(v->fs, p, names[i], (uint32_t)strlen(names[i]), -1, &e),
                         0);
    }
    assert_int_equal(lfs_mkdir(v->fs, "/d\x01ir", &e), 0);
    assert_int_equal(lfs_write_file(v->fs, "/d\x01ir/in\x02side", "x", 1, -1, &e), 0);
    assert_int_equal(lfs_write_file(v->fs, "/nul", "n", 1, -1, &e), 0);
    assert_int_equal(craft_rename(v->fs, "/nul", "nul\0x", 5, &e), 0);
    assert_int_equal(lfs_write_file(v->fs, "/slash", "s", 1, -1, &e), 0);
    assert_int_equal(craft_rename(v->fs, "/slash", "a/b", 3, &e), 0);

    struct lines l = { "" };
    assert_int_equal(op_fs_ls(v->fs, "/", add_line, NULL, &l, &e), 0);
    static const char *shown[] = { "esc\\x1b[31mred\n", "nl\\x0aname\n", "cr\\x0dname\n",
                                   "back\\\\slash\n", "tab\\x09name\n", "del\\x7f\n",
                                   "d\\x01ir/\n", "d\\x01ir/in\\x02side\n", "nul\\x00x\n",
                                   "a\\x2fb\n" };
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        assert_non_null(strstr(l.s, shown[i]));
    for (const char *c = l.s; *c; c++)
        assert_true(*c == '\n' || ((unsigned char)*c >= 0x20 && *c != 0x7f));

    struct events ev = { 0 };
    assert_int_equal(op_fs_get(v->fs, "/", path(v, "out"), count_event, &ev, &e), 0);
    assert_int_equal(ev.n[OP_FS_SKIP_UNSAFE] + ev.n[OP_FS_SKIP_DAMAGED], 0);
    assert_int_equal(ev.n[OP_FS_COPY_FILE], 10);   /* boot.py too */
    uint8_t got[64];
    assert_int_equal(read_host(path(v, "out/nl\\x0aname"), got, sizeof got), 7);
    assert_memory_equal(got, "nl\nname", 7);
    assert_int_equal(read_host(path(v, "out/nul\\x00x"), got, sizeof got), 1);
    assert_int_equal(read_host(path(v, "out/a\\x2fb"), got, sizeof got), 1);
    assert_int_equal(read_host(path(v, "out/d\\x01ir/in\\x02side"), got, sizeof got), 1);
    assert_true(exists(path(v, "out/back\\\\slash")));
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

/* What cat streams, piece by piece. */
struct chunks {
    uint8_t *data;
    size_t len, calls, largest;
};

static int take_chunk(void *ctx, const void *buf, size_t len, struct err *e)
{
    struct chunks *c = ctx;
    (void)e;
    c->data = realloc(c->data, c->len + len);
    memcpy(c->data + c->len, buf, len);
    c->len += len;
    c->calls++;
    c->largest = len > c->largest ? len : c->largest;
    return 0;
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
    assert_int_equal(op_fs_ls(v->fs, "", add_line, NULL, &l, &e), 0);
    assert_string_equal(l.s, "boot.py\nz\na/\nb/\nb/y\nb/c/\nb/c/x\n");
    l.s[0] = '\0';
    assert_int_equal(op_fs_ls(v->fs, "b/c/x", add_line, NULL, &l, &e), 0);
    assert_string_equal(l.s, "x\n");
    assert_int_equal(op_fs_ls(v->fs, "nope", add_line, NULL, &l, &e), -1);

    struct chunks c = { 0 };
    assert_int_equal(op_fs_cat(v->fs, "b/c/x", take_chunk, &c, &e), 0);
    assert_int_equal(c.len, 3);
    assert_memory_equal(c.data, "\0\1\2", 3);
    free(c.data);
    assert_int_equal(op_fs_cat(v->fs, "b", take_chunk, &c, &e), -1);
    assert_non_null(strstr(e.msg, "not a file"));
    /* mkdir -p through a file fails */
    assert_int_equal(op_fs_mkdirs(v->fs, "z/sub", &e), -1);
    assert_non_null(strstr(e.msg, "not a directory"));
    env_free(v);
}

/* ---- damaged and deep trees ------------------------------------------------------------- */

struct counts {
    int lines, warnings, depth;
    char last_warning[512];
};

static void count_line(void *ctx, const char *rel, const struct lfs_info *info)
{
    struct counts *c = ctx;
    int depth = 0;
    (void)info;
    for (const char *p = rel; *p; p++)
        depth += *p == '/';
    c->lines++;
    c->depth = depth > c->depth ? depth : c->depth;
}

static void count_warning(void *ctx, const char *path, const char *why)
{
    struct counts *c = ctx;
    c->warnings++;
    snprintf(c->last_warning, sizeof c->last_warning, "%s: %s", path, why);
}

/* 30 levels each holding two entries that lead to the next level's pair:
 * ls printed 2^30 paths and get wrote 462,033 entries in 20 s before giving
 * up.  Each level is listed and copied once, each second way is reported
 * once, and both then fail saying the copy/listing is incomplete. */
static void test_shared_directories_listed_once(void **state)
{
    (void)state;
    struct env *v = env_new();
    struct err e;
    char p[4 * 32] = "";
    for (int i = 0; i < 30; i++) {
        strcat(p, "/a");
        assert_int_equal(lfs_mkdir(v->fs, p, &e), 0);
    }
    p[0] = '\0';
    for (int i = 0; i < 29; i++) {
        strcat(p, "/a");
        char target[4 * 32];
        snprintf(target, sizeof target, "%s/a", p);
        assert_int_equal(craft_link(v->fs, p, "b", target, &e), 0);
    }
    struct counts c = { 0 };
    err_clear(&e);
    assert_int_equal(op_fs_ls(v->fs, "/", count_line, count_warning, &c, &e), -1);
    assert_int_equal(c.lines, 1 + 30 + 29);   /* boot.py, a/ x30, b/ x29 */
    assert_int_equal(c.warnings, 29);
    assert_non_null(strstr(c.last_warning, "/b: directory pair {0x"));
    assert_non_null(strstr(e.msg, "29 directories not listed in full"));

    struct events ev = { 0 };
    assert_int_equal(op_fs_get(v->fs, "/", path(v, "out"), count_event, &ev, &e), -1);
    assert_int_equal(ev.n[OP_FS_COPY_DIR], 31);
    assert_int_equal(ev.n[OP_FS_SKIP_DAMAGED], 29);
    assert_non_null(strstr(e.msg, "incomplete: 29 entries skipped"));
    assert_true(exists(path(v, "out/a/a/a/a")));
    assert_false(exists(path(v, "out/a/b")));

    /* rm -r unlinks the second ways and removes the rest */
    c.warnings = 0;
    assert_int_equal(op_fs_rm(v->fs, "/a", count_warning, &c, &e), 0);
    assert_int_equal(c.warnings, 29);
    assert_int_equal(lfs_fsck(v->fs, NULL, NULL, &e), 0);
    env_free(v);
}

/* Remove a deep host tree (deeper than PATH_MAX allows to name). */
static void rm_host_tree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* A valid tree 5000 levels deep: listed and copied out whole, one host
 * directory open at a time (5000 open descriptors would pass the limit),
 * without recursion (the stack under ASan). */
static void test_deep_tree_listed_and_copied(void **state)
{
    (void)state;
    struct lfs_config c;
    lfs_config_micropython(&c);
    c.block_size = 512;   /* 10000 pairs of small blocks: a 5 MB image */
    c.inline_max = 64;
    c.auto_mtime = false;
    struct err e;
    uint32_t size = 10100 * 512;
    struct flash *fl = flash_mem_new(size, &e);
    struct lfs *fs;
    assert_int_equal(lfs_format(fl, 0, size, &c, &e), 0);
    assert_int_equal(lfs_mount(&fs, fl, 0, size, &c, &e), 0);
    assert_int_equal(craft_deep(fs, 5000, &e), 0);
    struct counts n = { 0 };
    assert_int_equal(op_fs_ls(fs, "/", count_line, count_warning, &n, &e), 0);
    assert_int_equal(n.lines, 5001);
    assert_int_equal(n.depth, 5000);
    assert_int_equal(n.warnings, 0);

    char dest[] = "/tmp/test_op_fs_deep-XXXXXX";
    assert_non_null(mkdtemp(dest));
    struct events ev = { 0 };
    if (op_fs_get(fs, "/", dest, count_event, &ev, &e))
        fail_msg("get: %s", e.msg);
    assert_int_equal(ev.n[OP_FS_COPY_DIR], 5001);
    assert_int_equal(ev.n[OP_FS_COPY_FILE], 1);
    int fd = open(dest, O_RDONLY | O_DIRECTORY);
    for (int i = 0; i < 5000; i++) {
        int sub = openat(fd, "t", O_RDONLY | O_DIRECTORY);
        assert_true(sub >= 0);
        close(fd);
        fd = sub;
    }
    struct stat st;
    assert_int_equal(fstatat(fd, "bottom.txt", &st, 0), 0);
    assert_int_equal(st.st_size, 4);
    close(fd);
    rm_host_tree(dest);
    lfs_free(fs);
    flash_destroy(fl);
}

/* A file whose block list loops: get names it and writes nothing of it,
 * cat fails the same way, the rest is copied. */
static void test_get_file_whose_blocks_loop(void **state)
{
    (void)state;
    struct env *v = env_new();
    struct err e;
    static uint8_t data[6000];
    assert_int_equal(lfs_write_file(v->fs, "/loop.bin", data, sizeof data, -1, &e), 0);
    assert_int_equal(craft_ctz_loop(v->fs, "/loop.bin", &e), 0);
    err_clear(&e);
    assert_int_equal(op_fs_get(v->fs, "/", path(v, "out"), NULL, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "out/loop.bin: not written: /loop.bin: block 0x"));
    assert_non_null(strstr(e.msg, "the list loops"));
    assert_false(exists(path(v, "out/loop.bin")));
    struct chunks c = { 0 };
    assert_int_equal(op_fs_cat(v->fs, "/loop.bin", take_chunk, &c, &e), -1);
    assert_non_null(strstr(e.msg, "/loop.bin: block 0x"));
    free(c.data);
    env_free(v);
}

/* cat and get stream a file: pieces of OP_FS_CHUNK bytes at most, never the
 * whole file at once. */
static void test_files_are_streamed(void **state)
{
    (void)state;
    struct env *v = env_new();
    struct err e;
    uint32_t size = 1500 * 1024;
    uint8_t *big = malloc(size);
    for (uint32_t i = 0; i < size; i++)
        big[i] = (uint8_t)(i * 31 + (i >> 12));
    assert_int_equal(lfs_write_file(v->fs, "/big.bin", big, size, -1, &e), 0);
    struct chunks c = { 0 };
    assert_int_equal(op_fs_cat(v->fs, "/big.bin", take_chunk, &c, &e), 0);
    assert_int_equal(c.len, size);
    assert_memory_equal(c.data, big, size);
    assert_true(c.largest <= OP_FS_CHUNK);
    assert_true(c.calls >= size / OP_FS_CHUNK);
    assert_int_equal(op_fs_get(v->fs, "/big.bin", path(v, "big.out"), NULL, NULL, &e), 0);
    uint8_t *got = malloc(size + 1);
    assert_int_equal(read_host(path(v, "big.out"), got, size + 1), size);
    assert_memory_equal(got, big, size);
    free(got);
    free(c.data);
    free(big);
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
    assert_int_equal(op_fs_rm(fs, "/d1", NULL, NULL, &e), 0);
    assert_int_equal(op_fs_rm(fs, "/boot.py", NULL, NULL, &e), 0);
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
    assert_int_equal(op_fs_ls(fs, "/", add_line, NULL, &l, &e), 0);
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
        cmocka_unit_test(test_host_name),
        cmocka_unit_test(test_get_never_escapes_dest),
        cmocka_unit_test(test_get_and_ls_escape_names),
        cmocka_unit_test(test_get_does_not_follow_links_in_dest),
        cmocka_unit_test(test_ls_walk_order_and_cat),
        cmocka_unit_test(test_shared_directories_listed_once),
        cmocka_unit_test(test_deep_tree_listed_and_copied),
        cmocka_unit_test(test_get_file_whose_blocks_loop),
        cmocka_unit_test(test_files_are_streamed),
        cmocka_unit_test(test_mkfs_only_on_data_partitions),
        cmocka_unit_test(test_grow_limits),
        cmocka_unit_test(test_batched_changes_flush_once),
        cmocka_unit_test(test_implicit_vfs_block_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
