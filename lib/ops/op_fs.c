/* --fs operations on mounted littlefs partitions: the mount set, ls, cat,
 * mkdir -p, rm -r, rename, mkfs, grow, df/info figures.  The host-side
 * copies (get, put) are in op_fs_copy.c. */
#include "op_fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "op_fs_priv.h"

const char OP_FS_BOOT_PY[] =
    "# This file is executed on every boot (including wake-boot from deepsleep)\n"
    "#import esp\n"
    "#esp.osdebug(None)\n"
    "#import webrepl\n"
    "#webrepl.start()\n";

/* ---- mounts ---------------------------------------------------------------- */

struct op_fs {
    struct firmware *fw;
    int64_t (*clock_ns)(void);
    struct op_fs_mount m[OP_FS_MAX_MOUNTS];
    int n;
};

struct op_fs *op_fs_new(struct firmware *fw, int64_t (*clock_ns)(void))
{
    struct op_fs *set = calloc(1, sizeof *set);
    if (set) {
        set->fw = fw;
        set->clock_ns = clock_ns;
    }
    return set;
}

void op_fs_free(struct op_fs *set)
{
    if (!set)
        return;
    for (int i = 0; i < set->n; i++)
        lfs_free(set->m[i].fs);
    free(set);
}

static void config(const struct op_fs *set, struct lfs_config *c)
{
    lfs_config_micropython(c);
    c->write_back = true;
    c->auto_mtime = true;
    c->clock_ns = set->clock_ns;
}

/* The partition `name`, checked to lie inside the flash (a table may claim
 * more than a truncated file or a small chip holds). */
static int find_part(const struct op_fs *set, const char *name, struct part *p, struct err *e)
{
    const struct flash *f = set->fw->flash;
    if (firmware_find_part(set->fw, name, p, e))
        return -1;
    if (p->offset > f->size || p->size > f->size - p->offset)
        return err_set(e, "partition '%s' (0x%x..0x%x) lies beyond the end of the flash (0x%x)",
                       p->name, p->offset, p->offset + p->size, f->size);
    return 0;
}

static struct op_fs_mount *find_mount(struct op_fs *set, const char *name)
{
    for (int i = 0; i < set->n; i++)
        if (!strcmp(set->m[i].part.name, name))
            return &set->m[i];
    return NULL;
}

struct op_fs_mount *op_fs_mount(struct op_fs *set, const char *name, bool *fresh,
                                struct err *e)
{
    if (fresh)
        *fresh = false;
    struct op_fs_mount *m = find_mount(set, name);
    if (m)
        return m;
    if (set->n == OP_FS_MAX_MOUNTS)
        return err_set(e, "too many partitions"), NULL;
    m = &set->m[set->n];
    memset(m, 0, sizeof *m);
    if (find_part(set, name, &m->part, e))
        return NULL;
    struct lfs_config c;
    config(set, &c);
    if (lfs_mount(&m->fs, set->fw->flash, m->part.offset, m->part.size, &c, e))
        return err_prefix(e, "partition '%s': ", name), NULL;
    struct lfs_fsinfo fi;
    lfs_fs_info(m->fs, &fi);
    m->fs_blocks = fi.block_count;
    m->part_blocks = fi.part_blocks;
    m->blocks_mismatch = fi.block_count != fi.part_blocks;
    set->n++;
    if (fresh)
        *fresh = true;
    return m;
}

/* Forget a mount without writing it (its partition is about to be
 * formatted).  Pointers to other mounts stay valid only until this. */
static void drop_mount(struct op_fs *set, const char *name)
{
    struct op_fs_mount *m = find_mount(set, name);
    if (m) {
        lfs_free(m->fs);
        *m = set->m[--set->n];
    }
}

int op_fs_flush(struct op_fs *set, struct err *e)
{
    for (int i = 0; i < set->n; i++)
        if (lfs_flush(set->m[i].fs, e))
            return err_prefix(e, "partition '%s': ", set->m[i].part.name);
    return 0;
}

/* ---- paths ------------------------------------------------------------------ */

char *op_fs_join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    while (n > 0 && dir[n - 1] == '/')
        n--;
    size_t len = n + 1 + strlen(name) + 1;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%.*s/%s", (int)n, dir, name);
    return p;
}

char *op_fs_walk_path(const char *top, const struct lfs_walk_dir *d, const struct lfs_info *ent)
{
    size_t n = ent ? lfs_walk_path(d, ent, NULL, 0) : strlen(d->path);
    char *rel = malloc(n + 1);
    if (!rel)
        return NULL;
    if (ent)
        lfs_walk_path(d, ent, rel, n + 1);
    else
        memcpy(rel, d->path, n + 1);
    if (!top || (!*top && !*rel))
        return rel;
    char *p = *rel ? op_fs_join(top, rel) : strdup(top);
    free(rel);
    return p;
}

/* ---- ls, cat ------------------------------------------------------------------ */

struct ls {
    op_fs_ls_cb cb;
    op_fs_warn_cb warn;
    void *ctx;
    unsigned damaged;
};

/* A directory entered: its files, then its subdirectories. */
static int ls_list(void *ctx, const struct lfs_walk_dir *d, struct err *e)
{
    struct ls *ls = ctx;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < d->n; i++) {
            if ((d->v[i].type == LFS_TYPE_DIR) != (pass == 1))
                continue;
            char *rel = op_fs_walk_path(NULL, d, &d->v[i]);
            if (!rel)
                return err_set(e, "out of memory");
            ls->cb(ls->ctx, rel, &d->v[i]);
            free(rel);
        }
    return 0;
}

/* A damaged directory: reported, counted, and the listing goes on. */
static int ls_problem(void *ctx, const struct lfs_walk_dir *d, const struct lfs_info *sub,
                      enum lfs_walk_problem kind, const char *why, struct err *e)
{
    struct ls *ls = ctx;
    (void)kind;
    char *rel = op_fs_walk_path(NULL, d, sub);
    if (!rel)
        return err_set(e, "out of memory");
    if (ls->warn)
        ls->warn(ls->ctx, *rel ? rel : ".", why);
    free(rel);
    ls->damaged++;
    return 0;
}

int op_fs_ls(struct lfs *fs, const char *path, op_fs_ls_cb cb, op_fs_warn_cb warn, void *ctx,
             struct err *e)
{
    const char *p = *path ? path : "/";
    struct lfs_info info;
    if (lfs_stat(fs, p, &info, e))
        return -1;
    if (info.type == LFS_TYPE_REG) {
        char name[NAME_ESC_MAX(255)];
        name_escape(info.name, info.name_len < 255 ? info.name_len : 255, name, sizeof name);
        cb(ctx, name, &info);
        return 0;
    }
    static const struct lfs_walk_ops ops = { ls_list, NULL, NULL, ls_problem };
    struct ls ls = { cb, warn, ctx, 0 };
    if (lfs_walk(fs, p, &ops, &ls, e))
        return -1;
    if (ls.damaged)
        return err_set(e, "the filesystem is damaged: %u director%s not listed in full (see "
                          "--fs fsck)", ls.damaged, ls.damaged == 1 ? "y" : "ies");
    return 0;
}

int op_fs_cat(struct lfs *fs, const char *path, op_fs_sink sink, void *ctx, struct err *e)
{
    const char *p = *path ? path : "/";
    struct lfs_info info;
    if (lfs_stat(fs, p, &info, e))
        return -1;
    if (info.type != LFS_TYPE_REG)
        return err_set(e, "%s is not a file.", *path ? path : ".");
    struct lfs_file *f;
    if (lfs_file_open(fs, p, LFS_O_RDONLY, &f, e))
        return -1;
    uint8_t *buf = malloc(OP_FS_CHUNK);
    int64_t n = buf ? 0 : err_set(e, "out of memory");
    while (n == 0 && (n = lfs_file_read(f, buf, OP_FS_CHUNK, e)) > 0)
        n = sink(ctx, buf, (size_t)n, e);
    free(buf);
    struct err ignored;
    lfs_file_close(f, &ignored);
    return n < 0 ? -1 : 0;
}

/* ---- mkdir -p, rm -r, rename ------------------------------------------------------ */

int op_fs_mkdirs(struct lfs *fs, const char *path, struct err *e)
{
    char *buf = strdup(path);
    if (!buf)
        return err_set(e, "out of memory");
    int rc = 0;
    /* each prefix ending before a '/' (and the whole path), skipping the root */
    for (char *p = buf + (*buf != '\0'); !rc; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        struct lfs_info info;
        if (strspn(buf, "/.") != strlen(buf)) {
            if (lfs_stat(fs, buf, &info, e)) {
                if (lfs_errno(fs) != LFS_ERR_NOENT || lfs_mkdir(fs, buf, e))
                    rc = -1;
            } else if (info.type != LFS_TYPE_DIR) {
                rc = err_set(e, "%s: not a directory", buf);
            }
        }
        *p = c;
        if (!c)
            break;
    }
    free(buf);
    return rc;
}

int op_fs_rm(struct lfs *fs, const char *path, op_fs_warn_cb warn, void *ctx, struct err *e)
{
    return lfs_remove_tree(fs, *path ? path : "/", warn, ctx, e);
}

int op_fs_rename(struct lfs *fs, const char *from, const char *to, struct err *e)
{
    return lfs_rename(fs, from, to, e);
}

/* ---- mkfs --------------------------------------------------------------------------- */

int op_fs_mkfs_check(struct op_fs *set, const char *name, struct part *p, struct err *e)
{
    if (find_part(set, name, p, e))
        return -1;
    if (p->type != PART_TYPE_DATA)
        return err_set(e, "partition '%s' is not a data partition: refusing mkfs", p->name);
    if (p->size < 2 * OP_FS_BLOCK)
        return err_set(e, "partition '%s' is too small for a filesystem", p->name);
    return 0;
}

int op_fs_format(struct op_fs *set, const char *name, struct err *e)
{
    struct part p;
    if (op_fs_mkfs_check(set, name, &p, e))
        return -1;
    drop_mount(set, name);
    /* erase it all, as the Python tool does: no stale blocks of an older
     * filesystem are left for a recovery tool to confuse with ours */
    struct lfs_config c;
    config(set, &c);
    if (flash_erase(set->fw->flash, p.offset, p.size / OP_FS_BLOCK * OP_FS_BLOCK, e) ||
        lfs_format(set->fw->flash, p.offset, p.size, &c, e))
        return err_prefix(e, "partition '%s': ", name);
    return 0;
}

int op_fs_mkfs(struct op_fs *set, const char *name, struct err *e)
{
    if (op_fs_format(set, name, e))
        return -1;
    struct op_fs_mount *m = op_fs_mount(set, name, NULL, e);
    if (!m)
        return -1;
    if (lfs_write_file(m->fs, "/boot.py", OP_FS_BOOT_PY, (uint32_t)strlen(OP_FS_BOOT_PY), -1, e))
        return err_prefix(e, "partition '%s': ", name);
    return 0;
}

/* ---- grow ----------------------------------------------------------------------------- */

int op_fs_grow_plan(struct lfs *fs, uint32_t size, struct op_fs_grow *plan, struct err *e)
{
    struct lfs_fsinfo fi;
    lfs_fs_info(fs, &fi);
    plan->from = fi.block_count;
    plan->to = fi.part_blocks;
    if (size != OP_FS_GROW_FILL) {
        if (size % fi.block_size)
            return err_set(e, "size 0x%x is not a multiple of the block size (%u)", size,
                           fi.block_size);
        plan->to = size / fi.block_size;
    }
    return 0;
}

int op_fs_grow(struct lfs *fs, const struct op_fs_grow *plan, struct err *e)
{
    /* lfs_fs_grow refuses a shrink and a size past the partition */
    return lfs_fs_grow(fs, plan->to, e);
}

/* ---- df, info ------------------------------------------------------------------------------ */

int op_fs_stat(struct lfs *fs, struct op_fs_stat *st, struct err *e)
{
    struct lfs_fsinfo fi;
    if (lfs_fs_stat(fs, &fi, e))
        return -1;
    memset(st, 0, sizeof *st);
    st->version_major = fi.disk_version >> 16;
    st->version_minor = fi.disk_version & 0xffff;
    st->name_max = fi.name_max;
    st->block_size = fi.block_size;
    st->blocks = fi.block_count;
    st->used_blocks = fi.used_blocks;
    st->free_blocks = fi.used_blocks < fi.block_count ? fi.block_count - fi.used_blocks : 0;
    st->size = fi.block_size * fi.block_count;
    uint32_t kb = fi.block_size / 1024;
    st->total_kb = st->blocks * kb;
    st->used_kb = st->used_blocks * kb;
    st->free_kb = st->free_blocks * kb;
    st->used_pct = st->blocks ? 100.0 * st->used_blocks / st->blocks : 0.0;
    return 0;
}

int op_fs_default_parts(const struct firmware *fw, char names[][PTABLE_NAME_MAX + 1], int max)
{
    int n = 0;
    bool have_vfs = false;
    for (int i = 0; i < fw->table.n && n < max; i++) {
        const struct part *p = &fw->table.p[i];
        if (p->type == PART_TYPE_DATA && p->subtype == PART_SUBTYPE_FAT) {
            snprintf(names[n++], PTABLE_NAME_MAX + 1, "%s", p->name);
            have_vfs |= !strcmp(p->name, "vfs");
        }
    }
    struct part p;
    struct err e;
    if (n < max && !have_vfs && firmware_find_part(fw, "vfs", &p, &e) == 0)
        snprintf(names[n++], PTABLE_NAME_MAX + 1, "%s", "vfs");
    return n;
}
