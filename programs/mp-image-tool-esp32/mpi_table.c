/* Table and flash-size changes, applied in the Python tool's fixed order:
 * -f, --from-csv, --table, -a, --delete, --resize, --rename, --add.  The
 * result is planned (validated, erases listed) before anything is written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "layout.h"
#include "mpi.h"
#include "mpi_args.h"
#include "mpi_json.h"
#include "mpi_run.h"
#include "op_table.h"
#include "json.h"
#include "out.h"

#define MAX_ITEMS 64

bool mpi_table_requested(const struct mpi_opts *o)
{
    return o->flash_size || o->from_csv || o->table || o->app_size || o->delete_ || o->resize ||
           o->rename || o->add;
}

static int from_csv(struct mpi_run *run, struct ptable *t, uint32_t flash_size, struct err *e)
{
    uint8_t *text;
    size_t len;
    if (file_read_all(run->opts.from_csv, FILE_MAX_TEXT, &text, &len, e))
        return -1;
    int rc = ptable_from_csv((const char *)text, len, run->opts.from_csv, flash_size, t, e);
    free(text);
    mpi_name_fragment(run, "-CSV");
    return rc;
}

static int table_option(struct mpi_run *run, struct ptable *t, uint32_t flash_size,
                        uint32_t app_size, struct err *e)
{
    struct layout_item items[MAX_ITEMS];
    const char *name = run->opts.table;
    const struct part *app = ptable_first_app(&run->fw.table);
    int n = layout_preset(name, app ? app->offset : APP_ALIGN, app_size, flash_size, items);
    if (n >= 0) {
        char upper[16];
        size_t i;
        for (i = 0; name[i] && i < sizeof upper - 1; i++)
            upper[i] = (char)(name[i] - 'a' + 'A');
        upper[i] = '\0';
        mpi_name_fragment(run, "-%s", upper);
    } else {
        n = parse_parts(name, items, MAX_ITEMS, e);
        if (n < 0)
            return err_prefix(e, "--table: ");
        mpi_name_fragment(run, "-TABLE");
    }
    return layout_build(items, n, flash_size, t, e);
}

static int edits(struct mpi_run *run, struct ptable *t, uint32_t flash_size, struct err *e)
{
    const struct mpi_opts *o = &run->opts;
    struct arg_list l;
    struct layout_item items[MAX_ITEMS];
    if (o->delete_) {
        if (parse_list(o->delete_, &l, e))
            return -1;
        for (int i = 0; i < l.n; i++)
            if (layout_delete(t, l.item[i].field[0], e))
                return -1;
        mpi_list_fragment(run, "delete", o->delete_, false);
    }
    if (o->resize) {
        int n = parse_parts(o->resize, items, MAX_ITEMS, e);
        if (n < 0)
            return err_prefix(e, "--resize: ");
        for (int i = 0; i < n; i++)
            if (layout_resize(t, items[i].name, items[i].size, flash_size, e))
                return -1;
        mpi_list_fragment(run, "resize", o->resize, true);
    }
    if (o->rename) {
        if (parse_list(o->rename, &l, e))
            return -1;
        for (int i = 0; i < l.n; i++) {
            if (l.item[i].n != 2)
                return err_set(e, "--rename: expected OLD=NEW, not '%s'", l.item[i].field[0]);
            if (layout_rename(t, l.item[i].field[0], l.item[i].field[1], e))
                return -1;
        }
        mpi_list_fragment(run, "rename", o->rename, false);
    }
    if (o->add) {
        int n = parse_parts(o->add, items, MAX_ITEMS, e);
        if (n < 0)
            return err_prefix(e, "--add: ");
        for (int i = 0; i < n; i++)
            if (layout_add(t, &items[i], flash_size, e))
                return -1;
        mpi_list_fragment(run, "add", o->add, true);
    }
    return 0;
}

/* The Python tool's warnings about a new table: free space between
 * partitions, and unused flash after the last one (unless MicroPython's
 * implicit vfs takes it). */
static void warn_gaps(const struct firmware *fw, const struct table_plan *plan)
{
    struct ptable t = plan->table;
    struct firmware view = *fw;
    struct part vfs;
    ptable_sort(&t);
    uint32_t end = PTABLE_OFFSET + PTABLE_SECTOR;
    for (int i = 0; i < t.n; i++) {
        if (t.p[i].offset > end)
            out_warn("Free space before '%s' (0x%x bytes).", t.p[i].name, t.p[i].offset - end);
        end = t.p[i].offset + t.p[i].size;
    }
    view.table = plan->table;
    view.flash_size = plan->flash_size;
    if (end < plan->flash_size && !firmware_implicit_vfs(&view, &vfs))
        out_warn("End of last partition (0x%x) < flash size (0x%x).", end, plan->flash_size);
}

static void report_plan(const struct mpi_run *run, const struct table_plan *plan)
{
    warn_gaps(&run->fw, plan);
    for (int i = 0; i < plan->n_grown; i++)
        if (!mpi_grow_requested(run, plan->grown[i].name))
            out_warn("Filesystem partition '%s' has increased in size: its contents are kept. "
                 "Use '--fs grow %s' so MicroPython mounts it.", plan->grown[i].name,
                 plan->grown[i].name);
}

int mpi_change_table(struct mpi_run *run, struct err *e)
{
    struct firmware *fw = &run->fw;
    const struct mpi_opts *o = &run->opts;
    uint32_t flash_size = fw->flash_size, app_size = 0;
    struct ptable t = fw->table;
    if (fw->kind == FW_FS_IMAGE || fw->kind == FW_APP_IMAGE)
        return err_set(e, "%s: a %s has no partition table to change", fw->flash->name,
                       firmware_kind_name(fw->kind));
    if (o->flash_size) {
        if (parse_size(o->flash_size, &flash_size, e) || image_size_code(flash_size, e) < 0)
            return err_prefix(e, "--flash-size: ");
        if (run->is_device && flash_size > fw->flash->size)
            return err_set(e, "--flash-size: %uMB is larger than the device's flash (%uMB)",
                           flash_size >> 20, fw->flash->size >> 20);
        mpi_name_fragment(run, "-%uMB", flash_size >> 20);
    }
    if (o->app_size && parse_size(o->app_size, &app_size, e))
        return err_prefix(e, "--app-size: ");
    if (o->from_csv && from_csv(run, &t, flash_size, e))
        return -1;
    if (o->table && table_option(run, &t, flash_size, app_size, e))
        return -1;
    if (o->app_size) {
        if (layout_app_size(&t, app_size, flash_size, e))
            return -1;
        mpi_name_fragment(run, "-appsize=%uB", app_size / 4096);
    }
    if (edits(run, &t, flash_size, e))
        return -1;

    struct table_plan *plan = malloc(sizeof *plan);
    if (!plan)
        return err_set(e, "out of memory");
    int rc = op_table_plan(fw, &t, flash_size, plan, e);
    if (rc) {
        err_prefix(e, "new partition table refused, nothing written: ");
    } else if (plan->table_changed || plan->size_changed) {
        if (plan->size_changed)
            out_action("Setting flash size to %uMB in the bootloader header...", flash_size >> 20);
        if (plan->table_changed) {
            mpi_print_table(fw, &plan->table, flash_size);
            out_action("Writing partition table...");
        }
        for (int i = 0; i < plan->n_erase; i++)
            out_action("Erasing data partition: %s...", plan->erase[i].part.name);
        report_plan(run, plan);
        rc = op_table_apply(fw, plan, e);
        if (rc == 0 && out_json) {
            json_obj(out_json, NULL);
            json_str(out_json, "op", "table");
            json_int(out_json, "flash_size", flash_size);
            mpi_json_table(fw, &plan->table, flash_size, "table");
            json_arr(out_json, "erased");
            for (int i = 0; i < plan->n_erase; i++)
                json_str(out_json, NULL, plan->erase[i].part.name);
            json_end(out_json);
            json_end(out_json);
        }
    }
    free(plan);
    return rc;
}
