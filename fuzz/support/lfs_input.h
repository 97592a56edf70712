/* The input format of fuzz_littlefs: a small littlefs partition, sparse.
 *
 *   byte 0   flags (LFSIN_*)
 *   byte 1   partition size in blocks (clamped to 2..LFSIN_MAX_BLOCKS)
 *   then     one part per block (chunks.h): the block's first bytes, the
 *            rest of the block erased (0xFF); missing blocks are erased.
 *
 * Trailing 0xFF need not be in the input, so a seed image of 16 blocks of
 * 4 KiB is a few KB, and the mutator spends its time on the bytes that
 * matter.  Unless LFSIN_RAW_CRC is set, every metadata commit's CRC is
 * recomputed after decoding (lfs_input_fix_crcs): a mutated tag or name
 * then reaches the parser behind the CRC instead of being discarded as a
 * torn commit, and a crash input reproduces from its file alone. */
#ifndef FUZZ_LFS_INPUT_H
#define FUZZ_LFS_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "lfs.h"

enum {
    LFSIN_SMALL = 0x01,         /* 512-byte blocks (CTZ lists and splits cheaply) */
    LFSIN_RAW_CRC = 0x02,       /* keep the CRCs as they are */
    LFSIN_WRITE_THROUGH = 0x04, /* no write-back cache */
    LFSIN_ORDERED = 0x08,       /* an interruptible flash (a device): ordered commits */
    LFSIN_READ_ONLY = 0x10,     /* mount, walk and check only */
    LFSIN_SIZE_SHIFT = 5,       /* 2 bits: size of the file written, lfs_input_write_len() */
    LFSIN_WORN = 0x80,          /* block_cycles 4: pairs relocate, the superblock expands */
};
#define LFSIN_HEADER 2
#define LFSIN_MAX_BLOCKS 64

/* The configuration the flags select (MicroPython's, or the small one). */
void lfs_input_config(uint8_t flags, struct lfs_config *cfg);
/* The size of the file the target writes after mounting. */
uint32_t lfs_input_write_len(uint8_t flags, uint32_t block_size);

/* The size of the partition an input describes (blocks * block size);
 * -1 when the input is shorter than the header. */
int lfs_input_size(const uint8_t *in, size_t n, uint32_t *size);
/* Decode an input into `image`, which holds lfs_input_size() bytes and is
 * erased (0xFF) already. */
void lfs_input_decode(const uint8_t *in, size_t n, uint8_t *image);

/* Recompute the CRC of every commit in one block, as the reader walks them
 * (lfs_mdir.c scan_block): blocks that hold no commit are left alone. */
void lfs_input_fix_crcs(uint8_t *block, uint32_t block_size);

/* Encode an image (for seeds): header, then each block without its trailing
 * 0xFF.  Returns the length written to out (cap bytes), or 0 when it does not
 * fit or a block contains the part marker. */
size_t lfs_input_encode(uint8_t flags, const uint8_t *image, uint32_t size, uint8_t *out,
                        size_t cap);

#endif
