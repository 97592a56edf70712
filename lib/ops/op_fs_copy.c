/* --fs get and put: copies between a mounted littlefs and the host.
 *
 * get writes only below DEST.  Names come from the image, which may be
 * crafted: each is written as its escape (names.h), which is one host name
 * that is neither "." nor "..", and every host directory below DEST is
 * entered through a descriptor opened with O_NOFOLLOW, files are created
 * relative to it with O_NOFOLLOW, so neither a name nor a symbolic link
 * planted in DEST can lead a write elsewhere.
 *
 * Both walk without recursion (lfs_walk for the filesystem, a stack of
 * frames for the host tree) with a bounded number of host directories
 * open (host_cursor), so any depth works.  put classifies host entries by
 * readdir's type and reads each file with one open and one fstat: a stat
 * per entry, not five. */
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

#include "fileio.h"
#include "names.h"
#include "op_fs_priv.h"

/* The longest host file name (NAME_MAX on Linux and the BSDs). */
#define HOST_NAME_MAX_LEN 255

const char *op_fs_host_name(const char *name, size_t len, char *buf, size_t cap,
                            const char **why)
{
    if (len == 0)
        return *why = "an empty name", NULL;
    if (len <= 2 && !memcmp(name, "..", len))
        return *why = "a name that means the directory itself or its parent", NULL;
    if (len > HOST_NAME_MAX_LEN)
        return *why = "a name longer than 255 bytes", NULL;
    size_t n = name_escape(name, len, buf, cap);
    if (n >= cap || n > HOST_NAME_MAX_LEN)
        return *why = "a name longer than a host file name can be (255 bytes, escaped)", NULL;
    if ((*why = name_host_refused(buf)))   /* Windows: CON, a:b, "dot." */
        return NULL;
    return buf;
}

static void report(op_fs_copy_cb cb, void *ctx, enum op_fs_copy_kind kind, bool top,
                   const char *src, const char *dst, const char *why)
{
    if (cb) {
        struct op_fs_copy c = { kind, top, src, dst, why };
        cb(ctx, &c);
    }
}

/* ---- host directories ---------------------------------------------------------- */

/* A walk through host directories, depth first.  The first HC_OPEN
 * directories of the way down stay open; deeper ones are closed and found
 * again through "..", which must be the directory we came from (a tree
 * moved about under us fails the copy rather than writing elsewhere), so
 * any depth works with a bounded number of descriptors.  Below HC_OPEN it
 * also knows every directory on the way down: a directory inside itself (a
 * bind mount) repeats, so it is seen at most one period later. */
#define HC_OPEN 64
struct host_dir {
    int fd;                  /* open, above the current one; else -1 */
    bool known;              /* dev/ino recorded */
    dev_t dev;
    ino_t ino;
};
struct host_cursor {
    int fd;                  /* the directory we are in */
    struct host_dir *path;   /* the directories from the top to it */
    size_t depth, cap;
};

/* Room for one more in the array at *pv (a pointer to the array's pointer:
 * *cap elements of `size` bytes, n in use). */
static int grow(void *pv, size_t *cap, size_t n, size_t size, struct err *e)
{
    if (n < *cap)
        return 0;
    void *v;
    memcpy(&v, pv, sizeof v);
    size_t ncap = *cap ? *cap * 2 : 16;
    void *nv = realloc(v, ncap * size);
    if (!nv)
        return err_set(e, "out of memory");
    memcpy(pv, &nv, sizeof nv);
    *cap = ncap;
    return 0;
}

static int hc_id(int fd, struct host_dir *d, const char *shown, struct err *e)
{
    struct stat st;
    if (!d->known && fstat(fd, &st))
        return err_sys(e, "%s", shown);
    if (!d->known)
        *d = (struct host_dir){ d->fd, true, st.st_dev, st.st_ino };
    return 0;
}

/* Start in `fd` (the cursor owns it). */
static int hc_start(struct host_cursor *c, int fd, struct err *e)
{
    *c = (struct host_cursor){ fd, NULL, 0, 0 };
    if (grow(&c->path, &c->cap, c->depth, sizeof *c->path, e))
        return -1;
    c->path[c->depth++] = (struct host_dir){ -1, false, 0, 0 };
    return 0;
}

/* Into `fd`, a subdirectory of c->fd (`shown`): 0, or 1 when it is one of
 * the directories above (fd closed either way when not entered). */
static int hc_down(struct host_cursor *c, int fd, const char *shown, struct err *e)
{
    struct host_dir here = { -1, false, 0, 0 };
    int rc = grow(&c->path, &c->cap, c->depth, sizeof *c->path, e);
    struct host_dir *up = &c->path[c->depth - 1];
    if (!rc && c->depth >= HC_OPEN)
        rc = hc_id(c->fd, up, shown, e) || hc_id(fd, &here, shown, e) ? -1 : 0;
    for (size_t i = 0; !rc && here.known && i < c->depth; i++)
        if (c->path[i].known && c->path[i].dev == here.dev && c->path[i].ino == here.ino)
            rc = 1;
    if (rc) {
        close(fd);
        return rc;
    }
    if (c->depth < HC_OPEN)
        up->fd = c->fd;
    else
        close(c->fd);
    c->path[c->depth++] = here;
    c->fd = fd;
    return 0;
}

/* Back to the directory above; `shown` names the one we leave. */
static int hc_up(struct host_cursor *c, const char *shown, struct err *e)
{
    struct host_dir *up = &c->path[--c->depth - 1];
    if (up->fd >= 0) {
        close(c->fd);
        c->fd = up->fd;
        up->fd = -1;
        return 0;
    }
    int fd = openat(c->fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    int rc = 0;
    if (fd < 0 || fstat(fd, &st))
        rc = err_sys(e, "%s/..", shown);
    else if (st.st_dev != up->dev || st.st_ino != up->ino)
        rc = err_set(e, "%s: moved during the copy", shown);
    if (rc) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(c->fd);
    c->fd = fd;
    return 0;
}

static void hc_free(struct host_cursor *c)
{
    if (c->fd >= 0)
        close(c->fd);
    for (size_t i = 0; i < c->depth; i++)
        if (c->path[i].fd >= 0)
            close(c->path[i].fd);
    free(c->path);
}

/* ---- get ----------------------------------------------------------------------- */

/* An open littlefs file as the source of a host file, a chunk at a time. */
struct lfs_source {
    struct lfs_file *f;
    uint8_t *buf;           /* OP_FS_CHUNK bytes */
};

static int64_t lfs_next(void *ctx, const void **p, struct err *e)
{
    struct lfs_source *s = ctx;
    *p = s->buf;
    return lfs_file_read(s->f, s->buf, OP_FS_CHUNK, e);
}

/* Copy the open littlefs file `f` (described by `info`) to `name` relative
 * to `dirfd`, and close it; `shown` names the destination in messages.  The
 * file is whole or absent (a temporary beside it, renamed into place), and
 * a failure names it and says it was not written.  `nofollow`: a symbolic
 * link at `name` is refused, not written through (only DEST itself, the
 * user's choice, may be one). */
static int copy_out(struct lfs_file *f, uint8_t *buf, const struct lfs_info *info, int dirfd,
                    const char *name, const char *shown, bool nofollow, struct err *e)
{
    struct lfs_source ls = { f, buf };
    struct file_source src = { lfs_next, &ls, lfs_file_size(f) };
    struct file_write_opts o = { .shown = shown, .nofollow = nofollow, .bulk = true };
    if (info->has_mtime) {
        /* floor division: times before 1970 have a negative nanosecond part */
        int64_t s = info->mtime_ns / 1000000000, ns = info->mtime_ns % 1000000000;
        if (ns < 0)
            s--, ns += 1000000000;
        o.has_mtime = true;
        o.mtime = (struct timespec){ (time_t)s, (long)ns };
    }
    int rc = file_write_stream_at(dirfd, name, &src, &o, e);
    struct err ignored;
    lfs_file_close(f, &ignored);
    return rc;
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

struct get {
    struct lfs *fs;
    op_fs_copy_cb cb;
    void *ctx;
    const char *src;        /* the source as shown */
    const char *dest;       /* DEST as given */
    struct host_cursor hc;  /* in the host directory being filled */
    uint8_t *buf;
    unsigned skipped;
};

/* The shown source and destination paths of `ent` of `d` (NULL: d). */
static int get_paths(struct get *g, const struct lfs_walk_dir *d, const struct lfs_info *ent,
                     char **s, char **t, struct err *e)
{
    *s = op_fs_walk_path(g->src, d, ent);
    *t = op_fs_walk_path(g->dest, d, ent);
    if (*s && *t)
        return 0;
    free(*s);
    free(*t);
    return err_set(e, "out of memory");
}

static void skip(struct get *g, enum op_fs_copy_kind kind, const char *s, const char *t,
                 const char *why)
{
    report(g->cb, g->ctx, kind, false, s, t, why);
    g->skipped++;
}

static int get_file(struct get *g, const struct lfs_walk_dir *d, const struct lfs_info *ent,
                    struct err *e)
{
    char *s, *t, hn[HOST_NAME_MAX_LEN + 1];
    const char *why;
    if (get_paths(g, d, ent, &s, &t, e))
        return -1;
    const char *name = op_fs_host_name(ent->name, ent->name_len, hn, sizeof hn, &why);
    struct lfs_file *f;
    int rc = 0;
    if (!name) {
        skip(g, OP_FS_SKIP_UNSAFE, s, t, why);
    } else {
        report(g->cb, g->ctx, OP_FS_COPY_FILE, false, s, t, NULL);
        if (lfs_file_open_at(g->fs, d->dir, ent->name, ent->name_len, s, &f, e))
            rc = err_prefix(e, "%s: not written: ", t);
        else
            rc = copy_out(f, g->buf, ent, g->hc.fd, name, t, true, e);
    }
    free(s);
    free(t);
    return rc;
}

static int get_list(void *ctx, const struct lfs_walk_dir *d, struct err *e)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].type == LFS_TYPE_REG && get_file(ctx, d, &d->v[i], e))
            return -1;
    return 0;
}

static int get_enter(void *ctx, const struct lfs_walk_dir *d, const struct lfs_info *sub,
                     struct err *e)
{
    struct get *g = ctx;
    char *s, *t, hn[HOST_NAME_MAX_LEN + 1];
    const char *why;
    if (get_paths(g, d, sub, &s, &t, e))
        return -1;
    const char *name = op_fs_host_name(sub->name, sub->name_len, hn, sizeof hn, &why);
    int rc = 1;
    if (!name) {
        skip(g, OP_FS_SKIP_UNSAFE, s, t, why);
    } else {
        report(g->cb, g->ctx, OP_FS_COPY_DIR, false, s, t, NULL);
        int fd = enter_dir(g->hc.fd, name, t, e);
        rc = fd < 0 ? -1 : hc_down(&g->hc, fd, t, e);
        if (rc == 1)
            rc = err_set(e, "%s: is a directory above it (a bind mount?)", t);
    }
    free(s);
    free(t);
    return rc;
}

static int get_leave(void *ctx, const struct lfs_walk_dir *d, struct err *e)
{
    struct get *g = ctx;
    if (d->depth == 0)
        return 0;
    char *t = op_fs_walk_path(g->dest, d, NULL);
    int rc = hc_up(&g->hc, t ? t : g->dest, e);
    free(t);
    return rc;
}

static int get_problem(void *ctx, const struct lfs_walk_dir *d, const struct lfs_info *sub,
                       enum lfs_walk_problem kind, const char *why, struct err *e)
{
    struct get *g = ctx;
    (void)kind;
    char *s, *t;
    if (get_paths(g, d, sub, &s, &t, e))
        return -1;
    skip(g, OP_FS_SKIP_DAMAGED, s, t, why);
    free(s);
    free(t);
    return 0;
}

static bool host_is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* `get FILE DEST`: DEST names the file, or the directory to put it in. */
static int get_one(struct lfs *fs, const char *src, const struct lfs_info *info,
                   const char *dest, uint8_t *buf, struct err *e)
{
    struct lfs_file *f;
    if (!host_is_dir(dest)) {
        if (lfs_file_open(fs, src, LFS_O_RDONLY, &f, e))
            return err_prefix(e, "%s: not written: ", dest);
        return copy_out(f, buf, info, AT_FDCWD, dest, dest, false, e);
    }
    char hn[HOST_NAME_MAX_LEN + 1];
    const char *why;
    const char *name = op_fs_host_name(info->name, info->name_len, hn, sizeof hn, &why);
    if (!name)
        return err_set(e, "%s: not written: %s", src, why);
    char *d = op_fs_join(dest, name);
    int dfd = d ? open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    int rc = !d ? err_set(e, "out of memory") : dfd < 0 ? err_sys(e, "%s", dest) : 0;
    if (!rc && lfs_file_open(fs, src, LFS_O_RDONLY, &f, e))
        rc = err_prefix(e, "%s: not written: ", d);
    else if (!rc)
        rc = copy_out(f, buf, info, dfd, name, d, true, e);
    if (dfd >= 0)
        close(dfd);
    free(d);
    return rc;
}

/* DEST, created if missing: the user's choice, so it may be a link to a
 * directory.  Returns its descriptor or -1. */
static int open_dest(const char *dest, struct err *e)
{
    if (mkdir(dest, 0755) && errno != EEXIST)
        return err_sys(e, "%s", dest);
    int dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 && errno == ENOTDIR)
        return err_set(e, "%s: exists and is not a directory", dest);
    if (dfd < 0)
        return err_sys(e, "%s", dest);
    return dfd;
}

static int get_tree(struct lfs *fs, const char *src, const char *shown, const char *dest,
                    op_fs_copy_cb cb, void *ctx, uint8_t *buf, struct err *e)
{
    report(cb, ctx, OP_FS_COPY_DIR, true, shown, dest, NULL);
    int dfd = open_dest(dest, e);
    if (dfd < 0)
        return -1;
    static const struct lfs_walk_ops ops = { get_list, get_enter, get_leave, get_problem };
    struct get g = { fs, cb, ctx, shown, dest, { -1, NULL, 0, 0 }, buf, 0 };
    int rc = hc_start(&g.hc, dfd, e);
    if (!rc)
        rc = lfs_walk(fs, src, &ops, &g, e);
    hc_free(&g.hc);
    if (rc)
        return err_prefix(e, "the copy in %s is incomplete: ", dest);
    if (g.skipped)
        return err_set(e, "the copy in %s is incomplete: %u entr%s skipped (see the warnings)",
                       dest, g.skipped, g.skipped == 1 ? "y" : "ies");
    return 0;
}

int op_fs_get(struct lfs *fs, const char *src, const char *dest, op_fs_copy_cb cb, void *ctx,
              struct err *e)
{
    const char *lsrc = *src ? src : "/";
    struct lfs_info info;
    if (lfs_stat(fs, lsrc, &info, e))
        return -1;
    size_t n = path_escape(src, NULL, 0);
    char *shown = malloc(n + 1);
    uint8_t *buf = malloc(OP_FS_CHUNK);
    int rc = shown && buf ? 0 : err_set(e, "out of memory");
    if (!rc) {
        path_escape(src, shown, n + 1);
        rc = info.type == LFS_TYPE_REG ? get_one(fs, lsrc, &info, dest, buf, e)
                                       : get_tree(fs, lsrc, shown, dest, cb, ctx, buf, e);
    }
    free(shown);
    free(buf);
    return rc;
}

/* ---- put ------------------------------------------------------------------------ */

/* A growable path: names are pushed ("dir" + "name" = "dir/name", as
 * op_fs_join) and cut off again. */
struct path {
    char *p;
    size_t len, cap;
};

static int path_push(struct path *b, const char *name, struct err *e)
{
    size_t n = b->len;
    while (n > 0 && b->p[n - 1] == '/')
        n--;
    size_t k = strlen(name), need = n + 1 + k + 1;
    if (need > b->cap) {
        char *np = realloc(b->p, need * 2);
        if (!np)
            return err_set(e, "out of memory");
        b->p = np;
        b->cap = need * 2;
    }
    b->p[n] = '/';
    memcpy(b->p + n + 1, name, k + 1);
    b->len = n + 1 + k;
    return 0;
}

static void path_cut(struct path *b, size_t len)
{
    b->len = len;
    b->p[len] = '\0';
}

/* What a host entry is to put: readdir's d_type says it without a stat,
 * except for a symbolic link (followed: a link to a file is copied as the
 * file, one to a directory is skipped, it could loop) and on filesystems
 * that do not fill it in. */
enum host_kind { HOST_FILE, HOST_DIR, HOST_DIRLINK, HOST_SPECIAL };

static int host_kind(int dirfd, const char *name, unsigned char type, const char *shown,
                     enum host_kind *kind, struct err *e)
{
    struct stat st;
    if (type == DT_UNKNOWN) {
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
            return err_sys(e, "%s/%s", shown, name);
        type = S_ISLNK(st.st_mode) ? DT_LNK : S_ISREG(st.st_mode) ? DT_REG
               : S_ISDIR(st.st_mode) ? DT_DIR : DT_FIFO;
    }
    if (type == DT_LNK) {
        if (fstatat(dirfd, name, &st, 0))
            return err_sys(e, "%s/%s", shown, name);
        *kind = S_ISDIR(st.st_mode) ? HOST_DIRLINK : S_ISREG(st.st_mode) ? HOST_FILE
                                                                          : HOST_SPECIAL;
        return 0;
    }
    *kind = type == DT_REG ? HOST_FILE : type == DT_DIR ? HOST_DIR : HOST_SPECIAL;
    return 0;
}

struct host_ent {
    char *name;
    enum host_kind kind;
};

static int cmp_ent(const void *a, const void *b)
{
    return strcmp(((const struct host_ent *)a)->name, ((const struct host_ent *)b)->name);
}

static void free_ents(struct host_ent *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
}

static int add_ent(struct host_ent **v, size_t *n, size_t *cap, const char *name,
                   enum host_kind kind, struct err *e)
{
    if (grow(v, cap, *n, sizeof **v, e))
        return -1;
    if (!((*v)[*n].name = strdup(name)))
        return err_set(e, "out of memory");
    (*v)[(*n)++].kind = kind;
    return 0;
}

/* The entries of host directory `fd` (shown as `shown`), sorted (the order
 * of the copy and of its report does not depend on the host filesystem). */
static int host_list(int fd, const char *shown, struct host_ent **out, size_t *count,
                     struct err *e)
{
    int dfd = dup(fd);
    DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return err_sys(e, "%s", shown);
    }
    struct host_ent *v = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (struct dirent *de; !rc && (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        enum host_kind kind = HOST_SPECIAL;
        rc = host_kind(fd, de->d_name, de->d_type, shown, &kind, e);
        if (!rc)
            rc = add_ent(&v, &n, &cap, de->d_name, kind, e);
    }
    closedir(d);
    if (rc) {
        free_ents(v, n);
        return -1;
    }
    if (n)
        qsort(v, n, sizeof *v, cmp_ent);
    *out = v;
    *count = n;
    return 0;
}

/* Host file `name` of directory `dirfd` (shown as `shown`) to littlefs path
 * `dst`, keeping its mtime. */
static int put_file(struct lfs *fs, int dirfd, const char *name, const char *shown,
                    const char *dst, struct err *e)
{
    struct stat st;
    struct file_read_opts o = { dirfd, shown, &st };
    uint8_t *data;
    size_t len;
    if (file_read_at(name, FILE_MAX_FLASH, &o, &data, &len, e))
        return -1;
    int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    int r = lfs_write_file(fs, dst, data, (uint32_t)len, mtime, e);
    free(data);
    return r;
}

/* A directory being copied. */
struct put_frame {
    struct host_ent *v;
    size_t n, next;         /* next: the next entry to look at for a subdirectory */
    size_t slen, tlen;      /* of its host and littlefs paths */
};

struct put {
    struct lfs *fs;
    op_fs_copy_cb cb;
    void *ctx;
    struct host_cursor hc;  /* in the host directory being copied */
    struct put_frame *stack;
    size_t depth, cap;
    struct path s, t;       /* its host path (shown) and littlefs path */
};

/* Report with both paths escaped (names.h), as ls will show them. */
static int put_report(struct put *p, enum op_fs_copy_kind kind, struct err *e)
{
    if (!p->cb)
        return 0;
    size_t ns = path_escape(p->s.p, NULL, 0), nt = path_escape(p->t.p, NULL, 0);
    char *s = malloc(ns + 1), *t = malloc(nt + 1);
    if (s && t) {
        path_escape(p->s.p, s, ns + 1);
        path_escape(p->t.p, t, nt + 1);
        report(p->cb, p->ctx, kind, false, s, t, NULL);
    }
    free(s);
    free(t);
    return s && t ? 0 : err_set(e, "out of memory");
}

/* Entry `ent` of the directory being copied, when it belongs to this pass
 * (files first, then directories). */
static int put_entry(struct put *p, const struct host_ent *ent, int pass, struct err *e)
{
    bool dir = ent->kind == HOST_DIR || ent->kind == HOST_DIRLINK;
    if (dir != (pass == 1))
        return 0;
    size_t slen = p->s.len, tlen = p->t.len;
    if (path_push(&p->s, ent->name, e) || path_push(&p->t, ent->name, e))
        return -1;
    static const enum op_fs_copy_kind kinds[] = { OP_FS_COPY_FILE, OP_FS_COPY_DIR,
                                                  OP_FS_SKIP_SYMLINK, OP_FS_SKIP_SPECIAL };
    int rc = put_report(p, kinds[ent->kind], e);
    if (!rc && ent->kind == HOST_FILE)
        rc = put_file(p->fs, p->hc.fd, ent->name, p->s.p, p->t.p, e);
    if (!rc && ent->kind == HOST_DIR)
        return 1;   /* entered by the caller, paths pushed */
    path_cut(&p->s, slen);
    path_cut(&p->t, tlen);
    return rc;
}

/* A littlefs directory to copy into: made, or there already. */
static int put_mkdir(struct lfs *fs, const char *path, struct err *e)
{
    if (lfs_mkdir(fs, path, e) == 0)
        return 0;
    struct lfs_info info;
    if (lfs_errno(fs) != LFS_ERR_EXIST || lfs_stat(fs, path, &info, e))
        return -1;
    return info.type == LFS_TYPE_DIR ? 0 : err_set(e, "%s: not a directory", path);
}

/* The host directory the cursor is in, paths s and t: listed, its files
 * copied, pushed for its subdirectories. */
static int put_dir(struct put *p, size_t slen, size_t tlen, struct err *e)
{
    if (grow(&p->stack, &p->cap, p->depth, sizeof *p->stack, e))
        return -1;
    struct put_frame *f = &p->stack[p->depth];
    *f = (struct put_frame){ NULL, 0, 0, slen, tlen };
    if (host_list(p->hc.fd, p->s.p, &f->v, &f->n, e))
        return -1;
    p->depth++;
    for (size_t i = 0; i < f->n; i++)
        if (put_entry(p, &f->v[i], 0, e))
            return -1;
    return 0;
}

/* Subdirectory `ent` (paths pushed): made in littlefs, entered on the host. */
static int put_down(struct put *p, const struct host_ent *ent, size_t slen, size_t tlen,
                    struct err *e)
{
    if (put_mkdir(p->fs, p->t.p, e))
        return -1;
    int fd = openat(p->hc.fd, ent->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return err_sys(e, "%s", p->s.p);
    int r = hc_down(&p->hc, fd, p->s.p, e);
    if (r == 1) {
        report(p->cb, p->ctx, OP_FS_SKIP_SYMLINK, false, p->s.p, p->t.p,
               "a directory above it (a bind mount?)");
        path_cut(&p->s, slen);
        path_cut(&p->t, tlen);
        return 0;
    }
    return r ? -1 : put_dir(p, slen, tlen, e);
}

/* Depth first, the stack on the heap: any depth works. */
static int put_run(struct put *p, struct err *e)
{
    while (p->depth > 0) {
        struct put_frame *f = &p->stack[p->depth - 1];
        if (f->next < f->n) {
            const struct host_ent *ent = &f->v[f->next++];
            size_t slen = p->s.len, tlen = p->t.len;
            int r = put_entry(p, ent, 1, e);
            if (r == 1)
                r = put_down(p, ent, slen, tlen, e);
            if (r)
                return -1;
            continue;
        }
        free_ents(f->v, f->n);
        p->depth--;
        if (p->depth > 0 && hc_up(&p->hc, p->s.p, e))
            return -1;
        path_cut(&p->s, f->slen);
        path_cut(&p->t, f->tlen);
    }
    return 0;
}

static int put_tree(struct lfs *fs, const char *src, const char *dst, op_fs_copy_cb cb,
                    void *ctx, struct err *e)
{
    struct put p = { fs, cb, ctx, { -1, NULL, 0, 0 }, NULL, 0, 0, { NULL, 0, 0 },
                     { NULL, 0, 0 } };
    int fd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd < 0 ? err_sys(e, "%s", src) : hc_start(&p.hc, fd, e);
    if (!rc && (!(p.s.p = strdup(src)) || !(p.t.p = strdup(dst))))
        rc = err_set(e, "out of memory");
    if (!rc) {
        p.s.len = strlen(src);
        p.t.len = strlen(dst);
        p.s.cap = p.s.len + 1;
        p.t.cap = p.t.len + 1;
        rc = put_dir(&p, p.s.len, p.t.len, e);
    }
    if (!rc)
        rc = put_run(&p, e);
    for (; p.depth > 0; p.depth--)
        free_ents(p.stack[p.depth - 1].v, p.stack[p.depth - 1].n);
    if (fd >= 0)
        hc_free(&p.hc);
    free(p.stack);
    free(p.s.p);
    free(p.t.p);
    return rc;
}

/* The last component of a host path ("a/b/" -> "b", "/" -> "/"). */
static char *base_name(const char *p)
{
    size_t n = strlen(p);
    while (n > 1 && host_is_sep(p[n - 1]))
        n--;
    size_t b = n;
    while (b > 0 && !host_is_sep(p[b - 1]))
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
        report(cb, ctx, OP_FS_COPY_FILE, true, src, t, NULL);
        rc = put_file(fs, AT_FDCWD, src, src, t, e);
    } else {
        report(cb, ctx, OP_FS_COPY_DIR, true, src, t, NULL);
        rc = op_fs_mkdirs(fs, t, e) ? -1 : put_tree(fs, src, t, cb, ctx, e);
    }
    free(t);
    return rc;
}
