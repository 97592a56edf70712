#include "backup.h"

#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "hash.h"

#define MAGIC "MPI-BACKUP 1\n"
#define MAGIC_LEN 13u
#define HEAD_LEN (MAGIC_LEN + 16 + 6 + 8)
#define REC_HEAD 12u

int backup_add(struct backup *b, uint32_t addr, uint32_t len, const uint8_t *data,
               struct err *e)
{
    if (len == 0)
        return 0;
    struct backup_rec *last = b->n ? &b->r[b->n - 1] : NULL;
    if (last && last->addr + last->len == addr && last->erased == !data) {
        if (data) {
            uint8_t *d = realloc(last->data, (size_t)last->len + len);
            if (!d)
                return err_set(e, "backup: out of memory");
            memcpy(d + last->len, data, len);
            last->data = d;
        }
        last->len += len;
        return 0;
    }
    if (b->n == b->cap) {
        int cap = b->cap ? 2 * b->cap : 16;
        struct backup_rec *r = realloc(b->r, (size_t)cap * sizeof *r);
        if (!r)
            return err_set(e, "backup: out of memory");
        b->r = r;
        b->cap = cap;
    }
    struct backup_rec *r = &b->r[b->n];
    *r = (struct backup_rec){ addr, len, !data, NULL };
    if (data && !(r->data = malloc(len)))
        return err_set(e, "backup: out of memory");
    if (data)
        memcpy(r->data, data, len);
    b->n++;
    return 0;
}

uint64_t backup_data_bytes(const struct backup *b)
{
    uint64_t n = 0;
    for (int i = 0; i < b->n; i++)
        n += b->r[i].erased ? 0 : b->r[i].len;
    return n;
}

uint64_t backup_covered(const struct backup *b)
{
    uint64_t n = 0;
    for (int i = 0; i < b->n; i++)
        n += b->r[i].len;
    return n;
}

int backup_encode(const struct backup *b, uint8_t **out, size_t *len, struct err *e)
{
    size_t n = HEAD_LEN + 16 + (size_t)b->n * REC_HEAD + backup_data_bytes(b);
    uint8_t *p = calloc(1, n);
    if (!p)
        return err_set(e, "backup: out of memory");
    memcpy(p, MAGIC, MAGIC_LEN);
    memcpy(p + MAGIC_LEN, b->chip, strnlen(b->chip, 15));
    memcpy(p + MAGIC_LEN + 16, b->mac, 6);
    put_le32(p + MAGIC_LEN + 22, b->flash_size);
    put_le32(p + MAGIC_LEN + 26, (uint32_t)b->n);
    size_t at = HEAD_LEN;
    for (int i = 0; i < b->n; i++) {
        const struct backup_rec *r = &b->r[i];
        put_le32(p + at, r->addr);
        put_le32(p + at + 4, r->len);
        put_le32(p + at + 8, r->erased);
        at += REC_HEAD;
        if (!r->erased) {
            memcpy(p + at, r->data, r->len);
            at += r->len;
        }
    }
    hash_md5(p, at, p + at);
    *out = p;
    *len = n;
    return 0;
}

static int bad(struct backup *b, struct err *e, const char *why)
{
    backup_free(b);
    return err_set(e, "not a backup of this tool, or a damaged one: %s", why);
}

int backup_decode(const uint8_t *in, size_t len, struct backup *b, struct err *e)
{
    memset(b, 0, sizeof *b);
    uint8_t md5[16];
    if (len < HEAD_LEN + 16 || memcmp(in, MAGIC, MAGIC_LEN) != 0)
        return bad(b, e, "no MPI-BACKUP header");
    hash_md5(in, len - 16, md5);
    if (memcmp(md5, in + len - 16, 16) != 0)
        return bad(b, e, "its MD5 does not match");
    memcpy(b->chip, in + MAGIC_LEN, 15);
    memcpy(b->mac, in + MAGIC_LEN + 16, 6);
    b->flash_size = get_le32(in + MAGIC_LEN + 22);
    uint32_t count = get_le32(in + MAGIC_LEN + 26);
    size_t at = HEAD_LEN, end = len - 16;
    for (uint32_t i = 0; i < count; i++) {
        if (end - at < REC_HEAD)
            return bad(b, e, "a record runs past the end");
        uint32_t addr = get_le32(in + at), n = get_le32(in + at + 4);
        bool erased = get_le32(in + at + 8) != 0;
        at += REC_HEAD;
        if ((!erased && end - at < n) || (uint64_t)addr + n > b->flash_size)
            return bad(b, e, "a record runs past the end");
        if (backup_add(b, addr, n, erased ? NULL : in + at, e) != 0) {
            backup_free(b);
            return -1;
        }
        at += erased ? 0 : n;
    }
    if (at != end)
        return bad(b, e, "bytes after the last record");
    return 0;
}

void backup_free(struct backup *b)
{
    for (int i = 0; i < b->n; i++)
        free(b->r[i].data);
    free(b->r);
    memset(b, 0, sizeof *b);
}
