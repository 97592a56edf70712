/* esptool front end: global options, the command table, the usage text.
 * Output and progress are in esptool_out.c, connecting in
 * esptool_session.c, running a command (on one board or several) in
 * esptool_run.c; the commands in esptool_flash.c (write/verify/read/erase),
 * esptool_info.c (chip_id, flash_id, read_mac), esptool_image.c
 * (image_info), esptool_merge.c (merge_bin) and the files esptool_cmds.h
 * lists.
 *
 * Global options (before or after the command, both spellings):
 *   -c/--chip CHIP  -p/--port PORT  -b/--baud BAUD  --before MODE  --after MODE
 *   --no-stub  -t/--trace  --connect-attempts N
 * Environment: ESPTOOL_PORT, ESPTOOL_BAUD (as esptool), ESPTOOL_CHIP; ESPTOOL_FM/FF/FS
 * give the flash option defaults (esptool_checks.c, esptool_elf.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boards.h"
#include "esptool.h"
#include "esptool_cmds.h"
#include "port_serial.h"
#include "programs.h"

/* ---- command line ---- */

struct command {
    const char *name;
    int (*fn)(struct esptool *t, int argc, char **argv, struct err *e);
    const char *args;   /* for the usage text */
    const char *what;
};

static const struct command commands[] = {
    { "write-flash", es_cmd_write_flash, "ADDR FILE [ADDR FILE...]", "write files to flash" },
    { "read-flash", es_cmd_read_flash, "ADDR SIZE FILE", "read flash to a file" },
    { "verify-flash", es_cmd_verify_flash, "ADDR FILE [ADDR FILE...]",
      "compare flash with files" },
    { "erase-flash", es_cmd_erase_flash, "", "erase the whole flash" },
    { "erase-region", es_cmd_erase_region, "ADDR SIZE", "erase a region" },
    { "chip-id", es_cmd_chip_id, "", "print the chip id" },
    { "flash-id", es_cmd_flash_id, "", "print the flash id and size" },
    { "read-mac", es_cmd_read_mac, "", "print the MAC address" },
    { "image-info", es_cmd_image_info, "FILE", "describe a firmware image" },
    { "merge-bin", es_cmd_merge_bin, "-o OUT ADDR FILE [ADDR FILE...]",
      "merge files into one" },
    { "restore-backup", es_cmd_restore_backup, "FILE", "put a backup back" },
    { "elf2image", es_cmd_elf2image, "FILE", "ELF to a flashable image" },
    { "make-image", es_cmd_make_image, "OUT -f FILE -a ADDR...", "ESP8266 image from segments" },
    { "load-ram", es_cmd_load_ram, "FILE", "load an image into RAM and run it" },
    { "dump-mem", es_cmd_dump_mem, "ADDR SIZE FILE", "save RAM or registers to a file" },
    { "read-mem", es_cmd_read_mem, "ADDR", "read a 32-bit word" },
    { "write-mem", es_cmd_write_mem, "ADDR VALUE [MASK]", "write a 32-bit word" },
    { "run", es_cmd_run, "", "run the app in flash" },
    { "read-flash-status", es_cmd_read_flash_status, "[--bytes N]",
      "read the flash status register" },
    { "write-flash-status", es_cmd_write_flash_status, "VALUE",
      "write the flash status register" },
    { "get-security-info", es_cmd_get_security_info, "", "secure boot, flash encryption" },
    { NULL, NULL, NULL, NULL },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: esptool [-c CHIP] [-p PORT[,PORT...]] [-b BAUD] [--before MODE]\n"
               "               [--after MODE] [--no-stub] [--trace] [--connect-attempts N]\n"
               "               [--json] [--no-diff] [--no-backup] [--dry-run] COMMAND ...\n\n"
               "esptool-compatible front end of mp-image-tool-esp32 %s (no Python needed).\n\n"
               "Commands (write_flash and write-flash both work):\n", MPI_VERSION);
    for (const struct command *c = commands; c->name; c++)
        fprintf(f, "  %-19s %-31s %s\n", c->name, c->args, c->what);
    fprintf(f, "  %-19s %-31s %s\n", "version", "", "print the version");
    fprintf(f, "\n--before: default-reset, usb-reset, no-reset, no-reset-no-sync\n"
               "--after:  hard-reset, soft-reset, no-reset, no-reset-stub\n"
               "--chip:   auto");
    for (const struct chip *const *c = chip_all(); *c; c++)
        fprintf(f, ", %s", (*c)->name);
    fprintf(f, "\nEnvironment: ESPTOOL_PORT, ESPTOOL_BAUD, ESPTOOL_CHIP, ESPTOOL_FM, ESPTOOL_FF, "
               "ESPTOOL_FS.\n");
}

static int parse_before(const char *v, struct loader_opts *o)
{
    char n[32];
    es_normalize(v, n, sizeof n);
    if (strcmp(n, "default-reset") == 0) o->before = LOADER_BEFORE_DEFAULT;
    else if (strcmp(n, "usb-reset") == 0) o->before = LOADER_BEFORE_USB_RESET;
    else if (strcmp(n, "no-reset") == 0) o->before = LOADER_BEFORE_NO_RESET;
    else if (strcmp(n, "no-reset-no-sync") == 0) o->before = LOADER_BEFORE_NO_RESET_NO_SYNC;
    else return -1;
    return 0;
}

static int parse_after(const char *v, struct loader_opts *o)
{
    char n[32];
    es_normalize(v, n, sizeof n);
    if (strcmp(n, "hard-reset") == 0 || strcmp(n, "watchdog-reset") == 0)
        o->after = LOADER_AFTER_HARD_RESET;
    else if (strcmp(n, "soft-reset") == 0) o->after = LOADER_AFTER_SOFT_RESET;
    else if (strcmp(n, "no-reset") == 0) o->after = LOADER_AFTER_NO_RESET;
    else if (strcmp(n, "no-reset-stub") == 0) o->after = LOADER_AFTER_NO_RESET_STUB;
    else return -1;
    return 0;
}

/* Consume a global option at argv[*i]; 1 = consumed, 0 = not global,
 * -1 = error. */
static int global_option(struct esptool *t, int argc, char **argv, int *i, bool after_cmd,
                         struct err *e)
{
    char opt[64];
    es_normalize(argv[*i], opt, sizeof opt);
    /* After the command, -t is merge_bin's --target-offset. */
    if (after_cmd && !strcmp(opt, "-t"))
        return 0;
    const char *val = NULL;
    char *eq = strchr(argv[*i], '=');
    if (strncmp(opt, "--", 2) == 0 && eq)
        opt[eq - argv[*i]] = '\0';
    bool takes = !strcmp(opt, "-c") || !strcmp(opt, "--chip") || !strcmp(opt, "-p") ||
                 !strcmp(opt, "--port") || !strcmp(opt, "-b") || !strcmp(opt, "--baud") ||
                 !strcmp(opt, "--before") || !strcmp(opt, "--after") ||
                 !strcmp(opt, "--connect-attempts") || !strcmp(opt, "--reset-sequence");
    bool flag = !strcmp(opt, "--no-stub") || !strcmp(opt, "-t") || !strcmp(opt, "--trace") ||
                es_run_flag(t, opt);
    if (!takes && !flag)
        return 0;
    if (takes) {
        if (eq && strncmp(opt, "--", 2) == 0)
            val = eq + 1;
        else if (*i + 1 < argc)
            val = argv[++*i];
        else
            return err_set(e, "option %s needs a value", argv[*i]);
    }
    if (!strcmp(opt, "-c") || !strcmp(opt, "--chip")) {
        if (strcmp(val, "auto") != 0 && !chip_by_name(val))
            return err_set(e, "invalid chip choice: '%s'", val);
        t->chip = val;
    } else if (!strcmp(opt, "-p") || !strcmp(opt, "--port")) {
        if (es_add_port(t, val, e) != 0)
            return -1;
    } else if (!strcmp(opt, "-b") || !strcmp(opt, "--baud")) {
        if (es_parse_u32(val, &t->baud) != 0 || t->baud < 300)
            return err_set(e, "invalid baud rate '%s'", val);
    } else if (!strcmp(opt, "--before")) {
        if (parse_before(val, &t->lo) != 0)
            return err_set(e, "invalid --before '%s'", val);
    } else if (!strcmp(opt, "--after")) {
        if (parse_after(val, &t->lo) != 0)
            return err_set(e, "invalid --after '%s'", val);
    } else if (!strcmp(opt, "--connect-attempts")) {
        char *end;
        long n = strtol(val, &end, 10);
        if (*end || n < 0 || n > 1000)
            return err_set(e, "invalid --connect-attempts '%s'", val);
        t->lo.connect_attempts = (int)n;
    } else if (!strcmp(opt, "--reset-sequence")) {
        t->lo.reset_sequence = val;
    } else if (!strcmp(opt, "--no-stub")) {
        t->lo.no_stub = true;
    } else if (es_run_flag(t, opt)) {
        es_run_set_flag(t, opt);
    } else {
        t->trace = true;
    }
    return 1;
}

static int run_main(struct esptool *t, int argc, char **argv)
{
    t->tty = isatty(STDOUT_FILENO);
    struct err e;
    err_clear(&e);
    const char *env;
    if ((env = getenv("ESPTOOL_PORT")) && *env)
        t->port = env;
    if ((env = getenv("ESPTOOL_CHIP")) && *env)
        t->chip = env;
    t->baud = 115200;
    if ((env = getenv("ESPTOOL_BAUD")) && *env && es_parse_u32(env, &t->baud) != 0) {
        fprintf(stderr, "A fatal error occurred: invalid ESPTOOL_BAUD '%s'\n", env);
        return 2;
    }
    /* Pull out the global options wherever they are; keep the rest. */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    if (!rest)
        return 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            /* after a command: that command's help (esptool_help.c) */
            char cname[64];
            es_normalize(nrest ? rest[0] : "", cname, sizeof cname);
            const char *h = es_command_help(cname);
            if (h)
                printf("usage: esptool [global options] %s\n", h);
            else
                usage(stdout);
            free(rest);
            return 0;
        }
        /* after a command, --version is elf2image's (-e) */
        if (nrest == 0 && (!strcmp(argv[i], "--version") || !strcmp(argv[i], "version"))) {
            printf("esptool (mp-image-tool-esp32 %s)\n", MPI_VERSION);
            free(rest);
            return 0;
        }
        int r = global_option(t, argc, argv, &i, nrest > 0, &e);
        if (r < 0) {
            fprintf(stderr, "esptool: error: %s\n", e.msg);
            free(rest);
            return 2;
        }
        if (r == 0)
            rest[nrest++] = argv[i];
    }
    if (nrest == 0) {
        usage(stderr);
        free(rest);
        return 2;
    }
    char name[64];
    es_normalize(rest[0], name, sizeof name);
    const struct command *cmd = NULL;
    for (const struct command *c = commands; c->name; c++)
        if (!strcmp(c->name, name))
            cmd = c;
    if (!cmd) {
        const char *near = es_suggest(name);
        if (near)
            fprintf(stderr, "esptool: error: unknown command '%s' (did you mean '%s'? see "
                            "--help)\n", rest[0], near);
        else
            fprintf(stderr, "esptool: error: unknown command '%s' (see --help)\n", rest[0]);
        free(rest);
        return 2;
    }
    t->lo.chip = t->chip;
    t->lo.baud = t->baud;
    t->lo.log = es_on_log;
    t->lo.detail = es_on_log;
    t->lo.connected = es_on_connected;
    t->lo.progress = es_on_progress;
    t->lo.ctx = t;
    if (t->trace)
        t->lo.trace = es_on_trace;
    es_json_mode = t->json_out;
    if (!es_json_mode)
        printf("esptool.py v4.8 compatible (mp-image-tool-esp32 %s)\n", MPI_VERSION);
    int rc = es_run(t, cmd->name, cmd->fn, nrest, rest, &e);
    es_progress_done();
    if (rc != 0) {
        fflush(stdout);
        fprintf(stderr, "\nA fatal error occurred: %s\n", e.msg);
        if (t->l) {
            loader_close(t->l);
            t->l = NULL;
        }
        free(rest);
        return 2;
    }
    es_finish(t);
    free(rest);
    return 0;
}

int esptool_main(int argc, char **argv)
{
    struct esptool t;
    memset(&t, 0, sizeof t);
    loader_opts_init(&t.lo);
    int rc = run_main(&t, argc, argv);
    for (int i = 0; i < t.nports; i++)
        free((char *)t.ports[i]);   /* es_add_port's copies */
    return rc;
}
