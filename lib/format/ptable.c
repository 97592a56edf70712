/* ESP partition table: binary format, names, lookups and validation.
 *
 * Binary layout (at flash 0x8000, one 4 KiB sector, of which gen_esp32part
 * uses the first 0xC00 bytes; the rest is reserved for a signature):
 *
 *   row = 32 bytes, little-endian
 *     +0  u8[2]  magic AA 50
 *     +2  u8     type      (0 app, 1 data, 2 bootloader, 3 partition_table,
 *                           0x40..0xFE user types)
 *     +3  u8     subtype
 *     +4  u32    offset
 *     +8  u32    size
 *     +12 u8[16] label, NUL-padded; a 16-byte label has no NUL
 *     +28 u32    flags     (bit 0 encrypted, bit 1 readonly)
 *   MD5 row = EB EB, 14 x FF, MD5 of every entry byte before it
 *   end row = 32 x FF
 *
 * Facts from ESP-IDF components/partition_table/gen_esp32part.py (read for
 * facts only) and ../shared/docs/esp-loader-protocol.md §6.1. */
#include "bytes.h"
#include "hash.h"
#include "ptable.h"

#include <string.h>
#include <strings.h>

#define ROW PTABLE_ENTRY_LEN

static bool all_ff(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

/* ---- binary ------------------------------------------------------------ */

static void decode_row(const uint8_t *r, struct part *p)
{
    memset(p, 0, sizeof *p);
    p->type = r[2];
    p->subtype = r[3];
    p->offset = get_le32(r + 4);
    p->size = get_le32(r + 8);
    /* The label runs to the first NUL or all 16 bytes. */
    size_t n = 0;
    while (n < PTABLE_NAME_MAX && r[12 + n] != 0)
        n++;
    memcpy(p->name, r + 12, n);
    p->name[n] = '\0';
    p->flags = get_le32(r + 28);
}

int ptable_parse(const uint8_t *buf, size_t len, struct ptable *t, struct err *e)
{
    memset(t, 0, sizeof *t);
    if (len < ROW)
        return err_set(e, "no partition table at 0x%x: only %zu bytes", PTABLE_OFFSET, len);
    if (all_ff(buf, ROW))
        return err_set(e, "no partition table at 0x%x (erased flash)", PTABLE_OFFSET);
    if (buf[0] != 0xAA || buf[1] != 0x50)
        return err_set(e, "no partition table at 0x%x (found %02X %02X, not the magic AA 50)",
                       PTABLE_OFFSET, buf[0], buf[1]);

    size_t pos = 0;
    while (pos + ROW <= len && buf[pos] == 0xAA && buf[pos + 1] == 0x50) {
        if (t->n == PTABLE_MAX_PARTS)
            return err_set(e, "partition table at 0x%x: more than %d entries",
                           PTABLE_OFFSET, PTABLE_MAX_PARTS);
        decode_row(buf + pos, &t->p[t->n++]);
        pos += ROW;
    }
    if (pos + ROW <= len && buf[pos] == 0xEB && buf[pos + 1] == 0xEB) {
        uint8_t sum[16];
        hash_md5(buf, pos, sum);
        if (memcmp(sum, buf + pos + 16, 16) != 0)
            return err_set(e, "partition table at 0x%x: MD5 row at +0x%zx does not match the entries (corrupt table)",
                           PTABLE_OFFSET, pos);
        t->has_md5 = true;
        pos += ROW;
    }
    if (pos + ROW > len)
        return err_set(e, "partition table at 0x%x: truncated at +0x%zx, no end row",
                       PTABLE_OFFSET, pos);
    if (!all_ff(buf + pos, ROW))
        return err_set(e, "partition table at 0x%x: row at +0x%zx is neither an entry nor the end row (corrupt table)",
                       PTABLE_OFFSET, pos);
    return 0;
}

static void encode_row(const struct part *p, uint8_t *r)
{
    r[0] = 0xAA;
    r[1] = 0x50;
    r[2] = p->type;
    r[3] = p->subtype;
    put_le32(r + 4, p->offset);
    put_le32(r + 8, p->size);
    memset(r + 12, 0, PTABLE_NAME_MAX);
    size_t n = strnlen(p->name, PTABLE_NAME_MAX);
    memcpy(r + 12, p->name, n);
    put_le32(r + 28, p->flags);
}

void ptable_encode(const struct ptable *t, bool with_md5, uint8_t *out, size_t len)
{
    int n = t->n < 0 ? 0 : t->n > PTABLE_MAX_PARTS ? PTABLE_MAX_PARTS : t->n;
    memset(out, 0xFF, len);
    size_t pos = 0;
    for (int i = 0; i < n; i++, pos += ROW)
        encode_row(&t->p[i], out + pos);
    if (with_md5) {
        /* EB EB, 14 x FF (already there from the fill), MD5. */
        out[pos] = 0xEB;
        out[pos + 1] = 0xEB;
        hash_md5(out, pos, out + pos + 16);
    }
}

void ptable_serialize(const struct ptable *t, uint8_t out[PTABLE_SECTOR])
{
    ptable_encode(t, true, out, PTABLE_SECTOR);
}

void ptable_serialize_gen(const struct ptable *t, uint8_t out[PTABLE_MAX_LEN])
{
    ptable_encode(t, true, out, PTABLE_MAX_LEN);
}

/* ---- lookups ----------------------------------------------------------- */

const struct part *ptable_find(const struct ptable *t, const char *name)
{
    for (int i = 0; i < t->n; i++)
        if (strncmp(t->p[i].name, name, sizeof t->p[i].name) == 0)
            return &t->p[i];
    return NULL;
}

struct part *ptable_find_mut(struct ptable *t, const char *name)
{
    return (struct part *)ptable_find(t, name);
}

const struct part *ptable_first_app(const struct ptable *t)
{
    const struct part *best = NULL;
    for (int i = 0; i < t->n; i++)
        if (t->p[i].type == PART_TYPE_APP && (!best || t->p[i].offset < best->offset))
            best = &t->p[i];
    return best;
}

bool ptable_equal(const struct ptable *a, const struct ptable *b)
{
    if (a->n != b->n)
        return false;
    for (int i = 0; i < a->n; i++) {
        const struct part *x = &a->p[i], *y = &b->p[i];
        if (strcmp(x->name, y->name) || x->type != y->type || x->subtype != y->subtype ||
            x->offset != y->offset || x->size != y->size || x->flags != y->flags)
            return false;
    }
    return true;
}

uint32_t ptable_end(const struct ptable *t)
{
    uint64_t end = 0;
    for (int i = 0; i < t->n; i++) {
        uint64_t x = (uint64_t)t->p[i].offset + t->p[i].size;
        if (x > end)
            end = x;
    }
    return end > UINT32_MAX ? UINT32_MAX : (uint32_t)end;
}

void ptable_sort(struct ptable *t)
{
    /* Insertion sort: stable, and tables are tiny. */
    for (int i = 1; i < t->n; i++) {
        struct part x = t->p[i];
        int j = i;
        while (j > 0 && t->p[j - 1].offset > x.offset) {
            t->p[j] = t->p[j - 1];
            j--;
        }
        t->p[j] = x;
    }
}

/* ---- names ------------------------------------------------------------- */

struct name_code {
    const char *name;
    int code;
};

static const struct name_code types[] = {
    { "app", 0x00 }, { "data", 0x01 }, { "bootloader", 0x02 }, { "partition_table", 0x03 },
};

static const struct name_code app_subtypes[] = {
    { "factory", 0x00 },
    { "ota_0", 0x10 }, { "ota_1", 0x11 }, { "ota_2", 0x12 }, { "ota_3", 0x13 },
    { "ota_4", 0x14 }, { "ota_5", 0x15 }, { "ota_6", 0x16 }, { "ota_7", 0x17 },
    { "ota_8", 0x18 }, { "ota_9", 0x19 }, { "ota_10", 0x1A }, { "ota_11", 0x1B },
    { "ota_12", 0x1C }, { "ota_13", 0x1D }, { "ota_14", 0x1E }, { "ota_15", 0x1F },
    { "test", 0x20 }, { "tee_0", 0x30 }, { "tee_1", 0x31 },
};

static const struct name_code data_subtypes[] = {
    { "ota", 0x00 }, { "phy", 0x01 }, { "nvs", 0x02 }, { "coredump", 0x03 },
    { "nvs_keys", 0x04 }, { "efuse", 0x05 }, { "undefined", 0x06 }, { "esphttpd", 0x80 },
    { "fat", 0x81 }, { "spiffs", 0x82 }, { "littlefs", 0x83 }, { "tee_ota", 0x90 },
};

static const struct name_code bootloader_subtypes[] = {
    { "primary", 0x00 }, { "ota", 0x01 }, { "recovery", 0x02 },
};

static const struct name_code ptable_subtypes[] = {
    { "primary", 0x00 }, { "ota", 0x01 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct name_code *subtypes_of(int type, size_t *n)
{
    switch (type) {
    case 0x00: *n = N(app_subtypes); return app_subtypes;
    case 0x01: *n = N(data_subtypes); return data_subtypes;
    case 0x02: *n = N(bootloader_subtypes); return bootloader_subtypes;
    case 0x03: *n = N(ptable_subtypes); return ptable_subtypes;
    default: *n = 0; return NULL;
    }
}

/* Keywords are matched without regard to case, as gen_esp32part does. */
static int lookup_code(const struct name_code *tab, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(tab[i].name, name) == 0)
            return tab[i].code;
    return -1;
}

static const char *lookup_name(const struct name_code *tab, size_t n, int code)
{
    for (size_t i = 0; i < n; i++)
        if (tab[i].code == code)
            return tab[i].name;
    return NULL;
}

int ptable_type_code(const char *name)
{
    return lookup_code(types, N(types), name);
}

int ptable_subtype_code(int type, const char *name)
{
    size_t n;
    const struct name_code *tab = subtypes_of(type, &n);
    return tab ? lookup_code(tab, n, name) : -1;
}

const char *ptable_type_name(int type)
{
    return lookup_name(types, N(types), type);
}

const char *ptable_subtype_name(int type, int subtype)
{
    size_t n;
    const struct name_code *tab = subtypes_of(type, &n);
    return tab ? lookup_name(tab, n, subtype) : NULL;
}

/* Comma-separated keyword list for error messages ("ota, phy, nvs, ..."). */
size_t ptable_keywords(int type, bool subtypes, char *out, size_t cap)
{
    size_t n, len = 0;
    const struct name_code *tab = subtypes ? subtypes_of(type, &n) : types;
    if (!subtypes)
        n = N(types);
    if (cap)
        out[0] = '\0';
    for (size_t i = 0; tab && i < n; i++) {
        const char *sep = i ? ", " : "";
        size_t need = strlen(sep) + strlen(tab[i].name);
        if (len + need < cap) {
            strcat(out + len, sep);
            strcat(out + len, tab[i].name);
        }
        len += need;
    }
    return len;
}

/* ---- validation -------------------------------------------------------- */

static bool is_pseudo(const struct part *p)
{
    /* The primary bootloader and partition table entries describe regions
     * below the table and are exempt from the "at or above 0x9000" rule. */
    return (p->type == 0x02 || p->type == 0x03) && p->subtype == 0x00;
}

static int check_entry(const struct part *p, int i, struct err *e)
{
    size_t nlen = strnlen(p->name, sizeof p->name);
    if (nlen == 0)
        return err_set(e, "partition #%d (at 0x%x) has an empty name", i + 1, p->offset);
    if (nlen > PTABLE_NAME_MAX)
        return err_set(e, "partition '%.16s...': name is longer than %d bytes", p->name, PTABLE_NAME_MAX);
    if (p->size == 0)
        return err_set(e, "partition '%s': size is 0", p->name);
    if ((uint64_t)p->offset + p->size > 0x100000000ull)
        return err_set(e, "partition '%s': offset 0x%x + size 0x%x ends beyond 4 GiB",
                       p->name, p->offset, p->size);
    uint32_t align = p->type == PART_TYPE_APP ? APP_ALIGN : DATA_ALIGN;
    if (p->offset % align)
        return err_set(e, "partition '%s': offset 0x%x is not aligned to 0x%x", p->name, p->offset, align);
    /* Only app sizes need alignment (flash erase size); IDF ships data
     * partitions of any size, e.g. 0x36FFFC. */
    if (p->type == PART_TYPE_APP && p->size % DATA_ALIGN)
        return err_set(e, "partition '%s': size 0x%x is not aligned to 0x%x", p->name, p->size, DATA_ALIGN);
    if (p->type == PART_TYPE_DATA && (p->subtype == 0x00 || p->subtype == 0x03)
        && (p->flags & PART_FLAG_READONLY))
        return err_set(e, "partition '%s': %s partitions are always read-write and cannot be readonly",
                       p->name, p->subtype == 0x00 ? "otadata" : "coredump");
    if (p->type == PART_TYPE_DATA && p->subtype == PART_SUBTYPE_NVS && p->size < 0x3000
        && !(p->flags & PART_FLAG_READONLY))
        return err_set(e, "partition '%s': a read-write nvs partition needs at least 0x3000 bytes (has 0x%x); flag it readonly or make it larger",
                       p->name, p->size);
    return 0;
}

/* At most one partition of data/`subtype`, and it is exactly 0x2000. */
static int check_otadata(const struct ptable *t, int subtype, const char *what, int *bad, struct err *e)
{
    int first = -1;
    for (int i = 0; i < t->n; i++) {
        const struct part *p = &t->p[i];
        if (p->type != PART_TYPE_DATA || p->subtype != subtype)
            continue;
        if (first >= 0) {
            *bad = i;
            return err_set(e, "partitions '%s' and '%s' are both %s partitions; only one is allowed",
                           t->p[first].name, p->name, what);
        }
        first = i;
        if (p->size != OTADATA_SIZE) {
            *bad = i;
            return err_set(e, "partition '%s': %s partition must have size 0x%x (has 0x%x)",
                           p->name, what, OTADATA_SIZE, p->size);
        }
    }
    return 0;
}

int ptable_validate_at(const struct ptable *t, uint32_t flash_size, int *bad, struct err *e)
{
    int dummy;
    if (!bad)
        bad = &dummy;
    *bad = -1;
    if (t->n < 0 || t->n > PTABLE_MAX_PARTS)
        return err_set(e, "too many partitions: %d (the table holds at most %d)", t->n, PTABLE_MAX_PARTS);

    for (int i = 0; i < t->n; i++)
        if (check_entry(&t->p[i], i, e) < 0) {
            *bad = i;
            return -1;
        }

    for (int i = 0; i < t->n; i++)
        for (int j = 0; j < i; j++)
            if (strncmp(t->p[i].name, t->p[j].name, sizeof t->p[i].name) == 0) {
                *bad = i;
                return err_set(e, "partition name '%s' is used twice; names must be unique", t->p[i].name);
            }

    /* Overlaps, in offset order (stable, like gen_esp32part's sorted()):
     * if any two overlap, some neighbours in this order do. */
    int order[PTABLE_MAX_PARTS];
    for (int i = 0; i < t->n; i++) {
        int j = i;
        while (j > 0 && t->p[order[j - 1]].offset > t->p[i].offset) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    const uint32_t table_end = PTABLE_OFFSET + PTABLE_SECTOR;
    for (int k = 0; k < t->n; k++) {
        const struct part *p = &t->p[order[k]];
        if (p->offset < table_end && !is_pseudo(p)) {
            *bad = order[k];
            if ((uint64_t)p->offset + p->size > PTABLE_OFFSET)
                return err_set(e, "partition '%s' at 0x%x overlaps the partition table sector 0x%x-0x%x; use offset 0x%x or higher",
                               p->name, p->offset, PTABLE_OFFSET, table_end, table_end);
            return err_set(e, "partition '%s' at 0x%x lies below the partition table; use offset 0x%x or higher",
                           p->name, p->offset, table_end);
        }
        if (k > 0) {
            const struct part *q = &t->p[order[k - 1]];
            if ((uint64_t)p->offset < (uint64_t)q->offset + q->size) {
                *bad = order[k];
                return err_set(e, "partitions overlap: '%s' at 0x%x, previous partition '%s' ends at 0x%llx",
                               p->name, p->offset, q->name,
                               (unsigned long long)q->offset + q->size);
            }
        }
    }

    if (check_otadata(t, PART_SUBTYPE_OTADATA, "otadata", bad, e) < 0
        || check_otadata(t, 0x90, "TEE otadata", bad, e) < 0)
        return -1;

    if (flash_size && t->n > 0) {
        const struct part *last = &t->p[order[t->n - 1]];
        uint64_t end = (uint64_t)last->offset + last->size;
        if (end > flash_size) {
            *bad = order[t->n - 1];
            if (flash_size % 0x100000 == 0)
                return err_set(e, "partition '%s' ends at 0x%llx, beyond the end of the %u MB flash (0x%x)",
                               last->name, (unsigned long long)end, flash_size >> 20, flash_size);
            return err_set(e, "partition '%s' ends at 0x%llx, beyond the end of the flash (0x%x)",
                           last->name, (unsigned long long)end, flash_size);
        }
    }
    return 0;
}

int ptable_validate(const struct ptable *t, uint32_t flash_size, struct err *e)
{
    return ptable_validate_at(t, flash_size, NULL, e);
}
