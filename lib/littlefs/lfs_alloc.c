/* Block allocation.
 *
 * littlefs has no free-space map: a block is free when nothing reachable
 * from the superblock uses it.  We walk the filesystem into a bitmap of the
 * blocks in use and hand blocks out from a cursor that goes round the disk
 * (starting at a pseudo-random point, like littlefs, to spread wear).  Blocks
 * freed by later commits become available when the cursor completes its lap
 * and the bitmap is rebuilt.  Blocks handed out since the last checkpoint
 * (not yet reachable: a new pair, a file being written) stay marked across
 * rebuilds, so nothing in flight is ever handed out twice. */
#include <stdlib.h>

#include "lfs_priv.h"

struct count_ctx {
    uint32_t n;
};

static int count_cb(void *ctx, lfs_block_t b, struct err *e)
{
    (void)b;
    (void)e;
    ((struct count_ctx *)ctx)->n++;
    return 0;
}

/* The blocks of one pair's files (and, with `orphans`, of the directory
 * pairs its entries name).  With `count`, file blocks are only counted
 * there, from the files' sizes, and not visited. */
static int traverse_pair(struct lfs *fs, const struct mdir *d, bool orphans, block_cb cb,
                         void *ctx, uint64_t *count, struct err *e)
{
    struct fields f;
    if (mdir_fields(fs, d, true, &f, e))
        return -1;
    int r = 0;
    for (int i = 0; i < f.n && !r; i++) {
        const struct field *fl = &f.v[i];
        uint32_t n;
        if (fl->type == TY_CTZSTRUCT && fl->size >= 8 && count) {
            r = ctz_count(fs, get_le32(fl->data), get_le32(fl->data + 4), &n, e);
            *count += n;
        } else if (fl->type == TY_CTZSTRUCT && fl->size >= 8)
            r = ctz_traverse(fs, get_le32(fl->data), get_le32(fl->data + 4), cb, ctx, e);
        else if (orphans && fl->type == TY_DIRSTRUCT && fl->size >= 8) {
            r = cb(ctx, get_le32(fl->data), e);
            if (!r)
                r = cb(ctx, get_le32(fl->data + 4), e);
        }
    }
    fields_free(&f);
    return r;
}

/* The tail list from {0,1}, each pair once: a pair reached again means the
 * list loops, which is reported where it happens. */
static int traverse_list(struct lfs *fs, uint8_t *seen, bool orphans, block_cb cb, void *ctx,
                         uint64_t *count, struct err *e)
{
    lfs_block_t tail[2] = { 0, 1 };
    while (!pair_isnull(tail)) {
        if (pair_seen(seen, fs->block_count, tail))
            return lfs_fail(fs, e, LFS_ERR_CORRUPT,
                            "the metadata tail list loops (at pair {0x%x, 0x%x})", tail[0],
                            tail[1]);
        for (int i = 0; i < 2; i++) {
            int r = cb(ctx, tail[i], e);
            if (r)
                return r;
        }
        struct mdir d;
        if (mdir_fetch(fs, &d, tail, e))
            return -1;
        int r = traverse_pair(fs, &d, orphans, cb, ctx, count, e);
        if (r)
            return r;
        tail[0] = d.tail[0];
        tail[1] = d.tail[1];
    }
    return 0;
}

static int walk(struct lfs *fs, bool orphans, block_cb cb, void *ctx, uint64_t *count,
                struct err *e)
{
    uint8_t *seen = calloc((fs->block_count + 7) / 8, 1);
    if (!seen)
        return lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory");
    int r = traverse_list(fs, seen, orphans, cb, ctx, count, e);
    free(seen);
    return r ? r : file_traverse_open(fs, cb, ctx, e);
}

int fs_traverse(struct lfs *fs, bool orphans, block_cb cb, void *ctx, struct err *e)
{
    return walk(fs, orphans, cb, ctx, NULL, e);
}

int fs_size(struct lfs *fs, uint32_t *used, struct err *e)
{
    struct count_ctx c = { 0 };
    uint64_t files = 0;
    if (walk(fs, false, count_cb, &c, &files, e))
        return -1;
    /* (a damaged image may claim more than there is) */
    uint64_t n = c.n + files;
    *used = n > fs->block_count ? fs->block_count : (uint32_t)n;
    return 0;
}

static int mark_cb(void *ctx, lfs_block_t b, struct err *e)
{
    struct lfs *fs = ctx;
    (void)e;
    if (b < fs->block_count)
        bit_set(fs->used, b);
    return 0;
}

static int rebuild(struct lfs *fs, struct err *e)
{
    size_t bytes = (fs->block_count + 7) / 8;
    if (!fs->used) {
        fs->used = calloc(bytes, 1);
        fs->inflight = calloc(bytes, 1);
        if (!fs->used || !fs->inflight)
            return lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory for the allocator");
        fs->cursor = fs->alloc_start % fs->block_count;
    }
    memset(fs->used, 0, bytes);
    if (fs_traverse(fs, true, mark_cb, fs, e)) {
        fs->alloc_valid = false;
        return -1;
    }
    for (size_t i = 0; i < bytes; i++)
        fs->used[i] |= fs->inflight[i];
    fs->scanned = 0;
    fs->alloc_valid = true;
    return 0;
}

int lfs_alloc(struct lfs *fs, lfs_block_t *block, struct err *e)
{
    if (!fs->alloc_valid && rebuild(fs, e))
        return -1;
    for (int pass = 0; pass < 2; pass++) {
        while (fs->scanned < fs->block_count) {
            lfs_block_t b = fs->cursor;
            fs->cursor = (fs->cursor + 1) % fs->block_count;
            fs->scanned++;
            if (!bit_get(fs->used, b)) {
                bit_set(fs->used, b);
                bit_set(fs->inflight, b);
                *block = b;
                return 0;
            }
        }
        /* a full lap: pick up blocks freed since the last walk */
        if (rebuild(fs, e))
            return -1;
    }
    return lfs_fail(fs, e, LFS_ERR_NOSPC, "no space left: all %u blocks are in use",
                    fs->block_count);
}

void alloc_checkpoint(struct lfs *fs)
{
    if (fs->inflight && fs->writers == 0)
        memset(fs->inflight, 0, (fs->block_count + 7) / 8);
}
