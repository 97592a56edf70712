/* --ota-switch FIRMWARE: switch a deployed ESP-IDF / Arduino OTA device (or
 * a flash dump of one, or a fleet's table and bootloader) to MicroPython.
 * The library does the work (lib/ops/op_switch.h); this file asks the
 * device what only it can tell, prints the state, the verdict and the plan,
 * asks before writing to a device, and reports each step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flash_device.h"
#include "flash_file.h"
#include "mpi.h"
#include "mpi_args.h"
#include "mpi_run.h"
#include "op_switch.h"
#include "out.h"

struct switch_run {
    struct mpi_run *run;
    struct switch_opts so;
    struct switch_plan *p;
    uint8_t *mp;
    size_t mp_len;
    int step;                 /* the step being carried out */
    char keep[SWITCH_MAX_KEEP][PTABLE_NAME_MAX + 1];
};

/* ---- options and facts ---------------------------------------------------- */

static int parse_opts(const struct mpi_opts *o, struct switch_run *sr, struct err *e)
{
    struct switch_opts *so = &sr->so;
    memset(so, 0, sizeof *so);
    so->force = o->force;
    so->table_only = o->deployed_table != NULL;
    if (o->app_size && parse_size(o->app_size, &so->app_size, e))
        return err_prefix(e, "--app-size: ");
    if (!o->keep)
        return 0;
    struct arg_list *keep = malloc(sizeof *keep);
    int rc = keep ? parse_list(o->keep, keep, e) : err_set(e, "out of memory");
    for (int i = 0; rc == 0 && i < keep->n; i++) {
        if (i == SWITCH_MAX_KEEP || strlen(keep->item[i].field[0]) > PTABLE_NAME_MAX)
            rc = err_set(e, "at most %d names of at most %d characters", SWITCH_MAX_KEEP,
                         PTABLE_NAME_MAX);
        else
            so->keep[so->n_keep++] = strcpy(sr->keep[i], keep->item[i].field[0]);
    }
    free(keep);
    return rc ? err_prefix(e, "--keep: ") : 0;
}

/* major * 100 + minor, from esptool's description of the chip
 * ("ESP32-D0WD-V3 (revision v3.0)"); -1 when it says none. */
static int chip_revision(struct loader *l)
{
    char d[160];
    struct err ignore;
    int major, minor;
    const char *r = loader_chip_description(l, d, sizeof d, &ignore) ? NULL
                                                                      : strstr(d, "(revision v");
    if (!r || sscanf(r, "(revision v%d.%d", &major, &minor) != 2)
        return loader_chip_revision(l);
    return major * 100 + minor;
}

static int chip_facts(struct mpi_run *run, struct switch_chip *c, struct err *e)
{
    memset(c, 0, sizeof *c);
    c->revision = -1;
    if (!run->is_device)
        return 0;
    c->is_device = true;
    c->revision = chip_revision(flash_device_loader(run->fw.flash));
    return flash_device_security(run->fw.flash, &c->security, e);
}

/* ---- printing ------------------------------------------------------------- */

static void print_app(const char *lead, const struct image_info *img)
{
    if (img->has_app_desc)
        out_info("%s%s %s, ESP-IDF %s, 0x%x bytes", lead, img->app.project_name,
                 img->app.version, img->app.idf_ver, img->total_len);
    else
        out_info("%san app without a descriptor, 0x%x bytes", lead, img->total_len);
}

static void print_state(const struct switch_plan *p)
{
    const struct switch_state *st = &p->st;
    char rev[12], lo[12], hi[12];
    unsigned a, b;
    compat_rev_name((unsigned)st->chip_revision, rev);
    out_info("Deployed: %s (chip revision %s), %uMB flash", st->chip->name,
             st->chip_revision >= 0 ? rev : "unknown", st->flash_size >> 20);
    out_info("  bootloader: ESP-IDF %s%s%s%s", st->boot_idf[0] ? st->boot_idf : "unknown",
             st->boot_idf_from ? " (from its " : "", st->boot_idf_from ? st->boot_idf_from : "",
             st->boot_idf_from ? ")" : "");
    for (int i = 0; i < 2; i++) {
        const struct otadata_entry *x = &st->ota.e[i];
        const char *state = otadata_state_name(x->state);
        if (x->seq != 0xFFFFFFFFu)
            out_info("  otadata entry %d: seq %u, %s%s%s", i, (unsigned)x->seq,
                     state ? state : "unknown state", x->crc_ok ? "" : ", CRC WRONG",
                     st->ota.active == i ? " (in use)" : "");
    }
    const struct part *r = &p->old_table.p[st->running];
    char lead[64];
    snprintf(lead, sizeof lead, "  running: '%s' at 0x%x: ", r->name, r->offset);
    if (st->running_known)
        print_app(lead, &st->running_img);
    else
        out_info("%s(no app is read from a table: the field procedure runs it there)", lead);
    compat_rev_range(&st->mp, &a, &b);
    compat_rev_name(a, lo);
    compat_rev_name(b, hi);
    print_app("MicroPython: ", &st->mp);
    out_info("  for %s, chip revisions %s to %s", st->mp.chip->name, lo, hi);
    for (int i = 0; i < p->n_notes; i++)
        out_warn("%s", p->notes[i]);
}

static void print_verdict(const struct switch_plan *p)
{
    const struct compat_verdict *v = &p->verdict;
    if (v->result == COMPAT_OK)
        out_info("Verdict: OK: %s.", v->reason);
    else if (v->result == COMPAT_UNKNOWN)
        out_warn("Verdict: UNKNOWN: %s.", v->reason);
    else
        out_warn("Verdict: REFUSED%s: %s. What works instead: %s.",
                 p->forced ? " (overridden by --force)" : "", v->reason, v->suggestion);
}

static void print_parts(const struct switch_plan *p, bool kept)
{
    char line[1024] = "";
    size_t n = 0;
    for (int i = 0; i < p->old_table.n && n < sizeof line; i++)
        if (p->layout.kept[i] == kept)
            n += (size_t)snprintf(line + n, sizeof line - n, "%s%s", n ? ", " : "",
                                  p->old_table.p[i].name);
    out_info("  %s: %s", kept ? "kept in place" : "reused", n ? line : "(none)");
}

static void print_plan(struct mpi_run *run, const struct switch_plan *p)
{
    const struct switch_layout *l = &p->layout;
    const struct part *mp = &l->table.p[l->mp_slot], *vfs = &l->table.p[l->vfs];
    out_info("New partition table:");
    mpi_print_table(&run->fw, &l->table, p->st.flash_size);
    print_parts(p, true);
    print_parts(p, false);
    out_info("  MicroPython slot: '%s', 0x%x bytes at 0x%x%s; vfs: 0x%x bytes at 0x%x; "
             "unused: 0x%x bytes", mp->name, mp->size, mp->offset,
             run->opts.app_size ? " (--app-size)" : " (the app rounded up to 64 KiB + 256 KiB)",
             vfs->size, vfs->offset, l->unused);
    out_info("In the field: %s.", p->field_note);
    if (p->table_done)
        out_info("Resuming: the device has the new partition table already (an earlier run "
                 "got that far).");
    out_info("Steps:");
    for (int i = 0; i < p->n_steps; i++)
        out_info("  %d. %s", i + 1, p->step[i].text);
}

/* ---- applying ------------------------------------------------------------- */

static void on_step(void *ctx, int index, const struct switch_step *s)
{
    struct switch_run *sr = ctx;
    sr->step = index;
    out_action("Step %d/%d: %s...", index + 1, sr->p->n_steps, s->text);
}

/* What the device boots before step `index`. */
static const char *boots_before(const struct switch_plan *p, int index)
{
    const struct switch_layout *l = &p->layout;
    for (int i = index; i < p->n_steps; i++)
        if (p->step[i].action == SW_SELECT_COPY)
            return p->old_table.p[p->st.running].name;
    for (int i = index; i < p->n_steps; i++)
        if (p->step[i].action == SW_SELECT_MP)
            return l->table.p[l->keep_slot].name;
    return l->table.p[l->mp_slot].name;
}

/* After a failure in step `index`: what boots now.  A failed otadata step
 * may have reached the chip before the line went. */
static void booting(const struct switch_plan *p, int index, char *out, size_t cap)
{
    enum switch_action a = p->step[index].action;
    if (a == SW_SELECT_COPY || a == SW_SELECT_MP)
        snprintf(out, cap, "'%s' (or '%s', if the otadata write reached it)",
                 boots_before(p, index), boots_before(p, index + 1));
    else
        snprintf(out, cap, "'%s'", boots_before(p, index));
}

static bool confirmed(struct mpi_run *run, struct err *e)
{
    char answer[16] = "";
    if (run->opts.yes)
        return true;
    if (!isatty(0)) {
        err_set(e, "%s: nothing written: give --yes to switch the device (no terminal to ask "
                   "on)", run->opts.input);
        return false;
    }
    printf("Switch %s to MicroPython as above? Type 'yes': ", run->opts.input);
    fflush(stdout);
    if (!fgets(answer, sizeof answer, stdin) || strcmp(answer, "yes\n") != 0) {
        err_set(e, "%s: not confirmed, nothing written", run->opts.input);
        return false;
    }
    return true;
}

static void backup_dir(struct mpi_run *run, char *out, size_t cap)
{
    uint8_t mac[6];
    struct err ignore;
    if (run->opts.backup)
        snprintf(out, cap, "%s", run->opts.backup);
    else if (loader_read_mac(flash_device_loader(run->fw.flash), mac, &ignore) == 0)
        snprintf(out, cap, "ota-switch-backup-%02x%02x%02x%02x%02x%02x", mac[0], mac[1],
                 mac[2], mac[3], mac[4], mac[5]);
    else
        snprintf(out, cap, "ota-switch-backup");
}

static int backup(struct switch_run *sr, struct err *e)
{
    char dir[4096];
    bool kept;
    uint64_t bytes = 0;
    backup_dir(sr->run, dir, sizeof dir);
    for (int i = 0; i < sr->p->n_backup; i++)
        bytes += sr->p->backup[i].len;
    out_action("Step 1/%d: backing up %d regions (%llu bytes) to %s/...", sr->p->n_steps,
               sr->p->n_backup, (unsigned long long)bytes, dir);
    if (op_switch_backup(&sr->run->fw, sr->p, dir, &kept, e))
        return err_prefix(e, "nothing written: ");
    if (kept)
        out_info("%s/ holds a backup from an earlier run (the state before it): kept as it is.",
                 dir);
    return 0;
}

static int apply_device(struct switch_run *sr, struct err *e)
{
    if (!confirmed(sr->run, e) || backup(sr, e))
        return -1;
    char boots[96];
    if (op_switch_apply(&sr->run->fw, sr->p, on_step, sr, e)) {
        booting(sr->p, sr->step, boots, sizeof boots);
        return err_prefix(e, "%s boots %s; run the same command again to finish: ",
                          sr->run->opts.input, boots);
    }
    out_info("Switched: '%s' boots MicroPython %s (vfs is formatted at its first boot).",
             sr->p->layout.table.p[sr->p->layout.mp_slot].name, sr->p->st.mp.app.version);
    return 0;
}

/* A flash dump: the same steps in memory, then the output file (and the
 * end state among the artifacts). */
static int apply_file(struct switch_run *sr, struct err *e)
{
    struct mpi_run *run = sr->run;
    char name[4096];
    if (op_switch_apply(&run->fw, sr->p, NULL, NULL, e))
        return -1;
    if (run->opts.plan_dir && op_switch_end_state(&run->fw, run->opts.plan_dir, e))
        return -1;
    if (run->opts.dry_run)
        return 0;
    mpi_name_fragment(run, "-ota-switch");
    if (run->opts.output)
        snprintf(name, sizeof name, "%s", run->opts.output);
    else
        mpi_output_name(run, name, sizeof name);
    out_action("Writing output file: %s...", name);
    if (flash_file_save(run->fw.flash, name, e))
        return -1;
    snprintf(run->saved, sizeof run->saved, "%s", name);
    return 0;
}

static int apply(struct switch_run *sr, struct err *e)
{
    const struct mpi_opts *o = &sr->run->opts;
    if (o->plan_dir) {
        out_action("Writing the plan's artifacts to %s/...", o->plan_dir);
        if (op_switch_artifacts(sr->p, o->plan_dir, o->input ? o->input : o->deployed_table, e))
            return -1;
    }
    if (o->deployed_table) {
        out_info("A table and a bootloader are a plan for the field: nothing to apply.");
        return 0;
    }
    if (sr->run->is_device)
        return o->dry_run ? 0 : apply_device(sr, e);
    if (o->dry_run && !o->plan_dir)
        return 0;
    return apply_file(sr, e);
}

/* ---- the option ------------------------------------------------------------- */

static int plan(struct switch_run *sr, struct err *e)
{
    struct mpi_run *run = sr->run;
    struct switch_chip chip;
    if (op_switch_app_file(run->opts.ota_switch, &sr->mp, &sr->mp_len, e) ||
        chip_facts(run, &chip, e) ||
        op_switch_read(&run->fw, sr->mp, sr->mp_len, &sr->so, &chip, sr->p, e))
        return -1;
    print_state(sr->p);
    if (sr->p->st.already)
        return 0;
    int rc = op_switch_check(sr->p, &sr->so, e);
    print_verdict(sr->p);
    if (rc || op_switch_plan(&run->fw, &sr->so, sr->p, e))
        return -1;
    print_plan(run, sr->p);
    return 0;
}

int mpi_ota_switch(struct mpi_run *run, struct err *e)
{
    struct switch_run sr = { .run = run, .p = calloc(1, sizeof *sr.p) };
    if (!sr.p)
        return err_set(e, "out of memory");
    int rc = parse_opts(&run->opts, &sr, e);
    if (rc == 0)
        rc = plan(&sr, e);
    if (rc == 0 && sr.p->st.already)
        out_info("Already switched: '%s' runs this MicroPython (%s); nothing to do.",
                 sr.p->old_table.p[sr.p->st.running].name, sr.p->st.mp.app.version);
    else if (rc == 0)
        rc = apply(&sr, e);
    free(sr.mp);
    free(sr.p);
    return rc;
}

int mpi_open_deployed(struct mpi_run *run, struct err *e)
{
    const struct mpi_opts *o = &run->opts;
    out_info("Opening %s and %s...", o->deployed_table, o->deployed_bootloader);
    if (op_switch_open_deployed(&run->fw, o->deployed_table, o->deployed_bootloader, e))
        return -1;
    run->opened = true;
    out_info("Deployed partition table of an %s fleet (%uMB flash):", run->fw.chip->name,
             run->fw.flash_size >> 20);
    mpi_print_table(&run->fw, &run->fw.table, run->fw.flash_size);
    return 0;
}
