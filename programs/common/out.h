/* Output for the mp-image-tool-esp32 front end.  Everything the user sees
 * goes through here so -q, colour (on a terminal) and the stream choice are
 * decided in one place.
 *   out_info    progress and log lines      (stdout; hidden by -q)
 *   out_action  "Writing ...", "Erasing ..." (stdout; green on a tty; hidden by -q)
 *   out_warn    "Warning: ..."              (stdout; yellow; hidden by -q)
 *   out_data    results the user asked for: tables, listings, file contents
 *               (stdout; never hidden)
 *   out_error   the one error line          (stderr; red on a tty) */
#ifndef MPI_OUT_H
#define MPI_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern bool out_quiet;

void out_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_action(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_data(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress of a long device operation: a bar redrawn in place on a
 * terminal, one line at the end otherwise (hidden by -q). */
void out_progress(const char *what, uint64_t done, uint64_t total);
/* Raw bytes to stdout (binary-safe; for `--fs cat`). */
void out_bytes(const void *buf, size_t len);

#endif
