/* The entry points of the option-group files (mpi_*.c), which mpi_main.c
 * calls in the Python tool's order.  Each prints; the library below only
 * computes.  They take the run (mpi_run.h) and call only down into it,
 * mpi_args, out and the library, never up into mpi_main.c. */
#ifndef MPI_MPI_H
#define MPI_MPI_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "firmware.h"
#include "mpi_opts.h"

struct mpi_run;

void mpi_print_summary(struct mpi_run *run);
void mpi_print_table(const struct firmware *fw, const struct ptable *t, uint32_t flash_size);
int mpi_extract_app(struct mpi_run *run, struct err *e);
int mpi_check_app(struct mpi_run *run, struct err *e);
/* -f, --from-csv, --table, -a, --delete, --resize, --rename, --add. */
int mpi_change_table(struct mpi_run *run, struct err *e);
bool mpi_table_requested(const struct mpi_opts *o);
/* --erase, --erase-fs, --read, --write. */
int mpi_erase(struct mpi_run *run, struct err *e);
int mpi_erase_fs(struct mpi_run *run, struct err *e);
int mpi_read(struct mpi_run *run, struct err *e);
int mpi_write(struct mpi_run *run, struct err *e);
/* Devices (mpi_device.c): open the port as the firmware, close with a reset
 * unless -n; --flash writes this firmware file to a device. */
bool mpi_is_port(const char *name);   /* a port name, not a file */
int mpi_open_device(struct mpi_run *run, struct err *e);
void mpi_close_device(struct mpi_run *run);
int mpi_flash(struct mpi_run *run, struct err *e);
/* --ota-update FILE (mpi_ota.c). */
int mpi_ota_update(struct mpi_run *run, struct err *e);

/* `--fs CMD ARGS...`: one call per --fs option, in order (mpi_fs.c).
 * Mounts are kept in the run, one per partition, and flushed by
 * mpi_fs_finish() once every --fs option has run. */
int mpi_fs(struct mpi_run *run, int argc, char **argv, struct err *e);
int mpi_fs_finish(struct mpi_run *run, struct err *e);
/* Frees what mpi_fs kept (also after an error). */
void mpi_fs_cleanup(struct mpi_run *run);

#endif
