/* The POSIX calls the tree makes outside its platform files, on Windows.
 *
 * Included first in every file of a Windows build (the build passes it
 * with -include), so the library and the front ends are one source for
 * every platform: what differs in substance (serial ports, sockets, atomic
 * replace, signals, the console) has its own *_win32.c; what is only
 * spelled differently is here.
 *
 * Paths are UTF-8 (main() converts the wide command line, see
 * programs/main.c) and reach Windows through its wide-character calls, so
 * any name works, not just those of the ANSI code page.  Both '/' and '\'
 * separate directories.
 *
 * Directory descriptors: open(O_DIRECTORY) and openat() of a directory
 * give a number that names an open directory handle (no CRT descriptor
 * can), which *at() calls, fdopendir(), fstat() and close() take.  The
 * handle is opened without FILE_SHARE_DELETE, so the directory cannot be
 * renamed or replaced while it is held, and O_NOFOLLOW refuses a junction
 * or symbolic link, as it refuses a symbolic link on POSIX.  A name given
 * to an *at() call must be one plain component (names.h,
 * name_host_refused): no separator, drive, stream, device name or
 * trailing dot can take it anywhere else. */
#ifndef MPI_COMPAT_WIN32_H
#define MPI_COMPAT_WIN32_H
#ifdef _WIN32

/* The system's declarations first: the names below must not rename them. */
#include <dirent.h>
#include <direct.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

/* printf formats: the C runtime's printf is mingw's C99 one
 * (__USE_MINGW_ANSI_STDIO), but gcc checks format(printf) attributes
 * against Microsoft's, which knows no %zu or %lld; gnu_printf is the one
 * we call. */
#define format(archetype, fmt, first) format(gnu_##archetype, fmt, first)

/* ---- paths ---- */

/* The wide form of a UTF-8 path, malloc'ed; NULL with errno (EINVAL for
 * bytes that are not UTF-8, ENOMEM). */
wchar_t *compat_wpath(const char *utf8);
/* The UTF-8 form of a wide string, malloc'ed; NULL when out of memory. */
char *compat_utf8(const wchar_t *w);
/* The wide path of `name` in the directory `dirfd` (AT_FDCWD: as given),
 * malloc'ed; NULL with errno (EBADF, EINVAL for a name that is not one
 * plain component). */
wchar_t *compat_wpath_at(int dirfd, const char *name);
/* The command line in UTF-8 (from wmain's UTF-16), NULL-terminated, for
 * the whole run; the console's output code page set to UTF-8 as well, and
 * the standard streams to binary. */
char **compat_utf8_argv(int argc, wchar_t **wargv);
/* Whether fd is a console that takes ANSI escape sequences (virtual
 * terminal processing is turned on here when it can be: Windows 10 and
 * later); false when redirected to a file or pipe, or on an older one. */
bool compat_vt_console(int fd);
/* errno for a Win32 error code (GetLastError()). */
int compat_errno(unsigned long win32_error);

/* ---- descriptors and flags ---- */

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#undef O_CLOEXEC
#define O_CLOEXEC _O_NOINHERIT
#define O_NOCTTY 0
#define O_DIRECTORY 0x1000000
#define O_NOFOLLOW 0x2000000

int compat_open(const char *path, int flags, ...);
int compat_openat(int dirfd, const char *name, int flags, ...);
int compat_close(int fd);
int compat_dup(int fd);
int compat_access(const char *path, int mode);
int compat_unlink(const char *path);
int compat_mkdir(const char *path, int mode);
int compat_mkdirat(int dirfd, const char *name, int mode);
int compat_renameat(int olddirfd, const char *oldname, int newdirfd, const char *newname);
int compat_unlinkat(int dirfd, const char *name, int flags);
ssize_t compat_readlinkat(int dirfd, const char *name, char *buf, size_t cap);
int fchmod(int fd, unsigned mode);
int futimens(int fd, const struct timespec ts[2]);
int fsync(int fd);
/* No users or groups as POSIX has them: every file is "ours". */
static inline unsigned geteuid(void) { return 0; }
#define renameat compat_renameat
#define unlinkat compat_unlinkat
#define readlinkat compat_readlinkat
#define open compat_open
#define openat compat_openat
#define close compat_close
#define dup compat_dup
#define access compat_access
#define unlink compat_unlink
#define mkdir compat_mkdir
#define mkdirat compat_mkdirat

/* ---- file status ---- */

#ifndef S_IFLNK
#define S_IFLNK 0xA000
#endif
#ifndef S_ISLNK
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#endif

/* What the tree reads of a stat: the type, size, modification time and
 * identity (volume serial and file index: unique while the file exists). */
struct compat_stat {
    uint32_t st_dev;
    uint64_t st_ino;
    unsigned st_mode;
    int64_t st_size;
    struct timespec st_mtim;
    unsigned st_uid;
};
#define stat compat_stat
#define ino_t uint64_t
#define dev_t uint32_t
int compat_stat(const char *path, struct compat_stat *st);
int compat_lstat(const char *path, struct compat_stat *st);
int compat_fstat(int fd, struct compat_stat *st);
int compat_fstatat(int dirfd, const char *name, struct compat_stat *st, int flags);
#undef fstat
#define lstat compat_lstat
#define fstat compat_fstat
#define fstatat compat_fstatat

/* ---- directories ---- */

#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_BLK 6
#define DT_REG 8
#define DT_LNK 10

struct compat_dirent {
    unsigned char d_type;
    char d_name[1024];       /* UTF-8: up to 255 UTF-16 units, 4 bytes each */
};
typedef struct compat_dir compat_DIR;
#define DIR compat_DIR
#define dirent compat_dirent
compat_DIR *compat_opendir(const char *path);
compat_DIR *compat_fdopendir(int fd);
struct compat_dirent *compat_readdir(compat_DIR *d);
int compat_closedir(compat_DIR *d);
#define opendir compat_opendir
#define fdopendir compat_fdopendir
#define readdir compat_readdir
#define closedir compat_closedir

/* ---- memory maps (CreateFileMapping) ---- */

#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_SHARED 1
#define MAP_PRIVATE 2
#define MAP_FAILED ((void *)-1)
#define MS_SYNC 4
void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off);
int munmap(void *addr, size_t len);
int msync(void *addr, size_t len, int flags);

/* ---- strings and streams ---- */

char *strndup(const char *s, size_t n);
/* A stream into memory: written to a temporary file, read into *buf
 * (NUL-terminated, *len bytes) when closed with fclose. */
FILE *open_memstream(char **buf, size_t *len);
int compat_fclose(FILE *f);
#define fclose compat_fclose

#endif
#endif
