/* The container that the fuzz inputs made of several parts share: a few
 * header bytes, then parts separated by a fixed 4-byte marker.
 *
 * A marker rather than length fields, so that libFuzzer's byte mutations
 * (insert, erase, cross-over) change one part without re-cutting all the
 * parts after it; the marker is also in the targets' dictionaries so the
 * mutator can add parts.  fuzz_littlefs holds one flash block per part,
 * fuzz_loader one burst of the chip's replies per part.  make_corpus writes
 * the seeds in the same format and refuses a part that contains the marker. */
#ifndef FUZZ_CHUNKS_H
#define FUZZ_CHUNKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHUNK_SEP "\xf5\x1c\x0d\xa7"
#define CHUNK_SEP_LEN 4

struct chunks {
    const uint8_t *p;
    size_t len, pos;
    bool done;
};

void chunks_init(struct chunks *c, const uint8_t *p, size_t len);
/* The next part (possibly empty); false when there is none left. */
bool chunks_next(struct chunks *c, const uint8_t **part, size_t *len);
/* Whether `part` contains the marker (a seed that would be cut wrongly). */
bool chunks_has_sep(const uint8_t *part, size_t len);

#endif
