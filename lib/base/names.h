/* Names read from a filesystem image, shown and written on the host: one
 * convention for listings, messages and the files `--fs get` writes
 * (README, "Names").  A name may hold any byte; escaped,
 *   - a control byte (0x00-0x1f, 0x7f), a '/' inside a name, a byte that is
 *     not part of well-formed UTF-8, and the UTF-8 form of a C1 control
 *     (U+0080-U+009F) become \xNN (two lowercase hex digits per byte);
 *   - a backslash becomes \\;
 *   - everything else stays as it is.
 * The result is valid UTF-8 without a control character (nothing a
 * terminal acts on, never a line break), is one host file name (no '/'),
 * and maps back to exactly one name. */
#ifndef MPI_NAMES_H
#define MPI_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* Room for the escape of `len` bytes, with the terminating NUL. */
#define NAME_ESC_MAX(len) (4 * (size_t)(len) + 1)

/* The escape of `len` bytes of `name` into out[cap], NUL-terminated, cut
 * before an escape that does not fit.  Returns the length the whole escape
 * needs (as snprintf: cap too small when the result is >= cap). */
size_t name_escape(const void *name, size_t len, char *out, size_t cap);

/* The same for a path, whose '/' separate names and stay. */
size_t path_escape(const char *path, char *out, size_t cap);

/* A line of text that may quote a name unescaped (a host path, an argument)
 * made safe for a terminal: control bytes, C1 controls and bytes that are
 * not UTF-8 as \xNN; backslashes and '/' stay, so text that is already
 * escaped passes unchanged. */
size_t text_sanitize(const char *text, char *out, size_t cap);

/* Why this host cannot hold `name` (an escape, above) as one file name in
 * a directory, or NULL when it can.  Everywhere: "", "." and "..".  On
 * Windows also what would leave the directory or not be a file there: a
 * '\\' (the escape of a backslash), ':' (a drive or a data stream),
 * * ? " < > |, a device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, also
 * with an extension) and a trailing dot or space (Windows drops them). */
const char *name_host_refused(const char *name);

/* Whether c separates directories in a host path: '/', and on Windows
 * also '\\'. */
bool host_is_sep(char c);

/* Whether a host path starts at a root: "/", and on Windows "\\", "C:\\"
 * or "C:/" too. */
bool host_is_absolute(const char *path);

/* The last component of a host path (after the last separator, and on
 * Windows after a drive "C:"); "" when the path ends in a separator. */
const char *host_base_name(const char *path);

#endif
