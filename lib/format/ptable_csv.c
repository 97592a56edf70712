/* ESP-IDF partition CSV files, read the way gen_esp32part.py reads them
 * (ESP-IDF components/partition_table/gen_esp32part.py, read for facts).
 *
 *   # Name,   Type, SubType, Offset,  Size,  Flags
 *   nvs,      data, nvs,     0x9000,  24K,
 *   factory,  app,  factory, ,        1M,    encrypted:readonly
 *
 * Rules, as gen_esp32part applies them:
 *  - the text is split into lines at \n, \r\n, \r (and the other line
 *    breaks of Python's splitlines); a UTF-8 BOM is skipped; each line is
 *    stripped; empty lines and lines starting with '#' are skipped; line
 *    numbers count every line, from 1;
 *  - fields are split at ',' and stripped; missing trailing fields are
 *    empty, extra fields are ignored;
 *  - numbers are Python int(x, 0) (decimal, 0x, 0o, 0b, '_' separators,
 *    optional sign, no leading zeros on decimals) with any number of k/K
 *    (x1024) and m/M (x1048576) suffixes; type and subtype fields try a
 *    number first, then a keyword (ignoring case);
 *  - type must be given; an empty subtype is an error for app and
 *    'undefined' (0x06) otherwise; size must be given; a negative size -N
 *    means "up to address N";
 *  - partition_table entries get size 0x1000 (and the primary one offset
 *    0x8000); bootloader entries need bootloader offsets that gen_esp32part
 *    takes as options, so they are refused here;
 *  - flags are separated by ':' (we also strip blanks around each one);
 *    known flags are 'encrypted' and 'readonly';
 *  - empty offsets follow the previous partition, rounded up to 0x10000 for
 *    app and 0x1000 for everything else; the first one goes right after
 *    the table sector (0x9000).  A given offset below the previous
 *    partition's end is an overlap error at that line.
 * Then the table goes through ptable_validate_at(), which mirrors
 * gen_esp32part's verify() and flash-size check, and its error is reported
 * at the line of the partition at fault.
 * Deliberate differences: names longer than 16 bytes are refused (gen
 * truncates them silently), values that do not fit the binary fields give
 * an error (gen crashes), and $VARIABLE expansion is not done. */
#include "ptable.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define NUM_LIMIT ((int64_t)1 << 62)   /* bigger than any field; no overflow */

struct span {
    const char *p;
    size_t n;
};

struct row {
    struct part part;
    int64_t type, subtype, offset, size;
    bool has_offset;
    int line;
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n'
           || (c >= 0x1c && c <= 0x1f);
}

static struct span strip(struct span s)
{
    while (s.n && is_blank(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && is_blank(s.p[s.n - 1]))
        s.n--;
    return s;
}

/* Python's splitlines() line boundaries. */
static bool is_line_break(char c)
{
    return c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e);
}

/* ---- numbers ----------------------------------------------------------- */

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* Python int(s, 0).  Returns 0, -1 (not a number) or -2 (too large). */
static int py_int(struct span s, int64_t *out)
{
    s = strip(s);
    bool neg = false;
    if (s.n && (s.p[0] == '+' || s.p[0] == '-')) {
        neg = s.p[0] == '-';
        s.p++;
        s.n--;
    }
    if (s.n == 0)
        return -1;
    int base = 10;
    size_t i = 0;
    bool underscore_ok = false;        /* '_' allowed before the next digit */
    if (s.n >= 2 && s.p[0] == '0') {
        char x = (char)(s.p[1] | 0x20);
        base = x == 'x' ? 16 : x == 'o' ? 8 : x == 'b' ? 2 : 10;
        if (base != 10) {
            i = 2;
            underscore_ok = true;
        }
    }
    bool leading_zero = base == 10 && s.p[0] == '0';
    int64_t v = 0;
    size_t digits = 0;
    for (; i < s.n; i++) {
        if (s.p[i] == '_' && underscore_ok) {
            underscore_ok = false;
            if (i + 1 == s.n)
                return -1;
            continue;
        }
        int d = digit_value(s.p[i]);
        if (d >= base)
            return -1;
        if (leading_zero && d != 0)
            return -1;                 /* "010" is not a Python int */
        if (v > (NUM_LIMIT - d) / base)
            return -2;
        v = v * base + d;
        digits++;
        underscore_ok = true;
    }
    if (digits == 0)
        return -1;
    *out = neg ? -v : v;
    return 0;
}

/* gen_esp32part's parse_int without keywords: k/m suffixes, then int(). */
static int parse_number(struct span s, int64_t *out)
{
    int64_t mult = 1;
    s = strip(s);
    while (s.n && ((s.p[s.n - 1] | 0x20) == 'k' || (s.p[s.n - 1] | 0x20) == 'm')) {
        int64_t m = (s.p[s.n - 1] | 0x20) == 'k' ? 1024 : 1024 * 1024;
        if (mult > NUM_LIMIT / m)
            return -2;
        mult *= m;
        s.n--;
    }
    int64_t v;
    int rc = py_int(s, &v);
    if (rc < 0)
        return rc;
    if (v > NUM_LIMIT / mult || v < -NUM_LIMIT / mult)
        return -2;
    *out = v * mult;
    return 0;
}

static void copy_span(char *dst, size_t cap, struct span s)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    memcpy(dst, s.p, n);
    dst[n] = '\0';
}

/* A number field: size or offset. */
static int number_field(struct span s, const char *what, int64_t *out, struct err *e)
{
    char text[64];
    copy_span(text, sizeof text, s);
    int rc = parse_number(s, out);
    if (rc == -2)
        return err_set(e, "%s '%s' is too large", what, text);
    if (rc < 0)
        return err_set(e, "%s '%s' is not a number", what, text);
    return 0;
}

/* A type or subtype field: a number, else a keyword of `type` (or of the
 * types when `type` < 0). */
static int keyword_field(struct span s, int type, int64_t *out, struct err *e)
{
    const char *what = type < 0 ? "type" : "subtype";
    char text[64], known[256];
    copy_span(text, sizeof text, s);
    int rc = parse_number(s, out);
    if (rc == 0)
        return 0;
    if (rc == -2)
        return err_set(e, "%s '%s' is too large", what, text);
    int code = s.n < sizeof text ? (type < 0 ? ptable_type_code(text) : ptable_subtype_code(type, text)) : -1;
    if (code >= 0) {
        *out = code;
        return 0;
    }
    if (type < 0) {
        ptable_keywords(0, false, known, sizeof known);
        return err_set(e, "unknown partition type '%s' (known: %s, or a number)", text, known);
    }
    if (ptable_keywords(type, true, known, sizeof known) == 0)
        return err_set(e, "subtype '%s' is not a number (type 0x%02x has no named subtypes)", text, type);
    const char *tname = ptable_type_name(type);
    return err_set(e, "unknown subtype '%s' for type %s (known: %s, or a number)", text,
                   tname ? tname : "?", known);
}

static int flags_field(struct span s, uint32_t *flags, struct err *e)
{
    *flags = 0;
    while (s.n) {
        const char *colon = memchr(s.p, ':', s.n);
        struct span f = { s.p, colon ? (size_t)(colon - s.p) : s.n };
        s.n -= colon ? f.n + 1 : f.n;
        s.p += colon ? f.n + 1 : f.n;
        f = strip(f);
        if (f.n == 9 && memcmp(f.p, "encrypted", 9) == 0)
            *flags |= PART_FLAG_ENCRYPTED;
        else if (f.n == 8 && memcmp(f.p, "readonly", 8) == 0)
            *flags |= PART_FLAG_READONLY;
        else if (f.n) {
            char text[64];
            copy_span(text, sizeof text, f);
            return err_set(e, "unknown flag '%s' (known: encrypted, readonly; separate them with ':')", text);
        }
    }
    return 0;
}

/* ---- one line ---------------------------------------------------------- */

static int parse_line(struct span line, struct row *r, struct err *e)
{
    struct span f[6];
    size_t nf = 0;
    const char *p = line.p, *end = line.p + line.n;
    while (nf < 6) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        f[nf++] = strip((struct span){ p, (size_t)(stop - p) });
        if (!comma) {
            p = end;
            break;
        }
        p = comma + 1;
    }
    while (nf < 6)
        f[nf++] = (struct span){ end, 0 };

    memset(r, 0, sizeof *r);
    if (memchr(line.p, '\0', line.n))
        return err_set(e, "line contains a NUL byte");
    if (f[0].n > PTABLE_NAME_MAX)
        return err_set(e, "partition name '%.*s' is longer than %d bytes",
                       (int)(f[0].n > 64 ? 64 : f[0].n), f[0].p, PTABLE_NAME_MAX);
    copy_span(r->part.name, sizeof r->part.name, f[0]);

    if (f[1].n == 0)
        return err_set(e, "partition '%s': the type field is empty", r->part.name);
    if (keyword_field(f[1], -1, &r->type, e) < 0)
        return -1;
    if (r->type < 0 || r->type > 0xFF)
        return err_set(e, "partition '%s': type %" PRId64 " does not fit in a byte", r->part.name, r->type);

    if (f[2].n == 0) {
        if (r->type == PART_TYPE_APP)
            return err_set(e, "partition '%s': an app partition needs a subtype", r->part.name);
        r->subtype = 0x06;             /* data 'undefined', as gen_esp32part */
    } else if (keyword_field(f[2], (int)r->type, &r->subtype, e) < 0) {
        return -1;
    }
    if (r->subtype < 0 || r->subtype > 0xFF)
        return err_set(e, "partition '%s': subtype %" PRId64 " does not fit in a byte",
                       r->part.name, r->subtype);

    if (r->type == 0x02)
        return err_set(e, "partition '%s': bootloader entries need the bootloader offset, which this tool does not take",
                       r->part.name);
    if (r->type == 0x03 && r->subtype == 0x00) {
        r->offset = PTABLE_OFFSET;     /* the primary table is where it is */
        r->has_offset = true;
    } else if (f[3].n) {
        if (number_field(f[3], "offset", &r->offset, e) < 0)
            return -1;
        r->has_offset = true;
    }
    if (r->type == 0x03) {
        r->size = PTABLE_SECTOR;
    } else {
        if (f[4].n == 0)
            return err_set(e, "partition '%s': the size field is empty", r->part.name);
        if (number_field(f[4], "size", &r->size, e) < 0)
            return -1;
    }
    return flags_field(f[5], &r->part.flags, e);
}

/* ---- the file ---------------------------------------------------------- */

/* Place partitions with empty offsets and catch overlaps in file order, as
 * gen_esp32part's from_csv() does; then check the values fit the fields. */
static int place(struct row *rows, int n, int *bad, struct err *e)
{
    int64_t last_end = PTABLE_OFFSET + PTABLE_SECTOR;
    for (int i = 0; i < n; i++) {
        struct row *r = &rows[i];
        *bad = i;
        bool pseudo = (r->type == 0x02 || r->type == 0x03) && r->subtype == 0;
        if (pseudo)
            continue;
        if (r->has_offset && r->offset < last_end) {
            if (i == 0)
                return err_set(e, "partition '%s' at 0x%" PRIx64 " overlaps the partition table sector 0x%x; use offset 0x%" PRIx64 " or higher",
                               r->part.name, r->offset, PTABLE_OFFSET, last_end);
            return err_set(e, "partitions overlap: '%s' at 0x%" PRIx64 ", previous partition ends at 0x%" PRIx64,
                           r->part.name, r->offset, last_end);
        }
        if (!r->has_offset) {
            int64_t align = r->type == PART_TYPE_APP ? APP_ALIGN : DATA_ALIGN;
            if (last_end % align)
                last_end += align - last_end % align;
            r->offset = last_end;
        }
        if (r->size < 0)
            r->size = -r->size - r->offset;
        last_end = r->offset + r->size;
    }
    for (int i = 0; i < n; i++) {
        struct row *r = &rows[i];
        *bad = i;
        if (r->offset < 0 || r->offset > UINT32_MAX)
            return err_set(e, "partition '%s': offset %s0x%" PRIx64 " does not fit in 32 bits",
                           r->part.name, r->offset < 0 ? "-" : "", r->offset < 0 ? -r->offset : r->offset);
        if (r->size < 0 || r->size > UINT32_MAX)
            return err_set(e, "partition '%s': size %s0x%" PRIx64 " does not fit in 32 bits",
                           r->part.name, r->size < 0 ? "-" : "", r->size < 0 ? -r->size : r->size);
        r->part.type = (uint8_t)r->type;
        r->part.subtype = (uint8_t)r->subtype;
        r->part.offset = (uint32_t)r->offset;
        r->part.size = (uint32_t)r->size;
    }
    *bad = -1;
    return 0;
}

int ptable_from_csv(const char *text, size_t len, const char *filename,
                    uint32_t flash_size, struct ptable *t, struct err *e)
{
    static const char bom[] = "\xEF\xBB\xBF";
    struct row rows[PTABLE_MAX_PARTS];
    int n = 0, lineno = 0;
    const char *p = text, *end = text + len;

    memset(t, 0, sizeof *t);
    if (!filename)
        filename = "partitions.csv";
    if (len >= 3 && memcmp(text, bom, 3) == 0)
        p += 3;
    while (p < end) {
        const char *q = p;
        while (q < end && !is_line_break(*q))
            q++;
        struct span line = strip((struct span){ p, (size_t)(q - p) });
        lineno++;
        /* \r\n is one line break. */
        if (q == end)
            p = end;
        else
            p = (*q == '\r' && q + 1 < end && q[1] == '\n') ? q + 2 : q + 1;
        if (line.n == 0 || line.p[0] == '#')
            continue;
        if (n == PTABLE_MAX_PARTS)
            return err_set(e, "%s:%d: too many partitions (the table holds at most %d)",
                           filename, lineno, PTABLE_MAX_PARTS);
        if (parse_line(line, &rows[n], e) < 0)
            return err_prefix(e, "%s:%d: ", filename, lineno);
        rows[n++].line = lineno;
    }
    if (n == 0)
        return err_set(e, "%s: no partitions in the file", filename);

    int bad;
    if (place(rows, n, &bad, e) < 0)
        return err_prefix(e, "%s:%d: ", filename, rows[bad].line);
    t->n = n;
    for (int i = 0; i < n; i++)
        t->p[i] = rows[i].part;
    if (ptable_validate_at(t, flash_size, &bad, e) < 0) {
        if (bad >= 0)
            return err_prefix(e, "%s:%d: ", filename, rows[bad].line);
        return err_prefix(e, "%s: ", filename);
    }
    return 0;
}

/* ---- writing CSV ------------------------------------------------------- */

struct out {
    char *buf;
    size_t cap, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

size_t ptable_to_csv(const struct ptable *t, char *buf, size_t cap)
{
    struct out o = { buf, cap, 0 };
    if (cap)
        buf[0] = '\0';
    put(&o, "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n");
    for (int i = 0; i < t->n && i < PTABLE_MAX_PARTS; i++) {
        const struct part *p = &t->p[i];
        const char *tn = ptable_type_name(p->type), *sn = ptable_subtype_name(p->type, p->subtype);
        put(&o, "%.16s,", p->name);
        if (tn)
            put(&o, "%s,", tn);
        else
            put(&o, "%d,", p->type);
        if (sn)
            put(&o, "%s,", sn);
        else
            put(&o, "%d,", p->subtype);
        put(&o, "0x%" PRIx32 ",", p->offset);
        if (p->size && p->size % 0x100000 == 0)
            put(&o, "%" PRIu32 "M,", p->size >> 20);
        else if (p->size && p->size % 0x400 == 0)
            put(&o, "%" PRIu32 "K,", p->size >> 10);
        else
            put(&o, "0x%" PRIx32 ",", p->size);
        const char *sep = "";
        if (p->flags & PART_FLAG_ENCRYPTED) {
            put(&o, "encrypted");
            sep = ":";
        }
        if (p->flags & PART_FLAG_READONLY)
            put(&o, "%sreadonly", sep);
        put(&o, "\n");
    }
    return o.len;
}

int ptable_from_bytes(const uint8_t *buf, size_t len, const char *name, uint32_t flash_size,
                      struct ptable *t, struct err *e)
{
    if (len < 2 || buf[0] != 0xAA || buf[1] != 0x50)
        return ptable_from_csv((const char *)buf, len, name, flash_size, t, e);
    uint8_t sector[PTABLE_SECTOR];
    memset(sector, 0xFF, sizeof sector);
    memcpy(sector, buf, len < sizeof sector ? len : sizeof sector);
    return ptable_parse(sector, sizeof sector, t, e) ? err_prefix(e, "%s: ", name) : 0;
}
