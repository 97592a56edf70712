/* Output for the mp-image-tool-esp32 front end.  Everything the user sees
 * goes through here so -q, colour (on a terminal) and the stream choice are
 * decided in one place.  -q means: errors, warnings and the results the user
 * asked for (listings, file contents, df, --check-app's report), nothing
 * else.
 *   out_info    progress and log lines      (stdout; hidden by -q)
 *   out_action  "Writing ...", "Erasing ..." (stdout; green on a tty; hidden by -q)
 *   out_warn    "Warning: ..."              (stdout, stderr under -q; yellow)
 *   out_data    results the user asked for: tables, listings, file contents
 *               (stdout; never hidden)
 *   out_error   the one error line          (stderr; red on a tty)
 * A line printed while several boards run at once goes to its board's
 * line instead (boards.h). */
#ifndef MPI_OUT_H
#define MPI_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern bool out_quiet;
/* --json: the document (json.h) the run's results go into; every line
 * above then goes to stderr and progress is not shown, so that stdout
 * holds the document alone.  NULL otherwise. */
struct json;
extern struct json *out_json;

void out_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_action(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_data(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress of a long device operation (hidden by -q).  On a terminal a bar
 * redrawn in place, with the rate and the time left; elsewhere a line at
 * 25, 50 and 75%.  done == total ends it with a line saying how long it
 * took.  A bar that stops short (an error, or a step that reports no end)
 * is closed by the next line printed, or by out_progress_end(). */
void out_progress(const char *what, uint64_t done, uint64_t total);
void out_progress_end(void);
/* Raw bytes to stdout (binary-safe; for `--fs cat`). */
void out_bytes(const void *buf, size_t len);

#endif
