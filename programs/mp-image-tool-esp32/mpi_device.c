/* Devices for mp-image-tool-esp32: the input may be a serial port (or
 * socket://, rfc2217://), which is then the firmware, read and written
 * through the loader; --flash DEVICE writes a firmware file to a device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flash_device.h"
#include "flash_file.h"
#include "mpi.h"
#include "mpi_args.h"
#include "mpi_run.h"
#include "out.h"

bool mpi_is_port(const char *name)
{
    size_t n = strlen(name);
    return strncmp(name, "/dev/", 5) == 0 || strstr(name, "://") != NULL ||
           (n >= 2 && strchr("uac", name[0]) && strspn(name + 1, "0123456789") == n - 1) ||
           (strncmp(name, "COM", 3) == 0 && n > 3 && strspn(name + 3, "0123456789") == n - 3);
}

/* u0 -> /dev/ttyUSB0, a0 -> /dev/ttyACM0, c0 -> COM0 (the Python tool's
 * shorthands). */
static const char *port_name(const char *name, char *buf, size_t cap)
{
    size_t n = strlen(name);
    if (n >= 2 && strspn(name + 1, "0123456789") == n - 1) {
        if (name[0] == 'u')
            return snprintf(buf, cap, "/dev/ttyUSB%s", name + 1), buf;
        if (name[0] == 'a')
            return snprintf(buf, cap, "/dev/ttyACM%s", name + 1), buf;
        if (name[0] == 'c')
            return snprintf(buf, cap, "COM%s", name + 1), buf;
    }
    return name;
}

static void log_line(void *ctx, const char *msg)
{
    (void)ctx;
    out_info("%s", msg);
}

static void progress(void *ctx, const char *what, uint32_t addr, uint64_t done, uint64_t total)
{
    (void)ctx;
    (void)addr;
    out_progress(what, done, total);
}

static struct flash *open_device(const struct mpi_opts *o, const char *name, struct err *e)
{
    char buf[256];
    struct device_opts d;
    device_opts_init(&d);
    d.lo.baud = 921600;
    if (o->baud && parse_size(o->baud, &d.lo.baud, e))
        return err_prefix(e, "--baud: "), NULL;
    d.lo.after = o->no_reset ? LOADER_AFTER_NO_RESET : LOADER_AFTER_HARD_RESET;
    d.lo.no_stub = o->no_stub;
    d.lo.log = log_line;
    d.lo.progress = progress;
    return flash_device_open(port_name(name, buf, sizeof buf), &d, NULL, e);
}

int mpi_open_device(struct mpi_run *run, struct err *e)
{
    struct flash *f = open_device(&run->opts, run->opts.input, e);
    if (!f)
        return -1;
    const struct chip *chip = flash_device_loader(f)->chip;
    if (firmware_load(&run->fw, f, FW_DEVICE, chip, e)) {
        flash_destroy(f);
        return err_prefix(e, "%s: ", run->opts.input);
    }
    run->opened = true;
    if (run->fw.header_flash_size != f->size)
        out_warn("Detected flash size (%uMB) is different from firmware bootloader (%uMB).",
                 f->size >> 20, run->fw.header_flash_size >> 20);
    return 0;
}

void mpi_close_device(struct mpi_run *run)
{
    if (run->opened)
        flash_destroy(run->fw.flash);
    run->fw.flash = NULL;
}

/* --flash DEVICE: the firmware file (as edited by this run) onto a device of
 * the same chip, then the rest of the partition holding its end erased,
 * and everything verified by MD5 on flush. */
int mpi_flash(struct mpi_run *run, struct err *e)
{
    struct firmware *fw = &run->fw;
    if (run->is_device)
        return err_set(e, "--flash: the input must be a firmware file, not a device");
    if (fw->kind != FW_IMAGE && fw->kind != FW_DUMP)
        return err_set(e, "--flash: %s is a %s, not a firmware", run->opts.input,
                       firmware_kind_name(fw->kind));
    out_action("Opening device %s...", run->opts.flash);
    struct flash *dev = open_device(&run->opts, run->opts.flash, e);
    if (!dev)
        return -1;
    const struct chip *chip = flash_device_loader(dev)->chip;
    int rc = 0;
    if (chip != fw->chip)
        rc = err_set(e, "--flash: the firmware is for %s, the device is %s", fw->chip->name,
                     chip->name);
    else if (dev->size < ptable_end(&fw->table))
        rc = err_set(e, "--flash: the partition table needs %uMB of flash, the device has %uMB",
                     (ptable_end(&fw->table) + 0xFFFFF) >> 20, dev->size >> 20);
    size_t len;
    const uint8_t *data = flash_file_data(fw->flash, &len);
    uint32_t base = flash_file_base(fw->flash), end = base + (uint32_t)len;
    if (rc == 0) {
        out_action("Writing %s to %s (%zu bytes at 0x%x)...", run->opts.input, run->opts.flash,
                   len, base);
        rc = flash_write(dev, base, data, (uint32_t)len, e);
    }
    /* Erase the rest of the partition the data ends in, so no stale tail of
     * an older, longer app remains (the Python tool erased 4 KiB off here). */
    for (int i = 0; rc == 0 && i < fw->table.n; i++) {
        const struct part *p = &fw->table.p[i];
        if (end > p->offset && end < p->offset + p->size)
            rc = flash_erase(dev, end, p->offset + p->size - end, e);
    }
    if (rc == 0)
        rc = flash_flush(dev, e);
    flash_destroy(dev);
    if (rc == 0)
        out_info("Flashed and verified.");
    return rc;
}
