/* The temporaries of atomic writes (fileio_tmp.c), for fileio_write.c, and
 * what fileio_tmp.c shares with the platform's handler that removes the
 * temporary being written when the run is stopped (fileio_signal.c:
 * signals; fileio_signal_win32.c: console events). */
#ifndef MPI_FILEIO_TMP_H
#define MPI_FILEIO_TMP_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* The pattern is NAME.tmp-XXXXXX, six letters or digits. */
#define TMP_INFIX ".tmp-"
#define TMP_RANDOM 6

/* Create a new temporary for `name` (relative to dirfd) beside it, mode
 * 0666 less the umask, and register it for removal by a signal: the
 * descriptor, its name in tmp[cap]; -1 with errno. */
int tmp_create(int dirfd, const char *name, char *tmp, size_t cap);
/* Rename the temporary to `name`, or (name NULL, or the rename failing)
 * remove it, and unregister it: 0, or -1 with the rename's errno. */
int tmp_finish(int dirfd, const char *tmp, const char *name);
/* Remove the temporaries of `name` (relative to dirfd) that a killed run
 * left: exactly NAME.tmp-XXXXXX, a regular file of this user, last written
 * before this run started.  Best effort: what cannot be removed stays. */
void tmp_sweep(int dirfd, const char *name);

/* Note the start of the run (once; file_io_init and the first sweep). */
void tmp_note_start(void);

/* The temporary being written: its directory and name, valid while
 * tmp_armed is set.  Changed only between tmp_hold(true) and
 * tmp_hold(false), during which the handler cannot run. */
extern volatile sig_atomic_t tmp_armed;
extern int tmp_armed_dirfd;
extern char tmp_armed_name[PATH_MAX];
void tmp_hold(bool hold);

#endif
