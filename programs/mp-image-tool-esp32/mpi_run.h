/* Private to the mp-image-tool-esp32 front end: the state of one run and
 * the command files' entry points.  Each command prints; the library below
 * only computes. */
#ifndef MPI_RUN_H
#define MPI_RUN_H

#include <stdbool.h>

#include "firmware.h"
#include "mpi.h"
#include "mpi_opts.h"

struct mpi_run {
    struct mpi_opts opts;
    struct firmware fw;
    bool is_device;
    bool opened;
    char out_ext[2048];       /* name fragments for the output file (§2.3) */
    void *fs_state;           /* owned by mpi_fs.c */
};

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
/* Append "-name=value" to the output name (Python rendering of lists). */
void mpi_name_fragment(struct mpi_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Devices (mpi_device.c): open the port as the firmware, close with a reset
 * unless -n; --flash writes this firmware file to a device. */
bool mpi_is_port(const char *name);   /* a port name, not a file */
int mpi_open_device(struct mpi_run *run, struct err *e);
void mpi_close_device(struct mpi_run *run);
int mpi_flash(struct mpi_run *run, struct err *e);
/* --ota-update FILE (mpi_ota.c). */
int mpi_ota_update(struct mpi_run *run, struct err *e);
void mpi_list_fragment(struct mpi_run *run, const char *key, const char *list, bool parts);

#endif
