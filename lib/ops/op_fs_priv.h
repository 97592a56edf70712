/* Shared by op_fs.c and op_fs_copy.c only. */
#ifndef MPI_OP_FS_PRIV_H
#define MPI_OP_FS_PRIV_H

#include "lfs.h"

/* MicroPython's littlefs block size (lfs_config_micropython). */
#define OP_FS_BLOCK 4096u

/* "dir/name" with the trailing slashes of dir dropped ("/" + "a" = "/a");
 * malloc'd, NULL when out of memory. */
char *op_fs_join(const char *dir, const char *name);

/* The escaped path of entry `ent` of `d` (NULL: of d itself) in a walk,
 * joined to `top` (a shown path; NULL: relative); malloc'd, NULL when out
 * of memory. */
char *op_fs_walk_path(const char *top, const struct lfs_walk_dir *d, const struct lfs_info *ent);

#endif
