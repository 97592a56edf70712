/* espemu's line: fault injection (SPEC parsing, reproducibility, exact
 * trigger points) and the RFC 2217 server side (negotiation, COM-PORT
 * commands, IAC escaping). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "emu_fault.h"
#include "emu_telnet.h"

static void test_parse_spec(void **state)
{
    (void)state;
    struct emu_faults f;
    struct err e;
    assert_int_equal(emu_faults_parse("drop=0.001,corrupt=0.002,dir=rx,limit=20,"
                                      "stall=200@50000,stall=5@7,disconnect=100000,"
                                      "flashfail=0x10000,seed=42", &f, &e), 0);
    assert_true(f.drop == 0.001);
    assert_true(f.corrupt == 0.002);
    assert_true(f.dir[EMU_FAULT_RX]);
    assert_false(f.dir[EMU_FAULT_TX]);
    assert_int_equal(f.limit, 20);
    assert_int_equal(f.nstall, 2);
    assert_int_equal(f.stall[0].ms, 200);
    assert_int_equal(f.stall[0].at, 50000);
    assert_int_equal(f.disconnect_at, 100000);
    assert_true(f.flashfail);
    assert_int_equal(f.flashfail_addr, 0x10000);
    assert_int_equal(f.seed, 42);
    assert_true(emu_faults_active(&f));

    assert_int_equal(emu_faults_parse("", &f, &e), 0);
    assert_false(emu_faults_active(&f));
    assert_int_equal(emu_faults_parse("flashfail=0x1000", &f, &e), 0);
    assert_false(emu_faults_active(&f));

    static const char *bad[] = { "drop=2", "drop=x", "wobble=1", "stall=100", "stall=a@1",
                                 "dir=up", "disconnect=0", "drop", "limit=-1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(emu_faults_parse(bad[i], &f, &e), -1);
        assert_non_null(strstr(e.msg, "--faults"));
    }
}

static size_t run(const char *spec, int dir, const uint8_t *in, size_t n, uint8_t *out,
                  struct emu_faults *f)
{
    struct err e;
    assert_int_equal(emu_faults_parse(spec, f, &e), 0);
    size_t o = 0, done = 0;
    while (done < n) {
        size_t got;
        struct emu_fault_event ev;
        done += emu_faults_apply(f, dir, in + done, n - done, out + o, &got, &ev);
        o += got;
    }
    return o;
}

static void test_drop_corrupt_reproducible(void **state)
{
    (void)state;
    static uint8_t in[100000], a[100000], b[100000];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i * 13);
    struct emu_faults f1, f2;
    size_t na = run("drop=0.01,corrupt=0.01,seed=7", EMU_FAULT_TX, in, sizeof in, a, &f1);
    size_t nb = run("drop=0.01,corrupt=0.01,seed=7", EMU_FAULT_TX, in, sizeof in, b, &f2);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    assert_int_equal(na, sizeof in - f1.dropped);
    /* about 1 % each (binomial, 5 sigma is about 500) */
    assert_in_range(f1.dropped, 500, 1500);
    assert_in_range(f1.corrupted, 500, 1500);
    /* another seed, other faults */
    struct emu_faults f3;
    size_t nc = run("drop=0.01,corrupt=0.01,seed=8", EMU_FAULT_TX, in, sizeof in, b, &f3);
    assert_true(nc != na || memcmp(a, b, na) != 0);
    /* a corrupted byte differs in exactly one bit: walk both streams */
    struct emu_faults f4;
    size_t nd = run("corrupt=0.05,seed=3", EMU_FAULT_RX, in, sizeof in, a, &f4);
    assert_int_equal(nd, sizeof in);
    size_t flipped = 0;
    for (size_t i = 0; i < nd; i++) {
        uint8_t x = a[i] ^ in[i];
        if (x) {
            assert_int_equal(x & (x - 1), 0);
            flipped++;
        }
    }
    assert_int_equal(flipped, f4.corrupted);
}

static void test_direction_and_limit(void **state)
{
    (void)state;
    static uint8_t in[20000], out[20000];
    memset(in, 0x5A, sizeof in);
    struct emu_faults f;
    /* dir=rx leaves the other direction alone */
    assert_int_equal(run("drop=0.5,dir=rx", EMU_FAULT_TX, in, sizeof in, out, &f), sizeof in);
    assert_int_equal(f.dropped, 0);
    /* limit: no more than N faults in all */
    size_t n = run("drop=0.5,corrupt=0.5,limit=5", EMU_FAULT_RX, in, sizeof in, out, &f);
    assert_int_equal(f.dropped + f.corrupted, 5);
    assert_int_equal(n, sizeof in - f.dropped);
}

static void test_stall_and_disconnect_points(void **state)
{
    (void)state;
    uint8_t in[100], out[100];
    memset(in, 1, sizeof in);
    struct emu_faults f;
    struct err e;
    size_t got;
    struct emu_fault_event ev;
    assert_int_equal(emu_faults_parse("stall=250@30,disconnect=70", &f, &e), 0);
    /* 20 bytes in one direction, then the other direction reaches byte 30 */
    assert_int_equal(emu_faults_apply(&f, EMU_FAULT_RX, in, 20, out, &got, &ev), 20);
    assert_int_equal(ev.stall_ms, 0);
    size_t c = emu_faults_apply(&f, EMU_FAULT_TX, in, 50, out, &got, &ev);
    assert_int_equal(c, 10);
    assert_int_equal(got, 10);
    assert_int_equal(ev.stall_ms, 250);
    assert_false(ev.disconnect);
    c = emu_faults_apply(&f, EMU_FAULT_TX, in, 50, out, &got, &ev);
    assert_int_equal(c, 40);                     /* byte 70 */
    assert_true(ev.disconnect);
    assert_int_equal(ev.stall_ms, 0);
    c = emu_faults_apply(&f, EMU_FAULT_TX, in, 50, out, &got, &ev);
    assert_int_equal(c, 50);                     /* once only */
    assert_false(ev.disconnect);
}

/* ---- RFC 2217 ------------------------------------------------------------ */

struct cbrec {
    int lines, bauds, purges;
    bool dtr, rts;
    uint32_t baud;
    int purge;
};

static void cb_lines(void *ctx, bool dtr, bool rts)
{
    struct cbrec *r = ctx;
    r->lines++;
    r->dtr = dtr;
    r->rts = rts;
}

static void cb_baud(void *ctx, uint32_t baud)
{
    struct cbrec *r = ctx;
    r->bauds++;
    r->baud = baud;
}

static void cb_purge(void *ctx, int what)
{
    struct cbrec *r = ctx;
    r->purges++;
    r->purge = what;
}

static void test_telnet_negotiation(void **state)
{
    (void)state;
    struct emu_telnet t;
    emu_telnet_init(&t, 115200);
    emu_telnet_greet(&t);
    const uint8_t greet[] = { 255, 251, 0, 255, 253, 0, 255, 251, 3, 255, 253, 3 };
    assert_int_equal(t.outlen, sizeof greet);
    assert_memory_equal(t.out, greet, sizeof greet);
    t.outlen = 0;
    /* pyserial's opening requests: DO ECHO, WILL SGA, DO SGA, DO COM-PORT,
     * WILL COM-PORT; and the client's answers to our greeting */
    const uint8_t req[] = { 255, 253, 1, 255, 251, 3, 255, 253, 3, 255, 253, 44, 255, 251, 44,
                            255, 253, 0, 255, 251, 0 };
    uint8_t data[64];
    assert_int_equal(emu_telnet_rx(&t, req, sizeof req, data, NULL), 0);
    const uint8_t want[] = { 255, 252, 1, 255, 251, 44, 255, 253, 44 };
    assert_int_equal(t.outlen, sizeof want);
    assert_memory_equal(t.out, want, sizeof want);
}

static void test_telnet_com_port(void **state)
{
    (void)state;
    struct emu_telnet t;
    struct cbrec rec = { 0 };
    struct emu_telnet_cb cb = { cb_lines, cb_baud, cb_purge, &rec };
    emu_telnet_init(&t, 115200);
    uint8_t data[64];
    /* data with an escaped 0xFF around a SET-BAUDRATE 921600 */
    const uint8_t in[] = { 'a', 255, 255, 'b', 255, 250, 44, 1, 0x00, 0x0E, 0x10, 0x00, 255, 240,
                           'c' };
    size_t n = emu_telnet_rx(&t, in, sizeof in, data, &cb);
    assert_int_equal(n, 4);
    assert_memory_equal(data, "a\xff" "bc", 4);
    assert_int_equal(rec.bauds, 1);
    assert_int_equal(rec.baud, 921600);
    const uint8_t baud_ack[] = { 255, 250, 44, 101, 0x00, 0x0E, 0x10, 0x00, 255, 240 };
    assert_int_equal(t.outlen, sizeof baud_ack);
    assert_memory_equal(t.out, baud_ack, sizeof baud_ack);
    t.outlen = 0;
    /* a baud whose bytes contain 0xFF: escaped inside SB both ways */
    const uint8_t odd[] = { 255, 250, 44, 1, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 255, 240 };
    emu_telnet_rx(&t, odd, sizeof odd, data, &cb);
    assert_int_equal(rec.baud, 0xFFFF);
    const uint8_t odd_ack[] = { 255, 250, 44, 101, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 255, 240 };
    assert_int_equal(t.outlen, sizeof odd_ack);
    assert_memory_equal(t.out, odd_ack, sizeof odd_ack);
    t.outlen = 0;
    /* SET-CONTROL: DTR on, RTS on, RTS off; a query; flow control none */
    const uint8_t ctl[] = { 255, 250, 44, 5, 8, 255, 240, 255, 250, 44, 5, 11, 255, 240,
                            255, 250, 44, 5, 12, 255, 240, 255, 250, 44, 5, 7, 255, 240,
                            255, 250, 44, 5, 0, 255, 240 };
    emu_telnet_rx(&t, ctl, sizeof ctl, data, &cb);
    assert_int_equal(rec.lines, 3);
    assert_true(rec.dtr);
    assert_false(rec.rts);
    const uint8_t ctl_ack[] = { 255, 250, 44, 105, 8, 255, 240, 255, 250, 44, 105, 11, 255, 240,
                                255, 250, 44, 105, 12, 255, 240, 255, 250, 44, 105, 8, 255, 240,
                                255, 250, 44, 105, 1, 255, 240 };
    assert_int_equal(t.outlen, sizeof ctl_ack);
    assert_memory_equal(t.out, ctl_ack, sizeof ctl_ack);
    t.outlen = 0;
    /* purge, datasize query, split across calls */
    const uint8_t p1[] = { 255, 250, 44, 12 }, p2[] = { 3, 255, 240, 255, 250, 44, 2, 0, 255, 240 };
    emu_telnet_rx(&t, p1, sizeof p1, data, &cb);
    assert_int_equal(rec.purges, 0);
    emu_telnet_rx(&t, p2, sizeof p2, data, &cb);
    assert_int_equal(rec.purges, 1);
    assert_int_equal(rec.purge, 3);
    const uint8_t p_ack[] = { 255, 250, 44, 112, 3, 255, 240, 255, 250, 44, 102, 8, 255, 240 };
    assert_int_equal(t.outlen, sizeof p_ack);
    assert_memory_equal(t.out, p_ack, sizeof p_ack);

    uint8_t esc[8];
    const uint8_t raw[] = { 1, 255, 2 };
    assert_int_equal(emu_telnet_escape(raw, 3, esc), 4);
    assert_memory_equal(esc, "\x01\xff\xff\x02", 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_spec),
        cmocka_unit_test(test_drop_corrupt_reproducible),
        cmocka_unit_test(test_direction_and_limit),
        cmocka_unit_test(test_stall_and_disconnect_points),
        cmocka_unit_test(test_telnet_negotiation),
        cmocka_unit_test(test_telnet_com_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
