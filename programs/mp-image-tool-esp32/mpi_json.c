/* --json for mp-image-tool-esp32: one document on stdout (out.h routes
 * every other line to stderr), schema in README "JSON output":
 *   {"schema", "tool", "input", "summary": {...}, "operations": [...],
 *    "ok", "error": {...}}
 * The option groups add their results as objects to "operations"
 * (out_json is inside that array while they run). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_image.h"
#include "mpi.h"
#include "mpi_json.h"
#include "mpi_run.h"
#include "out.h"

#define JSON_SCHEMA "mpi-json/1"

static bool ops_open;

void mpi_json_begin(struct mpi_run *run)
{
    if (!run->opts.json)
        return;
    static struct json doc;
    out_json = &doc;
    json_obj(out_json, NULL);
    json_str(out_json, "schema", JSON_SCHEMA);
    json_str(out_json, "tool", "mp-image-tool-esp32");
    json_str(out_json, "input", run->opts.input);
}

void mpi_json_ops(void)
{
    if (out_json && !ops_open) {
        json_arr(out_json, "operations");
        ops_open = true;
    }
}

static void part_json(struct json *j, const struct part *p)
{
    const char *t = ptable_type_name(p->type), *s = ptable_subtype_name(p->type, p->subtype);
    json_obj(j, NULL);
    json_str(j, "name", p->name);
    if (t)
        json_str(j, "type", t);
    else
        json_int(j, "type", p->type);
    if (s)
        json_str(j, "subtype", s);
    else
        json_int(j, "subtype", p->subtype);
    json_int(j, "offset", p->offset);
    json_int(j, "size", p->size);
    json_int(j, "flags", p->flags);
    json_bool(j, "implicit", p->implicit);
    json_end(j);
}

void mpi_json_table(const struct firmware *fw, const struct ptable *t, uint32_t flash_size,
                    const char *key)
{
    struct firmware view = *fw;
    struct part vfs;
    json_arr(out_json, key);
    for (int i = 0; i < t->n; i++)
        part_json(out_json, &t->p[i]);
    view.table = *t;
    view.flash_size = flash_size;
    if (firmware_implicit_vfs(&view, &vfs))
        part_json(out_json, &vfs);
    json_end(out_json);
}

/* The image at `addr` (bootloader or app), or nothing. */
static void image_at(struct firmware *fw, const char *key, uint32_t addr, uint32_t max)
{
    struct image_info img;
    struct err e;
    uint8_t magic;
    if (flash_read(fw->flash, addr, &magic, 1, &e) || magic != IMAGE_MAGIC ||
        firmware_image_layout(fw->flash, addr, max, &img, &e)) {
        json_null(out_json, key);
        return;
    }
    json_image(out_json, key, &img, false);
}

void mpi_json_summary(struct mpi_run *run)
{
    if (!out_json)
        return;
    struct firmware *fw = &run->fw;
    json_obj(out_json, "summary");
    json_str(out_json, "kind", firmware_kind_name(fw->kind));
    json_str(out_json, "chip", fw->chip ? fw->chip->name : NULL);
    json_int(out_json, "flash_size", fw->kind == FW_FS_IMAGE ? fw->flash->size
                                                             : fw->header_flash_size);
    if (fw->kind == FW_IMAGE || fw->kind == FW_DUMP || fw->kind == FW_DEVICE) {
        image_at(fw, "bootloader", fw->chip->bootloader_offset,
                 PTABLE_OFFSET - fw->chip->bootloader_offset);
        const struct part *app = ptable_first_app(&fw->table);
        if (app)
            image_at(fw, "app", app->offset, app->size);
        else
            json_null(out_json, "app");
        mpi_json_table(fw, &fw->table, fw->flash_size, "table");
    }
    json_end(out_json);
}

/* The first 0x... in the message, the partition it names ('name'), and
 * the file before its first ": " when that is the input or a file. */
static void error_json(const struct mpi_run *run, const char *msg)
{
    json_obj(out_json, "error");
    json_str(out_json, "message", msg);
    const char *x = strstr(msg, "0x");
    if (x && isxdigit((unsigned char)x[2]))
        json_int(out_json, "address", (int64_t)strtoull(x, NULL, 16));
    const char *q = strstr(msg, "partition '");
    if (q) {
        char name[64];
        if (sscanf(q + 11, "%63[^']", name) == 1)
            json_str(out_json, "partition", name);
    }
    const char *colon = strstr(msg, ": ");
    if (colon && run->opts.input && (size_t)(colon - msg) == strlen(run->opts.input) &&
        !strncmp(msg, run->opts.input, strlen(run->opts.input)))
        json_str(out_json, "file", run->opts.input);
    json_end(out_json);
}

void mpi_json_end(struct mpi_run *run, int rc, const struct err *e)
{
    if (!out_json)
        return;
    if (ops_open)
        json_end(out_json);
    ops_open = false;
    json_bool(out_json, "ok", rc == 0);
    if (rc)
        error_json(run, e->msg);
    json_end(out_json);
    fflush(stderr);
    printf("%s\n", json_text(out_json));
    fflush(stdout);
    json_free(out_json);
    out_json = NULL;
}

void mpi_json_op(const char *op, const char *part, uint32_t addr, uint32_t len,
                 const char *file)
{
    if (!out_json)
        return;
    json_obj(out_json, NULL);
    json_str(out_json, "op", op);
    if (part)
        json_str(out_json, "partition", part);
    json_int(out_json, "address", addr);
    json_int(out_json, "length", len);
    if (file)
        json_str(out_json, "file", file);
    json_end(out_json);
}
