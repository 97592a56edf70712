#include "mpi_args.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

/* The number part: decimal, 0x hex, 0o octal, 0b binary, or a float. */
static int parse_number(const char *s, size_t n, double *out)
{
    char buf[64];
    if (n == 0) {
        *out = 0;
        return 0;
    }
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    if (strchr(buf, '.')) {
        *out = strtod(buf, &end);
    } else if (buf[0] == '0' && (buf[1] == 'o' || buf[1] == 'O')) {
        *out = (double)strtoull(buf + 2, &end, 8);
    } else if (buf[0] == '0' && (buf[1] == 'b' || buf[1] == 'B') && buf[2]) {
        *out = (double)strtoull(buf + 2, &end, 2);
    } else if (buf[0] == '0' && buf[1] && buf[1] != 'x' && buf[1] != 'X') {
        return -1;                     /* "010" is not a number, as in Python */
    } else {
        *out = (double)strtoull(buf, &end, 0);
    }
    return (*end || errno || buf[0] == '-' || buf[0] == '+') ? -1 : 0;
}

/* A size with an optional unit; `plain` multiplies a number without one. */
static int parse_scaled(const char *s, double plain, uint32_t *out, struct err *e)
{
    /* Suffixes tested in this order, as the Python tool does; so "0x1b"
     * means 0x1 blocks (its documented quirk, kept for compatibility). */
    static const struct { const char *suffix; double mult; } units[] = {
        { "M", 0x100000 }, { "MB", 0x100000 }, { "K", 0x400 }, { "KB", 0x400 }, { "B", 0x1000 },
    };
    size_t n = strlen(s);
    double mult = plain, v;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ends_with(s, n, units[i].suffix)) {
            n -= strlen(units[i].suffix);
            mult = units[i].mult;
            break;
        }
    if (parse_number(s, n, &v))
        return err_set(e, "invalid size '%s'", s);
    v *= mult;
    if (v < 0 || v > 4294967295.0 || v != (double)(uint64_t)v)
        return err_set(e, "size '%s' is not a whole number of bytes that fits 32 bits", s);
    *out = (uint32_t)v;
    return 0;
}

int parse_size(const char *s, uint32_t *out, struct err *e)
{
    return parse_scaled(s, 1, out, e);
}

int parse_blocks(const char *s, uint32_t *out, struct err *e)
{
    return parse_scaled(s, 0x1000, out, e);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

int parse_list(const char *s, struct arg_list *out, struct err *e)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", s) >= (int)sizeof buf)
        return err_set(e, "argument too long: '%.40s...'", s);
    memset(out, 0, sizeof *out);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (out->n >= ARG_MAX_ITEMS)
            return err_set(e, "too many items in '%.40s'", s);
        struct arg_item *it = &out->item[out->n++];
        char *f = tok;
        for (;;) {
            char *sep = strpbrk(f, "=:");
            if (it->n == ARG_MAX_FIELDS || (sep == NULL && it->n == ARG_MAX_FIELDS))
                return err_set(e, "too many fields in '%s'", tok);
            if (sep)
                *sep = '\0';
            snprintf(it->field[it->n++], sizeof it->field[0], "%s", trim(f));
            if (!sep)
                break;
            f = sep + 1;
        }
    }
    return 0;
}

int parse_parts(const char *s, struct layout_item *items, int max, struct err *e)
{
    struct arg_list l;
    if (parse_list(s, &l, e))
        return -1;
    if (l.n > max)
        return err_set(e, "too many partitions in '%.40s'", s);
    for (int i = 0; i < l.n; i++) {
        const struct arg_item *a = &l.item[i];
        struct layout_item *it = &items[i];
        memset(it, 0, sizeof *it);
        if (!a->field[0][0])
            return err_set(e, "missing partition name in '%s'", s);
        snprintf(it->name, sizeof it->name, "%s", a->field[0]);
        /* NAME | NAME=SIZE | NAME=SUBTYPE:SIZE | NAME=SUBTYPE:OFFSET:SIZE, and
         * NAME:OFFSET:SIZE when the middle field is a number (no subtype is). */
        const char *size = a->n >= 2 ? a->field[a->n - 1] : "0";
        if (a->n == 3) {
            uint32_t off;
            struct err ignore;
            if (parse_size(a->field[1], &off, &ignore) == 0 && isdigit((unsigned char)a->field[1][0]))
                it->offset = off;
            else
                snprintf(it->subtype, sizeof it->subtype, "%s", a->field[1]);
        } else if (a->n == 4) {
            snprintf(it->subtype, sizeof it->subtype, "%s", a->field[1]);
            if (parse_size(a->field[2], &it->offset, e))
                return err_prefix(e, "partition '%s': ", it->name);
        }
        if (parse_size(size, &it->size, e))
            return err_prefix(e, "partition '%s': ", it->name);
    }
    return l.n;
}

void human_size(uint32_t size, char *out, int cap)
{
    if (size < 512)
        snprintf(out, (size_t)cap, "(%.1f B)", (double)size);
    else if (size < 0x80000)
        snprintf(out, (size_t)cap, "(%.1f kB)", size / 1024.0);
    else
        snprintf(out, (size_t)cap, "(%.1f MB)", size / 1048576.0);
}
