#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* e->msg = a + b + c, truncated to fit (messages are one line; a cut tail is
 * better than no message). */
static void join(struct err *e, const char *a, const char *b, const char *c)
{
    size_t n = 0;
    const char *parts[3] = { a, b, c };
    for (int i = 0; i < 3; i++)
        for (const char *s = parts[i]; *s && n + 1 < sizeof e->msg; s++)
            e->msg[n++] = *s;
    e->msg[n] = '\0';
}

int err_set(struct err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int err_sys(struct err *e, const char *fmt, ...)
{
    int saved = errno;
    char head[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    join(e, head, ": ", strerror(saved));
    return -1;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
    char head[ERR_MSG_MAX], old[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    join(e, head, "", old);
    return -1;
}

void err_clear(struct err *e)
{
    e->msg[0] = '\0';
}
