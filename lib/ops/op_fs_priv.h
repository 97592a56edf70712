/* Shared by op_fs.c and op_fs_copy.c only. */
#ifndef MPI_OP_FS_PRIV_H
#define MPI_OP_FS_PRIV_H

/* MicroPython's littlefs block size (lfs_config_micropython). */
#define OP_FS_BLOCK 4096u
/* Deepest directory a walk enters: a crafted image can make a directory
 * its own descendant, and the walks recurse. */
#define OP_FS_MAX_DEPTH 128

/* "dir/name" with the trailing slashes of dir dropped ("/" + "a" = "/a");
 * malloc'd, NULL when out of memory. */
char *op_fs_join(const char *dir, const char *name);

#endif
