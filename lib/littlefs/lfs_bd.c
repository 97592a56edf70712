/* The littlefs block device: whole-block cache over struct flash.
 *
 * Each block is read from the flash once, in one call, and kept.  littlefs's
 * "prog" becomes flash_write and its "erase" flash_erase.  In write-back mode
 * writes only touch the cache and lfs_flush() writes every changed block,
 * joining neighbours into one call (a device round trip each); in
 * write-through mode every prog/erase reaches the flash immediately, which is
 * what the power-loss test needs to cut the power between two of them.
 *
 * Write-back over an interruptible flash (a device) is "ordered": the cache
 * is pushed at the end of every metadata commit (bd_sync), file data first,
 * then the commit's block.  littlefs is power-safe only if its writes reach
 * the flash in that order; one flush at the end, in address order, would
 * let a directory entry reach the chip before the data it points to. */
#include <stdlib.h>
#include <zlib.h>

#include "lfs_priv.h"

uint32_t lfs_crc(uint32_t crc, const void *buf, size_t len)
{
    /* zlib's crc32 = ~raw(~crc); littlefs keeps the raw register. */
    uLong c = (~crc) & 0xffffffffu;
    const Bytef *p = buf;
    while (len > 0) {
        uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;
        c = crc32(c, p, n);
        p += n;
        len -= n;
    }
    return (uint32_t)(~c & 0xffffffffu);
}

int bd_init(struct lfs_bd *bd, struct flash *flash, uint32_t base, uint32_t size,
            uint32_t bsize, bool write_back, struct err *e)
{
    memset(bd, 0, sizeof *bd);
    bd->flash = flash;
    bd->base = base;
    bd->bsize = bsize;
    bd->nblocks = size / bsize;
    bd->write_back = write_back;
    bd->ordered = write_back && flash->interruptible;
    bd->blk = calloc(bd->nblocks ? bd->nblocks : 1, sizeof *bd->blk);
    bd->dirty = calloc(bd->nblocks ? bd->nblocks : 1, 1);
    bd->ver = calloc(bd->nblocks ? bd->nblocks : 1, sizeof *bd->ver);
    if (!bd->blk || !bd->dirty || !bd->ver) {
        bd_free(bd);
        return err_set(e, "out of memory for the block cache");
    }
    return 0;
}

void bd_free(struct lfs_bd *bd)
{
    if (bd->blk)
        for (uint32_t i = 0; i < bd->nblocks; i++)
            free(bd->blk[i]);
    free(bd->blk);
    free(bd->dirty);
    free(bd->ver);
    bd->blk = NULL;
    bd->dirty = NULL;
    bd->ver = NULL;
}

static int check_block(struct lfs_bd *bd, lfs_block_t block, struct err *e)
{
    if (block >= bd->nblocks)
        return err_set(e, "block %u is beyond the end of the partition (%u blocks)", block,
                       bd->nblocks);
    return 0;
}

const uint8_t *bd_block(struct lfs_bd *bd, lfs_block_t block, struct err *e)
{
    if (check_block(bd, block, e))
        return NULL;
    if (!bd->blk[block]) {
        uint8_t *b = malloc(bd->bsize);
        if (!b) {
            err_set(e, "out of memory for the block cache");
            return NULL;
        }
        bd->st.flash_reads++;
        if (flash_read(bd->flash, bd->base + block * bd->bsize, b, bd->bsize, e)) {
            free(b);
            return NULL;
        }
        bd->blk[block] = b;
    }
    return bd->blk[block];
}

int bd_read(struct lfs_bd *bd, lfs_block_t block, uint32_t off, void *buf, uint32_t len,
            struct err *e)
{
    if (off > bd->bsize || len > bd->bsize - off)
        return err_set(e, "read of %u bytes at offset %u of block %u is past the block end",
                       len, off, block);
    if (check_block(bd, block, e))
        return -1;
    /* A few bytes of a block nobody has loaded (a file's skip-list pointer,
     * when a walk only needs the block numbers): read just them.  On a
     * device the whole block would cost a hundred times the wire time. */
    if (!bd->blk[block] && len <= BD_SMALL_READ) {
        bd->st.flash_reads++;
        bd->st.small_reads++;
        return flash_read(bd->flash, bd->base + block * bd->bsize + off, buf, len, e);
    }
    const uint8_t *b = bd_block(bd, block, e);
    if (!b)
        return -1;
    memcpy(buf, b + off, len);
    return 0;
}

int bd_prog(struct lfs_bd *bd, lfs_block_t block, uint32_t off, const void *buf, uint32_t len,
            struct err *e)
{
    if (off > bd->bsize || len > bd->bsize - off)
        return err_set(e, "write past the end of block %u", block);
    const uint8_t *cur = bd_block(bd, block, e);
    if (!cur)
        return -1;
    uint8_t *b = bd->blk[block];
    /* littlefs only ever programs erased bytes; count any exception (a bug). */
    for (uint32_t i = 0; i < len; i++)
        if (b[off + i] != 0xff) {
            bd->st.prog_over_data++;
            break;
        }
    memcpy(b + off, buf, len);
    bd->ver[block]++;
    bd->st.progs++;
    if (!bd->write_back) {
        bd->st.flash_writes++;
        return flash_write(bd->flash, bd->base + block * bd->bsize + off, buf, len, e);
    }
    bd->dirty[block] = 1;
    return 0;
}

int bd_erase(struct lfs_bd *bd, lfs_block_t block, struct err *e)
{
    if (check_block(bd, block, e))
        return -1;
    if (!bd->blk[block]) {
        bd->blk[block] = malloc(bd->bsize);
        if (!bd->blk[block])
            return err_set(e, "out of memory for the block cache");
    }
    memset(bd->blk[block], 0xff, bd->bsize);
    bd->ver[block]++;
    bd->st.erases++;
    if (!bd->write_back) {
        bd->st.flash_erases++;
        return flash_erase(bd->flash, bd->base + block * bd->bsize, bd->bsize, e);
    }
    bd->dirty[block] = 1;
    return 0;
}

static bool all_ff(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != 0xff)
            return false;
    return true;
}

/* Write runs of neighbouring dirty blocks in one call each, leaving out
 * `skip` (LFS_BLOCK_NULL: none); a run of erased blocks becomes one erase
 * (cheaper on a device than writing 0xFF). */
static int write_dirty(struct lfs_bd *bd, lfs_block_t skip, struct err *e)
{
    uint32_t i = 0;
    while (i < bd->nblocks) {
        if (!bd->dirty[i] || i == skip) {
            i++;
            continue;
        }
        bool erased = all_ff(bd->blk[i], bd->bsize);
        uint32_t j = i + 1;
        while (j < bd->nblocks && j != skip && bd->dirty[j] &&
               all_ff(bd->blk[j], bd->bsize) == erased)
            j++;
        uint32_t addr = bd->base + i * bd->bsize;
        if (erased) {
            bd->st.flash_erases++;
            if (flash_erase(bd->flash, addr, (j - i) * bd->bsize, e))
                return -1;
        } else {
            uint8_t *run = malloc((size_t)(j - i) * bd->bsize);
            if (!run)
                return err_set(e, "out of memory flushing the block cache");
            for (uint32_t k = i; k < j; k++)
                memcpy(run + (size_t)(k - i) * bd->bsize, bd->blk[k], bd->bsize);
            bd->st.flash_writes++;
            int r = flash_write(bd->flash, addr, run, (j - i) * bd->bsize, e);
            free(run);
            if (r)
                return -1;
        }
        for (uint32_t k = i; k < j; k++)
            bd->dirty[k] = 0;
        i = j;
    }
    return 0;
}

int bd_flush(struct lfs_bd *bd, struct err *e)
{
    if (write_dirty(bd, LFS_BLOCK_NULL, e))
        return -1;
    return flash_flush(bd->flash, e);
}

int bd_sync(struct lfs_bd *bd, lfs_block_t meta, struct err *e)
{
    if (!bd->ordered)
        return 0;
    bd->st.syncs++;
    if (write_dirty(bd, meta, e) || flash_flush(bd->flash, e))
        return -1;
    return bd_flush(bd, e);
}
