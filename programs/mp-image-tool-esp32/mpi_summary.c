/* The summary printed for every input: chip, flash size, the partition
 * table in the Python tool's plain format, how full the app partition is,
 * and (beyond the Python tool) the app's descriptor and MicroPython >= 1.26's
 * implicit vfs partition. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi.h"
#include "mpi_args.h"
#include "mpi_run.h"
#include "op_app.h"
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

static void print_app_fill(struct mpi_run *run)
{
    struct firmware *fw = &run->fw;
    const struct part *app = ptable_first_app(&fw->table);
    struct app_report r;
    struct err e;
    if (!app || op_app_inspect(fw, app, &r, &e) || !r.present)
        return;
    if (!r.img.total_len) {
        out_warn("partition '%s': %s", app->name, r.problem);
        return;
    }
    uint32_t used = r.img.total_len;
    out_info("Micropython app fills %.1f%% of %s partition (%d kB free)",
             100.0 * used / app->size, app->name,
             (int)(((int64_t)app->size - used) / 1024));
    if (r.img.has_app_desc)
        out_info("App: %s %s (ESP-IDF %s, built %s %s)",
                 r.img.app.project_name[0] ? r.img.app.project_name : "(no name)",
                 r.img.app.version, r.img.app.idf_ver, r.img.app.date, r.img.app.time);
}

void mpi_print_summary(struct mpi_run *run)
{
    struct firmware *fw = &run->fw;
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
    if (!run->is_device)
        print_app_fill(run);
}
