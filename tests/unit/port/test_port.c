#define _GNU_SOURCE   /* posix_openpt, ptsname, memmem */
/* Ports: a pty as a serial port without modem lines, raw TCP, and RFC 2217
 * negotiation / COM-PORT-OPTION / IAC escaping against a scripted server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "port.h"
#include "port_serial.h"

static int read_some(int fd, uint8_t *buf, size_t cap, int ms)
{
    size_t n = 0;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    while (n < cap && poll(&p, 1, ms) > 0) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        ms = 50;
    }
    return (int)n;
}

static int port_read_all(struct port *p, uint8_t *buf, size_t want, int ms)
{
    size_t n = 0;
    struct err e;
    while (n < want) {
        int r = p->ops->read(p, buf + n, want - n, ms, &e);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    return (int)n;
}

static void test_pty(void **state)
{
    (void)state;
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(m >= 0);
    assert_int_equal(grantpt(m), 0);
    assert_int_equal(unlockpt(m), 0);
    struct err e;
    struct port *p = port_open(ptsname(m), 115200, &e);
    assert_non_null(p);
    assert_false(p->has_lines);                       /* a pty has no modem lines */
    assert_int_equal(p->ops->set_lines(p, true, false, &e), 0);
    assert_int_equal(p->ops->set_baud(p, 1500000, &e), 0);   /* BOTHER, non-standard */
    assert_int_equal(p->baud, 1500000);
    const uint8_t msg[] = { 0xC0, 0x00, 0xFF, 0x11, 0xC0 };
    assert_int_equal(p->ops->write(p, msg, sizeof msg, &e), 0);
    uint8_t got[16];
    assert_int_equal(read_some(m, got, sizeof got, 1000), (int)sizeof msg);
    assert_memory_equal(got, msg, sizeof msg);          /* raw mode: no translation */
    assert_int_equal(write(m, "\r\nab\xff", 5), 5);
    assert_int_equal(port_read_all(p, got, 5, 1000), 5);
    assert_memory_equal(got, "\r\nab\xff", 5);
    /* Timeout with nothing to read. */
    assert_int_equal(p->ops->read(p, got, 1, 20, &e), 0);
    port_close(p);
    close(m);

    assert_null(port_open("/dev/does-not-exist", 115200, &e));
    assert_non_null(strstr(e.msg, "no such serial port"));
    assert_null(port_open("ftp://x:1", 115200, &e));
}

static int listen_local(int *portno)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s, 1), 0);
    socklen_t l = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &l);
    *portno = ntohs(a.sin_port);
    return s;
}

static void test_tcp(void **state)
{
    (void)state;
    int portno;
    int ls = listen_local(&portno);
    char name[64];
    snprintf(name, sizeof name, "socket://127.0.0.1:%d", portno);
    struct err e;
    struct port *p = port_open(name, 115200, &e);
    assert_non_null(p);
    assert_false(p->has_lines);
    int c = accept(ls, NULL, NULL);
    assert_true(c >= 0);
    assert_int_equal(p->ops->write(p, "\xff\x01", 2, &e), 0);   /* no escaping */
    uint8_t got[8];
    assert_int_equal(read_some(c, got, sizeof got, 1000), 2);
    assert_memory_equal(got, "\xff\x01", 2);
    assert_int_equal(write(c, "xyz", 3), 3);
    assert_int_equal(port_read_all(p, got, 3, 1000), 3);
    assert_memory_equal(got, "xyz", 3);
    close(c);
    /* The peer went away: an error, not a hang. */
    assert_int_equal(p->ops->read(p, got, 1, 1000, &e), -1);
    assert_non_null(strstr(e.msg, "closed"));
    port_close(p);
    close(ls);
    assert_null(port_open("socket://127.0.0.1", 115200, &e));
}

/* ---- RFC 2217 ---- */

struct server {
    int ls;
    uint8_t got[4096];
    int got_len;
};

static void *rfc_server(void *arg)
{
    struct server *s = arg;
    int c = accept(s->ls, NULL, NULL);
    /* Server side of the negotiation: agree to COM-PORT-OPTION, offer
     * BINARY, and ask for an option we do not support (ECHO, 1). */
    const uint8_t hello[] = { 255, 253, 44, 255, 251, 0, 255, 253, 1 };
    write(c, hello, sizeof hello);
    /* Collect what the client sends until it sends the 0x02 data marker. */
    for (;;) {
        int n = read_some(c, s->got + s->got_len, sizeof s->got - (size_t)s->got_len, 2000);
        if (n <= 0)
            break;
        s->got_len += n;
        if (memmem(s->got, (size_t)s->got_len, "\x01\xff\xff\x02", 4))
            break;
    }
    /* Data with an escaped 0xFF, an ack subnegotiation in the middle. */
    const uint8_t reply[] = { 'A', 255, 255, 255, 250, 44, 101, 0, 0x0E, 0x10, 0, 255, 240, 'B' };
    write(c, reply, sizeof reply);
    read_some(c, s->got + s->got_len, sizeof s->got - (size_t)s->got_len, 300);
    close(c);
    return NULL;
}

static bool contains(const struct server *s, const uint8_t *pat, size_t n)
{
    return memmem(s->got, (size_t)s->got_len, pat, n) != NULL;
}

static void test_rfc2217(void **state)
{
    (void)state;
    struct server s = { 0 };
    int portno;
    s.ls = listen_local(&portno);
    pthread_t th;
    pthread_create(&th, NULL, rfc_server, &s);
    char name[64];
    snprintf(name, sizeof name, "rfc2217://127.0.0.1:%d", portno);
    struct err e;
    struct port *p = port_open(name, 115200, &e);
    if (!p)
        fail_msg("%s", e.msg);
    assert_true(p->has_lines);
    assert_int_equal(p->ops->set_baud(p, 921600, &e), 0);
    assert_int_equal(p->ops->set_lines(p, true, false, &e), 0);
    assert_int_equal(p->ops->write(p, "\x01\xff\x02", 3, &e), 0);
    uint8_t got[8];
    assert_int_equal(port_read_all(p, got, 3, 2000), 3);
    assert_memory_equal(got, "A\xff" "B", 3);
    port_close(p);
    pthread_join(th, NULL);
    close(s.ls);

    const uint8_t will_cpo[] = { 255, 251, 44 };
    const uint8_t wont_echo[] = { 255, 252, 1 };
    const uint8_t do_binary[] = { 255, 253, 0 };
    const uint8_t baud115200[] = { 255, 250, 44, 1, 0x00, 0x01, 0xC2, 0x00, 255, 240 };
    const uint8_t baud921600[] = { 255, 250, 44, 1, 0x00, 0x0E, 0x10, 0x00, 255, 240 };
    const uint8_t dtr_on[] = { 255, 250, 44, 5, 8, 255, 240 };
    const uint8_t rts_off[] = { 255, 250, 44, 5, 12, 255, 240 };
    const uint8_t data[] = { 0x01, 0xFF, 0xFF, 0x02 };
    assert_true(contains(&s, will_cpo, 3));
    assert_true(contains(&s, wont_echo, 3));
    assert_true(contains(&s, do_binary, 3));
    assert_true(contains(&s, baud115200, sizeof baud115200));
    assert_true(contains(&s, baud921600, sizeof baud921600));
    assert_true(contains(&s, dtr_on, sizeof dtr_on));
    assert_true(contains(&s, rts_off, sizeof rts_off));
    assert_true(contains(&s, data, sizeof data));
}

static void test_names(void **state)
{
    (void)state;
    char out[64];
    port_expand_name("u0", out, sizeof out);
    assert_string_equal(out, "/dev/ttyUSB0");
    port_expand_name("a12", out, sizeof out);
    assert_string_equal(out, "/dev/ttyACM12");
    port_expand_name("c3", out, sizeof out);
    assert_string_equal(out, "COM3");
    port_expand_name("u", out, sizeof out);
    assert_string_equal(out, "u");
    port_expand_name("/dev/ttyS1", out, sizeof out);
    assert_string_equal(out, "/dev/ttyS1");
    port_expand_name("usb", out, sizeof out);
    assert_string_equal(out, "usb");
    assert_true(port_is_usb_jtag(0x303A, 0x1001));
    assert_false(port_is_usb_jtag(0x10C4, 0xEA60));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_pty),
        cmocka_unit_test(test_tcp),
        cmocka_unit_test(test_rfc2217),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
