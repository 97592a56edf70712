/* --ota-switch plans as text: plan.json for people and scripts, and
 * ota_switch.h for an in-field repartitioner.  Text only, no I/O. */
#include "hash.h"
#include "op_switch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing string; NULL once memory ran out. */
struct sb {
    char *s;
    size_t len, cap;
};

static void sb_add(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sb *b, const char *fmt, ...)
{
    va_list ap;
    for (int tries = 0; b->s && tries < 2; tries++) {
        va_start(ap, fmt);
        int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *s = n < 0 ? NULL : realloc(b->s, cap);
        if (!s)
            free(b->s);
        b->s = s;
        b->cap = cap;
    }
}

static struct sb sb_new(void)
{
    struct sb b = { malloc(4096), 0, 4096 };
    if (b.s)
        b.s[0] = '\0';
    return b;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void sb_json_str(struct sb *b, const char *s)
{
    sb_add(b, "\"");
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            sb_add(b, "\\%c", c);
        else if (c < 0x20)
            sb_add(b, "\\u%04x", c);
        else
            sb_add(b, "%c", c);
    }
    sb_add(b, "\"");
}

static void json_key_str(struct sb *b, const char *key, const char *v, const char *end)
{
    sb_add(b, "\"%s\": ", key);
    if (v)
        sb_json_str(b, v);
    else
        sb_add(b, "null");
    sb_add(b, "%s", end);
}

/* ---- plan.json ------------------------------------------------------------ */

static void json_table(struct sb *b, const char *key, const struct ptable *t)
{
    sb_add(b, "  \"%s\": [\n", key);
    for (int i = 0; i < t->n; i++) {
        const struct part *p = &t->p[i];
        const char *tn = ptable_type_name(p->type), *sn = ptable_subtype_name(p->type, p->subtype);
        char tbuf[8], sbuf[8];
        snprintf(tbuf, sizeof tbuf, "%u", p->type);
        snprintf(sbuf, sizeof sbuf, "%u", p->subtype);
        sb_add(b, "    {");
        json_key_str(b, "name", p->name, ", ");
        json_key_str(b, "type", tn ? tn : tbuf, ", ");
        json_key_str(b, "subtype", sn ? sn : sbuf, ", ");
        sb_add(b, "\"offset\": %u, \"size\": %u, \"flags\": %u}%s\n", p->offset, p->size,
               p->flags, i + 1 < t->n ? "," : "");
    }
    sb_add(b, "  ],\n");
}

static void json_app(struct sb *b, const struct image_info *img)
{
    json_key_str(b, "project", img->has_app_desc ? img->app.project_name : NULL, ", ");
    json_key_str(b, "version", img->has_app_desc ? img->app.version : NULL, ", ");
    json_key_str(b, "idf", img->has_app_desc ? img->app.idf_ver : NULL, ", ");
    sb_add(b, "\"length\": %u", img->total_len);
}

static void json_deployed(struct sb *b, const struct switch_plan *p)
{
    const struct switch_state *st = &p->st;
    char rev[12];
    compat_rev_name((unsigned)st->chip_revision, rev);
    sb_add(b, "  \"deployed\": {\n    ");
    json_key_str(b, "chip", st->chip->name, ", ");
    json_key_str(b, "chip_revision", st->chip_revision >= 0 ? rev : NULL, ", ");
    sb_add(b, "\"flash_size\": %u,\n    ", st->flash_size);
    json_key_str(b, "bootloader_idf", st->boot_idf[0] ? st->boot_idf : NULL, ", ");
    json_key_str(b, "bootloader_idf_from", st->boot_idf_from, ",\n    ");
    const struct part *r = &p->old_table.p[st->running];
    sb_add(b, "\"running\": {");
    json_key_str(b, "partition", r->name, ", ");
    sb_add(b, "\"offset\": %u, \"size\": %u, \"image_read\": %s", r->offset, r->size,
           st->running_known ? "true" : "false");
    if (st->running_known) {
        sb_add(b, ", ");
        json_app(b, &st->running_img);
    }
    sb_add(b, "},\n    \"otadata\": {\"offset\": %u, \"entries\": [", st->otadata_part.offset);
    for (int i = 0; i < 2; i++) {
        const struct otadata_entry *x = &st->ota.e[i];
        const char *state = otadata_state_name(x->state);
        if (x->seq == 0xFFFFFFFFu) {
            sb_add(b, "%s{\"empty\": true}", i ? ", " : "");
            continue;
        }
        sb_add(b, "%s{\"seq\": %u, ", i ? ", " : "", (unsigned)x->seq);
        json_key_str(b, "state", state ? state : "unknown", ", ");
        sb_add(b, "\"crc_ok\": %s, \"in_use\": %s}", x->crc_ok ? "true" : "false",
               st->ota.active == i ? "true" : "false");
    }
    sb_add(b, "]}\n  },\n");
}

static void json_verdict(struct sb *b, const struct switch_plan *p)
{
    static const char *const names[] = { "ok", "refused", "unknown" };
    unsigned lo, hi;
    char a[12], z[12];
    compat_rev_range(&p->st.mp, &lo, &hi);
    compat_rev_name(lo, a);
    compat_rev_name(hi, z);
    sb_add(b, "  \"micropython\": {");
    json_app(b, &p->st.mp);
    sb_add(b, ", \"chip\": \"%s\", \"chip_revisions\": [\"%s\", \"%s\"]},\n", p->st.mp.chip->name,
           a, z);
    sb_add(b, "  \"verdict\": {\"result\": \"%s\", \"forced\": %s, ",
           names[p->verdict.result], p->forced ? "true" : "false");
    json_key_str(b, "reason", p->verdict.reason, ", ");
    json_key_str(b, "suggestion", p->verdict.suggestion[0] ? p->verdict.suggestion : NULL, "},\n");
    sb_add(b, "  \"notes\": [");
    for (int i = 0; i < p->n_notes; i++) {
        sb_add(b, "%s", i ? ", " : "");
        sb_json_str(b, p->notes[i]);
    }
    sb_add(b, "],\n");
}

static void json_names(struct sb *b, const char *key, const struct switch_plan *p, bool kept)
{
    sb_add(b, "  \"%s\": [", key);
    for (int i = 0, n = 0; i < p->old_table.n; i++)
        if (p->layout.kept[i] == kept) {
            sb_add(b, "%s", n++ ? ", " : "");
            sb_json_str(b, p->old_table.p[i].name);
        }
    sb_add(b, "],\n");
}

static void json_steps(struct sb *b, const struct switch_plan *p)
{
    static const char *const names[] = { "backup", "copy_running", "select_copy", "write_app",
                                         "write_table", "erase_vfs", "select_micropython",
                                         "verify" };
    sb_add(b, "  \"steps\": [\n");
    for (int i = 0; i < p->n_steps; i++) {
        const struct switch_step *s = &p->step[i];
        sb_add(b, "    {\"step\": %d, \"action\": \"%s\", \"address\": %u, \"length\": %u, "
                  "\"done\": %s, ", i + 1, names[s->action], s->addr, s->len,
               s->done ? "true" : "false");
        json_key_str(b, "text", s->text, i + 1 < p->n_steps ? "},\n" : "}\n");
    }
    sb_add(b, "  ],\n  \"backup\": [\n");
    for (int i = 0; i < p->n_backup; i++) {
        const struct switch_range *r = &p->backup[i];
        sb_add(b, "    {\"address\": %u, \"length\": %u, ", r->addr, r->len);
        json_key_str(b, "what", r->what, i + 1 < p->n_backup ? "},\n" : "}\n");
    }
    sb_add(b, "  ]\n");
}

char *op_switch_json(const struct switch_plan *p, const char *source)
{
    struct sb b = sb_new();
    const struct switch_layout *l = &p->layout;
    sb_add(&b, "{\n  ");
    json_key_str(&b, "source", source, ",\n");
    json_deployed(&b, p);
    json_verdict(&b, p);
    json_table(&b, "old_table", &p->old_table);
    json_table(&b, "new_table", &l->table);
    json_names(&b, "kept", p, true);
    json_names(&b, "reused", p, false);
    const struct part *mp = &l->table.p[l->mp_slot], *vfs = &l->table.p[l->vfs];
    sb_add(&b, "  \"micropython_slot\": {");
    json_key_str(&b, "partition", mp->name, ", ");
    sb_add(&b, "\"offset\": %u, \"size\": %u},\n", mp->offset, mp->size);
    sb_add(&b, "  \"vfs\": {\"offset\": %u, \"size\": %u},\n  \"unused\": %u,\n", vfs->offset,
           vfs->size, l->unused);
    sb_add(&b, "  \"moves_running_app\": %s,\n  ", p->move ? "true" : "false");
    json_key_str(&b, "field_note", p->field_note, ",\n");
    json_steps(&b, p);
    sb_add(&b, "}\n");
    return b.s;
}

/* ---- ota_switch.h ---------------------------------------------------------- */

static void md5_hex(const uint8_t *data, size_t len, char out[33])
{
    uint8_t d[16];
    hash_md5(data, len, d);
    for (int i = 0; i < 16; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void header_intro(struct sb *b, const struct switch_plan *p, const char *source)
{
    sb_add(b, "/* ota_switch.h: the partition table that switches this fleet to MicroPython,\n"
              " * for an in-field repartitioner (an ESP-IDF app).  Written by\n"
              " * mp-image-tool-esp32 --ota-switch from %s.\n *\n", source);
    sb_add(b, " * The repartitioner runs from the kept slot (MPI_SWITCH_KEEP_SLOT_OFFSET) and:\n"
              " *  1. reads MPI_SWITCH_TABLE_LEN bytes at MPI_SWITCH_TABLE_OFFSET: if their MD5\n"
              " *     is MPI_SWITCH_TABLE_MD5 it goes to 4; if it is not\n"
              " *     MPI_SWITCH_OLD_TABLE_MD5, this device has another layout: stop;\n"
              " *  2. erases the 4 KiB sector at MPI_SWITCH_TABLE_OFFSET and writes\n"
              " *     mpi_switch_table there;\n"
              " *  3. restarts (ESP-IDF reads the partition table once, at boot);\n"
              " *  4. erases each MPI_SWITCH_ERASE_<n> region (the head of vfs, where\n"
              " *     MicroPython makes its filesystem at first boot);\n"
              " *  5. OTA-updates micropython.app-bin into the slot at\n"
              " *     MPI_SWITCH_MP_SLOT_OFFSET and makes it the boot partition.\n"
              " * A cut anywhere leaves the kept slot booting; the repartitioner starts\n"
              " * again and goes on where the table's MD5 says.\n");
    sb_add(b, " * Note: %s. */\n", p->field_note);
}

static void header_defines(struct sb *b, const struct switch_plan *p)
{
    const struct switch_layout *l = &p->layout;
    const struct part *k = &l->table.p[l->keep_slot], *mp = &l->table.p[l->mp_slot];
    const struct part *vfs = &l->table.p[l->vfs];
    uint8_t table[PTABLE_MAX_LEN];
    char md5[33], old_md5[33];
    ptable_serialize_gen(&l->table, table);
    md5_hex(table, sizeof table, md5);
    md5_hex(p->old_table_raw, sizeof p->old_table_raw, old_md5);
    sb_add(b, "#define MPI_SWITCH_TABLE_OFFSET 0x%x\n#define MPI_SWITCH_TABLE_LEN 0x%x\n",
           PTABLE_OFFSET, PTABLE_MAX_LEN);
    sb_add(b, "#define MPI_SWITCH_TABLE_MD5 \"%s\"\n#define MPI_SWITCH_OLD_TABLE_MD5 \"%s\"\n",
           md5, old_md5);
    sb_add(b, "#define MPI_SWITCH_KEEP_SLOT_OFFSET 0x%x\n#define MPI_SWITCH_KEEP_SLOT_SIZE 0x%x\n",
           k->offset, k->size);
    sb_add(b, "#define MPI_SWITCH_MP_SLOT_OFFSET 0x%x\n#define MPI_SWITCH_MP_SLOT_SIZE 0x%x\n"
              "#define MPI_SWITCH_MP_SLOT_SUBTYPE 0x%02x\n#define MPI_SWITCH_MP_APP_LEN 0x%zx\n",
           mp->offset, mp->size, mp->subtype, p->st.mp_len);
    sb_add(b, "#define MPI_SWITCH_VFS_OFFSET 0x%x\n#define MPI_SWITCH_VFS_SIZE 0x%x\n",
           vfs->offset, vfs->size);
    int n = 0;
    for (int i = 0; i < p->n_steps; i++)
        if (p->step[i].action == SW_ERASE_VFS) {
            sb_add(b, "#define MPI_SWITCH_ERASE_%d_OFFSET 0x%x\n#define MPI_SWITCH_ERASE_%d_SIZE "
                      "0x%x\n", n, p->step[i].addr, n, p->step[i].len);
            n++;
        }
    sb_add(b, "#define MPI_SWITCH_ERASE_COUNT %d\n\n", n);
    sb_add(b, "static const uint8_t mpi_switch_table[MPI_SWITCH_TABLE_LEN] = {");
    for (size_t i = 0; i < sizeof table; i++)
        sb_add(b, "%s0x%02x,", i % 12 ? " " : "\n    ", table[i]);
    sb_add(b, "\n};\n");
}

char *op_switch_header(const struct switch_plan *p, const char *source)
{
    struct sb b = sb_new();
    header_intro(&b, p, source);
    sb_add(&b, "#ifndef MPI_OTA_SWITCH_H\n#define MPI_OTA_SWITCH_H\n\n#include <stdint.h>\n\n");
    header_defines(&b, p);
    sb_add(&b, "\n#endif\n");
    return b.s;
}
