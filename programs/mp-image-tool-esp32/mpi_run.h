/* Private to the mp-image-tool-esp32 front end: the state of one run and its
 * helpers (mpi_run.c).  This is the bottom of the front end: mpi_main.c and
 * every option group (mpi_*.c) use it; it uses none of them.  The option
 * groups' entry points are in mpi.h. */
#ifndef MPI_RUN_H
#define MPI_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "firmware.h"
#include "mpi_opts.h"

/* The run owns the firmware (file or device). */
struct mpi_run {
    struct mpi_opts opts;
    struct firmware fw;
    bool is_device;
    bool opened;
    bool created;             /* the input did not exist: a new image, saved under its name */
    char out_ext[2048];       /* name fragments for the output file (§2.3) */
    char saved[4096];         /* the output file this run wrote ("" none) */
    void *fs_state;           /* owned by mpi_fs.c */
    struct mpi_safety *safety;  /* a device input's safety net (mpi_safety.c) */
};

struct firmware *mpi_firmware(struct mpi_run *run);

/* Slot for the fs command file's per-run state (mounts). */
void *mpi_fs_state(struct mpi_run *run);
void mpi_set_fs_state(struct mpi_run *run, void *state);

/* Output name (§2.3): each change to a firmware file appends a fragment,
 * and the output file is named from the input and the fragments. */
/* Append "-name=value" to the output name. */
void mpi_name_fragment(struct mpi_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append "-key=LIST", an option's list (a partition list if `parts`) in
 * the Python tool's rendering. */
void mpi_list_fragment(struct mpi_run *run, const char *key, const char *list, bool parts);
void mpi_output_name(const struct mpi_run *run, char *out, size_t cap);

/* Whether a --fs grow of this run grows partition `name` ("grow" alone
 * grows vfs): warnings that say "use --fs grow" are then moot. */
bool mpi_grow_requested(const struct mpi_run *run, const char *name);

#endif
