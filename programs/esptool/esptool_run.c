/* Running one esptool command: on one board or on several at once, and
 * with --json as one document on stdout (schema: README "JSON output").
 * The commands themselves (esptool_*.c) print through es_print, which
 * goes to the board's line when several boards run, and add their results
 * to t->json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boards.h"
#include "esptool.h"

#define JSON_SCHEMA "mpi-json/1"

bool es_run_flag(const struct esptool *t, const char *opt)
{
    (void)t;
    return !strcmp(opt, "--json") || !strcmp(opt, "--no-diff") || !strcmp(opt, "--no-backup") ||
           !strcmp(opt, "--dry-run");
}

void es_run_set_flag(struct esptool *t, const char *opt)
{
    if (!strcmp(opt, "--json"))
        t->json_out = true;
    else if (!strcmp(opt, "--no-diff"))
        t->lo.no_diff = true;
    else if (!strcmp(opt, "--no-backup"))
        t->no_backup = true;
    else
        t->dry_run = true;
}

int es_add_port(struct esptool *t, const char *list, struct err *e)
{
    char **ports;
    int n = boards_parse(list, &ports, e);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (t->nports == 64) {
            boards_free_ports(ports, n);
            return err_set(e, "more than 64 ports");
        }
        t->ports[t->nports++] = ports[i];   /* kept for the run */
    }
    free(ports);
    t->port = t->ports[0];
    return 0;
}

/* The commands that may run on several boards at once. */
static bool fleet_command(const char *name)
{
    static const char *const ok[] = { "write-flash", "erase-flash", "verify-flash", "read-mac",
                                      "chip-id", NULL };
    for (int i = 0; ok[i]; i++)
        if (!strcmp(ok[i], name))
            return true;
    return false;
}

struct fleet {
    const struct esptool *proto;
    es_cmd_fn fn;
    int argc;
    char **argv;
};

/* One board: a copy of the run's state with its own port and loader. */
static int run_board(struct board *b, void *ctx, struct err *e)
{
    const struct fleet *f = ctx;
    struct esptool *t = malloc(sizeof *t);
    if (!t)
        return err_set(e, "out of memory");
    *t = *f->proto;
    t->port = b->port;
    t->nports = 0;
    t->l = NULL;
    t->lo.ctx = t;
    t->chip_name[0] = t->mac[0] = '\0';
    t->json = t->json_out ? &b->result : NULL;
    if (t->json)
        json_obj(t->json, NULL);
    int rc = f->fn(t, f->argc, f->argv, e);
    snprintf(b->chip, sizeof b->chip, "%s", t->chip_name);
    snprintf(b->mac, sizeof b->mac, "%s", t->mac);
    if (t->json)
        json_end(t->json);
    if (t->l)
        es_finish(t);
    free(t);
    return rc;
}

static void board_json(struct json *j, const struct board *b)
{
    json_obj(j, NULL);
    board_json_fields(j, b);
    if (b->result.len)
        json_raw(j, "result", json_text((struct json *)&b->result));
    json_end(j);
}

static int run_fleet(struct esptool *t, es_cmd_fn fn, int argc, char **argv, struct json *doc,
                     struct err *e)
{
    struct board *b = calloc((size_t)t->nports, sizeof *b);
    if (!b)
        return err_set(e, "out of memory");
    for (int i = 0; i < t->nports; i++)
        b[i].port = t->ports[i];
    struct fleet f = { t, fn, argc, argv };
    int failed = boards_run(b, t->nports, run_board, &f, false, t->json_out);
    if (doc) {
        json_arr(doc, "boards");
        for (int i = 0; i < t->nports; i++)
            board_json(doc, &b[i]);
        json_end(doc);
    }
    for (int i = 0; i < t->nports; i++)
        json_free(&b[i].result);
    free(b);
    if (failed)
        return err_set(e, "%d of %d boards failed (see the table above)", failed, t->nports);
    return 0;
}

int es_run(struct esptool *t, const char *name, es_cmd_fn fn, int argc, char **argv,
           struct err *e)
{
    struct json doc = { 0 };
    struct json *j = t->json_out ? &doc : NULL;
    if (j) {
        json_obj(j, NULL);
        json_str(j, "schema", JSON_SCHEMA);
        json_str(j, "tool", "esptool");
        json_str(j, "command", name);
    }
    int rc;
    if (t->nports > 1 && fleet_command(name)) {
        rc = run_fleet(t, fn, argc, argv, j, e);
    } else {
        if (t->nports > 1)
            return err_set(e, "%s works on one port; several were given", name);
        t->json = j;
        rc = fn(t, argc, argv, e);
        if (j && t->port_name[0])
            json_str(j, "port", t->port_name);
        if (j && t->chip_name[0])
            json_str(j, "chip", t->chip_name);
        if (j && t->mac[0])
            json_str(j, "mac", t->mac);
    }
    if (j) {
        json_bool(j, "ok", rc == 0);
        if (rc) {
            json_obj(j, "error");
            json_str(j, "message", e->msg);
            json_end(j);
        }
        json_end(j);
        printf("%s\n", json_text(j));
        fflush(stdout);
        json_free(j);
    }
    return rc;
}
