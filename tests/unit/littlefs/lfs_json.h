/* A minimal JSON reader for the littlefs fixture manifest (tests only).
 * Numbers keep their text so 64-bit nanosecond mtimes stay exact. */
#ifndef LFS_TEST_JSON_H
#define LFS_TEST_JSON_H

#include <stdlib.h>
#include <string.h>

enum { JNULL, JBOOL, JNUM, JSTR, JARR, JOBJ };

struct jv {
    int type;
    char *s;                /* string, or the number's text */
    long long i;            /* number (integers) / bool */
    int n;                  /* array/object length */
    struct jv *v;           /* items / values */
    char **k;               /* object keys */
};

static void jv_free(struct jv *j)
{
    free(j->s);
    for (int i = 0; i < j->n; i++) {
        jv_free(&j->v[i]);
        if (j->k)
            free(j->k[i]);
    }
    free(j->v);
    free(j->k);
}

static const char *j_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    return p;
}

static void j_utf8(char **o, unsigned c)
{
    char *q = *o;
    if (c < 0x80) {
        *q++ = (char)c;
    } else if (c < 0x800) {
        *q++ = (char)(0xc0 | c >> 6);
        *q++ = (char)(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
        *q++ = (char)(0xe0 | c >> 12);
        *q++ = (char)(0x80 | (c >> 6 & 0x3f));
        *q++ = (char)(0x80 | (c & 0x3f));
    } else {
        *q++ = (char)(0xf0 | c >> 18);
        *q++ = (char)(0x80 | (c >> 12 & 0x3f));
        *q++ = (char)(0x80 | (c >> 6 & 0x3f));
        *q++ = (char)(0x80 | (c & 0x3f));
    }
    *o = q;
}

static const char *j_str(const char *p, char **out)
{
    const char *s = ++p;
    size_t cap = 16;
    while (*s && *s != '"') {
        if (*s == '\\')
            s++;
        s++;
        cap++;
    }
    char *o = malloc(cap * 4), *q = o;
    while (*p && *p != '"') {
        if (*p != '\\') {
            *q++ = *p++;
            continue;
        }
        p++;
        char c = *p++;
        if (c == 'n') *q++ = '\n';
        else if (c == 't') *q++ = '\t';
        else if (c == 'r') *q++ = '\r';
        else if (c == 'b') *q++ = '\b';
        else if (c == 'f') *q++ = '\f';
        else if (c == 'u') {
            unsigned u = (unsigned)strtoul((char[5]){ p[0], p[1], p[2], p[3], 0 }, NULL, 16);
            p += 4;
            if (u >= 0xd800 && u < 0xdc00 && p[0] == '\\' && p[1] == 'u') {
                unsigned l = (unsigned)strtoul((char[5]){ p[2], p[3], p[4], p[5], 0 }, NULL, 16);
                p += 6;
                u = 0x10000 + ((u - 0xd800) << 10) + (l - 0xdc00);
            }
            j_utf8(&q, u);
        } else
            *q++ = c;
    }
    *q = 0;
    *out = o;
    return *p ? p + 1 : p;
}

static const char *j_parse(const char *p, struct jv *j)
{
    memset(j, 0, sizeof *j);
    p = j_ws(p);
    if (*p == '{' || *p == '[') {
        int obj = *p == '{';
        j->type = obj ? JOBJ : JARR;
        p = j_ws(p + 1);
        int cap = 0;
        while (*p && *p != (obj ? '}' : ']')) {
            if (j->n == cap) {
                cap = cap ? cap * 2 : 8;
                j->v = realloc(j->v, (size_t)cap * sizeof *j->v);
                if (obj)
                    j->k = realloc(j->k, (size_t)cap * sizeof *j->k);
            }
            if (obj) {
                p = j_str(j_ws(p), &j->k[j->n]);
                p = j_ws(p);
                if (*p == ':')
                    p++;
            }
            p = j_parse(p, &j->v[j->n]);
            j->n++;
            p = j_ws(p);
            if (*p == ',')
                p = j_ws(p + 1);
        }
        return *p ? p + 1 : p;
    }
    if (*p == '"') {
        j->type = JSTR;
        return j_str(p, &j->s);
    }
    if (!strncmp(p, "null", 4)) {
        j->type = JNULL;
        return p + 4;
    }
    if (!strncmp(p, "true", 4) || !strncmp(p, "false", 5)) {
        j->type = JBOOL;
        j->i = *p == 't';
        return p + (*p == 't' ? 4 : 5);
    }
    j->type = JNUM;
    const char *s = p;
    while (*p && strchr("+-0123456789.eE", *p))
        p++;
    j->s = strndup(s, (size_t)(p - s));
    j->i = strtoll(j->s, NULL, 10);
    return p;
}

static const struct jv *jget(const struct jv *j, const char *key)
{
    if (!j || j->type != JOBJ)
        return NULL;
    for (int i = 0; i < j->n; i++)
        if (!strcmp(j->k[i], key))
            return &j->v[i];
    return NULL;
}

#endif
