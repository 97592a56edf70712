/* The loader and the device flash against the emulated chip in-process
 * (lib/emu/emu.h, emu_port_open): reset through the emulated auto-reset circuit,
 * sync, detection, stub upload and reuse, ROM-only paths, deflate writes
 * with MD5, READ_FLASH, erase, read-modify-write through flash_device, and
 * an injected write fault reported with its address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "flash_device.h"
#include "loader.h"

#define MB (1024u * 1024u)

struct rig {
    struct emu *emu;
    struct loader *l;
};

static void fill(uint8_t *b, size_t n, uint32_t seed)
{
    /* Half compressible text, half noise: both deflate paths get used. */
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (i / 512) % 2 ? (uint8_t)(seed >> 16) : (uint8_t)("micropython "[i % 12]);
    }
}

static struct emu *new_emu(const char *chip)
{
    struct emu_options eo = { .chip = chip, .flash_size = 4 * MB };
    struct err e;
    struct emu *emu = emu_open(&eo, &e);
    if (!emu)
        fail_msg("emu_open(%s): %s", chip, e.msg);
    return emu;
}

static struct port *emu_port(struct emu *emu)
{
    struct err e;
    struct port *p = emu_port_open(emu, true, &e);
    if (!p)
        fail_msg("emu_port_open: %s", e.msg);
    return p;
}

static struct loader *connect(struct emu *emu, bool no_stub, enum loader_after after)
{
    struct err e;
    struct port *p = emu_port(emu);
    struct loader_opts o;
    loader_opts_init(&o);
    o.no_stub = no_stub;
    o.after = after;
    o.baud = 460800;
    struct loader *l = NULL;
    if (loader_open_port(&l, p, &o, &e) != 0)
        fail_msg("connect: %s", e.msg);
    return l;
}

static void roundtrip(const char *chip, bool no_stub)
{
    struct emu *emu = new_emu(chip);
    struct loader *l = connect(emu, no_stub, LOADER_AFTER_NO_RESET_STUB);
    struct err e;
    assert_string_equal(l->chip->name, chip);
    assert_int_equal(l->stub, !no_stub);
    if (loader_attach(l, 0, &e) != 0)
        fail_msg("%s attach: %s", chip, e.msg);
    assert_int_equal(l->flash_size, 4 * MB);

    uint32_t n = no_stub ? 0x2000 : 0x30000;
    uint8_t *data = malloc(n), *back = malloc(n);
    fill(data, n, 7);
    if (loader_write(l, 0x10000, data, n, true, &e) != 0)
        fail_msg("%s write: %s", chip, e.msg);
    if (!(no_stub && l->chip->ld->rom_is_8266)) {
        if (loader_read(l, 0x10000, back, n, &e) != 0)
            fail_msg("%s read: %s", chip, e.msg);
        assert_memory_equal(back, data, n);
    }
    uint32_t fsize;
    const uint8_t *fl = emu_flash(emu, &fsize);
    assert_memory_equal(fl + 0x10000, data, n);

    if (loader_erase_region(l, 0x11000, 0x1000, &e) != 0)
        fail_msg("%s erase: %s", chip, e.msg);
    for (uint32_t i = 0; i < 0x1000; i++)
        assert_int_equal(fl[0x11000 + i], 0xFF);
    assert_int_equal(fl[0x10FFF], data[0xFFF]);
    if (n > 0x2000)
        assert_int_equal(fl[0x12000], data[0x2000]);
    free(data);
    free(back);
    loader_close(l);
    emu_close(emu);
}

static void test_esp32_stub(void **s) { (void)s; roundtrip("esp32", false); }
static void test_esp32_rom(void **s) { (void)s; roundtrip("esp32", true); }
static void test_esp32c3_stub(void **s) { (void)s; roundtrip("esp32c3", false); }
static void test_esp32c3_rom(void **s) { (void)s; roundtrip("esp32c3", true); }
static void test_esp32s3_stub(void **s) { (void)s; roundtrip("esp32s3", false); }
static void test_esp32s2_stub(void **s) { (void)s; roundtrip("esp32s2", false); }
static void test_esp8266_stub(void **s) { (void)s; roundtrip("esp8266", false); }
static void test_esp32p4_stub(void **s) { (void)s; roundtrip("esp32p4", false); }

static void test_stub_reused(void **state)
{
    (void)state;
    struct emu *emu = new_emu("esp32c6");
    struct loader *l = connect(emu, false, LOADER_AFTER_NO_RESET_STUB);
    assert_true(l->stub);
    assert_false(l->stub_reused);
    loader_close(l);
    /* No reset this time: the stub still runs and is detected by SYNC. */
    struct err e;
    struct port *p = emu_port(emu);
    struct loader_opts o;
    loader_opts_init(&o);
    o.before = LOADER_BEFORE_NO_RESET;
    assert_int_equal(loader_open_port(&l, p, &o, &e), 0);
    assert_true(l->stub);
    assert_true(l->stub_reused);
    assert_string_equal(l->chip->name, "esp32c6");
    loader_close(l);
    emu_close(emu);
}

static void test_wrong_chip(void **state)
{
    (void)state;
    struct emu *emu = new_emu("esp32s3");
    struct err e;
    struct port *p = emu_port(emu);
    struct loader_opts o;
    loader_opts_init(&o);
    o.chip = "esp32";
    struct loader *l;
    assert_int_equal(loader_open_port(&l, p, &o, &e), -1);
    assert_non_null(strstr(e.msg, "ESP32-S3, not ESP32"));
    emu_close(emu);
}

static void test_write_fault(void **state)
{
    (void)state;
    struct emu *emu = new_emu("esp32");
    struct loader *l = connect(emu, false, LOADER_AFTER_NO_RESET_STUB);
    struct err e;
    assert_int_equal(loader_attach(l, 0, &e), 0);
    uint32_t n = 0x20000;
    uint8_t *data = malloc(n);
    fill(data, n, 3);
    emu_fail_write_at(emu, 0x24000);
    assert_int_equal(loader_write(l, 0x20000, data, n, true, &e), -1);
    /* The message names the command and the write address. */
    assert_non_null(strstr(e.msg, "0x00020000"));
    /* A retry completes and verifies. */
    if (loader_write(l, 0x20000, data, n, true, &e) != 0)
        fail_msg("retry: %s", e.msg);
    uint32_t fsize;
    assert_memory_equal(emu_flash(emu, &fsize) + 0x20000, data, n);
    free(data);
    loader_close(l);
    emu_close(emu);
}

static void test_flash_device(void **state)
{
    (void)state;
    struct emu *emu = new_emu("esp32s3");
    struct loader *l = connect(emu, false, LOADER_AFTER_NO_RESET_STUB);
    struct device_opts o;
    device_opts_init(&o);
    struct err e;
    struct flash *f = flash_device_from_loader(l, &o, &e);
    if (!f)
        fail_msg("%s", e.msg);
    assert_int_equal(f->size, 4 * MB);
    uint32_t fsize;
    const uint8_t *fl = emu_flash(emu, &fsize);

    /* Unaligned small write: read-modify-write keeps the neighbours. */
    uint8_t before[0x3000];
    memcpy(before, fl + 0x9000, sizeof before);
    const char msg[] = "hello, littlefs";
    assert_int_equal(flash_write(f, 0x9FF8, msg, sizeof msg, &e), 0);
    uint8_t got[sizeof msg];
    assert_int_equal(flash_read(f, 0x9FF8, got, sizeof got, &e), 0);   /* from the cache */
    assert_memory_equal(got, msg, sizeof msg);
    assert_memory_equal(fl + 0x9000, before, 0x3000);                 /* not written yet */
    if (flash_flush(f, &e) != 0)
        fail_msg("flush: %s", e.msg);
    assert_memory_equal(fl + 0x9FF8, msg, sizeof msg);
    assert_memory_equal(fl + 0x9000, before, 0xFF8);
    assert_memory_equal(fl + 0xA000 + 8, before + 0x1000 + 8, 0x1000 - 8);

    /* Erase with unaligned ends. */
    assert_int_equal(flash_erase(f, 0x9800, 0x1000, &e), 0);
    assert_int_equal(flash_flush(f, &e), 0);
    for (uint32_t a = 0x9800; a < 0xA800; a++)
        assert_int_equal(fl[a], 0xFF);
    assert_int_equal(fl[0xA800 + 0], before[0x1800]);

    /* A large write goes through at once; an unchanged rewrite sends nothing. */
    uint8_t *big = malloc(0x20000);
    fill(big, 0x20000, 11);
    assert_int_equal(flash_write(f, 0x100000, big, 0x20000, &e), 0);
    assert_memory_equal(fl + 0x100000, big, 0x20000);
    struct flash_device_stats st1, st2;
    flash_device_get_stats(f, &st1);
    assert_int_equal(flash_write(f, 0x100000, big, 0x20000, &e), 0);
    assert_int_equal(flash_flush(f, &e), 0);
    flash_device_get_stats(f, &st2);
    assert_int_equal(st1.sectors_written, st2.sectors_written);
    assert_ptr_equal(flash_device_loader(f), l);
    free(big);
    flash_destroy(f);
    emu_close(emu);
}

/* A port between loader and emulator that flips one bit of one byte: the
 * Nth byte written (host to chip) or read (chip to host) once armed. */
struct noisy_port {
    struct port base;
    struct port *inner;
    uint64_t tx, rx;             /* bytes through so far */
    uint64_t flip_tx, flip_rx;   /* flip the byte with this index; 0 = none */
};

static int np_read(struct port *p, void *b, size_t n, int t, struct err *e)
{
    struct noisy_port *w = (struct noisy_port *)p;
    int r = w->inner->ops->read(w->inner, b, n, t, e);
    for (int i = 0; i < r; i++)
        if (++w->rx == w->flip_rx)
            ((uint8_t *)b)[i] ^= 0x10;
    return r;
}

static int np_write(struct port *p, const void *b, size_t n, struct err *e)
{
    struct noisy_port *w = (struct noisy_port *)p;
    uint8_t buf[2 * LOADER_FRAME_MAX + 64];
    assert_true(n <= sizeof buf);
    memcpy(buf, b, n);
    for (size_t i = 0; i < n; i++)
        if (++w->tx == w->flip_tx)
            buf[i] ^= 0x10;
    return w->inner->ops->write(w->inner, buf, n, e);
}

static int np_baud(struct port *p, uint32_t baud, struct err *e)
{
    struct noisy_port *w = (struct noisy_port *)p;
    p->baud = baud;
    return w->inner->ops->set_baud(w->inner, baud, e);
}

static int np_lines(struct port *p, bool dtr, bool rts, struct err *e)
{
    struct noisy_port *w = (struct noisy_port *)p;
    return w->inner->ops->set_lines(w->inner, dtr, rts, e);
}

static void np_close(struct port *p)
{
    struct noisy_port *w = (struct noisy_port *)p;
    port_close(w->inner);
    free(w);
}

static const struct port_ops noisy_ops = { np_read, np_write, np_baud, np_lines, np_close };

static struct loader *connect_noisy(struct emu *emu, struct noisy_port **np, bool no_stub)
{
    struct err e;
    struct noisy_port *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->inner = emu_port(emu);
    w->base = *w->inner;
    w->base.ops = &noisy_ops;
    struct loader_opts o;
    loader_opts_init(&o);
    o.after = LOADER_AFTER_NO_RESET_STUB;
    o.no_stub = no_stub;
    struct loader *l = NULL;
    if (loader_open_port(&l, &w->base, &o, &e) != 0)
        fail_msg("connect: %s", e.msg);
    if (loader_attach(l, 0, &e) != 0)
        fail_msg("attach: %s", e.msg);
    *np = w;
    return l;
}

/* A byte damaged on its way to the chip: the stub rejects the block (bad
 * checksum), the block goes again, the write completes and verifies. */
static void test_block_resent_after_damage(void **state)
{
    (void)state;
    struct emu *emu = new_emu("esp32");
    struct noisy_port *np;
    struct loader *l = connect_noisy(emu, &np, false);
    uint32_t n = 0x30000;
    uint8_t *data = malloc(n);
    fill(data, n, 21);
    np->flip_tx = np->tx + 20000;   /* inside the second 16 KiB block */
    struct err e;
    if (loader_write(l, 0x40000, data, n, true, &e) != 0)
        fail_msg("write: %s", e.msg);
    assert_true(np->tx >= np->flip_tx);
    assert_true(l->resends >= 1);
    uint32_t fsize;
    assert_memory_equal(emu_flash(emu, &fsize) + 0x40000, data, n);
    free(data);
    loader_close(l);
    emu_close(emu);
}

/* A byte damaged on its way back in the middle of a READ_FLASH stream:
 * the read goes on from the damaged packet and ends with exact data. */
static void test_read_resumes_after_damage(void **state)
{
    (void)state;
    struct emu *emu = new_emu("esp32c3");
    struct noisy_port *np;
    struct loader *l = connect_noisy(emu, &np, false);
    uint32_t n = 0x20000;
    uint8_t *data = malloc(n), *back = malloc(n);
    fill(data, n, 33);
    struct err e;
    assert_int_equal(loader_write(l, 0x80000, data, n, true, &e), 0);
    unsigned before = l->resends;
    np->flip_rx = np->rx + 0x6100;   /* a data byte of the second chunk */
    if (loader_read(l, 0x80000, back, n, &e) != 0)
        fail_msg("read: %s", e.msg);
    assert_true(np->rx >= np->flip_rx);
    assert_true(l->resends > before);
    assert_memory_equal(back, data, n);
    free(data);
    free(back);
    loader_close(l);
    emu_close(emu);
}

/* Plain or deflated, by the bytes that go on the wire: random data does
 * not deflate, but a plain write pads its last block to the block size, so
 * 8000 random bytes go deflated (about 8 KiB) rather than as one padded
 * 16 KiB stub block (or 8 KiB of ROM blocks); 16 KiB (stub) or 8 KiB
 * (ROM) of random data fill their blocks exactly and go plain. */
static void write_size_case(bool no_stub, uint32_t n, bool want_deflate, uint64_t max_tx)
{
    struct emu *emu = new_emu("esp32c3");
    struct noisy_port *np;
    struct loader *l = connect_noisy(emu, &np, no_stub);
    uint8_t *data = malloc(n);
    uint32_t seed = 77;
    for (uint32_t i = 0; i < n; i++) {         /* noise: does not deflate */
        seed = seed * 1103515245u + 12345u;
        data[i] = (uint8_t)(seed >> 16);
    }
    uint64_t tx0 = np->tx;
    struct err e;
    if (loader_write(l, 0x20000, data, n, true, &e) != 0)
        fail_msg("write: %s", e.msg);
    assert_int_equal(l->last_zlen != 0, want_deflate);
    /* the request bytes of the write, less the MD5 check after it */
    uint64_t sent = np->tx - tx0;
    if (sent > max_tx)
        fail_msg("%s write of %u bytes sent %llu bytes (max %llu)", no_stub ? "ROM" : "stub",
                 n, (unsigned long long)sent, (unsigned long long)max_tx);
    assert_memory_equal(emu_flash(emu, NULL) + 0x20000, data, n);
    free(data);
    loader_close(l);
    emu_close(emu);
}

/* What a write sends besides its blocks and its MD5 check: the fence and
 * the guard's MD5s of the flash below it (loader_guard.c). */
#define GUARD_BYTES 150

static void test_write_plain_or_deflated_by_wire_bytes(void **state)
{
    (void)state;
    /* 8000 random bytes: deflated ~8010 B + escapes; plain would be 16 KiB */
    write_size_case(false, 8000, true, 8000 + 8000 / 64 + 200 + GUARD_BYTES);
    /* ROM: plain = 8 x 1 KiB blocks = 8192 B + headers; deflated is smaller */
    write_size_case(true, 8000, true, 8000 + 8000 / 64 + 300 + GUARD_BYTES);
    /* exact multiples of the block size: plain, no padding */
    write_size_case(false, 0x4000, false, 0x4000 + 0x4000 / 64 + 200 + GUARD_BYTES);
    write_size_case(true, 0x2000, false, 0x2000 + 0x2000 / 64 + 300 + GUARD_BYTES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_plain_or_deflated_by_wire_bytes),
        cmocka_unit_test(test_esp32_stub),
        cmocka_unit_test(test_esp32_rom),
        cmocka_unit_test(test_esp32c3_stub),
        cmocka_unit_test(test_esp32c3_rom),
        cmocka_unit_test(test_esp32s3_stub),
        cmocka_unit_test(test_esp32s2_stub),
        cmocka_unit_test(test_esp8266_stub),
        cmocka_unit_test(test_esp32p4_stub),
        cmocka_unit_test(test_stub_reused),
        cmocka_unit_test(test_wrong_chip),
        cmocka_unit_test(test_write_fault),
        cmocka_unit_test(test_flash_device),
        cmocka_unit_test(test_block_resent_after_damage),
        cmocka_unit_test(test_read_resumes_after_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
