/* The littlefs operations behind `--fs` (reference §9.3): mounts kept per
 * partition of a firmware, and the commands' work on a mounted filesystem,
 * including the host-side copies of `get` and `put`.  Nothing here prints:
 * listings and copies report each entry through a callback, errors come back
 * in struct err (the caller adds the partition's name).
 *
 * Paths inside the filesystem are littlefs paths ("" and "/" are the root);
 * host paths are ordinary POSIX paths. */
#ifndef MPI_OP_FS_H
#define MPI_OP_FS_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "firmware.h"
#include "lfs.h"

#define OP_FS_MAX_MOUNTS 16

/* ---- mounts ---------------------------------------------------------------
 * Each partition is mounted once, on first use, with MicroPython's settings
 * in write-back mode: every change stays in the mount's block cache until
 * op_fs_flush() writes them all, once. */
struct op_fs;

struct op_fs_mount {
    struct part part;
    struct lfs *fs;
    /* The superblock's block count differs from what the partition holds
     * (fs_blocks vs part_blocks): MicroPython refuses to mount it until
     * `grow` fixes the superblock. */
    bool blocks_mismatch;
    uint32_t fs_blocks, part_blocks;
};

/* A set of mounts on `fw` (which must outlive it).  `clock_ns` gives the
 * mtime of files written without one (boot.py); NULL = the system clock.
 * NULL when out of memory. */
struct op_fs *op_fs_new(struct firmware *fw, int64_t (*clock_ns)(void));
/* Free every mount without writing. */
void op_fs_free(struct op_fs *set);
/* The mount of partition `name`, mounting it on first use; *fresh (may be
 * NULL) tells whether this call mounted it.  The pointer stays valid until
 * op_fs_mkfs() or op_fs_free(). */
struct op_fs_mount *op_fs_mount(struct op_fs *set, const char *name, bool *fresh,
                                struct err *e);
/* Write every mount's cached blocks to the firmware's flash. */
int op_fs_flush(struct op_fs *set, struct err *e);

/* ---- listing and reading ---------------------------------------------------- */

/* Called for each entry; `rel` is its path relative to the listed directory
 * (a file given as the path itself: its name). */
typedef void (*op_fs_ls_cb)(void *ctx, const char *rel, const struct lfs_info *info);

/* Python's fs.walk order: a directory's files, then its subdirectories, then
 * each subdirectory the same way. */
int op_fs_ls(struct lfs *fs, const char *path, op_fs_ls_cb cb, void *ctx, struct err *e);

/* The whole of a regular file; *data is malloc'd (free it). */
int op_fs_cat(struct lfs *fs, const char *path, uint8_t **data, uint32_t *len, struct err *e);

/* ---- changes ----------------------------------------------------------------- */

/* mkdir -p: every missing directory of `path`; an existing one is fine. */
int op_fs_mkdirs(struct lfs *fs, const char *path, struct err *e);
/* rm -r (the root itself stays, emptied). */
int op_fs_rm(struct lfs *fs, const char *path, struct err *e);
int op_fs_rename(struct lfs *fs, const char *from, const char *to, struct err *e);

/* ---- copies between the filesystem and the host --------------------------------
 * Each entry copied or skipped is reported; `top` marks the argument itself
 * (as opposed to an entry found below it).  For SKIP_UNSAFE, `src` is the
 * directory and `dst` the raw name, which may hold control characters. */
enum op_fs_copy_kind {
    OP_FS_COPY_FILE,
    OP_FS_COPY_DIR,
    OP_FS_SKIP_UNSAFE,    /* get: a name that could escape DEST or confuse a terminal */
    OP_FS_SKIP_SYMLINK,   /* put: a symbolic link to a directory (loops) */
    OP_FS_SKIP_SPECIAL,   /* put: neither a regular file nor a directory */
};
struct op_fs_copy {
    enum op_fs_copy_kind kind;
    bool top;
    const char *src, *dst;
};
typedef void (*op_fs_copy_cb)(void *ctx, const struct op_fs_copy *c);

/* A name read from the filesystem may become a host file name only when it
 * is not "", "." or "..", and holds no '/', '\\' or control character. */
bool op_fs_safe_name(const char *name);

/* Copy `src` (file or tree) out of the filesystem to the host.
 * A file goes to DEST, or into DEST when DEST is a directory; a tree goes
 * into DEST (created if missing).  Never writes outside DEST: unsafe names
 * are skipped (reported), directories are entered with O_NOFOLLOW and files
 * created with O_NOFOLLOW, so a symbolic link planted below DEST makes the
 * copy fail rather than write through it.  Files keep their mtimes. */
int op_fs_get(struct lfs *fs, const char *src, const char *dest, op_fs_copy_cb cb, void *ctx,
              struct err *e);

/* Copy a host file or tree into the filesystem.  A file goes into `dest`
 * when that is a directory, else becomes `dest` (`put file newname`); a
 * directory goes to dest/basename (dest itself for "." or "/").  A missing
 * source is an error; files keep their host mtimes. */
int op_fs_put(struct lfs *fs, const char *src, const char *dest, op_fs_copy_cb cb, void *ctx,
              struct err *e);

/* ---- whole filesystems ------------------------------------------------------------- */

/* MicroPython's default boot.py, which mkfs writes as the Python tool does. */
extern const char OP_FS_BOOT_PY[];

/* Find partition `name` and check that it can take a filesystem: a data
 * partition inside the flash, at least two blocks long. */
int op_fs_mkfs_check(struct op_fs *set, const char *name, struct part *p, struct err *e);
/* Format it anew (dropping any mount of it) and write /boot.py. */
int op_fs_mkfs(struct op_fs *set, const char *name, struct err *e);

/* `grow`: size OP_FS_GROW_FILL fills the partition; else a size in bytes,
 * a multiple of the block size.  The plan only computes; op_fs_grow() refuses
 * to shrink the filesystem or to pass the end of the partition. */
#define OP_FS_GROW_FILL UINT32_MAX
struct op_fs_grow {
    uint32_t from, to;    /* blocks */
};
int op_fs_grow_plan(struct lfs *fs, uint32_t size, struct op_fs_grow *plan, struct err *e);
int op_fs_grow(struct lfs *fs, const struct op_fs_grow *plan, struct err *e);

/* What df and info show. */
struct op_fs_stat {
    unsigned version_major, version_minor;
    uint32_t name_max;
    uint32_t block_size;
    uint32_t blocks, used_blocks, free_blocks;
    uint32_t size;                        /* blocks * block_size */
    uint32_t total_kb, used_kb, free_kb;
    double used_pct;
};
int op_fs_stat(struct lfs *fs, struct op_fs_stat *st, struct err *e);

/* Partitions df/info cover by default: every data/fat one, plus the implicit
 * vfs of MicroPython >= 1.26 (or the whole of a plain filesystem image).
 * Returns how many names were stored (at most `max`). */
int op_fs_default_parts(const struct firmware *fw, char names[][PTABLE_NAME_MAX + 1], int max);

#endif
