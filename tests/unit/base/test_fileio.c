/* Whole-file I/O (lib/base/fileio.h): bounded reads of files, FIFOs and
 * devices; writes that replace regular files atomically, follow links to
 * their end, write into FIFOs and devices without replacing them and refuse
 * directories; stale temporaries removed by the next write; the temporary
 * removed when a signal ends the run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"

static char dir[256];

/* dir/name in a static buffer (one at a time). */
static const char *at(const char *name)
{
    static char p[2][512];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void put(const char *name, const char *text)
{
    struct err e;
    assert_int_equal(file_write_atomic(at(name), text, strlen(text), &e), 0);
}

static char *get(const char *name)
{
    uint8_t *b;
    size_t n;
    struct err e;
    if (file_read_all(at(name), 1 << 20, &b, &n, &e))
        fail_msg("%s", e.msg);
    char *s = malloc(n + 1);
    memcpy(s, b, n);
    s[n] = '\0';
    free(b);
    return s;
}

static void assert_text(const char *name, const char *want)
{
    char *got = get(name);
    assert_string_equal(got, want);
    free(got);
}

static void assert_contains(const char *msg, const char *part)
{
    if (!strstr(msg, part))
        fail_msg("'%s' lacks '%s'", msg, part);
}

/* Entries of dir holding ".tmp-". */
static int temporaries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *de; (de = readdir(d));)
        n += strstr(de->d_name, ".tmp-") != NULL;
    closedir(d);
    return n;
}

/* A child writes `len` bytes of 'x' into FIFO `name` and exits. */
static pid_t fifo_writer(const char *name, size_t len)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(at(name), O_WRONLY);
        char buf[4096];
        memset(buf, 'x', sizeof buf);
        for (size_t done = 0; fd >= 0 && done < len;) {
            size_t k = len - done < sizeof buf ? len - done : sizeof buf;
            ssize_t w = write(fd, buf, k);
            if (w <= 0)
                break;
            done += (size_t)w;
        }
        _exit(0);
    }
    return pid;
}

/* ---- reading ------------------------------------------------------------------ */

/* file_read_all(path, max): the length read, or -1 with the message in *e. */
static long read_len(const char *path, size_t max, struct err *e)
{
    uint8_t *b;
    size_t n;
    if (file_read_all(path, max, &b, &n, e))
        return -1;
    free(b);
    return (long)n;
}

static void test_read_regular_bounded(void **state)
{
    (void)state;
    struct err e;
    put("hundred", "0123456789012345678901234567890123456789012345678901234567890123456789"
                   "012345678901234567890123456789");
    assert_int_equal(read_len(at("hundred"), 100, &e), 100);
    assert_int_equal(read_len(at("hundred"), 99, &e), -1);
    assert_contains(e.msg, "hundred: too large (100 bytes, more than 99 bytes");
}

static void test_read_fifo_bounded(void **state)
{
    (void)state;
    struct err e;
    assert_int_equal(mkfifo(at("in.fifo"), 0600), 0);
    pid_t w = fifo_writer("in.fifo", 5000);
    assert_int_equal(read_len(at("in.fifo"), 8192, &e), 5000);
    waitpid(w, NULL, 0);
    w = fifo_writer("in.fifo", 200000);
    assert_int_equal(read_len(at("in.fifo"), 4096, &e), -1);
    assert_contains(e.msg, "in.fifo: too large (more than 4096 bytes");
    kill(w, SIGKILL);
    waitpid(w, NULL, 0);
}

static void test_read_dev_zero_bounded(void **state)
{
    (void)state;
    struct err e;
    assert_int_equal(read_len("/dev/zero", 1 << 20, &e), -1);
    assert_string_equal(e.msg, "/dev/zero: too large (more than 1 MB, the most this input can be)");
}

static void test_read_directory(void **state)
{
    (void)state;
    struct err e;
    assert_int_equal(read_len(dir, 100, &e), -1);
    assert_contains(e.msg, ": is a directory");
}

/* ---- writing ------------------------------------------------------------------ */

static void test_write_replaces_regular_keeping_mode(void **state)
{
    (void)state;
    put("file", "old");
    assert_int_equal(chmod(at("file"), 0600), 0);
    put("file", "new");
    assert_text("file", "new");
    struct stat st;
    assert_int_equal(stat(at("file"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(temporaries(), 0);
}

static void test_write_through_links(void **state)
{
    (void)state;
    assert_int_equal(mkdir(at("sub"), 0755), 0);
    assert_int_equal(symlink("target", at("link")), 0);           /* dangling */
    assert_int_equal(symlink("sub/hop", at("chain")), 0);
    assert_int_equal(symlink("../end", at("sub/hop")), 0);
    put("link", "via link");
    put("chain", "via chain");
    struct stat st;
    assert_int_equal(lstat(at("link"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(lstat(at("sub/hop"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_text("target", "via link");
    assert_text("end", "via chain");
    assert_int_equal(temporaries(), 0);
}

static void test_write_nofollow_refuses_link(void **state)
{
    (void)state;
    assert_int_equal(symlink("elsewhere", at("planted")), 0);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    struct file_write_opts o = { .shown = "DEST/planted", .nofollow = true };
    struct err e;
    assert_int_equal(file_write_atomic_at(dfd, "planted", "x", 1, &o, &e), -1);
    close(dfd);
    assert_string_equal(e.msg, "DEST/planted: is a symbolic link, not followed");
    assert_int_equal(access(at("elsewhere"), F_OK), -1);
}

static void test_write_fifo_directly(void **state)
{
    (void)state;
    assert_int_equal(mkfifo(at("out.fifo"), 0600), 0);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t r = fork();
    if (r == 0) {   /* the reader: what came through the FIFO, to the pipe */
        close(fds[0]);
        int fd = open(at("out.fifo"), O_RDONLY);
        char buf[64];
        ssize_t k = read(fd, buf, sizeof buf);
        if (k > 0 && write(fds[1], buf, (size_t)k) != k)
            _exit(1);
        _exit(0);
    }
    close(fds[1]);
    put("out.fifo", "through the fifo");
    char got[64] = "";
    assert_true(read(fds[0], got, sizeof got - 1) > 0);
    close(fds[0]);
    waitpid(r, NULL, 0);
    assert_string_equal(got, "through the fifo");
    struct stat st;
    assert_int_equal(lstat(at("out.fifo"), &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
}

static void test_write_device_directly(void **state)
{
    (void)state;
    assert_int_equal(symlink("/dev/null", at("null")), 0);
    assert_int_equal(symlink("/dev/full", at("full")), 0);
    put("null", "gone");
    struct err e;
    assert_int_equal(file_write_atomic(at("full"), "abc", 3, &e), -1);
    assert_contains(e.msg, "full: short write, 0 of 3 bytes written: No space left on device");
    struct stat st;
    assert_int_equal(lstat(at("full"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(stat("/dev/full", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(temporaries(), 0);
}

static void test_write_directory_refused(void **state)
{
    (void)state;
    assert_int_equal(mkdir(at("d"), 0755), 0);
    struct err e;
    assert_int_equal(file_write_atomic(at("d"), "x", 1, &e), -1);
    assert_contains(e.msg, "/d: is a directory");
    assert_int_equal(temporaries(), 0);
}

static void test_write_sets_mtime(void **state)
{
    (void)state;
    struct file_write_opts o = { .has_mtime = true, .mtime = { 1600000000, 5 } };
    struct err e;
    assert_int_equal(file_write_atomic_at(AT_FDCWD, at("timed"), "t", 1, &o, &e), 0);
    struct stat st;
    assert_int_equal(stat(at("timed"), &st), 0);
    assert_int_equal(st.st_mtim.tv_sec, 1600000000);
}

/* ---- temporaries -------------------------------------------------------------- */

static void touch_at(const char *name, time_t when)
{
    int fd = open(at(name), O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    struct timespec ts[2] = { { when, 0 }, { when, 0 } };
    assert_int_equal(futimens(fd, ts), 0);
    close(fd);
}

static void test_stale_temporaries_removed(void **state)
{
    (void)state;
    time_t now = time(NULL);
    touch_at("out.bin.tmp-Ab12Cd", now - 3600);   /* stale: goes */
    touch_at("out.bin.tmp-Zz99Yy", now + 3600);   /* newer than the run: stays */
    touch_at("out.bin.tmp-Ab12C", now - 3600);    /* not the pattern */
    touch_at("out.bin.tmp-Ab12C!", now - 3600);
    touch_at("out.binx.tmp-Ab12Cd", now - 3600);  /* another output */
    put("out.bin", "fresh");
    assert_int_equal(access(at("out.bin.tmp-Ab12Cd"), F_OK), -1);
    assert_int_equal(access(at("out.bin.tmp-Zz99Yy"), F_OK), 0);
    assert_int_equal(access(at("out.bin.tmp-Ab12C"), F_OK), 0);
    assert_int_equal(access(at("out.bin.tmp-Ab12C!"), F_OK), 0);
    assert_int_equal(access(at("out.binx.tmp-Ab12Cd"), F_OK), 0);
    assert_text("out.bin", "fresh");
}

/* A child writes 16 MB to dir/big.bin over and over; once its temporary
 * shows, `sig` ends it.  It must die of the signal, and take its
 * temporary with it. */
static void killed_while_writing(int sig)
{
    pid_t pid = fork();
    if (pid == 0) {
        file_io_init();
        size_t len = 16u << 20;
        char *buf = malloc(len);
        memset(buf, 0x5a, len);
        struct err e;
        for (;;)
            if (file_write_atomic(at("big.bin"), buf, len, &e))
                _exit(2);
    }
    for (int i = 0; i < 20000 && temporaries() == 0; i++)
        usleep(500);
    kill(pid, sig);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), sig);
    assert_int_equal(temporaries(), 0);
}

static void test_signal_removes_temporary(void **state)
{
    (void)state;
    killed_while_writing(SIGTERM);
    killed_while_writing(SIGINT);
    killed_while_writing(SIGHUP);
}

/* ---- fixture ------------------------------------------------------------------ */

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_fileio-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    file_io_init();   /* as the programs do: the start of the run */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_regular_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_fifo_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_dev_zero_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_replaces_regular_keeping_mode, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_write_through_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_nofollow_refuses_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_fifo_directly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_device_directly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_directory_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_sets_mtime, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_temporaries_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signal_removes_temporary, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
