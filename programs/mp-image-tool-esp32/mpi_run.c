/* The state of one mp-image-tool-esp32 run and its helpers: what the option
 * groups share.  Kept apart from mpi_main.c so that the option groups call
 * only down into this file, never up into the file that sequences them. */
#include "mpi_run.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mpi_args.h"
#include "names.h"

struct firmware *mpi_firmware(struct mpi_run *run) { return &run->fw; }
void *mpi_fs_state(struct mpi_run *run) { return run->fs_state; }
void mpi_set_fs_state(struct mpi_run *run, void *state) { run->fs_state = state; }

void mpi_name_fragment(struct mpi_run *run, const char *fmt, ...)
{
    size_t n = strlen(run->out_ext);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run->out_ext + n, sizeof run->out_ext - n, fmt, ap);
    va_end(ap);
}

/* "-key=a=b,c": fields joined with '=', items with ','; empty fields and, for
 * partition lists, zero numbers dropped; numbers in decimal (§2.3). */
void mpi_list_fragment(struct mpi_run *run, const char *key, const char *list, bool parts)
{
    char buf[1024] = "";
    size_t n = 0;
    if (parts) {
        struct layout_item items[ARG_MAX_ITEMS];
        struct err e;
        int k = parse_parts(list, items, ARG_MAX_ITEMS, &e);
        for (int i = 0; i < k && n < sizeof buf; i++) {
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? "," : "", items[i].name);
            if (items[i].subtype[0] && n < sizeof buf)
                n += (size_t)snprintf(buf + n, sizeof buf - n, "=%s", items[i].subtype);
            if (items[i].offset && n < sizeof buf)
                n += (size_t)snprintf(buf + n, sizeof buf - n, "=%u", items[i].offset);
            if (items[i].size && n < sizeof buf)
                n += (size_t)snprintf(buf + n, sizeof buf - n, "=%u", items[i].size);
        }
    } else {
        struct arg_list l;
        struct err e;
        if (parse_list(list, &l, &e) == 0)
            for (int i = 0; i < l.n && n < sizeof buf; i++)
                for (int j = 0; j < l.item[i].n && n < sizeof buf; j++)
                    if (l.item[i].field[j][0])
                        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s",
                                              j ? "=" : (i ? "," : ""), l.item[i].field[j]);
    }
    mpi_name_fragment(run, "-%s=%s", key, buf);
}

/* Output name: the input's base name with the fragments put before its
 * extension, in the current directory (§2.3). */
void mpi_output_name(const struct mpi_run *run, char *out, size_t cap)
{
    const char *in = run->opts.input;
    const char *base = host_base_name(in);
    const char *dot = strrchr(base, '.');
    const char *ext = run->out_ext[0] ? run->out_ext : "-fs";
    if (!dot || dot == base)
        snprintf(out, cap, "%s%s", base, ext);
    else
        snprintf(out, cap, "%.*s%s%s", (int)(dot - base), base, ext, dot);
}

bool mpi_grow_requested(const struct mpi_run *run, const char *name)
{
    const struct mpi_opts *o = &run->opts;
    for (int i = 0; i < o->n_fs; i++) {
        const struct mpi_fs_cmd *c = &o->fs[i];
        if (strcmp(c->argv[0], "grow") == 0 &&
            strcmp(c->argc > 1 ? c->argv[1] : "vfs", name) == 0)
            return true;
    }
    return false;
}
