/* What the esptool personality prints: lines as esptool prints them (to a
 * board's line when several run, to stderr under --json), progress bars on
 * a terminal and esptool's plain progress lines elsewhere, --trace. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "boards.h"
#include "esptool.h"
#include "port.h"

static bool progress_open;
bool es_json_mode;

void es_progress_done(void)
{
    if (progress_open) {
        fputc('\n', stdout);
        progress_open = false;
    }
    fflush(stdout);
}

/* Where a line goes: a board's line when several run (boards.h), stderr
 * under --json (stdout is the document's), else stdout. */
static void emit(const char *prefix, const char *fmt, va_list ap)
{
    char text[1024];
    vsnprintf(text, sizeof text, fmt, ap);
    struct board *b = board_self();
    if (b) {
        board_say(b, "%s%s", prefix, text);
        return;
    }
    es_progress_done();
    FILE *f = es_json_mode ? stderr : stdout;
    fprintf(f, "%s%s\n", prefix, text);
    fflush(f);
}

void es_print(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("", fmt, ap);
    va_end(ap);
}

void es_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("Warning: ", fmt, ap);
    va_end(ap);
}

void es_on_log(void *ctx, const char *msg)
{
    (void)ctx;
    es_print("%s", msg);
}

/* On a terminal a bar.  Otherwise plain lines as esptool prints them to a
 * pipe (tools such as IDEs read these): "Writing at 0x00011000... (10 %)"
 * for every block written, "425984 (10 %)" every tenth of a read.  Erasing
 * is one command: esptool shows no progress for it, nor do we. */
void es_on_progress(void *ctx, const char *what, uint32_t addr, uint64_t done,
                    uint64_t total)
{
    struct esptool *t = ctx;
    static uint64_t last_done;
    static int last_step = -1;
    if (board_self()) {
        board_progress(board_self(), what, done, total);
        return;
    }
    if (es_json_mode)
        return;   /* stdout is the document's */
    if (strcmp(what, "Connecting") == 0) {
        if (!progress_open)
            fputs("Connecting...", stdout);
        if (done > 0)
            fputc('.', stdout);
        fflush(stdout);
        progress_open = true;
        return;
    }
    if (strcmp(what, "Writing") != 0 && strcmp(what, "Reading") != 0)
        return;
    if (total == 0)
        return;
    int pct = (int)(done * 100 / total);
    if (t->tty) {
        char bar[31];
        int fill = (int)(done * 30 / total);
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
        bar[30] = '\0';
        /* the address moves with the bytes, as esptool's bar does */
        printf("\r%s at 0x%08x [%s] %3d%% %llu/%llu bytes...", what, (unsigned)(addr + done),
               bar, pct,
               (unsigned long long)done, (unsigned long long)total);
        fflush(stdout);
        progress_open = true;
        if (done >= total)
            es_progress_done();
        return;
    }
    if (done < last_done)
        last_done = 0, last_step = -1;   /* a new transfer (or one started again) */
    if (what[0] == 'W') {
        /* The block starts where the previous one ended. */
        printf("Writing at 0x%08x... (%d %%)\n", (unsigned)(addr + last_done), pct);
    } else if (pct / 10 != last_step || done >= total) {
        printf("%llu (%d %%)\n", (unsigned long long)done, pct);
        last_step = pct / 10;
    }
    last_done = done >= total ? 0 : done;
    if (done >= total)
        last_step = -1;
    fflush(stdout);
}

void es_on_trace(void *ctx, bool tx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    static uint64_t t0;
    uint64_t now = port_now_ms();
    if (!t0)
        t0 = now;
    fprintf(stderr, "TRACE +%.3f %s %zu bytes:", (now - t0) / 1000.0, tx ? "Write" : "Read",
            len);
    size_t show = len > 64 ? 64 : len;
    for (size_t i = 0; i < show; i++)
        fprintf(stderr, " %02x", buf[i]);
    fprintf(stderr, "%s\n", show < len ? " ..." : "");
}
