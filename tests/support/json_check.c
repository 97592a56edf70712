/* json_check SCHEMA_FILE < DOCUMENT: is DOCUMENT one JSON text (RFC 8259)
 * that the schema in SCHEMA_FILE (README.md: the ```json-schema block of
 * "JSON output") describes?  Exit 0 yes; 1 with the first problem and its
 * path on stderr.
 *
 * The schema language, as the README shows it:
 *   NAME = TYPE ;                      a definition; the first is the root
 *   TYPE = TYPE | TYPE                 either
 *        | { key: TYPE, key?: TYPE }   an object: these keys only, `?` optional
 *        | [ TYPE ]                    an array of TYPE
 *        | string | int | number | bool | null | any | "literal" | NAME
 * Comments run from # to the end of the line. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON values ---- */
enum jt { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
struct jv {
    enum jt t;
    bool integer;
    char *s;                    /* string */
    int n;                      /* array/object size */
    struct jv *v;               /* elements */
    char **k;                   /* object keys */
};

static const char *jp;
static char jerr[256];

static void ws(void) { while (*jp == ' ' || *jp == '\t' || *jp == '\n' || *jp == '\r') jp++; }

static bool jval(struct jv *out);

static char *jstring(void)
{
    size_t cap = 64, n = 0;
    char *s = malloc(cap);
    jp++;
    while (*jp != '"') {
        if (!*jp || (unsigned char)*jp < 0x20) {
            snprintf(jerr, sizeof jerr, "bad string");
            free(s);
            return NULL;
        }
        char c = *jp++;
        if (c == '\\') {
            c = *jp++;
            if (c == 'u') {
                for (int i = 0; i < 4; i++)
                    if (!isxdigit((unsigned char)jp[i])) {
                        snprintf(jerr, sizeof jerr, "bad \\u escape");
                        free(s);
                        return NULL;
                    }
                jp += 4;
                c = '?';
            } else if (!strchr("\"\\/bfnrt", c)) {
                snprintf(jerr, sizeof jerr, "bad escape");
                free(s);
                return NULL;
            }
        }
        if (n + 2 > cap)
            s = realloc(s, cap *= 2);
        s[n++] = c;
    }
    jp++;
    s[n] = '\0';
    return s;
}

/* Frees what jval allocated, also for a value it gave up on halfway. */
static void jv_free(struct jv *o)
{
    for (int i = 0; i < o->n; i++) {
        jv_free(&o->v[i]);
        free(o->k ? o->k[i] : NULL);
    }
    free(o->v);
    free(o->k);
    free(o->s);
}

static bool jnumber(struct jv *o)
{
    const char *p = jp;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p) || (*p == '0' && isdigit((unsigned char)p[1])))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    o->integer = true;
    if (*p == '.') {
        o->integer = false;
        if (!isdigit((unsigned char)*++p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        o->integer = false;
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    o->t = J_NUM;
    jp = p;
    return true;
}

static bool jlist(struct jv *o, char close, bool keys)
{
    jp++;
    ws();
    if (*jp == close) {
        jp++;
        return true;
    }
    for (;;) {
        o->v = realloc(o->v, (size_t)(o->n + 1) * sizeof *o->v);
        o->k = realloc(o->k, (size_t)(o->n + 1) * sizeof *o->k);
        o->k[o->n] = NULL;
        ws();
        if (keys) {
            if (*jp != '"' || !(o->k[o->n] = jstring()))
                return snprintf(jerr, sizeof jerr, "expected a key"), false;
            ws();
            if (*jp++ != ':') {
                free(o->k[o->n]);
                return snprintf(jerr, sizeof jerr, "expected ':'"), false;
            }
        }
        if (!jval(&o->v[o->n++]))
            return false;
        ws();
        if (*jp == close) {
            jp++;
            return true;
        }
        if (*jp++ != ',')
            return snprintf(jerr, sizeof jerr, "expected ',' or '%c'", close), false;
    }
}

static bool jval(struct jv *o)
{
    memset(o, 0, sizeof *o);
    ws();
    if (*jp == '{') {
        o->t = J_OBJ;
        return jlist(o, '}', true);
    }
    if (*jp == '[') {
        o->t = J_ARR;
        return jlist(o, ']', false);
    }
    if (*jp == '"') {
        o->t = J_STR;
        return (o->s = jstring()) != NULL;
    }
    if (!strncmp(jp, "true", 4) || !strncmp(jp, "false", 5)) {
        o->t = J_BOOL;
        jp += *jp == 't' ? 4 : 5;
        return true;
    }
    if (!strncmp(jp, "null", 4)) {
        jp += 4;
        return true;
    }
    if (jnumber(o))
        return true;
    snprintf(jerr, sizeof jerr, "unexpected '%.10s'", jp);
    return false;
}

/* ---- the schema ---- */
struct def { char name[64]; const char *at; };
static struct def defs[256];
static int ndefs;
static const char *sp;          /* schema text being read */
static char path[4096];

static void sws(void)
{
    for (;;) {
        while (isspace((unsigned char)*sp))
            sp++;
        if (*sp != '#')
            return;
        while (*sp && *sp != '\n')
            sp++;
    }
}

static int word(char *out, int cap)
{
    sws();
    int n = 0;
    while ((isalnum((unsigned char)*sp) || *sp == '_' || *sp == '-') && n < cap - 1)
        out[n++] = *sp++;
    out[n] = '\0';
    return n;
}

static void die(const char *what)
{
    fprintf(stderr, "json_check: schema: %s at '%.30s'\n", what, sp);
    exit(2);
}

/* Skip one TYPE (to find where definitions end). */
static void skip_type(void)
{
    for (;;) {
        sws();
        char w[64];
        if (*sp == '{' || *sp == '[') {
            char open = *sp, close = open == '{' ? '}' : ']';
            int depth = 0;
            do {
                if (*sp == '"') {
                    sp = strchr(sp + 1, '"');
                    if (!sp)
                        die("unterminated literal");
                } else if (*sp == open) {
                    depth++;
                } else if (*sp == close) {
                    depth--;
                } else if (!*sp) {
                    die("unclosed bracket");
                }
                sp++;
            } while (depth);
        } else if (*sp == '"') {
            sp = strchr(sp + 1, '"');
            if (!sp)
                die("unterminated literal");
            sp++;
        } else if (!word(w, sizeof w)) {
            die("expected a type");
        }
        sws();
        if (*sp != '|')
            return;
        sp++;
    }
}

static void read_defs(const char *text)
{
    sp = text;
    for (;;) {
        sws();
        if (!*sp)
            return;
        if (ndefs == 256)
            die("too many definitions");
        if (!word(defs[ndefs].name, sizeof defs[0].name))
            die("expected a definition");
        sws();
        if (*sp++ != '=')
            die("expected '='");
        defs[ndefs++].at = sp;
        skip_type();
        sws();
        if (*sp++ != ';')
            die("expected ';'");
    }
}

static bool check(const struct jv *v);

static bool fail(const char *why)
{
    fprintf(stderr, "json_check: %s: %s\n", path[0] ? path : "(document)", why);
    return false;
}

/* One alternative at sp against v: 1 matches, 0 not (sp after it). */
static bool one(const struct jv *v, bool *matched, char *why, size_t cap)
{
    sws();
    char w[64];
    if (*sp == '"') {
        const char *end = strchr(sp + 1, '"');
        size_t n = (size_t)(end - sp - 1);
        *matched = v->t == J_STR && strlen(v->s) == n && !strncmp(v->s, sp + 1, n);
        if (!*matched)
            snprintf(why, cap, "not the literal %.*s", (int)n + 2, sp);
        sp = end + 1;
        return true;
    }
    if (*sp == '[') {
        sp++;
        const char *elem = sp;
        skip_type();
        sws();
        if (*sp++ != ']')
            die("expected ']'");
        const char *after = sp;
        *matched = v->t == J_ARR;
        if (!*matched)
            snprintf(why, cap, "not an array");
        size_t plen = strlen(path);
        for (int i = 0; *matched && i < v->n; i++) {
            snprintf(path + plen, sizeof path - plen, "[%d]", i);
            sp = elem;
            *matched = check(&v->v[i]);
            if (!*matched)
                snprintf(why, cap, "element %d", i);
        }
        path[plen] = '\0';
        sp = after;
        return true;
    }
    if (*sp == '{') {
        sp++;
        bool seen[512] = { false };
        *matched = v->t == J_OBJ;
        if (!*matched)
            snprintf(why, cap, "not an object");
        size_t plen = strlen(path);
        for (;;) {
            sws();
            if (*sp == '}') {
                sp++;
                break;
            }
            char key[64];
            if (!word(key, sizeof key))
                die("expected a key");
            bool optional = *sp == '?';
            sp += optional;
            sws();
            if (*sp++ != ':')
                die("expected ':' after a key");
            int found = -1;
            for (int i = 0; *matched && i < v->n && i < 512; i++)
                if (!strcmp(v->k[i], key))
                    found = i;
            const char *type = sp;
            skip_type();
            const char *next = sp;
            if (*matched && found < 0 && !optional) {
                *matched = false;
                snprintf(why, cap, "key '%s' missing", key);
            } else if (*matched && found >= 0) {
                seen[found] = true;
                snprintf(path + plen, sizeof path - plen, ".%s", key);
                sp = type;
                *matched = check(&v->v[found]);
                if (!*matched)
                    snprintf(why, cap, "key '%s'", key);
                path[plen] = '\0';
            }
            sp = next;
            sws();
            if (*sp == ',')
                sp++;
        }
        for (int i = 0; *matched && i < v->n && i < 512; i++)
            if (!seen[i]) {
                *matched = false;
                snprintf(why, cap, "key '%s' is not in the schema", v->k[i]);
            }
        return true;
    }
    if (!word(w, sizeof w))
        die("expected a type");
    if (!strcmp(w, "string")) *matched = v->t == J_STR;
    else if (!strcmp(w, "int")) *matched = v->t == J_NUM && v->integer;
    else if (!strcmp(w, "number")) *matched = v->t == J_NUM;
    else if (!strcmp(w, "bool")) *matched = v->t == J_BOOL;
    else if (!strcmp(w, "null")) *matched = v->t == J_NULL;
    else if (!strcmp(w, "any")) *matched = true;
    else {
        int d = -1;
        for (int i = 0; i < ndefs; i++)
            if (!strcmp(defs[i].name, w))
                d = i;
        if (d < 0)
            die("unknown type");
        const char *back = sp;
        sp = defs[d].at;
        *matched = check(v);
        sp = back;
        if (!*matched)
            snprintf(why, cap, "not a %s", w);
        return true;
    }
    if (!*matched)
        snprintf(why, cap, "not a %s", w);
    return true;
}

/* TYPE at sp (alternatives) against v; sp ends after it. */
static bool check(const struct jv *v)
{
    bool ok = false;
    char why[256] = "", first[256] = "";
    char saved[sizeof path];
    memcpy(saved, path, sizeof path);
    for (;;) {
        bool m = false;
        one(v, &m, why, sizeof why);
        if (!ok && !m && !first[0])
            snprintf(first, sizeof first, "%s", why);
        ok = ok || m;
        sws();
        if (*sp != '|')
            break;
        sp++;
    }
    memcpy(path, saved, sizeof path);
    if (!ok && first[0])
        snprintf(jerr, sizeof jerr, "%s", first);
    return ok;
}

/* The ```json-schema block of the README. */
static char *schema_text(const char *file)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *a = strstr(buf, "```json-schema\n");
    if (!a)
        return buf;   /* a file that is only the schema */
    a += strlen("```json-schema\n");
    char *z = strstr(a, "```");
    if (z)
        *z = '\0';
    return a;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: json_check SCHEMA_FILE < DOCUMENT\n");
        return 2;
    }
    const char *schema = schema_text(argv[1]);
    if (!schema) {
        fprintf(stderr, "json_check: cannot read %s\n", argv[1]);
        return 2;
    }
    read_defs(schema);
    if (!ndefs)
        die("no definitions");
    static char doc[16 << 20];
    size_t n = fread(doc, 1, sizeof doc - 1, stdin);
    doc[n] = '\0';
    jp = doc;
    struct jv v;
    int rc = 0;
    if (!jval(&v)) {
        fprintf(stderr, "json_check: not JSON: %s\n", jerr);
        rc = 1;
    } else if (ws(), *jp) {
        fprintf(stderr, "json_check: more than one JSON text (at '%.20s')\n", jp);
        rc = 1;
    } else {
        sp = defs[0].at;
        if (!check(&v))
            rc = (fail(jerr), 1);
    }
    jv_free(&v);
    return rc;
}
