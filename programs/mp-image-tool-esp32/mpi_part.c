/* --erase, --erase-fs, --read and --write: whole partitions, including the
 * pseudo partitions 'bootloader' and 'partition_table'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "flash_device.h"
#include "mpi.h"
#include "mpi_args.h"
#include "mpi_json.h"
#include "mpi_run.h"
#include "op_part.h"
#include "out.h"

static int each_name(struct mpi_run *run, const char *list, const char *opt,
                     int (*fn)(struct mpi_run *, const struct part *, struct err *),
                     struct err *e)
{
    struct arg_list l;
    if (parse_list(list, &l, e))
        return err_prefix(e, "%s: ", opt);
    for (int i = 0; i < l.n; i++) {
        struct part p;
        if (firmware_find_part(&run->fw, l.item[i].field[0], &p, e) || fn(run, &p, e))
            return -1;
    }
    return 0;
}

static int erase_one(struct mpi_run *run, const struct part *p, struct err *e)
{
    out_action("Erasing partition '%s' (0x%x bytes at 0x%x)...", p->name, p->size, p->offset);
    mpi_json_op("erase", p->name, p->offset, p->size, NULL);
    return op_part_erase(&run->fw, p, e);
}

static int erase_fs_one(struct mpi_run *run, const struct part *p, struct err *e)
{
    out_action("Erasing filesystem in partition '%s'...", p->name);
    mpi_json_op("erase-fs", p->name, p->offset, p->size, NULL);
    return op_part_erase_fs(&run->fw, p, e);
}

int mpi_erase(struct mpi_run *run, struct err *e)
{
    if (!run->is_device)
        mpi_list_fragment(run, "erase", run->opts.erase, false);
    return each_name(run, run->opts.erase, "--erase", erase_one, e);
}

int mpi_erase_fs(struct mpi_run *run, struct err *e)
{
    if (!run->is_device)
        mpi_list_fragment(run, "erase-fs", run->opts.erase_fs, false);
    return each_name(run, run->opts.erase_fs, "--erase-fs", erase_fs_one, e);
}

/* name=file pairs, every partition found before anything happens. */
static int pairs(struct mpi_run *run, const char *list, const char *opt, struct arg_list *l,
                 struct part *parts, struct err *e)
{
    if (parse_list(list, l, e))
        return err_prefix(e, "%s: ", opt);
    for (int i = 0; i < l->n; i++) {
        if (l->item[i].n != 2 || !l->item[i].field[1][0])
            return err_set(e, "%s: expected NAME=FILE, not '%s'", opt, l->item[i].field[0]);
        if (firmware_find_part(&run->fw, l->item[i].field[0], &parts[i], e))
            return -1;
    }
    return 0;
}

int mpi_read(struct mpi_run *run, struct err *e)
{
    struct arg_list l;
    struct part parts[ARG_MAX_ITEMS];
    if (pairs(run, run->opts.read, "--read", &l, parts, e))
        return -1;
    for (int i = 0; i < l.n; i++) {
        const char *file = l.item[i].field[1];
        uint8_t *buf;
        uint32_t len;
        out_action("Saving partition '%s' to '%s'...", parts[i].name, file);
        struct loader *dev = flash_device_loader(run->fw.flash);
        uint64_t skipped = dev ? dev->read_skipped : 0;
        if (op_part_read(&run->fw, &parts[i], &buf, &len, e))
            return -1;
        if (dev && dev->read_skipped > skipped)
            out_info("%llu bytes of it were erased flash and not read.",
                     (unsigned long long)(dev->read_skipped - skipped));
        if (run->opts.trimblocks || run->opts.trim)
            len = op_trim_len(buf, len, run->opts.trim ? 16 : 4096);
        int rc = file_write_atomic(file, buf, len, e);
        free(buf);
        if (rc)
            return -1;
        out_info("Wrote 0x%x bytes to '%s'.", len, file);
        mpi_json_op("read", parts[i].name, parts[i].offset, len, file);
    }
    return 0;
}

int mpi_write(struct mpi_run *run, struct err *e)
{
    struct arg_list l;
    struct part parts[ARG_MAX_ITEMS];
    if (pairs(run, run->opts.write, "--write", &l, parts, e))
        return -1;
    if (!run->is_device)
        mpi_list_fragment(run, "write", run->opts.write, false);
    for (int i = 0; i < l.n; i++) {
        const char *file = l.item[i].field[1];
        uint8_t *buf;
        size_t len;
        if (file_read_all(file, FILE_MAX_FLASH, &buf, &len, e))
            return -1;
        out_action("Writing '%s' to partition '%s'...", file, parts[i].name);
        int rc = op_part_write(&run->fw, &parts[i], buf, len, e);
        free(buf);
        if (rc)
            return err_prefix(e, "%s: ", file);
        mpi_json_op("write", parts[i].name, parts[i].offset, (uint32_t)len, file);
    }
    return 0;
}
