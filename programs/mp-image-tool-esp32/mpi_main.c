/* mp-image-tool-esp32: open the input, print its summary, then carry out the
 * options in the Python tool's order (reference §1 "Data flow"):
 *   -x (and stop) | table and flash size | --erase | --erase-fs | --read |
 *   --write | --ota-update | --check-app | --fs ... | output file | --flash
 * A firmware file is edited in memory and written once, atomically, to the
 * output file at the end; the input file is never modified. */
#include <stdio.h>
#include <stdlib.h>

#include "flash_file.h"
#include "mpi.h"
#include "mpi_run.h"
#include "out.h"
#include "programs.h"

static int open_input(struct mpi_run *run, struct err *e)
{
    const char *in = run->opts.input;
    out_info("Opening %s...", in);
    if (mpi_is_port(in)) {
        run->is_device = true;
        return mpi_open_device(run, e);
    }
    if (firmware_open_file(&run->fw, in, e))
        return -1;
    run->opened = true;
    return 0;
}

static bool writes_requested(const struct mpi_opts *o)
{
    return mpi_table_requested(o) || o->erase || o->erase_fs || o->write || o->ota_update;
}

static int save_output(struct mpi_run *run, struct err *e)
{
    struct firmware *fw = &run->fw;
    if (run->is_device)
        return 0;
    bool dirty = flash_file_dirty(fw->flash);
    if (!run->opts.output && !writes_requested(&run->opts) && !dirty)
        return 0;
    char name[4096];
    if (run->opts.output)
        snprintf(name, sizeof name, "%s", run->opts.output);
    else
        mpi_output_name(run, name, sizeof name);
    out_action("Writing output file: %s...", name);
    return flash_file_save(fw->flash, name, e);
}

/* For a device with no --fs, the Python tool shows `--fs df`; a partition
 * that holds no filesystem is then only a warning. */
static void device_df(struct mpi_run *run)
{
    char *df[] = { "df", NULL };
    struct err e;
    if (mpi_fs(run, 1, df, &e))
        out_warn("%s", e.msg);
}

static int run_commands(struct mpi_run *run, struct err *e)
{
    const struct mpi_opts *o = &run->opts;
    out_info("Running mp-image-tool-esp32 v%s (C).", MPI_VERSION);
    if (open_input(run, e))
        return -1;
    mpi_print_summary(run);
    if (o->extract_app)
        return mpi_extract_app(run, e);
    if (mpi_table_requested(o) && mpi_change_table(run, e))
        return -1;
    if (o->erase && mpi_erase(run, e))
        return -1;
    if (o->erase_fs && mpi_erase_fs(run, e))
        return -1;
    if (o->read && mpi_read(run, e))
        return -1;
    if (o->write && mpi_write(run, e))
        return -1;
    if (o->ota_update && mpi_ota_update(run, e))
        return -1;
    if (o->check_app && mpi_check_app(run, e))
        return -1;
    if (run->is_device && o->n_fs == 0)
        device_df(run);
    for (int i = 0; i < o->n_fs; i++)
        if (mpi_fs(run, o->fs[i].argc, o->fs[i].argv, e))
            return -1;
    if (o->n_fs && mpi_fs_finish(run, e))
        return -1;
    if (run->is_device)
        return flash_flush(run->fw.flash, e);
    if (save_output(run, e))
        return -1;
    return o->flash ? mpi_flash(run, e) : 0;
}

int mpi_main(int argc, char **argv)
{
    struct mpi_run *run = calloc(1, sizeof *run);
    struct err e;
    if (!run) {
        out_error("out of memory");
        return 1;
    }
    int rc = mpi_parse_args(argc, argv, &run->opts);
    if (rc != 0) {
        free(run);
        return rc < 0 ? 2 : 0;
    }
    out_quiet = run->opts.quiet;
    err_clear(&e);
    rc = run_commands(run, &e);
    if (rc)
        out_error("%s", e.msg);
    mpi_fs_cleanup(run);
    if (run->is_device)
        mpi_close_device(run);
    else if (run->opened)
        firmware_close(&run->fw);
    free(run);
    return rc ? 1 : 0;
}
