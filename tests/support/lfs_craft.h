/* Damaged littlefs filesystems for the tests, made the way a crafted image
 * is: the project's own writer commits metadata nobody would write (a raw
 * name, a second entry leading to a directory), or a data block is
 * rewritten in place (data blocks carry no CRC).  Each returns 0 or -1. */
#ifndef MPI_LFS_CRAFT_H
#define MPI_LFS_CRAFT_H

#include <stdint.h>

#include "lfs.h"

/* Give the entry at `path` the name `name` (len bytes, any bytes: "", "..",
 * "a/b", a NUL inside). */
int craft_rename(struct lfs *fs, const char *path, const void *name, uint32_t len,
                 struct err *e);
/* A new directory entry `name` in directory `dir` leading to the pair of
 * directory `target`: a directory in two places, or (target above dir)
 * inside itself. */
int craft_link(struct lfs *fs, const char *dir, const char *name, const char *target,
               struct err *e);
/* Every skip-list pointer of the last block of file `path` (at least two
 * blocks long) points at that block itself: a chain that loops. */
int craft_ctz_loop(struct lfs *fs, const char *path, struct err *e);
/* The size in the CTZ struct of file `path` set to `size`. */
int craft_ctz_size(struct lfs *fs, const char *path, uint32_t size, struct err *e);

/* A valid tree `levels` deep, /t/t/.../t with "bottom.txt" ("deep") at the
 * bottom, made without naming a deep path (each level is a new directory
 * the tree so far moves into), so it costs no lookup per level. */
int craft_deep(struct lfs *fs, int levels, struct err *e);

#endif
