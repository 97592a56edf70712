/* A backup of the safety net as a file (both personalities): named
 * backup-CHIP-MAC-YYYYMMDD-HHMMSS[-N].mpibak in the current directory, a
 * name no file has yet (boards that run at once take different N: emulated
 * ones share a MAC), written atomically (lib/format/backup.h is the
 * format). */
#ifndef MPI_BACKUP_FILE_H
#define MPI_BACKUP_FILE_H

#include <stddef.h>

#include "backup.h"
#include "err.h"

int backup_file_save(const struct backup *b, char *name, size_t cap, struct err *e);

#endif
