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
#include "json.h"
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
/* The end of a device run: write what the run changed (cached until now)
 * and verify it; a failure says how much of it reached the device. */
int mpi_device_commit(struct mpi_run *run, struct err *e);
int mpi_flash(struct mpi_run *run, struct err *e);
/* The safety net on a device (mpi_safety.c): the device flash calls
 * mpi_safety_commit before its first write (device_opts.before_commit).
 * One per device: the port, the table its partitions are named by. */
struct mpi_safety {
    const struct mpi_opts *o;
    const char *port;
    struct ptable table;
    bool have_table;
    bool stopped;             /* --dry-run stopped the writes */
    struct json *json;        /* --json: where the plan goes */
    char backup_file[512];    /* the backup written ("" none) */
};
int mpi_safety_commit(void *ctx, struct flash *f, struct err *e);
/* --restore FILE: open the device (mpi_device.c), put the backup back. */
int mpi_restore_device(struct mpi_run *run, struct err *e);
/* --restore FILE onto the device flash f. */
int mpi_restore(struct mpi_run *run, struct flash *f, struct err *e);

/* --ota-update FILE (mpi_ota.c). */
int mpi_ota_update(struct mpi_run *run, struct err *e);
/* --ota-switch FIRMWARE (mpi_switch.c): the whole run after the input is
 * open; --deployed-table/--deployed-bootloader open as the input. */
int mpi_ota_switch(struct mpi_run *run, struct err *e);
int mpi_open_deployed(struct mpi_run *run, struct err *e);

/* `--fs CMD ARGS...`: one call per --fs option, in order (mpi_fs.c).
 * Mounts are kept in the run, one per partition, and flushed by
 * mpi_fs_finish() once every --fs option has run. */
int mpi_fs(struct mpi_run *run, int argc, char **argv, struct err *e);
int mpi_fs_finish(struct mpi_run *run, struct err *e);
/* Frees what mpi_fs kept (also after an error). */
void mpi_fs_cleanup(struct mpi_run *run);

/* A new littlefs image (opened by mpi_main.c): formatted empty here unless
 * the first --fs command is mkfs. */
int mpi_fs_new_image(struct mpi_run *run, struct err *e);

#endif
