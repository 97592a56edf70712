#include "chunks.h"

#include <string.h>

void chunks_init(struct chunks *c, const uint8_t *p, size_t len)
{
    c->p = p;
    c->len = len;
    c->pos = 0;
    c->done = false;
}

static size_t find_sep(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + CHUNK_SEP_LEN <= len; i++)
        if (memcmp(p + i, CHUNK_SEP, CHUNK_SEP_LEN) == 0)
            return i;
    return len;
}

bool chunks_next(struct chunks *c, const uint8_t **part, size_t *len)
{
    if (c->done)
        return false;
    size_t rest = c->len - c->pos;
    size_t n = find_sep(c->p + c->pos, rest);
    *part = c->p + c->pos;
    *len = n;
    if (n == rest) {
        c->done = true;
        c->pos = c->len;
    } else {
        c->pos += n + CHUNK_SEP_LEN;
    }
    return true;
}

bool chunks_has_sep(const uint8_t *part, size_t len)
{
    return find_sep(part, len) != len;
}
