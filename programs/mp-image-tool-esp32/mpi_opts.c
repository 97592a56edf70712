/* Command-line parsing for mp-image-tool-esp32: the Python tool's options,
 * same names and meanings.  --fs takes the words after it up to the next
 * option; unlike the Python tool, when that leaves no filename, the last
 * word of the last --fs is taken as the filename if it names an existing
 * file or a port (its issue #6). */
#include "mpi_opts.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "mpi.h"
#include "out.h"

static const char usage[] =
"usage: mp-image-tool-esp32 [options] filename\n"
"\n"
"Inspect and rewrite ESP32 MicroPython firmware files and devices.\n"
"filename: a firmware file (.bin), a full flash dump, a littlefs image, an\n"
"app image (.app-bin), or a serial port (/dev/ttyUSB0, u0, a0, c0,\n"
"socket://host:port, rfc2217://host:port).\n"
"\n"
"options:\n"
"  -h, --help            show this help and exit\n"
"  -o, --output FILE     output file name (default: derived from the input and the changes)\n"
"  -q, --quiet           only errors and the results asked for\n"
"  -n, --no-reset        leave the device in bootloader mode\n"
"  -x, --extract-app     extract the app image to FILE.app-bin and exit\n"
"  -f, --flash-size SIZE set the flash size (1M,2M,4M,...,128M)\n"
"  -a, --app-size SIZE   size of every app partition (and of --table ota slots)\n"
"  -m, --method METHOD   accepted for compatibility (no esptool back-ends here)\n"
"  -d, --debug           more detail\n"
"  --log NAME=LEVEL      accepted for compatibility\n"
"  --check-app           check the bootloader and app images\n"
"  --no-rollback         with --ota-update: no rollback (state UNDEFINED)\n"
"  --baud RATE           baud rate for devices (default 921600)\n"
"  --no-stub             devices: use the ROM loader only, no flasher stub\n"
"  --ota-update FILE     write an app image to the next OTA slot\n"
"  --from-csv FILE       partition table from an ESP-IDF CSV file\n"
"  --table ota|default|original|NAME=SUB:SIZE,...\n"
"                        new partition table\n"
"  --delete NAME[,NAME]  delete partitions\n"
"  --add NAME=SUB:OFFSET:SIZE[,...]\n"
"                        add partitions (offset 0 = after the last, size 0 = fill)\n"
"  --resize NAME=SIZE[,...]\n"
"                        resize partitions (0 = fill); later ones move up if needed\n"
"  --rename OLD=NEW[,...]\n"
"                        rename partitions (contents kept)\n"
"  --erase NAME[,NAME]   erase partitions\n"
"  --erase-fs NAME[,...] erase the start of filesystem partitions (reformat on boot)\n"
"  --read NAME=FILE[,...]\n"
"                        save partitions (also bootloader, partition_table) to files\n"
"  --write NAME=FILE[,...]\n"
"                        write files into partitions\n"
"  --flash DEVICE[,DEVICE...]|all\n"
"                        write the firmware to devices (several at once; all:\n"
"                        every ESP board found by USB id)\n"
"  --no-diff             devices: write and read every byte (default: only the\n"
"                        sectors that differ, asking the chip by MD5)\n"
"  --no-backup           devices: no backup of the data a change destroys\n"
"  --dry-run             devices: print what would be written, erased and lost;\n"
"                        change nothing\n"
"  --restore BACKUP      put a backup file back onto the device\n"
"  --json                one JSON document on stdout (schema: README)\n"
"  --trimblocks          with --read: drop trailing 0xFF, round up to 4 KiB\n"
"  --trim                with --read: drop trailing 0xFF, round up to 16 bytes\n"
"  --size SIZE           with --fs on a file that does not exist (or is blank):\n"
"                        create a littlefs image of SIZE (e.g. 2M)\n"
"  --fs CMD [ARG...]     littlefs command: ls, get, put, cat, mkdir, rm, rename,\n"
"                        mkfs, df, grow, info, fsck (repeatable)\n"
"\n"
"switching an ESP-IDF / Arduino OTA device to MicroPython:\n"
"  --ota-switch FIRMWARE MicroPython firmware (.bin or .app-bin) for the device,\n"
"                        flash dump or deployed table: plan, check and apply\n"
"  --dry-run             print the plan, write nothing\n"
"  --plan-dir DIR        write the artifacts: partitions.bin/.csv, ota_switch.h,\n"
"                        micropython.app-bin, plan.json (and end-state.bin)\n"
"  --yes                 write to the device without asking\n"
"  --force               go on although the ESP-IDF verdict is \"refused\"\n"
"  --keep NAME[,NAME]    keep these partitions too (coredump, a filesystem)\n"
"  --backup DIR          where a device's backup goes\n"
"                        (default ota-switch-backup-MAC)\n"
"  --deployed-table FILE --deployed-bootloader FILE\n"
"                        instead of a device or dump: the fleet's partition\n"
"                        table (CSV or .bin) and bootloader image\n";

struct optdef {
    const char *lng;
    char shrt;
    int kind;            /* 0 flag, 1 value */
    size_t off;          /* offset of the bool / const char * in struct mpi_opts */
};

#define FLAG(l, s, f) { l, s, 0, offsetof(struct mpi_opts, f) }
#define VAL(l, s, f) { l, s, 1, offsetof(struct mpi_opts, f) }

static const struct optdef defs[] = {
    VAL("output", 'o', output), FLAG("quiet", 'q', quiet), FLAG("no-reset", 'n', no_reset),
    FLAG("extract-app", 'x', extract_app), VAL("flash-size", 'f', flash_size),
    VAL("resize-flash", 0, flash_size),   /* the Python tool README's name for -f */
    VAL("app-size", 'a', app_size), VAL("method", 'm', method), FLAG("debug", 'd', debug),
    VAL("log", 0, log), FLAG("check-app", 0, check_app), FLAG("no-rollback", 0, no_rollback),
    VAL("baud", 0, baud), VAL("ota-update", 0, ota_update), VAL("from-csv", 0, from_csv),
    VAL("table", 0, table), VAL("delete", 0, delete_), VAL("add", 0, add),
    VAL("resize", 0, resize), VAL("rename", 0, rename), VAL("erase", 0, erase),
    VAL("erase-fs", 0, erase_fs), VAL("read", 0, read), VAL("write", 0, write),
    VAL("flash", 0, flash), FLAG("trimblocks", 0, trimblocks), FLAG("trim", 0, trim),
    FLAG("no-stub", 0, no_stub), VAL("size", 0, size),
    VAL("ota-switch", 0, ota_switch), FLAG("dry-run", 0, dry_run), VAL("plan-dir", 0, plan_dir),
    FLAG("yes", 0, yes), FLAG("force", 0, force), VAL("keep", 0, keep), VAL("backup", 0, backup),
    VAL("deployed-table", 0, deployed_table), VAL("deployed-bootloader", 0, deployed_bootloader),
    FLAG("no-diff", 0, no_diff), FLAG("no-backup", 0, no_backup), FLAG("json", 0, json),
    VAL("restore", 0, restore),
};

static const struct optdef *find_def(const char *arg)
{
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        if (arg[1] == '-' && strcmp(arg + 2, defs[i].lng) == 0)
            return &defs[i];
        if (arg[1] != '-' && defs[i].shrt && arg[1] == defs[i].shrt && arg[2] == '\0')
            return &defs[i];
    }
    return NULL;
}

static bool is_option(const char *s)
{
    return s[0] == '-' && s[1] != '\0';
}

/* A word that can be the input: an existing file or a port. */
static bool names_input(const char *s)
{
    struct stat st;
    return stat(s, &st) == 0 || mpi_is_port(s);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s", usage);
    fprintf(stderr, "mp-image-tool-esp32: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return -1;
}

/* --ota-switch runs alone: its options need it, the others do not mix. */
static int check_switch_options(const struct mpi_opts *o)
{
    /* --dry-run is also the safety net's (mpi_safety.c) */
    const char *needs = o->plan_dir ? "--plan-dir" : o->yes ? "--yes"
                        : o->force ? "--force" : o->keep ? "--keep" : o->backup ? "--backup"
                        : o->deployed_table ? "--deployed-table"
                        : o->deployed_bootloader ? "--deployed-bootloader" : NULL;
    if (!o->ota_switch)
        return needs ? usage_error("%s goes with --ota-switch", needs) : 0;
    const char *other = o->flash_size ? "-f" : o->from_csv ? "--from-csv" : o->table ? "--table"
                        : o->delete_ ? "--delete" : o->add ? "--add" : o->resize ? "--resize"
                        : o->rename ? "--rename" : o->erase ? "--erase"
                        : o->erase_fs ? "--erase-fs" : o->read ? "--read" : o->write ? "--write"
                        : o->ota_update ? "--ota-update" : o->n_fs ? "--fs" : o->flash ? "--flash"
                        : o->extract_app ? "-x" : o->check_app ? "--check-app" : NULL;
    if (other)
        return usage_error("--ota-switch cannot be combined with %s", other);
    if (!o->deployed_table != !o->deployed_bootloader)
        return usage_error("%s", "--deployed-table and --deployed-bootloader go together");
    if (o->deployed_table && o->input)
        return usage_error("unrecognized argument: %s (--deployed-table is the source)", o->input);
    return 0;
}

int mpi_parse_args(int argc, char **argv, struct mpi_opts *o)
{
    bool only_positional = false;
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_positional || !is_option(a)) {
            if (o->input)
                return usage_error("unrecognized argument: %s", a);
            o->input = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 1;
        }
        if (strcmp(a, "--fs") == 0) {
            if (o->n_fs == MPI_MAX_FS)
                return usage_error("too many %s options", a);
            struct mpi_fs_cmd *c = &o->fs[o->n_fs++];
            c->argv = &argv[i + 1];
            while (i + 1 < argc && !is_option(argv[i + 1]))
                i++, c->argc++;
            if (c->argc == 0)
                return usage_error("argument %s: expected at least one argument", a);
            continue;
        }
        /* --opt=value */
        char name[64];
        const char *eq = strchr(a, '=');
        const char *value = NULL;
        if (a[1] == '-' && eq && (size_t)(eq - a) < sizeof name) {
            memcpy(name, a, (size_t)(eq - a));
            name[eq - a] = '\0';
            value = eq + 1;
            a = name;
        }
        const struct optdef *d = find_def(a);
        if (!d)
            return usage_error("unrecognized argument: %s", argv[i]);
        if (d->kind == 0) {
            if (value)
                return usage_error("option %s takes no value", a);
            *(bool *)((char *)o + d->off) = true;
            continue;
        }
        if (!value) {
            if (i + 1 >= argc)
                return usage_error("argument %s: expected one argument", a);
            value = argv[++i];
        }
        *(const char **)((char *)o + d->off) = value;
    }
    if (!o->input && o->n_fs > 0) {
        struct mpi_fs_cmd *c = &o->fs[o->n_fs - 1];
        if (c->argc >= 2 && names_input(c->argv[c->argc - 1]))
            o->input = c->argv[--c->argc];
    }
    if (check_switch_options(o))
        return -1;
    if (!o->input && !o->deployed_table)
        return usage_error("the following arguments are required: %s", "filename");
    return 0;
}
