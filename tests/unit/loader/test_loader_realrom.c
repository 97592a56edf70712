/* The ROM loader client against replies recorded from the genuine ESP32
 * (rev 3) mask ROM, running in download mode in Espressif's QEMU fork
 * (antmak/qemu ci-build-draft, QEMU 8.2) at 115200 baud.  They show what
 * ../shared/fixtures/rom-transcripts does not:
 *  - an error reply repeats the previous reply's header AND its repeat
 *    count: right after SYNC an unknown command (GET_SECURITY_INFO on the
 *    ESP32) gets 8 error frames, all with opcode 0x08;
 *  - a FLASH_DATA block that fails its checksum (01 07) still advances the
 *    ROM's expected sequence number: sending the same block again gets
 *    01 05 ("invalid message"), so only a new FLASH_BEGIN repairs a write;
 *  - failed READ_FLASH_SLOW / SPI_FLASH_MD5 replies carry their full
 *    payload (64 / 32 bytes) before the status (01 0a, 01 09).
 * The client must detect the chip, get the write through (the recorded
 * ROM answers any resend of the damaged block with 01 05, whatever the
 * client's retry strategy), and name the ROM's errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_port.h"
#include "loader.h"
#include "slip.h"
#include "testutil.h"

/* ---- recorded frames (hex, SLIP-encoded as on the wire) ---- */

#define SYNC_REQ "c00008240000000000070712205555555555555555555555555555555555555555555555555555555555555555c0"
#define SYNC_ONE "c0010804000707122000000000c0"
#define SECINFO_ERR "c0010804000707122001050000c0"

struct rec {
    const char *req;
    const char *resp;      /* NULL: see `times` */
    int times;             /* the response repeated this many times (SYNC) */
};

static const struct rec recs[] = {
    { SYNC_REQ, SYNC_ONE, 8 },
    /* GET_SECURITY_INFO, unknown to the ESP32 ROM, right after SYNC. */
    { "c00014000000000000c0", SECINFO_ERR, 8 },
    /* READ_REG 0x40001000 (chip magic). */
    { "c0000a04000000000000100040c0", "c0010a0400831df00000000000c0", 1 },
    { "c0000d0800000000000000000000000000c0", "c0010d0400831df00000000000c0", 1 },
    { "c0000b1800000000000000000000004000000001000010000000010000ffff0000c0",
      "c0010b0400831df00000000000c0", 1 },
    /* FLASH_BEGIN 0x1000 bytes, 4 blocks of 0x400 at 0x3fe000. */
    { "c0000210000000000000100000040000000004000000e03f00c0", "c001020400831df00000000000c0", 1 },
    /* SPI_FLASH_MD5 0x3fe000 0x1000: 32 hex characters. */
    { "c0001310000000000000e03f00001000000000000000000000c0",
      "c00113240007071220643130353238396635363137633234316635326131393163366232666338303900000000c0",
      1 },
    /* READ_FLASH_SLOW 0x3fe000 16: always 64 bytes, stale after the 16th. */
    { "c0000e08000000000000e03f0010000000c0",
      "c0010e440007071220030a11181f262d343b424950575e656c6635326131393163366232666338303900"
      "0000000000000000000000000000000000000000000000000000000000000000000000c0", 1 },
    /* SPI_FLASH_MD5 0x3fe000 16 (the client checks what it read). */
    { "c0001310000000000000e03f00100000000000000000000000c0",
      "c00113240007071220393334393830363563393063373531313632396566633261363736636632353600000000c0",
      1 },
    /* READ_FLASH_SLOW 0x3fe000 100: too long, 01 0a after the 64 bytes. */
    { "c0000e08000000000000e03f0064000000c0",
      "c0010e440007071220030a11181f262d343b424950575e656c6635326131393163366232666338303900"
      "00000000000000000000000000000000000000000000000000000000000000010a0000c0", 1 },
    /* SPI_FLASH_MD5 0x3ff000 0x2000: past the end, 01 09 after 32 bytes. */
    { "c0001310000000000000f03f00002000000000000000000000c0",
      "c00113240007071220030a11181f262d343b424950575e656c6635326131393163366232666338303901090000c0",
      1 },
};

/* FLASH_DATA replies per FLASH_BEGIN ("epoch"): in the first, the block of
 * seq 0 arrives damaged (01 07) and every resend of it is refused (01 05);
 * after the second FLASH_BEGIN all four blocks are taken. */
#define DATA_OK  "c0010304000707122000000000c0"
#define DATA_CHK "c001030400831df00001070000c0"
#define DATA_SEQ "c001030400831df00001050000c0"

static uint8_t pattern(size_t i) { return (uint8_t)(i * 7 + 3); }

/* ---- fake port ---- */

struct fake {
    struct fake_port fp;         /* first: the port the loader uses */
    struct slip_decoder dec;
    uint8_t frame[2048];
    int epoch;              /* FLASH_BEGINs seen */
    int data_in_epoch1;     /* FLASH_DATA requests in the first epoch */
    int data_in_epoch2;
    int unexpected;
    int md5_asked;
};

/* Decode a recorded SLIP request into its payload. */
static size_t decode_req(const char *hex, uint8_t *out, size_t cap)
{
    uint8_t raw[256];
    size_t n = test_unhex(hex, raw, sizeof raw);
    struct slip_decoder d;
    slip_decoder_init(&d, out, cap);
    for (size_t i = 0; i < n; i++)
        if (slip_feed(&d, raw[i]))
            return d.len;
    return 0;
}

static void on_flash_data(struct fake *f, const uint8_t *fr, size_t n)
{
    /* Check the block is what the client should send: 1 KiB of the
     * pattern at seq * 1 KiB, with its checksum. */
    uint32_t len = fr[8] | fr[9] << 8, seq = fr[12];
    assert_int_equal(n, 8 + 16 + 1024);
    assert_int_equal(len, 1024);
    uint8_t chk = 0xEF;
    for (size_t i = 0; i < 1024; i++) {
        assert_int_equal(fr[24 + i], pattern(seq * 1024 + i));
        chk ^= fr[24 + i];
    }
    assert_int_equal(fr[4], chk);
    if (f->epoch == 1) {
        /* The ROM took seq 0 (damaged) and now wants seq 1. */
        fake_port_queue_hex(&f->fp, f->data_in_epoch1++ == 0 ? DATA_CHK : DATA_SEQ);
        return;
    }
    assert_int_equal(seq, (uint32_t)f->data_in_epoch2);
    f->data_in_epoch2++;
    fake_port_queue_hex(&f->fp, DATA_OK);
}

/* READ_REG and WRITE_REG the recording has no answer for (eFuse and SPI
 * registers): a plain ROM OK with value 0.  The same for SPI_SET_PARAMS
 * with another size (a write tells the chip its region's end), and for the
 * MD5 of flash the recording does not cover (what a write guards): a fixed
 * digest, 32 hex characters, as the ROM answers. */
static bool generic(struct fake *f, const uint8_t *fr, size_t n)
{
    if (n < 8)
        return false;
    char hex[200];
    if (fr[1] == LOADER_READ_REG || fr[1] == LOADER_WRITE_REG || fr[1] == LOADER_SPI_SET_PARAMS)
        snprintf(hex, sizeof hex, "c001%02x0400000000000000000000c0", fr[1]);
    else if (fr[1] == LOADER_SPI_FLASH_MD5)
        snprintf(hex, sizeof hex, "c00113240000000000%s00000000c0",
                 "3030303030303030303030303030303030303030303030303030303030303030");
    else
        return false;
    fake_port_queue_hex(&f->fp, hex);
    return true;
}

static void on_frame(struct fake *f, const uint8_t *fr, size_t n)
{
    if (n >= 2 && fr[1] == LOADER_FLASH_DATA) {
        on_flash_data(f, fr, n);
        return;
    }
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
        uint8_t req[256];
        size_t rl = decode_req(recs[i].req, req, sizeof req);
        if (rl != n || memcmp(req, fr, n) != 0)
            continue;
        if (fr[1] == LOADER_FLASH_BEGIN)
            f->epoch++;
        if (fr[1] == LOADER_SPI_FLASH_MD5 && fr[9] == 0xE0 && fr[10] == 0x3F && fr[13] == 0x10)
            f->md5_asked++;
        for (int k = 0; k < recs[i].times; k++)
            fake_port_queue_hex(&f->fp, recs[i].resp);
        return;
    }
    if (!generic(f, fr, n))
        f->unexpected++;
}

static int f_write(struct port *p, const void *buf, size_t len, struct err *e)
{
    (void)e;
    struct fake *f = (struct fake *)p;
    const uint8_t *b = buf;
    for (size_t i = 0; i < len; i++)
        if (slip_feed(&f->dec, b[i]))
            on_frame(f, f->frame, f->dec.len);
    return 0;
}

static struct fake *new_fake(void)
{
    struct fake *f = calloc(1, sizeof *f);
    fake_port_init(&f->fp, "fake:qemu-esp32-rom", f_write);
    slip_decoder_init(&f->dec, f->frame, sizeof f->frame);
    return f;
}

static struct loader *open_rom(struct fake *f)
{
    struct loader_opts o;
    loader_opts_init(&o);
    o.chip = "esp32";
    o.before = LOADER_BEFORE_NO_RESET;
    o.no_stub = true;
    o.no_diff = true;   /* the counts below are those of a full write */
    o.after = LOADER_AFTER_NO_RESET;
    struct loader *l = NULL;
    struct err e;
    err_clear(&e);
    if (loader_open_port(&l, &f->fp.base, &o, &e) != 0)
        fail_msg("loader_open_port: %s", e.msg);
    return l;
}

static void test_detect_after_eight_error_frames(void **state)
{
    (void)state;
    struct fake *f = new_fake();
    struct loader *l = open_rom(f);
    assert_string_equal(l->chip->name, "esp32");
    assert_false(l->stub);
    assert_false(l->have_security_info);
    /* The magic READ_REG got its own reply, not a leftover error frame. */
    uint32_t v;
    struct err e;
    assert_int_equal(loader_read_reg(l, 0x40001000, &v, &e), 0);
    assert_int_equal(v, 0x00f01d83);
    assert_int_equal(f->unexpected, 0);
    loader_close(l);
    free(f);
}

static void test_write_survives_a_damaged_block(void **state)
{
    (void)state;
    struct fake *f = new_fake();
    struct loader *l = open_rom(f);
    struct err e;
    if (loader_attach(l, 0, &e) != 0)
        fail_msg("attach: %s", e.msg);
    uint8_t *data = malloc(4096);
    for (size_t i = 0; i < 4096; i++)
        data[i] = pattern(i);
    if (loader_write(l, 0x3fe000, data, 4096, false, &e) != 0)
        fail_msg("write: %s", e.msg);
    assert_int_equal(f->epoch, 2);           /* the write was begun again */
    assert_true(f->data_in_epoch1 >= 1);
    assert_int_equal(f->data_in_epoch2, 4);  /* then all four blocks */
    assert_int_equal(f->md5_asked, 1);       /* and verified once (MD5 of 0x1000) */
    assert_true(l->resends >= 1);
    assert_int_equal(f->unexpected, 0);

    uint8_t back[16];
    if (loader_read(l, 0x3fe000, back, 16, &e) != 0)
        fail_msg("read: %s", e.msg);
    assert_memory_equal(back, data, 16);
    free(data);
    loader_close(l);
    free(f);
}

static void test_errors_after_a_full_payload(void **state)
{
    (void)state;
    struct fake *f = new_fake();
    struct loader *l = open_rom(f);
    struct err e;
    /* READ_FLASH_SLOW longer than 64: 64 stale bytes, then 01 0a. */
    uint8_t d[8] = { 0x00, 0xE0, 0x3F, 0x00, 100, 0, 0, 0 };
    assert_int_equal(loader_command(l, LOADER_READ_FLASH_SLOW, d, 8, 0, 1000, 64, NULL, NULL,
                                    "READ_FLASH_SLOW at 0x003fe000", &e), -1);
    assert_non_null(strstr(e.msg, "READ_FLASH_SLOW at 0x003fe000"));
    assert_non_null(strstr(e.msg, "flash read length error"));
    assert_non_null(strstr(e.msg, "01 0a"));
    /* SPI_FLASH_MD5 past the end of the 4 MB: 32 bytes, then 01 09. */
    uint8_t md5[16];
    assert_int_equal(loader_md5(l, 0x3ff000, 0x2000, md5, &e), -1);
    assert_non_null(strstr(e.msg, "0x003ff000"));
    assert_non_null(strstr(e.msg, "flash read error"));
    assert_int_equal(f->unexpected, 0);
    loader_close(l);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_after_eight_error_frames),
        cmocka_unit_test(test_write_survives_a_damaged_block),
        cmocka_unit_test(test_errors_after_a_full_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
