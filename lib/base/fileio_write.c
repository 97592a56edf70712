/* file_write_atomic / file_write_atomic_at: every output file of the tree
 * (fileio.h says what happens to each kind of existing path). */
#include "fileio.h"
#include "fileio_tmp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"

/* Links followed before giving up, as the kernel's MAXSYMLINKS. */
#define MAX_LINKS 40

/* All of buf to fd; *done says how much got there. */
static int write_fd(int fd, const uint8_t *p, size_t len, size_t *done)
{
    for (*done = 0; *done < len;) {
        ssize_t w = write(fd, p + *done, len - *done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = ENOSPC;   /* a device that takes nothing more */
            return -1;
        }
        *done += (size_t)w;
    }
    return 0;
}

/* The whole of `src` to fd; *done says how much got there.  Returns 0, -1
 * when the write failed (errno) or -2 when the source did (e set). */
static int write_src(int fd, const struct file_source *src, size_t *done, struct err *e)
{
    *done = 0;
    for (;;) {
        const void *p;
        int64_t n = src->next(src->ctx, &p, e);
        if (n < 0)
            return -2;
        if (n == 0)
            return 0;
        size_t put = 0;
        int rc = write_fd(fd, p, (size_t)n, &put);
        *done += put;
        if (rc)
            return -1;
    }
}

/* A failed replace leaves the old file (or none); a failed direct write
 * leaves what got there.  `rc` is write_src's: -2, the source's error is
 * already in e. */
static int write_failed(const char *shown, bool replace, int rc, size_t done, uint64_t len,
                        struct err *e)
{
    if (rc == -2 && replace)
        return err_prefix(e, "%s: not written: ", shown);
    if (rc == -2)
        return err_prefix(e, "%s: %zu bytes written, then: ", shown, done);
    if (replace && done < len)
        return err_sys(e, "%s: not written (failed after %zu of %llu bytes)", shown, done,
                       (unsigned long long)len);
    if (replace)
        return err_sys(e, "%s: not written", shown);
    if (done < len)
        return err_sys(e, "%s: short write, %zu of %llu bytes written", shown, done,
                       (unsigned long long)len);
    return err_sys(e, "%s", shown);
}

/* A new file or a regular one: a temporary beside it, renamed over it. */
static int write_replace(int dirfd, const char *name, const char *shown, const struct stat *old,
                         const struct file_source *src, const struct file_write_opts *o,
                         struct err *e)
{
    char tmp[PATH_MAX];
    bool bulk = o && o->bulk;
    if (!bulk)
        tmp_sweep(dirfd, name);
    int fd = tmp_create(dirfd, name, tmp, sizeof tmp);
    if (fd < 0)
        return err_sys(e, "%s: cannot create a temporary file beside it", shown);
    size_t done = 0;
    int rc = write_src(fd, src, &done, e);
    if (rc == 0 && old)
        rc = fchmod(fd, old->st_mode & 0777);
    if (rc == 0 && o && o->has_mtime)
        rc = futimens(fd, (const struct timespec[2]){ o->mtime, o->mtime });
    if (rc == 0 && !bulk)
        rc = fsync(fd);
    if (close(fd) != 0 && rc == 0)
        rc = -1;
    /* renamed into place, or removed (keeping the first failure's errno) */
    if (tmp_finish(dirfd, tmp, rc == 0 ? name : NULL) != 0 && rc == 0)
        rc = -1;
    return rc ? write_failed(shown, true, rc, done, src->size, e) : 0;
}

/* A device or a FIFO: written in place, never created or truncated. */
static int write_direct(int dirfd, const char *name, const char *shown, bool nofollow,
                        const struct file_source *src, struct err *e)
{
    int fd = openat(dirfd, name, O_WRONLY | O_NOCTTY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
    if (fd < 0)
        return err_sys(e, "%s", shown);
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
        close(fd);   /* replaced since we looked: its old tail would stay */
        return err_set(e, "%s: changed while being opened, not written", shown);
    }
    size_t done = 0;
    int rc = write_src(fd, src, &done, e);
    if (rc == 0 && S_ISBLK(st.st_mode))
        rc = fsync(fd);   /* a card reader: the data is on it when we say so */
    if (close(fd) != 0 && rc == 0)
        rc = -1;
    return rc ? write_failed(shown, false, rc, done, src->size, e) : 0;
}

/* The path a chain of symbolic links starting at `name` ends at: the first
 * that is not a link (or does not exist), relative links taken from the
 * directory of the link. */
static int resolve_links(int dirfd, const char *name, const char *shown, char *out, size_t cap,
                         struct err *e)
{
    char cur[PATH_MAX], target[PATH_MAX];
    if (snprintf(cur, sizeof cur, "%s", name) >= (int)sizeof cur)
        return err_set(e, "%s: path too long", shown);
    for (int hops = 0; hops < MAX_LINKS; hops++) {
        struct stat st;
        if (fstatat(dirfd, cur, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode)) {
            if (snprintf(out, cap, "%s", cur) >= (int)cap)
                return err_set(e, "%s: path too long", shown);
            return 0;
        }
        ssize_t n = readlinkat(dirfd, cur, target, sizeof target - 1);
        if (n < 0)
            return err_sys(e, "%s", cur);
        target[n] = '\0';
        int dlen = host_is_absolute(target) ? 0 : (int)(host_base_name(cur) - cur);
        char next[PATH_MAX];
        if (snprintf(next, sizeof next, "%.*s%s", dlen, cur, target) >= (int)sizeof next)
            return err_set(e, "%s: path too long", shown);
        memcpy(cur, next, sizeof cur);
    }
    errno = ELOOP;
    return err_sys(e, "%s", shown);
}

static int write_through_link(int dirfd, const char *name, const char *shown,
                              const struct file_source *src, const struct file_write_opts *o,
                              struct err *e)
{
    /* Followed by the kernel first: /dev/stdout -> /proc/self/fd/1 names
     * a pipe by no path, but opening the link reaches it. */
    struct stat st;
    if (fstatat(dirfd, name, &st, 0) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return write_direct(dirfd, name, shown, false, src, e);
    char end[PATH_MAX];
    if (resolve_links(dirfd, name, shown, end, sizeof end, e))
        return -1;
    struct file_write_opts lo = { 0 };
    if (o)
        lo = *o;
    lo.shown = end;
    lo.nofollow = true;   /* the end of the chain; a link there now is a race */
    return file_write_stream_at(dirfd, end, src, &lo, e);
}

int file_write_stream_at(int dirfd, const char *name, const struct file_source *src,
                         const struct file_write_opts *o, struct err *e)
{
    const char *shown = o && o->shown ? o->shown : name;
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT)
            return err_sys(e, "%s", shown);
        return write_replace(dirfd, name, shown, NULL, src, o, e);
    }
    if (S_ISREG(st.st_mode))
        return write_replace(dirfd, name, shown, &st, src, o, e);
    if (S_ISDIR(st.st_mode))
        return err_set(e, "%s: is a directory", shown);
    if (!S_ISLNK(st.st_mode))
        return write_direct(dirfd, name, shown, o && o->nofollow, src, e);
    if (o && o->nofollow)
        return err_set(e, "%s: is a symbolic link, not followed", shown);
    return write_through_link(dirfd, name, shown, src, o, e);
}

/* A buffer in memory as a source: all of it at once. */
struct mem_source {
    const void *buf;
    size_t len;
    bool given;
};

static int64_t mem_next(void *ctx, const void **p, struct err *e)
{
    struct mem_source *m = ctx;
    (void)e;
    if (m->given)
        return 0;
    m->given = true;
    *p = m->buf;
    return (int64_t)m->len;
}

int file_write_atomic_at(int dirfd, const char *name, const void *buf, size_t len,
                         const struct file_write_opts *o, struct err *e)
{
    struct mem_source m = { buf, len, false };
    struct file_source src = { mem_next, &m, len };
    return file_write_stream_at(dirfd, name, &src, o, e);
}

int file_write_atomic(const char *path, const void *buf, size_t len, struct err *e)
{
    return file_write_atomic_at(AT_FDCWD, path, buf, len, NULL, e);
}
