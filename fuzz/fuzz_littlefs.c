/* libFuzzer target for littlefs (lib/littlefs) on damaged images: mount,
 * walk every directory (stat, read every file and its mtime), fsck, then
 * write after mount (grow, remove, mkdir, write, rename, setattr, remove).
 * When the image was clean (fsck found nothing) and every write succeeded,
 * the result is mounted again and must be clean and hold what was written:
 * an oracle for the write path, not only for crashes.
 *
 * Input: a sparse image whose commit CRCs are recomputed before mounting
 * (support/lfs_input.h), so mutations get past the CRCs.  Seeds:
 * fuzz/corpus/fuzz_littlefs, written by make_corpus through lib/littlefs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flash_mem.h"
#include "lfs.h"
#include "lfs_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bounds on the walk: a damaged tree can be deep or loop (a directory that
 * contains itself); lfs_dir_list itself is bounded by the block count. */
#define WALK_DEPTH 8
#define WALK_VISITS 256
#define PATH_MAX_LEN ((WALK_DEPTH + 1) * 256 + 2)

struct walk {
    struct lfs *fs;
    int visits;
    char victim[PATH_MAX_LEN];   /* the first entry found: removed by the writes */
};

static void read_file(struct lfs *fs, const char *path)
{
    struct err e;
    uint8_t *buf, mt[8];
    uint32_t len;
    if (lfs_read_file(fs, path, &buf, &len, &e) == 0)
        free(buf);
    (void)lfs_getattr(fs, path, LFS_ATTR_MTIME, mt, sizeof mt, &e);
    /* a read from the middle takes the skip-list's other path */
    struct lfs_file *f;
    if (lfs_file_open(fs, path, LFS_O_RDONLY, &f, &e) == 0) {
        uint8_t part[64];
        if (lfs_file_seek(f, lfs_file_size(f) / 2, LFS_SEEK_SET, &e) >= 0)
            (void)lfs_file_read(f, part, sizeof part, &e);
        (void)lfs_file_close(f, &e);
    }
}

/* A name that means itself in a path (no '/', not "." or ".."). */
static bool plain_name(const char *name)
{
    return *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

static void walk(struct walk *w, const char *path, int depth)
{
    struct err e;
    struct lfs_info *v, info;
    size_t n;
    if (depth > WALK_DEPTH || lfs_dir_list(w->fs, path, &v, &n, &e))
        return;
    for (size_t i = 0; i < n && w->visits < WALK_VISITS; i++, w->visits++) {
        char sub[PATH_MAX_LEN];
        snprintf(sub, sizeof sub, "%s/%s", path, v[i].name);
        if (!w->victim[0] && plain_name(v[i].name))
            memcpy(w->victim, sub, sizeof sub);
        (void)lfs_stat(w->fs, sub, &info, &e);
        if (v[i].type == LFS_TYPE_DIR)
            walk(w, sub, depth + 1);
        else
            read_file(w->fs, sub);
    }
    free(v);
}

static int read_all(struct lfs *fs, struct walk *w)
{
    struct err e;
    struct lfs_fsinfo info;
    (void)lfs_fs_stat(fs, &info, &e);
    (void)lfs_fs_size(fs, &e);
    w->fs = fs;
    walk(w, "", 0);
    return lfs_fsck(fs, NULL, NULL, &e);
}

static const uint8_t *payload(uint32_t len)
{
    static uint8_t buf[3 * 4096];
    for (uint32_t i = 0; i < len && i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 7 + (i >> 8));
    return buf;
}

static int write_all(struct lfs *fs, uint32_t blocks, const char *victim, uint32_t len,
                     struct err *e)
{
    const uint8_t *d = payload(len);
    if (lfs_fs_grow(fs, blocks, e) || (victim[0] && lfs_remove_recursive(fs, victim, e)))
        return -1;
    if (lfs_mkdir(fs, "/fz", e) || lfs_write_file(fs, "/fz/f", d, len, -1, e) ||
        lfs_rename(fs, "/fz/f", "/fz/g", e) || lfs_setattr(fs, "/fz/g", 7, "fz", 2, e) ||
        lfs_write_file(fs, "/fz/h", d, len / 2, -1, e) || lfs_remove(fs, "/fz/h", e))
        return -1;
    return lfs_fs_mkconsistent(fs, e);
}

static void broken(const char *what, const struct err *e)
{
    fprintf(stderr, "fuzz_littlefs: writes on a clean image left it broken: %s: %s\n", what,
            e ? e->msg : "");
    abort();
}

/* The oracle: what write_all did is all there, on a clean filesystem. */
static void check_written(struct flash *fl, const struct lfs_config *cfg, uint32_t len)
{
    struct err e;
    struct lfs *fs;
    if (lfs_mount(&fs, fl, 0, fl->size, cfg, &e))
        broken("remount", &e);
    if (lfs_fsck(fs, NULL, NULL, &e) != 0)
        broken("fsck after the writes", &e);
    uint8_t *got, attr[2];
    uint32_t n;
    if (lfs_read_file(fs, "/fz/g", &got, &n, &e))
        broken("/fz/g", &e);
    bool same = n == len && memcmp(got, payload(len), len) == 0;
    free(got);
    if (!same)
        broken("/fz/g holds other bytes", NULL);
    if (lfs_getattr(fs, "/fz/g", 7, attr, sizeof attr, &e) != 2 || memcmp(attr, "fz", 2))
        broken("/fz/g lost its attribute", &e);
    struct lfs_info info;
    if (lfs_stat(fs, "/fz/h", &info, &e) == 0 || lfs_stat(fs, "/fz/f", &info, &e) == 0)
        broken("a removed or renamed file is still there", NULL);
    lfs_free(fs);
}

static void exercise(struct flash *fl, uint8_t flags)
{
    struct lfs_config cfg;
    lfs_input_config(flags, &cfg);
    struct err e;
    struct lfs *fs;
    if (lfs_mount(&fs, fl, 0, fl->size, &cfg, &e))
        return;
    struct walk w = { 0 };
    int problems = read_all(fs, &w);
    if (flags & LFSIN_READ_ONLY) {
        lfs_free(fs);
        return;
    }
    uint32_t len = lfs_input_write_len(flags, cfg.block_size);
    bool wrote = write_all(fs, fl->size / cfg.block_size, w.victim, len, &e) == 0;
    if (lfs_unmount(fs, &e) == 0 && wrote && problems == 0)
        check_written(fl, &cfg, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t len;
    struct err e;
    struct flash *fl;
    if (lfs_input_size(data, size, &len) || !(fl = flash_mem_new(len, &e)))
        return 0;
    lfs_input_decode(data, size, flash_mem_data(fl));
    fl->interruptible = (data[0] & LFSIN_ORDERED) != 0;
    exercise(fl, data[0]);
    flash_destroy(fl);
    return 0;
}
