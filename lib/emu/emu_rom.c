/* The ROM serial loader's commands, as the real ROMs answer them (the reply
 * buffer, status bytes and error codes below follow rom-transcripts).  The
 * chip state and the work shared with the stub are in emu_core.c.
 *
 * Request frame:  00 op size:u16 checksum:u32 data[size]
 * Reply frame:    01 op size:u16 value:u32 data[size]   (data ends with the
 *                 status bytes: 2 on ESP8266 and stubs, 4 on other ROMs)
 * (protocol doc §1.2-1.4) */
#include "bytes.h"
#include "emu_proto.h"

#include <string.h>

/* ---- ROM replies --------------------------------------------------------- */

/* The ROM's status bytes, as the real ROMs answer (rom-transcripts and
 * recordings of the ESP32 and ESP32-C3 ROMs in QEMU):
 *  - one reply buffer: the payload first, the status right after it; the
 *    status bytes a reply does not write (3 and 4) keep what the buffer
 *    held, e.g. flash data from an earlier READ_FLASH_SLOW;
 *  - byte 1 = failed, byte 2 = an error variable that only failures set:
 *    the download commands (FLASH_*, MEM_*, DEFL_*, GET_SECURITY_INFO)
 *    leave it alone on success ("00 05" after an error 05), the others
 *    clear it;
 *  - the header `value` is only set by READ_REG and SYNC. */
static bool rom_keeps_err(uint8_t op)
{
    switch (op) {
    case OP_FLASH_BEGIN: case OP_FLASH_DATA: case OP_FLASH_END:
    case OP_MEM_BEGIN: case OP_MEM_DATA: case OP_MEM_END:
    case OP_FLASH_DEFL_BEGIN: case OP_FLASH_DEFL_DATA: case OP_FLASH_DEFL_END:
    case OP_GET_SECURITY_INFO:
        return true;
    default:
        return false;
    }
}

/* Send the reply (payload already in rom_buf) rom_repeat times. */
static void rom_send(struct emu *emu, size_t plen, uint8_t failed)
{
    emu->rom_buf[plen] = failed;
    emu->rom_buf[plen + 1] = emu->rom_err;
    size_t n = plen + emu->chip->status_len;
    uint8_t f[8 + sizeof emu->rom_buf];
    f[0] = 0x01;
    f[1] = emu->rom_op;
    f[2] = (uint8_t)n;
    f[3] = (uint8_t)(n >> 8);
    put_le32(f + 4, emu->rom_value);
    memcpy(f + 8, emu->rom_buf, n);
    for (unsigned i = 0; i < emu->rom_repeat; i++)
        emu_send_frame(emu, f, 8 + n);
}

/* A reply to a command the ROM knows: plen payload bytes, then the status. */
static void rom_reply(struct emu *emu, uint8_t op, size_t plen, uint8_t failed, uint8_t error)
{
    emu->rom_op = op;
    emu->rom_repeat = op == OP_SYNC ? 8 : 1;
    if (failed)
        emu->rom_err = error;
    else if (!rom_keeps_err(op))
        emu->rom_err = 0;
    rom_send(emu, plen, failed);
}

static void rom_ok(struct emu *emu, uint8_t op)
{
    rom_reply(emu, op, 0, 0, 0);
}

static void rom_fail_len(struct emu *emu, uint8_t op, size_t plen, uint8_t error)
{
    emu_log(emu, "ROM %s failed: error 0x%02X", emu_op_name(op), error);
    rom_reply(emu, op, plen, 1, error);
}

static void rom_fail(struct emu *emu, uint8_t op, uint8_t error)
{
    rom_fail_len(emu, op, 0, error);
}

/* An opcode this ROM does not implement: error 05 in a copy of the previous
 * reply's header, as many times as that reply was sent (8 right after
 * SYNC, else 1). */
static void rom_unknown(struct emu *emu, uint8_t op)
{
    emu_log(emu, "ROM: unknown command 0x%02X", op);
    emu->rom_err = ROM_ERR_BAD_FORMAT;
    rom_send(emu, 0, 1);
}

static bool rom_supports(const struct emu_chip *c, uint8_t op)
{
    if (op >= OP_FLASH_BEGIN && op <= OP_READ_REG)
        return true;
    if (op == OP_GET_SECURITY_INFO)
        return c->secinfo_len > 0;
    if (!c->rom_esp32_family)
        return false;
    switch (op) {
    case OP_SPI_SET_PARAMS: case OP_SPI_ATTACH: case OP_READ_FLASH_SLOW:
    case OP_CHANGE_BAUDRATE: case OP_FLASH_DEFL_BEGIN: case OP_FLASH_DEFL_DATA:
    case OP_FLASH_DEFL_END: case OP_SPI_FLASH_MD5:
        return true;
    default:
        return false;
    }
}

/* Flash access through the ROM: the SPI flash must be attached (ESP32
 * family) and inside the size set by SPI_SET_PARAMS (2 MB by default). */
static int rom_flash_check(struct emu *emu, uint8_t op, uint32_t addr, uint32_t len)
{
    if (!emu->chip->rom_esp32_family)
        return 0;
    if (!emu->rom_attached) {
        emu_log(emu, "ROM %s: SPI flash not attached (send SPI_ATTACH first)", emu_op_name(op));
        return -1;
    }
    if ((uint64_t)addr + len > emu->rom_flash_size) {
        emu_log(emu, "ROM %s: 0x%X+0x%X is beyond the flash size the ROM knows (0x%X; "
                "send SPI_SET_PARAMS)", emu_op_name(op), addr, len, emu->rom_flash_size);
        return -1;
    }
    return 0;
}
/* ROM: program a block and read it back, as the ROM does (error 0x08). */
static int rom_program(struct emu *emu, uint32_t addr, const uint8_t *data, uint32_t len)
{
    if (emu_flash_program(&emu->flash, addr, data, len) != 0) {
        emu_log(emu, "injected flash write failure at 0x%X", addr);
        return ROM_ERR_FLASH_WRITE;
    }
    if (!emu_flash_is(&emu->flash, addr, data, len)) {
        emu_log(emu, "ROM: read-back of 0x%X+0x%X differs (flash not erased?)", addr, len);
        return ROM_ERR_FLASH_WRITE;
    }
    emu->stats.bytes_written += len;
    return 0;
}

static int rom_inflate_sink(struct emu *emu, const uint8_t *data, uint32_t len)
{
    if (rom_flash_check(emu, OP_FLASH_DEFL_DATA, emu->wr.offset, len))
        return ROM_ERR_FLASH_WRITE;
    int rc = rom_program(emu, emu->wr.offset, data, len);
    emu->wr.offset += len;
    return rc;
}

/* ---- ROM commands -------------------------------------------------------- */

/* ESP32 and ESP8266 ROMs take the 16-byte BEGIN, the later ROMs only the
 * 20-byte one (with the encrypted flag): anything else is error 05. */
static bool begin_size_ok(const struct emu_chip *c, size_t n)
{
    return n == (c->rom_begin20 ? 20u : 16u);
}

/* ESP8266 ROM erase-size bug (protocol doc §2.2): asked for m sectors from
 * sector s, it erases m + min(16 - s % 16, m) sectors.  esptool sends a
 * corrected size so that the intended range ends up erased. */
static uint32_t esp8266_erase_len(uint32_t offset, uint32_t erase_size)
{
    uint32_t m = (uint32_t)(((uint64_t)erase_size + 0xFFF) / 0x1000);
    uint32_t head = 16 - (offset / 0x1000) % 16;
    return (m + (head < m ? head : m)) * 0x1000u;
}

/* BEGIN on the ESP32-family ROMs: the offset must be sector aligned and,
 * even with nothing to erase, inside the flash size the ROM knows. */
static int rom_begin_check(struct emu *emu, uint8_t op, uint32_t offset, uint32_t erase)
{
    if (!emu->chip->rom_esp32_family)
        return 0;
    if (offset & 0xFFF) {
        emu_log(emu, "ROM %s: offset 0x%X is not 4 KiB aligned", emu_op_name(op), offset);
        return -1;
    }
    if (erase)
        return rom_flash_check(emu, op, offset, erase);
    if (offset > emu->rom_flash_size) {
        emu_log(emu, "ROM %s: offset 0x%X is beyond the flash size the ROM knows (0x%X)",
                emu_op_name(op), offset, emu->rom_flash_size);
        return -1;
    }
    return 0;
}

static void rom_flash_begin(struct emu *emu, uint8_t op, const uint8_t *d, size_t n)
{
    const struct emu_chip *c = emu->chip;
    if (!begin_size_ok(c, n)) {
        emu_log(emu, "ROM %s: %zu-byte request (this ROM takes %s)", emu_op_name(op), n,
                c->rom_begin20 ? "exactly 20" : "exactly 16");
        rom_fail(emu, op, ROM_ERR_BAD_FORMAT);
        return;
    }
    uint32_t size = get_le32(d), blocks = get_le32(d + 4), bsize = get_le32(d + 8);
    uint32_t offset = get_le32(d + 12);
    if (n == 20 && get_le32(d + 16))
        emu_log(emu, "ROM: encrypted write requested; stored as plain data");
    if (bsize > EMU_MAX_BLOCK) {
        rom_fail(emu, op, ROM_ERR_INVALID_PARAM);
        return;
    }
    uint32_t erase = size;
    if (!c->rom_esp32_family)
        erase = size ? esp8266_erase_len(offset, size) : 0;
    if (rom_begin_check(emu, op, offset, erase)) {
        rom_fail(emu, op, ROM_ERR_EXEC);
        return;
    }
    emu_flash_erase(&emu->flash, offset, erase);
    bool compressed = op == OP_FLASH_DEFL_BEGIN;
    if (emu_write_begin(emu, offset, size, blocks, bsize, compressed) != 0) {
        rom_fail(emu, op, ROM_ERR_EXEC);
        return;
    }
    emu->rom_seq = 0;
    emu_log(emu, "ROM %s 0x%X size 0x%X, %u blocks of 0x%X; erased 0x%X", emu_op_name(op),
            offset, size, blocks, bsize, erase);
    rom_ok(emu, op);
}

/* The checks FLASH_DATA, FLASH_DEFL_DATA and MEM_DATA share, in the ROM's
 * order: the seq must be the expected one (error 05, whatever the data),
 * the length right (05), the checksum right (07).  A block that gets past
 * the seq check advances the expected seq even when its checksum fails, so
 * a resend of that block is refused (05): only a new BEGIN helps.  Returns
 * the data length, or -1 after sending the error. */
static long rom_data_check(struct emu *emu, uint8_t op, uint32_t csum, const uint8_t *d, size_t n)
{
    if (n < 16) {
        rom_fail(emu, op, ROM_ERR_BAD_FORMAT);
        return -1;
    }
    uint32_t dlen = get_le32(d), seq = get_le32(d + 4);
    if (seq != emu->rom_seq) {
        emu_log(emu, "ROM %s: seq %u, expected %u", emu_op_name(op), seq, emu->rom_seq);
        rom_fail(emu, op, ROM_ERR_BAD_FORMAT);
        return -1;
    }
    if (dlen != n - 16) {
        rom_fail(emu, op, ROM_ERR_BAD_FORMAT);
        return -1;
    }
    emu->rom_seq++;
    if (emu_checksum(d + 16, dlen) != csum) {
        rom_fail(emu, op, ROM_ERR_CHECKSUM);
        return -1;
    }
    return (long)dlen;
}

/* Blocks are written one after the other from the BEGIN offset (a block
 * that failed its checksum takes no room), and read back: past the erased
 * range the read-back differs unless the flash happened to be erased there
 * already (error 08).  The block count is not checked. */
static void rom_flash_data(struct emu *emu, uint8_t op, uint32_t csum, const uint8_t *d, size_t n)
{
    struct emu_write *w = &emu->wr;
    bool compressed = op == OP_FLASH_DEFL_DATA;
    long got = rom_data_check(emu, op, csum, d, n);
    if (got < 0)
        return;
    uint32_t dlen = (uint32_t)got;
    const uint8_t *data = d + 16;
    if (!w->active || w->compressed != compressed) {
        rom_fail(emu, op, emu->chip->err_no_begin);
        return;
    }
    int rc;
    if (compressed) {
        rc = emu_inflate(emu, data, dlen, rom_inflate_sink);
        if (rc == -1)
            rc = ROM_ERR_DEFLATE;
    } else {
        if (rom_flash_check(emu, op, w->offset, dlen)) {
            rc = ROM_ERR_FLASH_WRITE;
        } else {
            rc = rom_program(emu, w->offset, data, dlen);
            w->offset += dlen;
        }
    }
    if (rc) {
        w->failed = true;
        rom_fail(emu, op, (uint8_t)rc);
        return;
    }
    rom_ok(emu, op);
}

/* What "run user code" prints: the ESP32 ROM goes through its flash boot
 * (SPI config lines, then the image), the newer ROMs say "user code done"
 * and jump. */
static void rom_run_user_code(struct emu *emu)
{
    emu_log(emu, "ROM: leaving the loader, running the app");
    const struct emu_chip *c = emu->chip;
    if (!strcmp(c->name, "esp32")) {
        emu_app_boot_log(emu);
    } else {
        if (c->rom_esp32_family)
            emu_out_text(emu, "user code done\r\n");
        emu_out_text(emu, "espemu: the application would run now (not emulated)\r\n");
    }
    emu->state = EMU_APP;
}

/* FLASH_END / FLASH_DEFL_END: error 06 unless a write of that kind is open
 * and none of its blocks failed; either way the flag is obeyed (the real
 * ROM starts the app after answering 01 06). */
static void rom_flash_end(struct emu *emu, uint8_t op, const uint8_t *d, size_t n)
{
    if (n != 4) {
        rom_fail(emu, op, ROM_ERR_BAD_FORMAT);
        return;
    }
    const struct emu_write *w = &emu->wr;
    bool ok = w->active && !w->failed && w->compressed == (op == OP_FLASH_DEFL_END);
    uint32_t run_user_code = get_le32(d);
    emu_write_abort(emu);
    if (ok)
        rom_ok(emu, op);
    else
        rom_fail(emu, op, ROM_ERR_EXEC);
    if (run_user_code) {
        rom_run_user_code(emu);
    } else {
        /* A software reset keeps the latched strapping: download mode again. */
        emu_boot(emu, true, true, true);
    }
}

static void rom_mem(struct emu *emu, uint8_t op, uint32_t csum, const uint8_t *d, size_t n)
{
    if (op == OP_MEM_BEGIN) {
        if (n != 16) {
            rom_fail(emu, op, ROM_ERR_BAD_FORMAT);
            return;
        }
        emu->mem_active = true;
        emu->mem_remaining = get_le32(d);
        emu->mem_addr = get_le32(d + 12);
        emu->rom_seq = 0;
        emu_mem_region(emu, emu->mem_addr, emu->mem_remaining);
        emu_log(emu, "ROM MEM_BEGIN 0x%08X size 0x%X", emu->mem_addr, emu->mem_remaining);
        rom_ok(emu, op);          /* keeps the error byte: "00 05 ff ff" */
        return;
    }
    if (op == OP_MEM_DATA) {
        long got = rom_data_check(emu, op, csum, d, n);
        if (got < 0)
            return;
        uint32_t dlen = (uint32_t)got;
        if (!emu->mem_active) {
            rom_fail(emu, op, emu->chip->err_no_begin);
            return;
        }
        if (dlen > emu->mem_remaining) {
            rom_fail(emu, op, ROM_ERR_RAM_SIZE);
            return;
        }
        if (!emu_ram_write(emu, emu->mem_addr, d + 16, dlen))
            emu_log(emu, "RAM: no room for 0x%X bytes at 0x%08X (dropped)", dlen, emu->mem_addr);
        emu->mem_addr += dlen;
        emu->mem_remaining -= dlen;
        rom_ok(emu, op);
        return;
    }
    /* MEM_END: flag (0 = run), entry */
    if (n != 8) {
        rom_fail(emu, op, ROM_ERR_BAD_FORMAT);
        return;
    }
    uint32_t no_run = get_le32(d), entry = get_le32(d + 4);
    emu->mem_active = false;
    rom_ok(emu, op);
    if (!no_run)
        emu_jump(emu, entry);
}

/* SYNC: the ROMs answer any SYNC 8 times (QEMU recordings: the 36-byte
 * pattern, the 4-byte magic alone, no data, even a wrong pattern), with
 * the request's first data word as `value` (0x20120707 for the real
 * pattern; stale from the request buffer when the SYNC is shorter). */
static void rom_sync(struct emu *emu)
{
    emu->rom_value = get_le32(emu->rom_req);
    rom_ok(emu, OP_SYNC);
}

static void rom_security_info(struct emu *emu)
{
    const struct emu_chip *c = emu->chip;
    uint8_t *b = emu->rom_buf;
    memset(b, 0, 12);                           /* flags, crypt count, key purposes */
    b[11] = c->key_purpose6;
    if (c->secinfo_len >= 20) {
        put_le32(b + 12, c->chip_id);
        put_le32(b + 16, c->api_version);
    }
    rom_reply(emu, OP_GET_SECURITY_INFO, c->secinfo_len, 0, 0);
}

/* SPI_FLASH_MD5: 32 hex characters.  A failure still sends the 32 bytes
 * (whatever the buffer holds) before the status; past the end of the
 * flash (or unattached) it is a read error, 09. */
static void rom_md5(struct emu *emu, const uint8_t *d, size_t n)
{
    if (n != 16) {
        rom_fail_len(emu, OP_SPI_FLASH_MD5, 32, ROM_ERR_BAD_FORMAT);
        return;
    }
    uint32_t addr = get_le32(d), len = get_le32(d + 4);
    uint8_t md5[16];
    if (rom_flash_check(emu, OP_SPI_FLASH_MD5, addr, len) || emu_md5_flash(emu, addr, len, md5)) {
        rom_fail_len(emu, OP_SPI_FLASH_MD5, 32, ROM_ERR_FLASH_READ);
        return;
    }
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        emu->rom_buf[2 * i] = (uint8_t)hex[md5[i] >> 4];
        emu->rom_buf[2 * i + 1] = (uint8_t)hex[md5[i] & 15];
    }
    emu->stats.bytes_read += len;
    rom_reply(emu, OP_SPI_FLASH_MD5, 32, 0, 0);
}

/* READ_FLASH_SLOW: up to 64 bytes read into the reply buffer; the reply
 * always carries 64 bytes, the rest being whatever the buffer held, and so
 * does a failed one (0A: more than 64 asked, 09: past the flash). */
static void rom_read_slow(struct emu *emu, const uint8_t *d, size_t n)
{
    if (n != 8) {
        rom_fail_len(emu, OP_READ_FLASH_SLOW, 64, ROM_ERR_BAD_FORMAT);
        return;
    }
    uint32_t addr = get_le32(d), len = get_le32(d + 4);
    if (len > 64) {
        rom_fail_len(emu, OP_READ_FLASH_SLOW, 64, ROM_ERR_READ_LEN);
        return;
    }
    if (rom_flash_check(emu, OP_READ_FLASH_SLOW, addr, len)) {
        rom_fail_len(emu, OP_READ_FLASH_SLOW, 64, ROM_ERR_FLASH_READ);
        return;
    }
    emu_flash_read(&emu->flash, addr, emu->rom_buf, len);
    emu->stats.bytes_read += len;
    rom_reply(emu, OP_READ_FLASH_SLOW, 64, 0, 0);
}

void emu_rom_frame(struct emu *emu, const uint8_t *f, size_t len)
{
    uint8_t op = f[1];
    uint32_t size = (uint32_t)f[2] | (uint32_t)f[3] << 8;
    uint32_t csum = get_le32(f + 4);
    const uint8_t *d = f + 8;
    size_t n = len - 8;
    if (f[0] != 0x00)
        return;                                 /* not a request: ignored */
    /* The request lands in a buffer that keeps the bytes a short request
     * does not overwrite: READ_REG and SYNC read its first word. */
    memcpy(emu->rom_req, d, n < sizeof emu->rom_req ? n : sizeof emu->rom_req);
    if (!rom_supports(emu->chip, op)) {
        rom_unknown(emu, op);
        return;
    }
    if (size != n) {
        emu_log(emu, "ROM %s: size field %u but %zu data bytes", emu_op_name(op), size, n);
        rom_fail(emu, op, ROM_ERR_BAD_FORMAT);
        return;
    }
    switch (op) {
    case OP_SYNC:
        rom_sync(emu);
        break;
    case OP_READ_REG:
        /* Any length: the address is the buffer's first word (a short
         * request reads a stale address, usually an empty register). */
        emu->rom_value = emu_reg_read(emu, get_le32(emu->rom_req));
        rom_ok(emu, op);
        break;
    case OP_WRITE_REG:
        /* 16-byte entries; a lone 12-byte one (no delay word) is taken too */
        if (n == 12) {
            emu_reg_write(emu, get_le32(d), get_le32(d + 4), get_le32(d + 8));
            rom_ok(emu, op);
            break;
        }
        if (n == 0 || n % 16) {
            rom_fail(emu, op, ROM_ERR_BAD_FORMAT);
            break;
        }
        for (size_t i = 0; i < n; i += 16)
            emu_reg_write(emu, get_le32(d + i), get_le32(d + i + 4), get_le32(d + i + 8));
        rom_ok(emu, op);
        break;
    case OP_FLASH_BEGIN:
    case OP_FLASH_DEFL_BEGIN:
        rom_flash_begin(emu, op, d, n);
        break;
    case OP_FLASH_DATA:
    case OP_FLASH_DEFL_DATA:
        rom_flash_data(emu, op, csum, d, n);
        break;
    case OP_FLASH_END:
    case OP_FLASH_DEFL_END:
        rom_flash_end(emu, op, d, n);
        break;
    case OP_MEM_BEGIN:
    case OP_MEM_DATA:
    case OP_MEM_END:
        rom_mem(emu, op, csum, d, n);
        break;
    case OP_SPI_ATTACH:
        if (n != 8 && n != 4) {                 /* esptool sends the ROM 8 bytes */
            rom_fail(emu, op, ROM_ERR_BAD_FORMAT);
            break;
        }
        emu->rom_attached = true;
        rom_ok(emu, op);
        break;
    case OP_SPI_SET_PARAMS:
        if (n != 24) {
            rom_fail(emu, op, ROM_ERR_BAD_FORMAT);
            break;
        }
        emu->rom_flash_size = get_le32(d + 4);
        rom_ok(emu, op);
        break;
    case OP_CHANGE_BAUDRATE:
        if (n != 8 && n != 4) {                 /* new baud [, old baud] */
            rom_fail(emu, op, ROM_ERR_BAD_FORMAT);
            break;
        }
        rom_ok(emu, op);
        emu_switch_baud(emu, get_le32(d));
        /* The real ROMs send two more 0xC0 once the rate has changed. */
        emu_out_text(emu, "\xC0\xC0");
        break;
    case OP_SPI_FLASH_MD5:
        rom_md5(emu, d, n);
        break;
    case OP_READ_FLASH_SLOW:
        rom_read_slow(emu, d, n);
        break;
    case OP_GET_SECURITY_INFO:
        rom_security_info(emu);
        break;
    default:
        rom_unknown(emu, op);
        break;
    }
}

