/* --fs get and put: copies between a mounted littlefs and the host.
 *
 * get writes only below DEST.  Names come from the image, which may be
 * crafted: each one must pass op_fs_safe_name(), and every host directory
 * below DEST is entered through a descriptor opened with O_NOFOLLOW, files
 * are created relative to it with O_NOFOLLOW, so neither a name nor a
 * symbolic link planted in DEST can lead a write elsewhere. */
#include "op_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "op_fs_priv.h"

bool op_fs_safe_name(const char *n)
{
    if (!*n || !strcmp(n, ".") || !strcmp(n, ".."))
        return false;
    for (const unsigned char *p = (const unsigned char *)n; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
            return false;
    return true;
}

static void report(op_fs_copy_cb cb, void *ctx, enum op_fs_copy_kind kind, bool top,
                   const char *src, const char *dst)
{
    if (cb) {
        struct op_fs_copy c = { kind, top, src, dst };
        cb(ctx, &c);
    }
}

/* ---- get ----------------------------------------------------------------------- */

static int write_all(int fd, const uint8_t *data, uint32_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t k = write(fd, data + done, len - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        done += (size_t)k;
    }
    return 0;
}

/* littlefs file `src` (described by `info`) to `name` relative to `dirfd`;
 * `shown` names the destination in messages. */
static int get_file(struct lfs *fs, const char *src, const struct lfs_info *info, int dirfd,
                    const char *name, const char *shown, struct err *e)
{
    uint8_t *data;
    uint32_t len;
    if (lfs_read_file(fs, src, &data, &len, e))
        return -1;
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        free(data);
        return err_sys(e, "%s", shown);
    }
    int rc = write_all(fd, data, len);
    free(data);
    if (rc == 0 && info->has_mtime) {
        /* floor division: times before 1970 have a negative nanosecond part */
        int64_t s = info->mtime_ns / 1000000000, ns = info->mtime_ns % 1000000000;
        if (ns < 0)
            s--, ns += 1000000000;
        struct timespec ts[2] = { { (time_t)s, (long)ns }, { (time_t)s, (long)ns } };
        rc = futimens(fd, ts);
    }
    if (close(fd) || rc)
        return err_sys(e, "%s", shown);
    return 0;
}

/* Make directory `name` in dirfd (an existing one is fine) and open it
 * without following a symbolic link.  Returns the descriptor or -1. */
static int enter_dir(int dirfd, const char *name, const char *shown, struct err *e)
{
    if (mkdirat(dirfd, name, 0755) && errno != EEXIST)
        return err_sys(e, "%s", shown);
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && (errno == ENOTDIR || errno == ELOOP))
        return err_set(e, "%s: exists and is not a directory", shown);
    if (fd < 0)
        return err_sys(e, "%s", shown);
    return fd;
}

struct get_walk {
    struct lfs *fs;
    op_fs_copy_cb cb;
    void *ctx;
    struct err *e;
};

static int get_entry(struct get_walk *w, const char *src, const struct lfs_info *info,
                     int dirfd, const char *dshown, int depth);

/* The entries of littlefs directory `src` into host directory `dirfd`
 * (shown as `dshown`): files first, then directories, as fs.walk. */
static int get_tree(struct get_walk *w, const char *src, int dirfd, const char *dshown,
                    int depth)
{
    if (depth > OP_FS_MAX_DEPTH)
        return err_set(w->e, "%s: directories nested deeper than %d levels (a loop?)", src,
                       OP_FS_MAX_DEPTH);
    struct lfs_info *v;
    size_t n;
    if (lfs_dir_list(w->fs, src, &v, &n, w->e))
        return -1;
    int rc = 0;
    for (int pass = 0; pass < 2 && !rc; pass++)
        for (size_t i = 0; i < n && !rc; i++)
            if ((v[i].type == LFS_TYPE_DIR) == (pass == 1))
                rc = get_entry(w, src, &v[i], dirfd, dshown, depth);
    free(v);
    return rc;
}

static int get_entry(struct get_walk *w, const char *src, const struct lfs_info *info,
                     int dirfd, const char *dshown, int depth)
{
    if (!op_fs_safe_name(info->name)) {
        report(w->cb, w->ctx, OP_FS_SKIP_UNSAFE, false, src, info->name);
        return 0;
    }
    char *s = op_fs_join(src, info->name), *d = op_fs_join(dshown, info->name);
    int rc = s && d ? 0 : err_set(w->e, "out of memory");
    bool dir = info->type == LFS_TYPE_DIR;
    if (!rc)
        report(w->cb, w->ctx, dir ? OP_FS_COPY_DIR : OP_FS_COPY_FILE, false, s, d);
    if (!rc && !dir) {
        rc = get_file(w->fs, s, info, dirfd, info->name, d, w->e);
    } else if (!rc) {
        int sub = enter_dir(dirfd, info->name, d, w->e);
        rc = sub < 0 ? -1 : get_tree(w, s, sub, d, depth + 1);
        if (sub >= 0)
            close(sub);
    }
    free(s);
    free(d);
    return rc;
}

static bool host_is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int op_fs_get(struct lfs *fs, const char *src, const char *dest, op_fs_copy_cb cb, void *ctx,
              struct err *e)
{
    const char *lsrc = *src ? src : "/";
    struct lfs_info info;
    if (lfs_stat(fs, lsrc, &info, e))
        return -1;
    if (info.type == LFS_TYPE_REG) {
        if (!host_is_dir(dest))   /* DEST names the file */
            return get_file(fs, lsrc, &info, AT_FDCWD, dest, dest, e);
        if (!op_fs_safe_name(info.name))
            return err_set(e, "'%s': unsafe name for the host", info.name);
        int dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            return err_sys(e, "%s", dest);
        char *d = op_fs_join(dest, info.name);
        int rc = d ? get_file(fs, lsrc, &info, dfd, info.name, d, e)
                   : err_set(e, "out of memory");
        free(d);
        close(dfd);
        return rc;
    }
    report(cb, ctx, OP_FS_COPY_DIR, true, src, dest);
    /* DEST itself is the user's choice and may be a link to a directory */
    if (mkdir(dest, 0755) && errno != EEXIST)
        return err_sys(e, "%s", dest);
    int dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 && errno == ENOTDIR)
        return err_set(e, "%s: exists and is not a directory", dest);
    if (dfd < 0)
        return err_sys(e, "%s", dest);
    struct get_walk w = { fs, cb, ctx, e };
    int rc = get_tree(&w, lsrc, dfd, dest, 0);
    close(dfd);
    return rc;
}

/* ---- put ------------------------------------------------------------------------ */

static int put_file(struct lfs *fs, const char *src, const char *dst, struct err *e)
{
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_sys(e, "%s", src);
    struct stat st;
    if (fstat(fd, &st)) {
        close(fd);
        return err_sys(e, "%s", src);
    }
    if (st.st_size > 0x7fffffff) {
        close(fd);
        return err_set(e, "%s: too large for littlefs", src);
    }
    size_t len = (size_t)st.st_size, done = 0;
    uint8_t *data = malloc(len ? len : 1);
    while (data && done < len) {
        ssize_t k = read(fd, data + done, len - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        done += (size_t)k;
    }
    close(fd);
    if (!data || done != len) {
        free(data);
        return err_set(e, "%s: cannot read", src);
    }
    int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    int r = lfs_write_file(fs, dst, data, (uint32_t)len, mtime, e);
    free(data);
    return r;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The names in host directory `path`, sorted (the order of the copy and of
 * its report does not depend on the host filesystem). */
static int host_list(const char *path, char ***out, size_t *count, struct err *e)
{
    DIR *d = opendir(path);
    if (!d)
        return err_sys(e, "%s", path);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (struct dirent *de; !rc && (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nv = realloc(names, cap * sizeof *nv);
            if (!nv) {
                rc = err_set(e, "out of memory");
                break;
            }
            names = nv;
        }
        if (!(names[n] = strdup(de->d_name)))
            rc = err_set(e, "out of memory");
        else
            n++;
    }
    closedir(d);
    if (rc) {
        free_names(names, n);
        return -1;
    }
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    *out = names;
    *count = n;
    return 0;
}

struct put_walk {
    struct lfs *fs;
    op_fs_copy_cb cb;
    void *ctx;
    struct err *e;
};

static int put_tree(struct put_walk *w, const char *src, const char *dst, int depth);

/* Host entry s -> littlefs path t, when it belongs to this pass (files
 * first, then directories). */
static int put_entry(struct put_walk *w, const char *s, const char *t, int pass, int depth)
{
    struct stat st, lst;
    if (stat(s, &st) || lstat(s, &lst))
        return err_sys(w->e, "%s", s);
    bool dir = S_ISDIR(st.st_mode);
    if (dir != (pass == 1))
        return 0;
    if (dir && S_ISLNK(lst.st_mode)) {
        report(w->cb, w->ctx, OP_FS_SKIP_SYMLINK, false, s, t);
        return 0;
    }
    if (!dir && !S_ISREG(st.st_mode)) {
        report(w->cb, w->ctx, OP_FS_SKIP_SPECIAL, false, s, t);
        return 0;
    }
    report(w->cb, w->ctx, dir ? OP_FS_COPY_DIR : OP_FS_COPY_FILE, false, s, t);
    if (!dir)
        return put_file(w->fs, s, t, w->e);
    if (op_fs_mkdirs(w->fs, t, w->e))
        return -1;
    return put_tree(w, s, t, depth + 1);
}

static int put_tree(struct put_walk *w, const char *src, const char *dst, int depth)
{
    if (depth > OP_FS_MAX_DEPTH)
        return err_set(w->e, "%s: directories nested deeper than %d levels", src,
                       OP_FS_MAX_DEPTH);
    char **names = NULL;
    size_t n = 0;
    if (host_list(src, &names, &n, w->e))
        return -1;
    int rc = 0;
    for (int pass = 0; pass < 2 && !rc; pass++)
        for (size_t i = 0; i < n && !rc; i++) {
            char *s = op_fs_join(src, names[i]), *t = op_fs_join(dst, names[i]);
            rc = s && t ? put_entry(w, s, t, pass, depth) : err_set(w->e, "out of memory");
            free(s);
            free(t);
        }
    free_names(names, n);
    return rc;
}

/* The last component of a host path ("a/b/" -> "b", "/" -> "/"). */
static char *base_name(const char *p)
{
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        n--;
    size_t b = n;
    while (b > 0 && p[b - 1] != '/')
        b--;
    return strndup(p + b, n - b);
}

int op_fs_put(struct lfs *fs, const char *src, const char *dest, op_fs_copy_cb cb, void *ctx,
              struct err *e)
{
    struct stat st;
    if (stat(src, &st))
        return err_sys(e, "%s", src);
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return err_set(e, "%s: not a file or directory", src);
    if (!*dest || !strcmp(dest, "."))
        dest = "/";
    char *name = base_name(src);
    if (!name)
        return err_set(e, "out of memory");
    struct lfs_info info;
    struct err ignored;
    bool dest_is_dir = lfs_stat(fs, dest, &info, &ignored) == 0 && info.type == LFS_TYPE_DIR;
    bool into = S_ISREG(st.st_mode) ? dest_is_dir
                                    : *name && strcmp(name, ".") && strcmp(name, "/");
    char *t = into ? op_fs_join(dest, name) : strdup(dest);
    free(name);
    if (!t)
        return err_set(e, "out of memory");
    int rc;
    if (S_ISREG(st.st_mode)) {
        report(cb, ctx, OP_FS_COPY_FILE, true, src, t);
        rc = put_file(fs, src, t, e);
    } else {
        report(cb, ctx, OP_FS_COPY_DIR, true, src, t);
        struct put_walk w = { fs, cb, ctx, e };
        rc = op_fs_mkdirs(fs, t, e) ? -1 : put_tree(&w, src, t, 0);
    }
    free(t);
    return rc;
}
