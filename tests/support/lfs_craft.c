/* Damaged littlefs filesystems for the tests (lfs_craft.h). */
#include "lfs_craft.h"

#include <stdio.h>
#include <stdlib.h>

#include "lfs_priv.h"

int craft_rename(struct lfs *fs, const char *path, const void *name, uint32_t len,
                 struct err *e)
{
    struct lookup r;
    if (fs_lookup(fs, path, true, &r, e))
        return -1;
    struct mattr a = { TAG(r.type, r.id, len), name };
    return fs_commit(fs, &r.d, &a, 1, e);
}

int craft_link(struct lfs *fs, const char *dir, const char *name, const char *target,
               struct err *e)
{
    struct lfs_info t;
    if (lfs_stat(fs, target, &t, e))
        return -1;
    if (t.type != LFS_TYPE_DIR)
        return err_set(e, "%s: not a directory", target);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct lookup r;
    if (fs_lookup(fs, path, true, &r, e) == 0)
        return err_set(e, "%s: exists", path);
    if (!r.parent_ok)
        return -1;
    uint8_t p[8];
    put_le32(p, t.dir[0]);
    put_le32(p + 4, t.dir[1]);
    struct mattr a[3] = {
        { TAG(TY_CREATE, r.id, 0), NULL },
        { TAG(TY_DIR, r.id, r.namelen), r.name },
        { TAG(TY_DIRSTRUCT, r.id, 8), p },
    };
    return fs_commit(fs, &r.d, a, 3, e);
}

/* The CTZ struct of file `path`: its head and size, and where it is. */
static int ctz_of(struct lfs *fs, const char *path, struct lookup *r, uint32_t *head,
                  uint32_t *size, struct err *e)
{
    struct fields f;
    if (fs_lookup(fs, path, true, r, e) || mdir_fields(fs, &r->d, true, &f, e))
        return -1;
    const struct field *s = fields_get(&f, r->id, TY_CTZSTRUCT, MASK_TYPE3);
    if (s && s->size == 8) {
        *head = get_le32(s->data);
        *size = get_le32(s->data + 4);
    }
    fields_free(&f);
    return s ? 0 : err_set(e, "%s: not a file in blocks", path);
}

int craft_ctz_loop(struct lfs *fs, const char *path, struct err *e)
{
    struct lookup r;
    uint32_t head, size, off;
    if (ctz_of(fs, path, &r, &head, &size, e))
        return -1;
    uint32_t index = ctz_index(fs->cfg.block_size, size - 1, &off);
    if (index == 0)
        return err_set(e, "%s: one block, no pointers", path);
    const uint8_t *b = bd_block(&fs->bd, head, e);
    uint8_t *copy = b ? malloc(fs->cfg.block_size) : NULL;
    if (!copy)
        return -1;
    memcpy(copy, b, fs->cfg.block_size);
    for (uint32_t j = 0; j < ctz_ptrs(index); j++)
        put_le32(copy + 4 * j, head);
    int rc = bd_erase(&fs->bd, head, e) || bd_prog(&fs->bd, head, 0, copy, fs->cfg.block_size, e)
                 ? -1 : 0;
    free(copy);
    return rc;
}

int craft_ctz_size(struct lfs *fs, const char *path, uint32_t size, struct err *e)
{
    struct lookup r;
    uint32_t head, old;
    if (ctz_of(fs, path, &r, &head, &old, e))
        return -1;
    uint8_t ctz[8];
    put_le32(ctz, head);
    put_le32(ctz + 4, size);
    struct mattr a = { TAG(TY_CTZSTRUCT, r.id, 8), ctz };
    return fs_commit(fs, &r.d, &a, 1, e);
}

int craft_deep(struct lfs *fs, int levels, struct err *e)
{
    if (lfs_mkdir(fs, "/t", e) || lfs_write_file(fs, "/t/bottom.txt", "deep", 4, -1, e))
        return -1;
    for (int i = 1; i < levels; i++)
        if (lfs_mkdir(fs, "/n", e) || lfs_rename(fs, "/t", "/n/t", e) ||
            lfs_rename(fs, "/n", "/t", e))
            return err_prefix(e, "level %d: ", i);
    return 0;
}
