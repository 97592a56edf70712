#include "out.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "boards.h"
#include "names.h"

static bool getenv_no_color(void)
{
    return getenv("NO_COLOR") != NULL;
}

/* A terminal that takes the ANSI sequences of colours and progress bars
 * (\r, erase to the end of the line).  A Windows console takes them once
 * virtual terminal processing is on; where it cannot be (before Windows
 * 10), or when redirected, plain lines. */
static bool is_terminal(FILE *f)
{
#ifdef _WIN32
    return compat_vt_console(fileno(f));
#else
    return isatty(fileno(f));
#endif
}

bool out_quiet;
struct json *out_json;

/* Colour only when the stream is a terminal and NO_COLOR is not set. */
static bool colour(FILE *f)
{
    static int cached[2] = { -1, -1 };
    int i = f == stderr;
    if (cached[i] < 0)
        cached[i] = is_terminal(f) && !getenv_no_color();
    return cached[i];
}

/* A progress bar being redrawn on the terminal (see out_progress). */
static struct {
    bool open;               /* on screen, its line not ended yet */
    char what[32];
    uint64_t total, last;
    unsigned quarter;        /* plain lines: the last quarter reported */
    double t0;
} bar;

static void bar_close(void)
{
    if (bar.open) {
        putchar('\n');
        fflush(stdout);
        bar.open = false;
    }
}

/* The line, with anything a terminal would act on escaped (names.h): a
 * name from a filesystem image or a host path the user did not type may
 * hold control characters, and a line stays one line. */
static void put_line(FILE *f, const char *fmt, va_list ap)
{
    char small[512], *text = small;
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n >= (int)sizeof small && (text = malloc((size_t)n + 1)))
        vsnprintf(text, (size_t)n + 1, fmt, again);
    va_end(again);
    if (n < 0 || !text)
        return;
    size_t need = text_sanitize(text, NULL, 0);
    char *safe = need == (size_t)n ? text : malloc(need + 1);
    if (safe && safe != text)
        text_sanitize(text, safe, need + 1);
    fputs(safe ? safe : "(a line that could not be shown)", f);
    if (safe != text)
        free(safe);
    if (text != small)
        free(text);
}

/* A line while several boards run: to the board's own line. */
static bool to_board(const char *prefix, const char *fmt, va_list ap)
{
    struct board *b = board_self();
    if (!b)
        return false;
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    board_say(b, "%s%s", prefix, text);
    return true;
}

static void emit(FILE *f, const char *sgr, const char *prefix, const char *fmt, va_list ap)
{
    if (to_board(prefix, fmt, ap))
        return;
    if (out_json && f == stdout)
        f = stderr;
    bar_close();    /* a line never lands in the middle of a bar */
    bool c = sgr && colour(f);
    if (c)
        fputs(sgr, f);
    fputs(prefix, f);
    put_line(f, fmt, ap);
    if (c)
        fputs("\033[0m", f);
    fputc('\n', f);
}

#define EMIT(stream, sgr, prefix, quietable)      \
    do {                                          \
        if ((quietable) && out_quiet)             \
            return;                               \
        va_list ap;                               \
        va_start(ap, fmt);                        \
        emit(stream, sgr, prefix, fmt, ap);       \
        va_end(ap);                               \
    } while (0)

void out_info(const char *fmt, ...) { EMIT(stdout, NULL, "", true); }
void out_action(const char *fmt, ...) { EMIT(stdout, "\033[32m", "", true); }
/* Warnings are never hidden: under -q they go to stderr, so stdout holds
 * only the data asked for. */
void out_warn(const char *fmt, ...) { EMIT(out_quiet ? stderr : stdout, "\033[33m", "Warning: ", false); }
void out_data(const char *fmt, ...) { EMIT(stdout, NULL, "", false); }

void out_error(const char *fmt, ...)
{
    fflush(stdout);
    EMIT(stderr, "\033[31m", "Error: ", false);
}

void out_bytes(const void *buf, size_t len)
{
    fwrite(buf, 1, len, stdout);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "1.2 MB" style: the units esptool shows. */
static void human_bytes(double n, char *out, size_t cap)
{
    if (n >= 1e6)
        snprintf(out, cap, "%.1f MB", n / 1e6);
    else
        snprintf(out, cap, "%.1f kB", n / 1e3);
}

/* Rate and time left once a second has passed (before that they jump). */
static void rate_eta(uint64_t done, uint64_t total, char *out, size_t cap)
{
    double t = now_s() - bar.t0;
    out[0] = '\0';
    if (t < 1.0 || done == 0)
        return;
    char rate[32];
    human_bytes((double)done / t, rate, sizeof rate);
    double left = (double)(total - done) * t / (double)done;
    snprintf(out, cap, " %s/s, %d:%02d left", rate, (int)left / 60, (int)left % 60);
}

static void bar_start(const char *what, uint64_t total)
{
    bar_close();
    snprintf(bar.what, sizeof bar.what, "%s", what);
    bar.total = total;
    bar.last = 0;
    bar.quarter = 0;
    bar.t0 = now_s();
}

static void bar_done(uint64_t total)
{
    double t = now_s() - bar.t0;
    char size[32], rate[32];
    human_bytes((double)total, size, sizeof size);
    human_bytes(t > 0 ? (double)total / t : 0, rate, sizeof rate);
    if (is_terminal(stdout))
        printf("\r%-10s [%40s] 100%% %s in %.1f s (%s/s)\033[K\n", bar.what,
               "========================================", size, t, rate);
    else
        printf("%s: done, %s in %.1f s (%s/s)\n", bar.what, size, t, rate);
    fflush(stdout);
    bar.open = false;
    bar.total = 0;
}

void out_progress(const char *what, uint64_t done, uint64_t total)
{
    if (board_self()) {
        board_progress(board_self(), what, done, total);
        return;
    }
    /* Small transfers (a table, a sector) are not worth a line. */
    if (out_quiet || out_json || total < 0x10000)
        return;
    if (!bar.total || strcmp(what, bar.what) || total != bar.total || done < bar.last)
        bar_start(what, total);
    bar.last = done;
    if (done >= total) {
        bar_done(total);
        return;
    }
    unsigned pct = (unsigned)(done * 100 / total);
    char eta[64];
    rate_eta(done, total, eta, sizeof eta);
    if (is_terminal(stdout)) {
        char fill[41];
        unsigned n = (unsigned)(done * 40 / total);
        for (unsigned i = 0; i < 40; i++)
            fill[i] = i < n ? '=' : ' ';
        fill[40] = '\0';
        printf("\r%-10s [%s] %3u%%%s\033[K", what, fill, pct, eta);
        bar.open = true;
    } else if (pct / 25 > bar.quarter) {
        /* not a terminal (a log): a line at 25, 50 and 75% */
        bar.quarter = pct / 25;
        printf("%s: %u%%%s\n", what, bar.quarter * 25, eta);
    }
    fflush(stdout);
}

void out_progress_end(void)
{
    bar_close();
    bar.total = 0;
}
