/* lfs_fsck: check everything a mount can reach.
 *
 *  1. the threaded tail list from {0,1}: every pair fetches, no block is used
 *     by two pairs or files, names are in littlefs order inside each pair,
 *     every struct is well formed and every CTZ chain stays inside the
 *     filesystem;
 *  2. the directory tree from the root: every directory's pair is on the
 *     tail list (else the allocator would reuse its files' blocks) and every
 *     file reads completely;
 *  3. the superblock block count against the partition, pending global state.
 * Each problem is one line naming the block or path. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lfs_priv.h"
#include "names.h"

struct fsck {
    struct lfs *fs;
    lfs_fsck_report report;
    void *ctx;
    int problems;
    uint8_t *seen;          /* blocks claimed so far */
    lfs_block_t (*pairs)[2];
    uint32_t npairs;
    const char *what;       /* for duplicate-block messages */
};

static void problem(struct fsck *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct fsck *c, const char *fmt, ...)
{
    char buf[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->problems++;
    if (c->report)
        c->report(c->ctx, buf);
}

static void note(struct fsck *c, const char *msg)
{
    if (c->report)
        c->report(c->ctx, msg);
}

static int claim(void *ctx, lfs_block_t b, struct err *e)
{
    struct fsck *c = ctx;
    (void)e;
    if (b >= c->fs->block_count) {
        problem(c, "%s: block 0x%x is outside the filesystem", c->what, b);
        return 0;
    }
    if (bit_get(c->seen, b))
        problem(c, "%s: block 0x%x is used twice", c->what, b);
    bit_set(c->seen, b);
    return 0;
}

static int name_order(const struct field *a, const struct field *b)
{
    uint32_t n = a->size < b->size ? a->size : b->size;
    int r = memcmp(a->data, b->data, n);
    if (r)
        return r;
    return a->size == b->size ? 0 : a->size > b->size ? -1 : 1;
}

static void check_pair(struct fsck *c, const struct mdir *d, const struct fields *f)
{
    const struct field *prev = NULL;
    for (uint16_t id = 0; id < f->count; id++) {
        const struct field *name = fields_get(f, id, 0, MASK_NAME);
        if (!name)
            continue;
        if (name->type != TY_REG && name->type != TY_DIR)
            problem(c, "pair {0x%x, 0x%x} id %u: unknown entry type 0x%x", d->pair[0],
                    d->pair[1], id, name->type);
        char shown[NAME_ESC_MAX(255)];   /* names.h: a name may hold any byte */
        name_escape(name->data, name->size, shown, sizeof shown);
        if (prev && name_order(prev, name) >= 0)
            problem(c, "pair {0x%x, 0x%x} id %u: name '%s' out of order", d->pair[0],
                    d->pair[1], id, shown);
        prev = name;
        const struct field *s = fields_get(f, id, T1_STRUCT << 8, MASK_TYPE1);
        if (!s) {
            problem(c, "pair {0x%x, 0x%x} id %u: entry without a struct", d->pair[0],
                    d->pair[1], id);
            continue;
        }
        bool isdir = name->type == TY_DIR;
        if ((isdir && s->type != TY_DIRSTRUCT) || (!isdir && s->type == TY_DIRSTRUCT) ||
            ((s->type == TY_DIRSTRUCT || s->type == TY_CTZSTRUCT) && s->size != 8))
            problem(c, "pair {0x%x, 0x%x} id %u: bad struct 0x%x of %u bytes", d->pair[0],
                    d->pair[1], id, s->type, s->size);
        else if (s->type == TY_CTZSTRUCT) {
            char what[96];
            snprintf(what, sizeof what, "file '%.40s' (pair {0x%x, 0x%x})", shown, d->pair[0],
                     d->pair[1]);
            c->what = what;
            struct err e;
            if (ctz_traverse(c->fs, get_le32(s->data), get_le32(s->data + 4), claim, c, &e))
                problem(c, "%s: %s", what, e.msg);
        }
    }
}

static bool on_list(const struct fsck *c, const lfs_block_t p[2])
{
    for (uint32_t i = 0; i < c->npairs; i++)
        if (pair_equal_set(c->pairs[i], p))
            return true;
    return false;
}

static bool overlaps_list(const struct fsck *c, const lfs_block_t p[2])
{
    for (uint32_t i = 0; i < c->npairs; i++)
        if (pair_overlap(c->pairs[i], p))
            return true;
    return false;
}

static int walk_list(struct fsck *c, struct err *e)
{
    struct lfs *fs = c->fs;
    lfs_block_t tail[2] = { 0, 1 };
    while (!pair_isnull(tail)) {
        if (c->npairs >= fs->block_count) {
            problem(c, "the tail list loops at pair {0x%x, 0x%x}", tail[0], tail[1]);
            return 0;
        }
        c->what = "metadata pair";
        claim(c, tail[0], e);
        claim(c, tail[1], e);
        c->pairs[c->npairs][0] = tail[0];
        c->pairs[c->npairs][1] = tail[1];
        c->npairs++;
        struct mdir d;
        struct fields f;
        if (mdir_fetch(fs, &d, tail, e) || mdir_fields(fs, &d, true, &f, e)) {
            problem(c, "%s", e->msg);
            return 0;   /* the rest of the list is unreachable */
        }
        check_pair(c, &d, &f);
        fields_free(&f);
        tail[0] = d.tail[0];
        tail[1] = d.tail[1];
    }
    return 0;
}

/* A directory's pair must be on the tail list, else the allocator would
 * reuse its files' blocks. */
static void check_dir(struct fsck *c, const char *path, const lfs_block_t p[2])
{
    if (on_list(c, p))
        return;
    if (gs_hasorphans(&c->fs->gdisk) && overlaps_list(c, p))
        note(c, "note: a directory pair was being moved; the next write finishes it");
    else
        problem(c, "%s: directory pair {0x%x, 0x%x} is not on the tail list", path, p[0], p[1]);
}

/* Every file reads completely. */
static void check_file(struct fsck *c, const struct lfs_walk_dir *d, const struct lfs_info *ent,
                       const char *path)
{
    struct lfs_file *f;
    struct err e;
    uint8_t buf[4096];
    int64_t got = lfs_file_open_at(c->fs, d->dir, ent->name, ent->name_len, path, &f, &e);
    while (got == 0 && (got = lfs_file_read(f, buf, sizeof buf, &e)) > 0)
        got = 0;
    if (got < 0)
        problem(c, "%s", e.msg);
    if (f)
        lfs_file_close(f, &e);
}

static int tree_list(void *ctx, const struct lfs_walk_dir *d, struct err *e)
{
    struct fsck *c = ctx;
    (void)e;
    for (size_t i = 0; i < d->n; i++) {
        char path[ERR_MSG_MAX];
        path[0] = '/';
        lfs_walk_path(d, &d->v[i], path + 1, sizeof path - 1);
        if (d->v[i].type == LFS_TYPE_DIR)
            check_dir(c, path, d->v[i].dir);
        else
            check_file(c, d, &d->v[i], path);
    }
    return 0;
}

/* A directory reached twice (the walk would be exponential, or endless)
 * or that cannot be listed. */
static int tree_problem(void *ctx, const struct lfs_walk_dir *d, const struct lfs_info *sub,
                        enum lfs_walk_problem kind, const char *why, struct err *e)
{
    (void)kind;
    (void)e;
    char path[ERR_MSG_MAX] = "/";
    if (sub)
        lfs_walk_path(d, sub, path + 1, sizeof path - 1);
    problem(ctx, "%s: %s", path, why);
    return 0;
}

static void walk_tree(struct fsck *c)
{
    static const struct lfs_walk_ops ops = { tree_list, NULL, NULL, tree_problem };
    struct err e;
    if (lfs_walk(c->fs, "/", &ops, c, &e))
        problem(c, "/: %s", e.msg);
}

/* A pending move that the next write finishes is a note; one it cannot
 * finish (its source is no file or directory: a damaged global state) is a
 * problem. */
static void check_move(struct fsck *c)
{
    struct mdir d;
    struct err e;
    if (fs_move_source(c->fs, &d, &e)) {
        problem(c, "%s", e.msg);
        return;
    }
    char m[128];
    snprintf(m, sizeof m, "note: a rename was interrupted (id %u in pair {0x%x, 0x%x}); "
             "the next write finishes it", (unsigned)TAG_ID(c->fs->gdisk.tag),
             c->fs->gdisk.pair[0], c->fs->gdisk.pair[1]);
    note(c, m);
}

int lfs_fsck(struct lfs *fs, lfs_fsck_report report, void *ctx, struct err *e)
{
    struct fsck c = { fs, report, ctx, 0, NULL, NULL, 0, "" };
    c.seen = calloc((fs->block_count + 7) / 8, 1);
    c.pairs = calloc(fs->block_count + 1, sizeof *c.pairs);
    if (!c.seen || !c.pairs) {
        free(c.seen);
        free(c.pairs);
        return lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory");
    }
    walk_list(&c, e);
    walk_tree(&c);
    if (fs->block_count != fs->bd.nblocks)
        problem(&c,
                "the superblock says %u blocks but the partition holds %u: MicroPython will not "
                "mount it (fix: --fs grow)",
                fs->block_count, fs->bd.nblocks);
    if (gs_hasmove(&fs->gdisk))
        check_move(&c);
    if (gs_hasorphans(&fs->gdisk))
        note(&c, "note: a directory removal was interrupted; the next write cleans it up");
    free(c.seen);
    free(c.pairs);
    return c.problems;
}
