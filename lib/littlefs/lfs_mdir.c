/* Metadata pairs: the logs that hold directories and the superblock.
 *
 * On disk (SPEC.md "Directories / Metadata pairs"): two blocks; each starts
 * with a u32 LE revision count followed by commits.  A commit is a run of
 * entries - a big-endian tag XORed with the previous tag, then its data -
 * ended by a CCRC tag whose u32 LE CRC covers everything since the previous
 * CCRC (the first commit also covers the revision).  The CCRC chunk's low bit
 * flips the expected valid bit of the next tag, so unwritten or stale bytes
 * after a commit never read as a tag.  littlefs 2.1 puts an FCRC (size, CRC
 * of the next `size` erased bytes) before each mid-block CCRC.
 *
 * Reading: the block with the newer revision (sequence comparison) that has
 * at least one valid commit wins; its valid commits are replayed forward into
 * "fields" (name, struct, user attributes per id; CREATE inserts an id,
 * DELETE removes one, later tags supersede earlier ones).
 *
 * Writing: a commit is appended when the block is known erased after the
 * last commit and it fits; otherwise the pair is compacted: the other block
 * is erased and gets revision+1 with one commit holding only the live
 * fields.  Compaction splits a pair whose contents pass half a block,
 * expands the superblock pair {0,1} and moves a worn pair to a new block
 * every (block_cycles+1)|1 revisions, all as littlefs does. */
#include <stdlib.h>

#include "lfs_priv.h"

/* ---- fields: the replayed state of one pair ---------------------------- */

void fields_free(struct fields *f)
{
    free(f->v);
    memset(f, 0, sizeof *f);
}

static int fields_push(struct fields *f, struct field fl)
{
    if (f->n == f->cap) {
        int cap = f->cap ? f->cap * 2 : 32;
        struct field *v = realloc(f->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        f->v = v;
        f->cap = cap;
    }
    f->v[f->n++] = fl;
    return 0;
}

/* Names and structs supersede by type1 (a CTZ struct replaces an inline
 * one); user attributes by their exact type. */
static uint16_t supersede_mask(uint16_t type3)
{
    return (type3 >> 8) == T1_USERATTR ? MASK_TYPE3 : MASK_TYPE1;
}

/* Returns 0, or -1 when the tag cannot apply (a DELETE of a missing id). */
int fields_apply(struct fields *f, uint32_t tag, const uint8_t *data)
{
    uint16_t type = (uint16_t)TAG_TYPE3(tag);
    uint16_t id = (uint16_t)TAG_ID(tag);
    if (type == TY_CREATE) {
        if (id > f->count)
            return -1;
        for (int i = 0; i < f->n; i++)
            if (f->v[i].id >= id)
                f->v[i].id++;
        f->count++;
        return 0;
    }
    if (type == TY_DELETE) {
        if (id >= f->count)
            return -1;
        int j = 0;
        for (int i = 0; i < f->n; i++) {
            if (f->v[i].id == id)
                continue;
            if (f->v[i].id > id)
                f->v[i].id--;
            f->v[j++] = f->v[i];
        }
        f->n = j;
        f->count--;
        return 0;
    }
    unsigned t1 = type >> 8;
    if (t1 == T1_TAIL) {
        if (TAG_SIZE(tag) < 8)
            return -1;
        f->tail[0] = get_le32(data);
        f->tail[1] = get_le32(data + 4);
        f->split = type & 1;
        f->has_tail = true;
        return 0;
    }
    if (t1 != T1_NAME && t1 != T1_STRUCT && t1 != T1_USERATTR)
        return 0;   /* CRCs, gstate: not per-file */
    if (id == 0x3ff)
        return 0;
    uint16_t mask = supersede_mask(type);
    for (int i = 0; i < f->n; i++)
        if (f->v[i].id == id && (f->v[i].type & mask) == (type & mask)) {
            f->v[i] = f->v[--f->n];
            break;
        }
    if (t1 == T1_NAME && id >= f->count)
        f->count = (uint16_t)(id + 1);
    if (TAG_ISDELETE(tag))
        return 0;
    struct field fl = { id, type, (uint16_t)TAG_SIZE(tag), data };
    return fields_push(f, fl);
}

const struct field *fields_get(const struct fields *f, uint16_t id, uint16_t type, uint16_t mask)
{
    for (int i = 0; i < f->n; i++)
        if (f->v[i].id == id && (f->v[i].type & mask) == (type & mask))
            return &f->v[i];
    return NULL;
}

/* ---- fetch -------------------------------------------------------------- */

static bool tag_is_ccrc(uint32_t tag) { return (tag & 0x78000000u) == 0x50000000u; }

static bool all_erased(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != 0xff)
            return false;
    return true;
}

/* Scan the commits of one block.  Returns true when at least one commit is
 * valid, with d filled from the last one. */
static bool scan_block(struct lfs *fs, struct mdir *d, const uint8_t *b, uint32_t rev)
{
    const uint32_t bs = fs->cfg.block_size;
    uint32_t pos = 4, ptag = 0xffffffffu;
    uint32_t crc = lfs_crc(0xffffffffu, b, 4);
    int32_t count = 0;
    lfs_block_t tail[2] = { LFS_BLOCK_NULL, LFS_BLOCK_NULL };
    bool split = false, hasfcrc = false, maybe_erased = false;
    uint32_t fcrc_size = 0, fcrc = 0;
    struct gstate gd = { 0, { 0, 0 } };
    bool found = false;
    bool last_fcrc = false;
    uint32_t last_fcrc_size = 0, last_fcrc_crc = 0;

    while (pos + 4 <= bs) {
        uint32_t tag = get_be32(b + pos) ^ ptag;
        if (tag & 0x80000000u) {
            /* only a fresh, erased area can follow a CCRC */
            maybe_erased = tag_is_ccrc(ptag);
            break;
        }
        uint32_t dsize = TAG_DSIZE(tag);
        if (pos + dsize > bs)
            break;
        crc = lfs_crc(crc, b + pos, 4);
        ptag = tag;
        if (tag_is_ccrc(tag)) {
            if (dsize < 8 || crc != get_le32(b + pos + 4))
                break;
            ptag ^= (uint32_t)(TAG_CHUNK(tag) & 1) << 31;
            fs->seed = lfs_crc(fs->seed, &crc, sizeof crc);
            found = true;
            d->off = pos + dsize;
            d->etag = ptag;
            d->count = (uint16_t)count;
            d->tail[0] = tail[0];
            d->tail[1] = tail[1];
            d->split = split;
            d->gdelta = gd;
            last_fcrc = hasfcrc;
            last_fcrc_size = fcrc_size;
            last_fcrc_crc = fcrc;
            hasfcrc = false;
            crc = 0xffffffffu;
            pos += dsize;
            continue;
        }
        crc = lfs_crc(crc, b + pos + 4, dsize - 4);
        const uint8_t *data = b + pos + 4;
        uint32_t size = TAG_SIZE(tag);
        unsigned t1 = TAG_TYPE1(tag);
        if (t1 == T1_NAME) {
            if ((int32_t)TAG_ID(tag) >= count)
                count = (int32_t)TAG_ID(tag) + 1;
        } else if (t1 == T1_SPLICE) {
            count += (int8_t)TAG_CHUNK(tag);
            if (count < 0 || count > 0x3ff)
                break;
        } else if (t1 == T1_TAIL) {
            if (size != 8)
                break;
            split = TAG_CHUNK(tag) & 1;
            tail[0] = get_le32(data);
            tail[1] = get_le32(data + 4);
        } else if (TAG_TYPE3(tag) == TY_FCRC) {
            if (size < 8)
                break;
            fcrc_size = get_le32(data);
            fcrc = get_le32(data + 4);
            hasfcrc = true;
        } else if (TAG_TYPE3(tag) == TY_MOVESTATE) {
            if (size < 12)
                break;
            gd.tag = get_le32(data);
            gd.pair[0] = get_le32(data + 4);
            gd.pair[1] = get_le32(data + 8);
        }
        pos += dsize;
    }
    if (!found)
        return false;
    d->rev = rev;
    /* Appending is only safe on bytes that were never programmed: the last
     * commit must end on a prog boundary, its FCRC (2.1) must still match, and
     * (stricter than littlefs, free with whole-block caching) every byte after
     * it must be 0xFF. */
    d->erased = false;
    uint32_t prog = fs->cfg.prog_size;
    if (maybe_erased && d->off % prog == 0 && d->off <= bs) {
        bool ok;
        if (last_fcrc)
            ok = last_fcrc_size <= bs - d->off &&
                 lfs_crc(0xffffffffu, b + d->off, last_fcrc_size) == last_fcrc_crc;
        else
            ok = fs->disk_version < LFS_DISK_V21;
        d->erased = ok && all_erased(b + d->off, bs - d->off);
    }
    return true;
}

static int32_t seq_cmp(uint32_t a, uint32_t b) { return (int32_t)(a - b); }

#define NFETCHED (sizeof ((struct lfs *)0)->fetched / sizeof ((struct lfs *)0)->fetched[0])

static bool fetched_current(const struct lfs *fs, const struct fetched *c)
{
    return c->valid && c->ver[0] == fs->bd.ver[c->d.pair[0]] &&
           c->ver[1] == fs->bd.ver[c->d.pair[1]];
}

/* A pair fetched before whose blocks have not changed since. */
static bool fetch_remembered(struct lfs *fs, struct mdir *d, const lfs_block_t pair[2])
{
    for (size_t i = 0; i < NFETCHED; i++) {
        const struct fetched *c = &fs->fetched[i];
        if (fetched_current(fs, c) && pair_equal_set(c->d.pair, pair)) {
            *d = c->d;
            return true;
        }
    }
    return false;
}

static void fetch_remember(struct lfs *fs, const struct mdir *d)
{
    struct fetched *c = &fs->fetched[fs->fetch_next++ % NFETCHED];
    fields_free(&c->f);
    *c = (struct fetched){ .d = *d, .ver = { fs->bd.ver[d->pair[0]], fs->bd.ver[d->pair[1]] },
                           .valid = true };
}

void mdir_forget(struct lfs *fs)
{
    for (size_t i = 0; i < NFETCHED; i++) {
        fields_free(&fs->fetched[i].f);
        fs->fetched[i].valid = false;
    }
}

/* The remembered fetch of exactly d (same block, same end), if any. */
static struct fetched *fetched_of(struct lfs *fs, const struct mdir *d)
{
    for (size_t i = 0; i < NFETCHED; i++) {
        struct fetched *c = &fs->fetched[i];
        if (fetched_current(fs, c) && c->d.pair[0] == d->pair[0] && c->d.off == d->off)
            return c;
    }
    return NULL;
}

static int fetch(struct lfs *fs, struct mdir *d, const lfs_block_t pair[2], struct err *e);

int mdir_fetch(struct lfs *fs, struct mdir *d, const lfs_block_t pair[2], struct err *e)
{
    if (pair[0] >= fs->block_count || pair[1] >= fs->block_count)
        return lfs_fail(fs, e, LFS_ERR_CORRUPT,
                        "metadata pair {0x%x, 0x%x} points outside the filesystem (%u blocks)",
                        pair[0], pair[1], fs->block_count);
    if (fetch_remembered(fs, d, pair))
        return 0;
    if (fetch(fs, d, pair, e))
        return -1;
    fetch_remember(fs, d);
    return 0;
}

static int fetch(struct lfs *fs, struct mdir *d, const lfs_block_t pair[2], struct err *e)
{
    /* The revision counts first: the older block is read only when the
     * newer one holds no valid commit (a cut during its compaction). */
    uint32_t revs[2];
    for (int i = 0; i < 2; i++) {
        uint8_t w[4];
        if (bd_read(&fs->bd, pair[i], 0, w, 4, e)) {
            fs->errcode = LFS_ERR_IO;
            return -1;
        }
        revs[i] = get_le32(w);
    }
    int r = seq_cmp(revs[1], revs[0]) > 0 ? 1 : 0;
    for (int i = 0; i < 2; i++) {
        int k = (r + i) % 2;
        const uint8_t *b = bd_block(&fs->bd, pair[k], e);
        if (!b) {
            fs->errcode = LFS_ERR_IO;
            return -1;
        }
        memset(d, 0, sizeof *d);
        d->pair[0] = pair[k];
        d->pair[1] = pair[1 - k];
        if (scan_block(fs, d, b, get_le32(b)))
            return 0;
    }
    return lfs_fail(fs, e, LFS_ERR_CORRUPT,
                    "corrupted metadata pair {0x%x, 0x%x}: no valid commit in either block",
                    pair[0], pair[1]);
}

static int replay(struct lfs *fs, const struct mdir *d, struct fields *out, struct err *e);

/* A copy of `f` (the caller frees it). */
static int fields_copy(struct lfs *fs, const struct fields *f, struct fields *out,
                       struct err *e)
{
    *out = *f;
    out->cap = f->n;
    out->v = malloc((f->n ? (size_t)f->n : 1) * sizeof *out->v);
    if (!out->v) {
        memset(out, 0, sizeof *out);
        return lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory");
    }
    if (f->n)
        memcpy(out->v, f->v, (size_t)f->n * sizeof *out->v);
    return 0;
}

/* The replay of a pair fetched before is remembered with it: a lookup
 * replays every pair on its way, and replaying is most of its cost once
 * the fetch is remembered. */
int mdir_fields(struct lfs *fs, const struct mdir *d, bool view, struct fields *out,
                struct err *e)
{
    struct fetched *c = fetched_of(fs, d);
    if (c && !c->f.v && replay(fs, d, &c->f, e))
        return -1;
    if (c ? fields_copy(fs, &c->f, out, e) : replay(fs, d, out, e))
        return -1;
    /* A pending move's source is gone for readers (the "synthetic move"). */
    if (view && gs_hasmovehere(&fs->gdisk, d->pair) && TAG_ID(fs->gdisk.tag) < out->count)
        fields_apply(out, TAG(TY_DELETE, TAG_ID(fs->gdisk.tag), 0), NULL);
    return 0;
}

static int replay(struct lfs *fs, const struct mdir *d, struct fields *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    out->tail[0] = d->tail[0];
    out->tail[1] = d->tail[1];
    out->split = d->split;
    if (d->off <= 4)    /* freshly allocated, nothing written yet */
        return 0;
    const uint8_t *b = bd_block(&fs->bd, d->pair[0], e);
    if (!b)
        return -1;
    uint32_t pos = 4, ptag = 0xffffffffu;
    while (pos + 4 <= d->off) {
        uint32_t tag = get_be32(b + pos) ^ ptag;
        uint32_t dsize = TAG_DSIZE(tag);
        ptag = tag;
        if (pos + dsize > d->off)
            break;
        if (tag_is_ccrc(tag)) {
            ptag ^= (uint32_t)(TAG_CHUNK(tag) & 1) << 31;
        } else if (fields_apply(out, tag, b + pos + 4)) {
            fields_free(out);
            return lfs_fail(fs, e, LFS_ERR_CORRUPT,
                            "block 0x%x offset %u: tag 0x%08x deletes or creates a missing id",
                            d->pair[0], pos, tag);
        }
        pos += dsize;
    }
    out->tail[0] = d->tail[0];
    out->tail[1] = d->tail[1];
    out->split = d->split;
    out->has_tail = false;
    if (out->count != d->count) {
        fields_free(out);
        return lfs_fail(fs, e, LFS_ERR_CORRUPT, "block 0x%x: id count mismatch", d->pair[0]);
    }
    return 0;
}

/* ---- commits ------------------------------------------------------------- */

/* A commit being built in a block-sized buffer that mirrors the block. */
struct commit {
    struct lfs *fs;
    uint8_t *buf;           /* block image; bytes before `begin` unused */
    uint32_t begin, off, ptag, crc, limit;
};

static int commit_bytes(struct commit *c, const void *data, uint32_t len)
{
    memcpy(c->buf + c->off, data, len);
    c->crc = lfs_crc(c->crc, data, len);
    c->off += len;
    return 0;
}

/* -1: does not fit (the caller compacts or splits). */
static int commit_tag(struct commit *c, uint32_t tag, const void *data)
{
    uint32_t dsize = TAG_DSIZE(tag);
    if (c->off + dsize > c->limit)
        return -1;
    uint8_t t[4];
    put_be32(t, (tag & 0x7fffffffu) ^ c->ptag);
    commit_bytes(c, t, 4);
    if (dsize > 4)
        commit_bytes(c, data, dsize - 4);
    c->ptag = tag & 0x7fffffffu;
    return 0;
}

/* End the commit: FCRC (2.1, when another commit can follow) + CCRC, padded
 * to a prog boundary with littlefs's "5-word" rule; padding longer than a
 * tag can describe becomes extra CCRC-only commits. */
static void commit_crc(struct commit *c)
{
    struct lfs *fs = c->fs;
    const uint32_t bs = fs->cfg.block_size, prog = fs->cfg.prog_size;
    uint32_t end = align_up(min_u32(c->off + 20, bs), prog);
    while (c->off < end) {
        uint32_t noff = min_u32(end - (c->off + 4), 0x3fe) + (c->off + 4);
        if (noff < end)
            noff = min_u32(noff, end - 20);
        uint8_t eperturb = 0xff;
        if (noff >= end && noff <= bs - prog) {
            eperturb = c->buf[noff];
            if (fs->disk_version >= LFS_DISK_V21) {
                uint8_t fc[8];
                put_le32(fc, prog);
                put_le32(fc + 4, lfs_crc(0xffffffffu, c->buf + noff, prog));
                commit_tag(c, TAG(TY_FCRC, 0x3ff, 8), fc);
            }
        }
        uint32_t ntag = TAG(TY_CCRC + (((uint8_t)~eperturb) >> 7), 0x3ff, noff - (c->off + 4));
        uint8_t t[8];
        put_be32(t, ntag ^ c->ptag);
        memcpy(c->buf + c->off, t, 4);
        c->crc = lfs_crc(c->crc, t, 4);
        put_le32(c->buf + c->off + 4, c->crc);
        c->off = noff;
        c->ptag = ntag ^ ((uint32_t)(0x80u & (uint8_t)~eperturb) << 24);
        c->crc = 0xffffffffu;
    }
}

static bool pair_is_sb(const lfs_block_t p[2])
{
    return (p[0] == 0 && p[1] == 1) || (p[0] == 1 && p[1] == 0);
}

static bool needs_relocation(struct lfs *fs, const struct mdir *d)
{
    int32_t c = fs->cfg.block_cycles;
    return c > 0 && (d->rev + 1) % (((uint32_t)c + 1) | 1) == 0;
}

/* The gstate delta a commit to d must carry: pending changes (unless the
 * commit goes to a relocated pair nobody references yet), stolen deltas, and
 * d's own delta so it is not lost.  Size bits are RAM-only. */
static struct gstate commit_delta(struct lfs *fs, bool pending)
{
    struct gstate delta = { 0, { 0, 0 } };
    if (pending) {
        gs_xor(&delta, &fs->gdisk);
        gs_xor(&delta, &fs->gstate);
    }
    gs_xor(&delta, &fs->gdelta);
    delta.tag &= ~0x3ffu;
    return delta;
}

static void put_gstate(uint8_t out[12], const struct gstate *g)
{
    put_le32(out, g->tag);
    put_le32(out + 4, g->pair[0]);
    put_le32(out + 8, g->pair[1]);
}

int mdir_alloc(struct lfs *fs, struct mdir *d, struct err *e)
{
    memset(d, 0, sizeof *d);
    if (lfs_alloc(fs, &d->pair[1], e) || lfs_alloc(fs, &d->pair[0], e))
        return -1;
    /* keep counting from whatever revision the block had, aligned so the
     * pair is not relocated right away (as littlefs) */
    const uint8_t *b = bd_block(&fs->bd, d->pair[0], e);
    if (!b)
        return -1;
    uint32_t rev = get_le32(b);
    if (fs->cfg.block_cycles > 0) {
        uint32_t m = ((uint32_t)fs->cfg.block_cycles + 1) | 1;
        uint32_t a = rev + m - 1;
        rev = a - a % m;
    }
    d->rev = rev;
    d->off = 4;
    d->etag = 0xffffffffu;
    d->tail[0] = d->tail[1] = LFS_BLOCK_NULL;
    return 0;
}

static int field_order(const struct field *a, const struct field *b)
{
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    int ga = a->type >> 8, gb = b->type >> 8;
    if (ga != gb)
        return ga < gb ? -1 : 1;
    return a->type < b->type ? -1 : a->type > b->type;
}

static int cmp_fields(const void *x, const void *y)
{
    return field_order(*(const struct field *const *)x, *(const struct field *const *)y);
}

/* Fields of ids [begin, end) in writing order: by id, name first. */
static const struct field **sorted_range(const struct fields *f, uint16_t begin, uint16_t end,
                                         int *n)
{
    const struct field **v = malloc(((size_t)f->n + 1) * sizeof *v);
    if (!v)
        return NULL;
    int k = 0;
    for (int i = 0; i < f->n; i++)
        if (f->v[i].id >= begin && f->v[i].id < end)
            v[k++] = &f->v[i];
    qsort(v, (size_t)k, sizeof *v, cmp_fields);
    *n = k;
    return v;
}

static uint32_t range_size(const struct fields *f, uint16_t begin, uint16_t end)
{
    uint32_t size = 0;
    for (int i = 0; i < f->n; i++)
        if (f->v[i].id >= begin && f->v[i].id < end)
            size += 4 + f->v[i].size;
    return size;
}

/* Write ids [begin, end) of f into d->pair[1] as one compacted commit, then
 * swap so it is the block in use.  Moves a worn pair to a new block. */
int mdir_compact(struct lfs *fs, struct mdir *d, const struct fields *f, uint16_t begin,
                 uint16_t end, struct err *e)
{
    const uint32_t bs = fs->cfg.block_size;
    bool relocated = false;
    bool tired = needs_relocation(fs, d);
    d->rev += 1;
    fs->bd.st.compactions++;
    if (tired && !pair_is_sb(d->pair)) {
        relocated = true;
        fs->bd.st.relocations++;
        if (lfs_alloc(fs, &d->pair[1], e))
            return -1;
    }
    int n;
    const struct field **v = sorted_range(f, begin, end, &n);
    uint8_t *buf = malloc(bs);
    if (!v || !buf) {
        free(v);
        free(buf);
        return lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory compacting a metadata pair");
    }
    memset(buf, 0xff, bs);
    struct commit c = { fs, buf, 0, 0, 0xffffffffu, 0xffffffffu, bs - 8 };
    uint8_t rev[4];
    put_le32(rev, d->rev);
    commit_bytes(&c, rev, 4);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++)
        rc = commit_tag(&c, TAG(v[i]->type, v[i]->id - begin, v[i]->size), v[i]->data);
    if (!rc && !pair_isnull(d->tail)) {
        uint8_t t[8];
        put_le32(t, d->tail[0]);
        put_le32(t + 4, d->tail[1]);
        rc = commit_tag(&c, TAG(TY_SOFTTAIL + d->split, 0x3ff, 8), t);
    }
    struct gstate delta = commit_delta(fs, !relocated);
    gs_xor(&delta, &d->gdelta);
    if (!rc && !gs_iszero(&delta)) {
        uint8_t g[12];
        put_gstate(g, &delta);
        rc = commit_tag(&c, TAG(TY_MOVESTATE, 0x3ff, 12), g);
    }
    free(v);
    if (rc) {
        free(buf);
        return lfs_fail(fs, e, LFS_ERR_NOSPC,
                        "metadata pair {0x%x, 0x%x}: entries do not fit in one block",
                        d->pair[0], d->pair[1]);
    }
    commit_crc(&c);
    if (bd_erase(&fs->bd, d->pair[1], e) || bd_prog(&fs->bd, d->pair[1], 0, buf, c.off, e) ||
        bd_sync(&fs->bd, d->pair[1], e)) {
        free(buf);
        fs->broken = true;
        fs->errcode = LFS_ERR_IO;
        return -1;
    }
    free(buf);
    lfs_block_t t = d->pair[0];
    d->pair[0] = d->pair[1];
    d->pair[1] = t;
    d->count = (uint16_t)(end - begin);
    d->off = c.off;
    d->etag = c.ptag;
    d->erased = c.off <= bs - fs->cfg.prog_size;
    d->gdelta = delta;
    memset(&fs->gdelta, 0, sizeof fs->gdelta);
    if (!relocated)
        fs->gdisk = fs->gstate;
    return relocated ? COMMIT_RELOCATED : 0;
}

/* Try to append attrs as a new commit.  1 = must compact instead.
 * In ordered mode (a device) never: the block is on the chip already, and
 * the chip can only change it by erasing and rewriting the whole sector; a
 * cut in between would lose the pair's current state.  A compaction writes
 * the other block of the pair and leaves the current one alone. */
static int commit_append(struct lfs *fs, struct mdir *d, const struct mattr *attrs, int n,
                         uint16_t count, struct err *e)
{
    const uint32_t bs = fs->cfg.block_size;
    if (!d->erased || count >= 0xff || fs->bd.ordered)
        return 1;
    const uint8_t *blk = bd_block(&fs->bd, d->pair[0], e);
    if (!blk)
        return -1;
    uint8_t *buf = malloc(bs);
    if (!buf)
        return lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory");
    memcpy(buf, blk, bs);
    struct commit c = { fs, buf, d->off, d->off, d->etag, 0xffffffffu, bs - 8 };
    for (int i = 0; i < n; i++)
        if (commit_tag(&c, attrs[i].tag, attrs[i].data)) {
            free(buf);
            return 1;
        }
    struct gstate delta = commit_delta(fs, true);
    bool gchange = !gs_iszero(&delta);
    if (gchange) {
        gs_xor(&delta, &d->gdelta);
        uint8_t g[12];
        put_gstate(g, &delta);
        if (commit_tag(&c, TAG(TY_MOVESTATE, 0x3ff, 12), g)) {
            free(buf);
            return 1;
        }
    }
    commit_crc(&c);
    if (c.off > bs) {
        free(buf);
        return 1;
    }
    int r = bd_prog(&fs->bd, d->pair[0], d->off, buf + d->off, c.off - d->off, e);
    free(buf);
    if (!r)
        r = bd_sync(&fs->bd, d->pair[0], e);
    if (r) {
        fs->broken = true;
        fs->errcode = LFS_ERR_IO;
        return -1;
    }
    d->off = c.off;
    d->etag = c.ptag;
    d->erased = c.off <= bs - fs->cfg.prog_size;
    if (gchange)
        d->gdelta = delta;
    fs->gdisk = fs->gstate;
    memset(&fs->gdelta, 0, sizeof fs->gdelta);
    return 0;
}

/* Compaction with splitting (a pair holds at most ~half a block and fewer
 * than 255 ids after a compaction) and superblock expansion. */
static int splitting_compact(struct lfs *fs, struct mdir *d, const struct fields *f,
                             uint16_t begin, uint16_t end, struct err *e)
{
    const uint32_t bs = fs->cfg.block_size;
    const uint32_t cap = min_u32(bs - 40, align_up(bs / 2, fs->cfg.prog_size));
    for (;;) {
        uint16_t split = begin;
        while (end - split > 1) {
            if (end - split < 0xff && range_size(f, split, end) <= cap)
                break;
            split = (uint16_t)(split + (end - split) / 2);
        }
        if (split == begin)
            break;
        struct mdir t;
        if (mdir_alloc(fs, &t, e))
            return -1;
        fs->bd.st.splits++;
        t.split = d->split;
        t.tail[0] = d->tail[0];
        t.tail[1] = d->tail[1];
        if (mdir_compact(fs, &t, f, split, end, e) < 0)
            return -1;
        d->tail[0] = t.pair[0];
        d->tail[1] = t.pair[1];
        d->split = true;
        end = split;
    }
    if (needs_relocation(fs, d) && pair_is_sb(d->pair)) {
        /* {0,1} cannot move: hand the root to a new pair, keep only the
         * superblock here (unless the filesystem is nearly full). */
        uint32_t used;
        if (fs_size(fs, &used, e))
            return -1;
        if (fs->block_count - used > fs->block_count / 8) {
            struct mdir t;
            if (mdir_alloc(fs, &t, e))
                return -1;
            t.split = d->split;
            t.tail[0] = d->tail[0];
            t.tail[1] = d->tail[1];
            if (mdir_compact(fs, &t, f, begin, end, e) < 0)
                return -1;
            d->tail[0] = t.pair[0];
            d->tail[1] = t.pair[1];
            d->split = true;
            if (pair_overlap(d->pair, fs->root) && begin == 0) {
                fs->root[0] = t.pair[0];
                fs->root[1] = t.pair[1];
            }
            end = 1;
        }
    }
    return mdir_compact(fs, d, f, begin, end, e);
}

int mdir_commit_raw(struct lfs *fs, struct mdir *d, const struct mattr *attrs, int n,
                    struct err *e)
{
    if (fs->broken)
        return lfs_fail(fs, e, LFS_ERR_IO, "an earlier write failed; remount first");
    uint16_t count = d->count;
    for (int i = 0; i < n; i++) {
        uint16_t ty = (uint16_t)TAG_TYPE3(attrs[i].tag);
        if (ty == TY_CREATE)
            count++;
        else if (ty == TY_DELETE)
            count--;
    }
    int r = commit_append(fs, d, attrs, n, count, e);
    if (r <= 0) {
        if (r == 0) {
            d->count = count;
            for (int i = 0; i < n; i++)
                if (TAG_TYPE1(attrs[i].tag) == T1_TAIL) {
                    const uint8_t *p = attrs[i].data;
                    d->tail[0] = get_le32(p);
                    d->tail[1] = get_le32(p + 4);
                    d->split = TAG_CHUNK(attrs[i].tag) & 1;
                }
        }
        return r;
    }
    /* compact: replay the pair, apply the attrs, write what is live */
    struct fields f;
    if (mdir_fields(fs, d, false, &f, e))
        return -1;
    for (int i = 0; i < n; i++) {
        if (fields_apply(&f, attrs[i].tag, attrs[i].data)) {
            fields_free(&f);
            return lfs_fail(fs, e, LFS_ERR_CORRUPT,
                            "pair {0x%x, 0x%x}: commit refers to a missing id %u", d->pair[0],
                            d->pair[1], (unsigned)TAG_ID(attrs[i].tag));
        }
        if (f.has_tail) {
            d->tail[0] = f.tail[0];
            d->tail[1] = f.tail[1];
            d->split = f.split;
            f.has_tail = false;
        }
    }
    r = splitting_compact(fs, d, &f, 0, f.count, e);
    fields_free(&f);
    return r;
}
