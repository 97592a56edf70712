#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files larger than the largest flash (128 MB) plus slack are not firmware. */
#define FILE_MAX (256u * 1024 * 1024)

int file_read_all(const char *path, uint8_t **buf, size_t *len, struct err *e)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return err_sys(e, "%s", path);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return err_sys(e, "%s", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return err_set(e, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > FILE_MAX) {
        close(fd);
        return err_set(e, "%s: too large (%lld bytes)", path, (long long)st.st_size);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *b = malloc(n ? n : 1);
    if (!b) {
        close(fd);
        return err_set(e, "%s: out of memory", path);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(b);
            close(fd);
            return r < 0 ? err_sys(e, "%s", path) : err_set(e, "%s: file shrank while reading", path);
        }
        got += (size_t)r;
    }
    close(fd);
    *buf = b;
    *len = n;
    return 0;
}

int file_write_atomic(const char *path, const void *buf, size_t len, struct err *e)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
        return err_set(e, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return err_sys(e, "%s: cannot create temporary file", path);
    const uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            err_sys(e, "%s", path);
            close(fd);
            unlink(tmp);
            return -1;
        }
        done += (size_t)w;
    }
    /* Output files get ordinary permissions, not mkstemp's 0600. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) < 0 || fsync(fd) < 0 || close(fd) < 0) {
        err_sys(e, "%s", path);
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) < 0) {
        err_sys(e, "%s", path);
        unlink(tmp);
        return -1;
    }
    return 0;
}
