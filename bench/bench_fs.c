/* Benchmark of our littlefs (MicroPython settings, write-back cache over an
 * in-memory flash): build a 2 MB filesystem holding ~200 files / 1.5 MB, list
 * it recursively (with the mtime of every file), read every file back, and
 * extract it to a host directory.  Prints the median of repeated runs.
 *   bench_fs [RUNS] [EXTRACT_DIR] */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_fs_tree.h"
#include "flash_mem.h"
#include "lfs.h"
#include "op_fs.h"

#define SIZE (2u << 20)

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what, const struct err *e)
{
    fprintf(stderr, "bench_fs: %s: %s\n", what, e->msg);
    exit(1);
}

static int count;

static void list(struct lfs *fs, const char *path)
{
    struct lfs_info *v;
    size_t n;
    struct err e;
    if (lfs_dir_list(fs, path, &v, &n, &e))
        die("list", &e);
    for (size_t i = 0; i < n; i++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s/%s", strcmp(path, "/") ? path : "", v[i].name);
        count++;
        if (v[i].type == LFS_TYPE_DIR)
            list(fs, sub);
    }
    free(v);
}

/* Read every file (what `get` does, without the host side). */
static void read_all(struct lfs *fs, const char *src)
{
    struct lfs_info *v;
    size_t n;
    struct err e;
    if (lfs_dir_list(fs, src, &v, &n, &e))
        die("list", &e);
    for (size_t i = 0; i < n; i++) {
        char s[512];
        snprintf(s, sizeof s, "%s/%s", strcmp(src, "/") ? src : "", v[i].name);
        if (v[i].type == LFS_TYPE_DIR) {
            read_all(fs, s);
            continue;
        }
        uint8_t *data;
        uint32_t len;
        if (lfs_read_file(fs, s, &data, &len, &e))
            die("read", &e);
        free(data);
    }
    free(v);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 21;
    const char *outdir = argc > 2 ? argv[2] : NULL;
    struct btree t;
    bt_make(&t);
    double put[256], ls[256], rd[256], ex[256];
    if (runs > 256)
        runs = 256;
    struct lfs_config c;
    lfs_config_micropython(&c);
    c.auto_mtime = false;
    uint32_t used = 0;
    for (int r = 0; r < runs; r++) {
        struct err e;
        struct flash *fl = flash_mem_new(SIZE, &e);
        double t0 = now_ms();
        struct lfs *fs;
        if (lfs_format(fl, 0, SIZE, &c, &e) || lfs_mount(&fs, fl, 0, SIZE, &c, &e))
            die("format", &e);
        for (int i = 1; i < t.ndirs; i++)
            if (lfs_mkdir(fs, t.dirs[i], &e))
                die("mkdir", &e);
        for (int i = 0; i < t.nfiles; i++)
            if (lfs_write_file(fs, t.f[i].path, t.f[i].data, t.f[i].len, 1700000000000000000LL, &e))
                die(t.f[i].path, &e);
        if (lfs_unmount(fs, &e))
            die("unmount", &e);
        double t1 = now_ms();
        if (lfs_mount(&fs, fl, 0, SIZE, &c, &e))
            die("mount", &e);
        count = 0;
        list(fs, "/");
        double t2 = now_ms();
        lfs_free(fs);
        if (lfs_mount(&fs, fl, 0, SIZE, &c, &e))
            die("mount", &e);
        read_all(fs, "/");
        double t3 = now_ms();
        lfs_free(fs);
        double t4 = t3;
        if (outdir) {
            if (lfs_mount(&fs, fl, 0, SIZE, &c, &e))
                die("mount", &e);
            if (op_fs_get(fs, "/", outdir, NULL, NULL, &e))   /* --fs get itself */
                die("extract", &e);
            t4 = now_ms();
            int64_t u = lfs_fs_size(fs, &e);
            used = (uint32_t)u;
            lfs_free(fs);
        }
        put[r] = t1 - t0;
        ls[r] = t2 - t1;
        rd[r] = t3 - t2;
        ex[r] = t4 - t3;
        flash_destroy(fl);
    }
    printf("tree: %d files, %d dirs, %llu bytes; %d entries listed; %u blocks used\n",
           t.nfiles, t.ndirs, (unsigned long long)t.total, count, used);
    printf("ours (median of %d): put %.2f ms, ls %.2f ms, read-all %.2f ms", runs,
           bt_median(put, runs), bt_median(ls, runs), bt_median(rd, runs));
    if (outdir)
        printf(", extract %.2f ms", bt_median(ex, runs));
    printf("\n");
    bt_free(&t);
    return 0;
}
