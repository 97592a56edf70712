/* One error type for the whole project.
 *
 * A function that can fail takes a `struct err *` as its last argument and
 * returns 0 on success or -1 on failure, after filling the message.  The
 * message is one line that names the file, partition or offset involved.
 * Callers add context with err_prefix() ("fw.bin: " + "partition 'vfs': ...")
 * and only the program prints it, once. */
#ifndef MPI_ERR_H
#define MPI_ERR_H

#include <stdarg.h>

#define ERR_MSG_MAX 512

struct err {
    char msg[ERR_MSG_MAX];
};

/* Set the message; always returns -1 so callers can `return err_set(...)`. */
int err_set(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like err_set, appending ": strerror(errno)". */
int err_sys(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepend context to an existing message; returns -1. */
int err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_clear(struct err *e);

#endif
