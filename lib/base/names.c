/* The escaping of names from filesystem images (names.h). */
#include "names.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

enum { ESC_SLASH = 1, ESC_BACKSLASH = 2 };

/* Length of the well-formed UTF-8 sequence of a printable character at p
 * (n bytes left), or 0: a C1 control, an overlong form, a surrogate, a
 * value past U+10FFFF or a broken sequence is escaped byte by byte. */
static size_t utf8_printable(const uint8_t *p, size_t n)
{
    size_t len = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
    if (p[0] < 0xc2 || p[0] > 0xf4 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((p[0] == 0xc2 && p[1] < 0xa0) || (p[0] == 0xe0 && p[1] < 0xa0) ||
        (p[0] == 0xed && p[1] > 0x9f) || (p[0] == 0xf0 && p[1] < 0x90) ||
        (p[0] == 0xf4 && p[1] > 0x8f))
        return 0;
    return len;
}

/* Append `s` (k bytes) if it fits whole; *n counts what the whole result
 * needs either way. */
static void put(char *out, size_t cap, size_t *n, const char *s, size_t k, bool *cut)
{
    if (!*cut && *n + k < cap)
        memcpy(out + *n, s, k);
    else
        *cut = true;
    *n += k;
}

static size_t escape(const uint8_t *p, size_t len, unsigned flags, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0, done = 0;
    bool cut = cap == 0;
    for (size_t i = 0; i < len;) {
        size_t u = p[i] >= 0x80 ? utf8_printable(p + i, len - i) : 0;
        if (u) {
            put(out, cap, &n, (const char *)p + i, u, &cut);
            i += u;
        } else if (p[i] == '\\' && (flags & ESC_BACKSLASH)) {
            put(out, cap, &n, "\\\\", 2, &cut);
            i++;
        } else if (p[i] < 0x20 || p[i] >= 0x7f || (p[i] == '/' && (flags & ESC_SLASH))) {
            char x[4] = { '\\', 'x', hex[p[i] >> 4], hex[p[i] & 15] };
            put(out, cap, &n, x, 4, &cut);
            i++;
        } else {
            put(out, cap, &n, (const char *)p + i, 1, &cut);
            i++;
        }
        if (!cut)
            done = n;
    }
    if (cap)
        out[done] = '\0';
    return n;
}

size_t name_escape(const void *name, size_t len, char *out, size_t cap)
{
    return escape(name, len, ESC_SLASH | ESC_BACKSLASH, out, cap);
}

size_t path_escape(const char *path, char *out, size_t cap)
{
    return escape((const uint8_t *)path, strlen(path), ESC_BACKSLASH, out, cap);
}

size_t text_sanitize(const char *text, char *out, size_t cap)
{
    return escape((const uint8_t *)text, strlen(text), 0, out, cap);
}

bool host_is_sep(char c)
{
#ifdef _WIN32
    return c == '/' || c == '\\';
#else
    return c == '/';
#endif
}

bool host_is_absolute(const char *path)
{
#ifdef _WIN32
    if (path[0] && path[1] == ':')
        path += 2;
#endif
    return host_is_sep(path[0]);
}

const char *host_base_name(const char *path)
{
    const char *base = path;
#ifdef _WIN32
    if (path[0] && path[1] == ':')
        base = path + 2;
#endif
    for (const char *p = base; *p; p++)
        if (host_is_sep(*p))
            base = p + 1;
    return base;
}

#ifdef _WIN32
/* CON, PRN, AUX, NUL, COM0-9, LPT0-9 (with the superscript digits Windows
 * also takes), before any extension: Windows opens the device. */
static bool is_device_name(const char *name)
{
    static const char *const plain[] = { "CON", "PRN", "AUX", "NUL" };
    size_t stem = strcspn(name, ".");
    while (stem > 0 && name[stem - 1] == ' ')
        stem--;
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (stem == 3 && !strncasecmp(name, plain[i], 3))
            return true;
    if (strncasecmp(name, "COM", 3) && strncasecmp(name, "LPT", 3))
        return false;
    if (stem == 4 && name[3] >= '0' && name[3] <= '9')
        return true;
    /* U+00B9, U+00B2, U+00B3 in UTF-8 */
    return stem == 5 && (uint8_t)name[3] == 0xc2 &&
           ((uint8_t)name[4] == 0xb9 || (uint8_t)name[4] == 0xb2 || (uint8_t)name[4] == 0xb3);
}
#endif

const char *name_host_refused(const char *name)
{
    if (!name[0] || !strcmp(name, ".") || !strcmp(name, ".."))
        return "a name that means the directory itself or its parent";
    if (strchr(name, '/'))
        return "a name with a '/'";
#ifdef _WIN32
    if (strpbrk(name, "\\:*?\"<>|"))
        return "a name Windows cannot hold (one of \\ : * ? \" < > |)";
    size_t n = strlen(name);
    if (name[n - 1] == '.' || name[n - 1] == ' ')
        return "a name Windows cannot hold (it ends in a dot or a space)";
    if (is_device_name(name))
        return "a name Windows keeps for a device (CON, NUL, COM1, ...)";
#endif
    return NULL;
}
