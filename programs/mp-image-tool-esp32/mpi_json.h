/* --json of mp-image-tool-esp32 (mpi_json.c); all of it does nothing
 * without --json (out_json NULL). */
#ifndef MPI_MPI_JSON_H
#define MPI_MPI_JSON_H

#include "err.h"
#include "firmware.h"
#include "json.h"

struct mpi_run;

void mpi_json_begin(struct mpi_run *run);
/* The summary object (chip, flash size, bootloader and app, the table
 * with the implicit vfs). */
void mpi_json_summary(struct mpi_run *run);
/* A table as an array under `key` (the implicit vfs as a row). */
void mpi_json_table(const struct firmware *fw, const struct ptable *t, uint32_t flash_size,
                    const char *key);
/* Open "operations": the option groups' results go there from now on. */
void mpi_json_ops(void);
/* One operation on a range: {"op", "partition", "address", "length", "file"}. */
void mpi_json_op(const char *op, const char *part, uint32_t addr, uint32_t len,
                 const char *file);
/* "ok", "error" and the document on stdout. */
void mpi_json_end(struct mpi_run *run, int rc, const struct err *e);

#endif
