/* CTZ skip-lists: how littlefs stores files larger than the inline limit.
 *
 * On disk (SPEC.md "0x202 LFS_TYPE_CTZSTRUCT", DESIGN.md): the file's blocks
 * in order, index 0, 1, 2...  Block i >= 1 starts with ctz(i)+1 u32 LE
 * pointers, pointer j pointing at block i - 2^j; block 0 has none.  The data
 * fills the rest of each block.  The struct holds the LAST block (head) and
 * the size, which is enough to find any byte in O(log n) pointer reads. */
#include "lfs_priv.h"

uint32_t ctz_ptrs(uint32_t index)
{
    return index ? (uint32_t)__builtin_ctz(index) + 1 : 0;
}

/* File bytes stored in blocks 0..i-1:
 *   i*bsize - 4 * sum_{k=1}^{i-1} (ctz(k)+1),  and  sum_{k=1}^{m} (ctz(k)+1) = 2m - popcount(m). */
static uint64_t ctz_start(uint32_t bsize, uint32_t i)
{
    if (i == 0)
        return 0;
    uint64_t m = i - 1;
    return (uint64_t)i * bsize - 4 * (2 * m - (uint64_t)__builtin_popcount((unsigned)m));
}

uint32_t ctz_index(uint32_t bsize, uint32_t pos, uint32_t *off)
{
    uint32_t i = pos / bsize;   /* never past the answer: blocks hold <= bsize */
    while (ctz_start(bsize, i + 1) <= pos)
        i++;
    *off = (uint32_t)(pos - ctz_start(bsize, i)) + 4 * ctz_ptrs(i);
    return i;
}

/* Pointer j of `block`.  A walk that only needs block numbers reads just
 * the pointer (`alone`); a lookup on the way to file data reads the whole
 * block, which the data read will want anyway. */
static int read_ptr(struct lfs *fs, lfs_block_t block, uint32_t j, bool alone, lfs_block_t *out,
                    struct err *e)
{
    uint8_t w[4];
    const uint8_t *p = w;
    if (alone) {
        if (bd_read(&fs->bd, block, 4 * j, w, 4, e))
            p = NULL;
    } else {
        p = bd_block(&fs->bd, block, e);
        if (p)
            p += 4 * j;
    }
    if (!p) {
        fs->errcode = LFS_ERR_IO;
        return -1;
    }
    *out = get_le32(p);
    if (*out >= fs->block_count)
        return lfs_fail(fs, e, LFS_ERR_CORRUPT,
                        "file block 0x%x: skip-list pointer %u is 0x%x, outside the filesystem",
                        block, j, *out);
    return 0;
}

int ctz_check(struct lfs *fs, lfs_block_t head, uint32_t size, struct err *e)
{
    if (head >= fs->block_count)
        return lfs_fail(fs, e, LFS_ERR_CORRUPT, "file head block 0x%x is outside the filesystem",
                        head);
    /* A damaged struct can claim up to 4 GB: a read would allocate that
     * much and a walk would follow ~1M pointers round a loop of blocks. */
    if (size > (uint64_t)fs->block_count * fs->cfg.block_size)
        return lfs_fail(fs, e, LFS_ERR_CORRUPT,
                        "file of %u bytes (head block 0x%x) is larger than the filesystem", size,
                        head);
    return 0;
}

int ctz_find(struct lfs *fs, lfs_block_t head, uint32_t size, uint32_t pos,
             lfs_block_t *block, uint32_t *off, struct err *e)
{
    uint32_t dummy;
    if (ctz_check(fs, head, size, e))
        return -1;
    uint32_t cur = ctz_index(fs->cfg.block_size, size - 1, &dummy);
    uint32_t target = ctz_index(fs->cfg.block_size, pos, off);
    while (cur > target) {
        uint32_t j = ctz_ptrs(cur) - 1;          /* largest pointer this block has */
        while ((1u << j) > cur - target)
            j--;
        if (read_ptr(fs, head, j, false, &head, e))
            return -1;
        cur -= 1u << j;
    }
    *block = head;
    return 0;
}

int ctz_traverse(struct lfs *fs, lfs_block_t head, uint32_t size, block_cb cb, void *ctx,
                 struct err *e)
{
    if (size == 0)
        return 0;
    if (ctz_check(fs, head, size, e))
        return -1;
    uint32_t dummy;
    uint32_t index = ctz_index(fs->cfg.block_size, size - 1, &dummy);
    for (;;) {
        int r = cb(ctx, head, e);
        if (r)
            return r;
        if (index == 0)
            return 0;
        if (read_ptr(fs, head, 0, true, &head, e))
            return -1;
        index--;
    }
}

int ctz_count(struct lfs *fs, lfs_block_t head, uint32_t size, uint32_t *n, struct err *e)
{
    *n = 0;
    if (size == 0)
        return 0;
    if (ctz_check(fs, head, size, e))
        return -1;
    uint32_t dummy;
    *n = ctz_index(fs->cfg.block_size, size - 1, &dummy) + 1;   /* blocks 0..index */
    return 0;
}

/* Block `block` holds file byte `pos`: new to the chain, if in order. */
static int seen_check(struct lfs *fs, struct ctz_seen *seen, uint32_t pos, lfs_block_t block,
                      struct err *e)
{
    uint32_t off, index = ctz_index(fs->cfg.block_size, pos, &off);
    if (index != seen->next)
        return 0;
    if (bit_get(seen->map, block))
        return lfs_fail(fs, e, LFS_ERR_CORRUPT,
                        "block 0x%x comes twice in the file's block list (again as block %u "
                        "of the file): the list loops", block, index);
    bit_set(seen->map, block);
    seen->next++;
    return 0;
}

int ctz_read(struct lfs *fs, lfs_block_t head, uint32_t size, uint32_t pos, void *buf,
             uint32_t len, struct ctz_seen *seen, struct err *e)
{
    uint8_t *out = buf;
    while (len > 0) {
        lfs_block_t block;
        uint32_t off;
        if (ctz_find(fs, head, size, pos, &block, &off, e))
            return -1;
        if (seen && seen_check(fs, seen, pos, block, e))
            return -1;
        const uint8_t *b = bd_block(&fs->bd, block, e);
        if (!b) {
            fs->errcode = LFS_ERR_IO;
            return -1;
        }
        uint32_t n = min_u32(len, fs->cfg.block_size - off);
        memcpy(out, b + off, n);
        out += n;
        pos += n;
        len -= n;
    }
    return 0;
}
