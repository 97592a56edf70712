/* littlefs v2: our own implementation of the on-disk format that MicroPython
 * uses for its "vfs" partition, written from littlefs's SPEC.md.
 *
 * A filesystem lives in a partition: `size` bytes at byte `offset` of a
 * struct flash.  Everything goes through struct flash; blocks are cached
 * whole (a device round trip per 32-byte read would be far too slow) and,
 * in write-back mode, written once by lfs_flush().
 *
 * Reads everything littlefs v2.0 and v2.1 write: metadata pairs, revision
 * counts, XOR-chained tags, commit CRCs and FCRCs, inline files, CTZ
 * skip-lists, split directories, the threaded tail list, global state
 * (pending moves, orphans), expanded superblocks, grown filesystems.
 * Writes copy-on-write exactly as littlefs does: every operation ends with
 * one atomic commit, so a power cut leaves the state before or after it.
 *
 * Errors: functions return 0 (or a count) on success and -1 on failure, with
 * one line in `struct err`; lfs_errno() gives the littlefs-style code of the
 * last failure (LFS_ERR_NOENT etc.) for callers that must tell them apart. */
#ifndef MPI_LFS_H
#define MPI_LFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "flash.h"

/* Error codes (the values littlefs uses). */
enum {
    LFS_ERR_OK = 0,
    LFS_ERR_IO = -5,
    LFS_ERR_CORRUPT = -84,
    LFS_ERR_NOENT = -2,
    LFS_ERR_EXIST = -17,
    LFS_ERR_NOTDIR = -20,
    LFS_ERR_ISDIR = -21,
    LFS_ERR_NOTEMPTY = -39,
    LFS_ERR_BADF = -9,
    LFS_ERR_FBIG = -27,
    LFS_ERR_INVAL = -22,
    LFS_ERR_NOSPC = -28,
    LFS_ERR_NOMEM = -12,
    LFS_ERR_NAMETOOLONG = -36,
};

#define LFS_DISK_V20 0x00020000u
#define LFS_DISK_V21 0x00020001u

/* The one configuration struct.  lfs_config_micropython() fills MicroPython's
 * ESP32 VfsLfs2 values; read/prog/cache sizes only decide commit padding and
 * are never stored on disk. */
struct lfs_config {
    uint32_t block_size;     /* 4096 */
    uint32_t read_size;      /* 32 */
    uint32_t prog_size;      /* 32: commits are padded to this */
    uint32_t cache_size;     /* 128 */
    uint32_t lookahead_size; /* 32 (kept for the record; our allocator uses a bitmap) */
    int32_t block_cycles;    /* 100: metadata pairs move after ~100 erases; -1 = never */
    uint32_t name_max;       /* 255 */
    uint32_t file_max;       /* 2147483647 */
    uint32_t attr_max;       /* 1022 */
    uint32_t inline_max;     /* 128: files up to this size live in their directory */
    uint32_t disk_version;   /* version written by lfs_format: LFS_DISK_V21 or _V20 */
    bool write_back;         /* cache writes until lfs_flush() (else write through) */
    bool auto_mtime;         /* files written get mtime = now unless set explicitly */
    /* "Now" in nanoseconds since the epoch for auto_mtime; NULL = the
     * system clock.  The CLI passes one that honours SOURCE_DATE_EPOCH. */
    int64_t (*clock_ns)(void);
};

void lfs_config_micropython(struct lfs_config *cfg);

/* File and directory types as littlefs stores them. */
enum lfs_type { LFS_TYPE_REG = 1, LFS_TYPE_DIR = 2 };

/* The mtime attribute MicroPython writes: type 1, u64 LE nanoseconds. */
#define LFS_ATTR_MTIME 1

struct lfs_info {
    enum lfs_type type;
    uint32_t size;           /* files only */
    bool has_mtime;
    int64_t mtime_ns;
    /* The name as stored: any bytes, a NUL or a '/' included (a crafted
     * image), so name_len says where it ends; name[] holds its first 255
     * bytes and a NUL.  names.h says how to show it. */
    uint32_t name_len;
    char name[256];
    uint32_t dir[2];         /* directories: the head pair of their metadata */
};

struct lfs_fsinfo {
    uint32_t disk_version;
    uint32_t block_size;
    uint32_t block_count;    /* from the superblock */
    uint32_t part_blocks;    /* what the partition holds */
    uint32_t name_max, file_max, attr_max;
    uint32_t used_blocks;    /* lfs_fs_size(): pairs + file blocks */
    uint32_t root[2];
    uint32_t gstate[3];      /* tag, pair: nonzero = pending move/orphans */
};

struct lfs;
struct lfs_file;

/* Mount the filesystem at [offset, offset+size) of `flash`.  The block count
 * comes from the superblock; a partition smaller than that fails ("truncated"),
 * a larger one mounts (see lfs_fsinfo: MicroPython would refuse it until
 * lfs_fs_grow fixes the superblock). */
int lfs_mount(struct lfs **out, struct flash *flash, uint32_t offset, uint32_t size,
              const struct lfs_config *cfg, struct err *e);
/* Write any cached blocks (write-back mode) and free the mount. */
int lfs_unmount(struct lfs *fs, struct err *e);
/* Free without writing (after an error). */
void lfs_free(struct lfs *fs);
/* Push cached writes to the flash (no-op in write-through mode). */
int lfs_flush(struct lfs *fs, struct err *e);

/* Format: a fresh superblock/root in blocks 0 and 1 for size/block_size blocks,
 * as lfs_format does (the rest of the partition is left as it is). */
int lfs_format(struct flash *flash, uint32_t offset, uint32_t size,
               const struct lfs_config *cfg, struct err *e);

int lfs_errno(const struct lfs *fs);

int lfs_stat(struct lfs *fs, const char *path, struct lfs_info *info, struct err *e);
int lfs_mkdir(struct lfs *fs, const char *path, struct err *e);
/* Remove a file or an empty directory. */
int lfs_remove(struct lfs *fs, const char *path, struct err *e);
/* Remove a file or a directory with everything below it (lfs_remove_tree
 * without a report). */
int lfs_remove_recursive(struct lfs *fs, const char *path, struct err *e);
/* Rename/move; an existing target file (or empty directory) is replaced. */
int lfs_rename(struct lfs *fs, const char *from, const char *to, struct err *e);

/* Directory listing in littlefs order.  *out is malloc'd (free it). */
int lfs_dir_list(struct lfs *fs, const char *path, struct lfs_info **out, size_t *n,
                 struct err *e);

/* ---- walks ----------------------------------------------------------------
 * A walk of the tree below a directory, depth first, each directory's
 * entries before its subdirectories, in littlefs order.  It holds
 * directories by their pairs, not by paths, so it reaches entries no path
 * can name (a NUL or '/' in a name) and costs no lookup from the root per
 * directory; it keeps its stack on the heap, so any depth works; and it
 * enters each directory pair once: a pair reached again (a directory inside
 * itself, or two entries sharing one: corruption, which could make a walk
 * loop or take exponential time) is reported and not entered, and the walk
 * goes on with the rest. */
struct lfs_walk_dir {
    uint32_t dir[2];                  /* its head pair (kept across relocations) */
    const struct lfs_walk_dir *parent;   /* NULL: the top of the walk */
    const struct lfs_info *entry;     /* its entry in the parent (NULL: the top) */
    const struct lfs_info *v;         /* its entries */
    size_t n;
    int depth;                        /* 0: the top */
    /* Relative to the top, each name escaped (names.h), "" for the top;
     * valid in a callback about this directory (not through `parent`). */
    const char *path;
};
enum lfs_walk_problem {
    LFS_WALK_TWICE,        /* `sub`'s pair was reached before: not entered */
    LFS_WALK_UNREADABLE,   /* `sub` cannot be listed: not entered */
    LFS_WALK_PARTIAL,      /* `sub` (or the top, sub NULL) listed only in part */
};
/* Callbacks (each may be NULL); a nonzero return other than enter's 1
 * stops the walk, which then returns -1. */
struct lfs_walk_ops {
    /* `d` entered: its entries are listed. */
    int (*list)(void *ctx, const struct lfs_walk_dir *d, struct err *e);
    /* Subdirectory `sub` of `d` is about to be entered: 0 enter, 1 skip it. */
    int (*enter)(void *ctx, const struct lfs_walk_dir *d, const struct lfs_info *sub,
                 struct err *e);
    /* Everything below `d` is done. */
    int (*leave)(void *ctx, const struct lfs_walk_dir *d, struct err *e);
    /* A damaged directory, `why` says what; the walk goes on unless this
     * returns nonzero. */
    int (*problem)(void *ctx, const struct lfs_walk_dir *d, const struct lfs_info *sub,
                   enum lfs_walk_problem kind, const char *why, struct err *e);
};
/* Walk the directory `path` (NOTDIR when it is a file).  Writes during the
 * walk (rm) are allowed: the directories held follow relocations. */
int lfs_walk(struct lfs *fs, const char *path, const struct lfs_walk_ops *ops, void *ctx,
             struct err *e);

/* The path of `entry` of `d` as d->path is (snprintf-like: the length
 * needed is returned; out is cut to cap). */
size_t lfs_walk_path(const struct lfs_walk_dir *d, const struct lfs_info *entry, char *out,
                     size_t cap);

/* Open the file `name` (len bytes, any bytes) of the directory whose head
 * pair is `dir`, read-only: how a walk reads what it lists.  `shown` names
 * it in messages. */
int lfs_file_open_at(struct lfs *fs, const uint32_t dir[2], const char *name, uint32_t len,
                     const char *shown, struct lfs_file **out, struct err *e);

/* rm -r: remove a file, or a directory with everything below it (the root
 * itself stays, emptied).  A second entry leading to a directory already
 * removed or being removed (corruption) is unlinked without entering it and
 * passed to `report` (may be NULL) with its path (escaped) and what it was. */
typedef void (*lfs_remove_report)(void *ctx, const char *path, const char *why);
int lfs_remove_tree(struct lfs *fs, const char *path, lfs_remove_report report, void *ctx,
                    struct err *e);

/* User attributes.  getattr returns the attribute's size (0..attr_max) or -1
 * (lfs_errno() == LFS_ERR_NOENT when absent); at most `size` bytes are copied. */
int lfs_getattr(struct lfs *fs, const char *path, uint8_t type, void *buf, uint32_t size,
                struct err *e);
int lfs_setattr(struct lfs *fs, const char *path, uint8_t type, const void *buf,
                uint32_t size, struct err *e);
int lfs_removeattr(struct lfs *fs, const char *path, uint8_t type, struct err *e);

/* Files. */
enum {
    LFS_O_RDONLY = 1,
    LFS_O_WRONLY = 2,
    LFS_O_RDWR = 3,
    LFS_O_CREAT = 0x0100,
    LFS_O_EXCL = 0x0200,
    LFS_O_TRUNC = 0x0400,
    LFS_O_APPEND = 0x0800,
};
enum { LFS_SEEK_SET = 0, LFS_SEEK_CUR = 1, LFS_SEEK_END = 2 };

int lfs_file_open(struct lfs *fs, const char *path, int flags, struct lfs_file **out,
                  struct err *e);
/* Returns the number of bytes read (0 at end of file) or -1. */
int64_t lfs_file_read(struct lfs_file *f, void *buf, uint32_t len, struct err *e);
int lfs_file_write(struct lfs_file *f, const void *buf, uint32_t len, struct err *e);
int64_t lfs_file_seek(struct lfs_file *f, int64_t off, int whence, struct err *e);
uint32_t lfs_file_size(const struct lfs_file *f);
int lfs_file_truncate(struct lfs_file *f, uint32_t size, struct err *e);
/* Set the mtime written at the next sync (files opened for writing). */
void lfs_file_set_mtime(struct lfs_file *f, int64_t mtime_ns);
int lfs_file_sync(struct lfs_file *f, struct err *e);
/* Sync (if writable) and free; frees even when the sync fails. */
int lfs_file_close(struct lfs_file *f, struct err *e);

/* Whole-file helpers.  mtime_ns < 0: per cfg.auto_mtime (now) or none. */
int lfs_write_file(struct lfs *fs, const char *path, const void *data, uint32_t len,
                   int64_t mtime_ns, struct err *e);
/* *data is malloc'd (free it); works for empty files too. */
int lfs_read_file(struct lfs *fs, const char *path, uint8_t **data, uint32_t *len,
                  struct err *e);

/* Filesystem-wide.  lfs_fs_info: what the superblock and the mount know
 * (used_blocks 0), no I/O.  lfs_fs_stat: the same plus used_blocks, which
 * walks every file's block list (on a device, a read per file block). */
void lfs_fs_info(const struct lfs *fs, struct lfs_fsinfo *info);
int lfs_fs_stat(struct lfs *fs, struct lfs_fsinfo *info, struct err *e);
/* Blocks in use (metadata pairs and file blocks), as lfs_fs_size(). */
int64_t lfs_fs_size(struct lfs *fs, struct err *e);
/* Set the superblock block count.  Refuses to shrink and to exceed the
 * partition. */
int lfs_fs_grow(struct lfs *fs, uint32_t block_count, struct err *e);
/* Finish a pending move, remove orphans (what littlefs does before its first
 * write after a power cut). */
int lfs_fs_mkconsistent(struct lfs *fs, struct err *e);

/* Check everything.  Every problem found is passed to `report` (one line,
 * naming the block); returns the number of problems (0 = clean) or -1 when
 * the walk itself failed. */
typedef void (*lfs_fsck_report)(void *ctx, const char *msg);
int lfs_fsck(struct lfs *fs, lfs_fsck_report report, void *ctx, struct err *e);

/* Block-device statistics, for tests and benchmarks. */
struct lfs_stats {
    uint64_t flash_reads, flash_writes, flash_erases;   /* calls into struct flash */
    uint64_t small_reads;      /* of them, reads of a few bytes (skip-list pointers) */
    uint64_t progs, erases;                             /* littlefs-level operations */
    uint64_t prog_over_data;   /* progs onto bytes that were not erased: must stay 0 */
    uint64_t compactions, relocations, splits;   /* metadata pair events */
    uint64_t syncs;            /* commits pushed to an interruptible flash one by one */
};
void lfs_get_stats(const struct lfs *fs, struct lfs_stats *st);

#endif
