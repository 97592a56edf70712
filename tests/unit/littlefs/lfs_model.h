/* An in-memory model of a filesystem tree, for the randomised and
 * power-loss tests: the expected state, independent of littlefs. */
#ifndef LFS_MODEL_H
#define LFS_MODEL_H

#include "lfs_testutil.h"

struct ment {
    char path[160];
    bool dir;
    uint8_t *data;
    uint32_t len;
    int64_t mtime;
};

struct model {
    struct ment *v;
    int n, cap;
};

static inline struct ment *m_find(struct model *m, const char *p)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->v[i].path, p))
            return &m->v[i];
    return NULL;
}

static inline void m_del(struct model *m, struct ment *x)
{
    free(x->data);
    *x = m->v[--m->n];
}

static inline struct ment *m_add(struct model *m, const char *p, bool dir)
{
    if (m->n == m->cap)
        m->v = realloc(m->v, (size_t)(m->cap = m->cap ? m->cap * 2 : 64) * sizeof *m->v);
    struct ment *x = &m->v[m->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->path, sizeof x->path, "%s", p);
    x->dir = dir;
    return x;
}

static inline bool m_under(const char *dir, const char *p)
{
    size_t n = strlen(dir);
    return !strncmp(p, dir, n) && p[n] == '/';
}

static inline void m_rmtree(struct model *m, const char *p)
{
    for (int i = 0; i < m->n;)
        if (!strcmp(m->v[i].path, p) || m_under(p, m->v[i].path))
            m_del(m, &m->v[i]);
        else
            i++;
}

static inline void m_rename(struct model *m, const char *from, const char *to)
{
    struct ment *t = m_find(m, to);
    if (t && strcmp(from, to))
        m_del(m, t);
    char tmp[160];
    for (int i = 0; i < m->n; i++) {
        struct ment *x = &m->v[i];
        if (!strcmp(x->path, from))
            snprintf(x->path, sizeof x->path, "%s", to);
        else if (m_under(from, x->path)) {
            snprintf(tmp, sizeof tmp, "%s%s", to, x->path + strlen(from));
            snprintf(x->path, sizeof x->path, "%s", tmp);
        }
    }
}

static inline bool m_empty_dir(struct model *m, const char *p)
{
    for (int i = 0; i < m->n; i++)
        if (m_under(p, m->v[i].path))
            return false;
    return true;
}

static inline char *m_snapshot(struct model *m)
{
    struct sbuf b = { 0 };
    sb_add(&b, "%s", "");
    for (int i = 0; i < m->n; i++) {
        struct ment *x = &m->v[i];
        if (x->dir)
            sb_add(&b, "%s d\n", x->path);
        else
            sb_add(&b, "%s f %u %08x %lld\n", x->path, x->len, fnv1a(x->data, x->len),
                   (long long)x->mtime);
    }
    return sort_lines(b.s);
}

static inline void m_free(struct model *m)
{
    for (int i = 0; i < m->n; i++)
        free(m->v[i].data);
    free(m->v);
    memset(m, 0, sizeof *m);
}

static inline uint32_t m_bytes(struct model *m)
{
    uint32_t t = 0;
    for (int i = 0; i < m->n; i++)
        t += m->v[i].len + 64;
    return t;
}

#endif
