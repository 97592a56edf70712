/* The options of one mp-image-tool-esp32 command line (reference §2). */
#ifndef MPI_OPTS_H
#define MPI_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#define MPI_MAX_FS 64

struct mpi_fs_cmd {
    int argc;
    char **argv;
};

struct mpi_opts {
    const char *input;
    const char *output;
    bool quiet, no_reset, extract_app, debug, check_app, no_rollback;
    bool trim, trimblocks, no_stub;
    const char *flash_size, *app_size, *method, *log, *baud;
    const char *ota_update, *from_csv, *table, *delete_, *add, *resize, *rename;
    const char *erase, *erase_fs, *read, *write, *flash;
    const char *size;        /* of a new littlefs image */
    /* --ota-switch FIRMWARE and its options (mpi_switch.c) */
    const char *ota_switch, *plan_dir, *keep, *backup, *deployed_table, *deployed_bootloader;
    bool dry_run, yes, force;
    /* devices: --no-diff (write and read every byte), --no-backup (no
     * safety net), --json (one document on stdout), --restore BACKUP */
    bool no_diff, no_backup, json;
    const char *restore;
    int n_fs;
    struct mpi_fs_cmd fs[MPI_MAX_FS];
};

/* Returns 0, -1 on a usage error (message printed), 1 after --help. */
int mpi_parse_args(int argc, char **argv, struct mpi_opts *o);

#endif
