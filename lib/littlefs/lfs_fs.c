/* littlefs: mount, format, global state, path lookup and the directory
 * operations (mkdir, remove, rename, attributes, grow).
 *
 * Superblock (SPEC.md "0x0ff LFS_TYPE_SUPERBLOCK"): id 0 of the pair {0,1}:
 * a NAME tag "littlefs" (the first tag, so the magic sits at byte 8) and an
 * INLINESTRUCT of six u32 LE: version, block_size, block_count, name_max,
 * file_max, attr_max.  Later commits may supersede it (lfs_fs_grow, a 2.0 to
 * 2.1 upgrade).  When {0,1} wears out its contents move to a new pair and
 * {0,1} keeps the superblock plus a HARDTAIL: the root is the LAST pair on
 * the tail list holding a superblock entry.
 *
 * Directories: a DIRSTRUCT points at the first pair; HARDTAILs chain the
 * pairs of one directory, names sorted across them.  Every pair is also on
 * one threaded list from {0,1} (SOFTTAIL from a directory's last pair to the
 * next directory), which is how the allocator finds every block.
 *
 * Global state (MOVESTATE deltas XORed over all pairs): a pending move (an
 * entry that exists twice after a power cut inside a rename: the source is
 * to be treated as deleted) and the "orphans" bit (a pair may be on the list
 * without a parent, or a parent may point at a relocated copy).  Before its
 * first write after mount, a writer finishes the move and fixes orphans. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lfs_priv.h"

void lfs_config_micropython(struct lfs_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->block_size = 4096;
    cfg->read_size = 32;
    cfg->prog_size = 32;
    cfg->cache_size = 128;
    cfg->lookahead_size = 32;
    cfg->block_cycles = 100;
    cfg->name_max = 255;
    cfg->file_max = 2147483647;
    cfg->attr_max = 1022;
    cfg->inline_max = 128;
    cfg->disk_version = LFS_DISK_V21;
    cfg->write_back = true;
    cfg->auto_mtime = true;
}

int lfs_fail(struct lfs *fs, struct err *e, int code, const char *fmt, ...)
{
    char buf[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (fs)
        fs->errcode = code;
    return err_set(e, "%s", buf);
}

int lfs_errno(const struct lfs *fs) { return fs->errcode; }

void lfs_get_stats(const struct lfs *fs, struct lfs_stats *st) { *st = fs->bd.st; }

static bool pair_is_sb(const lfs_block_t p[2])
{
    return (p[0] == 0 && p[1] == 1) || (p[0] == 1 && p[1] == 0);
}

static void track(struct lfs *fs, lfs_block_t *pair)
{
    if (fs->ntrack < 4)
        fs->track[fs->ntrack++] = pair;
}

static void untrack(struct lfs *fs, lfs_block_t *pair)
{
    for (int i = 0; i < fs->ntrack; i++)
        if (fs->track[i] == pair) {
            fs->track[i] = fs->track[--fs->ntrack];
            return;
        }
}

/* ---- gstate ------------------------------------------------------------ */

int fs_preporphans(struct lfs *fs, int n)
{
    uint32_t size = TAG_SIZE(fs->gstate.tag);
    size = (uint32_t)((int)size + n) & 0x3ff;
    fs->gstate.tag = (fs->gstate.tag & ~0x3ffu) | size;
    fs->gstate.tag = (fs->gstate.tag & 0x7fffffffu) | ((uint32_t)(size != 0) << 31);
    return 0;
}

void fs_prepmove(struct lfs *fs, uint16_t id, const lfs_block_t pair[2])
{
    fs->gstate.tag &= ~TAG(0x7ff, 0x3ff, 0);
    if (id != 0x3ff) {
        fs->gstate.tag |= TAG(TY_DELETE, id, 0);
        fs->gstate.pair[0] = pair[0];
        fs->gstate.pair[1] = pair[1];
    } else {
        fs->gstate.pair[0] = fs->gstate.pair[1] = 0;
    }
}

/* ---- walking the tail list ---------------------------------------------- */

int fs_pred(struct lfs *fs, const lfs_block_t pair[2], struct mdir *pdir, struct err *e)
{
    lfs_block_t tail[2] = { 0, 1 };
    uint32_t steps = 0;
    while (!pair_isnull(tail)) {
        if (++steps > fs->block_count)
            return lfs_fail(fs, e, LFS_ERR_CORRUPT, "the metadata tail list loops");
        if (mdir_fetch(fs, pdir, tail, e))
            return -1;
        if (!pair_isnull(pdir->tail) && pair_overlap(pdir->tail, pair))
            return 0;
        tail[0] = pdir->tail[0];
        tail[1] = pdir->tail[1];
    }
    fs->errcode = LFS_ERR_NOENT;
    return 1;
}

/* The pair whose entry's DIRSTRUCT points at `pair`: 0 found, 1 none. */
static int fs_parent(struct lfs *fs, const lfs_block_t pair[2], struct mdir *parent,
                     uint16_t *id, struct err *e)
{
    lfs_block_t tail[2] = { 0, 1 };
    uint32_t steps = 0;
    while (!pair_isnull(tail)) {
        if (++steps > fs->block_count)
            return lfs_fail(fs, e, LFS_ERR_CORRUPT, "the metadata tail list loops");
        if (mdir_fetch(fs, parent, tail, e))
            return -1;
        struct fields f;
        if (mdir_fields(fs, parent, true, &f, e))
            return -1;
        for (int i = 0; i < f.n; i++) {
            const struct field *fl = &f.v[i];
            if (fl->type == TY_DIRSTRUCT && fl->size >= 8) {
                lfs_block_t child[2] = { get_le32(fl->data), get_le32(fl->data + 4) };
                if (pair_overlap(child, pair)) {
                    *id = fl->id;
                    fields_free(&f);
                    return 0;
                }
            }
        }
        fields_free(&f);
        tail[0] = parent->tail[0];
        tail[1] = parent->tail[1];
    }
    return 1;
}

/* ---- commits with littlefs's bookkeeping ---------------------------------- */

static int deorphan(struct lfs *fs, bool powerloss, struct err *e);

/* When a commit lands in the pair holding a pending move's source, finish
 * the move in the same commit: a relocation could otherwise outdate it.
 * The DELETE goes last, its id adjusted for the commit's own splices. */
static int with_move_fix(struct lfs *fs, const struct mdir *d, const struct mattr *attrs, int n,
                         struct mattr *out)
{
    memcpy(out, attrs, (size_t)n * sizeof *attrs);
    if (!gs_hasmovehere(&fs->gstate, d->pair))
        return n;
    int moveid = (int)TAG_ID(fs->gstate.tag);
    for (int i = 0; i < n; i++) {
        uint16_t ty = (uint16_t)TAG_TYPE3(attrs[i].tag);
        if (ty == TY_CREATE && (int)TAG_ID(attrs[i].tag) <= moveid)
            moveid++;
        else if (ty == TY_DELETE && (int)TAG_ID(attrs[i].tag) < moveid)
            moveid--;
    }
    fs_prepmove(fs, 0x3ff, NULL);
    out[n].tag = TAG(TY_DELETE, moveid, 0);
    out[n].data = NULL;
    return n + 1;
}

static int commit_fixmove(struct lfs *fs, struct mdir *d, const struct mattr *attrs, int n,
                          struct err *e)
{
    struct mattr *a = malloc(((size_t)n + 1) * sizeof *a);
    if (!a)
        return lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory");
    int m = with_move_fix(fs, d, attrs, n, a);
    int r = mdir_commit_raw(fs, d, a, m, e);
    free(a);
    return r;
}

static void retarget(struct lfs *fs, const lfs_block_t old[2], const lfs_block_t now[2])
{
    if (pair_overlap(old, fs->root)) {
        fs->root[0] = now[0];
        fs->root[1] = now[1];
    }
    for (int i = 0; i < fs->ntrack; i++)
        if (pair_overlap(old, fs->track[i])) {
            fs->track[i][0] = now[0];
            fs->track[i][1] = now[1];
        }
    if (fs->walking)
        walk_retarget(fs->walking, old, now);
}

/* A relocated pair has new blocks: point its parent's DIRSTRUCT and its
 * predecessor's tail at them.  Between the two commits the list holds a
 * stale copy (a "half-orphan"), so the orphans bit is set around them. */
static int fix_relocations(struct lfs *fs, lfs_block_t lpair[2], struct mdir *ldir, int state,
                           bool *orphans, struct err *e)
{
    while (state == COMMIT_RELOCATED) {
        state = 0;
        retarget(fs, lpair, ldir->pair);
        struct mdir pdir;
        uint16_t pid;
        int r = fs_parent(fs, lpair, &pdir, &pid, e);
        if (r < 0)
            return -1;
        bool hasparent = r == 0;
        if (hasparent) {
            fs_preporphans(fs, +1);
            uint8_t p[8];
            put_le32(p, ldir->pair[0]);
            put_le32(p + 4, ldir->pair[1]);
            struct mattr a = { TAG(TY_DIRSTRUCT, pid, 8), p };
            lfs_block_t ppair[2] = { pdir.pair[0], pdir.pair[1] };
            state = commit_fixmove(fs, &pdir, &a, 1, e);
            if (state < 0)
                return -1;
            if (state == COMMIT_RELOCATED) {
                lpair[0] = ppair[0];
                lpair[1] = ppair[1];
                *ldir = pdir;
                *orphans = true;
                continue;
            }
        }
        r = fs_pred(fs, lpair, &pdir, e);
        if (r < 0)
            return -1;
        if (r == 0) {
            if (gs_hasorphans(&fs->gstate) && hasparent)
                fs_preporphans(fs, -1);
            uint8_t p[8];
            put_le32(p, ldir->pair[0]);
            put_le32(p + 4, ldir->pair[1]);
            struct mattr a = { TAG(TY_SOFTTAIL + pdir.split, 0x3ff, 8), p };
            lpair[0] = pdir.pair[0];
            lpair[1] = pdir.pair[1];
            state = commit_fixmove(fs, &pdir, &a, 1, e);
            if (state < 0)
                return -1;
            *ldir = pdir;
        }
    }
    return 0;
}

int fs_commit(struct lfs *fs, struct mdir *d, const struct mattr *attrs, int n, struct err *e)
{
    bool hasdelete = false;
    int count = d->count;
    for (int i = 0; i < n; i++) {
        uint16_t ty = (uint16_t)TAG_TYPE3(attrs[i].tag);
        if (ty == TY_CREATE)
            count++;
        else if (ty == TY_DELETE) {
            count--;
            hasdelete = true;
        }
    }
    lfs_block_t lpair[2] = { d->pair[0], d->pair[1] };
    struct mdir ldir;
    int state;
    bool orphans = false;
    /* An emptied pair that continues a directory is unlinked instead. */
    if (hasdelete && count == 0 && !pair_is_sb(d->pair)) {
        struct mdir pdir;
        int r = fs_pred(fs, d->pair, &pdir, e);
        if (r < 0)
            return -1;
        if (r == 0 && pdir.split) {
            gs_xor(&fs->gdelta, &d->gdelta);
            uint8_t p[8];
            put_le32(p, d->tail[0]);
            put_le32(p + 4, d->tail[1]);
            struct mattr a = { TAG(TY_SOFTTAIL + d->split, 0x3ff, 8), p };
            lpair[0] = pdir.pair[0];
            lpair[1] = pdir.pair[1];
            state = commit_fixmove(fs, &pdir, &a, 1, e);
            if (state < 0)
                return -1;
            ldir = pdir;
            if (fix_relocations(fs, lpair, &ldir, state, &orphans, e))
                return -1;
            return orphans ? deorphan(fs, false, e) : 0;
        }
    }
    state = commit_fixmove(fs, d, attrs, n, e);
    if (state < 0)
        return -1;
    ldir = *d;
    if (fix_relocations(fs, lpair, &ldir, state, &orphans, e))
        return -1;
    return orphans ? deorphan(fs, false, e) : 0;
}

/* ---- consistency after a power cut ---------------------------------------- */

/* Point pdir's tail (`type`: soft or hard) at `pair`, fixing what a
 * relocation of pdir breaks.  Returns the commit state (COMMIT_RELOCATED:
 * the walk must restart) or -1; sets *more when another pass is needed. */
static int retail(struct lfs *fs, struct mdir *pdir, uint16_t type, const lfs_block_t pair[2],
                  bool *more, struct err *e)
{
    uint8_t p[8];
    put_le32(p, pair[0]);
    put_le32(p + 4, pair[1]);
    struct mattr a = { TAG(type, 0x3ff, 8), p };
    lfs_block_t lpair[2] = { pdir->pair[0], pdir->pair[1] };
    int st = commit_fixmove(fs, pdir, &a, 1, e);
    if (st < 0)
        return -1;
    struct mdir ldir = *pdir;
    bool orph = false;
    if (fix_relocations(fs, lpair, &ldir, st, &orph, e))
        return -1;
    if (orph || st == COMMIT_RELOCATED)
        *more = true;
    return st;
}

static int deorphan(struct lfs *fs, bool powerloss, struct err *e)
{
    if (!gs_hasorphans(&fs->gstate))
        return 0;
    int pass = 0;
    while (pass < 2) {
        struct mdir pdir, dir;
        memset(&pdir, 0, sizeof pdir);
        pdir.split = true;
        pdir.tail[0] = 0;
        pdir.tail[1] = 1;
        bool more = false;
        uint32_t steps = 0;
        while (!pair_isnull(pdir.tail)) {
            if (++steps > 2 * fs->block_count)
                return lfs_fail(fs, e, LFS_ERR_CORRUPT, "the metadata tail list loops");
            if (mdir_fetch(fs, &dir, pdir.tail, e))
                return -1;
            if (!pdir.split) {
                struct mdir parent;
                uint16_t pid;
                int r = fs_parent(fs, pdir.tail, &parent, &pid, e);
                if (r < 0)
                    return -1;
                if (pass == 0 && r == 0) {
                    struct fields f;
                    if (mdir_fields(fs, &parent, true, &f, e))
                        return -1;
                    const struct field *fl = fields_get(&f, pid, TY_DIRSTRUCT, MASK_TYPE3);
                    lfs_block_t pair[2] = { fl ? get_le32(fl->data) : 0,
                                            fl ? get_le32(fl->data + 4) : 0 };
                    fields_free(&f);
                    if (fl && !pair_equal_set(pair, pdir.tail)) {
                        /* half-orphan: the parent points at a relocated copy */
                        int st = retail(fs, &pdir, TY_SOFTTAIL, pair, &more, e);
                        if (st < 0)
                            return -1;
                        if (st == COMMIT_RELOCATED)
                            break;
                        continue;
                    }
                }
                if (pass == 1 && r == 1 && powerloss && !pair_overlap(pdir.tail, fs->root)) {
                    /* full orphan: a removed directory still on the list.
                     * Never the root, which has no parent either: littlefs
                     * links it with a hard tail, but on a damaged list a soft
                     * one leads to it, and dropping it would lose everything. */
                    gs_xor(&fs->gdelta, &dir.gdelta);
                    int st = retail(fs, &pdir, (uint16_t)(TY_SOFTTAIL + dir.split), dir.tail,
                                    &more, e);
                    if (st < 0)
                        return -1;
                    if (st == COMMIT_RELOCATED)
                        break;
                    continue;
                }
            }
            pdir = dir;
        }
        pass = more ? 0 : pass + 1;
    }
    fs_preporphans(fs, -(int)(TAG_SIZE(fs->gstate.tag) & 0x1ff));
    return 0;
}

int fs_move_source(struct lfs *fs, struct mdir *d, struct err *e)
{
    lfs_block_t pair[2] = { fs->gdisk.pair[0], fs->gdisk.pair[1] };
    if (mdir_fetch(fs, d, pair, e))
        return -1;
    uint16_t moveid = (uint16_t)TAG_ID(fs->gdisk.tag);
    if (moveid >= d->count)
        return lfs_fail(fs, e, LFS_ERR_CORRUPT,
                        "pending move of id %u in pair {0x%x, 0x%x} that has only %u ids",
                        moveid, pair[0], pair[1], d->count);
    /* Only a file or a directory is ever renamed: a damaged global state
     * can name any id, the superblock entry too, which the delete that
     * finishes the move would remove. */
    struct fields f;
    if (mdir_fields(fs, d, false, &f, e))
        return -1;
    const struct field *name = fields_get(&f, moveid, 0, MASK_NAME);
    bool entry = name && (name->type == TY_REG || name->type == TY_DIR);
    fields_free(&f);
    if (!entry)
        return lfs_fail(fs, e, LFS_ERR_CORRUPT,
                        "pending move of id %u in pair {0x%x, 0x%x}, which is not a file or "
                        "directory", moveid, pair[0], pair[1]);
    return 0;
}

static int demove(struct lfs *fs, struct err *e)
{
    if (!gs_hasmove(&fs->gdisk))
        return 0;
    struct mdir d;
    if (fs_move_source(fs, &d, e))
        return -1;
    fs_prepmove(fs, 0x3ff, NULL);
    struct mattr a = { TAG(TY_DELETE, TAG_ID(fs->gdisk.tag), 0), NULL };
    return fs_commit(fs, &d, &a, 1, e);
}

int fs_force_consistency(struct lfs *fs, struct err *e)
{
    if (fs->broken)
        return lfs_fail(fs, e, LFS_ERR_IO, "an earlier write failed; remount first");
    if (fs->consistent)
        return 0;
    if (demove(fs, e) || deorphan(fs, true, e))
        return -1;
    fs->consistent = true;
    return 0;
}

int lfs_fs_mkconsistent(struct lfs *fs, struct err *e)
{
    if (fs_force_consistency(fs, e))
        return -1;
    struct gstate delta = fs->gdisk;
    gs_xor(&delta, &fs->gstate);
    delta.tag &= ~0x3ffu;
    if (!gs_iszero(&delta)) {
        struct mdir root;
        if (mdir_fetch(fs, &root, fs->root, e) || fs_commit(fs, &root, NULL, 0, e))
            return -1;
    }
    alloc_checkpoint(fs);
    return 0;
}

/* ---- mount / format ----------------------------------------------------- */

struct superblock {
    uint32_t version, block_size, block_count, name_max, file_max, attr_max;
};

static bool read_superblock(const struct fields *f, struct superblock *sb)
{
    const struct field *n = fields_get(f, 0, TY_SUPERBLOCK, MASK_TYPE3);
    if (!n || n->size != 8 || memcmp(n->data, "littlefs", 8) != 0)
        return false;
    const struct field *s = fields_get(f, 0, TY_INLINESTRUCT, MASK_TYPE3);
    if (!s || s->size < 24)
        return false;
    sb->version = get_le32(s->data);
    sb->block_size = get_le32(s->data + 4);
    sb->block_count = get_le32(s->data + 8);
    sb->name_max = get_le32(s->data + 12);
    sb->file_max = get_le32(s->data + 16);
    sb->attr_max = get_le32(s->data + 20);
    return true;
}

static struct lfs *fs_new(struct flash *flash, uint32_t offset, uint32_t size,
                          const struct lfs_config *cfg, struct err *e)
{
    if (cfg->block_size < 128 || cfg->prog_size == 0 || cfg->block_size % cfg->prog_size) {
        err_set(e, "littlefs: bad configuration (block %u, prog %u)", cfg->block_size,
                cfg->prog_size);
        return NULL;
    }
    if (size / cfg->block_size < 2) {
        err_set(e, "littlefs: the partition (%u bytes) is smaller than two blocks of %u", size,
                cfg->block_size);
        return NULL;
    }
    struct lfs *fs = calloc(1, sizeof *fs);
    if (!fs) {
        err_set(e, "out of memory");
        return NULL;
    }
    fs->cfg = *cfg;
    if (bd_init(&fs->bd, flash, offset, size, cfg->block_size, cfg->write_back, e)) {
        free(fs);
        return NULL;
    }
    fs->block_count = fs->bd.nblocks;
    fs->name_max = cfg->name_max ? cfg->name_max : 255;
    fs->file_max = cfg->file_max ? cfg->file_max : 2147483647;
    fs->attr_max = cfg->attr_max ? cfg->attr_max : 1022;
    fs->inline_max = cfg->inline_max;
    fs->disk_version = cfg->disk_version;
    return fs;
}

void lfs_free(struct lfs *fs)
{
    if (!fs)
        return;
    mdir_forget(fs);
    bd_free(&fs->bd);
    free(fs->used);
    free(fs->inflight);
    free(fs);
}

static bool blocks_erased(struct lfs *fs)
{
    struct err e;
    for (lfs_block_t b = 0; b < 2; b++) {
        const uint8_t *p = bd_block(&fs->bd, b, &e);
        if (!p)
            return false;
        for (uint32_t i = 0; i < fs->cfg.block_size; i++)
            if (p[i] != 0xff)
                return false;
    }
    return true;
}

int lfs_mount(struct lfs **out, struct flash *flash, uint32_t offset, uint32_t size,
              const struct lfs_config *cfg, struct err *e)
{
    *out = NULL;
    struct lfs *fs = fs_new(flash, offset, size, cfg, e);
    if (!fs)
        return -1;
    fs->disk_version = 0;
    lfs_block_t tail[2] = { 0, 1 };
    bool found = false;
    struct superblock sb = { 0, 0, 0, 0, 0, 0 };
    uint32_t steps = 0;
    while (!pair_isnull(tail)) {
        if (++steps > fs->block_count) {
            lfs_fail(fs, e, LFS_ERR_CORRUPT, "the metadata tail list loops");
            goto fail;
        }
        if (found && sb.block_count > fs->bd.nblocks &&
            (tail[0] >= fs->bd.nblocks || tail[1] >= fs->bd.nblocks))
            break;  /* reported as truncation below */
        struct mdir d;
        if (mdir_fetch(fs, &d, tail, e)) {
            if (!found && blocks_erased(fs))
                lfs_fail(fs, e, LFS_ERR_INVAL, "no filesystem: blocks 0 and 1 are erased");
            goto fail;
        }
        struct fields f;
        if (mdir_fields(fs, &d, false, &f, e))
            goto fail;
        struct superblock s;
        if (read_superblock(&f, &s)) {
            sb = s;
            found = true;
            fs->root[0] = d.pair[0];
            fs->root[1] = d.pair[1];
        }
        fields_free(&f);
        if (!found) {
            lfs_fail(fs, e, LFS_ERR_INVAL, "no littlefs superblock in blocks 0/1");
            goto fail;
        }
        gs_xor(&fs->gstate, &d.gdelta);
        tail[0] = d.tail[0];
        tail[1] = d.tail[1];
    }
    if ((sb.version >> 16) != 2 || (sb.version & 0xffff) > 1) {
        lfs_fail(fs, e, LFS_ERR_INVAL, "unsupported littlefs disk version v%u.%u",
                 sb.version >> 16, sb.version & 0xffff);
        goto fail;
    }
    if (sb.block_size != cfg->block_size) {
        lfs_fail(fs, e, LFS_ERR_INVAL, "block size %u in the superblock, expected %u",
                 sb.block_size, cfg->block_size);
        goto fail;
    }
    if (sb.block_count < 2) {
        lfs_fail(fs, e, LFS_ERR_CORRUPT, "superblock block count %u is invalid",
                 sb.block_count);
        goto fail;
    }
    if (sb.block_count > fs->bd.nblocks) {
        lfs_fail(fs, e, LFS_ERR_INVAL,
                 "truncated: the superblock needs %u blocks (%llu bytes) but there are only %u "
                 "bytes",
                 sb.block_count, (unsigned long long)sb.block_count * sb.block_size, size);
        goto fail;
    }
    fs->block_count = sb.block_count;
    fs->disk_version = sb.version;
    fs->alloc_start = fs->seed;
    if (sb.name_max && sb.name_max < fs->name_max)
        fs->name_max = sb.name_max;
    if (fs->name_max > 255)
        fs->name_max = 255;
    if (sb.file_max && sb.file_max < fs->file_max)
        fs->file_max = sb.file_max;
    if (sb.attr_max && sb.attr_max < fs->attr_max)
        fs->attr_max = sb.attr_max;
    if (fs->inline_max > fs->attr_max)
        fs->inline_max = fs->attr_max;
    /* on disk only the orphans bit is kept: count it as one orphan */
    if (fs->gstate.tag & 0x80000000u)
        fs->gstate.tag += 1;
    fs->gdisk = fs->gstate;
    if (fs->root[0] >= fs->block_count || fs->root[1] >= fs->block_count) {
        lfs_fail(fs, e, LFS_ERR_CORRUPT, "root pair outside the filesystem");
        goto fail;
    }
    *out = fs;
    return 0;
fail:
    lfs_free(fs);
    return -1;
}

int lfs_flush(struct lfs *fs, struct err *e)
{
    return bd_flush(&fs->bd, e);
}

int lfs_unmount(struct lfs *fs, struct err *e)
{
    int r = bd_flush(&fs->bd, e);
    lfs_free(fs);
    return r;
}

int lfs_format(struct flash *flash, uint32_t offset, uint32_t size, const struct lfs_config *cfg,
               struct err *e)
{
    struct lfs *fs = fs_new(flash, offset, size, cfg, e);
    if (!fs)
        return -1;
    int rc = -1;
    struct mdir root;
    memset(&root, 0, sizeof root);
    root.pair[0] = 1;   /* littlefs allocates block 0 first, as pair[1] */
    root.pair[1] = 0;
    root.tail[0] = root.tail[1] = LFS_BLOCK_NULL;
    const uint8_t *b1 = bd_block(&fs->bd, 1, e);
    if (!b1)
        goto out;
    root.rev = get_le32(b1);
    if (cfg->block_cycles > 0) {
        uint32_t m = ((uint32_t)cfg->block_cycles + 1) | 1;
        uint32_t a = root.rev + m - 1;
        root.rev = a - a % m;
    }
    uint8_t sb[24];
    put_le32(sb, cfg->disk_version);
    put_le32(sb + 4, cfg->block_size);
    put_le32(sb + 8, fs->block_count);
    put_le32(sb + 12, fs->name_max);
    put_le32(sb + 16, fs->file_max);
    put_le32(sb + 20, fs->attr_max);
    struct fields f;
    memset(&f, 0, sizeof f);
    if (fields_apply(&f, TAG(TY_CREATE, 0, 0), NULL) ||
        fields_apply(&f, TAG(TY_SUPERBLOCK, 0, 8), (const uint8_t *)"littlefs") ||
        fields_apply(&f, TAG(TY_INLINESTRUCT, 0, 24), sb)) {
        fields_free(&f);
        lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* written twice, as littlefs: both blocks hold the superblock, so no
     * older filesystem left in block 1 can win the revision comparison */
    int r = mdir_compact(fs, &root, &f, 0, 1, e);
    fields_free(&f);
    if (r < 0)
        goto out;
    if (mdir_fields(fs, &root, false, &f, e))
        goto out;
    r = mdir_compact(fs, &root, &f, 0, 1, e);
    fields_free(&f);
    if (r < 0)
        goto out;
    if (mdir_fetch(fs, &root, (const lfs_block_t[2]){ 0, 1 }, e))
        goto out;
    rc = bd_flush(&fs->bd, e);
out:
    lfs_free(fs);
    return rc;
}

/* ---- path lookup ---------------------------------------------------------- */

/* littlefs's name order: bytes compared over the common length; when one is
 * a prefix of the other the LONGER one sorts first.  <0: disk name first. */
static int name_cmp(const uint8_t *disk, uint32_t dlen, const char *name, uint32_t nlen)
{
    int r = memcmp(disk, name, dlen < nlen ? dlen : nlen);
    if (r)
        return r;
    if (dlen == nlen)
        return 0;
    return dlen > nlen ? -1 : 1;
}

/* Search one directory for `name`: 0 found, 1 absent (d, *id = insertion). */
static int dir_search(struct lfs *fs, const lfs_block_t head[2], const char *name, uint32_t nlen,
                      bool view, struct mdir *d, uint16_t *id, uint16_t *type,
                      struct fields *keep, struct err *e)
{
    lfs_block_t pair[2] = { head[0], head[1] };
    uint32_t steps = 0;
    for (;;) {
        if (++steps > fs->block_count)
            return lfs_fail(fs, e, LFS_ERR_CORRUPT, "a directory's pair list loops");
        if (mdir_fetch(fs, d, pair, e))
            return -1;
        struct fields f;
        if (mdir_fields(fs, d, view, &f, e))
            return -1;
        int greater = -1;
        for (int i = 0; i < f.n; i++) {
            const struct field *fl = &f.v[i];
            if ((fl->type & MASK_NAME) != 0)
                continue;
            int c = name_cmp(fl->data, fl->size, name, nlen);
            if (c == 0) {
                *id = fl->id;
                *type = fl->type;
                if (keep)
                    *keep = f;
                else
                    fields_free(&f);
                return 0;
            }
            if (c > 0 && (greater < 0 || fl->id < greater))
                greater = fl->id;
        }
        uint16_t count = f.count;
        fields_free(&f);
        if (greater >= 0) {
            *id = (uint16_t)greater;
            return 1;
        }
        if (!d->split) {
            *id = count;
            return 1;
        }
        pair[0] = d->tail[0];
        pair[1] = d->tail[1];
    }
}

int fs_lookup(struct lfs *fs, const char *path, bool view, struct lookup *r, struct err *e)
{
    memset(r, 0, sizeof *r);
    r->id = 0x3ff;
    r->type = TY_DIR;
    lfs_block_t head[2] = { fs->root[0], fs->root[1] };
    r->dirpair[0] = head[0];
    r->dirpair[1] = head[1];
    bool have_d = false;
    const char *p = path;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *name = p;
        uint32_t len = 0;
        while (p[len] && p[len] != '/')
            len++;
        p += len;
        if (len == 1 && name[0] == '.')
            continue;
        if (len == 2 && name[0] == '.' && name[1] == '.')
            return lfs_fail(fs, e, LFS_ERR_INVAL, "%s: '..' is not supported in paths", path);
        if (r->type != TY_DIR)
            return lfs_fail(fs, e, LFS_ERR_NOTDIR, "%s: not a directory", path);
        if (r->id != 0x3ff) {
            /* descend: the directory's first pair from its DIRSTRUCT */
            struct fields f;
            if (mdir_fields(fs, &r->d, view, &f, e))
                return -1;
            const struct field *s = fields_get(&f, r->id, TY_DIRSTRUCT, MASK_TYPE1);
            if (!s || s->type != TY_DIRSTRUCT || s->size < 8) {
                fields_free(&f);
                return lfs_fail(fs, e, LFS_ERR_CORRUPT,
                                "%s: directory entry without a directory struct", path);
            }
            head[0] = get_le32(s->data);
            head[1] = get_le32(s->data + 4);
            fields_free(&f);
        }
        r->dirpair[0] = head[0];
        r->dirpair[1] = head[1];
        r->name = name;
        r->namelen = len;
        const char *rest = p;
        while (*rest == '/')
            rest++;
        bool last = *rest == '\0';
        if (len > fs->name_max && last)
            return lfs_fail(fs, e, LFS_ERR_NAMETOOLONG, "%s: name longer than %u bytes", path,
                            fs->name_max);
        int s = dir_search(fs, head, name, len, view, &r->d, &r->id, &r->type, NULL, e);
        if (s < 0)
            return -1;
        have_d = true;
        if (s == 1) {
            r->parent_ok = last;
            return lfs_fail(fs, e, LFS_ERR_NOENT, "%s: no such file or directory", path);
        }
    }
    if (!have_d) {
        /* the root itself */
        if (mdir_fetch(fs, &r->d, fs->root, e))
            return -1;
        r->id = 0x3ff;
        r->type = TY_DIR;
    }
    return 0;
}

int fs_lookup_in(struct lfs *fs, const lfs_block_t dir[2], const char *name, uint32_t len,
                 struct lookup *r, struct err *e)
{
    memset(r, 0, sizeof *r);
    r->dirpair[0] = dir[0];
    r->dirpair[1] = dir[1];
    r->name = name;
    r->namelen = len;
    int s = dir_search(fs, dir, name, len, true, &r->d, &r->id, &r->type, NULL, e);
    if (s < 0)
        return -1;
    if (s == 1) {
        r->parent_ok = true;
        return lfs_fail(fs, e, LFS_ERR_NOENT, "no such file or directory");
    }
    return 0;
}

/* ---- information ---------------------------------------------------------- */

void fs_fill_info(const struct fields *f, uint16_t id, const struct field *name,
                  struct lfs_info *info)
{
    memset(info, 0, sizeof *info);
    info->type = name->type == TY_DIR ? LFS_TYPE_DIR : LFS_TYPE_REG;
    uint32_t n = name->size < 255 ? name->size : 255;
    memcpy(info->name, name->data, n);
    info->name[n] = '\0';
    info->name_len = name->size;
    info->dir[0] = info->dir[1] = LFS_BLOCK_NULL;
    const struct field *s = fields_get(f, id, T1_STRUCT << 8, MASK_TYPE1);
    if (s && s->type == TY_CTZSTRUCT && s->size >= 8)
        info->size = get_le32(s->data + 4);
    else if (s && s->type == TY_INLINESTRUCT)
        info->size = s->size;
    else if (s && s->type == TY_DIRSTRUCT && s->size >= 8 && info->type == LFS_TYPE_DIR) {
        info->dir[0] = get_le32(s->data);
        info->dir[1] = get_le32(s->data + 4);
    }
    const struct field *m = fields_get(f, id, TY_USERATTR + LFS_ATTR_MTIME, MASK_TYPE3);
    if (m && m->size >= 8 && info->type == LFS_TYPE_REG) {
        info->has_mtime = true;
        info->mtime_ns = (int64_t)((uint64_t)get_le32(m->data) |
                                   (uint64_t)get_le32(m->data + 4) << 32);
    }
}

int lfs_stat(struct lfs *fs, const char *path, struct lfs_info *info, struct err *e)
{
    struct lookup r;
    if (fs_lookup(fs, path, true, &r, e))
        return -1;
    if (r.id == 0x3ff) {
        memset(info, 0, sizeof *info);
        info->type = LFS_TYPE_DIR;
        strcpy(info->name, "/");
        info->name_len = 1;
        info->dir[0] = fs->root[0];
        info->dir[1] = fs->root[1];
        return 0;
    }
    struct fields f;
    if (mdir_fields(fs, &r.d, true, &f, e))
        return -1;
    const struct field *name = fields_get(&f, r.id, 0, MASK_NAME);
    if (!name) {
        fields_free(&f);
        return lfs_fail(fs, e, LFS_ERR_CORRUPT, "%s: entry lost its name", path);
    }
    fs_fill_info(&f, r.id, name, info);
    fields_free(&f);
    return 0;
}

/* ---- directory operations ------------------------------------------------ */

int lfs_mkdir(struct lfs *fs, const char *path, struct err *e)
{
    if (fs_force_consistency(fs, e))
        return -1;
    struct lookup r;
    if (fs_lookup(fs, path, true, &r, e) == 0)
        return lfs_fail(fs, e, LFS_ERR_EXIST, "%s: already exists", path);
    if (fs->errcode != LFS_ERR_NOENT || !r.parent_ok)
        return -1;
    int rc = -1;
    struct mdir dir, pred = r.d;
    if (mdir_alloc(fs, &dir, e))
        goto out;
    uint32_t steps = 0;
    while (pred.split) {
        if (++steps > fs->block_count) {
            lfs_fail(fs, e, LFS_ERR_CORRUPT, "a directory's pair list loops");
            goto out;
        }
        lfs_block_t t[2] = { pred.tail[0], pred.tail[1] };
        if (mdir_fetch(fs, &pred, t, e))
            goto out;
    }
    uint8_t tail[8];
    put_le32(tail, pred.tail[0]);
    put_le32(tail + 4, pred.tail[1]);
    struct mattr a = { TAG(TY_SOFTTAIL, 0x3ff, 8), tail };
    if (mdir_commit_raw(fs, &dir, &a, 1, e) < 0)
        goto out;
    uint8_t dp[8];
    track(fs, dir.pair);
    if (r.d.split) {
        /* the new pair goes after the parent's last pair, which is not the
         * one getting the entry: two commits, orphan bit in between */
        fs_preporphans(fs, +1);
        put_le32(dp, dir.pair[0]);
        put_le32(dp + 4, dir.pair[1]);
        struct mattr t = { TAG(TY_SOFTTAIL, 0x3ff, 8), dp };
        if (fs_commit(fs, &pred, &t, 1, e))
            goto untrack;
        fs_preporphans(fs, -1);
        if (fs_lookup(fs, path, true, &r, e) == 0 || !r.parent_ok) {
            lfs_fail(fs, e, LFS_ERR_CORRUPT, "%s: parent changed during mkdir", path);
            goto untrack;
        }
    }
    put_le32(dp, dir.pair[0]);
    put_le32(dp + 4, dir.pair[1]);
    struct mattr attrs[4] = {
        { TAG(TY_CREATE, r.id, 0), NULL },
        { TAG(TY_DIR, r.id, r.namelen), r.name },
        { TAG(TY_DIRSTRUCT, r.id, 8), dp },
        { TAG(TY_SOFTTAIL, 0x3ff, 8), dp },
    };
    rc = fs_commit(fs, &r.d, attrs, r.d.split ? 3 : 4, e);
untrack:
    untrack(fs, dir.pair);
out:
    alloc_checkpoint(fs);
    return rc;
}

/* Unlink the (now parentless) directory pair `dir` from the tail list. */
static int drop_dir(struct lfs *fs, lfs_block_t dpair[2], struct err *e)
{
    struct mdir dir, pred;
    if (mdir_fetch(fs, &dir, dpair, e))
        return -1;
    int r = fs_pred(fs, dir.pair, &pred, e);
    if (r < 0)
        return -1;
    if (r == 1)
        return 0;
    gs_xor(&fs->gdelta, &dir.gdelta);
    uint8_t p[8];
    put_le32(p, dir.tail[0]);
    put_le32(p + 4, dir.tail[1]);
    struct mattr a = { TAG(TY_SOFTTAIL + dir.split, 0x3ff, 8), p };
    return fs_commit(fs, &pred, &a, 1, e);
}

static int dir_is_empty(struct lfs *fs, const struct mdir *d, uint16_t id, lfs_block_t out[2],
                        struct err *e)
{
    struct fields f;
    if (mdir_fields(fs, d, true, &f, e))
        return -1;
    const struct field *s = fields_get(&f, id, TY_DIRSTRUCT, MASK_TYPE3);
    if (!s || s->size < 8) {
        fields_free(&f);
        return lfs_fail(fs, e, LFS_ERR_CORRUPT, "directory entry without a struct");
    }
    out[0] = get_le32(s->data);
    out[1] = get_le32(s->data + 4);
    fields_free(&f);
    struct mdir dd;
    if (mdir_fetch(fs, &dd, out, e))
        return -1;
    return dd.count == 0 && !dd.split;
}

int fs_remove_found(struct lfs *fs, const struct lookup *r, bool unlink, const char *shown,
                    struct err *e)
{
    lfs_block_t dpair[2] = { LFS_BLOCK_NULL, LFS_BLOCK_NULL };
    bool isdir = r->type == TY_DIR && !unlink;
    if (isdir) {
        int empty = dir_is_empty(fs, &r->d, r->id, dpair, e);
        if (empty < 0)
            return -1;
        if (!empty)
            return lfs_fail(fs, e, LFS_ERR_NOTEMPTY, "%s: directory not empty", shown);
        fs_preporphans(fs, +1);
        track(fs, dpair);
    }
    struct mdir d = r->d;
    struct mattr a = { TAG(TY_DELETE, r->id, 0), NULL };
    int rc = fs_commit(fs, &d, &a, 1, e);
    if (!rc && isdir && gs_hasorphans(&fs->gstate)) {
        fs_preporphans(fs, -1);
        rc = drop_dir(fs, dpair, e);
    }
    if (isdir)
        untrack(fs, dpair);
    alloc_checkpoint(fs);
    return rc;
}

int lfs_remove(struct lfs *fs, const char *path, struct err *e)
{
    if (fs_force_consistency(fs, e))
        return -1;
    struct lookup r;
    if (fs_lookup(fs, path, true, &r, e))
        return -1;
    if (r.id == 0x3ff)
        return lfs_fail(fs, e, LFS_ERR_INVAL, "cannot remove the root directory");
    return fs_remove_found(fs, &r, false, path, e);
}

/* Is path b inside directory path a (component-wise)? */
static bool path_inside(const char *a, const char *b)
{
    for (;;) {
        while (*a == '/')
            a++;
        while (*b == '/')
            b++;
        if (!*a)
            return true;
        size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
        if (la != lb || memcmp(a, b, la) != 0)
            return false;
        a += la;
        b += lb;
    }
}

int lfs_rename(struct lfs *fs, const char *from, const char *to, struct err *e)
{
    if (fs_force_consistency(fs, e))
        return -1;
    struct lookup o, n;
    if (fs_lookup(fs, from, true, &o, e))
        return -1;
    if (o.id == 0x3ff)
        return lfs_fail(fs, e, LFS_ERR_INVAL, "cannot rename the root directory");
    int nr = fs_lookup(fs, to, true, &n, e);
    if (nr && !(fs->errcode == LFS_ERR_NOENT && n.parent_ok))
        return -1;
    if (!nr && n.id == 0x3ff)
        return lfs_fail(fs, e, LFS_ERR_INVAL, "cannot replace the root directory");
    if (o.type == TY_DIR && path_inside(from, to) && !(nr == 0 && n.id == o.id &&
                                                       pair_overlap(n.d.pair, o.d.pair)))
        return lfs_fail(fs, e, LFS_ERR_INVAL, "cannot move %s into itself", from);
    bool samepair = pair_overlap(o.d.pair, n.d.pair);
    uint16_t newoldid = o.id;
    lfs_block_t prevpair[2] = { LFS_BLOCK_NULL, LFS_BLOCK_NULL };
    bool prevdir = false;
    if (nr) {
        if (samepair && n.id <= newoldid)
            newoldid++;
    } else if (n.type != o.type) {
        return lfs_fail(fs, e, n.type == TY_DIR ? LFS_ERR_ISDIR : LFS_ERR_NOTDIR,
                        "%s: %s", to, n.type == TY_DIR ? "is a directory" : "not a directory");
    } else if (samepair && n.id == o.id) {
        return 0;
    } else if (n.type == TY_DIR) {
        int empty = dir_is_empty(fs, &n.d, n.id, prevpair, e);
        if (empty < 0)
            return -1;
        if (!empty)
            return lfs_fail(fs, e, LFS_ERR_NOTEMPTY, "%s: directory not empty", to);
        fs_preporphans(fs, +1);
        prevdir = true;
        track(fs, prevpair);
    }
    /* the entry's fields, to be written under the new name */
    struct fields of;
    if (mdir_fields(fs, &o.d, false, &of, e)) {
        if (prevdir)
            untrack(fs, prevpair);
        return -1;
    }
    struct mattr *attrs = malloc(((size_t)of.n + 4) * sizeof *attrs);
    int rc = -1;
    if (!attrs) {
        lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory");
        goto out;
    }
    int k = 0;
    if (!nr)
        attrs[k++] = (struct mattr){ TAG(TY_DELETE, n.id, 0), NULL };
    attrs[k++] = (struct mattr){ TAG(TY_CREATE, n.id, 0), NULL };
    attrs[k++] = (struct mattr){ TAG(o.type, n.id, n.namelen), n.name };
    for (int i = 0; i < of.n; i++)
        if (of.v[i].id == o.id && (of.v[i].type >> 8) != T1_NAME)
            attrs[k++] = (struct mattr){ TAG(of.v[i].type, n.id, of.v[i].size), of.v[i].data };
    if (samepair)
        attrs[k++] = (struct mattr){ TAG(TY_DELETE, newoldid, 0), NULL };
    else
        fs_prepmove(fs, newoldid, o.d.pair);
    rc = fs_commit(fs, &n.d, attrs, k, e);
    if (!rc && !samepair && gs_hasmove(&fs->gstate)) {
        /* the source pair is untouched since: finish the move there */
        struct mdir od;
        lfs_block_t mp[2] = { fs->gstate.pair[0], fs->gstate.pair[1] };
        uint16_t mid = (uint16_t)TAG_ID(fs->gstate.tag);
        fs_prepmove(fs, 0x3ff, NULL);
        struct mattr d = { TAG(TY_DELETE, mid, 0), NULL };
        rc = mdir_fetch(fs, &od, mp, e);
        if (!rc)
            rc = fs_commit(fs, &od, &d, 1, e);
    }
    if (!rc && prevdir && gs_hasorphans(&fs->gstate)) {
        fs_preporphans(fs, -1);
        rc = drop_dir(fs, prevpair, e);
    }
out:
    free(attrs);
    fields_free(&of);
    if (prevdir)
        untrack(fs, prevpair);
    alloc_checkpoint(fs);
    return rc;
}

/* ---- attributes ------------------------------------------------------------ */

/* Root attributes live on the superblock entry (id 0), as in littlefs. */
static int attr_target(struct lfs *fs, const char *path, struct lookup *r, struct err *e)
{
    if (fs_lookup(fs, path, true, r, e))
        return -1;
    if (r->id == 0x3ff) {
        if (mdir_fetch(fs, &r->d, fs->root, e))
            return -1;
        r->id = 0;
    }
    return 0;
}

int lfs_getattr(struct lfs *fs, const char *path, uint8_t type, void *buf, uint32_t size,
                struct err *e)
{
    struct lookup r;
    if (attr_target(fs, path, &r, e))
        return -1;
    struct fields f;
    if (mdir_fields(fs, &r.d, true, &f, e))
        return -1;
    const struct field *a = fields_get(&f, r.id, TY_USERATTR + type, MASK_TYPE3);
    if (!a) {
        fields_free(&f);
        return lfs_fail(fs, e, LFS_ERR_NOENT, "%s: no attribute %u", path, type);
    }
    int got = a->size;
    memcpy(buf, a->data, a->size < size ? a->size : size);
    fields_free(&f);
    return got;
}

static int commit_attr(struct lfs *fs, const char *path, uint8_t type, const void *buf,
                       uint32_t size, struct err *e)
{
    if (fs_force_consistency(fs, e))
        return -1;
    struct lookup r;
    if (attr_target(fs, path, &r, e))
        return -1;
    struct mattr a = { TAG(TY_USERATTR + type, r.id, size), buf };
    int rc = fs_commit(fs, &r.d, &a, 1, e);
    alloc_checkpoint(fs);
    return rc;
}

int lfs_setattr(struct lfs *fs, const char *path, uint8_t type, const void *buf, uint32_t size,
                struct err *e)
{
    if (size > fs->attr_max)
        return lfs_fail(fs, e, LFS_ERR_NOSPC, "attribute of %u bytes exceeds attr_max %u", size,
                        fs->attr_max);
    return commit_attr(fs, path, type, buf, size, e);
}

int lfs_removeattr(struct lfs *fs, const char *path, uint8_t type, struct err *e)
{
    return commit_attr(fs, path, type, NULL, 0x3ff, e);
}

/* ---- filesystem-wide ------------------------------------------------------ */

int64_t lfs_fs_size(struct lfs *fs, struct err *e)
{
    uint32_t used;
    if (fs_size(fs, &used, e))
        return -1;
    return used;
}

void lfs_fs_info(const struct lfs *fs, struct lfs_fsinfo *info)
{
    memset(info, 0, sizeof *info);
    info->disk_version = fs->disk_version;
    info->block_size = fs->cfg.block_size;
    info->block_count = fs->block_count;
    info->part_blocks = fs->bd.nblocks;
    info->name_max = fs->name_max;
    info->file_max = fs->file_max;
    info->attr_max = fs->attr_max;
    info->root[0] = fs->root[0];
    info->root[1] = fs->root[1];
    info->gstate[0] = fs->gdisk.tag;
    info->gstate[1] = fs->gdisk.pair[0];
    info->gstate[2] = fs->gdisk.pair[1];
}

int lfs_fs_stat(struct lfs *fs, struct lfs_fsinfo *info, struct err *e)
{
    lfs_fs_info(fs, info);
    uint32_t used;
    if (fs_size(fs, &used, e))
        return -1;
    info->used_blocks = used;
    return 0;
}

int lfs_fs_grow(struct lfs *fs, uint32_t block_count, struct err *e)
{
    if (block_count < fs->block_count)
        return lfs_fail(fs, e, LFS_ERR_INVAL,
                        "cannot shrink the filesystem from %u to %u blocks", fs->block_count,
                        block_count);
    if (block_count > fs->bd.nblocks)
        return lfs_fail(fs, e, LFS_ERR_INVAL,
                        "%u blocks do not fit in the partition (%u blocks)", block_count,
                        fs->bd.nblocks);
    if (block_count == fs->block_count)
        return 0;
    if (fs_force_consistency(fs, e))
        return -1;
    struct mdir root;
    if (mdir_fetch(fs, &root, fs->root, e))
        return -1;
    struct fields f;
    if (mdir_fields(fs, &root, false, &f, e))
        return -1;
    const struct field *s = fields_get(&f, 0, TY_INLINESTRUCT, MASK_TYPE3);
    if (!s || s->size < 24 || s->size > 64) {
        fields_free(&f);
        return lfs_fail(fs, e, LFS_ERR_CORRUPT, "root pair has no superblock struct");
    }
    uint8_t sb[64];
    uint16_t size = s->size;
    memcpy(sb, s->data, size);
    fields_free(&f);
    put_le32(sb + 8, block_count);
    uint32_t old = fs->block_count;
    fs->block_count = block_count;
    /* the allocator's bitmaps are sized by the block count */
    free(fs->used);
    free(fs->inflight);
    fs->used = fs->inflight = NULL;
    fs->alloc_valid = false;
    struct mattr a = { TAG(TY_INLINESTRUCT, 0, size), sb };
    if (fs_commit(fs, &root, &a, 1, e)) {
        fs->block_count = old;
        return -1;
    }
    alloc_checkpoint(fs);
    return 0;
}
