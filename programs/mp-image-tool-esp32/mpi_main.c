/* mp-image-tool-esp32: open the input, print its summary, then carry out the
 * options in the Python tool's order (reference §1 "Data flow"):
 *   -x (and stop) | table and flash size | --erase | --erase-fs | --read |
 *   --write | --ota-update | --check-app | --fs ... | output file | --flash
 * (--ota-switch runs alone after the summary: mpi_switch.c.)
 * A firmware file is edited in memory and written once, atomically, to the
 * output file at the end; the input file is never modified. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "flash_file.h"
#include "mpi.h"
#include "mpi_args.h"
#include "mpi_json.h"
#include "mpi_run.h"
#include "out.h"
#include "programs.h"

/* --fs on a file that does not exist, or holds only erased or zeroed bytes:
 * a new littlefs image (firmware_new_fs_image says when).  *e keeps the
 * open error when that does not apply. */
static int open_new_image(struct mpi_run *run, struct err *e)
{
    const char *in = run->opts.input;
    uint32_t size = 0;
    struct err why;
    if (!run->opts.n_fs)
        return -1;
    if (run->opts.size && parse_size(run->opts.size, &size, e))
        return err_prefix(e, "--size: ");
    bool existed = access(in, F_OK) == 0;
    if (firmware_new_fs_image(&run->fw, in, size, &why)) {
        if (!existed || run->opts.size)
            *e = why;
        return -1;
    }
    run->opened = true;
    run->created = !existed;
    out_info("New littlefs image: %u bytes.", run->fw.flash->size);
    return mpi_fs_new_image(run, e);
}

static int open_input(struct mpi_run *run, struct err *e)
{
    const char *in = run->opts.input;
    if (run->opts.deployed_table)
        return mpi_open_deployed(run, e);
    out_info("Opening %s...", in);
    if (mpi_is_port(in)) {
        run->is_device = true;
        return mpi_open_device(run, e);
    }
    if (firmware_open_file(&run->fw, in, e) == 0) {
        run->opened = true;
        if (run->opts.size)
            return err_set(e, "--size is for creating a littlefs image: %s exists", in);
        return 0;
    }
    return open_new_image(run, e);
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
    else if (run->created)
        snprintf(name, sizeof name, "%s", run->opts.input);
    else
        mpi_output_name(run, name, sizeof name);
    out_action("Writing output file: %s...", name);
    if (flash_file_save(fw->flash, name, e))
        return -1;
    snprintf(run->saved, sizeof run->saved, "%s", name);
    return 0;
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
    if (o->restore) {
        mpi_json_ops();
        return mpi_restore_device(run, e);
    }
    if (open_input(run, e))
        return -1;
    if (!o->deployed_table)
        mpi_print_summary(run);
    mpi_json_ops();
    if (o->ota_switch)
        return mpi_ota_switch(run, e);   /* alone: mpi_opts.c refuses other changes */
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
    /* part of the summary, which -q hides (--json: the filesystems'
     * usage for files too) */
    if ((run->is_device || (o->json && run->fw.kind != FW_APP_IMAGE)) && o->n_fs == 0 &&
        !o->quiet)
        device_df(run);
    for (int i = 0; i < o->n_fs; i++)
        if (mpi_fs(run, o->fs[i].argc, o->fs[i].argv, e))
            return -1;
    if (o->n_fs && mpi_fs_finish(run, e))
        return -1;
    if (run->is_device)
        return mpi_device_commit(run, e);
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
    mpi_json_begin(run);
    rc = run_commands(run, &e);
    out_progress_end();
    if (rc)
        out_error("%s", e.msg);
    mpi_fs_cleanup(run);
    if (run->is_device)
        mpi_close_device(run);   /* its last lines (the reset) before the document */
    else if (run->opened)
        firmware_close(&run->fw);
    mpi_json_end(run, rc, &e);
    free(run);
    return rc ? 1 : 0;
}
