/* Helpers shared by the unit tests. */
#ifndef MPI_TESTUTIL_H
#define MPI_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Exit status that CTest reports as "skipped". */
#define TEST_SKIP 77

/* Path of a file under ../shared (the conformance fixtures), or NULL when
 * the shared folder is absent.  The result is a static buffer. */
const char *shared_path(const char *rel);
/* Exit 77 with a message when ../shared/<rel> is missing. */
void require_shared(const char *rel);
/* Read a whole file into a malloc'd buffer; aborts the test on failure. */
uint8_t *read_whole(const char *path, size_t *len);
/* Hex text ("c00100...") to bytes; stops at the first non-hex pair.
 * Returns the byte count (at most cap). */
size_t test_unhex(const char *s, uint8_t *out, size_t cap);
/* Make a fresh temporary directory for this test; returns its path. */
const char *test_tmpdir(void);

#endif
