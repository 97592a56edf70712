/* TEMPORARY while the device and fs modules land. */
#include "mpi_run.h"
#include "op_ota.h"
int mpi_fs(struct mpi_run *run, int argc, char **argv, struct err *e) { (void)run; (void)argc; (void)argv; return err_set(e, "--fs: not yet"); }
int mpi_fs_finish(struct mpi_run *run, struct err *e) { (void)run; (void)e; return 0; }
void mpi_fs_cleanup(struct mpi_run *run) { (void)run; }
