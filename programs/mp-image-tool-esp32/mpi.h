/* Shared state of one mp-image-tool-esp32 run, and the entry points of the
 * command files (mpi_*.c).  The run owns the firmware (file or device);
 * commands get it through mpi_firmware(). */
#ifndef MPI_MPI_H
#define MPI_MPI_H

#include "err.h"
#include "firmware.h"

struct mpi_run;

struct firmware *mpi_firmware(struct mpi_run *run);
/* Name of the input as the user typed it (file or port), for messages. */
const char *mpi_input_name(struct mpi_run *run);

/* `--fs CMD ARGS...`: one call per --fs option, in order (mpi_fs.c).
 * Mounts are kept in the run, one per partition, and flushed by
 * mpi_fs_finish() once every --fs option has run. */
int mpi_fs(struct mpi_run *run, int argc, char **argv, struct err *e);
int mpi_fs_finish(struct mpi_run *run, struct err *e);
/* Frees what mpi_fs kept (also after an error). */
void mpi_fs_cleanup(struct mpi_run *run);

/* Slot for the fs command file's per-run state (mounts). */
void *mpi_fs_state(struct mpi_run *run);
void mpi_set_fs_state(struct mpi_run *run, void *state);

#endif
