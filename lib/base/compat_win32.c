/* The POSIX calls of compat_win32.h on Win32, with UTF-8 paths. */
#include "compat_win32.h"

#include <stdarg.h>
#include <windows.h>

#include "names.h"

#undef fclose

/* ---- paths ---- */

wchar_t *compat_wpath(const char *utf8)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, NULL, 0);
    if (n <= 0) {
        errno = EINVAL;
        return NULL;
    }
    wchar_t *w = malloc((size_t)n * sizeof *w);
    if (!w) {
        errno = ENOMEM;
        return NULL;
    }
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, w, n);
    return w;
}

char *compat_utf8(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *s = n > 0 ? malloc((size_t)n) : NULL;
    if (s)
        WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
    return s;
}

char **compat_utf8_argv(int argc, wchar_t **wargv)
{
    char **argv = calloc((size_t)argc + 1, sizeof *argv);
    for (int i = 0; argv && i < argc; i++)
        if (!(argv[i] = compat_utf8(wargv[i])))
            return NULL;
    SetConsoleOutputCP(CP_UTF8);
    /* Binary standard streams: `--fs cat` of a binary file, a firmware
     * written to stdout, and lines ending in \n as on every platform. */
    _setmode(0, _O_BINARY);
    _setmode(1, _O_BINARY);
    _setmode(2, _O_BINARY);
    return argv;
}

bool compat_vt_console(int fd)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    DWORD mode;
    if (h == INVALID_HANDLE_VALUE || !GetConsoleMode(h, &mode))
        return false;
#ifndef ENABLE_VIRTUAL_TERMINAL_PROCESSING
#define ENABLE_VIRTUAL_TERMINAL_PROCESSING 0x0004
#endif
    return (mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING) ||
           SetConsoleMode(h, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING);
}

int compat_errno(unsigned long code)
{
    switch (code) {
    case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND: case ERROR_INVALID_DRIVE:
    case ERROR_BAD_NETPATH: case ERROR_BAD_NET_NAME:
        return ENOENT;
    case ERROR_ACCESS_DENIED: case ERROR_WRITE_PROTECT: case ERROR_PRIVILEGE_NOT_HELD:
        return EACCES;
    case ERROR_SHARING_VIOLATION: case ERROR_LOCK_VIOLATION: case ERROR_BUSY:
        return EBUSY;
    case ERROR_ALREADY_EXISTS: case ERROR_FILE_EXISTS:
        return EEXIST;
    case ERROR_DIRECTORY:
        return ENOTDIR;
    case ERROR_DIR_NOT_EMPTY:
        return ENOTEMPTY;
    case ERROR_DISK_FULL: case ERROR_HANDLE_DISK_FULL:
        return ENOSPC;
    case ERROR_FILENAME_EXCED_RANGE:
        return ENAMETOOLONG;
    case ERROR_INVALID_NAME: case ERROR_INVALID_PARAMETER: case ERROR_BAD_PATHNAME:
        return EINVAL;
    case ERROR_NOT_ENOUGH_MEMORY: case ERROR_OUTOFMEMORY:
        return ENOMEM;
    case ERROR_INVALID_HANDLE:
        return EBADF;
    case ERROR_NOT_SAME_DEVICE:
        return EXDEV;
    case ERROR_BROKEN_PIPE: case ERROR_NO_DATA:
        return EPIPE;
    default:
        return EIO;
    }
}

/* -1 with errno from GetLastError(). */
static int fail_win32(void)
{
    errno = compat_errno(GetLastError());
    return -1;
}

/* ---- directory descriptors ---- */

/* Open directories: a descriptor is DIRFD_BASE + its index. */
#define DIRFD_BASE 0x40000000
struct dirent_slot {
    HANDLE h;                /* NULL: free */
    wchar_t *path;           /* absolute */
};
static struct dirent_slot *dirs;
static int ndirs;

static struct dirent_slot *dir_slot(int fd)
{
    int i = fd - DIRFD_BASE;
    if (fd < DIRFD_BASE || i >= ndirs || !dirs[i].h) {
        errno = EBADF;
        return NULL;
    }
    return &dirs[i];
}

/* A free slot's descriptor, the table grown if need be; -1 (ENOMEM). */
static int dir_alloc(void)
{
    for (int i = 0; i < ndirs; i++)
        if (!dirs[i].h)
            return DIRFD_BASE + i;
    int n = ndirs ? ndirs * 2 : 16;
    struct dirent_slot *nd = realloc(dirs, (size_t)n * sizeof *nd);
    if (!nd) {
        errno = ENOMEM;
        return -1;
    }
    memset(nd + ndirs, 0, (size_t)(n - ndirs) * sizeof *nd);
    dirs = nd;
    int fd = DIRFD_BASE + ndirs;
    ndirs = n;
    return fd;
}

/* Joined "dir\name", malloc'ed. */
static wchar_t *wjoin(const wchar_t *dir, const wchar_t *name)
{
    size_t a = wcslen(dir), b = wcslen(name);
    wchar_t *w = malloc((a + b + 2) * sizeof *w);
    if (!w) {
        errno = ENOMEM;
        return NULL;
    }
    memcpy(w, dir, a * sizeof *w);
    size_t k = a;
    if (k && dir[k - 1] != L'\\' && dir[k - 1] != L'/')
        w[k++] = L'\\';
    memcpy(w + k, name, (b + 1) * sizeof *w);
    return w;
}

wchar_t *compat_wpath_at(int dirfd, const char *name)
{
    if (dirfd == AT_FDCWD)
        return compat_wpath(name);
    struct dirent_slot *d = dir_slot(dirfd);
    if (!d)
        return NULL;
    /* one plain component; ".." as POSIX has it (a walk going back up) */
    if (strcmp(name, "..") && name_host_refused(name)) {
        errno = EINVAL;
        return NULL;
    }
    wchar_t *w = compat_wpath(name);
    wchar_t *full = w ? wjoin(d->path, w) : NULL;
    free(w);
    return full;
}

/* The absolute form of a path (GetFullPathNameW), malloc'ed. */
static wchar_t *absolute(const wchar_t *w)
{
    DWORD n = GetFullPathNameW(w, 0, NULL, NULL);
    wchar_t *full = n ? malloc(n * sizeof *full) : NULL;
    if (!full || !GetFullPathNameW(w, n, full, NULL)) {
        free(full);
        errno = n ? ENOMEM : EINVAL;
        return NULL;
    }
    return full;
}

/* Open directory `w` as a descriptor.  Without FILE_SHARE_DELETE: while we
 * hold it, nobody renames or replaces it, so its path stays its path. */
static int dir_open(const wchar_t *w, bool nofollow)
{
    HANDLE h = CreateFileW(w, FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES,
                           FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
                           FILE_FLAG_BACKUP_SEMANTICS | (nofollow ? FILE_FLAG_OPEN_REPARSE_POINT : 0),
                           NULL);
    if (h == INVALID_HANDLE_VALUE)
        return fail_win32();
    BY_HANDLE_FILE_INFORMATION info;
    int err = !GetFileInformationByHandle(h, &info) ? compat_errno(GetLastError())
              : !(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ? ENOTDIR
              : nofollow && (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) ? ELOOP
              : 0;
    wchar_t *path = err ? NULL : absolute(w);
    int fd = path ? dir_alloc() : -1;
    if (err || fd < 0) {
        CloseHandle(h);
        free(path);
        errno = err ? err : errno;
        return -1;
    }
    dirs[fd - DIRFD_BASE] = (struct dirent_slot){ h, path };
    return fd;
}

/* CreateFileW's disposition for the O_CREAT/O_EXCL/O_TRUNC of flags. */
static DWORD disposition(int flags)
{
    if ((flags & O_CREAT) && (flags & O_EXCL))
        return CREATE_NEW;
    if (flags & O_CREAT)
        return flags & O_TRUNC ? CREATE_ALWAYS : OPEN_ALWAYS;
    return flags & O_TRUNC ? TRUNCATE_EXISTING : OPEN_EXISTING;
}

/* A CRT descriptor (binary, always) for a file.  Opened sharing read,
 * write and delete, as POSIX files are: another program may read it, and
 * it may be renamed or removed while open (an output's temporary removed
 * on Ctrl-C while being written).  O_NOFOLLOW refuses a link.  A
 * directory opened for reading is a directory descriptor, as on POSIX
 * (fstat then says what it is); for writing it is EISDIR. */
static int file_open(const wchar_t *w, int flags, int mode)
{
    DWORD attr = GetFileAttributesW(w);
    if (attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_DIRECTORY)) {
        if ((flags & (O_RDONLY | O_WRONLY | O_RDWR)) == O_RDONLY)
            return dir_open(w, flags & O_NOFOLLOW);
        errno = EISDIR;
        return -1;
    }
    if ((flags & O_NOFOLLOW) && attr != INVALID_FILE_ATTRIBUTES &&
        (attr & FILE_ATTRIBUTE_REPARSE_POINT)) {
        errno = ELOOP;
        return -1;
    }
    int acc = flags & (O_RDONLY | O_WRONLY | O_RDWR);
    DWORD want = acc == O_WRONLY ? GENERIC_WRITE : acc == O_RDWR ? GENERIC_READ | GENERIC_WRITE
                                                                 : GENERIC_READ;
    DWORD attrs = (flags & O_CREAT) && !(mode & 0200) ? FILE_ATTRIBUTE_READONLY
                                                      : FILE_ATTRIBUTE_NORMAL;
    HANDLE h = CreateFileW(w, want, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, disposition(flags), attrs, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return fail_win32();
    int fd = _open_osfhandle((intptr_t)h, (acc == O_RDONLY ? _O_RDONLY : 0) | _O_BINARY);
    if (fd < 0) {
        CloseHandle(h);
        errno = EMFILE;
    }
    return fd;
}

static int open_w(wchar_t *w, int flags, int mode)
{
    if (!w)
        return -1;
    int fd = flags & O_DIRECTORY ? dir_open(w, flags & O_NOFOLLOW) : file_open(w, flags, mode);
    int saved = errno;
    free(w);
    errno = saved;
    return fd;
}

int compat_open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = flags & O_CREAT ? va_arg(ap, int) : 0;
    va_end(ap);
    return open_w(compat_wpath(path), flags, mode);
}

int compat_openat(int dirfd, const char *name, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = flags & O_CREAT ? va_arg(ap, int) : 0;
    va_end(ap);
    return open_w(compat_wpath_at(dirfd, name), flags, mode);
}

int compat_close(int fd)
{
    if (fd < DIRFD_BASE)
        return _close(fd);
    struct dirent_slot *d = dir_slot(fd);
    if (!d)
        return -1;
    CloseHandle(d->h);
    free(d->path);
    *d = (struct dirent_slot){ NULL, NULL };
    return 0;
}

int compat_dup(int fd)
{
    if (fd < DIRFD_BASE)
        return _dup(fd);
    struct dirent_slot *d = dir_slot(fd);
    return d ? dir_open(d->path, false) : -1;
}

/* Call f on the wide path, keeping its errno. */
#define WITH_WPATH(wexpr, call)          \
    do {                                 \
        wchar_t *w_ = (wexpr);           \
        if (!w_)                         \
            return -1;                   \
        int rc_ = (call);                \
        int saved_ = errno;              \
        free(w_);                        \
        errno = saved_;                  \
        return rc_;                      \
    } while (0)

int compat_renameat(int olddirfd, const char *oldname, int newdirfd, const char *newname)
{
    wchar_t *from = compat_wpath_at(olddirfd, oldname);
    wchar_t *to = from ? compat_wpath_at(newdirfd, newname) : NULL;
    /* Over an existing file in one step, as rename(2); written through, so
     * the new name is on disk when we say so. */
    int rc = to && MoveFileExW(from, to, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)
             ? 0 : to ? fail_win32() : -1;
    int saved = errno;
    free(from);
    free(to);
    errno = saved;
    return rc;
}

int compat_unlinkat(int dirfd, const char *name, int flags)
{
    (void)flags;
    WITH_WPATH(compat_wpath_at(dirfd, name), _wunlink(w_));
}

/* The final path of a link: Windows resolves the whole chain at once, so
 * one readlink reaches its end (written without the \\?\ prefix). */
ssize_t compat_readlinkat(int dirfd, const char *name, char *buf, size_t cap)
{
    wchar_t *w = compat_wpath_at(dirfd, name);
    if (!w)
        return -1;
    HANDLE h = CreateFileW(w, FILE_READ_ATTRIBUTES,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    free(w);
    if (h == INVALID_HANDLE_VALUE)
        return fail_win32();
    wchar_t final[32768];
    DWORD n = GetFinalPathNameByHandleW(h, final, 32768, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
    CloseHandle(h);
    if (!n || n >= 32768)
        return fail_win32();
    const wchar_t *p = wcsncmp(final, L"\\\\?\\", 4) ? final : final + 4;
    char *s = compat_utf8(p);
    size_t k = s ? strlen(s) : 0;
    if (!s || k > cap) {
        free(s);
        errno = s ? ENAMETOOLONG : ENOMEM;
        return -1;
    }
    memcpy(buf, s, k);
    free(s);
    return (ssize_t)k;
}

/* The only mode bit Windows has is read-only, and an output file does not
 * keep it (the rename would be refused): nothing to do. */
int fchmod(int fd, unsigned mode)
{
    (void)fd, (void)mode;
    return 0;
}

static FILETIME to_filetime(struct timespec t)
{
    uint64_t v = (uint64_t)((int64_t)t.tv_sec * 10000000 + t.tv_nsec / 100 + 116444736000000000LL);
    return (FILETIME){ (DWORD)v, (DWORD)(v >> 32) };
}

int futimens(int fd, const struct timespec ts[2])
{
    FILETIME a = to_filetime(ts[0]), m = to_filetime(ts[1]);
    return SetFileTime((HANDLE)_get_osfhandle(fd), NULL, &a, &m) ? 0 : fail_win32();
}

int fsync(int fd)
{
    return FlushFileBuffers((HANDLE)_get_osfhandle(fd)) ? 0 : fail_win32();
}

int compat_access(const char *path, int mode)
{
    WITH_WPATH(compat_wpath(path), _waccess(w_, mode & 6));
}

int compat_unlink(const char *path)
{
    WITH_WPATH(compat_wpath(path), _wunlink(w_));
}

int compat_mkdir(const char *path, int mode)
{
    (void)mode;
    WITH_WPATH(compat_wpath(path), _wmkdir(w_));
}

int compat_mkdirat(int dirfd, const char *name, int mode)
{
    (void)mode;
    WITH_WPATH(compat_wpath_at(dirfd, name), _wmkdir(w_));
}

/* ---- file status ---- */

/* 100 ns ticks since 1601 to a timespec since 1970. */
static struct timespec from_filetime(FILETIME ft)
{
    int64_t t = (int64_t)(((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime);
    t -= 116444736000000000LL;
    int64_t s = t / 10000000, r = t % 10000000;
    if (r < 0)
        s--, r += 10000000;
    return (struct timespec){ (time_t)s, (long)(r * 100) };
}

static int fill_stat(HANDLE h, struct compat_stat *st)
{
    memset(st, 0, sizeof *st);
    DWORD type = GetFileType(h);
    if (type == FILE_TYPE_CHAR || type == FILE_TYPE_PIPE) {
        st->st_mode = (type == FILE_TYPE_CHAR ? S_IFCHR : S_IFIFO) | 0666;
        return 0;
    }
    BY_HANDLE_FILE_INFORMATION info;
    if (!GetFileInformationByHandle(h, &info))
        return fail_win32();
    DWORD a = info.dwFileAttributes;
    st->st_mode = a & FILE_ATTRIBUTE_REPARSE_POINT ? S_IFLNK | 0777
                  : a & FILE_ATTRIBUTE_DIRECTORY   ? S_IFDIR | 0755
                  : a & FILE_ATTRIBUTE_READONLY    ? S_IFREG | 0444
                                                   : S_IFREG | 0644;
    st->st_dev = info.dwVolumeSerialNumber;
    st->st_ino = ((uint64_t)info.nFileIndexHigh << 32) | info.nFileIndexLow;
    st->st_size = (int64_t)(((uint64_t)info.nFileSizeHigh << 32) | info.nFileSizeLow);
    st->st_mtim = from_filetime(info.ftLastWriteTime);
    return 0;
}

static int stat_w(wchar_t *w, struct compat_stat *st, bool follow)
{
    if (!w)
        return -1;
    HANDLE h = CreateFileW(w, FILE_READ_ATTRIBUTES,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING,
                           FILE_FLAG_BACKUP_SEMANTICS | (follow ? 0 : FILE_FLAG_OPEN_REPARSE_POINT),
                           NULL);
    free(w);
    if (h == INVALID_HANDLE_VALUE)
        return fail_win32();
    int rc = fill_stat(h, st);
    int saved = errno;
    CloseHandle(h);
    errno = saved;
    return rc;
}

int compat_stat(const char *path, struct compat_stat *st)
{
    return stat_w(compat_wpath(path), st, true);
}

int compat_lstat(const char *path, struct compat_stat *st)
{
    return stat_w(compat_wpath(path), st, false);
}

int compat_fstatat(int dirfd, const char *name, struct compat_stat *st, int flags)
{
    return stat_w(compat_wpath_at(dirfd, name), st, !(flags & AT_SYMLINK_NOFOLLOW));
}

int compat_fstat(int fd, struct compat_stat *st)
{
    if (fd >= DIRFD_BASE) {
        struct dirent_slot *d = dir_slot(fd);
        return d ? fill_stat(d->h, st) : -1;
    }
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return -1;
    }
    return fill_stat(h, st);
}

/* ---- directories ---- */

struct compat_dir {
    HANDLE find;
    WIN32_FIND_DATAW data;
    bool have;               /* data holds an entry not yet returned */
    int fd;                  /* closed with the stream (fdopendir), or -1 */
    struct compat_dirent ent;
};

static compat_DIR *dir_stream(const wchar_t *path, int fd)
{
    wchar_t *pattern = wjoin(path, L"*");
    compat_DIR *d = pattern ? calloc(1, sizeof *d) : NULL;
    if (!d) {
        free(pattern);
        errno = ENOMEM;
        return NULL;
    }
    d->find = FindFirstFileW(pattern, &d->data);
    free(pattern);
    if (d->find == INVALID_HANDLE_VALUE) {
        fail_win32();
        free(d);
        return NULL;
    }
    d->have = true;
    d->fd = fd;
    return d;
}

compat_DIR *compat_opendir(const char *path)
{
    wchar_t *w = compat_wpath(path);
    compat_DIR *d = w ? dir_stream(w, -1) : NULL;
    free(w);
    return d;
}

compat_DIR *compat_fdopendir(int fd)
{
    struct dirent_slot *s = dir_slot(fd);
    return s ? dir_stream(s->path, fd) : NULL;
}

struct compat_dirent *compat_readdir(compat_DIR *d)
{
    for (;;) {
        if (!d->have && !FindNextFileW(d->find, &d->data))
            return NULL;
        d->have = false;
        char *name = compat_utf8(d->data.cFileName);
        if (!name || strlen(name) >= sizeof d->ent.d_name) {
            free(name);
            continue;   /* cannot be named here: as if it were not there */
        }
        strcpy(d->ent.d_name, name);
        free(name);
        DWORD a = d->data.dwFileAttributes;
        d->ent.d_type = a & FILE_ATTRIBUTE_REPARSE_POINT ? DT_LNK
                        : a & FILE_ATTRIBUTE_DIRECTORY   ? DT_DIR
                                                         : DT_REG;
        return &d->ent;
    }
}

int compat_closedir(compat_DIR *d)
{
    FindClose(d->find);
    if (d->fd >= 0)
        compat_close(d->fd);
    free(d);
    return 0;
}

/* ---- memory maps ---- */

void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)
{
    (void)addr;
    HANDLE fh = (HANDLE)_get_osfhandle(fd);
    bool priv = flags & MAP_PRIVATE, wr = prot & PROT_WRITE;
    DWORD page = priv && wr ? PAGE_WRITECOPY : wr ? PAGE_READWRITE : PAGE_READONLY;
    DWORD access = priv && wr ? FILE_MAP_COPY : wr ? FILE_MAP_WRITE : FILE_MAP_READ;
    uint64_t end = (uint64_t)off + len;
    HANDLE m = fh == INVALID_HANDLE_VALUE ? NULL
               : CreateFileMappingW(fh, NULL, page, (DWORD)(end >> 32), (DWORD)end, NULL);
    if (!m) {
        fail_win32();
        return MAP_FAILED;
    }
    void *p = MapViewOfFile(m, access, (DWORD)((uint64_t)off >> 32), (DWORD)off, len);
    if (!p)
        fail_win32();
    CloseHandle(m);   /* the view keeps the mapping */
    return p ? p : MAP_FAILED;
}

int munmap(void *addr, size_t len)
{
    (void)len;
    return UnmapViewOfFile(addr) ? 0 : fail_win32();
}

int msync(void *addr, size_t len, int flags)
{
    (void)flags;
    return FlushViewOfFile(addr, len) ? 0 : fail_win32();
}

/* ---- strings and streams ---- */

char *strndup(const char *s, size_t n)
{
    size_t k = strnlen(s, n);
    char *d = malloc(k + 1);
    if (d) {
        memcpy(d, s, k);
        d[k] = '\0';
    }
    return d;
}

/* Memory streams open now, for fclose to finish. */
#define MEMSTREAMS 8
static struct memstream {
    FILE *f;
    char **buf;
    size_t *len;
} memstreams[MEMSTREAMS];

FILE *open_memstream(char **buf, size_t *len)
{
    struct memstream *m = NULL;
    for (int i = 0; i < MEMSTREAMS && !m; i++)
        if (!memstreams[i].f)
            m = &memstreams[i];
    wchar_t dir[MAX_PATH + 1], name[MAX_PATH + 1];
    if (!m || !GetTempPathW(MAX_PATH + 1, dir) || !GetTempFileNameW(dir, L"mpi", 0, name)) {
        errno = m ? compat_errno(GetLastError()) : EMFILE;
        return NULL;
    }
    /* D: removed when closed; T: kept in the cache, rarely written out */
    FILE *f = _wfopen(name, L"w+bTD");
    if (!f)
        return NULL;
    *m = (struct memstream){ f, buf, len };
    return f;
}

/* The whole stream read back into a new buffer: 0 or -1. */
static int memstream_take(struct memstream *m)
{
    if (fflush(m->f) != 0)
        return -1;
    long n = ftell(m->f);
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!b || fseek(m->f, 0, SEEK_SET) != 0 || fread(b, 1, (size_t)n, m->f) != (size_t)n) {
        free(b);
        return -1;
    }
    b[n] = '\0';
    *m->buf = b;
    *m->len = (size_t)n;
    return 0;
}

int compat_fclose(FILE *f)
{
    for (int i = 0; i < MEMSTREAMS; i++) {
        if (memstreams[i].f != f)
            continue;
        int rc = memstream_take(&memstreams[i]);
        memstreams[i].f = NULL;
        return fclose(f) != 0 || rc ? EOF : 0;
    }
    return fclose(f);
}
