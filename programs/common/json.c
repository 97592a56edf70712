#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(struct json *j, const char *s, size_t n)
{
    if (j->failed)
        return;
    if (j->len + n + 1 > j->cap) {
        size_t cap = j->cap ? j->cap : 1024;
        while (cap < j->len + n + 1)
            cap *= 2;
        char *b = realloc(j->buf, cap);
        if (!b) {
            j->failed = true;
            return;
        }
        j->buf = b;
        j->cap = cap;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

static void puts_(struct json *j, const char *s)
{
    put(j, s, strlen(s));
}

/* The length of the UTF-8 sequence at s (1-4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
             : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 2 && s[0] < 0xC2)
        return 0;   /* overlong */
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

static void quoted(struct json *j, const char *s)
{
    put(j, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        char esc[8];
        size_t n = utf8_len(p);
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\', esc[1] = (char)*p;
            put(j, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            puts_(j, esc);
        } else if (n == 0) {
            puts_(j, "\xEF\xBF\xBD");
            p++;
            continue;
        } else {
            put(j, (const char *)p, n);
            p += n;
            continue;
        }
        p++;
    }
    put(j, "\"", 1);
}

/* The comma and key before a value. */
static void lead(struct json *j, const char *key)
{
    if (j->depth > 0 && j->more[j->depth - 1])
        put(j, ",", 1);
    if (j->depth > 0)
        j->more[j->depth - 1] = true;
    if (key) {
        quoted(j, key);
        put(j, ":", 1);
    }
}

static void open_(struct json *j, const char *key, char open, char close)
{
    lead(j, key);
    put(j, &open, 1);
    if (j->depth == JSON_DEPTH) {
        j->failed = true;
        return;
    }
    j->close[j->depth] = close;
    j->more[j->depth++] = false;
}

void json_obj(struct json *j, const char *key) { open_(j, key, '{', '}'); }
void json_arr(struct json *j, const char *key) { open_(j, key, '[', ']'); }

void json_end(struct json *j)
{
    if (j->depth == 0)
        return;
    j->depth--;
    put(j, &j->close[j->depth], 1);
}

void json_str(struct json *j, const char *key, const char *v)
{
    if (!v) {
        json_null(j, key);
        return;
    }
    lead(j, key);
    quoted(j, v);
}

void json_strf(struct json *j, const char *key, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    json_str(j, key, buf);
}

void json_int(struct json *j, const char *key, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    lead(j, key);
    puts_(j, buf);
}

void json_num(struct json *j, const char *key, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.3f", v);
    lead(j, key);
    puts_(j, buf);
}

void json_bool(struct json *j, const char *key, bool v)
{
    lead(j, key);
    puts_(j, v ? "true" : "false");
}

void json_null(struct json *j, const char *key)
{
    lead(j, key);
    puts_(j, "null");
}

void json_hex(struct json *j, const char *key, const uint8_t *b, size_t n)
{
    char buf[2 * 64 + 1] = "";
    for (size_t i = 0; i < n && i < 64; i++)
        snprintf(buf + 2 * i, 3, "%02x", b[i]);
    json_str(j, key, buf);
}

void json_raw(struct json *j, const char *key, const char *text)
{
    lead(j, key);
    puts_(j, text);
}

const char *json_text(struct json *j)
{
    if (j->failed)
        return "{\"schema\":\"mpi-json/1\",\"ok\":false,"
               "\"error\":{\"message\":\"out of memory for the JSON document\"}}";
    return j->buf ? j->buf : "";
}

void json_free(struct json *j)
{
    free(j->buf);
    memset(j, 0, sizeof *j);
}
