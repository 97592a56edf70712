/* --fs CMD ARGS...: the littlefs commands of mp-image-tool-esp32 (reference
 * §9.3), on firmware files, plain filesystem images and devices alike.
 *
 *   ls [PATH...]           cat FILE...          mkdir PATH...
 *   rm PATH...             rename A B           get SRC... [DEST]
 *   put SRC... [DEST]      mkfs [PART...]       df [PART...]
 *   info [PART...]         grow [PART [SIZE]]
 *
 * Paths are [PART:]PATH; the partition (default "vfs") sticks for the later
 * arguments of the same command.  This file parses the arguments and prints
 * in the Python tool's formats; the work is done by lib/ops/op_fs.h, which
 * mounts each partition once per run and writes its cached blocks once, in
 * mpi_fs_finish().  Differences from the Python tool (its bugs, §12): every
 * path of a command takes effect, `put file newname` works, a missing source
 * is an error, `cat` is binary-safe, `grow` refuses to shrink or to pass the
 * partition, `mkfs` only touches data partitions, `get` never writes outside
 * its destination and keeps mtimes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mpi.h"
#include "mpi_args.h"
#include "mpi_run.h"
#include "op_fs.h"
#include "json.h"
#include "out.h"

/* Timestamps of files we create without a source (boot.py after mkfs):
 * SOURCE_DATE_EPOCH when set, for reproducible images; else now. */
static int64_t clock_ns(void)
{
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    if (epoch && *epoch) {
        char *end;
        long long v = strtoll(epoch, &end, 10);
        if (!*end && v >= 0)
            return (int64_t)v * 1000000000;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct op_fs *mounts(struct mpi_run *run)
{
    struct op_fs *set = mpi_fs_state(run);
    if (!set) {
        set = op_fs_new(mpi_firmware(run), clock_ns);
        mpi_set_fs_state(run, set);
    }
    return set;
}

/* The mount of partition `name`; the first use warns about a block count
 * MicroPython would refuse. */
static struct lfs *get_fs(struct mpi_run *run, const char *name, struct err *e)
{
    struct op_fs *set = mounts(run);
    if (!set)
        return err_set(e, "out of memory"), NULL;
    bool fresh;
    struct op_fs_mount *m = op_fs_mount(set, name, &fresh, e);
    if (!m)
        return NULL;
    if (fresh && m->blocks_mismatch && !mpi_grow_requested(run, name))
        out_warn("The filesystem in '%s' has %u blocks but the partition holds %u: MicroPython "
                 "will not mount it. Use '--fs grow %s' to fix.",
                 name, m->fs_blocks, m->part_blocks, name);
    return m->fs;
}

/* Errors of an operation on a mounted filesystem name the partition. */
static int fs_error(const char *part, struct err *e)
{
    return err_prefix(e, "partition '%s': ", part);
}

/* "[PART:]PATH" -> partition (sticky) and path. */
static const char *split_arg(const char *arg, char *part, size_t cap)
{
    const char *colon = strrchr(arg, ':');
    if (!colon)
        return arg;
    size_t n = (size_t)(colon - arg);
    if (n >= cap)
        n = cap - 1;
    memcpy(part, arg, n);
    part[n] = '\0';
    return colon + 1;
}

/* How the Python tool shows a path: Path(p).as_posix(), "" -> ".". */
static const char *shown(const char *p)
{
    return *p ? p : ".";
}

/* ---- commands taking paths: ls, cat, mkdir, rm, get ------------------------- */

struct path_cmd {
    const char *verb;
    const char *need;    /* what a missing argument is; NULL: the root */
    const char *dest;    /* get: shown after the path */
    int (*fn)(struct lfs *fs, const char *path, const char *dest, struct err *e);
};

/* Run `c` on each "[PART:]PATH" argument, announcing it first. */
static int each_path(struct mpi_run *run, const struct path_cmd *c, int argc, char **argv,
                     struct err *e)
{
    char part[32] = "vfs";
    char *root[] = { "" };
    if (argc == 0 && c->need)
        return err_set(e, "'--fs %s' needs %s", c->verb, c->need);
    if (argc == 0) {
        argc = 1;
        argv = root;
    }
    for (int i = 0; i < argc; i++) {
        const char *path = split_arg(argv[i], part, sizeof part);
        struct lfs *fs = get_fs(run, part, e);
        if (!fs)
            return -1;
        if (c->dest)
            out_action("%s '%s:%s' -> '%s'", c->verb, part, shown(path), c->dest);
        else
            out_action("%s '%s:%s'", c->verb, part, shown(path));
        if (c->fn(fs, path, c->dest, e))
            return fs_error(part, e);
    }
    return 0;
}

/* Paths from the filesystem come escaped (op_fs.h, README "Names"). */
static void print_ls(void *ctx, const char *rel, const struct lfs_info *info)
{
    (void)ctx;
    if (out_json) {
        json_obj(out_json, NULL);
        json_str(out_json, "path", rel);
        json_str(out_json, "type", info->type == LFS_TYPE_DIR ? "dir" : "file");
        json_int(out_json, "size", info->type == LFS_TYPE_DIR ? 0 : info->size);
        json_end(out_json);
        return;
    }
    out_data("%s%s", rel, info->type == LFS_TYPE_DIR ? "/" : "");
}

static void print_damage(void *ctx, const char *path, const char *why)
{
    (void)ctx;
    out_warn("'%s': %s", path, why);
}

static int do_ls(struct lfs *fs, const char *path, const char *dest, struct err *e)
{
    (void)dest;
    return op_fs_ls(fs, path, print_ls, print_damage, NULL, e);
}

static int cat_sink(void *ctx, const void *buf, size_t len, struct err *e)
{
    (void)ctx;
    (void)e;
    out_bytes(buf, len);
    return 0;
}

static int do_cat(struct lfs *fs, const char *path, const char *dest, struct err *e)
{
    (void)dest;
    return op_fs_cat(fs, path, cat_sink, NULL, e);
}

static int do_mkdir(struct lfs *fs, const char *path, const char *dest, struct err *e)
{
    (void)dest;
    return op_fs_mkdirs(fs, path, e);
}

static int do_rm(struct lfs *fs, const char *path, const char *dest, struct err *e)
{
    (void)dest;
    return op_fs_rm(fs, path, print_damage, NULL, e);
}

/* get/put report: files and directories copied, entries skipped. */
static void print_copy(void *ctx, const struct op_fs_copy *c)
{
    (void)ctx;
    switch (c->kind) {
    case OP_FS_COPY_FILE:
        out_info("%s -> %s", c->src, c->dst);
        break;
    case OP_FS_COPY_DIR:
        if (c->top)
            out_info("%s -> %s", shown(c->src), c->dst);
        else
            out_info("%s/ -> %s/", c->src, c->dst);
        break;
    case OP_FS_SKIP_UNSAFE:
    case OP_FS_SKIP_DAMAGED:
        out_warn("Skipping '%s': %s", c->src, c->why);
        break;
    case OP_FS_SKIP_SYMLINK:
        out_warn("Skipping '%s': %s", c->src, c->why ? c->why : "symbolic link to a directory");
        break;
    case OP_FS_SKIP_SPECIAL:
        out_warn("Skipping '%s': not a regular file", c->src);
        break;
    }
}

static int do_get(struct lfs *fs, const char *path, const char *dest, struct err *e)
{
    return op_fs_get(fs, path, dest, print_copy, NULL, e);
}

static int cmd_ls(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    static const struct path_cmd c = { "ls", NULL, NULL, do_ls };
    return each_path(run, &c, argc, argv, e);
}

static int cmd_cat(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    static const struct path_cmd c = { "cat", "a file name", NULL, do_cat };
    return each_path(run, &c, argc, argv, e);
}

static int cmd_mkdir(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    static const struct path_cmd c = { "mkdir", "a directory name", NULL, do_mkdir };
    return each_path(run, &c, argc, argv, e);
}

static int cmd_rm(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    static const struct path_cmd c = { "rm", "a path", NULL, do_rm };
    return each_path(run, &c, argc, argv, e);
}

static int cmd_get(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    struct path_cmd c = { "get", "a source", ".", do_get };
    if (argc > 1)
        c.dest = argv[--argc];
    return each_path(run, &c, argc, argv, e);
}

static int cmd_rename(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    if (argc != 2)
        return err_set(e, "'--fs rename' requires two arguments");
    char part1[32] = "vfs", part2[32];
    const char *from = split_arg(argv[0], part1, sizeof part1);
    memcpy(part2, part1, sizeof part2);
    const char *to = split_arg(argv[1], part2, sizeof part2);
    if (strcmp(part1, part2))
        return err_set(e, "'--fs rename' Both partitions must be the same");
    struct lfs *fs = get_fs(run, part1, e);
    if (!fs)
        return -1;
    out_action("rename '%s:%s' -> '%s'", part1, shown(from), shown(to));
    if (op_fs_rename(fs, from, to, e))
        return fs_error(part1, e);
    return 0;
}

static int cmd_put(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    const char *destarg = ".";
    if (argc > 1)
        destarg = argv[--argc];
    if (argc == 0)
        return err_set(e, "'--fs put' needs a source");
    char part[32] = "vfs";
    const char *dpath = split_arg(destarg, part, sizeof part);
    struct lfs *fs = get_fs(run, part, e);
    if (!fs)
        return -1;
    for (int i = 0; i < argc; i++) {
        /* a bad source is the user's error, not the partition's */
        struct stat st;
        if (stat(argv[i], &st))
            return err_sys(e, "%s", argv[i]);
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
            return err_set(e, "%s: not a file or directory", argv[i]);
        out_action("put '%s' -> '%s:%s':", argv[i], part, shown(dpath));
        if (op_fs_put(fs, argv[i], dpath, print_copy, NULL, e))
            return fs_error(part, e);
    }
    return 0;
}

/* ---- mkfs, df, info, grow ------------------------------------------------ */

static int cmd_mkfs(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    char *dflt[] = { "vfs" };
    if (argc == 0) {
        argc = 1;
        argv = dflt;
    }
    struct op_fs *set = mounts(run);
    if (!set)
        return err_set(e, "out of memory");
    for (int i = 0; i < argc; i++) {
        struct part p;
        if (op_fs_mkfs_check(set, argv[i], &p, e))
            return -1;
        out_action("mkfs on partition '%s'...", argv[i]);
        if (op_fs_mkfs(set, argv[i], e))
            return -1;
    }
    return 0;
}

static bool part_exists(struct mpi_run *run, const char *name)
{
    struct part p;
    struct err e;
    return firmware_find_part(mpi_firmware(run), name, &p, &e) == 0;
}

/* Run `show` on the figures of each partition named (default: every
 * filesystem partition).  With `absent`, a partition that holds no
 * filesystem (or none that mounts) is reported through it and the rest go
 * on; without, it is the error. */
static int each_fs(struct mpi_run *run, int argc, char **argv,
                   void (*show)(const char *name, const struct op_fs_stat *st),
                   void (*absent)(const char *name, const char *why), struct err *e)
{
    char names[OP_FS_MAX_MOUNTS][PTABLE_NAME_MAX + 1];
    int n = 0;
    if (argc == 0)
        n = op_fs_default_parts(mpi_firmware(run), names, OP_FS_MAX_MOUNTS);
    for (int i = 0; i < argc && n < OP_FS_MAX_MOUNTS; i++)
        snprintf(names[n++], PTABLE_NAME_MAX + 1, "%s", argv[i]);
    for (int i = 0; i < n; i++) {
        struct lfs *fs = get_fs(run, names[i], e);
        if (!fs && absent && part_exists(run, names[i])) {
            absent(names[i], e->msg);
            continue;
        }
        if (!fs)
            return -1;
        struct op_fs_stat st;
        if (op_fs_stat(fs, &st, e))
            return fs_error(names[i], e);
        show(names[i], &st);
    }
    return 0;
}

/* --json: a filesystem's facts, one object in the command's list. */
static void stat_json(const char *name, const struct op_fs_stat *st)
{
    json_obj(out_json, NULL);
    json_str(out_json, "partition", name);
    json_strf(out_json, "version", "%u.%u", st->version_major, st->version_minor);
    json_int(out_json, "block_size", st->block_size);
    json_int(out_json, "blocks", st->blocks);
    json_int(out_json, "used_blocks", st->used_blocks);
    json_int(out_json, "free_blocks", st->free_blocks);
    json_int(out_json, "size", st->size);
    json_int(out_json, "name_max", st->name_max);
    json_end(out_json);
}

static void show_df(const char *name, const struct op_fs_stat *st)
{
    if (out_json) {
        stat_json(name, st);
        return;
    }
    out_data("  %-14s %9u %8u %9u %5.0f%%", name, st->total_kb, st->used_kb, st->free_kb,
             st->used_pct);
}

static void show_info(const char *name, const struct op_fs_stat *st)
{
    if (out_json) {
        stat_json(name, st);
        return;
    }
    char ver[32];
    snprintf(ver, sizeof ver, "%u.%u", st->version_major, st->version_minor);
    out_data("Filesystem '%s': LittleFS", name);
    out_data("  Disk Version:%9s", ver);
    out_data("  Name Max:    %9u", st->name_max);
    out_data("  Image Size:  %9u  /  0x%X", st->size, st->size);
    out_data("  Block Size:  %9u  /  0x%X", st->block_size, st->block_size);
    out_data("  Blocks Total:%9u", st->blocks);
    out_data("  Blocks Used: %9u", st->used_blocks);
    out_data("  Blocks Free: %9u", st->free_blocks);
}

/* A df row for a partition without a filesystem: "(no filesystem: ...)". */
static void show_df_absent(const char *name, const char *why)
{
    if (out_json) {
        json_obj(out_json, NULL);
        json_str(out_json, "partition", name);
        json_str(out_json, "absent", why);
        json_end(out_json);
        return;
    }
    const char *colon = strstr(why, "': ");   /* drop "partition 'vfs': " */
    out_data("  %-14s (%s)", name, colon ? colon + 3 : why);
}

static int cmd_df(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    if (!out_json) {
        out_data("LittleFS Filesystems");
        out_data("# %-14s %9s %8s %9s %5s%%", "Partition", "Total kB", "Used kB", "Free kB",
                 "Used");
    }
    return each_fs(run, argc, argv, show_df, show_df_absent, e);
}

static int cmd_info(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    return each_fs(run, argc, argv, show_info, NULL, e);
}

static int cmd_grow(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    if (argc > 2)
        return err_set(e, "'--fs grow' takes a partition and an optional size");
    const char *name = argc ? argv[0] : "vfs";
    uint32_t size = OP_FS_GROW_FILL;
    if (argc == 2 && parse_blocks(argv[1], &size, e))
        return -1;
    struct lfs *fs = get_fs(run, name, e);
    if (!fs)
        return -1;
    struct op_fs_grow plan;
    if (op_fs_grow_plan(fs, size, &plan, e))
        return fs_error(name, e);
    out_action("fs: grow '%s' from %u to %u blocks", name, plan.from, plan.to);
    if (op_fs_grow(fs, &plan, e))
        return fs_error(name, e);
    return 0;
}

static void fsck_problem(void *ctx, const char *msg)
{
    out_data("  %s: %s", (const char *)ctx, msg);
}

/* `fsck [PART...]`: check every pair, tag, file and block; the problems
 * are the result asked for, and any one makes the run fail. */
static int cmd_fsck(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    char names[OP_FS_MAX_MOUNTS][PTABLE_NAME_MAX + 1];
    int n = 0, problems = 0;
    if (argc == 0)
        n = op_fs_default_parts(mpi_firmware(run), names, OP_FS_MAX_MOUNTS);
    for (int i = 0; i < argc && n < OP_FS_MAX_MOUNTS; i++)
        snprintf(names[n++], PTABLE_NAME_MAX + 1, "%s", argv[i]);
    for (int i = 0; i < n; i++) {
        struct lfs *fs = get_fs(run, names[i], e);
        if (!fs)
            return -1;
        out_action("fsck '%s'", names[i]);
        int r = lfs_fsck(fs, fsck_problem, names[i], e);
        if (r < 0)
            return fs_error(names[i], e);
        if (r == 0)
            out_info("Filesystem '%s': no problems found", names[i]);
        problems += r;
    }
    if (problems)
        return err_set(e, "fsck found %d problem%s", problems, problems == 1 ? "" : "s");
    return 0;
}

int mpi_fs_new_image(struct mpi_run *run, struct err *e)
{
    const struct mpi_opts *o = &run->opts;
    if (o->n_fs && strcmp(o->fs[0].argv[0], "mkfs") == 0)
        return 0;
    struct op_fs *set = mounts(run);
    if (!set)
        return err_set(e, "out of memory");
    return op_fs_format(set, "vfs", e);
}

/* ---- entry points ----------------------------------------------------------- */

int mpi_fs(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    if (argc < 1)
        return err_set(e, "'--fs' needs a command: ls, get, put, cat, mkdir, rm, rename, mkfs, "
                          "df, grow, info or fsck");
    static const struct {
        const char *name;
        int (*fn)(struct mpi_run *, int, char **, struct err *);
    } cmds[] = {
        { "ls", cmd_ls }, { "cat", cmd_cat }, { "mkdir", cmd_mkdir }, { "rm", cmd_rm },
        { "rename", cmd_rename }, { "get", cmd_get }, { "put", cmd_put },
        { "mkfs", cmd_mkfs }, { "df", cmd_df }, { "info", cmd_info }, { "grow", cmd_grow },
        { "fsck", cmd_fsck },
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[0], cmds[i].name))
            continue;
        /* --json: {"op": "fs", "command": ..., "args": [...], "results": [...]}
         * (ls: its entries, df and info: the filesystems) */
        if (out_json) {
            json_obj(out_json, NULL);
            json_str(out_json, "op", "fs");
            json_str(out_json, "command", argv[0]);
            json_arr(out_json, "args");
            for (int k = 1; k < argc; k++)
                json_str(out_json, NULL, argv[k]);
            json_end(out_json);
            json_arr(out_json, "results");
        }
        int rc = cmds[i].fn(run, argc - 1, argv + 1, e);
        if (out_json) {
            json_end(out_json);
            json_end(out_json);
        }
        return rc;
    }
    return err_set(e, "Unknown --fs command '%s'", argv[0]);
}

int mpi_fs_finish(struct mpi_run *run, struct err *e)
{
    struct op_fs *set = mpi_fs_state(run);
    return set ? op_fs_flush(set, e) : 0;
}

void mpi_fs_cleanup(struct mpi_run *run)
{
    op_fs_free(mpi_fs_state(run));
    mpi_set_fs_state(run, NULL);
}
