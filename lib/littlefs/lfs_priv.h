/* Internals shared by the lfs_*.c modules.  Not for users of lfs.h.
 *
 * Module map:
 *   lfs_bd.c     block cache over struct flash (read whole blocks, prog, erase, flush)
 *   lfs_mdir.c   metadata pairs: fetch + validate commits, replay tags into
 *                fields, append commits, compact / split / relocate
 *   lfs_ctz.c    CTZ skip-list files: index math, find, traverse
 *   lfs_alloc.c  block allocator + the filesystem traversal it needs
 *   lfs_fs.c     mount, format, gstate, path lookup, mkdir/remove/rename,
 *                relocation fix-ups, orphans, grow
 *   lfs_file.c   file handles
 *   lfs_walk.c   directory listings and tree walks (ls, get, rm -r, fsck)
 *   lfs_fsck.c   the checker
 *
 * These files call each other in both directions (the allocator traverses
 * metadata and files, commits allocate, relocation reaches back into the
 * filesystem): they are one algorithm split into readable parts, not
 * separate modules, so the cycles stay inside this folder.  Nothing outside
 * lib/littlefs includes this header. */
#ifndef MPI_LFS_PRIV_H
#define MPI_LFS_PRIV_H

#include <stdint.h>
#include <string.h>

#include "bytes.h"
#include "lfs.h"

typedef uint32_t lfs_block_t;
#define LFS_BLOCK_NULL 0xffffffffu

/* ---- tags --------------------------------------------------------------
 * 32 bits, stored big-endian and XORed with the previous tag:
 *   [valid:1][type3:11 = type1:3 chunk:8][id:10][size:10]
 * id 0x3ff = not tied to a file; size 0x3ff = deleted (no data). */
#define TAG(type, id, size) \
    (((uint32_t)(type) << 20) | ((uint32_t)(id) << 10) | (uint32_t)(size))
#define TAG_TYPE1(t) (((t) >> 28) & 0x7)           /* 0..7 */
#define TAG_TYPE3(t) (((t) >> 20) & 0x7ff)
#define TAG_CHUNK(t) (((t) >> 20) & 0xff)
#define TAG_ID(t) (((t) >> 10) & 0x3ff)
#define TAG_SIZE(t) ((t) & 0x3ff)
#define TAG_ISDELETE(t) (TAG_SIZE(t) == 0x3ff)
#define TAG_DSIZE(t) (4u + (TAG_ISDELETE(t) ? 0u : TAG_SIZE(t)))

enum {
    T1_NAME = 0, T1_STRUCT = 2, T1_USERATTR = 3, T1_SPLICE = 4, T1_CRC = 5,
    T1_TAIL = 6, T1_GSTATE = 7,
};
enum {
    TY_REG = 0x001, TY_DIR = 0x002, TY_SUPERBLOCK = 0x0ff,
    TY_DIRSTRUCT = 0x200, TY_INLINESTRUCT = 0x201, TY_CTZSTRUCT = 0x202,
    TY_USERATTR = 0x300,
    TY_CREATE = 0x401, TY_DELETE = 0x4ff,
    TY_CCRC = 0x500, TY_FCRC = 0x5ff,
    TY_SOFTTAIL = 0x600, TY_HARDTAIL = 0x601,
    TY_MOVESTATE = 0x7ff,
};

static inline uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline uint32_t align_up(uint32_t a, uint32_t b) { return (a + b - 1) / b * b; }
static inline uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }
/* Bitmaps of blocks (the allocator, fsck). */
static inline void bit_set(uint8_t *m, uint32_t b) { m[b / 8] |= (uint8_t)(1u << (b % 8)); }
static inline bool bit_get(const uint8_t *m, uint32_t b) { return m[b / 8] >> (b % 8) & 1; }

/* littlefs's CRC-32: reflected 0x04C11DB7, init 0xffffffff, no final XOR. */
uint32_t lfs_crc(uint32_t crc, const void *buf, size_t len);

/* Pairs are "the same" when they share a block (a relocated pair keeps one). */
static inline bool pair_overlap(const lfs_block_t a[2], const lfs_block_t b[2])
{
    return a[0] == b[0] || a[0] == b[1] || a[1] == b[0] || a[1] == b[1];
}
static inline bool pair_equal_set(const lfs_block_t a[2], const lfs_block_t b[2])
{
    return (a[0] == b[0] && a[1] == b[1]) || (a[0] == b[1] && a[1] == b[0]);
}
static inline bool pair_isnull(const lfs_block_t p[2])
{
    return p[0] == LFS_BLOCK_NULL || p[1] == LFS_BLOCK_NULL;
}

/* The pairs a walk has seen, as a bitmap of their blocks (block_count
 * bits): a pair sharing a block with one seen before is the same pair
 * reached again.  Returns whether `p` was seen, and marks it. */
static inline bool pair_was_seen(const uint8_t *map, uint32_t block_count,
                                 const lfs_block_t p[2])
{
    bool seen = false;
    for (int i = 0; i < 2; i++)
        if (p[i] < block_count)
            seen |= (map[p[i] / 8] >> (p[i] % 8)) & 1;
    return seen;
}
static inline bool pair_seen(uint8_t *map, uint32_t block_count, const lfs_block_t p[2])
{
    bool seen = pair_was_seen(map, block_count, p);
    for (int i = 0; i < 2 && !seen; i++)
        if (p[i] < block_count)
            map[p[i] / 8] |= (uint8_t)(1u << (p[i] % 8));
    return seen;
}

/* ---- block device (lfs_bd.c) ------------------------------------------- */
struct lfs_bd {
    struct flash *flash;
    uint32_t base;          /* flash address of block 0 */
    uint32_t bsize;
    uint32_t nblocks;       /* whole blocks the partition holds */
    uint8_t **blk;          /* cached blocks (NULL = not loaded) */
    uint8_t *dirty;         /* 1 = cached block differs from flash (write-back) */
    uint32_t *ver;          /* changes (prog, erase) of each block: what a
                             * remembered metadata fetch checks */
    bool write_back;
    bool ordered;           /* write-back over an interruptible flash: every
                             * commit reaches the flash before the next one */
    struct lfs_stats st;
};

int bd_init(struct lfs_bd *bd, struct flash *flash, uint32_t base, uint32_t size,
            uint32_t bsize, bool write_back, struct err *e);
void bd_free(struct lfs_bd *bd);
/* Pointer to the cached contents of `block` (valid until bd_free). */
const uint8_t *bd_block(struct lfs_bd *bd, lfs_block_t block, struct err *e);
/* Reads of at most BD_SMALL_READ bytes from a block that is not cached go
 * to the flash alone and leave the block uncached. */
#define BD_SMALL_READ 64u
int bd_read(struct lfs_bd *bd, lfs_block_t block, uint32_t off, void *buf, uint32_t len,
            struct err *e);
int bd_prog(struct lfs_bd *bd, lfs_block_t block, uint32_t off, const void *buf, uint32_t len,
            struct err *e);
int bd_erase(struct lfs_bd *bd, lfs_block_t block, struct err *e);
int bd_flush(struct lfs_bd *bd, struct err *e);
/* The end of a metadata commit to block `meta`.  In ordered mode, push every
 * other changed block (the file data the commit refers to), then `meta`,
 * each verified by the flash's flush, so a cut at any byte leaves either
 * the state before the commit or the one after it.  Else a no-op. */
int bd_sync(struct lfs_bd *bd, lfs_block_t meta, struct err *e);

/* ---- global state ------------------------------------------------------ */
struct gstate {
    uint32_t tag;           /* bit 31: orphans; type/id: pending move; size: orphan count (RAM) */
    lfs_block_t pair[2];
};
static inline void gs_xor(struct gstate *a, const struct gstate *b)
{
    a->tag ^= b->tag; a->pair[0] ^= b->pair[0]; a->pair[1] ^= b->pair[1];
}
static inline bool gs_iszero(const struct gstate *a)
{
    return a->tag == 0 && a->pair[0] == 0 && a->pair[1] == 0;
}
static inline bool gs_hasmove(const struct gstate *a) { return TAG_TYPE1(a->tag) != 0; }
static inline bool gs_hasorphans(const struct gstate *a) { return TAG_SIZE(a->tag) != 0; }
static inline bool gs_hasmovehere(const struct gstate *a, const lfs_block_t pair[2])
{
    return gs_hasmove(a) && pair_overlap(a->pair, pair);
}

/* ---- metadata pairs (lfs_mdir.c) ---------------------------------------- */
struct mdir {
    lfs_block_t pair[2];    /* pair[0] = the block in use */
    uint32_t rev;
    uint32_t off;           /* end of the last valid commit */
    uint32_t etag;          /* XOR chain state for the next tag */
    uint16_t count;         /* ids in this pair */
    bool erased;            /* the rest of pair[0] can take another commit */
    bool split;             /* tail is a HARDTAIL (same directory continues) */
    lfs_block_t tail[2];
    struct gstate gdelta;   /* this pair's MOVESTATE delta (last one wins) */
};

/* One live tag of a pair after replaying its commits: a name, a struct or a
 * user attribute of file `id`.  `data` points into a cached block or into
 * caller memory. */
struct field {
    uint16_t id;
    uint16_t type;          /* type3 */
    uint16_t size;
    const uint8_t *data;
};
struct fields {
    struct field *v;
    int n, cap;
    uint16_t count;         /* number of ids */
    lfs_block_t tail[2];
    bool split, has_tail;
};

/* Something to commit: a tag (id/size set) and its data. */
struct mattr {
    uint32_t tag;
    const void *data;
};

void fields_free(struct fields *f);
/* Forget the remembered fetches (lfs_free). */
void mdir_forget(struct lfs *fs);
/* Apply one tag to the replayed state (creates, deletes, supersedes). */
int fields_apply(struct fields *f, uint32_t tag, const uint8_t *data);
const struct field *fields_get(const struct fields *f, uint16_t id, uint16_t type, uint16_t mask);
#define MASK_TYPE1 0x700
#define MASK_NAME 0x780     /* NAME group without the superblock's 0x0ff */
#define MASK_TYPE3 0x7ff

struct lfs;
int mdir_fetch(struct lfs *fs, struct mdir *d, const lfs_block_t pair[2], struct err *e);
/* Replay pair[0] into fields.  `view`: hide a pending move's source (what
 * readers must see). */
int mdir_fields(struct lfs *fs, const struct mdir *d, bool view, struct fields *out,
                struct err *e);
/* Low-level commit of attrs to d: append when possible, else compact (with
 * splitting, superblock expansion and wear relocation).  Returns 0, or
 * COMMIT_RELOCATED when d->pair changed (the caller fixes the references). */
#define COMMIT_RELOCATED 1
#define COMMIT_DROPPED 2
int mdir_commit_raw(struct lfs *fs, struct mdir *d, const struct mattr *attrs, int n,
                    struct err *e);
/* Allocate a fresh pair (not written yet). */
int mdir_alloc(struct lfs *fs, struct mdir *d, struct err *e);
/* Compact `f` ids [begin, end) into d (d->pair[1] is erased and written). */
int mdir_compact(struct lfs *fs, struct mdir *d, const struct fields *f, uint16_t begin,
                 uint16_t end, struct err *e);

/* ---- CTZ files (lfs_ctz.c) --------------------------------------------- */
/* Block index holding file byte `pos`, and its offset inside that block. */
uint32_t ctz_index(uint32_t bsize, uint32_t pos, uint32_t *off);
uint32_t ctz_ptrs(uint32_t index);   /* pointers at the start of block `index` */
/* A chain that starts inside the filesystem and is not larger than it;
 * else -1 (LFS_ERR_CORRUPT).  ctz_find and ctz_traverse check it. */
int ctz_check(struct lfs *fs, lfs_block_t head, uint32_t size, struct err *e);
int ctz_find(struct lfs *fs, lfs_block_t head, uint32_t size, uint32_t pos,
             lfs_block_t *block, uint32_t *off, struct err *e);
typedef int (*block_cb)(void *ctx, lfs_block_t block, struct err *e);
int ctz_traverse(struct lfs *fs, lfs_block_t head, uint32_t size, block_cb cb, void *ctx,
                 struct err *e);
/* How many blocks the chain holds, from its size alone (no block read):
 * what ctz_traverse visits, in a sound chain. */
int ctz_count(struct lfs *fs, lfs_block_t head, uint32_t size, uint32_t *n, struct err *e);
/* What a reader has checked of a chain read from its start: the blocks of
 * indexes 0..next-1, none twice (a bitmap of block_count bits).  A chain
 * whose pointers loop would give the same blocks again and again. */
struct ctz_seen {
    uint8_t *map;
    uint32_t next;
};
/* len bytes at pos; `seen` (may be NULL) is checked and extended. */
int ctz_read(struct lfs *fs, lfs_block_t head, uint32_t size, uint32_t pos, void *buf,
             uint32_t len, struct ctz_seen *seen, struct err *e);

/* ---- allocator (lfs_alloc.c) ------------------------------------------- */
int lfs_alloc(struct lfs *fs, lfs_block_t *block, struct err *e);
/* End of an operation: blocks handed out are either committed or garbage. */
void alloc_checkpoint(struct lfs *fs);
/* Walk every block the committed filesystem uses (pairs on the tail list,
 * directory pairs when `orphans`, CTZ blocks). */
int fs_traverse(struct lfs *fs, bool orphans, block_cb cb, void *ctx, struct err *e);

/* ---- the mount ---------------------------------------------------------- */
struct lfs_file;
struct lfs {
    struct lfs_config cfg;
    struct lfs_bd bd;
    uint32_t block_count;   /* from the superblock */
    uint32_t disk_version;  /* from the superblock */
    uint32_t name_max, file_max, attr_max, inline_max;
    lfs_block_t root[2];
    struct gstate gstate;   /* what the state is (RAM) */
    struct gstate gdisk;    /* what the disk says */
    struct gstate gdelta;   /* deltas stolen from dropped pairs */
    uint32_t seed;          /* CRCs of the commits fetched */
    uint32_t alloc_start;   /* the seed at mount, where the allocator starts (as
                             * littlefs: the same however many fetches follow) */
    int errcode;
    bool broken;            /* a write failed half-way: refuse further writes */
    bool consistent;        /* moves/orphans fixed since mount */
    /* allocator */
    uint8_t *used;          /* bitmap: in use or handed out */
    uint8_t *inflight;      /* bitmap: handed out since the last checkpoint */
    uint32_t cursor, scanned;
    bool alloc_valid;
    int writers;            /* open files with blocks not yet committed */
    struct lfs_file *files; /* open files (their new blocks are in use) */
    /* pairs an operation holds across commits: relocations update them
     * (littlefs keeps its open mdirs in a list for the same reason) */
    lfs_block_t *track[4];
    int ntrack;
    struct walk *walking;   /* a walk in progress (lfs_walk.c): the same */
    /* The last metadata pairs fetched, with the versions of their blocks:
     * a path lookup fetches every pair on its way, and validating a pair
     * (the CRC of every commit) is most of what a lookup costs. */
    struct fetched {
        struct mdir d;
        uint32_t ver[2];
        bool valid;
        struct fields f;    /* its replay (without the synthetic move), once made */
    } fetched[8];
    unsigned fetch_next;
};

/* Set the error code and message; returns -1. */
int lfs_fail(struct lfs *fs, struct err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Commit with everything littlefs's lfs_dir_commit does around it: drop an
 * emptied pair of a split directory, fix parents/predecessors of relocated
 * pairs, remove orphans it created. */
int fs_commit(struct lfs *fs, struct mdir *d, const struct mattr *attrs, int n, struct err *e);
int fs_pred(struct lfs *fs, const lfs_block_t pair[2], struct mdir *pdir, struct err *e);
int fs_preporphans(struct lfs *fs, int n);
void fs_prepmove(struct lfs *fs, uint16_t id, const lfs_block_t pair[2]);
int fs_force_consistency(struct lfs *fs, struct err *e);
/* Fetch the pair of the pending move (fs->gdisk) into d and check that its
 * source is a file or directory there; else -1 (LFS_ERR_CORRUPT). */
int fs_move_source(struct lfs *fs, struct mdir *d, struct err *e);
/* Blocks in use: metadata pairs and file blocks.  File chains are counted
 * from their sizes, so only metadata is read (df and the summary on a
 * device read the directories, not every file's pointers). */
int fs_size(struct lfs *fs, uint32_t *used, struct err *e);

/* Path lookup.  Finds the last component of `path`:
 *   found:  d = the pair holding it, id its id, type REG/DIR (root: id 0x3ff)
 *   absent: d = the pair where it would be inserted, id the insertion id,
 *           name/namelen the last component; returns -1 with LFS_ERR_NOENT,
 *           `parent_ok` set when only the last component is missing. */
struct lookup {
    struct mdir d;
    uint16_t id;
    uint16_t type;
    const char *name;
    uint32_t namelen;
    bool parent_ok;
    lfs_block_t dirpair[2]; /* head pair of the directory containing it */
};
int fs_lookup(struct lfs *fs, const char *path, bool view, struct lookup *r, struct err *e);
/* The same for one name (len bytes, any bytes) in the directory `dir`. */
int fs_lookup_in(struct lfs *fs, const lfs_block_t dir[2], const char *name, uint32_t len,
                 struct lookup *r, struct err *e);
/* Remove the entry found (a directory must be empty); `unlink`: only the
 * entry, whatever its directory pair holds (a second entry leading to a
 * pair reached before).  `shown` names it in messages. */
int fs_remove_found(struct lfs *fs, const struct lookup *r, bool unlink, const char *shown,
                    struct err *e);
/* An lfs_info from the fields of entry `id` (its NAME field `name`). */
void fs_fill_info(const struct fields *f, uint16_t id, const struct field *name,
                  struct lfs_info *info);

/* ---- directory listings and walks (lfs_walk.c) --------------------------- */
/* The entries of the directory whose head pair is `head`, following its
 * split pairs; each pair is checked against and added to `seen`
 * (pair_seen).  Returns 0; 1 when the head was seen before (nothing
 * listed); 2 when a later pair was (listed up to it; e says where); -1. */
int dir_read(struct lfs *fs, const lfs_block_t head[2], uint8_t *seen, struct lfs_info **out,
             size_t *n, struct err *e);
/* A pair the walk holds moved to new blocks. */
struct walk;
void walk_retarget(struct walk *w, const lfs_block_t old[2], const lfs_block_t now[2]);

/* Open-file tracking (lfs_file.c): new blocks of open files count as used. */
int file_traverse_open(struct lfs *fs, block_cb cb, void *ctx, struct err *e);

#endif
