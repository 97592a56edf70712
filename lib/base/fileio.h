/* Whole-file I/O: the one place the tree reads an input file and the one
 * place it writes an output file.
 *
 * Reading (file_read_all) takes a bound from the caller: a regular file
 * larger than it is refused before anything is read, and what has no size
 * (a FIFO, stdin, /dev/zero, a block device) is read up to bound + 1 bytes
 * and then refused, so no input can make memory grow without end.
 *
 * Writing (file_write_atomic, file_write_atomic_at, file_write_stream_at)
 * never replaces what is not a regular file; it is atomic where an atomic
 * replace can be:
 *   - a new path or a regular file: written to NAME.tmp-XXXXXX beside it,
 *     fsync'ed and renamed over it, so a failure leaves the old file or the
 *     new one, never half of it; a file replaced keeps its permissions;
 *   - a symbolic link: the same at the file it points to (followed to the
 *     end, created if missing), which is renamed in its own directory; the
 *     link stays a link;
 *   - a character or block device, a FIFO: written directly, as `cat >X`
 *     would (a rename could only destroy the device node; /dev/stdout, a
 *     pipe or a card reader are outputs the user means), and a short write
 *     is an error;
 *   - a directory: refused.
 * A temporary left by a killed run is removed by the next run that writes
 * the same output; file_io_init() also removes it on SIGINT, SIGTERM,
 * SIGHUP and SIGXFSZ. */
#ifndef MPI_FILEIO_H
#define MPI_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "err.h"

/* The bounds, by what the input becomes.  The largest flash is 128 MB: no
 * firmware file, flash dump, partition image, app image or file for a
 * littlefs partition can be larger. */
#define FILE_MAX_FLASH (128u * 1024 * 1024)
/* A partition table as ESP-IDF CSV: at most 95 rows, comments allowed. */
#define FILE_MAX_TEXT (1u * 1024 * 1024)

/* The whole of `path`, at most `max` bytes, in a malloc'ed *buf. */
int file_read_all(const char *path, size_t max, uint8_t **buf, size_t *len, struct err *e);

struct file_read_opts {
    int dirfd;               /* `path` is relative to it (AT_FDCWD: as usual) */
    const char *shown;       /* the name in messages (NULL: `path`) */
    struct stat *st;         /* not NULL: what fstat says of the file read */
};
/* file_read_all with options (a copy reads each file relative to its
 * directory, and keeps its mtime without a second stat). */
int file_read_at(const char *path, size_t max, const struct file_read_opts *o, uint8_t **buf,
                 size_t *len, struct err *e);

/* The whole of `path` (at most `max` bytes) to read and change in memory.
 * A regular file is mapped privately: a page is read when first touched
 * (a summary of a 4 MB image touches a few), changes stay in memory and
 * never reach the file.  Anything else is read as file_read_all does.
 * Free with file_data_free. */
struct file_data {
    uint8_t *buf;
    size_t len;
    bool mapped;             /* munmap, not free */
};
int file_map(const char *path, size_t max, struct file_data *d, struct err *e);
void file_data_free(struct file_data *d);

/* `len` bytes to `path`, as described above. */
int file_write_atomic(const char *path, const void *buf, size_t len, struct err *e);

struct file_write_opts {
    const char *shown;       /* the name in messages (NULL: the name written) */
    bool nofollow;           /* a symbolic link at the name is refused, not followed */
    bool has_mtime;          /* set the file's access and modification times */
    struct timespec mtime;
    /* One of many files of a copy (`--fs get`): still whole or absent if we
     * fail, but neither forced to disk one by one (cp does not either) nor
     * preceded by a sweep of stale temporaries (a directory scan per file). */
    bool bulk;
};
/* file_write_atomic for `name` relative to the directory `dirfd` (or
 * AT_FDCWD); `o` may be NULL. */
int file_write_atomic_at(int dirfd, const char *name, const void *buf, size_t len,
                         const struct file_write_opts *o, struct err *e);

/* The bytes of an output file produced piece by piece, so that a large one
 * never has to be in memory whole: `next` points *p at the next piece and
 * returns its length, 0 at the end, or -1 with e set, which fails the
 * write as a failed write does (a replaced file stays as it was). */
struct file_source {
    int64_t (*next)(void *ctx, const void **p, struct err *e);
    void *ctx;
    uint64_t size;           /* the whole length, for messages */
};
/* file_write_atomic_at writing what `src` produces. */
int file_write_stream_at(int dirfd, const char *name, const struct file_source *src,
                         const struct file_write_opts *o, struct err *e);

/* Once, first thing in main(): notes the start of the run (a temporary of
 * an output older than that is stale) and removes the temporary being
 * written when SIGINT, SIGTERM, SIGHUP or SIGXFSZ ends the process (the
 * signal then kills it as before).  A signal that is ignored stays so. */
void file_io_init(void);

#endif
