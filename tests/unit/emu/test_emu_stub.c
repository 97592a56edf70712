/* The emulated flasher stub (after MEM_END jumps into uploaded RAM), the
 * reset circuit and the in-process port. */
#include <zlib.h>

#include "emu_test.h"
#include "hash.h"
#include "port.h"

static uint16_t stub_status(struct emu *emu, uint8_t op, struct frames *fr)
{
    const uint8_t *f = one_reply(emu, fr, op);
    size_t len = fr->len[0];
    return (uint16_t)(f[len - 2] << 8 | f[len - 1]);
}

static uint16_t stub_st(struct emu *emu, uint8_t op)
{
    struct frames fr;
    uint16_t s = stub_status(emu, op, &fr);
    frames_free(&fr);
    return s;
}

static void md5_of(const uint8_t *d, size_t n, uint8_t out[16])
{
    hash_md5(d, n, out);
}

static void test_stub_start_ohai_and_sync(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32", 0);
    start_stub(emu);
    struct frames fr;
    sync_chip(emu);
    collect(emu, &fr);
    assert_int_equal(fr.n, 8);
    for (size_t i = 0; i < 8; i++) {
        const uint8_t want[] = { 0x01, 0x08, 0x02, 0x00, 0, 0, 0, 0, 0x00, 0x00 };
        assert_int_equal(fr.len[i], sizeof want);
        assert_memory_equal(fr.f[i], want, sizeof want);
    }
    frames_free(&fr);
    /* ESP32 stub: no GET_SECURITY_INFO (0xFF), unknown opcodes 0xC3 */
    request(emu, 0x14, NULL, 0, 0);
    assert_int_equal(stub_st(emu, 0x14), 0xFF00);
    request(emu, 0x55, NULL, 0, 0);
    assert_int_equal(stub_st(emu, 0x55), 0xC300);
    /* SPI_ATTACH takes 4 bytes from a stub */
    request_words(emu, 0x0D, 2, 0u, 0u);
    assert_int_equal(stub_st(emu, 0x0D), 0xC000);
    request_words(emu, 0x0D, 1, 0u);
    assert_int_equal(stub_st(emu, 0x0D), 0);
    emu_close(emu);

    emu = open_chip("esp32c3", 0);
    start_stub(emu);
    request(emu, 0x14, NULL, 0, 0);
    const uint8_t *f = one_reply(emu, &fr, 0x14);
    assert_int_equal(fr.len[0], 8 + 20 + 2);
    assert_int_equal(le32(f + 8 + 12), 5);
    frames_free(&fr);
    emu_close(emu);
}

static void test_jump_outside_upload_resets(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32s3", 0);
    request_words(emu, 0x05, 4, 0x100u, 1u, 0x1800u, 0x40380000u);
    request_words(emu, 0x06, 2, 0u, 0x40000000u);
    struct frames fr;
    collect(emu, &fr);
    assert_int_equal(fr.n, 2);
    assert_non_null(strstr(fr.text, "Guru Meditation"));
    assert_non_null(strstr(fr.text, "waiting for download"));
    frames_free(&fr);
    assert_int_equal(emu_state(emu), EMU_ROM);
    emu_close(emu);
}

static void test_stub_write_md5_binary(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32s3", 4u << 20);
    start_stub(emu);
    static uint8_t data[0x6000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 31 + (i >> 9));
    /* 16 KiB blocks, the last one padded */
    request_words(emu, 0x02, 5, (uint32_t)sizeof data, 2u, 0x4000u, 0x11000u, 0u);
    assert_int_equal(stub_st(emu, 0x02), 0);
    static uint8_t block[0x4000];
    for (uint32_t s = 0; s < 2; s++) {
        size_t n = sizeof data - s * 0x4000 < 0x4000 ? sizeof data - s * 0x4000 : 0x4000;
        memset(block, 0xFF, sizeof block);
        memcpy(block, data + s * 0x4000, n);
        request_data(emu, 0x03, s, block, sizeof block);
        assert_int_equal(stub_st(emu, 0x03), 0);
    }
    request_words(emu, 0x04, 1, 1u);
    assert_int_equal(stub_st(emu, 0x04), 0);
    const uint8_t *flash = emu_flash(emu, NULL);
    assert_memory_equal(flash + 0x11000, data, sizeof data);
    assert_int_equal(flash[0x11000 + sizeof data], 0xFF);
    /* binary MD5: 16 bytes + 2 status bytes */
    uint8_t md5[16];
    md5_of(data, sizeof data, md5);
    request_words(emu, 0x13, 4, 0x11000u, (uint32_t)sizeof data, 0u, 0u);
    struct frames fr;
    const uint8_t *f = one_reply(emu, &fr, 0x13);
    assert_int_equal(fr.len[0], 8 + 16 + 2);
    assert_memory_equal(f + 8, md5, 16);
    frames_free(&fr);
    /* FLASH_END before all data arrived: 0xC0 */
    request_words(emu, 0x02, 5, 0x100u, 1u, 0x4000u, 0x30000u, 0u);
    assert_int_equal(stub_st(emu, 0x02), 0);
    request_words(emu, 0x04, 1, 1u);
    assert_int_equal(stub_st(emu, 0x04), 0xC000);
    /* DATA without BEGIN: 0xC6; bad checksum: 0xC1 */
    request_data(emu, 0x03, 0, data, 16);
    assert_int_equal(stub_st(emu, 0x03), 0xC600);
    request_words(emu, 0x02, 5, 0x100u, 1u, 0x4000u, 0x30000u, 0u);
    assert_int_equal(stub_st(emu, 0x02), 0);
    request(emu, 0x03, (uint8_t[20]){ 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9 },
            20, 0x33);
    assert_int_equal(stub_st(emu, 0x03), 0xC100);
    /* a block size over 16 KiB: 0xC2 */
    request_words(emu, 0x02, 5, 0x100u, 1u, 0x8000u, 0x30000u, 0u);
    assert_int_equal(stub_st(emu, 0x02), 0xC200);
    emu_close(emu);
}

/* Unlike the ROM, esp-flasher-stub (v1.1, command_handler.c) never looks at
 * the seq: a block that failed its checksum (C1) is not counted, and its
 * resend is taken and written where the failed one should have gone. */
static void test_stub_block_resend_after_bad_checksum(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32c3", 4u << 20);
    start_stub(emu);
    static uint8_t blk[0x4000];
    for (size_t i = 0; i < sizeof blk; i++)
        blk[i] = (uint8_t)(i * 13 + 1);
    request_words(emu, 0x02, 5, 0x8000u, 2u, 0x4000u, 0x40000u, 0u);
    assert_int_equal(stub_st(emu, 0x02), 0);
    static uint8_t d[16 + 0x4000];
    memset(d, 0, 16);
    put32(d, 0x4000);
    memcpy(d + 16, blk, sizeof blk);
    request(emu, 0x03, d, sizeof d, data_checksum(blk, sizeof blk) ^ 1);
    assert_int_equal(stub_st(emu, 0x03), 0xC100);
    request_data(emu, 0x03, 0, blk, sizeof blk);
    assert_int_equal(stub_st(emu, 0x03), 0);
    request_data(emu, 0x03, 7, blk, sizeof blk);   /* any seq */
    assert_int_equal(stub_st(emu, 0x03), 0);
    request_words(emu, 0x04, 1, 1u);
    assert_int_equal(stub_st(emu, 0x04), 0);
    const uint8_t *flash = emu_flash(emu, NULL);
    assert_memory_equal(flash + 0x40000, blk, sizeof blk);
    assert_memory_equal(flash + 0x44000, blk, sizeof blk);
    emu_close(emu);
}

static void test_stub_deflate_write(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32c6", 4u << 20);
    start_stub(emu);
    static uint8_t data[0x18000], comp[0x20000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i % 251 == 0 ? i >> 3 : i % 7);
    uLongf clen = sizeof comp;
    assert_int_equal(compress2(comp, &clen, data, sizeof data, 9), Z_OK);
    uint32_t blocks = (uint32_t)((clen + 0x3FFF) / 0x4000);
    request_words(emu, 0x10, 5, (uint32_t)sizeof data, blocks, 0x4000u, 0x10000u, 0u);
    assert_int_equal(stub_st(emu, 0x10), 0);
    for (uint32_t s = 0; s < blocks; s++) {
        size_t n = clen - s * 0x4000 < 0x4000 ? clen - s * 0x4000 : 0x4000;
        request_data(emu, 0x11, s, comp + s * 0x4000, n);
        assert_int_equal(stub_st(emu, 0x11), 0);
    }
    request_words(emu, 0x12, 1, 1u);
    assert_int_equal(stub_st(emu, 0x12), 0);
    assert_memory_equal(emu_flash(emu, NULL) + 0x10000, data, sizeof data);
    /* garbage instead of zlib: the ACK is fine, the next command gets 0xC7 */
    request_words(emu, 0x10, 5, 0x1000u, 1u, 0x4000u, 0x10000u, 0u);
    assert_int_equal(stub_st(emu, 0x10), 0);
    uint8_t junk[64];
    memset(junk, 0x42, sizeof junk);
    request_data(emu, 0x11, 0, junk, sizeof junk);
    assert_int_equal(stub_st(emu, 0x11), 0);
    request_words(emu, 0x12, 1, 1u);
    assert_int_equal(stub_st(emu, 0x12), 0xC700);
    emu_close(emu);
}

static void test_stub_write_error_on_next_command(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32", 4u << 20);
    start_stub(emu);
    emu_fail_write_at(emu, 0x21000);
    static uint8_t block[0x4000];
    memset(block, 0x00, sizeof block);
    request_words(emu, 0x02, 4, 0x8000u, 2u, 0x4000u, 0x20000u);
    assert_int_equal(stub_st(emu, 0x02), 0);
    request_data(emu, 0x03, 0, block, sizeof block);
    assert_int_equal(stub_st(emu, 0x03), 0);    /* ACKed before writing */
    /* the next command reports the failure and is not executed */
    request_words(emu, 0x0A, 1, 0x40001000u);
    struct frames fr;
    const uint8_t *f = one_reply(emu, &fr, 0x0A);
    assert_int_equal(le32(f + 4), 0);
    assert_int_equal(f[8], 0xC4);
    frames_free(&fr);
    /* half the block landed */
    const uint8_t *flash = emu_flash(emu, NULL);
    assert_int_equal(flash[0x21FFF], 0x00);
    assert_int_equal(flash[0x22000], 0xFF);
    /* the failure fires once: the command after that works again */
    request_words(emu, 0x0A, 1, 0x40001000u);
    f = one_reply(emu, &fr, 0x0A);
    assert_int_equal(le32(f + 4), 0x00F01D83);
    assert_int_equal(f[8], 0);
    frames_free(&fr);
    emu_close(emu);
}

static void test_rom_write_error_immediate(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32c3", 4u << 20);
    struct frames fr;
    request_words(emu, 0x0D, 2, 0u, 0u);
    assert_int_equal(one_reply(emu, &fr, 0x0D)[8], 0);
    frames_free(&fr);
    emu_fail_write_at(emu, 0x400);
    uint8_t b[0x400];
    memset(b, 1, sizeof b);
    request_words(emu, 0x02, 5, 0x800u, 2u, 0x400u, 0x0u, 0u);
    collect(emu, &fr);
    frames_free(&fr);
    request_data(emu, 0x03, 0, b, sizeof b);
    const uint8_t *f = one_reply(emu, &fr, 0x03);
    assert_int_equal(f[8], 0);
    frames_free(&fr);
    request_data(emu, 0x03, 1, b, sizeof b);
    f = one_reply(emu, &fr, 0x03);
    assert_int_equal(f[8], 1);
    assert_int_equal(f[9], 0x08);
    frames_free(&fr);
    emu_close(emu);
}

/* READ_FLASH: reply, then one packet per ack, then the binary MD5. */
static void test_stub_read_flash_windowing(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32", 1u << 20);
    start_stub(emu);
    const uint8_t *flash = emu_flash(emu, NULL);
    const uint32_t off = 0x1000, len = 0x2800;
    request_words(emu, 0xD2, 4, off, len, 0x1000u, 64u);
    struct frames fr;
    collect(emu, &fr);
    assert_int_equal(fr.n, 2);                  /* reply + first packet only */
    assert_int_equal(fr.len[0], 10);
    assert_int_equal(fr.f[0][1], 0xD2);
    assert_int_equal(fr.len[1], 0x1000);
    frames_free(&fr);
    uint32_t got = 0x1000;
    uint8_t ack[4];
    for (int i = 0; i < 2; i++) {
        put32(ack, got);
        send_frame_raw(emu, ack, 4);
        collect(emu, &fr);
        assert_int_equal(fr.n, 1);
        got += (uint32_t)fr.len[0];
        frames_free(&fr);
    }
    assert_int_equal(got, len);
    put32(ack, got);
    send_frame_raw(emu, ack, 4);
    collect(emu, &fr);
    assert_int_equal(fr.n, 1);
    assert_int_equal(fr.len[0], 16);
    uint8_t md5[16];
    md5_of(flash + off, len, md5);
    assert_memory_equal(fr.f[0], md5, 16);
    frames_free(&fr);
    /* back to commands */
    sync_chip(emu);
    collect(emu, &fr);
    assert_int_equal(fr.n, 8);
    frames_free(&fr);
    /* beyond the flash: error on the next command */
    request_words(emu, 0xD2, 4, 0xFF000u, 0x2000u, 0x1000u, 64u);
    assert_int_equal(stub_st(emu, 0xD2), 0);
    request_words(emu, 0x0A, 1, 0u);
    assert_int_equal(stub_st(emu, 0x0A), 0xC400);
    emu_close(emu);
}

static void test_stub_erase(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32h2", 1u << 20);
    start_stub(emu);
    uint8_t z[0x400];
    memset(z, 0, sizeof z);
    request_words(emu, 0x02, 5, 0x400u, 1u, 0x4000u, 0x3000u, 0u);
    assert_int_equal(stub_st(emu, 0x02), 0);
    request_data(emu, 0x03, 0, z, sizeof z);
    assert_int_equal(stub_st(emu, 0x03), 0);
    const uint8_t *flash = emu_flash(emu, NULL);
    assert_int_equal(flash[0x3000], 0);
    request_words(emu, 0xD1, 2, 0x3000u, 0x800u);
    assert_int_equal(stub_st(emu, 0xD1), 0xC000);  /* not sector aligned */
    request_words(emu, 0xD1, 2, 0x3000u, 0x1000u);
    assert_int_equal(stub_st(emu, 0xD1), 0);
    assert_int_equal(flash[0x3000], 0xFF);
    request_words(emu, 0x02, 5, 0x400u, 1u, 0x4000u, 0x5000u, 0u);
    stub_st(emu, 0x02);
    request_data(emu, 0x03, 0, z, sizeof z);
    stub_st(emu, 0x03);
    request(emu, 0xD0, NULL, 0, 0);
    assert_int_equal(stub_st(emu, 0xD0), 0);
    assert_int_equal(flash[0x5000], 0xFF);
    emu_close(emu);
}

static void test_stub_baud_and_mem_reload(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32s2", 0);
    start_stub(emu);
    request_words(emu, 0x0F, 2, 460800u, 115200u);
    uint8_t buf[32];
    size_t n = emu_tx(emu, buf, sizeof buf);
    assert_int_equal(n, 12);                    /* the reply, no extra C0 */
    assert_int_equal(emu_baud(emu), 460800);
    assert_int_equal(emu_tx_pending(emu), 0);
    /* uploading a stub again while one runs: it restarts (OHAI again) */
    start_stub(emu);
    emu_close(emu);
}

/* ---- the reset circuit --------------------------------------------------- */

static void test_reset_circuit(void **state)
{
    (void)state;
    struct emu_options o = { .chip = "esp32", .boot_app = true, .en_delay_ms = 10 };
    struct err e;
    struct emu *emu = emu_open(&o, &e);
    assert_non_null(emu);
    struct frames fr;
    collect(emu, &fr);
    assert_non_null(strstr(fr.text, "boot:0x13 (SPI_FAST_FLASH_BOOT)"));
    assert_non_null(strstr(fr.text, "invalid header: 0xffffffff"));
    frames_free(&fr);
    assert_int_equal(emu_state(emu), EMU_APP);
    /* the app ignores SYNC */
    sync_chip(emu);
    assert_int_equal(emu_tx_pending(emu), 0);

    /* classic reset as sent over a network: (D0,R1) . (D1,R1) . (D1,R0) . 50 ms . (D0,R0) */
    uint64_t t = 1000;
    emu_set_lines(emu, false, true, t);
    assert_int_equal(emu_state(emu), EMU_RESET);
    t += 100;
    emu_set_lines(emu, true, true, t);          /* EN released, GPIO0 still high */
    emu_tick(emu, t + 1);
    emu_set_lines(emu, true, false, t + 2);     /* GPIO0 low before the RC delay ends */
    assert_int_equal(emu_next_event_ms(emu, t + 2), 8);
    emu_tick(emu, t + 10);
    assert_int_equal(emu_state(emu), EMU_ROM);
    emu_set_lines(emu, false, false, t + 50);
    collect(emu, &fr);
    assert_non_null(strstr(fr.text, "rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT"));
    assert_non_null(strstr(fr.text, "waiting for download"));
    frames_free(&fr);
    sync_chip(emu);
    collect(emu, &fr);
    assert_int_equal(fr.n, 8);
    frames_free(&fr);

    /* hard reset: RTS pulse with DTR released boots the app */
    t += 1000;
    emu_set_lines(emu, false, true, t);
    emu_set_lines(emu, false, false, t + 100);
    emu_tick(emu, t + 130);
    assert_int_equal(emu_state(emu), EMU_APP);

    /* a slow transient (both asserted for longer than the RC delay) boots
     * the app: the classic reset needs the edges close together */
    t += 1000;
    emu_set_lines(emu, false, true, t);
    emu_set_lines(emu, true, true, t + 100);
    emu_tick(emu, t + 120);
    emu_set_lines(emu, true, false, t + 150);
    emu_tick(emu, t + 200);
    assert_int_equal(emu_state(emu), EMU_APP);
    emu_close(emu);
}

/* The host sleeps between the edges of a reset sequence and nobody ticks
 * the emulator meanwhile: the boot that fell due in that gap must still see
 * GPIO0 as it was then (low), not the level of the next edge. */
static void test_reset_samples_gpio0_when_due(void **state)
{
    (void)state;
    struct emu_options o = { .chip = "esp32", .boot_app = true, .en_delay_ms = 20 };
    struct err e;
    struct emu *emu = emu_open(&o, &e);
    assert_non_null(emu);
    struct frames fr;
    collect(emu, &fr);
    frames_free(&fr);
    assert_int_equal(emu_state(emu), EMU_APP);
    /* unix-tight: (0,0) (1,1) (0,1) . 100 ms . (1,0) . 50 ms . (0,0) */
    uint64_t t = 5000;
    emu_set_lines(emu, false, false, t);
    emu_set_lines(emu, true, true, t);
    emu_set_lines(emu, false, true, t);
    assert_int_equal(emu_state(emu), EMU_RESET);
    emu_set_lines(emu, true, false, t + 100);   /* EN rises, GPIO0 low; boot due at +120 */
    assert_int_equal(emu_state(emu), EMU_RESET);
    emu_set_lines(emu, false, false, t + 150);  /* GPIO0 released 30 ms after the boot */
    assert_int_equal(emu_state(emu), EMU_ROM);
    emu_tick(emu, t + 151);
    assert_int_equal(emu_state(emu), EMU_ROM);
    collect(emu, &fr);
    assert_non_null(strstr(fr.text, "boot:0x3 (DOWNLOAD_BOOT"));
    assert_null(strstr(fr.text, "SPI_FAST_FLASH_BOOT"));
    frames_free(&fr);

    /* the same for the classic sequence, one line per call */
    t += 1000;
    emu_set_lines(emu, false, true, t);         /* D0 R1: EN low */
    emu_set_lines(emu, true, true, t + 100);    /* D1: both asserted, EN high, IO0 high */
    emu_set_lines(emu, true, false, t + 100);   /* R0: IO0 low */
    emu_set_lines(emu, false, false, t + 150);  /* D0, after the 20 ms delay */
    assert_int_equal(emu_state(emu), EMU_ROM);
    emu_close(emu);
}

static void test_rom_flash_end_reboots_or_runs(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32c3", 0);
    struct frames fr;
    request_words(emu, 0x02, 5, 0u, 0u, 0x400u, 0u, 0u);
    collect(emu, &fr);
    frames_free(&fr);
    request_words(emu, 0x04, 1, 0u);            /* reboot: download mode again */
    collect(emu, &fr);
    assert_int_equal(fr.n, 1);
    assert_non_null(strstr(fr.text, "rst:0xc"));
    assert_non_null(strstr(fr.text, "waiting for download"));
    frames_free(&fr);
    request_words(emu, 0x02, 5, 0u, 0u, 0x400u, 0u, 0u);
    collect(emu, &fr);
    frames_free(&fr);
    request_words(emu, 0x04, 1, 1u);            /* run user code */
    collect(emu, &fr);
    assert_int_equal(fr.n, 1);
    frames_free(&fr);
    assert_int_equal(emu_state(emu), EMU_APP);
    emu_close(emu);
}

/* ---- the in-process port ------------------------------------------------- */

static void test_emu_port(void **state)
{
    (void)state;
    struct emu_options o = { .chip = "esp32c3", .boot_app = true };
    struct err e;
    struct emu *emu = emu_open(&o, &e);
    assert_non_null(emu);
    struct port *p = emu_port_open(emu, true, &e);
    assert_non_null(p);
    assert_true(p->has_lines);
    uint8_t buf[4096];
    while (p->ops->read(p, buf, sizeof buf, 0, &e) > 0)
        ;
    /* unix-tight reset into download mode through the port */
    assert_int_equal(p->ops->set_lines(p, false, false, &e), 0);
    p->ops->set_lines(p, true, true, &e);
    p->ops->set_lines(p, false, true, &e);
    p->ops->set_lines(p, true, false, &e);
    int n = p->ops->read(p, buf, sizeof buf - 1, 500, &e);
    assert_true(n > 0);
    buf[n] = 0;
    assert_non_null(strstr((char *)buf, "waiting for download"));
    p->ops->set_lines(p, false, false, &e);
    uint8_t sync[36] = { 0x07, 0x07, 0x12, 0x20 }, pkt[44], enc[100];
    memset(sync + 4, 0x55, 32);
    memset(pkt, 0, 8);
    pkt[1] = 0x08;
    pkt[2] = 36;
    memcpy(pkt + 8, sync, 36);
    size_t m = slip_encode(pkt, sizeof pkt, enc);
    assert_int_equal(p->ops->write(p, enc, m, &e), 0);
    n = p->ops->read(p, buf, sizeof buf, 100, &e);
    assert_int_equal(n, 8 * 14);
    assert_int_equal(p->ops->read(p, buf, sizeof buf, 0, &e), 0);
    p->ops->close(p);
    emu_close(emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stub_start_ohai_and_sync),
        cmocka_unit_test(test_jump_outside_upload_resets),
        cmocka_unit_test(test_stub_write_md5_binary),
        cmocka_unit_test(test_stub_block_resend_after_bad_checksum),
        cmocka_unit_test(test_stub_deflate_write),
        cmocka_unit_test(test_stub_write_error_on_next_command),
        cmocka_unit_test(test_rom_write_error_immediate),
        cmocka_unit_test(test_stub_read_flash_windowing),
        cmocka_unit_test(test_stub_erase),
        cmocka_unit_test(test_stub_baud_and_mem_reload),
        cmocka_unit_test(test_reset_circuit),
        cmocka_unit_test(test_reset_samples_gpio0_when_due),
        cmocka_unit_test(test_rom_flash_end_reboots_or_runs),
        cmocka_unit_test(test_emu_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
