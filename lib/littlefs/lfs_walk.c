/* Directory listings and tree walks: ls, get, rm -r and fsck go through
 * lfs_walk (lfs.h says what it guarantees).
 *
 * A directory is its head pair plus the pairs its hard tails lead to (a
 * split directory).  Every pair a walk lists is remembered in one bitmap of
 * blocks, so a pair reached a second time is recognised at once, whether
 * through a directory entry (a directory inside itself, or in two places)
 * or through a hard tail: a crafted image with 30 levels of two entries
 * sharing the next level's pair costs 31 listings, not 2^30.  The stack of
 * directories being walked is a list of frames on the heap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lfs_priv.h"
#include "names.h"

/* ---- listings ------------------------------------------------------------- */

/* Append the entries of one pair's fields to v[*n] (capacity *cap). */
static int add_entries(struct lfs *fs, const struct fields *f, struct lfs_info **v, size_t *n,
                       size_t *cap, struct err *e)
{
    for (uint16_t id = 0; id < f->count; id++) {
        const struct field *name = fields_get(f, id, 0, MASK_NAME);
        if (!name || (name->type != TY_REG && name->type != TY_DIR))
            continue;
        if (*n == *cap) {
            size_t ncap = *cap ? *cap * 2 : 16;
            struct lfs_info *nv = realloc(*v, ncap * sizeof *nv);
            if (!nv)
                return lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory");
            *v = nv;
            *cap = ncap;
        }
        fs_fill_info(f, id, name, &(*v)[(*n)++]);
    }
    return 0;
}

int dir_read(struct lfs *fs, const lfs_block_t head[2], uint8_t *seen, struct lfs_info **out,
             size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    lfs_block_t pair[2] = { head[0], head[1] };
    if (pair_seen(seen, fs->block_count, pair))
        return 1;
    struct lfs_info *v = NULL;
    size_t cap = 0;
    for (;;) {
        struct mdir d;
        struct fields f;
        int rc = mdir_fetch(fs, &d, pair, e) || mdir_fields(fs, &d, true, &f, e) ? -1 : 0;
        if (!rc) {
            rc = add_entries(fs, &f, &v, n, &cap, e);
            fields_free(&f);
        }
        if (rc) {
            free(v);
            *out = NULL;
            *n = 0;
            return -1;
        }
        *out = v;
        if (!d.split)
            return 0;
        if (pair_seen(seen, fs->block_count, d.tail)) {
            lfs_fail(fs, e, LFS_ERR_CORRUPT,
                     "its list of pairs leads to pair {0x%x, 0x%x}, listed before: listed up "
                     "to there", d.tail[0], d.tail[1]);
            return 2;
        }
        pair[0] = d.tail[0];
        pair[1] = d.tail[1];
    }
}

/* The head pair of the directory at `path`. */
static int dir_head(struct lfs *fs, const char *path, lfs_block_t head[2], struct err *e)
{
    struct lookup r;
    if (fs_lookup(fs, path, true, &r, e))
        return -1;
    if (r.type != TY_DIR)
        return lfs_fail(fs, e, LFS_ERR_NOTDIR, "%s: not a directory", path);
    if (r.id == 0x3ff) {
        head[0] = fs->root[0];
        head[1] = fs->root[1];
        return 0;
    }
    struct fields f;
    if (mdir_fields(fs, &r.d, true, &f, e))
        return -1;
    const struct field *s = fields_get(&f, r.id, TY_DIRSTRUCT, MASK_TYPE3);
    bool ok = s && s->size >= 8;
    if (ok) {
        head[0] = get_le32(s->data);
        head[1] = get_le32(s->data + 4);
    }
    fields_free(&f);
    return ok ? 0 : lfs_fail(fs, e, LFS_ERR_CORRUPT, "%s: directory without a struct", path);
}

static uint8_t *seen_new(struct lfs *fs, struct err *e)
{
    uint8_t *seen = calloc((fs->block_count + 7) / 8, 1);
    if (!seen)
        lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory");
    return seen;
}

int lfs_dir_list(struct lfs *fs, const char *path, struct lfs_info **out, size_t *n,
                 struct err *e)
{
    *out = NULL;
    *n = 0;
    lfs_block_t head[2];
    if (dir_head(fs, path, head, e))
        return -1;
    uint8_t *seen = seen_new(fs, e);
    if (!seen)
        return -1;
    int r = dir_read(fs, head, seen, out, n, e);
    free(seen);
    if (r == 0)
        return 0;
    free(*out);
    *out = NULL;
    *n = 0;
    return r < 0 ? -1 : err_prefix(e, "%s: ", path);
}

/* ---- walks ------------------------------------------------------------------ */

struct frame {
    struct frame *up;
    struct lfs_walk_dir d;
    struct lfs_info *v;
    size_t next;            /* the next entry to look at for a subdirectory */
    size_t pathlen;         /* of d.path in walk.path */
};

struct walk {
    struct lfs *fs;
    const struct lfs_walk_ops *ops;
    void *ctx;
    uint8_t *seen;
    struct frame *top;      /* the directory being walked, innermost */
    char *path;             /* the escaped path of `top` */
    size_t cap;
};

void walk_retarget(struct walk *w, const lfs_block_t old[2], const lfs_block_t now[2])
{
    for (struct frame *f = w->top; f; f = f->up) {
        if (pair_overlap(old, f->d.dir)) {
            f->d.dir[0] = now[0];
            f->d.dir[1] = now[1];
        }
        for (size_t i = 0; i < f->d.n; i++)
            if (f->v[i].type == LFS_TYPE_DIR && pair_overlap(old, f->v[i].dir)) {
                f->v[i].dir[0] = now[0];
                f->v[i].dir[1] = now[1];
            }
    }
}

size_t lfs_walk_path(const struct lfs_walk_dir *d, const struct lfs_info *entry, char *out,
                     size_t cap)
{
    int k = snprintf(out, cap, "%s%s", d->path, *d->path ? "/" : "");
    size_t n = k < 0 ? 0 : (size_t)k;
    uint32_t len = entry->name_len < 255 ? entry->name_len : 255;
    return n + name_escape(entry->name, len, n < cap ? out + n : NULL, n < cap ? cap - n : 0);
}

/* The path buffer ends at f's path while f's callbacks run. */
static const struct lfs_walk_dir *at(struct walk *w, struct frame *f)
{
    w->path[f->pathlen] = '\0';
    f->d.path = w->path;
    return &f->d;
}

/* Push a frame for `sub` of `up` (NULL: the top) holding its listing. */
static struct frame *push(struct walk *w, struct frame *up, const struct lfs_info *sub,
                          const lfs_block_t pair[2], struct lfs_info *v, size_t n,
                          struct err *e)
{
    size_t base = up ? up->pathlen + (up->pathlen ? 1 : 0) : 0;
    size_t need = base + (sub ? NAME_ESC_MAX(255) : 1);
    if (need > w->cap) {
        size_t ncap = need * 2;
        char *np = realloc(w->path, ncap);
        if (!np)
            return lfs_fail(w->fs, e, LFS_ERR_NOMEM, "out of memory"), NULL;
        w->path = np;
        w->cap = ncap;
    }
    struct frame *f = calloc(1, sizeof *f);
    if (!f)
        return lfs_fail(w->fs, e, LFS_ERR_NOMEM, "out of memory"), NULL;
    f->pathlen = 0;
    if (sub) {
        if (up->pathlen)
            w->path[up->pathlen] = '/';
        uint32_t len = sub->name_len < 255 ? sub->name_len : 255;
        f->pathlen = base + name_escape(sub->name, len, w->path + base, w->cap - base);
    }
    f->up = up;
    f->v = v;
    f->d = (struct lfs_walk_dir){ { pair[0], pair[1] }, up ? &up->d : NULL, sub, v, n,
                                  up ? up->d.depth + 1 : 0, "" };
    w->top = f;
    return f;
}

static void pop(struct walk *w)
{
    struct frame *f = w->top;
    w->top = f->up;
    free(f->v);
    free(f);
}

static int problem(struct walk *w, struct frame *f, const struct lfs_info *sub,
                   enum lfs_walk_problem kind, const char *why, struct err *e)
{
    if (!w->ops->problem)
        return 0;
    return w->ops->problem(w->ctx, at(w, f), sub, kind, why, e) ? -1 : 0;
}

static int list(struct walk *w, struct frame *f, struct err *e)
{
    return w->ops->list && w->ops->list(w->ctx, at(w, f), e) ? -1 : 0;
}

/* Subdirectory `sub` of f: entered (an unreadable one as if empty), or
 * reported when reached before. */
static int descend(struct walk *w, struct frame *f, const struct lfs_info *sub, struct err *e)
{
    struct err why;
    if (pair_was_seen(w->seen, w->fs->block_count, sub->dir)) {
        snprintf(why.msg, sizeof why.msg,
                 "directory pair {0x%x, 0x%x} is reached twice (a directory inside "
                 "itself, or in two places): not entered again", sub->dir[0], sub->dir[1]);
        return problem(w, f, sub, LFS_WALK_TWICE, why.msg, e);
    }
    int go = w->ops->enter ? w->ops->enter(w->ctx, at(w, f), sub, e) : 0;
    if (go)
        return go == 1 ? 0 : -1;
    struct lfs_info *v;
    size_t n;
    int r = dir_read(w->fs, sub->dir, w->seen, &v, &n, &why);
    if ((r < 0 && problem(w, f, sub, LFS_WALK_UNREADABLE, why.msg, e)) ||
        (r == 2 && problem(w, f, sub, LFS_WALK_PARTIAL, why.msg, e))) {
        free(v);
        return -1;
    }
    struct frame *c = push(w, f, sub, sub->dir, v, n, e);
    if (!c) {
        free(v);
        return -1;
    }
    return list(w, c, e);
}

static int run(struct walk *w, struct err *e)
{
    while (w->top) {
        struct frame *f = w->top;
        while (f->next < f->d.n && f->v[f->next].type != LFS_TYPE_DIR)
            f->next++;
        if (f->next < f->d.n) {
            if (descend(w, f, &f->v[f->next++], e))
                return -1;
            continue;
        }
        if (w->ops->leave && w->ops->leave(w->ctx, at(w, f), e))
            return -1;
        pop(w);
    }
    return 0;
}

/* Mark the pairs of the directories above `path` (the root, then each
 * prefix that ends before a '/'): a walk from a subdirectory that meets
 * one of them has found a loop. */
static int seed_above(struct walk *w, const char *path, struct err *e)
{
    size_t len = strlen(path);
    char *prefix = malloc(len + 2);
    if (!prefix)
        return lfs_fail(w->fs, e, LFS_ERR_NOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < len && !rc; i++) {
        size_t k = i;
        while (k < len && path[k] == '/')
            k++;
        if (i > 0 && (path[i] != '/' || path[i - 1] == '/'))
            continue;
        if (k == len)
            break;   /* the rest is the top itself */
        memcpy(prefix, path, i);
        prefix[i] = '\0';
        lfs_block_t head[2];
        rc = dir_head(w->fs, i ? prefix : "/", head, e);
        if (!rc)
            pair_seen(w->seen, w->fs->block_count, head);
    }
    free(prefix);
    return rc;
}

/* The top of the walk: listed (an error if it cannot be) and pushed. */
static int start(struct walk *w, const char *path, struct err *e)
{
    lfs_block_t head[2];
    if (dir_head(w->fs, path, head, e) || seed_above(w, path, e))
        return -1;
    struct lfs_info *v;
    size_t n;
    struct err why;
    int r = dir_read(w->fs, head, w->seen, &v, &n, &why);
    if (r == 1)
        return lfs_fail(w->fs, e, LFS_ERR_CORRUPT, "%s: is inside itself", path);
    if (r < 0) {
        *e = why;
        return err_prefix(e, "%s: ", path);
    }
    struct frame *f = push(w, NULL, NULL, head, v, n, e);
    if (!f) {
        free(v);
        return -1;
    }
    if (r == 2 && problem(w, f, NULL, LFS_WALK_PARTIAL, why.msg, e))
        return -1;
    return list(w, f, e);
}

/* lfs_walk with the pairs in `seen` taken as reached already. */
static int walk(struct lfs *fs, const char *path, const struct lfs_walk_ops *ops, void *ctx,
                uint8_t *seen, struct err *e)
{
    if (fs->walking)
        return lfs_fail(fs, e, LFS_ERR_INVAL, "%s: a walk is already in progress", path);
    struct walk w = { fs, ops, ctx, seen, NULL, NULL, 0 };
    fs->walking = &w;
    int rc = start(&w, path, e);
    if (rc == 0)
        rc = run(&w, e);
    while (w.top)
        pop(&w);
    fs->walking = NULL;
    free(w.path);
    return rc;
}

int lfs_walk(struct lfs *fs, const char *path, const struct lfs_walk_ops *ops, void *ctx,
             struct err *e)
{
    uint8_t *seen = seen_new(fs, e);
    if (!seen)
        return -1;
    int rc = walk(fs, path, ops, ctx, seen, e);
    free(seen);
    return rc;
}

/* ---- rm -r ---------------------------------------------------------------------- */

struct rm {
    struct lfs *fs;
    lfs_remove_report report;
    void *ctx;
};

/* Remove entry `ent` of directory `dir`, shown as `shown`. */
static int rm_entry(struct lfs *fs, const uint32_t dir[2], const struct lfs_info *ent,
                    bool unlink, const char *shown, struct err *e)
{
    if (ent->name_len > 255)
        return lfs_fail(fs, e, LFS_ERR_NAMETOOLONG, "%s: name longer than 255 bytes", shown);
    struct lookup r;
    if (fs_force_consistency(fs, e))
        return -1;
    if (fs_lookup_in(fs, dir, ent->name, ent->name_len, &r, e))
        return err_prefix(e, "%s: ", shown);
    return fs_remove_found(fs, &r, unlink, shown, e);
}

static int rm_list(void *ctx, const struct lfs_walk_dir *d, struct err *e)
{
    struct rm *rm = ctx;
    for (size_t i = 0; i < d->n; i++) {
        if (d->v[i].type != LFS_TYPE_REG)
            continue;
        char shown[ERR_MSG_MAX];
        lfs_walk_path(d, &d->v[i], shown, sizeof shown);
        if (rm_entry(rm->fs, d->dir, &d->v[i], false, shown, e))
            return -1;
    }
    return 0;
}

static int rm_leave(void *ctx, const struct lfs_walk_dir *d, struct err *e)
{
    struct rm *rm = ctx;
    if (!d->entry)
        return 0;   /* the top: lfs_remove_tree removes it by its path */
    return rm_entry(rm->fs, d->parent->dir, d->entry, false, d->path, e);
}

static int rm_problem(void *ctx, const struct lfs_walk_dir *d, const struct lfs_info *sub,
                      enum lfs_walk_problem kind, const char *why, struct err *e)
{
    struct rm *rm = ctx;
    char shown[ERR_MSG_MAX];
    if (sub)
        lfs_walk_path(d, sub, shown, sizeof shown);
    else
        snprintf(shown, sizeof shown, "%s", *d->path ? d->path : ".");
    if (kind != LFS_WALK_TWICE)
        return lfs_fail(rm->fs, e, LFS_ERR_CORRUPT, "%s: %s", shown, why);
    /* A second way to a directory: unlinking it loses nothing the first
     * way does not remove (or, in a loop, is removing) or keep. */
    (void)why;
    if (rm_entry(rm->fs, d->dir, sub, true, shown, e))
        return -1;
    char msg[128];
    snprintf(msg, sizeof msg, "a second entry for directory pair {0x%x, 0x%x} (a damaged "
             "filesystem): unlinked, the directory is removed or kept by its first",
             sub->dir[0], sub->dir[1]);
    if (rm->report)
        rm->report(rm->ctx, shown, msg);
    return 0;
}

/* Every directory outside the tree `top` is reached first: whatever the tree
 * shares with the rest of the filesystem (a second way into it, corruption)
 * is unlinked from the tree, not removed from under the rest. */
static int skip_top(void *ctx, const struct lfs_walk_dir *d, const struct lfs_info *sub,
                    struct err *e)
{
    (void)d;
    (void)e;
    return pair_overlap(sub->dir, ctx) ? 1 : 0;
}

static int rm_tree(struct lfs *fs, const char *path, struct rm *rm, struct err *e)
{
    static const struct lfs_walk_ops outside = { NULL, skip_top, NULL, NULL };
    static const struct lfs_walk_ops ops = { rm_list, NULL, rm_leave, rm_problem };
    lfs_block_t top[2];
    uint8_t *seen = seen_new(fs, e);
    int rc = seen ? dir_head(fs, path, top, e) : -1;
    if (!rc && !pair_overlap(top, fs->root))
        rc = walk(fs, "/", &outside, top, seen, e);
    if (!rc)
        rc = walk(fs, path, &ops, rm, seen, e);
    free(seen);
    return rc;
}

int lfs_remove_tree(struct lfs *fs, const char *path, lfs_remove_report report, void *ctx,
                    struct err *e)
{
    struct lfs_info info;
    if (lfs_stat(fs, path, &info, e))
        return -1;
    if (info.type == LFS_TYPE_DIR) {
        struct rm rm = { fs, report, ctx };
        if (rm_tree(fs, path, &rm, e))
            return -1;
        if (strspn(path, "/.") == strlen(path))
            return 0;   /* the root itself stays */
    }
    return lfs_remove(fs, path, e);
}

int lfs_remove_recursive(struct lfs *fs, const char *path, struct err *e)
{
    return lfs_remove_tree(fs, path, NULL, NULL, e);
}
