/* The emulated chip as emu.h shows it: opening and closing it, its input
 * (each SLIP frame goes to the ROM's or the stub's commands, by state) and
 * the accessors.  The top of lib/emu: nothing here is called from the files
 * below it (emu_rom.c, emu_stub.c, emu_core.c). */
#include "emu_impl.h"

#include <stdlib.h>
#include <strings.h>

#define DEFAULT_FLASH (4u << 20)
#define DEFAULT_EN_DELAY_MS 20u

/* ---- input --------------------------------------------------------------- */

static void handle_frame(struct emu *emu)
{
    struct slip_decoder *dec = &emu->dec;
    emu->stats.frames_in++;
    if (dec->overflow || dec->bad_escape) {
        emu_log(emu, "dropped a frame with a %s", dec->overflow ? "length overflow" : "bad escape");
        return;
    }
    if (emu->state == EMU_STUB) {
        emu_stub_frame(emu, emu->frame, dec->len);
        return;
    }
    if (dec->len < 8) {
        emu_log(emu, "ignored a %zu-byte frame", dec->len);
        return;
    }
    emu_rom_frame(emu, emu->frame, dec->len);
}

void emu_rx(struct emu *emu, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    for (size_t i = 0; i < len; i++) {
        if (emu->state != EMU_ROM && emu->state != EMU_STUB)
            continue;                           /* in reset or running the app */
        if (slip_feed(&emu->dec, p[i]))
            handle_frame(emu);
    }
}

/* ---- public -------------------------------------------------------------- */

int emu_parse_size(const char *s, uint32_t *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s)
        return -1;
    unsigned long long mul = 1;
    if (!strcasecmp(end, "MB") || !strcasecmp(end, "M"))
        mul = 1ull << 20;
    else if (!strcasecmp(end, "KB") || !strcasecmp(end, "K"))
        mul = 1ull << 10;
    else if (*end)
        return -1;
    v *= mul;
    if (v == 0 || v > 0x80000000ull)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

struct emu *emu_open(const struct emu_options *o, struct err *e)
{
    const struct emu_chip *c = emu_chip_find(o->chip ? o->chip : "");
    if (!c)
        return err_set(e, "unknown chip '%s' (esp32, esp32s2, esp32s3, esp32c2, esp32c3, "
                       "esp32c5, esp32c6, esp32c61, esp32h2, esp32p4, esp8266)",
                       o->chip ? o->chip : ""), NULL;
    uint32_t size = o->flash_size ? o->flash_size : DEFAULT_FLASH;
    if (size < 0x40000 || (size & (size - 1)))
        return err_set(e, "flash size %u: must be a power of two of at least 256KB", size), NULL;
    struct emu *emu = calloc(1, sizeof *emu);
    if (!emu)
        return err_set(e, "out of memory"), NULL;
    emu->chip = c;
    emu->en_delay_ms = o->en_delay_ms ? o->en_delay_ms : DEFAULT_EN_DELAY_MS;
    if (emu_flash_open(&emu->flash, o->flash_path, size, e) != 0) {
        free(emu);
        return NULL;
    }
    emu->en_high = true;
    emu_boot(emu, !o->boot_app, false, false);
    return emu;
}

void emu_close(struct emu *emu)
{
    if (!emu)
        return;
    emu_write_abort(emu);
    emu_read_abort(emu);
    emu_flash_close(&emu->flash);
    emu_ram_free(emu);
    free(emu->out);
    free(emu);
}

enum emu_state emu_state(const struct emu *emu)
{
    return emu->state;
}

const char *emu_state_name(enum emu_state s)
{
    switch (s) {
    case EMU_RESET: return "reset";
    case EMU_APP: return "app";
    case EMU_ROM: return "rom";
    case EMU_STUB: return "stub";
    }
    return "?";
}

const char *emu_chip_name(const struct emu *emu)
{
    return emu->chip->name;
}

uint32_t emu_baud(const struct emu *emu)
{
    return emu->baud;
}

const uint8_t *emu_flash(const struct emu *emu, uint32_t *size)
{
    if (size)
        *size = emu->flash.size;
    return emu->flash.mem;
}

void emu_take_busy(struct emu *emu, uint64_t *before_ns, uint64_t *after_ns)
{
    *after_ns = emu->busy_after_ns;
    *before_ns = emu->flash.busy_ns - emu->busy_after_ns;
    emu->flash.busy_ns = emu->busy_after_ns = 0;
}

void emu_fail_write_at(struct emu *emu, uint32_t addr)
{
    emu->flash.fail_armed = true;
    emu->flash.fail_addr = addr;
}

void emu_set_log(struct emu *emu, void (*fn)(void *ctx, const char *line), void *ctx)
{
    emu->log_fn = fn;
    emu->log_ctx = ctx;
}

void emu_get_stats(const struct emu *emu, struct emu_stats *st)
{
    *st = emu->stats;
}
