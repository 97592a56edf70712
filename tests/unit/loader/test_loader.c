/* The loader against a scripted fake port replaying the real ROM frames in
 * ../shared/fixtures/rom-transcripts (ESP32 and ESP32-C3 mask ROMs): sync
 * with 8 replies, chip detection (GET_SECURITY_INFO unsupported on ESP32 ->
 * magic register), MAC, ROM MD5 as hex text, READ_FLASH_SLOW, an unknown
 * command answered with a stale opcode, extra C0 bytes after
 * CHANGE_BAUDRATE.  Plus reset-sequence parsing and small helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "loader.h"
#include "fake_port.h"
#include "testutil.h"

/* ---- fake port: answers frames from the transcript, in any order ---- */

#define MAX_STEPS 64

struct step {
    uint8_t req[256];
    size_t req_len;
    uint8_t resp[1024];
    size_t resp_len;
    bool used;
};

struct fake {
    struct fake_port fp;         /* first: the port the loader uses */
    struct step steps[MAX_STEPS];
    int n;
    uint8_t tx[4096];
    size_t tx_len;
    int unexpected;
    uint8_t last_unexpected_op;
};

/* A frame the script does not know: READ_REG/WRITE_REG/SPI_ATTACH get a
 * plain ROM "OK" (value 0), anything else is counted as unexpected. */
static void generic_reply(struct fake *f, const uint8_t *frame, size_t n)
{
    if (n < 4) {
        f->unexpected++;
        return;
    }
    uint8_t op = frame[2];
    if (op == LOADER_READ_REG || op == LOADER_WRITE_REG || op == LOADER_SPI_ATTACH ||
        op == LOADER_SPI_SET_PARAMS) {
        uint8_t r[] = { 0xC0, 0x01, op, 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0xC0 };
        fake_port_queue(&f->fp, r, sizeof r);
        return;
    }
    f->unexpected++;
    f->last_unexpected_op = op;
}

static void on_frame(struct fake *f, const uint8_t *frame, size_t n)
{
    for (int i = 0; i < f->n; i++) {
        struct step *s = &f->steps[i];
        if (!s->used && s->req_len == n && memcmp(s->req, frame, n) == 0) {
            /* SYNC may be sent again: keep its step reusable. */
            s->used = !(n > 2 && frame[2] == LOADER_SYNC);
            fake_port_queue(&f->fp, s->resp, s->resp_len);
            return;
        }
    }
    generic_reply(f, frame, n);
}

static int f_write(struct port *p, const void *buf, size_t len, struct err *e)
{
    (void)e;
    struct fake *f = (struct fake *)p;
    const uint8_t *b = buf;
    for (size_t i = 0; i < len; i++) {
        assert_true(f->tx_len < sizeof f->tx);
        f->tx[f->tx_len++] = b[i];
        if (b[i] == 0xC0 && f->tx_len > 1) {
            on_frame(f, f->tx, f->tx_len);
            f->tx_len = 0;
        }
    }
    return 0;
}

/* Load "> req" / "< resp" pairs from a transcript file. */
static struct fake *load_transcript(const char *rel)
{
    require_shared(rel);
    size_t len;
    char *text = (char *)read_whole(shared_path(rel), &len);
    text = realloc(text, len + 1);
    text[len] = '\0';
    struct fake *f = calloc(1, sizeof *f);
    char name[256];
    snprintf(name, sizeof name, "fake:%s", rel);
    fake_port_init(&f->fp, name, f_write);
    char *save = NULL;
    struct step *cur = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '>' && f->n < MAX_STEPS) {
            cur = &f->steps[f->n++];
            cur->req_len = test_unhex(line + 2, cur->req, sizeof cur->req);
        } else if (line[0] == '<' && cur) {
            cur->resp_len = test_unhex(line + 2, cur->resp, sizeof cur->resp);
            cur = NULL;
        }
    }
    free(text);
    return f;
}

/* One more scripted exchange, in the transcript's hex notation. */
static void add_step(struct fake *f, const char *req_hex, const char *resp_hex)
{
    assert_true(f->n < MAX_STEPS);
    struct step *s = &f->steps[f->n++];
    s->req_len = test_unhex(req_hex, s->req, sizeof s->req);
    s->resp_len = test_unhex(resp_hex, s->resp, sizeof s->resp);
    s->used = false;
}

static struct loader *open_rom(struct fake *f)
{
    struct loader_opts o;
    loader_opts_init(&o);
    o.before = LOADER_BEFORE_NO_RESET;
    o.no_stub = true;
    o.after = LOADER_AFTER_NO_RESET;
    struct loader *l = NULL;
    struct err e;
    err_clear(&e);
    int rc = loader_open_port(&l, &f->fp.base, &o, &e);
    if (rc != 0)
        fail_msg("loader_open_port: %s", e.msg);
    return l;
}

static void test_esp32_rom(void **state)
{
    (void)state;
    struct fake *f = load_transcript("fixtures/rom-transcripts/rom_esp32_raw.txt");
    struct loader *l = open_rom(f);
    struct err e;
    assert_string_equal(l->chip->name, "esp32");
    assert_false(l->stub);
    /* GET_SECURITY_INFO got the error frame with the stale opcode 0x0A,
     * then READ_REG of the magic register decided. */
    assert_false(l->have_security_info);

    uint8_t mac[6];
    assert_int_equal(loader_read_mac(l, mac, &e), 0);
    const uint8_t want_mac[6] = { 0x24, 0x0A, 0xC4, 0x12, 0x34, 0x56 };
    assert_memory_equal(mac, want_mac, 6);

    uint8_t md5[16];
    assert_int_equal(loader_md5(l, 0, 0x1000, md5, &e), 0);
    const uint8_t want_md5[16] = { 0x6a, 0xe5, 0x9e, 0x64, 0x85, 0x03, 0x77, 0xee,
                                   0x54, 0x70, 0xc8, 0x54, 0x76, 0x15, 0x51, 0xea };
    assert_memory_equal(md5, want_md5, 16);

    /* A ROM read is checked against the ROM's MD5 of the range (the
     * replies carry no checksum): MD5 of 16 bytes of 0xFF, as the ROM's
     * 32 hex characters. */
    add_step(f, "c0001310000000000000000000100000000000000000000000c0",
             "c00113240000000000" "3864373963626339613465636464653131326663393162613632356231336332"
             "00000000c0");
    uint8_t buf[16];
    assert_int_equal(loader_read(l, 0, buf, 16, &e), 0);
    for (int i = 0; i < 16; i++)
        assert_int_equal(buf[i], 0xFF);

    /* An MD5 reply framed right but damaged on the way (not hex): asked
     * again, not taken as a failure. */
    add_step(f, "c0001310000000000000000000100000000000000000000000c0",
             "c00113240000000000" "7a7a373963626339613465636464653131326663393162613632356231336332"
             "00000000c0");
    add_step(f, "c0001310000000000000000000100000000000000000000000c0",
             "c00113240000000000" "3864373963626339613465636464653131326663393162613632356231336332"
             "00000000c0");
    assert_int_equal(loader_md5(l, 0, 16, md5, &e), 0);
    assert_int_equal(md5[0], 0x8d);
    assert_int_equal(md5[15], 0xc2);

    /* Unknown command: one error frame carrying the previous opcode (0x0E). */
    assert_int_equal(loader_command(l, 0x55, NULL, 0, 0, 500, 0, NULL, NULL, "CMD 0x55", &e), -1);
    assert_true(l->last_unsupported);
    assert_non_null(strstr(e.msg, "CMD 0x55"));
    assert_non_null(strstr(e.msg, "unknown command"));

    /* CHANGE_BAUDRATE: the reply is followed by stray C0 bytes. */
    uint8_t cb[8] = { 0x00, 0xC2, 0x01, 0x00, 0, 0, 0, 0 };
    assert_int_equal(loader_command(l, LOADER_CHANGE_BAUDRATE, cb, 8, 0, 500, 0, NULL, NULL,
                                    "CHANGE_BAUDRATE", &e), 0);
    uint32_t v;
    assert_int_equal(loader_read_reg(l, 0x40001000, &v, &e), 0);   /* answered generically */

    assert_int_equal(f->unexpected, 0);
    loader_close(l);
    free(f);
}

static void test_esp32c3_rom(void **state)
{
    (void)state;
    struct fake *f = load_transcript("fixtures/rom-transcripts/rom_esp32c3_raw.txt");
    struct loader *l = open_rom(f);
    struct err e;
    assert_string_equal(l->chip->name, "esp32c3");
    assert_true(l->have_security_info);
    assert_false(l->secure_download);

    uint8_t md5[16];
    assert_int_equal(loader_md5(l, 0, 0x1000, md5, &e), 0);
    assert_int_equal(md5[0], 0x6a);
    assert_int_equal(md5[15], 0xea);

    /* FLASH_DATA without FLASH_BEGIN: the C3 ROM says 0x01 0x64. */
    uint8_t d[20] = { 0x04, 0, 0, 0 };
    d[16] = 0, d[17] = 1, d[18] = 2, d[19] = 3;
    assert_int_equal(loader_command(l, LOADER_FLASH_DATA, d, 20, 0xEF, 500, 0, NULL, NULL,
                                    "FLASH_DATA seq 0 (write at 0x00000000)", &e), -1);
    assert_non_null(strstr(e.msg, "FLASH_DATA seq 0 (write at 0x00000000)"));
    assert_non_null(strstr(e.msg, "01 64"));

    /* A second SYNC after the baud change (status 00 00 ff ff) still works
     * and its replies are all drained. */
    uint8_t cb[8] = { 0x00, 0xC2, 0x01, 0x00, 0, 0, 0, 0 };
    assert_int_equal(loader_command(l, LOADER_CHANGE_BAUDRATE, cb, 8, 0, 500, 0, NULL, NULL,
                                    "CHANGE_BAUDRATE", &e), 0);
    uint8_t sync[36] = { 0x07, 0x07, 0x12, 0x20 };
    memset(sync + 4, 0x55, 32);
    assert_int_equal(loader_command(l, LOADER_SYNC, sync, 36, 0, 500, 0, NULL, NULL, "SYNC", &e), 0);
    assert_int_equal(l->last_value, 0x20120707);
    assert_int_equal(f->unexpected, 0);
    loader_close(l);
    free(f);
}

static void test_reset_parse(void **state)
{
    (void)state;
    struct reset_step s[RESET_MAX_STEPS];
    struct err e;
    int n = loader_reset_parse("D0|R1|W0.1|D1|R0|W0.05|D0", s, RESET_MAX_STEPS, &e);
    assert_int_equal(n, 7);
    assert_int_equal(s[0].op, RESET_DTR);
    assert_false(s[0].dtr);
    assert_int_equal(s[1].op, RESET_RTS);
    assert_true(s[1].rts);
    assert_int_equal(s[2].op, RESET_WAIT);
    assert_int_equal(s[2].ms, 100);
    assert_int_equal(s[5].ms, 50);
    n = loader_reset_parse("U1,1|U0,1|W0.1|U1,0|W0.05|U0,0", s, RESET_MAX_STEPS, &e);
    assert_int_equal(n, 6);
    assert_int_equal(s[1].op, RESET_BOTH);
    assert_false(s[1].dtr);
    assert_true(s[1].rts);
    assert_int_equal(loader_reset_parse("D0|X1", s, RESET_MAX_STEPS, &e), -1);
    assert_non_null(strstr(e.msg, "'X1'"));
    assert_int_equal(loader_reset_parse("D2", s, RESET_MAX_STEPS, &e), -1);
    assert_int_equal(loader_reset_parse("W-1", s, RESET_MAX_STEPS, &e), -1);
    assert_int_equal(loader_reset_parse("U1", s, RESET_MAX_STEPS, &e), -1);
    assert_int_equal(loader_reset_parse("", s, RESET_MAX_STEPS, &e), -1);
    assert_int_equal(loader_reset_parse("D0||D1", s, RESET_MAX_STEPS, &e), -1);
}

/* The classic sequence drives the lines in the documented order. */
struct rec_port {
    struct port base;
    int n;
    bool dtr[16], rts[16];
};

static int r_lines(struct port *p, bool dtr, bool rts, struct err *e)
{
    (void)e;
    struct rec_port *r = (struct rec_port *)p;
    if (r->n < 16) {
        r->dtr[r->n] = dtr;
        r->rts[r->n] = rts;
        r->n++;
    }
    return 0;
}

static void test_reset_run(void **state)
{
    (void)state;
    static const struct port_ops ops = { NULL, NULL, NULL, r_lines, NULL };
    struct rec_port r = { .base = { .ops = &ops, .has_lines = true } };
    struct reset_step s[RESET_MAX_STEPS];
    struct err e;
    int n = loader_reset_parse("D0|R1|W0|D1|R0|W0|D0", s, RESET_MAX_STEPS, &e);
    bool lines[2] = { true, true };
    assert_int_equal(loader_reset_run(&r.base, s, n, lines, &e), 0);
    assert_int_equal(r.n, 5);
    /* (DTR,RTS): (0,1) EN low; (1,1); (1,0) EN high with IO0 low; (0,0). */
    const bool wd[5] = { false, false, true, true, false }, wr[5] = { true, true, true, false, false };
    for (int i = 0; i < 5; i++) {
        assert_int_equal(r.dtr[i], wd[i]);
        assert_int_equal(r.rts[i], wr[i]);
    }
}

static void test_size_from_id(void **state)
{
    (void)state;
    assert_int_equal(loader_size_from_id(0x1640EF), 4u << 20);    /* Winbond W25Q32 */
    assert_int_equal(loader_size_from_id(0x1840C8), 16u << 20);   /* GD 128 Mbit */
    assert_int_equal(loader_size_from_id(0x2040C2), 64u << 20);
    assert_int_equal(loader_size_from_id(0x3660C2), 4u << 20);
    assert_int_equal(loader_size_from_id(0x00471F), 4u << 20);    /* Adesto code 7 */
    assert_int_equal(loader_size_from_id(0xFFFFFF), 0);
}

static void test_error_text(void **state)
{
    (void)state;
    assert_string_equal(loader_error_text(false, 1, 5), "invalid message or unknown command");
    assert_string_equal(loader_error_text(true, 0xC1, 0), "bad data checksum");
    assert_string_equal(loader_error_text(false, 1, 0x08), "flash write error");
}

/* One name comparison for the loader's chip table and the emulator's. */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_parse),
        cmocka_unit_test(test_reset_run),
        cmocka_unit_test(test_size_from_id),
        cmocka_unit_test(test_error_text),
        cmocka_unit_test(test_esp32_rom),
        cmocka_unit_test(test_esp32c3_rom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
