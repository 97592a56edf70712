/* --fs CMD ARGS...: the littlefs commands of mp-image-tool-esp32 (reference
 * §9.3), on firmware files, plain filesystem images and devices alike.
 *
 *   ls [PATH...]           cat FILE...          mkdir PATH...
 *   rm PATH...             rename A B           get SRC... [DEST]
 *   put SRC... [DEST]      mkfs [PART...]       df [PART...]
 *   info [PART...]         grow [PART [SIZE]]
 *
 * Paths are [PART:]PATH; the partition (default "vfs") sticks for the later
 * arguments of the same command.  Each partition is mounted once per run and
 * its cached blocks are written once, by mpi_fs_finish().  Differences from
 * the Python tool (its bugs, §12): every path of a command takes effect, `put
 * file newname` works, a missing source is an error, `cat` is binary-safe,
 * `grow` refuses to shrink or to pass the partition, `mkfs` only touches data
 * partitions, `get` never writes outside its destination and keeps mtimes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lfs.h"
#include "mpi.h"
#include "mpi_args.h"
#include "out.h"

#define FS_MAX_MOUNTS 16

/* MicroPython's default boot.py, as the Python tool writes it after mkfs. */
static const char BOOT_PY[] =
    "# This file is executed on every boot (including wake-boot from deepsleep)\n"
    "#import esp\n"
    "#esp.osdebug(None)\n"
    "#import webrepl\n"
    "#webrepl.start()\n";

struct mount {
    struct part part;
    struct lfs *fs;
};

struct fs_state {
    struct mount m[FS_MAX_MOUNTS];
    int n;
};

static struct fs_state *state(struct mpi_run *run)
{
    struct fs_state *s = mpi_fs_state(run);
    if (!s) {
        s = calloc(1, sizeof *s);
        mpi_set_fs_state(run, s);
    }
    return s;
}

/* Timestamps of files we create (boot.py after mkfs, mkdir'd files):
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

static void lfs_cfg(struct lfs_config *c)
{
    lfs_config_micropython(c);
    c->write_back = true;
    c->auto_mtime = true;
    c->clock_ns = clock_ns;
}

static int check_part(struct firmware *fw, const struct part *p, struct err *e)
{
    if (p->offset > fw->flash->size || p->size > fw->flash->size - p->offset)
        return err_set(e, "partition '%s' (0x%x..0x%x) lies beyond the end of the flash (0x%x)",
                       p->name, p->offset, p->offset + p->size, fw->flash->size);
    return 0;
}

/* The mount of partition `name`, mounting it on first use. */
static struct lfs *get_fs(struct mpi_run *run, const char *name, struct err *e)
{
    struct fs_state *s = state(run);
    if (!s)
        return err_set(e, "out of memory"), NULL;
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->m[i].part.name, name))
            return s->m[i].fs;
    if (s->n == FS_MAX_MOUNTS)
        return err_set(e, "too many partitions"), NULL;
    struct firmware *fw = mpi_firmware(run);
    struct part p;
    if (firmware_find_part(fw, name, &p, e) || check_part(fw, &p, e))
        return NULL;
    struct lfs_config c;
    lfs_cfg(&c);
    struct lfs *fs;
    if (lfs_mount(&fs, fw->flash, p.offset, p.size, &c, e)) {
        err_prefix(e, "partition '%s': ", name);
        return NULL;
    }
    struct lfs_fsinfo fi;
    if (lfs_fs_stat(fs, &fi, e)) {
        lfs_free(fs);
        err_prefix(e, "partition '%s': ", name);
        return NULL;
    }
    if (fi.block_count != fi.part_blocks)
        out_warn("The filesystem in '%s' has %u blocks but the partition holds %u: MicroPython "
                 "will not mount it. Use '--fs grow %s' to fix.",
                 name, fi.block_count, fi.part_blocks, name);
    s->m[s->n].part = p;
    s->m[s->n].fs = fs;
    s->n++;
    return fs;
}

static void drop_fs(struct mpi_run *run, const char *name)
{
    struct fs_state *s = state(run);
    for (int i = 0; s && i < s->n; i++)
        if (!strcmp(s->m[i].part.name, name)) {
            lfs_free(s->m[i].fs);
            s->m[i] = s->m[--s->n];
            return;
        }
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

static void join(char *out, size_t cap, const char *a, const char *b)
{
    size_t n = strlen(a);
    while (n > 0 && a[n - 1] == '/')
        n--;
    snprintf(out, cap, "%.*s/%s", (int)n, a, b);
}

static int fs_error(struct lfs *fs, const char *part, struct err *e)
{
    (void)fs;
    return err_prefix(e, "partition '%s': ", part);
}

/* ---- ls ------------------------------------------------------------------ */

/* Python's fs.walk: a directory's files, then its subdirectories, then each
 * subdirectory the same way; paths relative to the argument. */
static int ls_walk(struct lfs *fs, const char *path, const char *rel, struct err *e)
{
    struct lfs_info *v;
    size_t n;
    if (lfs_dir_list(fs, path, &v, &n, e))
        return -1;
    char sub[1024], subrel[1024];
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            bool dir = v[i].type == LFS_TYPE_DIR;
            if (dir != (pass == 1))
                continue;
            if (*rel)
                snprintf(subrel, sizeof subrel, "%s/%s", rel, v[i].name);
            else
                snprintf(subrel, sizeof subrel, "%s", v[i].name);
            out_data("%s%s", subrel, dir ? "/" : "");
        }
    for (size_t i = 0; i < n; i++) {
        if (v[i].type != LFS_TYPE_DIR)
            continue;
        join(sub, sizeof sub, path, v[i].name);
        if (*rel)
            snprintf(subrel, sizeof subrel, "%s/%s", rel, v[i].name);
        else
            snprintf(subrel, sizeof subrel, "%s", v[i].name);
        if (ls_walk(fs, sub, subrel, e)) {
            free(v);
            return -1;
        }
    }
    free(v);
    return 0;
}

static int cmd_ls(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    char part[32] = "vfs";
    char *dflt[] = { "" };
    if (argc == 0) {
        argc = 1;
        argv = dflt;
    }
    for (int i = 0; i < argc; i++) {
        const char *path = split_arg(argv[i], part, sizeof part);
        struct lfs *fs = get_fs(run, part, e);
        if (!fs)
            return -1;
        out_action("ls '%s:%s'", part, shown(path));
        struct lfs_info info;
        if (lfs_stat(fs, *path ? path : "/", &info, e))
            return fs_error(fs, part, e);
        if (info.type == LFS_TYPE_REG) {
            out_data("%s", info.name);
            continue;
        }
        if (ls_walk(fs, *path ? path : "/", "", e))
            return fs_error(fs, part, e);
    }
    return 0;
}

/* ---- cat, mkdir, rm, rename --------------------------------------------- */

static int cmd_cat(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    char part[32] = "vfs";
    if (argc == 0)
        return err_set(e, "'--fs cat' needs a file name");
    for (int i = 0; i < argc; i++) {
        const char *path = split_arg(argv[i], part, sizeof part);
        struct lfs *fs = get_fs(run, part, e);
        if (!fs)
            return -1;
        out_action("cat '%s:%s'", part, shown(path));
        struct lfs_info info;
        if (lfs_stat(fs, *path ? path : "/", &info, e))
            return fs_error(fs, part, e);
        if (info.type != LFS_TYPE_REG)
            return err_set(e, "%s is not a file.", shown(path));
        uint8_t *data;
        uint32_t len;
        if (lfs_read_file(fs, path, &data, &len, e))
            return fs_error(fs, part, e);
        out_bytes(data, len);
        free(data);
    }
    return 0;
}

/* mkdir -p */
static int makedirs(struct lfs *fs, const char *path, struct err *e)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            struct lfs_info info;
            if (strspn(buf, "/.") != strlen(buf)) {
                if (lfs_stat(fs, buf, &info, e)) {
                    if (lfs_errno(fs) != LFS_ERR_NOENT || lfs_mkdir(fs, buf, e))
                        return -1;
                } else if (info.type != LFS_TYPE_DIR) {
                    return err_set(e, "%s: not a directory", buf);
                }
            }
            *p = c;
            if (!c)
                break;
        }
    }
    return 0;
}

static int cmd_mkdir(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    char part[32] = "vfs";
    if (argc == 0)
        return err_set(e, "'--fs mkdir' needs a directory name");
    for (int i = 0; i < argc; i++) {
        const char *path = split_arg(argv[i], part, sizeof part);
        struct lfs *fs = get_fs(run, part, e);
        if (!fs)
            return -1;
        out_action("mkdir '%s:%s'", part, shown(path));
        if (makedirs(fs, path, e))
            return fs_error(fs, part, e);
    }
    return 0;
}

static int cmd_rm(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    char part[32] = "vfs";
    if (argc == 0)
        return err_set(e, "'--fs rm' needs a path");
    for (int i = 0; i < argc; i++) {
        const char *path = split_arg(argv[i], part, sizeof part);
        struct lfs *fs = get_fs(run, part, e);
        if (!fs)
            return -1;
        out_action("rm '%s:%s'", part, shown(path));
        if (lfs_remove_recursive(fs, *path ? path : "/", e))
            return fs_error(fs, part, e);
    }
    return 0;
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
    if (lfs_rename(fs, from, to, e))
        return fs_error(fs, part1, e);
    return 0;
}

/* ---- get ------------------------------------------------------------------ */

/* A name from the filesystem is used on the host only if it cannot escape
 * the destination or confuse a terminal. */
static bool safe_name(const char *n)
{
    if (!*n || !strcmp(n, ".") || !strcmp(n, ".."))
        return false;
    for (const unsigned char *p = (const unsigned char *)n; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
            return false;
    return true;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int get_file(struct lfs *fs, const char *src, const char *dst, struct err *e)
{
    uint8_t *data;
    uint32_t len;
    struct lfs_info info;
    if (lfs_stat(fs, src, &info, e) || lfs_read_file(fs, src, &data, &len, e))
        return -1;
    /* O_NOFOLLOW: a symlink planted at the destination is not followed */
    int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        free(data);
        return err_sys(e, "%s", dst);
    }
    size_t done = 0;
    while (done < len) {
        ssize_t k = write(fd, data + done, len - done);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            free(data);
            close(fd);
            return err_sys(e, "%s", dst);
        }
        done += (size_t)k;
    }
    free(data);
    if (close(fd))
        return err_sys(e, "%s", dst);
    if (info.has_mtime) {
        struct timespec ts[2];
        ts[0].tv_sec = ts[1].tv_sec = (time_t)(info.mtime_ns / 1000000000);
        ts[0].tv_nsec = ts[1].tv_nsec = (long)(info.mtime_ns % 1000000000);
        if (ts[0].tv_nsec < 0) {
            ts[0].tv_sec--, ts[1].tv_sec--;
            ts[0].tv_nsec += 1000000000, ts[1].tv_nsec += 1000000000;
        }
        utimensat(AT_FDCWD, dst, ts, 0);
    }
    return 0;
}

static int get_tree(struct lfs *fs, const char *src, const char *dst, struct err *e)
{
    struct lfs_info *v;
    size_t n;
    if (lfs_dir_list(fs, src, &v, &n, e))
        return -1;
    int rc = 0;
    char s[1024], d[4096];
    for (int pass = 0; pass < 2 && !rc; pass++)
        for (size_t i = 0; i < n && !rc; i++) {
            bool dir = v[i].type == LFS_TYPE_DIR;
            if (dir != (pass == 1))
                continue;
            if (!safe_name(v[i].name)) {
                out_warn("Skipping '%s/%s': unsafe name for the host", src, v[i].name);
                continue;
            }
            join(s, sizeof s, src, v[i].name);
            join(d, sizeof d, dst, v[i].name);
            if (!dir) {
                out_data("%s -> %s", s, d);
                rc = get_file(fs, s, d, e);
            } else {
                out_data("%s/ -> %s/", s, d);
                if (mkdir(d, 0755) && errno != EEXIST)
                    rc = err_sys(e, "%s", d);
                else if (!is_dir(d))
                    rc = err_set(e, "%s: exists and is not a directory", d);
                else
                    rc = get_tree(fs, s, d, e);
            }
        }
    free(v);
    return rc;
}

static int cmd_get(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    const char *dest = ".";
    if (argc > 1)
        dest = argv[--argc];
    if (argc == 0)
        return err_set(e, "'--fs get' needs a source");
    char part[32] = "vfs";
    for (int i = 0; i < argc; i++) {
        const char *path = split_arg(argv[i], part, sizeof part);
        struct lfs *fs = get_fs(run, part, e);
        if (!fs)
            return -1;
        out_action("get '%s:%s' -> '%s'", part, shown(path), dest);
        const char *src = *path ? path : "/";
        struct lfs_info info;
        if (lfs_stat(fs, src, &info, e))
            return fs_error(fs, part, e);
        if (info.type == LFS_TYPE_REG) {
            char d[4096];
            if (is_dir(dest)) {
                if (!safe_name(info.name))
                    return err_set(e, "'%s': unsafe name for the host", info.name);
                join(d, sizeof d, dest, info.name);
            } else {
                snprintf(d, sizeof d, "%s", dest);
            }
            if (get_file(fs, src, d, e))
                return -1;
            continue;
        }
        out_data("%s -> %s", shown(path), dest);
        if (mkdir(dest, 0755) && errno != EEXIST)
            return err_sys(e, "%s", dest);
        if (!is_dir(dest))
            return err_set(e, "%s: exists and is not a directory", dest);
        if (get_tree(fs, src, dest, e))
            return -1;
    }
    return 0;
}

/* ---- put ------------------------------------------------------------------ */

static int put_file(struct lfs *fs, const char *src, const char *dst, struct err *e)
{
    struct stat st;
    if (stat(src, &st))
        return err_sys(e, "%s", src);
    FILE *f = fopen(src, "rb");
    if (!f)
        return err_sys(e, "%s", src);
    if (st.st_size > 0x7fffffff) {
        fclose(f);
        return err_set(e, "%s: too large for littlefs", src);
    }
    size_t len = (size_t)st.st_size;
    uint8_t *data = malloc(len ? len : 1);
    if (!data || fread(data, 1, len, f) != len) {
        free(data);
        fclose(f);
        return err_set(e, "%s: cannot read", src);
    }
    fclose(f);
    int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    int r = lfs_write_file(fs, dst, data, (uint32_t)len, mtime, e);
    free(data);
    return r;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int put_tree(struct lfs *fs, const char *src, const char *dst, struct err *e)
{
    DIR *d = opendir(src);
    if (!d)
        return err_sys(e, "%s", src);
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            names = realloc(names, cap * sizeof *names);
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    int rc = 0;
    char s[4096], t[1024];
    for (int pass = 0; pass < 2; pass++)   /* files first, then directories */
        for (size_t i = 0; i < n && !rc; i++) {
            join(s, sizeof s, src, names[i]);
            join(t, sizeof t, dst, names[i]);
            struct stat st, lst;
            if (stat(s, &st) || lstat(s, &lst)) {
                rc = err_sys(e, "%s", s);
                break;
            }
            bool dir = S_ISDIR(st.st_mode);
            if (dir != (pass == 1))
                continue;
            if (dir && S_ISLNK(lst.st_mode)) {
                out_warn("Skipping '%s': symbolic link to a directory", s);
                continue;
            }
            if (!dir && !S_ISREG(st.st_mode)) {
                out_warn("Skipping '%s': not a regular file", s);
                continue;
            }
            if (!dir) {
                out_data("%s -> %s", s, t);
                rc = put_file(fs, s, t, e);
            } else {
                out_data("%s/ -> %s/", s, t);
                rc = makedirs(fs, t, e);
                if (!rc)
                    rc = put_tree(fs, s, t, e);
            }
        }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static const char *base_name(const char *p, char *buf, size_t cap)
{
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        n--;
    size_t b = n;
    while (b > 0 && p[b - 1] != '/')
        b--;
    snprintf(buf, cap, "%.*s", (int)(n - b), p + b);
    return buf;
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
    const char *dest = (*dpath && strcmp(dpath, ".")) ? dpath : "/";
    for (int i = 0; i < argc; i++) {
        const char *src = argv[i];
        struct stat st;
        if (stat(src, &st))
            return err_sys(e, "%s", src);
        out_action("put '%s' -> '%s:%s':", src, part, shown(dpath));
        char name[256], t[1024];
        base_name(src, name, sizeof name);
        struct lfs_info info;
        bool dest_is_dir = lfs_stat(fs, dest, &info, e) == 0 && info.type == LFS_TYPE_DIR;
        if (S_ISREG(st.st_mode)) {
            if (dest_is_dir)
                join(t, sizeof t, dest, name);
            else
                snprintf(t, sizeof t, "%s", dest);
            out_data("%s -> %s", src, t);
            if (put_file(fs, src, t, e))
                return fs_error(fs, part, e);
        } else if (S_ISDIR(st.st_mode)) {
            if (!strcmp(name, ".") || !strcmp(name, "/") || !*name)
                snprintf(t, sizeof t, "%s", dest);
            else
                join(t, sizeof t, dest, name);
            out_data("%s -> %s", src, t);
            if (makedirs(fs, t, e) || put_tree(fs, src, t, e))
                return fs_error(fs, part, e);
        } else {
            return err_set(e, "%s: not a file or directory", src);
        }
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
    struct firmware *fw = mpi_firmware(run);
    for (int i = 0; i < argc; i++) {
        struct part p;
        if (firmware_find_part(fw, argv[i], &p, e) || check_part(fw, &p, e))
            return -1;
        if (p.type != PART_TYPE_DATA)
            return err_set(e, "partition '%s' is not a data partition: refusing mkfs", p.name);
        if (p.size < 2 * 4096)
            return err_set(e, "partition '%s' is too small for a filesystem", p.name);
        drop_fs(run, argv[i]);
        out_action("mkfs on partition '%s'...", argv[i]);
        struct lfs_config c;
        lfs_cfg(&c);
        if (flash_erase(fw->flash, p.offset, p.size / 4096 * 4096, e) ||
            lfs_format(fw->flash, p.offset, p.size, &c, e))
            return err_prefix(e, "partition '%s': ", argv[i]);
        struct lfs *fs = get_fs(run, argv[i], e);
        if (!fs || lfs_write_file(fs, "/boot.py", BOOT_PY, sizeof BOOT_PY - 1, -1, e))
            return err_prefix(e, "partition '%s': ", argv[i]);
    }
    return 0;
}

/* Partitions for df/info without arguments: every data/fat one (and the
 * implicit vfs of MicroPython >= 1.26). */
static int fs_parts(struct mpi_run *run, char names[][PTABLE_NAME_MAX + 1], int max)
{
    struct firmware *fw = mpi_firmware(run);
    int n = 0;
    for (int i = 0; i < fw->table.n && n < max; i++)
        if (fw->table.p[i].type == PART_TYPE_DATA && fw->table.p[i].subtype == PART_SUBTYPE_FAT)
            snprintf(names[n++], PTABLE_NAME_MAX + 1, "%s", fw->table.p[i].name);
    struct part p;
    struct err e;
    bool have_vfs = false;
    for (int i = 0; i < n; i++)
        have_vfs |= !strcmp(names[i], "vfs");
    /* the implicit vfs (v1.26+), or the whole of a plain filesystem image */
    if (n < max && !have_vfs && firmware_find_part(fw, "vfs", &p, &e) == 0)
        snprintf(names[n++], PTABLE_NAME_MAX + 1, "%s", "vfs");
    return n;
}

static int cmd_df(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    char names[FS_MAX_MOUNTS][PTABLE_NAME_MAX + 1];
    int n = 0;
    if (argc == 0)
        n = fs_parts(run, names, FS_MAX_MOUNTS);
    for (int i = 0; i < argc && n < FS_MAX_MOUNTS; i++)
        snprintf(names[n++], PTABLE_NAME_MAX + 1, "%s", argv[i]);
    out_data("LittleFS Filesystems");
    out_data("# %-14s %9s %8s %9s %5s%%", "Partition", "Total kB", "Used kB", "Free kB", "Used");
    for (int i = 0; i < n; i++) {
        struct lfs *fs = get_fs(run, names[i], e);
        if (!fs)
            return -1;
        struct lfs_fsinfo fi;
        if (lfs_fs_stat(fs, &fi, e))
            return fs_error(fs, names[i], e);
        uint32_t kb = fi.block_size / 1024;
        out_data("  %-14s %9u %8u %9u %5.0f%%", names[i], fi.block_count * kb,
                 fi.used_blocks * kb, (fi.block_count - fi.used_blocks) * kb,
                 100.0 * fi.used_blocks / fi.block_count);
    }
    return 0;
}

static int cmd_info(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    char names[FS_MAX_MOUNTS][PTABLE_NAME_MAX + 1];
    int n = 0;
    if (argc == 0)
        n = fs_parts(run, names, FS_MAX_MOUNTS);
    for (int i = 0; i < argc && n < FS_MAX_MOUNTS; i++)
        snprintf(names[n++], PTABLE_NAME_MAX + 1, "%s", argv[i]);
    for (int i = 0; i < n; i++) {
        struct lfs *fs = get_fs(run, names[i], e);
        if (!fs)
            return -1;
        struct lfs_fsinfo fi;
        if (lfs_fs_stat(fs, &fi, e))
            return fs_error(fs, names[i], e);
        char ver[32];
        snprintf(ver, sizeof ver, "%u.%u", fi.disk_version >> 16, fi.disk_version & 0xffff);
        uint32_t size = fi.block_size * fi.block_count;
        out_data("Filesystem '%s': LittleFS", names[i]);
        out_data("  Disk Version:%9s", ver);
        out_data("  Name Max:    %9u", fi.name_max);
        out_data("  Image Size:  %9u  /  0x%X", size, size);
        out_data("  Block Size:  %9u  /  0x%X", fi.block_size, fi.block_size);
        out_data("  Blocks Total:%9u", fi.block_count);
        out_data("  Blocks Used: %9u", fi.used_blocks);
        out_data("  Blocks Free: %9u", fi.block_count - fi.used_blocks);
    }
    return 0;
}

static int cmd_grow(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    if (argc > 2)
        return err_set(e, "'--fs grow' takes a partition and an optional size");
    const char *name = argc ? argv[0] : "vfs";
    struct lfs *fs = get_fs(run, name, e);
    if (!fs)
        return -1;
    struct lfs_fsinfo fi;
    if (lfs_fs_stat(fs, &fi, e))
        return fs_error(fs, name, e);
    uint32_t blocks = fi.part_blocks;
    if (argc == 2) {
        uint32_t size;
        if (parse_size(argv[1], &size, e))
            return -1;
        if (size % fi.block_size)
            return err_set(e, "'--fs grow': size 0x%x is not a multiple of the block size (%u)",
                           size, fi.block_size);
        blocks = size / fi.block_size;
    }
    out_action("fs: grow '%s' from %u to %u blocks", name, fi.block_count, blocks);
    if (lfs_fs_grow(fs, blocks, e))
        return fs_error(fs, name, e);
    return 0;
}

/* ---- entry points ----------------------------------------------------------- */

int mpi_fs(struct mpi_run *run, int argc, char **argv, struct err *e)
{
    if (argc < 1)
        return err_set(e, "'--fs' needs a command: ls, get, put, cat, mkdir, rm, rename, mkfs, "
                          "df, grow or info");
    static const struct {
        const char *name;
        int (*fn)(struct mpi_run *, int, char **, struct err *);
    } cmds[] = {
        { "ls", cmd_ls }, { "cat", cmd_cat }, { "mkdir", cmd_mkdir }, { "rm", cmd_rm },
        { "rename", cmd_rename }, { "get", cmd_get }, { "put", cmd_put },
        { "mkfs", cmd_mkfs }, { "df", cmd_df }, { "info", cmd_info }, { "grow", cmd_grow },
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[0], cmds[i].name))
            return cmds[i].fn(run, argc - 1, argv + 1, e);
    return err_set(e, "Unknown --fs command '%s'", argv[0]);
}

int mpi_fs_finish(struct mpi_run *run, struct err *e)
{
    struct fs_state *s = mpi_fs_state(run);
    for (int i = 0; s && i < s->n; i++)
        if (lfs_flush(s->m[i].fs, e))
            return err_prefix(e, "partition '%s': ", s->m[i].part.name);
    return 0;
}

void mpi_fs_cleanup(struct mpi_run *run)
{
    struct fs_state *s = mpi_fs_state(run);
    if (!s)
        return;
    for (int i = 0; i < s->n; i++)
        lfs_free(s->m[i].fs);
    free(s);
    mpi_set_fs_state(run, NULL);
}
