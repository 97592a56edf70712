/* littlefs files.
 *
 * A file is an entry with a NAME (type REG), a struct and user attributes.
 * Up to inline_max bytes live in an INLINESTRUCT inside the directory;
 * larger files are CTZ skip-lists (lfs_ctz.c).  MicroPython adds user
 * attribute 1: the mtime, u64 LE nanoseconds since 1970.
 *
 * Writing is copy-on-write: a write at position p starts a new chain that
 * shares the old chain's blocks before p; the block holding p is copied to a
 * fresh block, new data fills fresh blocks, and at sync the rest of the old
 * file is copied after it.  Nothing reaches the directory until the sync
 * commit (STRUCT + attributes, plus CREATE + NAME for a new file), so a power
 * cut leaves the old file or the new one.  The block being filled is kept in
 * memory and written whole. */
#include <stdlib.h>
#include <time.h>

#include "lfs_priv.h"

struct lfs_file {
    struct lfs *fs;
    struct lfs_file *next;
    char *path;
    int flags;
    bool exists;            /* the entry is on disk (else created at sync) */
    bool inl;               /* inline: data in ibuf */
    uint8_t *ibuf;
    lfs_block_t head;       /* CTZ chain (when !inl) */
    uint32_t size;
    uint32_t pos;
    bool dirty;             /* the entry needs a commit */
    bool writer;            /* counted in fs->writers: has uncommitted blocks */
    bool erred;
    bool has_mtime;
    int64_t mtime;
    /* write session: the new chain being built */
    bool writing;
    lfs_block_t wblock;
    uint32_t windex, woff;
    uint8_t *wbuf;
    bool old_inl;           /* what is being replaced, to copy its tail at flush */
    uint8_t *old_ibuf;
    lfs_block_t old_head;
    uint32_t old_size;
    struct ctz_seen seen;   /* what reads have checked of the chain */
};

int file_traverse_open(struct lfs *fs, block_cb cb, void *ctx, struct err *e)
{
    /* Blocks of open files are all "in flight" for the allocator (its
     * checkpoint waits for the last writer's commit), so nothing to add. */
    (void)fs;
    (void)cb;
    (void)ctx;
    (void)e;
    return 0;
}

static int64_t system_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ns(const struct lfs *fs)
{
    return fs->cfg.clock_ns ? fs->cfg.clock_ns() : system_ns();
}

static bool writable(const struct lfs_file *f) { return (f->flags & LFS_O_WRONLY) != 0; }

static uint32_t cur_size(const struct lfs_file *f)
{
    if (f->writing)
        return f->pos > f->old_size ? f->pos : f->old_size;
    return f->size;
}

static void set_writer(struct lfs_file *f, bool on)
{
    if (on && !f->writer)
        f->fs->writers++;
    else if (!on && f->writer)
        f->fs->writers--;
    f->writer = on;
}

/* The file has a new chain: what reads checked of the old one is void. */
static void chain_changed(struct lfs_file *f)
{
    if (f->seen.map)
        memset(f->seen.map, 0, (f->fs->block_count + 7) / 8);
    f->seen.next = 0;
}

/* Read from what the session replaces (inline bytes or the old chain). */
static int read_old(struct lfs_file *f, uint32_t pos, void *buf, uint32_t n, struct err *e)
{
    if (f->old_inl) {
        memcpy(buf, f->old_ibuf + pos, n);
        return 0;
    }
    return ctz_read(f->fs, f->old_head, f->old_size, pos, buf, n, NULL, e);
}

/* Write the block being filled and start block index+1 after it, its skip
 * pointers taken from the blocks before it. */
static int finish_block(struct lfs_file *f, struct err *e)
{
    struct lfs *fs = f->fs;
    if (bd_erase(&fs->bd, f->wblock, e) || bd_prog(&fs->bd, f->wblock, 0, f->wbuf, f->woff, e)) {
        fs->broken = true;
        return -1;
    }
    return 0;
}

static int alloc_wblock(struct lfs_file *f, uint32_t index, struct err *e)
{
    memset(f->wbuf, 0xff, f->fs->cfg.block_size);
    if (lfs_alloc(f->fs, &f->wblock, e))
        return -1;
    f->windex = index;
    f->woff = 0;
    return 0;
}

static int start_block(struct lfs_file *f, uint32_t index, lfs_block_t prev, struct err *e)
{
    struct lfs *fs = f->fs;
    if (alloc_wblock(f, index, e))
        return -1;
    uint32_t skips = ctz_ptrs(index);
    lfs_block_t p = prev;
    for (uint32_t j = 0; j < skips; j++) {
        put_le32(f->wbuf + 4 * j, p);
        if (j + 1 < skips) {
            const uint8_t *b = bd_block(&fs->bd, p, e);
            if (!b)
                return -1;
            p = get_le32(b + 4 * j);
            if (p >= fs->block_count)
                return lfs_fail(fs, e, LFS_ERR_CORRUPT, "file block 0x%x: bad skip pointer", p);
        }
    }
    f->woff = 4 * skips;
    return 0;
}

static int session_write(struct lfs_file *f, const uint8_t *data, uint32_t len, struct err *e)
{
    const uint32_t bs = f->fs->cfg.block_size;
    while (len > 0) {
        if (f->woff == bs) {
            if (finish_block(f, e) || start_block(f, f->windex + 1, f->wblock, e))
                return -1;
        }
        uint32_t n = min_u32(len, bs - f->woff);
        memcpy(f->wbuf + f->woff, data, n);
        f->woff += n;
        f->pos += n;
        data += n;
        len -= n;
    }
    return 0;
}

/* Begin a session at f->pos: share the old chain's blocks before it. */
static int begin_session(struct lfs_file *f, struct err *e)
{
    struct lfs *fs = f->fs;
    const uint32_t bs = fs->cfg.block_size;
    if (!f->wbuf && !(f->wbuf = malloc(bs)))
        return lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory");
    set_writer(f, true);
    f->old_inl = f->inl;
    f->old_head = f->head;
    f->old_size = f->size;
    if (f->inl) {
        /* outlining: the inline bytes before pos go first */
        f->old_ibuf = f->ibuf;
        f->ibuf = NULL;
        f->inl = false;
        uint32_t pos = f->pos;
        f->pos = 0;
        f->writing = true;
        if (start_block(f, 0, LFS_BLOCK_NULL, e))
            return -1;
        return session_write(f, f->old_ibuf, pos, e);
    }
    f->writing = true;
    if (f->pos == 0)
        return start_block(f, 0, LFS_BLOCK_NULL, e);
    lfs_block_t b;
    uint32_t off;
    if (ctz_find(fs, f->head, f->size, f->pos - 1, &b, &off, e))
        return -1;
    uint32_t index = ctz_index(bs, f->pos - 1, &off);
    off += 1;
    if (off == bs)
        return start_block(f, index + 1, b, e);
    /* the block holding pos is only partly kept: copy that part (its skip
     * pointers included) to a fresh block */
    const uint8_t *src = bd_block(&fs->bd, b, e);
    if (!src || alloc_wblock(f, index, e))
        return -1;
    memcpy(f->wbuf, src, off);
    f->woff = off;
    return 0;
}

/* End the session: copy the old file's tail, write the last block. */
static int flush_session(struct lfs_file *f, struct err *e)
{
    if (!f->writing)
        return 0;
    uint32_t pos = f->pos;
    uint8_t buf[1024];
    while (f->pos < f->old_size) {
        uint32_t n = min_u32(sizeof buf, f->old_size - f->pos);
        if (read_old(f, f->pos, buf, n, e) || session_write(f, buf, n, e))
            return -1;
    }
    if (finish_block(f, e))
        return -1;
    f->head = f->wblock;
    chain_changed(f);
    f->size = f->pos;
    f->pos = pos;
    f->writing = false;
    free(f->old_ibuf);
    f->old_ibuf = NULL;
    f->old_inl = false;
    f->dirty = true;
    return 0;
}

static void file_free(struct lfs_file *f)
{
    struct lfs *fs = f->fs;
    set_writer(f, false);
    for (struct lfs_file **p = &fs->files; *p; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            break;
        }
    alloc_checkpoint(fs);
    free(f->path);
    free(f->ibuf);
    free(f->old_ibuf);
    free(f->wbuf);
    free(f->seen.map);
    free(f);
}

/* Open what fs_lookup found (`found`) or where it would be created. */
static int file_open(struct lfs *fs, const struct lookup *lk, bool found, const char *path,
                     int flags, struct lfs_file **out, struct err *e)
{
    struct lookup r = *lk;
    if (found && r.type != TY_REG)
        return lfs_fail(fs, e, LFS_ERR_ISDIR, "%s: is a directory", path);
    if (found && (flags & LFS_O_CREAT) && (flags & LFS_O_EXCL))
        return lfs_fail(fs, e, LFS_ERR_EXIST, "%s: already exists", path);
    if (!found && !(flags & LFS_O_WRONLY))
        return lfs_fail(fs, e, LFS_ERR_NOENT, "%s: no such file", path);
    struct lfs_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory");
    }
    f->fs = fs;
    f->flags = flags;
    f->inl = true;
    f->exists = found;
    f->head = LFS_BLOCK_NULL;
    if (found) {
        struct fields fl;
        if (mdir_fields(fs, &r.d, true, &fl, e)) {
            free(f->path);
            free(f);
            return -1;
        }
        const struct field *s = fields_get(&fl, r.id, T1_STRUCT << 8, MASK_TYPE1);
        const struct field *m = fields_get(&fl, r.id, TY_USERATTR + LFS_ATTR_MTIME, MASK_TYPE3);
        if (m && m->size >= 8) {
            f->has_mtime = true;
            f->mtime = (int64_t)((uint64_t)get_le32(m->data) |
                                 (uint64_t)get_le32(m->data + 4) << 32);
        }
        int bad = 0;
        if (flags & LFS_O_TRUNC) {
            f->dirty = true;
        } else if (s && s->type == TY_CTZSTRUCT && s->size >= 8) {
            f->inl = false;
            f->head = get_le32(s->data);
            f->size = get_le32(s->data + 4);
            if (f->size > 0 && ctz_check(fs, f->head, f->size, e))
                bad = 1;
            if (f->size == 0)
                f->inl = true;
        } else if (s && s->type == TY_INLINESTRUCT) {
            f->size = s->size;
            f->ibuf = malloc(s->size ? s->size : 1);
            if (f->ibuf)
                memcpy(f->ibuf, s->data, s->size);
            else
                bad = 2;
        } else {
            bad = 1;
        }
        fields_free(&fl);
        if (bad) {
            free(f->ibuf);
            free(f->path);
            free(f);
            return bad == 2 ? lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory")
                            : lfs_fail(fs, e, LFS_ERR_CORRUPT, "%s: file has a bad struct",
                                       path);
        }
    } else {
        if (r.namelen > fs->name_max) {
            free(f->path);
            free(f);
            return lfs_fail(fs, e, LFS_ERR_NAMETOOLONG, "%s: name too long", path);
        }
        f->dirty = true;
    }
    if (writable(f) && fs->cfg.auto_mtime) {
        f->has_mtime = true;
        f->mtime = now_ns(fs);
        f->dirty = true;
    }
    f->next = fs->files;
    fs->files = f;
    *out = f;
    return 0;
}

int lfs_file_open(struct lfs *fs, const char *path, int flags, struct lfs_file **out,
                  struct err *e)
{
    *out = NULL;
    if ((flags & LFS_O_RDWR) == 0)
        return lfs_fail(fs, e, LFS_ERR_INVAL, "%s: open needs read and/or write access", path);
    if ((flags & LFS_O_WRONLY) && fs_force_consistency(fs, e))
        return -1;
    struct lookup r;
    int found = fs_lookup(fs, path, true, &r, e) == 0;
    if (!found && !(fs->errcode == LFS_ERR_NOENT && r.parent_ok && (flags & LFS_O_CREAT)))
        return -1;
    if (found && r.id == 0x3ff)
        return lfs_fail(fs, e, LFS_ERR_ISDIR, "%s: is a directory", path);
    return file_open(fs, &r, found, path, flags, out, e);
}

int lfs_file_open_at(struct lfs *fs, const uint32_t dir[2], const char *name, uint32_t len,
                     const char *shown, struct lfs_file **out, struct err *e)
{
    *out = NULL;
    struct lookup r;
    if (fs_lookup_in(fs, dir, name, len, &r, e))
        return err_prefix(e, "%s: ", shown);
    return file_open(fs, &r, true, shown, LFS_O_RDONLY, out, e);
}

void lfs_file_set_mtime(struct lfs_file *f, int64_t mtime_ns)
{
    f->has_mtime = true;
    f->mtime = mtime_ns;
    f->dirty = true;
}

uint32_t lfs_file_size(const struct lfs_file *f) { return cur_size(f); }

/* n bytes of the committed chain at f->pos, checking the chain as it is
 * read from its start (the map is made on the first read). */
static int read_chain(struct lfs_file *f, void *buf, uint32_t n, struct err *e)
{
    struct lfs *fs = f->fs;
    if (!f->seen.map && !(f->seen.map = calloc((fs->block_count + 7) / 8, 1)))
        return lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory");
    return ctz_read(fs, f->head, f->size, f->pos, buf, n, &f->seen, e);
}

int64_t lfs_file_read(struct lfs_file *f, void *buf, uint32_t len, struct err *e)
{
    if (!(f->flags & LFS_O_RDONLY))
        return lfs_fail(f->fs, e, LFS_ERR_BADF, "%s: not open for reading", f->path);
    if (flush_session(f, e))
        return -1;
    if (f->pos >= f->size)
        return 0;
    uint32_t n = min_u32(len, f->size - f->pos);
    if (f->inl)
        memcpy(buf, f->ibuf + f->pos, n);
    else if (read_chain(f, buf, n, e))
        return err_prefix(e, "%s: ", f->path);
    f->pos += n;
    return n;
}

static int write_bytes(struct lfs_file *f, const uint8_t *data, uint32_t len, struct err *e)
{
    struct lfs *fs = f->fs;
    if (f->inl) {
        uint32_t end = f->pos + len;
        if ((end > f->size ? end : f->size) <= fs->inline_max) {
            uint8_t *nb = realloc(f->ibuf, fs->inline_max ? fs->inline_max : 1);
            if (!nb)
                return lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory");
            f->ibuf = nb;
            memcpy(f->ibuf + f->pos, data, len);
            f->pos = end;
            if (end > f->size)
                f->size = end;
            return 0;
        }
    }
    if (!f->writing && begin_session(f, e))
        return -1;
    return session_write(f, data, len, e);
}

int lfs_file_write(struct lfs_file *f, const void *buf, uint32_t len, struct err *e)
{
    struct lfs *fs = f->fs;
    if (!writable(f))
        return lfs_fail(fs, e, LFS_ERR_BADF, "%s: not open for writing", f->path);
    if (f->erred || fs->broken)
        return lfs_fail(fs, e, LFS_ERR_IO, "%s: an earlier write failed", f->path);
    if ((f->flags & LFS_O_APPEND) && f->pos != cur_size(f)) {
        if (flush_session(f, e))
            goto fail;
        f->pos = f->size;
    }
    if ((uint64_t)f->pos + len > fs->file_max)
        return lfs_fail(fs, e, LFS_ERR_FBIG, "%s: file would exceed %u bytes", f->path,
                        fs->file_max);
    if (len == 0)
        return 0;
    /* a write past the end fills the gap with zeros */
    uint32_t size = cur_size(f);
    if (f->pos > size) {
        uint32_t target = f->pos;
        if (f->writing && f->pos != size) {
            if (flush_session(f, e))
                goto fail;
        }
        f->pos = f->size;
        static const uint8_t zeros[256];
        while (f->pos < target) {
            uint32_t n = min_u32(sizeof zeros, target - f->pos);
            if (write_bytes(f, zeros, n, e))
                goto fail;
        }
    }
    if (write_bytes(f, buf, len, e))
        goto fail;
    f->dirty = true;
    if (fs->cfg.auto_mtime)
        f->mtime = now_ns(fs), f->has_mtime = true;
    return 0;
fail:
    f->erred = true;
    return -1;
}

int64_t lfs_file_seek(struct lfs_file *f, int64_t off, int whence, struct err *e)
{
    int64_t base = whence == LFS_SEEK_SET ? 0 : whence == LFS_SEEK_CUR ? f->pos : cur_size(f);
    int64_t np = base + off;
    if (np < 0 || np > f->fs->file_max)
        return lfs_fail(f->fs, e, LFS_ERR_INVAL, "%s: seek to %lld is out of range", f->path,
                        (long long)np);
    if ((uint32_t)np != f->pos && flush_session(f, e))
        return -1;
    f->pos = (uint32_t)np;
    return np;
}

int lfs_file_truncate(struct lfs_file *f, uint32_t size, struct err *e)
{
    struct lfs *fs = f->fs;
    if (!writable(f))
        return lfs_fail(fs, e, LFS_ERR_BADF, "%s: not open for writing", f->path);
    if (size > fs->file_max)
        return lfs_fail(fs, e, LFS_ERR_FBIG, "%s: size too large", f->path);
    if (flush_session(f, e))
        return -1;
    if (size < f->size) {
        if (size <= fs->inline_max) {
            uint8_t *nb = malloc(fs->inline_max ? fs->inline_max : 1);
            if (!nb)
                return lfs_fail(fs, e, LFS_ERR_NOMEM, "out of memory");
            int r = 0;
            if (f->inl)
                memcpy(nb, f->ibuf, size);
            else
                r = ctz_read(fs, f->head, f->size, 0, nb, size, NULL, e);
            if (r) {
                free(nb);
                return -1;
            }
            free(f->ibuf);
            f->ibuf = nb;
            f->inl = true;
            f->head = LFS_BLOCK_NULL;
            chain_changed(f);
        } else {
            lfs_block_t b;
            uint32_t off;
            if (ctz_find(fs, f->head, f->size, size - 1, &b, &off, e))
                return -1;
            f->head = b;
            chain_changed(f);
        }
        f->size = size;
        f->dirty = true;
    } else if (size > f->size) {
        uint32_t pos = f->pos;
        f->pos = f->size;
        static const uint8_t zeros[256];
        while (f->pos < size) {
            uint32_t n = min_u32(sizeof zeros, size - f->pos);
            if (write_bytes(f, zeros, n, e))
                return -1;
        }
        f->dirty = true;
        if (flush_session(f, e))
            return -1;
        f->pos = pos;
    }
    return 0;
}

int lfs_file_sync(struct lfs_file *f, struct err *e)
{
    struct lfs *fs = f->fs;
    if (!writable(f))
        return 0;
    if (f->erred)
        return lfs_fail(fs, e, LFS_ERR_IO, "%s: an earlier write failed", f->path);
    if (flush_session(f, e))
        goto fail;
    if (!f->dirty)
        return 0;
    if (fs_force_consistency(fs, e))
        goto fail;
    struct lookup r;
    int found = fs_lookup(fs, f->path, true, &r, e) == 0;
    if (!found && (f->exists || fs->errcode != LFS_ERR_NOENT || !r.parent_ok))
        goto fail;
    if (found && r.type != TY_REG) {
        lfs_fail(fs, e, LFS_ERR_ISDIR, "%s: is a directory", f->path);
        goto fail;
    }
    uint8_t ctz[8], mt[8];
    struct mattr a[5];
    int n = 0;
    if (!found) {
        a[n++] = (struct mattr){ TAG(TY_CREATE, r.id, 0), NULL };
        a[n++] = (struct mattr){ TAG(TY_REG, r.id, r.namelen), r.name };
    }
    if (f->inl) {
        a[n++] = (struct mattr){ TAG(TY_INLINESTRUCT, r.id, f->size), f->ibuf };
    } else {
        put_le32(ctz, f->head);
        put_le32(ctz + 4, f->size);
        a[n++] = (struct mattr){ TAG(TY_CTZSTRUCT, r.id, 8), ctz };
    }
    if (f->has_mtime) {
        put_le32(mt, (uint32_t)(uint64_t)f->mtime);
        put_le32(mt + 4, (uint32_t)((uint64_t)f->mtime >> 32));
        a[n++] = (struct mattr){ TAG(TY_USERATTR + LFS_ATTR_MTIME, r.id, 8), mt };
    }
    if (fs_commit(fs, &r.d, a, n, e))
        goto fail;
    f->exists = true;
    f->dirty = false;
    set_writer(f, false);
    alloc_checkpoint(fs);
    return 0;
fail:
    f->erred = true;
    return -1;
}

int lfs_file_close(struct lfs_file *f, struct err *e)
{
    int r = 0;
    if (writable(f) && !f->erred)
        r = lfs_file_sync(f, e);
    else if (writable(f) && f->erred)
        r = lfs_fail(f->fs, e, LFS_ERR_IO, "%s: an earlier write failed", f->path);
    file_free(f);
    return r;
}

int lfs_write_file(struct lfs *fs, const char *path, const void *data, uint32_t len,
                   int64_t mtime_ns, struct err *e)
{
    struct lfs_file *f;
    if (lfs_file_open(fs, path, LFS_O_WRONLY | LFS_O_CREAT | LFS_O_TRUNC, &f, e))
        return -1;
    if (mtime_ns >= 0)
        lfs_file_set_mtime(f, mtime_ns);
    if (lfs_file_write(f, data, len, e)) {
        file_free(f);
        return -1;
    }
    if (mtime_ns >= 0)
        lfs_file_set_mtime(f, mtime_ns);
    return lfs_file_close(f, e);
}

int lfs_read_file(struct lfs *fs, const char *path, uint8_t **data, uint32_t *len,
                  struct err *e)
{
    *data = NULL;
    *len = 0;
    struct lfs_file *f;
    if (lfs_file_open(fs, path, LFS_O_RDONLY, &f, e))
        return -1;
    uint32_t size = lfs_file_size(f);
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        file_free(f);
        return lfs_fail(fs, e, LFS_ERR_NOMEM, "%s: out of memory for %u bytes", path, size);
    }
    int64_t got = lfs_file_read(f, buf, size, e);
    file_free(f);
    if (got < 0 || (uint32_t)got != size) {
        free(buf);
        if (got >= 0)
            return lfs_fail(fs, e, LFS_ERR_CORRUPT, "%s: short read", path);
        return -1;
    }
    *data = buf;
    *len = size;
    return 0;
}
