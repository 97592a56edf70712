/* Options of one command, as esptool v5 (click) and v4 (argparse) take
 * them: both spellings (--flash-size / --flash_size), "--opt=value",
 * choices checked with esptool v5's message, positionals in order; -h
 * prints the command's own help.  The ESPTOOL_FM/FF/FS defaults. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esptool_cmds.h"

static bool name_matches(const char *names, const char *opt)
{
    char buf[96];
    snprintf(buf, sizeof buf, "%s", names);
    for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|"))
        if (!strcmp(tok, opt))
            return true;
    return false;
}

static const struct es_opt *find(const struct es_opt *opts, const char *opt)
{
    for (const struct es_opt *o = opts; o->names; o++)
        if (name_matches(o->names, opt))
            return o;
    return NULL;
}

/* "--flash-size' / '-fs" as click names an option in its messages. */
static void click_name(const char *names, char *out, size_t cap)
{
    size_t n = 0;
    char buf[96];
    snprintf(buf, sizeof buf, "%s", names);
    out[0] = '\0';
    for (char *tok = strtok(buf, "|"); tok && n < cap; tok = strtok(NULL, "|"))
        n += (size_t)snprintf(out + n, cap - n, "%s'%s'", n ? " / " : "", tok);
}

int es_check_choice(const char *names, const char *value, const char *const *choices,
                    struct err *e)
{
    for (const char *const *c = choices; *c; c++)
        if (!strcmp(*c, value))
            return 0;
    char opt[96], list[400];
    size_t n = 0;
    click_name(names, opt, sizeof opt);
    for (const char *const *c = choices; *c && n < sizeof list; c++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s'%s'", n ? ", " : "", *c);
    return err_set(e, "Invalid value for %s: '%s' is not one of %s.", opt, value, list);
}

static int take(const struct es_opt *o, const char *value, struct err *e)
{
    if (o->choices && es_check_choice(o->names, value, o->choices, e) != 0)
        return -1;
    if (o->list) {
        if (*o->count >= o->max)
            return err_set(e, "too many %s options", o->names);
        o->list[(*o->count)++] = value;
    } else {
        *o->value = value;
    }
    return 0;
}

int es_parse_opts(int argc, char **argv, const struct es_opt *opts, const char **pos, int maxpos,
                  int *npos, struct err *e)
{
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        char opt[96];
        es_normalize(argv[i], opt, sizeof opt);
        const char *eq = strchr(argv[i], '=');
        if (opt[0] == '-' && opt[1] == '-' && eq)
            opt[eq - argv[i]] = '\0';
        bool dash = argv[i][0] == '-' && argv[i][1] && !(argv[i][1] >= '0' && argv[i][1] <= '9');
        const struct es_opt *o = dash ? find(opts, opt) : NULL;
        if (dash && !o)
            return err_set(e, "No such option: %s (see '%s -h')", argv[i], argv[0]);
        if (!o) {
            if (*npos >= maxpos)
                return err_set(e, "Got unexpected extra argument (%s) (see '%s -h')", argv[i],
                               argv[0]);
            pos[(*npos)++] = argv[i];
            continue;
        }
        if (o->flag) {
            *o->flag = true;
            continue;
        }
        const char *v = eq && !strncmp(opt, "--", 2) ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!v)
            return err_set(e, "Option '%s' requires an argument.", argv[i]);
        if (take(o, v, e) != 0)
            return -1;
    }
    return 0;
}

int es_parse_any_int(const char *name, const char *s, uint32_t *out, struct err *e)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (!*s || *end || v > UINT32_MAX || s[0] == '-')
        return err_set(e, "Invalid value for '%s': '%s' is not a valid integer.", name, s);
    *out = (uint32_t)v;
    return 0;
}

const char *es_env_default(const char *var, const char *fallback)
{
    const char *v = getenv(var);
    return v && *v ? v : fallback;
}

const char *const es_flash_modes[] = { "qio", "qout", "dio", "dout", NULL };
const char *const es_flash_freqs[] = { "80m", "60m", "48m", "40m", "30m", "26m", "24m", "20m",
                                       "16m", "15m", "12m", NULL };
const char *const es_flash_sizes[] = { "256KB", "512KB", "1MB", "2MB", "2MB-c1", "4MB",
                                       "4MB-c1", "8MB", "16MB", "32MB", "64MB", "128MB", NULL };

void es_normalize(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = in[i] == '_' ? '-' : in[i];
    out[i] = '\0';
}

int es_parse_u32(const char *s, uint32_t *out)
{
    if (!s || !*s)
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s || errno)
        return -1;
    unsigned long long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1024 * 1024, end++;
    if (mul > 1 && (*end == 'B' || *end == 'b'))
        end++;
    if (*end || v * mul > UINT32_MAX)
        return -1;
    *out = (uint32_t)(v * mul);
    return 0;
}
