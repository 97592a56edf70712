#include "boards.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "port_serial.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local struct board *self;

/* What is on the terminal: the boards' block of lines. */
static struct view {
    struct board *b;
    int n;
    bool tty;
    FILE *f;
    int drawn;                 /* lines of the block on the screen */
    double last;               /* when it was last drawn */
} view;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct board *board_self(void)
{
    return self;
}

/* One board's line: port, chip, then its bar or its last message. */
static void draw_line(const struct board *b)
{
    char bar[31] = "";
    fprintf(view.f, "%-22.22s %-9.9s ", b->port, b->chip[0] ? b->chip : "-");
    if (b->line_bar && b->total) {
        int fill = (int)(b->done * 30 / b->total);
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '=' : ' ';
        bar[30] = '\0';
        fprintf(view.f, "%-10.10s [%s] %3d%%", b->line, bar, (int)(b->done * 100 / b->total));
    } else {
        fprintf(view.f, "%.100s", b->line);
    }
    fputs("\033[K\n", view.f);
}

/* Redraw the block in place (at most every 0.1 s unless forced). */
static void redraw(bool force)
{
    double t = now_s();
    if (!force && t - view.last < 0.1)
        return;
    view.last = t;
    if (view.drawn)
        fprintf(view.f, "\033[%dA", view.drawn);
    for (int i = 0; i < view.n; i++)
        draw_line(&view.b[i]);
    view.drawn = view.n;
    fflush(view.f);
}

void board_say(struct board *b, const char *fmt, ...)
{
    char text[sizeof b->line];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (!text[0])
        return;
    pthread_mutex_lock(&lock);
    snprintf(b->line, sizeof b->line, "%s", text);
    b->line_bar = false;
    if (view.tty)
        redraw(false);
    else if (view.f)
        fprintf(view.f, "[%s] %s\n", b->port, text);
    pthread_mutex_unlock(&lock);
}

void board_progress(struct board *b, const char *what, uint64_t done, uint64_t total)
{
    if (!total)
        return;
    pthread_mutex_lock(&lock);
    bool fresh = !b->line_bar || strcmp(b->line, what) || done < b->done;
    if (fresh)
        b->quarter = 0;
    snprintf(b->line, sizeof b->line, "%s", what);
    b->line_bar = true;
    b->done = done;
    b->total = total;
    int q = (int)(done * 4 / total);
    if (view.tty) {
        redraw(done >= total);
    } else if (view.f && q > b->quarter) {
        b->quarter = q;
        fprintf(view.f, "[%s] %s: %d%%\n", b->port, what, q * 25);
    }
    pthread_mutex_unlock(&lock);
}

struct worker {
    struct board *b;
    board_job job;
    void *ctx;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct board *b = w->b;
    struct err e;
    err_clear(&e);
    self = b;
    double t0 = now_s();
    b->rc = w->job(b, w->ctx, &e);
    b->secs = now_s() - t0;
    if (b->rc)
        snprintf(b->msg, sizeof b->msg, "%s", e.msg);
    board_say(b, "%s", b->rc ? "FAILED" : "done");
    return NULL;
}

static void table(struct board *b, int n, FILE *f)
{
    fprintf(f, "\n%-22s %-9s %-17s %7s  %s\n", "Port", "Chip", "MAC", "Time", "Result");
    for (int i = 0; i < n; i++)
        fprintf(f, "%-22.22s %-9.9s %-17s %6.1fs  %s%s\n", b[i].port,
                b[i].chip[0] ? b[i].chip : "-", b[i].mac[0] ? b[i].mac : "-", b[i].secs,
                b[i].rc ? "FAILED: " : "OK", b[i].rc ? b[i].msg : "");
    fflush(f);
}

int boards_run(struct board *b, int n, board_job job, void *ctx, bool quiet, bool json)
{
    FILE *f = json ? stderr : stdout;
    view = (struct view){ b, n, !quiet && isatty(fileno(f)), quiet ? NULL : f, 0, 0 };
    struct worker *w = calloc((size_t)n, sizeof *w);
    pthread_t *th = calloc((size_t)n, sizeof *th);
    int failed = 0;
    for (int i = 0; i < n; i++) {
        b[i].index = i;
        b[i].rc = -1;
        snprintf(b[i].line, sizeof b[i].line, "waiting");
        w[i] = (struct worker){ &b[i], job, ctx };
    }
    for (int i = 0; i < n && w && th; i++)
        if (pthread_create(&th[i], NULL, work, &w[i]) != 0) {
            th[i] = 0;
            snprintf(b[i].msg, sizeof b[i].msg, "cannot start a thread for this board");
        }
    for (int i = 0; i < n && w && th; i++)
        if (th[i])
            pthread_join(th[i], NULL);
    pthread_mutex_lock(&lock);
    if (view.tty)
        redraw(true);
    view.f = NULL;
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < n; i++)
        failed += b[i].rc != 0;
    if (!quiet)
        table(b, n, f);
    free(w);
    free(th);
    return failed;
}

void board_json_fields(struct json *j, const struct board *b)
{
    json_str(j, "port", b->port);
    json_str(j, "chip", b->chip[0] ? b->chip : NULL);
    json_str(j, "mac", b->mac[0] ? b->mac : NULL);
    json_bool(j, "ok", b->rc == 0);
    json_num(j, "seconds", b->secs);
    if (b->rc) {
        json_obj(j, "error");
        json_str(j, "message", b->msg);
        json_end(j);
    }
}

static int add_port(char ***ports, int *n, const char *name, struct err *e)
{
    char **p = realloc(*ports, (size_t)(*n + 1) * sizeof **ports);
    if (!p)
        return err_set(e, "out of memory");
    *ports = p;
    if (!(p[*n] = strdup(name)))
        return err_set(e, "out of memory");
    (*n)++;
    return 0;
}

int boards_parse(const char *list, char ***ports, struct err *e)
{
    int n = 0;
    *ports = NULL;
    if (!strcmp(list, "all")) {
        struct port_candidate c[64];
        int k = port_find_candidates(c, 64);
        if (k <= 0)
            return err_set(e, "no ESP board found by USB id (VID:PID)");
        for (int i = 0; i < k; i++)
            if (add_port(ports, &n, c[i].path, e) != 0)
                return -1;
        return n;
    }
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return err_set(e, "out of memory");
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (*tok && add_port(ports, &n, tok, e) != 0) {
            free(copy);
            return -1;
        }
    free(copy);
    if (n == 0)
        return err_set(e, "no port in '%s'", list);
    return n;
}

void boards_free_ports(char **ports, int n)
{
    for (int i = 0; i < n; i++)
        free(ports[i]);
    free(ports);
}
