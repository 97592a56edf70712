#include "out.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static bool getenv_no_color(void)
{
    return getenv("NO_COLOR") != NULL;
}

bool out_quiet;

/* Colour only when the stream is a terminal and NO_COLOR is not set. */
static bool colour(FILE *f)
{
    static int cached[2] = { -1, -1 };
    int i = f == stderr;
    if (cached[i] < 0)
        cached[i] = isatty(fileno(f)) && !getenv_no_color();
    return cached[i];
}

static void emit(FILE *f, const char *sgr, const char *prefix, const char *fmt, va_list ap)
{
    bool c = sgr && colour(f);
    if (c)
        fputs(sgr, f);
    fputs(prefix, f);
    vfprintf(f, fmt, ap);
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
void out_warn(const char *fmt, ...) { EMIT(stdout, "\033[33m", "Warning: ", true); }
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

void out_progress(const char *what, uint64_t done, uint64_t total)
{
    /* Small transfers (a table, a sector) are not worth a line. */
    if (out_quiet || total < 0x10000)
        return;
    unsigned pct = (unsigned)(done * 100 / total);
    if (colour(stdout)) {
        char bar[41];
        unsigned fill = (unsigned)(done * 40 / total);
        for (unsigned i = 0; i < 40; i++)
            bar[i] = i < fill ? '=' : ' ';
        bar[40] = '\0';
        printf("\r%-10s [%s] %3u%%", what, bar, pct);
        if (done >= total)
            putchar('\n');
        fflush(stdout);
    } else if (done >= total) {
        printf("%s %llu bytes... done\n", what, (unsigned long long)total);
    }
}
