#include "stub.h"

#include <stdlib.h>
#include <string.h>

const struct stub_image *stub_find(const char *name)
{
    for (const struct stub_image *s = stub_images; s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int stub_b64_decode(const char *b64, uint8_t **out, size_t *len, struct err *e)
{
    size_t n = strlen(b64);
    uint8_t *buf = malloc(n / 4 * 3 + 3);
    if (!buf)
        return err_set(e, "stub: out of memory");
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (b64[i] == '=')
            break;
        int v = b64_value(b64[i]);
        if (v < 0) {
            free(buf);
            return err_set(e, "stub: invalid base64 at character %zu", i);
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[k++] = (uint8_t)(acc >> bits);
        }
    }
    *out = buf;
    *len = k;
    return 0;
}
