/* Helpers shared by the littlefs tests (header-only: each test is one
 * executable). */
#ifndef LFS_TESTUTIL_H
#define LFS_TESTUTIL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flash_mem.h"
#include "lfs.h"

static inline uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

/* A growable text buffer. */
struct sbuf {
    char *s;
    size_t n, cap;
};

static inline void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void sb_add(struct sbuf *b, const char *fmt, ...)
{
    char tmp[1400];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    if (b->n + (size_t)k + 1 > b->cap) {
        b->cap = (b->n + (size_t)k + 1) * 2;
        b->s = realloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, tmp, (size_t)k + 1);
    b->n += (size_t)k;
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the lines of a snapshot (so it can be compared with a model that
 * does not know littlefs's name order). */
static inline char *sort_lines(char *s)
{
    if (!s)
        return strdup("");
    size_t n = 0, cap = 64;
    char **v = malloc(cap * sizeof *v);
    for (char *p = strtok(s, "\n"); p; p = strtok(NULL, "\n")) {
        if (n == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        v[n++] = p;
    }
    qsort(v, n, sizeof *v, cmp_lines);
    struct sbuf out = { 0 };
    sb_add(&out, "%s", "");
    for (size_t i = 0; i < n; i++)
        sb_add(&out, "%s\n", v[i]);
    free(v);
    free(s);
    return out.s;
}

/* Every entry below `path`, one line each: "path d" or "path f size hash mtime".
 * Returns NULL (and the message in e) when anything fails to read. */
static inline int snap_dir(struct lfs *fs, const char *path, struct sbuf *b, struct err *e)
{
    struct lfs_info *v;
    size_t n;
    if (lfs_dir_list(fs, path, &v, &n, e))
        return -1;
    for (size_t i = 0; i < n; i++) {
        char sub[1200];
        snprintf(sub, sizeof sub, "%s/%s", strcmp(path, "/") ? path : "", v[i].name);
        if (v[i].type == LFS_TYPE_DIR) {
            sb_add(b, "%s d\n", sub);
            if (snap_dir(fs, sub, b, e)) {
                free(v);
                return -1;
            }
        } else {
            uint8_t *d;
            uint32_t len;
            if (lfs_read_file(fs, sub, &d, &len, e)) {
                free(v);
                return -1;
            }
            sb_add(b, "%s f %u %08x %lld\n", sub, len, fnv1a(d, len),
                   v[i].has_mtime ? (long long)v[i].mtime_ns : -1LL);
            free(d);
        }
    }
    free(v);
    return 0;
}

static inline char *snapshot(struct lfs *fs, struct err *e)
{
    struct sbuf b = { 0 };
    sb_add(&b, "%s", "");
    if (snap_dir(fs, "/", &b, e)) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

static inline void fsck_print(void *ctx, const char *msg)
{
    (void)ctx;
    printf("fsck: %s\n", msg);
}

#endif
