/* -x/--extract-app and --check-app. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "mpi.h"
#include "mpi_run.h"
#include "names.h"
#include "op_app.h"
#include "op_ota.h"
#include "out.h"

/* FILE.bin -> FILE.app-bin in the current directory. */
static void app_name(const char *input, char *out, size_t cap)
{
    const char *base = host_base_name(input);
    size_t n = strlen(base);
    if (n >= 4 && strcmp(base + n - 4, ".bin") == 0)
        n -= 4;
    snprintf(out, cap, "%.*s.app-bin", (int)n, base);
}

int mpi_extract_app(struct mpi_run *run, struct err *e)
{
    char name[4096];
    uint8_t *buf;
    size_t len;
    struct part p;
    if (run->fw.kind == FW_APP_IMAGE || run->fw.kind == FW_FS_IMAGE)
        return err_set(e, "%s: a %s has no app partition to extract", run->opts.input,
                       firmware_kind_name(run->fw.kind));
    if (run->opts.output)
        snprintf(name, sizeof name, "%s", run->opts.output);
    else
        app_name(run->opts.input, name, sizeof name);
    if (op_app_extract(&run->fw, &buf, &len, &p, e))
        return -1;
    out_action("Writing app image from partition '%s' to '%s' (%zu bytes)...", p.name, name, len);
    int rc = file_write_atomic(name, buf, len, e);
    free(buf);
    return rc;
}

static void print_report(const struct app_report *r)
{
    const char *what = strcmp(r->part.name, "bootloader") == 0 ? "Bootloader" : "App";
    if (!r->present) {
        out_data("Partition '%s': %s image signature not found.", r->part.name, what);
        return;
    }
    out_data("Partition '%s': %s image signature found.", r->part.name, what);
    if (r->img.total_len) {
        const struct image_info *i = &r->img;
        out_data("  %s, %u segments, %u bytes, checksum %s, SHA-256 %s", i->chip->name,
                 i->segment_count, i->total_len, i->checksum_ok ? "valid" : "INVALID",
                 !i->hash_appended ? "not appended" : i->sha_ok ? "valid" : "INVALID");
        if (i->has_app_desc)
            out_data("  %s %s, ESP-IDF %s, built %s %s", i->app.project_name, i->app.version,
                     i->app.idf_ver, i->app.date, i->app.time);
        if (i->has_boot_desc)
            out_data("  bootloader ESP-IDF %s, built %s", i->boot.idf_ver, i->boot.date_time);
    }
    if (r->valid)
        out_data("  Hash confirmed (size=%u).", r->img.total_len);
    else
        out_warn("Partition '%s': %s", r->part.name, r->problem);
}

/* One otadata select entry: what it selects and the state an app with
 * rollback sees (NEW, PENDING_VERIFY, VALID, ...). */
static void print_ota_record(int i, const struct otadata_entry *r, int n_ota, bool active)
{
    if (r->seq == 0xFFFFFFFFu) {
        out_data("OTA data entry %d: empty", i);
        return;
    }
    char slot[16] = "no OTA slot";
    if (n_ota > 0)
        snprintf(slot, sizeof slot, "ota_%u", (unsigned)((r->seq - 1) % (uint32_t)n_ota));
    /* ESP-IDF's names: ESP_OTA_IMG_NEW ... */
    const char *name = otadata_state_name(r->state);
    char state[32];
    size_t k = 0;
    for (; name && name[k] && k + 1 < sizeof state; k++)
        state[k] = (char)toupper((unsigned char)name[k]);
    state[k] = '\0';
    if (!name)
        snprintf(state, sizeof state, "0x%x (unknown)", (unsigned)r->state);
    out_data("OTA data entry %d: seq %u -> %s, state %s%s%s", i, (unsigned)r->seq, slot, state,
             r->crc_ok ? "" : ", CRC WRONG (ignored)", active ? " (in use)" : "");
}

static void print_ota(struct mpi_run *run)
{
    struct firmware *fw = &run->fw;
    struct ota_status v;
    struct err e;
    if (op_ota_status(fw, &v, &e) != 0) {
        if (v.has_otadata)
            out_warn("%s", e.msg);
        return;
    }
    if (!v.has_otadata)
        return;
    for (int i = 0; i < 2; i++)
        print_ota_record(i, &v.records.e[i], v.n_ota, i == v.records.active);
    out_data("Current OTA boot partition: %s", v.current);
    out_data("Next OTA boot partition: %s", v.next);
}

int mpi_check_app(struct mpi_run *run, struct err *e)
{
    struct firmware *fw = &run->fw;
    struct app_report r;
    int bad = 0;
    if (fw->kind == FW_FS_IMAGE)
        return err_set(e, "%s: a filesystem image holds no app", run->opts.input);
    if (fw->kind == FW_APP_IMAGE) {
        struct part whole = { .name = "app", .type = PART_TYPE_APP, .size = fw->flash->size };
        if (op_app_inspect(fw, &whole, &r, e))
            return -1;
        print_report(&r);
        return r.valid ? 0 : err_set(e, "%s: the app image is not valid: %s", run->opts.input,
                                     r.problem);
    }
    struct part boot;
    if (firmware_find_part(fw, "bootloader", &boot, e) || op_app_inspect(fw, &boot, &r, e))
        return -1;
    print_report(&r);
    bad += !r.valid;
    for (int i = 0; i < fw->table.n; i++) {
        const struct part *p = &fw->table.p[i];
        if (p->type != PART_TYPE_APP)
            continue;
        if (op_app_inspect(fw, p, &r, e))
            return -1;
        print_report(&r);
        bad += r.present && !r.valid;
    }
    print_ota(run);
    if (bad)
        return err_set(e, "%s: %d invalid image%s (see above)", run->opts.input, bad,
                       bad == 1 ? "" : "s");
    return 0;
}
