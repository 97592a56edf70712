/* The benchmark tree: 200 files in 13 directories, about 1.5 MB, a quarter of
 * the files inline-sized (<= 128 bytes), the rest up to ~55 KB, half random
 * bytes and half text.  Deterministic (seeded). */
#ifndef BENCH_FS_TREE_H
#define BENCH_FS_TREE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bfile {
    char path[96];
    uint8_t *data;
    uint32_t len;
};

struct btree {
    char dirs[13][48];
    int ndirs;
    struct bfile f[200];
    int nfiles;
    uint64_t total;
};

static uint32_t bt_rng = 1234;
static uint32_t bt_rand(void)
{
    bt_rng ^= bt_rng << 13;
    bt_rng ^= bt_rng >> 17;
    bt_rng ^= bt_rng << 5;
    return bt_rng;
}

static void bt_make(struct btree *t)
{
    static const char *dirs[13] = { "", "/lib", "/lib/umqtt", "/lib/drivers", "/www",
                                    "/www/css", "/www/js", "/data", "/data/logs", "/certs",
                                    "/config", "/sounds", "/lib/drivers/sensors" };
    memset(t, 0, sizeof *t);
    t->ndirs = 13;
    for (int i = 0; i < 13; i++)
        snprintf(t->dirs[i], sizeof t->dirs[i], "%s", dirs[i]);
    bt_rng = 1234;
    uint64_t budget = 1500000;
    for (int i = 0; i < 200; i++) {
        struct bfile *f = &t->f[i];
        snprintf(f->path, sizeof f->path, "%s/file_%03d.%s", dirs[i % 13], i,
                 i % 2 ? "bin" : "py");
        if (i % 4 == 0)
            f->len = 1 + bt_rand() % 128;
        else
            f->len = (uint32_t)((budget - t->total) / (uint64_t)((200 - i) * 3 / 4 + 1));
        if (i % 4 && f->len > 55000)
            f->len = 55000;
        if (i % 4)
            f->len = f->len / 2 + bt_rand() % (f->len + 1);
        if (f->len > 55000)
            f->len = 55000;
        f->data = malloc(f->len + 1);
        for (uint32_t k = 0; k < f->len; k++)
            f->data[k] = i % 2 ? (uint8_t)bt_rand() : (uint8_t)("abcdefgh ijklmnop\n"[bt_rand() % 18]);
        t->total += f->len;
        t->nfiles++;
    }
}

static void bt_free(struct btree *t)
{
    for (int i = 0; i < t->nfiles; i++)
        free(t->f[i].data);
}

static int bt_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double bt_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bt_cmp_double);
    return v[n / 2];
}

#endif
