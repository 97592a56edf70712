/* The chip itself, below both command sets: its state and boot, the reset
 * circuit, the output queue, the log, and the work the ROM (emu_rom.c) and
 * the flasher stub (emu_stub.c) both do: checksums, MD5, inflated writes,
 * aborting a write or a READ_FLASH, jumping into uploaded RAM.  It calls
 * neither of them, so either command set can change without touching the
 * other. */
#include "bytes.h"
#include "emu_proto.h"
#include "hash.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROM_DEFAULT_FLASH (2u << 20)   /* ROMs assume 2 MB until SPI_SET_PARAMS */

/* ---- little helpers ------------------------------------------------------ */

uint32_t emu_checksum(const uint8_t *data, size_t len)
{
    uint32_t c = 0xEF;
    for (size_t i = 0; i < len; i++)
        c ^= data[i];
    return c;
}

void emu_log(struct emu *emu, const char *fmt, ...)
{
    if (!emu->log_fn)
        return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    emu->log_fn(emu->log_ctx, line);
}

int emu_md5_flash(struct emu *emu, uint32_t addr, uint32_t len, uint8_t out[16])
{
    struct hash_md5 *c = hash_md5_new();
    if (!c)
        return -1;
    uint8_t buf[4096];
    while (len > 0) {
        uint32_t n = len < sizeof buf ? len : (uint32_t)sizeof buf;
        emu_flash_read(&emu->flash, addr, buf, n);
        hash_md5_update(c, buf, n);
        addr += n;
        len -= n;
    }
    return hash_md5_end(c, out);
}

const char *emu_op_name(uint8_t op)
{
    switch (op) {
    case OP_FLASH_BEGIN: return "FLASH_BEGIN";
    case OP_FLASH_DATA: return "FLASH_DATA";
    case OP_FLASH_END: return "FLASH_END";
    case OP_MEM_BEGIN: return "MEM_BEGIN";
    case OP_MEM_END: return "MEM_END";
    case OP_MEM_DATA: return "MEM_DATA";
    case OP_SYNC: return "SYNC";
    case OP_WRITE_REG: return "WRITE_REG";
    case OP_READ_REG: return "READ_REG";
    case OP_SPI_SET_PARAMS: return "SPI_SET_PARAMS";
    case OP_SPI_ATTACH: return "SPI_ATTACH";
    case OP_READ_FLASH_SLOW: return "READ_FLASH_SLOW";
    case OP_CHANGE_BAUDRATE: return "CHANGE_BAUDRATE";
    case OP_FLASH_DEFL_BEGIN: return "FLASH_DEFL_BEGIN";
    case OP_FLASH_DEFL_DATA: return "FLASH_DEFL_DATA";
    case OP_FLASH_DEFL_END: return "FLASH_DEFL_END";
    case OP_SPI_FLASH_MD5: return "SPI_FLASH_MD5";
    case OP_GET_SECURITY_INFO: return "GET_SECURITY_INFO";
    case OP_ERASE_FLASH: return "ERASE_FLASH";
    case OP_ERASE_REGION: return "ERASE_REGION";
    case OP_READ_FLASH: return "READ_FLASH";
    case OP_RUN_USER_CODE: return "RUN_USER_CODE";
    default: return "unknown command";
    }
}

/* ---- output queue -------------------------------------------------------- */

void emu_out(struct emu *emu, const void *buf, size_t len)
{
    if (emu->out_len + len > emu->out_cap) {
        if (emu->out_head > 0) {          /* compact first */
            memmove(emu->out, emu->out + emu->out_head, emu->out_len - emu->out_head);
            emu->out_len -= emu->out_head;
            emu->out_head = 0;
        }
        if (emu->out_len + len > emu->out_cap) {
            size_t cap = emu->out_cap ? emu->out_cap : 4096;
            while (cap < emu->out_len + len)
                cap *= 2;
            uint8_t *p = realloc(emu->out, cap);
            if (!p) {
                emu_log(emu, "out of memory: %zu output bytes dropped", len);
                return;
            }
            emu->out = p;
            emu->out_cap = cap;
        }
    }
    memcpy(emu->out + emu->out_len, buf, len);
    emu->out_len += len;
}

void emu_out_text(struct emu *emu, const char *s)
{
    emu_out(emu, s, strlen(s));
}

void emu_send_frame(struct emu *emu, const uint8_t *payload, size_t len)
{
    uint8_t enc[2 * (8 + 64 + 4096 + 16) + 2];
    if (2 * len + 2 > sizeof enc) {
        emu_log(emu, "internal: frame of %zu bytes too long", len);
        return;
    }
    size_t n = slip_encode(payload, len, enc);
    emu_out(emu, enc, n);
    emu->stats.frames_out++;
}

/* Drop what the UART has not sent yet (its FIFO is reset with the chip). */
static void out_drop(struct emu *emu)
{
    emu->out_taken += emu->out_len - emu->out_head;
    emu->out_head = emu->out_len = 0;
    if (emu->baud_switch) {
        emu->baud = emu->next_baud;
        emu->baud_switch = false;
    }
}

size_t emu_tx_pending(const struct emu *emu)
{
    return emu->out_len - emu->out_head;
}

size_t emu_tx(struct emu *emu, void *buf, size_t cap)
{
    size_t avail = emu->out_len - emu->out_head;
    size_t n = avail < cap ? avail : cap;
    if (emu->baud_switch) {
        uint64_t until = emu->baud_mark - emu->out_taken;
        if (n > until)
            n = (size_t)until;
    }
    memcpy(buf, emu->out + emu->out_head, n);
    emu->out_head += n;
    emu->out_taken += n;
    if (emu->out_head == emu->out_len)
        emu->out_head = emu->out_len = 0;
    if (emu->baud_switch && emu->out_taken >= emu->baud_mark) {
        emu->baud = emu->next_baud;
        emu->baud_switch = false;
        emu_log(emu, "UART now at %u baud", emu->baud);
    }
    return n;
}

/* The new baud applies to the bytes queued after this point. */
void emu_switch_baud(struct emu *emu, uint32_t baud)
{
    emu->next_baud = baud;
    emu->baud_mark = emu->out_taken + (emu->out_len - emu->out_head);
    emu->baud_switch = true;
    if (emu->baud_mark == emu->out_taken) {
        emu->baud = baud;
        emu->baud_switch = false;
    }
}

/* ---- writes and reads (ROM and stub share the inflate path) -------------- */

void emu_write_abort(struct emu *emu)
{
    if (emu->wr.z_live)
        inflateEnd(&emu->wr.z);
    memset(&emu->wr, 0, sizeof emu->wr);
}

int emu_write_begin(struct emu *emu, uint32_t offset, uint32_t size, uint32_t blocks,
                    uint32_t block_size, bool compressed)
{
    emu_write_abort(emu);
    struct emu_write *w = &emu->wr;
    w->active = true;
    w->compressed = compressed;
    w->start = w->offset = offset;
    w->remaining = size;
    w->num_blocks = blocks;
    w->block_size = block_size;
    w->erase_next = offset & ~0xFFFu;
    w->erase_end = (uint32_t)(((uint64_t)offset + size + 0xFFF) & ~(uint64_t)0xFFF);
    if (compressed) {
        if (inflateInit(&w->z) != Z_OK)
            return -1;
        w->z_live = true;
    }
    return 0;
}

/* Inflate a chunk of the zlib stream, handing the output to `sink`.
 * Returns 0, -1 (inflate error) or the sink's error. */
int emu_inflate(struct emu *emu, const uint8_t *in, size_t len,
                int (*sink)(struct emu *, const uint8_t *, uint32_t))
{
    struct emu_write *w = &emu->wr;
    if (!w->z_live || w->inflate_done)
        return 0;                               /* trailing data is ignored */
    static uint8_t out[0x8000];
    w->z.next_in = (Bytef *)(uintptr_t)in;
    w->z.avail_in = (uInt)len;
    for (;;) {
        w->z.next_out = out;
        w->z.avail_out = sizeof out;
        int r = inflate(&w->z, Z_NO_FLUSH);
        uint32_t produced = (uint32_t)(sizeof out - w->z.avail_out);
        if (produced) {
            int rc = sink(emu, out, produced);
            if (rc)
                return rc;
        }
        if (r == Z_STREAM_END) {
            w->inflate_done = true;
            return 0;
        }
        if (r == Z_BUF_ERROR || (r == Z_OK && w->z.avail_in == 0 && w->z.avail_out > 0))
            return 0;                           /* needs more input */
        if (r != Z_OK) {
            emu_log(emu, "inflate error %d (%s)", r, w->z.msg ? w->z.msg : "?");
            return -1;
        }
    }
}
void emu_read_abort(struct emu *emu)
{
    hash_md5_free(emu->rd.md5);
    memset(&emu->rd, 0, sizeof emu->rd);
}

/* ---- boot ---------------------------------------------------------------- */

static void reset_state(struct emu *emu)
{
    emu_write_abort(emu);
    emu_read_abort(emu);
    memset(&emu->regs, 0, sizeof emu->regs);
    memcpy(emu->regs.sr, emu->sr_nv, sizeof emu->regs.sr);   /* volatile bits start as stored */
    memset(emu->rom_buf, 0, sizeof emu->rom_buf);
    memset(emu->rom_req, 0, sizeof emu->rom_req);
    emu->rom_op = 0;
    emu->rom_repeat = 1;
    emu->rom_err = 0;
    emu->rom_seq = 0;
    emu->rom_value = 0;
    emu->rom_attached = false;
    emu->rom_flash_size = emu->chip->rom_esp32_family ? ROM_DEFAULT_FLASH : emu->flash.size;
    emu->stub_pending = 0;
    emu->stub_flash_size = emu->flash.size;
    emu->mem_active = false;
    emu->nregions = 0;
    emu->baud = 115200;
    emu->baud_switch = false;
    slip_decoder_init(&emu->dec, emu->frame, sizeof emu->frame);
}

/* What a flash boot prints after the ROM's reset line. */
void emu_app_boot_log(struct emu *emu)
{
    const struct emu_chip *c = emu->chip;
    char line[160];
    uint8_t h[32];
    emu_flash_read(&emu->flash, c->bootloader_offset, h, sizeof h);
    if (c->status_len == 2) {                   /* ESP8266 */
        if (h[0] == 0xE9 || h[0] == 0xEA) {
            snprintf(line, sizeof line, "load 0x%08x, len %u, room 16 \r\n",
                     get_le32(h + 8), get_le32(h + 12));
            emu_out_text(emu, line);
            emu_out_text(emu, "espemu: the application would run now (not emulated)\r\n");
        } else {
            emu_out_text(emu, "ets_main.c 371 \r\n");
        }
        return;
    }
    if (!strcmp(c->name, "esp32"))
        emu_out_text(emu, "configsip: 0, SPIWP:0xee\r\n"
                          "clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,"
                          "wp_drv:0x00\r\n"
                          "mode:DIO, clock div:2\r\n");
    else
        emu_out_text(emu, "SPIWP:0xee\r\nmode:DIO, clock div:1\r\n");
    if (h[0] == 0xE9) {
        snprintf(line, sizeof line, "load:0x%08x,len:%u\r\nentry 0x%08x\r\n",
                 get_le32(h + 24), get_le32(h + 28), get_le32(h + 4));
        emu_out_text(emu, line);
        emu_out_text(emu, "espemu: the application would run now (not emulated)\r\n");
    } else {
        snprintf(line, sizeof line, "invalid header: 0x%08x\r\n", get_le32(h));
        for (int i = 0; i < 3; i++)
            emu_out_text(emu, line);
    }
}

/* The ROM starts: fresh state, the reset banner, then download mode or the
 * app.  keep_output: a software reset lets the UART finish first. */
void emu_boot(struct emu *emu, bool download, bool software, bool keep_output)
{
    const struct emu_chip *c = emu->chip;
    if (!keep_output)
        out_drop(emu);
    reset_state(emu);
    emu->stats.resets++;
    char line[200];
    const char *rst = software ? c->rst_sw : c->rst_poweron;
    const char *mode = download ? c->boot_download : c->boot_flash;
    if (c->status_len == 2)                     /* ESP8266 style */
        snprintf(line, sizeof line, "%srst cause:%s, boot mode:%s\r\n", c->banner, rst, mode);
    else
        snprintf(line, sizeof line, "%srst:%s,boot:%s\r\n", c->banner, rst, mode);
    emu_out_text(emu, line);
    if (download) {
        emu_out_text(emu, c->waiting);
        emu->state = EMU_ROM;
    } else {
        emu_app_boot_log(emu);
        emu->state = EMU_APP;
    }
    emu_log(emu, "%s reset: %s", software ? "software" : "chip",
            download ? "download mode" : "booting the app");
}

void emu_power_on(struct emu *emu, bool download)
{
    emu->boot_pending = false;
    emu->en_high = true;
    emu_boot(emu, download, false, false);
}

void emu_set_lines(struct emu *emu, bool dtr, bool rts, uint64_t now_ms)
{
    /* A boot that fell due while nobody ticked happened with the lines as
     * they were then: the chip samples GPIO0 when it leaves reset, not when
     * the host next changes a line (the host sleeps inside its reset
     * sequences between edges). */
    emu_tick(emu, now_ms);
    emu->dtr = dtr;
    emu->rts = rts;
    bool en = !(rts && !dtr);
    if (!en) {
        if (emu->state != EMU_RESET) {
            emu_log(emu, "EN low: chip held in reset");
            out_drop(emu);
        }
        emu->state = EMU_RESET;
        emu->en_high = false;
        emu->boot_pending = false;
        return;
    }
    if (!emu->en_high) {
        emu->en_high = true;
        emu->boot_pending = true;
        emu->boot_at = now_ms + emu->en_delay_ms;
    }
}

void emu_tick(struct emu *emu, uint64_t now_ms)
{
    if (emu->boot_pending && now_ms >= emu->boot_at) {
        emu->boot_pending = false;
        bool gpio0_low = emu->dtr && !emu->rts;
        emu_boot(emu, gpio0_low, false, false);
    }
}

int emu_next_event_ms(const struct emu *emu, uint64_t now_ms)
{
    if (!emu->boot_pending)
        return -1;
    if (emu->boot_at <= now_ms)
        return 0;
    uint64_t d = emu->boot_at - now_ms;
    return d > 1000000 ? 1000000 : (int)d;
}

/* ---- running uploaded code ----------------------------------------------- */

static void start_stub(struct emu *emu, uint32_t entry)
{
    emu_write_abort(emu);
    emu_read_abort(emu);
    emu->state = EMU_STUB;
    emu->stub_pending = 0;
    emu->stub_flash_size = emu->flash.size;
    emu->mem_active = false;
    emu->stats.stub_starts++;
    emu_log(emu, "jumping to 0x%08X: flasher stub running", entry);
    static const uint8_t ohai[4] = { 'O', 'H', 'A', 'I' };
    emu_send_frame(emu, ohai, sizeof ohai);
}

/* What identifies code: a CRC of the 256 bytes RAM holds at its entry. */
static uint32_t fingerprint(const struct emu *emu, uint32_t entry)
{
    uint32_t crc = (uint32_t)crc32(0, NULL, 0);
    for (uint32_t i = 0; i < 256; i += 4) {
        uint8_t w[4] = { 0 };
        uint32_t v;
        if (emu_ram_read32(emu, entry + i, &v))
            w[0] = (uint8_t)v, w[1] = (uint8_t)(v >> 8), w[2] = (uint8_t)(v >> 16),
            w[3] = (uint8_t)(v >> 24);
        crc = (uint32_t)crc32(crc, w, 4);
    }
    return crc;
}

/* A program the stub loaded (esptool load_ram) starts: the emulator says
 * so on the UART and, like the chip, no longer answers the loader. */
static void run_program(struct emu *emu, uint32_t entry)
{
    char line[120];
    emu_log(emu, "jumping to 0x%08X: RAM program running", entry);
    snprintf(line, sizeof line, "espemu: RAM program running at 0x%08x (not emulated)\r\n",
             entry);
    emu_out_text(emu, line);
    emu->state = EMU_APP;
}

/* MEM_END(0, entry): run code at entry.  The emulator cannot execute it: if
 * entry lies in RAM that MEM_DATA filled, code the ROM jumps to is taken to
 * be a flasher stub, and so is the same stub loaded again while it runs;
 * other code the stub jumps to is a program (load_ram); otherwise the CPU
 * faults and the chip resets (back to download mode). */
void emu_jump(struct emu *emu, uint32_t entry)
{
    for (unsigned i = 0; i < emu->nregions; i++) {
        const struct emu_region *r = &emu->regions[i];
        if (entry - r->addr < r->len) {
            uint32_t print = fingerprint(emu, entry);
            if (emu->state == EMU_STUB && print != emu->stub_print) {
                run_program(emu, entry);
                return;
            }
            emu->stub_print = print;
            start_stub(emu, entry);
            return;
        }
    }
    emu_log(emu, "jump to 0x%08X outside uploaded RAM: CPU exception", entry);
    char line[160];
    snprintf(line, sizeof line, "Guru Meditation Error: Core  0 panic'ed (InstrFetchProhibited). "
             "PC 0x%08x\r\n\r\n", entry);
    emu_out_text(emu, line);
    emu_boot(emu, true, true, true);
}

void emu_mem_region(struct emu *emu, uint32_t addr, uint32_t len)
{
    if (len == 0)
        return;
    /* RAM is RAM: a load that starts again inside one already made (after
     * a failed block) adds nothing, however often it happens. */
    for (unsigned i = 0; i < emu->nregions; i++) {
        struct emu_region *r = &emu->regions[i];
        if (addr - r->addr <= r->len) {
            uint64_t end = (uint64_t)addr + len;
            if (end > (uint64_t)r->addr + r->len)
                r->len = (uint32_t)(end - r->addr);
            return;
        }
    }
    if (emu->nregions == EMU_MAX_REGIONS)
        memmove(emu->regions, emu->regions + 1, sizeof emu->regions[0] * (EMU_MAX_REGIONS - 1));
    else
        emu->nregions++;
    emu->regions[emu->nregions - 1] = (struct emu_region){ addr, len };
}

