/* The summary printed for every input: chip, flash size, the partition
 * table in the Python tool's plain format, how full the app partition is,
 * and (beyond the Python tool) the app's descriptor and MicroPython >= 1.26's
 * implicit vfs partition. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi.h"
#include "mpi_args.h"
#include "mpi_json.h"
#include "mpi_run.h"
#include "out.h"

#define MB 0x100000u

static void type_names(const struct part *p, char *type, char *sub)
{
    const char *t = ptable_type_name(p->type), *s = ptable_subtype_name(p->type, p->subtype);
    if (t)
        snprintf(type, 16, "%s", t);
    else
        snprintf(type, 16, "%d", p->type);
    if (s)
        snprintf(sub, 16, "%s", s);
    else
        snprintf(sub, 16, "%d", p->subtype);
}

static void print_row(const struct part *p)
{
    char type[16], sub[16], human[32], off[16], size[16], end[16], flags[16];
    type_names(p, type, sub);
    human_size(p->size, human, sizeof human);
    /* Python's {:#x} prints 0 as 0x0, which C's %#x does not. */
    snprintf(off, sizeof off, "0x%x", p->offset);
    snprintf(size, sizeof size, "0x%x", p->size);
    snprintf(end, sizeof end, "0x%x", p->offset + p->size);
    snprintf(flags, sizeof flags, "0x%x", p->flags);
    out_info("  %-16s %-8s %-8s %10s %10s %10s %5s %10s%s", p->name, type, sub, off, size, end,
             flags, human,
             p->implicit ? "  implicit (MicroPython >= 1.26)" : "");
}

void mpi_print_table(const struct firmware *fw, const struct ptable *t, uint32_t flash_size)
{
    out_info("Partition table (flash size: %uMB):", flash_size / MB);
    out_info("%-18s %-8s %-8s %10s %10s %10s %5s", "# Name", "Type", "SubType", "Offset", "Size",
             "End", "Flags");
    for (int i = 0; i < t->n; i++)
        print_row(&t->p[i]);
    struct firmware view = *fw;
    struct part vfs;
    view.table = *t;
    view.flash_size = flash_size;
    if (firmware_implicit_vfs(&view, &vfs))
        print_row(&vfs);
}

/* How full the first app partition is, from the image's headers alone
 * (--check-app verifies it). */
static void print_app_fill(struct mpi_run *run)
{
    struct firmware *fw = &run->fw;
    const struct part *app = ptable_first_app(&fw->table);
    struct image_info img;
    struct err e;
    uint8_t magic;
    if (!app || flash_read(fw->flash, app->offset, &magic, 1, &e) || magic != IMAGE_MAGIC)
        return;
    if (firmware_image_layout(fw->flash, app->offset, app->size, &img, &e)) {
        out_warn("partition '%s': %s", app->name, e.msg);
        return;
    }
    uint32_t used = img.total_len;
    out_info("Micropython app fills %.1f%% of %s partition (%d kB free)",
             100.0 * used / app->size, app->name,
             (int)(((int64_t)app->size - used) / 1024));
    if (img.has_app_desc)
        out_info("App: %s %s (ESP-IDF %s, built %s %s)",
                 img.app.project_name[0] ? img.app.project_name : "(no name)",
                 img.app.version, img.app.idf_ver, img.app.date, img.app.time);
}

void mpi_print_summary(struct mpi_run *run)
{
    struct firmware *fw = &run->fw;
    mpi_json_summary(run);
    if (fw->kind == FW_FS_IMAGE) {
        out_info("Found littlefs filesystem image (%u bytes).", fw->flash->size);
        return;
    }
    if (fw->kind == FW_APP_IMAGE) {
        out_info("Found %s app image (%uMB flash): no partition table; use --check-app to "
                 "check it.", fw->chip->name, fw->header_flash_size / MB);
        return;
    }
    out_info("Found %s %s (%uMB flash).", fw->chip->name, firmware_kind_name(fw->kind),
             fw->header_flash_size / MB);
    mpi_print_table(fw, &fw->table, fw->flash_size);
    print_app_fill(run);
}
