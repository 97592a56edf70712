/* socket:// connects give up in time.  Found against Espressif's QEMU: when
 * the emulated chip stops reading its UART, QEMU stops reading the client
 * socket, never sees it close and never accepts the next client; the next
 * connect() then hung for the kernel's ~130 s of SYN retries.  Reproduced
 * here with a listener whose accept queue is full (Linux then drops SYNs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "port.h"
#include "port_impl.h"

/* A loopback listener with backlog 0 that never accepts; returns its fd
 * and port. */
static int listener(int *portno)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s, 0), 0);
    socklen_t l = sizeof a;
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &l), 0);
    *portno = ntohs(a.sin_port);
    return s;
}

static void test_full_accept_queue_times_out(void **state)
{
    (void)state;
    int portno, s = listener(&portno);
    char hp[64];
    snprintf(hp, sizeof hp, "127.0.0.1:%d", portno);
    struct err e;
    /* The first client fills the queue (nobody accepts it). */
    int first = port_tcp_connect_ms(hp, 2000, &e);
    if (first < 0)
        fail_msg("first connect: %s", e.msg);
    uint64_t t0 = port_now_ms();
    int second = port_tcp_connect_ms(hp, 300, &e);
    uint64_t took = port_now_ms() - t0;
    assert_int_equal(second, -1);
    assert_true(took >= 250 && took < 3000);
    assert_non_null(strstr(e.msg, hp));
    assert_non_null(strstr(e.msg, "no answer within 0.3 s"));
    close(first);
    close(s);
}

static void test_refused_fails_at_once(void **state)
{
    (void)state;
    int portno, s = listener(&portno);
    close(s);                    /* nothing listens there now */
    char name[80];
    snprintf(name, sizeof name, "socket://127.0.0.1:%d", portno);
    struct err e;
    uint64_t t0 = port_now_ms();
    assert_null(port_open(name, 115200, &e));
    assert_true(port_now_ms() - t0 < 2000);
    assert_non_null(strstr(e.msg, "cannot connect"));
    assert_null(strstr(e.msg, "no answer within"));
}

static void test_accepting_server_connects(void **state)
{
    (void)state;
    int portno, s = listener(&portno);
    char name[80];
    snprintf(name, sizeof name, "socket://127.0.0.1:%d", portno);
    struct err e;
    struct port *p = port_open(name, 115200, &e);
    if (!p)
        fail_msg("port_open: %s", e.msg);
    int c = accept(s, NULL, NULL);
    assert_true(c >= 0);
    assert_int_equal(p->ops->write(p, "ping", 4, &e), 0);
    char buf[8];
    assert_int_equal(read(c, buf, sizeof buf), 4);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(write(c, "pong", 4), 4);
    char got[8];
    assert_int_equal(p->ops->read(p, got, sizeof got, 2000, &e), 4);
    assert_memory_equal(got, "pong", 4);
    port_close(p);
    close(c);
    close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_accept_queue_times_out),
        cmocka_unit_test(test_refused_fails_at_once),
        cmocka_unit_test(test_accepting_server_connects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
