/* Devices for mp-image-tool-esp32: the input may be a serial port (or
 * socket://, rfc2217://), which is then the firmware, read and written
 * through the loader; --flash DEVICE writes a firmware file to a device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boards.h"
#include "flash_device.h"
#include "flash_file.h"
#include "json.h"
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

/* A device, its changes held for the safety net `s` (mpi_safety.c). */
static struct flash *open_device(const struct mpi_opts *o, const char *name,
                                 struct mpi_safety *s, struct err *e)
{
    char buf[256];
    struct device_opts d;
    device_opts_init(&d);
    d.lo.baud = 921600;
    if (o->baud && parse_size(o->baud, &d.lo.baud, e))
        return err_prefix(e, "--baud: "), NULL;
    d.lo.after = o->no_reset ? LOADER_AFTER_NO_RESET : LOADER_AFTER_HARD_RESET;
    d.lo.no_stub = o->no_stub;
    d.lo.no_diff = o->no_diff;
    d.lo.log = log_line;
    d.lo.progress = progress;
    /* --ota-switch keeps its own backup and order of writes (mpi_switch.c) */
    d.hold = !o->ota_switch;
    d.before_commit = o->ota_switch ? NULL : mpi_safety_commit;
    d.commit_ctx = s;
    s->o = o;
    s->port = name;
    s->json = board_self() ? NULL : out_json;   /* one writer of the document */
    return flash_device_open(port_name(name, buf, sizeof buf), &d, NULL, e);
}

static struct mpi_safety *new_safety(struct mpi_run *run, struct err *e)
{
    if (!run->safety && !(run->safety = calloc(1, sizeof *run->safety)))
        err_set(e, "out of memory");
    return run->safety;
}

/* Under flash encryption the loader reads ciphertext: say so, rather
 * than that there is no bootloader. */
static void encrypted_why(struct flash *f, struct err *e)
{
    struct chip_security s;
    struct err ignore;
    if (flash_device_security(f, &s, &ignore) == 0 && s.flash_encryption)
        err_set(e, "flash encryption is enabled (eFuse): the flash reads as ciphertext, which "
                   "this tool cannot use");
}

int mpi_open_device(struct mpi_run *run, struct err *e)
{
    struct mpi_safety *s = new_safety(run, e);
    struct flash *f = s ? open_device(&run->opts, run->opts.input, s, e) : NULL;
    if (!f)
        return -1;
    const struct chip *chip = flash_device_loader(f)->chip;
    /* MicroPython for the ESP8266 has no ESP-IDF partition table: nothing
     * here applies to it (esptool does). */
    if (!chip->has_ext_header) {
        flash_destroy(f);
        return err_set(e, "%s: the chip is an %s, not an ESP32-family chip: this tool handles "
                          "ESP32 MicroPython firmware only (use esptool for this chip)",
                       run->opts.input, chip->display);
    }
    if (firmware_load(&run->fw, f, FW_DEVICE, chip, e)) {
        encrypted_why(f, e);
        flash_destroy(f);
        return err_prefix(e, "%s: ", run->opts.input);
    }
    run->opened = true;
    s->table = run->fw.table;   /* the names of what is on the chip now */
    s->have_table = true;
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
    free(run->safety);
    run->safety = NULL;
}

/* --restore FILE: the device need not hold a firmware (a backup of an
 * erase_flash puts one back); its table, if it has one, names the
 * partitions in the plan. */
int mpi_restore_device(struct mpi_run *run, struct err *e)
{
    if (!mpi_is_port(run->opts.input))
        return err_set(e, "--restore: %s is not a device", run->opts.input);
    out_info("Opening %s...", run->opts.input);
    struct mpi_safety *s = new_safety(run, e);
    struct flash *f = s ? open_device(&run->opts, run->opts.input, s, e) : NULL;
    if (!f)
        return -1;
    struct firmware fw;
    struct err ignore;
    if (firmware_load(&fw, f, FW_DEVICE, flash_device_loader(f)->chip, &ignore) == 0) {
        s->table = fw.table;
        s->have_table = true;
    }
    run->is_device = run->opened = true;
    run->fw.flash = f;   /* closed by mpi_close_device */
    if (mpi_restore(run, f, e) != 0)
        return -1;
    return mpi_device_commit(run, e);
}

/* What the write-back sent and what the chip held already. */
static void report_commit(struct flash *f, const struct flash_device_stats *before)
{
    struct flash_device_stats st;
    flash_device_get_stats(f, &st);
    uint64_t sent = st.bytes_sent_to_write - before->bytes_sent_to_write;
    uint64_t skipped = st.bytes_skipped - before->bytes_skipped;
    if (skipped)
        out_info("%llu bytes were on the device already and not sent (%llu sent).",
                 (unsigned long long)skipped, (unsigned long long)sent);
    if (out_json && !board_self()) {   /* boards: their "flash" rows */
        json_obj(out_json, NULL);
        json_str(out_json, "op", "commit");
        json_str(out_json, "device", f->name);
        json_int(out_json, "sent", (int64_t)sent);
        json_int(out_json, "skipped", (int64_t)skipped);
        json_end(out_json);
    }
}

int mpi_device_commit(struct mpi_run *run, struct err *e)
{
    struct flash *f = run->fw.flash;
    struct flash_device_stats before, after;
    flash_device_get_stats(f, &before);
    if (before.pending_sectors)
        out_action("Writing %u changed sector%s to %s...", before.pending_sectors,
                   before.pending_sectors == 1 ? "" : "s", run->opts.input);
    if (flash_flush(f, e) == 0) {
        if (before.pending_sectors)
            report_commit(f, &before);
        return 0;
    }
    if (run->safety && run->safety->stopped)
        return 0;   /* --dry-run: the plan was the point */
    flash_device_get_stats(f, &after);
    uint64_t done = after.sectors_written - before.sectors_written;
    if (done == 0)
        return err_prefix(e, "nothing of the changes above reached the device (run again): ");
    return err_prefix(e, "the device holds only part of the changes above (%llu of %u sectors "
                         "written; run the same command again to finish): ",
                      (unsigned long long)done, before.pending_sectors);
}

/* --flash DEVICE[,DEVICE...]: the firmware file (as edited by this run)
 * onto devices of the same chip, then the rest of the partition holding
 * its end erased, and everything verified by MD5 on flush; several
 * devices at once, one thread each (boards.h). */
struct flash_job {
    struct mpi_run *run;
    const uint8_t *data;
    size_t len;
    uint32_t base, end;
    const char *what;           /* the file written */
};

/* The image and the erase of its partition's tail, held by the device
 * until the flush (the safety net runs there). */
static int flash_image(const struct flash_job *j, struct flash *dev, struct err *e)
{
    const struct firmware *fw = &j->run->fw;
    const struct chip *chip = flash_device_loader(dev)->chip;
    if (chip != fw->chip)
        return err_set(e, "--flash: the firmware is for %s, the device is %s", fw->chip->name,
                       chip->name);
    if (dev->size < ptable_end(&fw->table))
        return err_set(e, "--flash: the partition table needs %uMB of flash, the device has "
                          "%uMB", (ptable_end(&fw->table) + 0xFFFFF) >> 20, dev->size >> 20);
    out_action("Writing %s to %s (%zu bytes at 0x%x)...", j->what, dev->name, j->len, j->base);
    int rc = flash_write(dev, j->base, j->data, (uint32_t)j->len, e);
    /* Erase the rest of the partition the data ends in, so no stale tail of
     * an older, longer app remains (the Python tool erased 4 KiB off here). */
    for (int i = 0; rc == 0 && i < fw->table.n; i++) {
        const struct part *p = &fw->table.p[i];
        if (j->end > p->offset && j->end < p->offset + p->size)
            rc = flash_erase(dev, j->end, p->offset + p->size - j->end, e);
    }
    return rc;
}

static int flash_board(struct board *b, void *ctx, struct err *e)
{
    const struct flash_job *j = ctx;
    struct mpi_safety s = { .table = j->run->fw.table, .have_table = true };
    struct flash *dev = open_device(&j->run->opts, b->port, &s, e);
    if (!dev)
        return -1;
    struct loader *l = flash_device_loader(dev);
    uint8_t mac[6];
    struct err ignore;
    snprintf(b->chip, sizeof b->chip, "%s", l->chip->name);
    if (loader_read_mac(l, mac, &ignore) == 0)
        snprintf(b->mac, sizeof b->mac, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
                 mac[3], mac[4], mac[5]);
    struct flash_device_stats before;
    flash_device_get_stats(dev, &before);
    int rc = flash_image(j, dev, e);
    bool flushing = rc == 0;
    if (rc == 0 && (rc = flash_flush(dev, e)) == 0)
        report_commit(dev, &before);
    bool dry = rc != 0 && s.stopped;
    flash_destroy(dev);
    if (dry)
        return 0;
    if (rc == 0)
        out_info("Flashed and verified.");
    else if (flushing)
        err_prefix(e, "--flash: %s may hold part of %s only, it will not boot as it should (run "
                      "--flash again): ", b->port, j->what);
    return rc;
}

/* --json: {"op": "flash", "port", "chip", "mac", "ok", "seconds", "error"} */
static void flash_json(const struct board *b)
{
    json_obj(out_json, NULL);
    json_str(out_json, "op", "flash");
    board_json_fields(out_json, b);
    json_end(out_json);
}

int mpi_flash(struct mpi_run *run, struct err *e)
{
    struct firmware *fw = &run->fw;
    if (run->is_device)
        return err_set(e, "--flash: the input must be a firmware file, not a device");
    if (fw->kind != FW_IMAGE && fw->kind != FW_DUMP)
        return err_set(e, "--flash: %s is a %s, not a firmware", run->opts.input,
                       firmware_kind_name(fw->kind));
    struct flash_job j = { .run = run };
    j.data = flash_file_data(fw->flash, &j.len);
    j.base = flash_file_base(fw->flash);
    j.end = j.base + (uint32_t)j.len;
    /* What is written is this run's result: the output file when the run
     * changed the firmware, else the input as it is. */
    j.what = run->saved[0] ? run->saved : run->opts.input;
    char **ports;
    int n = boards_parse(run->opts.flash, &ports, e);
    if (n < 0)
        return err_prefix(e, "--flash: ");
    struct board *b = calloc((size_t)n, sizeof *b);
    int rc = b ? 0 : err_set(e, "out of memory");
    for (int i = 0; b && i < n; i++)
        b[i].port = ports[i];
    if (rc == 0 && n == 1) {
        out_action("Opening device %s...", ports[0]);
        rc = b[0].rc = flash_board(&b[0], &j, e);
        snprintf(b[0].msg, sizeof b[0].msg, "%s", rc ? e->msg : "");
    } else if (rc == 0) {
        int failed = boards_run(b, n, flash_board, &j, out_quiet, out_json != NULL);
        if (failed)
            rc = err_set(e, "--flash: %d of %d devices failed (see the table above)", failed, n);
    }
    for (int i = 0; b && out_json && i < n; i++)
        flash_json(&b[i]);
    free(b);
    boards_free_ports(ports, n);
    return rc;
}
