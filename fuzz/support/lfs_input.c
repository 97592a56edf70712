#include "lfs_input.h"

#include <string.h>
#include <zlib.h>

#include "chunks.h"

/* Timestamps do not depend on the clock: the same input, the same run. */
static int64_t fixed_clock_ns(void) { return 1700000000LL * 1000000000LL; }

void lfs_input_config(uint8_t flags, struct lfs_config *cfg)
{
    lfs_config_micropython(cfg);
    if (flags & LFSIN_SMALL) {
        cfg->block_size = 512;
        cfg->prog_size = 16;
        cfg->read_size = 16;
        cfg->cache_size = 64;
        cfg->inline_max = 64;   /* littlefs's own limit: block_size / 8 */
    }
    cfg->write_back = !(flags & LFSIN_WRITE_THROUGH);
    cfg->block_cycles = flags & LFSIN_WORN ? 4 : 100;
    cfg->clock_ns = fixed_clock_ns;
}

uint32_t lfs_input_write_len(uint8_t flags, uint32_t block_size)
{
    /* empty, inline, one block and a bit (a CTZ pointer), several blocks */
    const uint32_t len[4] = { 0, 60, block_size + 100, 3 * block_size };
    return len[(flags >> LFSIN_SIZE_SHIFT) & 3];
}

static uint32_t block_size_of(uint8_t flags)
{
    struct lfs_config cfg;
    lfs_input_config(flags, &cfg);
    return cfg.block_size;
}

static uint32_t blocks_of(const uint8_t *in)
{
    return in[1] < 2 ? 2 : in[1] > LFSIN_MAX_BLOCKS ? LFSIN_MAX_BLOCKS : in[1];
}

int lfs_input_size(const uint8_t *in, size_t n, uint32_t *size)
{
    if (n < LFSIN_HEADER)
        return -1;
    *size = blocks_of(in) * block_size_of(in[0]);
    return 0;
}

void lfs_input_decode(const uint8_t *in, size_t n, uint8_t *img)
{
    uint8_t flags = in[0];
    uint32_t blocks = blocks_of(in);
    uint32_t bs = block_size_of(flags);
    struct chunks c;
    chunks_init(&c, in + LFSIN_HEADER, n - LFSIN_HEADER);
    const uint8_t *part;
    size_t len;
    for (uint32_t b = 0; b < blocks && chunks_next(&c, &part, &len); b++) {
        uint8_t *blk = img + (size_t)b * bs;
        memcpy(blk, part, len < bs ? len : bs);
        if (!(flags & LFSIN_RAW_CRC))
            lfs_input_fix_crcs(blk, bs);
    }
}

/* littlefs's CRC-32 (init 0xffffffff, no final XOR) is zlib's, inverted. */
static uint32_t commit_crc(const uint8_t *p, size_t n)
{
    return ~(uint32_t)crc32(0, p, (uInt)n) & 0xffffffffu;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void lfs_input_fix_crcs(uint8_t *b, uint32_t bs)
{
    /* Tags are big-endian, XORed with the previous one.  A CCRC tag (type
     * 0x500/0x501; FCRC, 0x5ff, is not a commit end) holds the CRC of
     * everything from the commit's start (the revision, for the first one)
     * through the tag itself, and its chunk bit 0 flips the valid bit
     * expected of the next tag. */
    uint32_t pos = 4, start = 0, ptag = 0xffffffffu;
    while (pos + 4 <= bs) {
        uint32_t tag = be32(b + pos) ^ ptag;
        if (tag & 0x80000000u)
            return;
        uint32_t size = tag & 0x3ff;
        uint32_t dsize = 4 + (size == 0x3ff ? 0 : size);
        if (pos + dsize > bs)
            return;
        ptag = tag;
        if ((tag & 0x78000000u) == 0x50000000u) {
            if (dsize < 8)
                return;
            uint32_t crc = commit_crc(b + start, pos + 4 - start);
            b[pos + 4] = (uint8_t)crc;
            b[pos + 5] = (uint8_t)(crc >> 8);
            b[pos + 6] = (uint8_t)(crc >> 16);
            b[pos + 7] = (uint8_t)(crc >> 24);
            ptag ^= ((tag >> 20) & 1) << 31;
            start = pos + dsize;
        }
        pos += dsize;
    }
}

/* The block's length without its trailing 0xFF. */
static uint32_t erased_len(const uint8_t *blk, uint32_t bs)
{
    while (bs > 0 && blk[bs - 1] == 0xff)
        bs--;
    return bs;
}

size_t lfs_input_encode(uint8_t flags, const uint8_t *image, uint32_t size, uint8_t *out,
                        size_t cap)
{
    uint32_t bs = block_size_of(flags);
    uint32_t blocks = size / bs;
    if (cap < LFSIN_HEADER || blocks > LFSIN_MAX_BLOCKS)
        return 0;
    out[0] = flags;
    out[1] = (uint8_t)blocks;
    size_t n = LFSIN_HEADER;
    uint32_t used = blocks;     /* erased blocks at the end need no part */
    while (used > 0 && erased_len(image + (size_t)(used - 1) * bs, bs) == 0)
        used--;
    for (uint32_t b = 0; b < used; b++) {
        const uint8_t *blk = image + (size_t)b * bs;
        uint32_t len = erased_len(blk, bs);
        size_t sep = b ? CHUNK_SEP_LEN : 0;
        if (chunks_has_sep(blk, len) || n + sep + len > cap)
            return 0;
        memcpy(out + n, CHUNK_SEP, sep);
        memcpy(out + n + sep, blk, len);
        n += sep + len;
    }
    return n;
}
