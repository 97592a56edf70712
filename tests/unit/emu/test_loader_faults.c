/* The loader against the emulated chip over a faulty line, in-process: the
 * line faults of espemu --faults (lib/emu/emu_fault.h) applied to every
 * byte between them.
 *  - One bit flipped in one command (flip=): what the protocol cannot
 *    see.  A larger size or a higher offset is refused by the fenced chip;
 *    a lower offset reaches flash below the region and is reported (or
 *    undone where that flash was erased); an erase that went elsewhere
 *    does not pass for done.
 *  - A noisy line (0.1 % of the bytes dropped, 0.1 % damaged, both ways):
 *    connect, stub upload, write and MD5 get through, with exact flash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "emu_fault.h"
#include "loader.h"

#define MB (1024u * 1024u)
#define ADDR 0x10000u
#define LEN 0x10000u

/* A port between loader and emulator that passes every byte through the
 * fault injector, both ways. */
struct faulty {
    struct port base;
    struct port *inner;
    struct emu_faults f;
    uint8_t buf[2 * LOADER_FRAME_MAX + 64];
};

static size_t through(struct faulty *w, int dir, const uint8_t *in, size_t n, uint8_t *out)
{
    size_t done = 0, o = 0;
    while (done < n) {
        size_t got;
        struct emu_fault_event ev;
        done += emu_faults_apply(&w->f, dir, in + done, n - done, out + o, &got, &ev);
        o += got;
    }
    return o;
}

static int fy_read(struct port *p, void *b, size_t n, int t, struct err *e)
{
    struct faulty *w = (struct faulty *)p;
    for (;;) {
        int r = w->inner->ops->read(w->inner, w->buf, n < sizeof w->buf ? n : sizeof w->buf,
                                    t, e);
        if (r <= 0)
            return r;
        size_t o = through(w, EMU_FAULT_TX, w->buf, (size_t)r, b);
        if (o > 0)
            return (int)o;
        t = 0;   /* all of it dropped: what else is there */
    }
}

static int fy_write(struct port *p, const void *b, size_t n, struct err *e)
{
    struct faulty *w = (struct faulty *)p;
    assert_true(n <= sizeof w->buf);
    size_t o = through(w, EMU_FAULT_RX, b, n, w->buf);
    return w->inner->ops->write(w->inner, w->buf, o, e);
}

static int fy_baud(struct port *p, uint32_t baud, struct err *e)
{
    struct faulty *w = (struct faulty *)p;
    p->baud = baud;
    return w->inner->ops->set_baud(w->inner, baud, e);
}

static int fy_lines(struct port *p, bool dtr, bool rts, struct err *e)
{
    struct faulty *w = (struct faulty *)p;
    return w->inner->ops->set_lines(w->inner, dtr, rts, e);
}

static void fy_close(struct port *p)
{
    struct faulty *w = (struct faulty *)p;
    port_close(w->inner);
    free(w);
}

static const struct port_ops faulty_ops = { fy_read, fy_write, fy_baud, fy_lines, fy_close };

struct rig {
    struct emu *emu;
    struct loader *l;
    uint8_t *around;    /* the flash as it was before */
    uint8_t data[LEN];
};

/* The top byte of an LCG (the low ones repeat soon: bits 8-15 every 64 KiB). */
static uint32_t next(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 24;
}

/* An esp32 whose flash holds noise (or is erased), the loader connected
 * over a line with `faults`, the flash attached. */
static void rig_open(struct rig *r, const char *faults, bool no_stub, bool blank)
{
    struct err e;
    struct emu_options eo = { .chip = "esp32", .flash_size = 4 * MB };
    r->emu = emu_open(&eo, &e);
    assert_non_null(r->emu);
    uint32_t size, seed = 99;
    uint8_t *fl = (uint8_t *)emu_flash(r->emu, &size);
    for (uint32_t i = 0; i < size && !blank; i++)
        fl[i] = (uint8_t)next(&seed);
    r->around = malloc(size);
    memcpy(r->around, fl, size);
    for (uint32_t i = 0; i < LEN; i++)
        r->data[i] = (uint8_t)next(&seed);

    struct faulty *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->inner = emu_port_open(r->emu, false, &e);
    assert_non_null(w->inner);
    w->base = *w->inner;
    w->base.ops = &faulty_ops;
    if (emu_faults_parse(faults, &w->f, &e) != 0)
        fail_msg("%s", e.msg);
    struct loader_opts o;
    loader_opts_init(&o);
    o.before = LOADER_BEFORE_NO_RESET;
    o.after = LOADER_AFTER_NO_RESET_STUB;
    o.no_stub = no_stub;
    if (loader_open_port(&r->l, &w->base, &o, &e) != 0)
        fail_msg("connect: %s", e.msg);
    if (loader_attach(r->l, 0, &e) != 0)
        fail_msg("attach: %s", e.msg);
}

static void rig_close(struct rig *r)
{
    loader_close(r->l);
    emu_close(r->emu);
    free(r->around);
}

/* Whether the flash outside [ADDR, ADDR+LEN) is as it was. */
static bool around_kept(const struct rig *r)
{
    uint32_t size;
    const uint8_t *fl = emu_flash(r->emu, &size);
    return memcmp(fl, r->around, ADDR) == 0 &&
           memcmp(fl + ADDR + LEN, r->around + ADDR + LEN, size - ADDR - LEN) == 0;
}

static void written(const struct rig *r)
{
    assert_memory_equal(emu_flash(r->emu, NULL) + ADDR, r->data, LEN);
}

/* One write (or erase) of the region with one bit flipped in one command.
 * `area` NULL: it completes, the flash around intact; else it fails with
 * an error naming that area. */
static void flip_case(const char *faults, bool no_stub, bool blank, bool erase,
                      const char *area)
{
    struct rig r;
    rig_open(&r, faults, no_stub, blank);
    struct err e;
    int rc = erase ? loader_erase_region(r.l, ADDR, LEN, &e)
                   : loader_write(r.l, ADDR, r.data, LEN, false, &e);
    if (area) {
        assert_int_equal(rc, -1);
        assert_non_null(strstr(e.msg, "flash outside the region"));
        assert_non_null(strstr(e.msg, area));
    } else {
        if (rc != 0)
            fail_msg("%s: %s", faults, e.msg);
        if (!erase)
            written(&r);
        assert_true(around_kept(&r));
    }
    rig_close(&r);
}

/* flip=: exactly the bit asked for, of the command asked for, whatever
 * escapes come before it on the wire; never in a byte that is, or would
 * become, an escape. */
static void test_flip_spec(void **state)
{
    (void)state;
    struct emu_faults f;
    struct err e;
    assert_int_equal(emu_faults_parse("flip=0x02:2:5:2,flip=0x0B:0:6", &f, &e), 0);
    assert_true(emu_faults_active(&f));
    /* FLASH_BEGIN, data C0 DB 04 00 (escaped on the wire) twice, then
     * SPI_SET_PARAMS whose data byte 0x80 would become 0xC0. */
    static const uint8_t wire[] = {
        0xC0, 0x00, 0x02, 0x04, 0x00, 0, 0, 0, 0, 0xDB, 0xDC, 0xDB, 0xDD, 0x04, 0x00, 0xC0,
        0xC0, 0x00, 0x02, 0x04, 0x00, 0, 0, 0, 0, 0xDB, 0xDC, 0xDB, 0xDD, 0x04, 0x00, 0xC0,
        0xC0, 0x00, 0x0B, 0x01, 0x00, 0, 0, 0, 0, 0x80, 0xC0,
    };
    uint8_t out[sizeof wire];
    size_t got;
    struct emu_fault_event ev;
    assert_int_equal(emu_faults_apply(&f, EMU_FAULT_RX, wire, sizeof wire, out, &got, &ev),
                     sizeof wire);
    assert_int_equal(got, sizeof wire);
    for (size_t i = 0; i < sizeof wire; i++)
        assert_int_equal(out[i], i == 29 ? 0x24 : wire[i]);   /* 2nd BEGIN only */
    assert_int_equal(f.flipped, 1);
    static const char *bad[] = { "flip=2", "flip=0x100:0:0", "flip=2:0:8", "flip=2:0:0:0",
                                 "flip=2:0:0:1:1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(emu_faults_parse(bad[i], &f, &e), -1);
}

/* FLASH_BEGIN's size 0x10000 made 0x210000: the ROM refuses it. */
static void test_rom_size_refused(void **state)
{
    (void)state;
    flip_case("flip=0x02:2:5", true, false, false, NULL);
}

/* FLASH_BEGIN's offset 0x10000 made 0: the ROM erases and writes 0-0xffff. */
static void test_rom_offset_reported(void **state)
{
    (void)state;
    flip_case("flip=0x02:14:0", true, false, false, "at 0x00000000-0x0000ffff");
}

/* The same through the stub onto erased flash: erased again, and the
 * write completes. */
static void test_stub_offset_repaired(void **state)
{
    (void)state;
    flip_case("flip=0x02:14:0", false, true, false, NULL);
}

/* ERASE_REGION's offset made 0: the region stays as it was, which does
 * not pass for an erase, and what went instead is reported. */
static void test_stub_erase_elsewhere(void **state)
{
    (void)state;
    flip_case("flip=0xD1:2:0", false, false, true, "at 0x00000000-0x0000ffff");
}

/* The fence arrives damaged, too low (0x20000 made 0): the chip refuses
 * the region, the fence goes again. */
static void test_fence_damaged(void **state)
{
    (void)state;
    flip_case("flip=0x0B:6:1:2", true, false, false, NULL);
}

/* A noisy line through the whole session: exact flash, and the line's
 * damage counted in resends.  `rate`: of bytes dropped, and of bytes
 * damaged. */
static void noisy_write(bool no_stub, const char *rate, const char *seed)
{
    char spec[96];
    snprintf(spec, sizeof spec, "drop=%s,corrupt=%s,seed=%s", rate, rate, seed);
    struct rig r;
    rig_open(&r, spec, no_stub, true);
    struct err e;
    if (loader_write(r.l, ADDR, r.data, LEN, true, &e) != 0)
        fail_msg("%s write (seed %s): %s", no_stub ? "ROM" : "stub", seed, e.msg);
    written(&r);
    assert_true(around_kept(&r));
    assert_true(r.l->resends > 0);
    rig_close(&r);
}

static void test_noisy_stub(void **state)
{
    (void)state;
    noisy_write(false, "0.001", "1");
    noisy_write(false, "0.001", "2");
}

/* A ROM erases at BEGIN and refuses a block it has counted: after a
 * damaged block its whole sector goes again, which needs 4 KiB without a
 * damaged byte.  A tenth of the stub's noise, then. */
static void test_noisy_rom(void **state)
{
    (void)state;
    noisy_write(true, "0.0001", "3");
    noisy_write(true, "0.0001", "4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flip_spec),
        cmocka_unit_test(test_rom_size_refused),
        cmocka_unit_test(test_rom_offset_reported),
        cmocka_unit_test(test_stub_offset_repaired),
        cmocka_unit_test(test_stub_erase_elsewhere),
        cmocka_unit_test(test_fence_damaged),
        cmocka_unit_test(test_noisy_stub),
        cmocka_unit_test(test_noisy_rom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
