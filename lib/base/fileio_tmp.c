/* The temporaries of atomic writes: their names, their creation and
 * renaming (registered for removal when the run is stopped, see
 * fileio_signal.c and fileio_signal_win32.c), and the removal of those a
 * killed run left. */
#include "fileio.h"
#include "fileio_tmp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"

volatile sig_atomic_t tmp_armed;
int tmp_armed_dirfd;
char tmp_armed_name[PATH_MAX];

/* The start of the run: a temporary last written before it is no one's. */
static struct timespec started;

void tmp_note_start(void)
{
    if (started.tv_sec == 0)
        clock_gettime(CLOCK_REALTIME, &started);
}

static const char RANDOM_SET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* Six letters or digits, different on every call (clashes are retried). */
static void random_part(char *out)
{
    static uint64_t state;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    state += 0x9E3779B97F4A7C15u ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 24) ^
             ((uint64_t)getpid() << 40);
    uint64_t x = state;
    for (int i = 0; i < TMP_RANDOM; i++) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdu;
        x ^= x >> 29;
        out[i] = RANDOM_SET[x % (sizeof RANDOM_SET - 1)];
    }
    out[TMP_RANDOM] = '\0';
}

/* openat O_EXCL of tmp, registered if created. */
static int create_registered(int dirfd, const char *tmp, size_t len)
{
    tmp_hold(true);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    int saved = errno;
    if (fd >= 0) {
        tmp_armed_dirfd = dirfd;
        memcpy(tmp_armed_name, tmp, len + 1);
        tmp_armed = 1;
    }
    tmp_hold(false);
    errno = saved;
    return fd;
}

int tmp_create(int dirfd, const char *name, char *tmp, size_t cap)
{
    size_t n = strlen(name), infix = strlen(TMP_INFIX);
    if (n + infix + TMP_RANDOM + 1 > cap || n + infix + TMP_RANDOM + 1 > sizeof tmp_armed_name) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(tmp, name, n);
    memcpy(tmp + n, TMP_INFIX, infix);
    for (int tries = 0; tries < 100; tries++) {
        random_part(tmp + n + infix);
        int fd = create_registered(dirfd, tmp, n + infix + TMP_RANDOM);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

int tmp_finish(int dirfd, const char *tmp, const char *name)
{
    tmp_hold(true);
    int rc = name ? renameat(dirfd, tmp, dirfd, name) : -1;
    int saved = errno;
    if (rc != 0)
        unlinkat(dirfd, tmp, 0);
    tmp_armed = 0;
    tmp_hold(false);
    errno = saved;
    return rc;
}

/* `entry` is exactly base + TMP_INFIX + six letters or digits. */
static bool is_temporary_of(const char *entry, const char *base, size_t blen)
{
    size_t infix = strlen(TMP_INFIX);
    if (strlen(entry) != blen + infix + TMP_RANDOM || strncmp(entry, base, blen) != 0 ||
        strncmp(entry + blen, TMP_INFIX, infix) != 0)
        return false;
    for (const char *p = entry + blen + infix; *p; p++)
        if (!memchr(RANDOM_SET, *p, sizeof RANDOM_SET - 1))
            return false;
    return true;
}

static bool is_stale(int dfd, const char *entry)
{
    struct stat st;
    if (fstatat(dfd, entry, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return false;
    return S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
           (st.st_mtim.tv_sec < started.tv_sec ||
            (st.st_mtim.tv_sec == started.tv_sec && st.st_mtim.tv_nsec < started.tv_nsec));
}

void tmp_sweep(int dirfd, const char *name)
{
    tmp_note_start();
    const char *base = host_base_name(name);
    char dir[PATH_MAX];
    size_t dlen = (size_t)(base - name);
    if (dlen >= sizeof dir)
        return;
    memcpy(dir, name, dlen);
    dir[dlen] = '\0';
    int dfd = dlen ? openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
              : dirfd == AT_FDCWD ? open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                                  : dup(dirfd);
    if (dfd < 0)
        return;
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    size_t blen = strlen(base);
    for (struct dirent *de; (de = readdir(d));)
        if (is_temporary_of(de->d_name, base, blen) && is_stale(dfd, de->d_name))
            unlinkat(dfd, de->d_name, 0);
    closedir(d);
}
