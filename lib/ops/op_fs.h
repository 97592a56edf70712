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
/* Names read from the filesystem may hold any byte: every path these
 * functions report or put in a message has each name escaped as names.h
 * says (the README's "Names"), never a control character. */

/* Called for each entry; `rel` is its path relative to the listed directory
 * (a file given as the path itself: its name). */
typedef void (*op_fs_ls_cb)(void *ctx, const char *rel, const struct lfs_info *info);
/* A damaged directory at `path` (not entered, or listed in part: `why`),
 * or a second way to a directory that rm unlinked. */
typedef void (*op_fs_warn_cb)(void *ctx, const char *path, const char *why);

/* Python's fs.walk order: a directory's files, then its subdirectories, then
 * each subdirectory the same way.  Each directory pair is listed once: a
 * damaged directory (reached twice, unreadable) is passed to `warn`, the
 * listing goes on, and then fails saying how many there were. */
int op_fs_ls(struct lfs *fs, const char *path, op_fs_ls_cb cb, op_fs_warn_cb warn, void *ctx,
             struct err *e);

/* A regular file, streamed: `sink` takes it piece by piece (at most
 * OP_FS_CHUNK bytes at a time), so memory does not grow with the file. */
#define OP_FS_CHUNK (32u * 1024)
typedef int (*op_fs_sink)(void *ctx, const void *buf, size_t len, struct err *e);
int op_fs_cat(struct lfs *fs, const char *path, op_fs_sink sink, void *ctx, struct err *e);

/* ---- changes ----------------------------------------------------------------- */

/* mkdir -p: every missing directory of `path`; an existing one is fine. */
int op_fs_mkdirs(struct lfs *fs, const char *path, struct err *e);
/* rm -r (the root itself stays, emptied).  A second entry leading to a
 * directory (corruption) is unlinked and passed to `warn` (may be NULL). */
int op_fs_rm(struct lfs *fs, const char *path, op_fs_warn_cb warn, void *ctx, struct err *e);
int op_fs_rename(struct lfs *fs, const char *from, const char *to, struct err *e);

/* ---- copies between the filesystem and the host --------------------------------
 * Each entry copied or skipped is reported; `top` marks the argument itself
 * (as opposed to an entry found below it).  Paths reported are escaped
 * (names.h); for a SKIP, `why` says why. */
enum op_fs_copy_kind {
    OP_FS_COPY_FILE,
    OP_FS_COPY_DIR,
    OP_FS_SKIP_UNSAFE,    /* get: a name no host file can have ("", ".", "..", too long) */
    OP_FS_SKIP_DAMAGED,   /* get: a directory reached twice, or unreadable */
    OP_FS_SKIP_SYMLINK,   /* put: a symbolic link to a directory (loops) */
    OP_FS_SKIP_SPECIAL,   /* put: neither a regular file nor a directory */
};
struct op_fs_copy {
    enum op_fs_copy_kind kind;
    bool top;
    const char *src, *dst;
    const char *why;      /* SKIPs */
};
typedef void (*op_fs_copy_cb)(void *ctx, const struct op_fs_copy *c);

/* The host file name of a name read from the filesystem (len bytes): its
 * escape (names.h) in buf[cap], or NULL when it has none (*why says why):
 * "", "." and "..", and a name whose escape is longer than a host name
 * can be (255 bytes). */
const char *op_fs_host_name(const char *name, size_t len, char *buf, size_t cap,
                            const char **why);

/* Copy `src` (file or tree) out of the filesystem to the host.
 * A file goes to DEST, or into DEST when DEST is a directory; a tree goes
 * into DEST (created if missing).  Every name is written as its escape
 * (op_fs_host_name), so a name with control characters, a backslash or a
 * '/' is copied too, and nothing is written outside DEST: directories are
 * entered with O_NOFOLLOW and files refuse a symbolic link in their place,
 * so a link planted below DEST makes the copy fail rather than write
 * through it (DEST itself, the user's, may be one).  Each file is streamed
 * (memory does not grow with it) and written whole or not at all (a
 * temporary renamed into place, fileio.h); a failure names the file not
 * written and, for a tree, says the copy in DEST is incomplete.  An entry
 * that cannot be written (no host name, a damaged directory) is reported,
 * the copy goes on, and then fails saying how many were skipped.  Files
 * keep their mtimes.  Any depth works (one host directory open at a time). */
int op_fs_get(struct lfs *fs, const char *src, const char *dest, op_fs_copy_cb cb, void *ctx,
              struct err *e);

/* Copy a host file or tree into the filesystem.  A file goes into `dest`
 * when that is a directory, else becomes `dest` (`put file newname`); a
 * directory goes to dest/basename (dest itself for "." or "/").  A missing
 * source is an error; files keep their host mtimes.  Any depth works; a
 * symbolic link to a directory, or a directory inside itself (a bind
 * mount), is skipped (reported). */
int op_fs_put(struct lfs *fs, const char *src, const char *dest, op_fs_copy_cb cb, void *ctx,
              struct err *e);

/* ---- whole filesystems ------------------------------------------------------------- */

/* MicroPython's default boot.py, which mkfs writes as the Python tool does. */
extern const char OP_FS_BOOT_PY[];

/* Find partition `name` and check that it can take a filesystem: a data
 * partition inside the flash, at least two blocks long. */
int op_fs_mkfs_check(struct op_fs *set, const char *name, struct part *p, struct err *e);
/* Format it anew (dropping any mount of it): an empty root, as
 * littlefs-python's `create` makes. */
int op_fs_format(struct op_fs *set, const char *name, struct err *e);
/* op_fs_format, then /boot.py, as MicroPython and the Python tool do. */
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
