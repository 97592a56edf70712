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
    if (c->seen[b / 8] >> (b % 8) & 1)
        problem(c, "%s: block 0x%x is used twice", c->what, b);
    c->seen[b / 8] |= (uint8_t)(1u << (b % 8));
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
        if (prev && name_order(prev, name) >= 0)
            problem(c, "pair {0x%x, 0x%x} id %u: name '%.*s' out of order", d->pair[0],
                    d->pair[1], id, (int)name->size, (const char *)name->data);
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
            snprintf(what, sizeof what, "file '%.*s' (pair {0x%x, 0x%x})", (int)name->size,
                     (const char *)name->data, d->pair[0], d->pair[1]);
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

static void walk_tree(struct fsck *c, const char *path, int depth)
{
    struct lfs *fs = c->fs;
    struct err e;
    if (depth > 64) {
        problem(c, "%s: directories nested too deep (a loop?)", path);
        return;
    }
    struct lfs_info *v;
    size_t n;
    if (lfs_dir_list(fs, path, &v, &n, &e)) {
        problem(c, "%s: %s", path, e.msg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(path) + strlen(v[i].name) + 2;
        char *sub = malloc(len);
        if (!sub)
            break;
        snprintf(sub, len, "%s/%s", strcmp(path, "/") ? path : "", v[i].name);
        if (v[i].type == LFS_TYPE_DIR) {
            struct lookup r;
            if (fs_lookup(fs, sub, true, &r, &e) == 0) {
                struct fields f;
                if (mdir_fields(fs, &r.d, true, &f, &e) == 0) {
                    const struct field *s = fields_get(&f, r.id, TY_DIRSTRUCT, MASK_TYPE3);
                    if (s && s->size >= 8) {
                        lfs_block_t p[2] = { get_le32(s->data), get_le32(s->data + 4) };
                        if (!on_list(c, p)) {
                            if (gs_hasorphans(&fs->gdisk) && overlaps_list(c, p))
                                note(c, "note: a directory pair was being moved; the next "
                                        "write finishes it");
                            else
                                problem(c, "%s: directory pair {0x%x, 0x%x} is not on the "
                                        "tail list", sub, p[0], p[1]);
                        }
                    }
                    fields_free(&f);
                }
            }
            walk_tree(c, sub, depth + 1);
        } else {
            uint8_t *data;
            uint32_t size;
            if (lfs_read_file(fs, sub, &data, &size, &e))
                problem(c, "%s: %s", sub, e.msg);
            else
                free(data);
        }
        free(sub);
    }
    free(v);
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
    walk_tree(&c, "/", 0);
    if (fs->block_count != fs->bd.nblocks)
        problem(&c,
                "the superblock says %u blocks but the partition holds %u: MicroPython will not "
                "mount it (fix: --fs grow)",
                fs->block_count, fs->bd.nblocks);
    if (gs_hasmove(&fs->gdisk)) {
        char m[128];
        snprintf(m, sizeof m, "note: a rename was interrupted (id %u in pair {0x%x, 0x%x}); "
                 "the next write finishes it", (unsigned)TAG_ID(fs->gdisk.tag),
                 fs->gdisk.pair[0], fs->gdisk.pair[1]);
        note(&c, m);
    }
    if (gs_hasorphans(&fs->gdisk))
        note(&c, "note: a directory removal was interrupted; the next write cleans it up");
    free(c.seen);
    free(c.pairs);
    return c.problems;
}
