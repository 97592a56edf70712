/* elf2image: the steps of esptool's cmds.elf2image() in its order, then the
 * save() of the image class (ESP32 family, ESP8266 v1, v2, v3).  The
 * section numbers are those of ../shared/docs/esptool-commands.md. */
#include "elf2image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bytes.h"
#include "chip_image.h"
#include "elf.h"
#include "hash.h"
#include "image.h"
#include "e2i_impl.h"

void e2i_opts_init(struct e2i_opts *o)
{
    memset(o, 0, sizeof *o);
    o->version = 1;
    o->flash_mode = "qio";
    o->flash_size = "1MB";
    o->max_rev_full = 65535;
}

static void say_warning(void *ctx, const char *msg)
{
    e2i_say(ctx, E2I_WARNING, "%s", msg);
}

/* ---- the image being built ---- */

static void free_segs(struct e2i *m)
{
    for (size_t i = 0; i < m->nsegs; i++)
        free(m->segs[i].data);
    free(m->segs);
    m->segs = NULL;
    m->nsegs = 0;
}

/* esptool's flash_size_bytes(): "<int>MB" or "<int>KB". */
static int size_bytes(const char *s, uint64_t *out, struct err *e)
{
    const char *mb = strstr(s, "MB"), *kb = strstr(s, "KB");
    const char *unit = mb ? mb : kb;
    if (!unit)
        return err_set(e, "Unknown size %s", s);
    char num[32];
    size_t n = (size_t)(unit - s);
    if (n == 0 || n >= sizeof num)
        return err_set(e, "invalid literal for int() with base 10: '%.*s'", (int)n, s);
    memcpy(num, s, n);
    num[n] = '\0';
    char *end;
    long long v = strtoll(num, &end, 10);
    while (*end == ' ')
        end++;
    if (*end || v < 0)
        return err_set(e, "invalid literal for int() with base 10: '%s'", num);
    *out = (uint64_t)v * (mb ? 1024 * 1024 : 1024);
    return 0;
}

/* set_mmu_page_size(): only chips with a choice change it. */
static int set_page(struct e2i *m, uint64_t size, struct err *e)
{
    const uint32_t *conf = m->kind == E2I_FAMILY ? m->ci->mmu_sizes : NULL;
    if (!conf) {
        /* ESP8266 v1/v2 (page 0): esptool's message is empty there */
        if (size != m->page && m->page)
            e2i_say(m->o, E2I_WARNING, "Changing MMU page size is not supported on %s! "
                    "Defaulting to %uKB.", m->loader_name, (unsigned)(m->page / 1024));
        else if (size != m->page)
            e2i_say(m->o, E2I_WARNING, "%s", "");
        return 0;
    }
    for (const uint32_t *p = conf; *p; p++)
        if (*p == size) {
            m->page = *p;
            return 0;
        }
    char list[64] = "";
    for (const uint32_t *p = conf; *p; p++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%uKB", p == conf ? "" : ", ",
                 (unsigned)(*p / 1024));
    return err_set(e, "%llu bytes is not a valid %s page size, select from %s.",
                   (unsigned long long)size, m->loader_name, list);
}

/* No --flash-mmu-page-size: an app descriptor in flash names it (byte
 * 180 = log2, IDF >= 5.4) or its address tells (§1.4). */
static int page_from_appdesc(struct e2i *m, const struct elf *elf, struct err *e)
{
    const struct elf_chunk *c = NULL;
    for (size_t i = 0; i < elf->nsections && !c; i++)
        if (strstr(elf->sections[i].name, ".flash.appdesc"))
            c = &elf->sections[i];
    if (!c)
        return 0;
    if (m->kind == E2I_V1 || m->kind == E2I_V2)
        return err_set(e, "AttributeError: '%s' object has no attribute 'is_flash_addr'",
                       m->kind == E2I_V1 ? "ESP8266ROMFirmwareImage" : "ESP8266V2FirmwareImage");
    if (!e2i_is_flash(m, c->addr) || m->kind != E2I_FAMILY || !m->ci->mmu_sizes)
        return 0;
    uint32_t padded = (c->len + 3) & ~3u;
    if (padded < APP_DESC_LEN)
        return err_set(e, "struct.error: unpack requires a buffer of 256 bytes");
    if (get_le32(c->data) != APP_DESC_MAGIC)
        return 0;
    uint8_t log2 = c->len > 180 ? c->data[180] : 0;
    if (log2) {
        uint64_t kb = log2 < 64 ? (((uint64_t)1 << log2) / 1024) : 0;
        return set_page(m, kb * 1024, e);
    }
    const uint32_t *conf = m->ci->mmu_sizes;
    size_t n = 0;
    while (conf[n])
        n++;
    for (size_t i = n; i-- > 0;)
        if ((uint32_t)(c->addr - 32) % conf[i] == 0) {
            m->page = conf[i];
            e2i_say(m->o, E2I_PRINT, "MMU page size not specified, set to %u KB",
                    (unsigned)(m->page / 1024));
            return 0;
        }
    e2i_say(m->o, E2I_WARNING, "App description segment is not aligned to MMU page size, "
            "probably linker script issue or wrong MMU page size. Try to set MMU page size "
            "parameter manually.");
    return 0;
}

/* The chosen list (sections or PT_LOAD headers) as owned segments, each
 * padded with zeros to 4 bytes. */
static int take_segments(struct e2i *m, const struct elf *elf, struct err *e)
{
    if (m->o->use_segments && !elf->has_phdrs)
        return err_set(e, "AttributeError: 'ELFFile' object has no attribute 'segments'");
    const struct elf_chunk *c = m->o->use_segments ? elf->segments : elf->sections;
    size_t n = m->o->use_segments ? elf->nsegments : elf->nsections;
    m->segs = calloc(n ? n : 1, sizeof *m->segs);
    if (!m->segs)
        return err_set(e, "out of memory");
    for (size_t i = 0; i < n; i++) {
        struct e2i_seg *s = &m->segs[m->nsegs++];
        s->addr = c[i].addr;
        s->name = c[i].name;
        s->align = c[i].align;
        s->len = (c[i].len + 3) & ~3u;
        s->data = calloc(s->len ? s->len : 1, 1);
        if (!s->data)
            return err_set(e, "out of memory");
        if (c[i].len)
            memcpy(s->data, c[i].data, c[i].len);
    }
    return 0;
}

/* Header bytes 2-3: mode, then size code + frequency code (§1.6). */
static int flash_params(struct e2i *m, struct err *e)
{
    static const char *const modes[] = { "qio", "qout", "dio", "dout" };
    m->mode = 0xFF;
    for (uint8_t i = 0; i < 4; i++)
        if (!strcmp(m->o->flash_mode, modes[i]))
            m->mode = i;
    if (m->mode == 0xFF)
        return err_set(e, "Invalid flash mode '%s'", m->o->flash_mode);
    char list[160];
    int s = chip_code_of(m->codes->sizes, m->o->flash_size);
    if (s < 0) {
        chip_code_list(m->codes->sizes, list, sizeof list);
        return err_set(e, "Flash size '%s' is not supported by this chip type. Supported sizes: "
                       "%s", m->o->flash_size, list);
    }
    int f = m->o->flash_freq ? chip_code_of(m->codes->freqs, m->o->flash_freq) : 0;
    if (f < 0) {
        chip_code_list(m->codes->freqs, list, sizeof list);
        return err_set(e, "Flash frequency '%s' is not supported by this chip type. Supported "
                       "frequencies: %s", m->o->flash_freq, list);
    }
    m->size_freq = (uint8_t)(s + f);
    return 0;
}

/* Where the SHA-256 of the ELF goes (§1.12). */
static void elf_sha(struct e2i *m, const uint8_t *elf, size_t len)
{
    uint32_t off = m->o->elf_sha256_offset;
    for (size_t i = 0; i < m->nsegs && !off; i++)
        if (strstr(m->segs[i].name, ".flash.appdesc")) {
            if (e2i_is_flash(m, m->segs[i].addr))
                off = 0xB0;     /* app_elf_sha256 of a descriptor first in flash */
            break;
        }
    m->sha_offset = off;
    if (off)
        hash_sha256(elf, len, m->elf_sha);
}

/* The memory-map regions holding addr, as a set (merging compares them). */
static uint32_t memory_types(const struct e2i *m, uint32_t addr)
{
    uint32_t set = 0, bit = 1;
    for (const struct chip_region *r = m->map->memory_map; r->name; r++, bit <<= 1)
        if (addr >= r->start && addr < r->end)
            set |= bit;
    return set;
}

/* --ram-only-header: pad `prev` up to `next` when next's alignment says
 * they belong together (§1.3). */
static int align_pad(struct e2i *m, struct e2i_seg *prev, const struct e2i_seg *next,
                     struct err *e)
{
    if (!next->align)
        return err_set(e, "ZeroDivisionError: integer modulo by zero");
    uint64_t end = (uint64_t)prev->addr + prev->len, padded = end;
    if (end % next->align)
        padded += next->align - end % next->align;
    if (padded == end || padded != next->addr)
        return 0;
    e2i_say(m->o, E2I_NOTE, "Inserting %u bytes padding between %s and %s",
            (unsigned)(padded - end), prev->name, next->name);
    return e2i_grow(prev, (uint32_t)(padded - prev->addr), e);
}

/* merge_adjacent_segments(): from the end, append a segment to the one
 * before it when it starts where that ends in the same memory types. */
static int merge(struct e2i *m, struct err *e)
{
    bool pad = m->kind == E2I_FAMILY && m->o->ram_only_header;
    for (size_t i = m->nsegs; i-- > 1;) {
        struct e2i_seg *prev = &m->segs[i - 1], *next = &m->segs[i];
        if (pad && align_pad(m, prev, next, e) != 0)
            return -1;
        if (memory_types(m, prev->addr) != memory_types(m, next->addr) ||
            next->addr != prev->addr + prev->len) {
            continue;
        }
        uint32_t at = prev->len;
        if (e2i_grow(prev, prev->len + next->len, e) != 0)
            return -1;
        memcpy(prev->data + at, next->data, next->len);
        free(next->data);
        next->data = NULL;
    }
    size_t j = 0;
    for (size_t i = 0; i < m->nsegs; i++)
        if (m->segs[i].data)
            m->segs[j++] = m->segs[i];
    m->nsegs = j;
    return 0;
}

static int prepare(struct e2i *m, const uint8_t *buf, size_t len, struct err *e)
{
    const struct e2i_opts *o = m->o;
    if (o->flash_mmu_page_size) {
        uint64_t size;
        if (size_bytes(o->flash_mmu_page_size, &size, e) != 0 || set_page(m, size, e) != 0)
            return -1;
    } else if (page_from_appdesc(m, &m->elf, e) != 0) {
        return -1;
    }
    if (take_segments(m, &m->elf, e) != 0)
        return -1;
    if (o->pad_to_size && size_bytes(o->pad_to_size, &m->pad_to, e) != 0)
        return -1;
    if (flash_params(m, e) != 0)
        return -1;
    elf_sha(m, buf, len);
    if (o->ram_only_header) {
        e2i_say(o, E2I_PRINT, "Image has only RAM segments visible. ROM segments are hidden "
                "and SHA256 digest is not appended.");
        e2i_sort(m->segs, m->nsegs);
    }
    size_t before = m->nsegs;
    if (merge(m, e) != 0)
        return -1;
    if (m->nsegs != before)
        e2i_say(o, E2I_PRINT, "Merged %zu ELF section%s.", before - m->nsegs,
                before - m->nsegs > 1 ? "s" : "");
    if (m->nsegs > 16)
        return err_set(e, "Invalid segment count %zu (max 16). Usually this indicates a linker "
                       "script problem.", m->nsegs);
    return 0;
}

/* Image class, page size and code tables as cmds.elf2image() picks them. */
static int setup(struct e2i *m, const struct e2i_opts *o, struct err *e)
{
    memset(m, 0, sizeof *m);
    m->o = o;
    m->ci = chip_image(o->chip);
    if (!m->ci)
        return err_set(e, "no image facts for %s", o->chip->display);
    bool esp8266 = !o->chip->has_ext_header;
    m->kind = !esp8266 ? E2I_FAMILY : o->version == 1 ? E2I_V1 : o->version == 2 ? E2I_V2
                                                                                   : E2I_V3;
    m->map = m->codes = m->ci;
    m->loader_name = o->chip->display;
    m->page = m->kind == E2I_V1 || m->kind == E2I_V2 ? 0 : CHIP_IMAGE_PAGE;
    if (m->kind == E2I_V3) {
        /* v3's class derives from ESP32's: ESP32's tables and name. */
        const struct chip *esp32 = chip_by_name("esp32");
        m->map = m->codes = chip_image(esp32);
        m->loader_name = esp32->display;
    }
    if (m->kind == E2I_FAMILY) {
        m->secure_pad = o->secure_pad_v2 ? 2 : (o->secure_pad && !strcmp(o->chip->name, "esp32"));
        m->digest = !o->ram_only_header && !o->dont_append_digest;
    }
    m->digest |= m->kind == E2I_V3;
    return 0;
}

int elf2image(const uint8_t *buf, size_t len, const struct e2i_opts *o, struct e2i_out *out,
              struct err *e)
{
    struct e2i m;
    memset(out, 0, sizeof *out);
    if (setup(&m, o, e) != 0)
        return -1;
    if (elf_parse(buf, len, &m.elf, say_warning, (void *)o, e) != 0)
        return -1;
    m.entry = m.elf.entry;
    e2i_say(o, E2I_PRINT, "Creating %s image...", o->chip->display);
    int rc = prepare(&m, buf, len, e);
    if (rc == 0) {
        e2i_say(o, E2I_PRINT, "Successfully created %s image.", o->chip->display);
        rc = e2i_save(&m, out, e);
    }
    free_segs(&m);
    elf_free(&m.elf);
    if (rc != 0)
        e2i_free(out);
    return rc;
}

/* os.path.splitext(name)[0]: the name without its last extension (a dot
 * leading the base name does not start one). */
static size_t stem_len(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    while (*base == '.')
        base++;
    const char *dot = strrchr(base, '.');
    return dot ? (size_t)(dot - name) : strlen(name);
}

void e2i_output_names(const struct e2i_opts *o, const struct e2i_out *out, const char *elf_name,
                      const char *output, char *name1, char *name2, size_t cap)
{
    name2[0] = '\0';
    bool esp8266 = !o->chip->has_ext_header;
    if (esp8266 && o->version == 1) {
        char prefix[1024];
        snprintf(prefix, sizeof prefix, output ? "%s" : "%s-", output ? output : elf_name);
        snprintf(name1, cap, "%s0x00000.bin", prefix);
        if (out->irom)
            snprintf(name2, cap, "%s0x%05x.bin", prefix, (unsigned)out->irom_offset);
        return;
    }
    if (output) {
        snprintf(name1, cap, "%s", output);
        return;
    }
    int stem = (int)stem_len(elf_name);
    if (esp8266 && o->version == 2)
        snprintf(name1, cap, "%.*s-0x%05x.bin", stem, elf_name,
                 (unsigned)(out->irom_offset & ~0xFFFu));
    else
        snprintf(name1, cap, "%.*s.bin", stem, elf_name);
}
