/* libFuzzer target for both ends of RFC 2217 (Telnet COM-PORT-OPTION):
 * the same bytes are the stream a server sends our client
 * (lib/port/port_rfc2217.c) and the stream a client sends espemu's server
 * (lib/emu/emu_telnet.c), both Telnet with option negotiation and
 * subnegotiations.
 *
 * The client reads them from a socketpair after a greeting that agrees to
 * COM-PORT-OPTION (without it the client waits 2 s and gives up): it
 * negotiates, sets the line, then decodes until the stream ends.  The
 * server decodes them with every callback set.  Escaped data must decode to
 * itself: the server's escaping through its own decoder, and everything the
 * client wrote (negotiation, line settings, the bytes as data) through the
 * server's decoder.
 * Seeds: the two sides talking (fuzz/corpus/fuzz_rfc2217, make_corpus). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emu_telnet.h"
#include "port.h"
#include "port_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_lines(void *ctx, bool dtr, bool rts) { (void)ctx, (void)dtr, (void)rts; }
static void on_baud(void *ctx, uint32_t baud) { (void)ctx, (void)baud; }
static void on_purge(void *ctx, int what) { (void)ctx, (void)what; }

static void mismatch(const char *what)
{
    fprintf(stderr, "fuzz_rfc2217: %s\n", what);
    abort();
}

static void server(const uint8_t *data, size_t size)
{
    static struct emu_telnet t;
    static uint8_t out[1 << 16], esc[2 << 16];
    const struct emu_telnet_cb cb = { on_lines, on_baud, on_purge, NULL };
    if (size > sizeof out)
        return;
    emu_telnet_init(&t, 115200);
    emu_telnet_greet(&t);
    if (emu_telnet_rx(&t, data, size, out, &cb) > size)
        mismatch("server: more data out than bytes in");
    /* data escaped for the client decodes to itself */
    size_t n = emu_telnet_escape(data, size, esc);
    emu_telnet_init(&t, 115200);
    if (emu_telnet_rx(&t, esc, n, out, &cb) != size || memcmp(out, data, size) != 0)
        mismatch("server: escaped data does not decode to itself");
}

/* The client's decoded data, read until the stream ends (the timeout never
 * runs out: the end of the stream comes first). */
static size_t client_read(struct port *p, uint8_t *out, size_t cap)
{
    struct err e;
    size_t got = 0;
    for (;;) {
        uint8_t buf[512];
        int n = p->ops->read(p, buf, sizeof buf, 1000, &e);
        if (n <= 0)
            return got;
        if ((size_t)n > sizeof buf)
            mismatch("client: read more than asked");
        size_t k = got + (size_t)n <= cap ? (size_t)n : cap - got;
        memcpy(out + got, buf, k);
        got += k;
    }
}

/* What the client sent: its negotiation, line settings and `data` escaped.
 * The server must find exactly `data` in it. */
static void check_sent(int fd, const uint8_t *data, size_t size)
{
    static uint8_t sent[1 << 18], out[1 << 18];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof sent && (r = read(fd, sent + n, sizeof sent - n)) > 0)
        n += (size_t)r;
    struct emu_telnet t;
    emu_telnet_init(&t, 115200);
    if (emu_telnet_rx(&t, sent, n, out, NULL) != size || memcmp(out, data, size) != 0)
        mismatch("client: the server does not decode what the client wrote to the data");
}

static void client(const uint8_t *data, size_t size)
{
    static const uint8_t agree[] = { 255, 251, 44 };   /* IAC WILL COM-PORT-OPTION */
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return;
    /* Everything is queued before the client reads: a stream's bytes do
     * not depend on timing. */
    if (write(sv[1], agree, sizeof agree) != (ssize_t)sizeof agree ||
        write(sv[1], data, size) != (ssize_t)size) {
        close(sv[0]);
        close(sv[1]);
        return;
    }
    shutdown(sv[1], SHUT_WR);
    struct err e;
    struct port *p = port_rfc2217_on_fd(sv[0], "rfc2217://fuzz", 115200, &e);
    if (p) {
        static uint8_t got[1 << 16];
        (void)client_read(p, got, sizeof got);
        bool ok = p->ops->set_lines(p, true, false, &e) == 0 &&
                  p->ops->set_baud(p, 460800, &e) == 0 && p->ops->write(p, data, size, &e) == 0;
        port_close(p);
        if (ok)
            check_sent(sv[1], data, size);
    }
    close(sv[1]);
}

/* The client answers each negotiation with a write of its own, which the
 * socketpair holds until the end (nothing reads it before): a few hundred
 * small writes fill its buffer, and the client would block. */
#define CLIENT_MAX 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    server(data, size);
    if (size <= CLIENT_MAX)
        client(data, size);
    return 0;
}
