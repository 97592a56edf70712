/* file_read_all: every input file of the tree, bounded (fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/mman.h>   /* Windows: compat_win32.h */
#endif
#include <sys/stat.h>
#include <unistd.h>

/* The first read of something without a size (FIFO, device, stdin). */
#define STREAM_START (64u * 1024)

/* "128 MB", "1 MB", "4096 bytes": the bound in messages. */
static void bound_text(size_t max, char *out, size_t cap)
{
    if (max % (1024 * 1024) == 0)
        snprintf(out, cap, "%zu MB", max / (1024 * 1024));
    else
        snprintf(out, cap, "%zu bytes", max);
}

static int too_large(const char *path, long long size, size_t max, struct err *e)
{
    char b[32];
    bound_text(max, b, sizeof b);
    if (size < 0)
        return err_set(e, "%s: too large (more than %s, the most this input can be)", path, b);
    return err_set(e, "%s: too large (%lld bytes, more than %s, the most this input can be)",
                   path, size, b);
}

/* Read fd to its end into *buf (capacity *cap, grown up to max + 1): *got
 * bytes.  Stops at max + 1 bytes, which the caller refuses. */
static int read_to_end(int fd, size_t max, uint8_t **buf, size_t *cap, size_t *got)
{
    for (;;) {
        if (*got == *cap) {
            if (*cap > max)
                return 0;
            size_t ncap = *cap * 2 > max + 1 || *cap * 2 < *cap ? max + 1 : *cap * 2;
            uint8_t *nb = realloc(*buf, ncap);
            if (!nb)
                return -1;
            *buf = nb;
            *cap = ncap;
        }
        ssize_t r = read(fd, *buf + *got, *cap - *got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
        *got += (size_t)r;
    }
}

static int read_open_fd(int fd, const char *path, size_t max, uint8_t **buf, size_t *len,
                        struct stat *out, struct err *e)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return err_sys(e, "%s", path);
    if (out)
        *out = st;
    if (S_ISDIR(st.st_mode))
        return err_set(e, "%s: is a directory", path);
    /* A regular file says its size: refuse before reading, allocate once
     * (one byte more, to see the end).  The rest grows as it comes. */
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
        return too_large(path, (long long)st.st_size, max, e);
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : STREAM_START;
    if (cap > max + 1)
        cap = max + 1;
    size_t got = 0;
    uint8_t *b = malloc(cap);
    if (!b)
        return err_set(e, "%s: out of memory", path);
    int saved = 0;
    if (read_to_end(fd, max, &b, &cap, &got) < 0)
        saved = errno ? errno : ENOMEM;
    if (saved || got > max) {
        free(b);
        errno = saved;
        return saved ? err_sys(e, "%s", path) : too_large(path, -1, max, e);
    }
    *buf = b;
    *len = got;
    return 0;
}

int file_read_at(const char *path, size_t max, const struct file_read_opts *o, uint8_t **buf,
                 size_t *len, struct err *e)
{
    const char *shown = o->shown ? o->shown : path;
    int fd = openat(o->dirfd, path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return err_sys(e, "%s", shown);
    int rc = read_open_fd(fd, shown, max, buf, len, o->st, e);
    close(fd);
    return rc;
}

int file_read_all(const char *path, size_t max, uint8_t **buf, size_t *len, struct err *e)
{
    struct file_read_opts o = { AT_FDCWD, NULL, NULL };
    return file_read_at(path, max, &o, buf, len, e);
}

int file_map(const char *path, size_t max, struct file_data *d, struct err *e)
{
    memset(d, 0, sizeof *d);
    int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return err_sys(e, "%s", path);
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size <= max) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            close(fd);
            *d = (struct file_data){ p, (size_t)st.st_size, true };
            return 0;
        }
    }
    int rc = read_open_fd(fd, path, max, &d->buf, &d->len, NULL, e);
    close(fd);
    return rc;
}

void file_data_free(struct file_data *d)
{
    if (d->mapped)
        munmap(d->buf, d->len);
    else
        free(d->buf);
    memset(d, 0, sizeof *d);
}
