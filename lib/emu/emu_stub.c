/* The flasher stub as the emulated chip runs it once MEM_END jumped into
 * uploaded RAM.  Modelled on esp-flasher-stub v1.1 (the stub esptool-js
 * ships; protocol doc §1.4, §2.2, §2.6):
 *  - replies: 01 op size value(0 except READ_REG) payload status(2 bytes:
 *    code, 0); errors carry no payload;
 *  - SYNC answers 8 times with value 0 (how a host spots a running stub);
 *  - FLASH_DATA / FLASH_DEFL_DATA, CHANGE_BAUDRATE, READ_FLASH, MEM_END do
 *    their work after the reply; an error there is reported in the reply
 *    to the next command, which is then not executed;
 *  - writes are sequential from FLASH_BEGIN's offset (the seq field is not
 *    used), erasing 4 KiB sectors lazily just ahead of the data;
 *  - READ_FLASH streams packets of packet_size, one in flight, each acked
 *    by the host with the running byte count, then a 16-byte binary MD5. */
#include "bytes.h"
#include "emu_proto.h"
#include "hash.h"

#include <string.h>

static void stub_reply(struct emu *emu, uint8_t op, uint32_t value, const uint8_t *payload,
                       size_t plen, uint8_t code)
{
    uint8_t f[8 + 32 + 2];
    size_t n = plen + 2;
    f[0] = 0x01;
    f[1] = op;
    f[2] = (uint8_t)n;
    f[3] = (uint8_t)(n >> 8);
    put_le32(f + 4, value);
    if (plen)
        memcpy(f + 8, payload, plen);
    f[8 + plen] = code;
    f[9 + plen] = 0x00;
    emu_send_frame(emu, f, 8 + n);
}

static void stub_ok(struct emu *emu, uint8_t op)
{
    stub_reply(emu, op, 0, NULL, 0, 0);
}

static void stub_fail(struct emu *emu, uint8_t op, uint8_t code)
{
    emu_log(emu, "stub %s failed: 0x%02X", emu_op_name(op), code);
    stub_reply(emu, op, 0, NULL, 0, code);
}

static bool in_flash(const struct emu *emu, uint32_t addr, uint32_t len)
{
    return (uint64_t)addr + len <= emu->stub_flash_size;
}

/* ---- writing ------------------------------------------------------------- */

/* Program at the write frontier, erasing the sectors it reaches first.
 * FLASH_DATA clamps to the announced size (padding of the last block);
 * inflated data is not clamped by esp-flasher-stub: its byte count
 * underflows and FLASH_DEFL_END then fails with 0xC0. */
static int stub_write(struct emu *emu, const uint8_t *data, uint32_t len, bool clamp)
{
    struct emu_write *w = &emu->wr;
    if (len > w->remaining) {
        if (!clamp && !w->overrun) {
            emu_log(emu, "stub FLASH_DEFL_DATA: inflated data runs 0x%X bytes past the size "
                    "given to FLASH_DEFL_BEGIN; FLASH_DEFL_END will fail (0xC0)",
                    len - w->remaining);
            w->overrun = true;
        }
        len = w->remaining;
    }
    if (len == 0)
        return 0;
    if (!in_flash(emu, w->offset, len))
        return STUB_FAILED_SPI_OP;
    /* Erased ahead as the stub does: a 64 KiB block at once where one
     * starts and the write covers it (one block erase is a third of the
     * time of its sixteen sectors, emu_flash.c). */
    uint64_t target = (uint64_t)w->offset + len;
    while (w->erase_next < target && w->erase_next < w->erase_end) {
        uint32_t n = w->erase_next % 0x10000 == 0 && w->erase_end - w->erase_next >= 0x10000
                         ? 0x10000 : 0x1000;
        emu_flash_erase(&emu->flash, w->erase_next, n);
        w->erase_next += n;
    }
    if (emu_flash_program(&emu->flash, w->offset, data, len) != 0) {
        emu_log(emu, "injected flash write failure in 0x%X+0x%X", w->offset, len);
        return STUB_FAILED_SPI_OP;
    }
    emu->stats.bytes_written += len;
    w->offset += len;
    w->remaining -= len;
    return 0;
}

static int stub_inflate_sink(struct emu *emu, const uint8_t *data, uint32_t len)
{
    return stub_write(emu, data, len, false);
}

static void stub_begin(struct emu *emu, uint8_t op, const uint8_t *d, size_t n)
{
    if (n != 16 && n != 20) {
        stub_fail(emu, op, STUB_BAD_DATA_LEN);
        return;
    }
    uint32_t size = get_le32(d), blocks = get_le32(d + 4), bsize = get_le32(d + 8);
    uint32_t offset = get_le32(d + 12);
    if (bsize > EMU_MAX_BLOCK) {
        stub_fail(emu, op, STUB_BAD_BLOCKSIZE);
        return;
    }
    if (!in_flash(emu, offset, size)) {
        stub_fail(emu, op, STUB_FAILED_SPI_OP);
        return;
    }
    if (emu_write_begin(emu, offset, size, blocks, bsize, op == OP_FLASH_DEFL_BEGIN) != 0) {
        stub_fail(emu, op, STUB_INFLATE_ERROR);
        return;
    }
    emu_log(emu, "stub %s 0x%X size 0x%X, %u blocks of 0x%X", emu_op_name(op), offset, size,
            blocks, bsize);
    stub_ok(emu, op);
}

static void stub_data(struct emu *emu, uint8_t op, uint32_t csum, const uint8_t *d, size_t n)
{
    bool compressed = op == OP_FLASH_DEFL_DATA;
    if (n < 16) {
        stub_fail(emu, op, compressed ? STUB_BAD_DATA_LEN : STUB_NOT_ENOUGH_DATA);
        return;
    }
    if (!emu->wr.active) {
        stub_fail(emu, op, STUB_NOT_IN_FLASH_MODE);
        return;
    }
    uint32_t dlen = get_le32(d);
    const uint8_t *data = d + 16;
    if (dlen != n - 16) {
        stub_fail(emu, op, compressed ? STUB_BAD_DATA_LEN : STUB_TOO_MUCH_DATA);
        return;
    }
    if (emu_checksum(data, dlen) != csum) {
        stub_fail(emu, op, STUB_BAD_CHECKSUM);
        return;
    }
    stub_ok(emu, op);
    /* after the ACK: write (and inflate); errors wait for the next command,
     * and so does the next command for the flash (emu_take_busy) */
    uint64_t busy = emu->flash.busy_ns;
    int rc;
    if (compressed) {
        rc = emu_inflate(emu, data, dlen, stub_inflate_sink);
        if (rc == -1)
            rc = STUB_INFLATE_ERROR;
    } else {
        rc = stub_write(emu, data, dlen, true);
    }
    emu->busy_after_ns += emu->flash.busy_ns - busy;
    if (rc)
        emu->stub_pending = (uint16_t)rc;
}

static void stub_end(struct emu *emu, uint8_t op, const uint8_t *d, size_t n)
{
    if (n != 4) {
        stub_fail(emu, op, STUB_BAD_DATA_LEN);
        return;
    }
    if (!emu->wr.active) {
        stub_fail(emu, op, STUB_NOT_IN_FLASH_MODE);
        return;
    }
    if (emu->wr.remaining != 0 || emu->wr.overrun) {
        if (emu->wr.overrun)
            emu_log(emu, "stub %s: more data arrived than announced", emu_op_name(op));
        else
            emu_log(emu, "stub %s: 0x%X bytes still expected", emu_op_name(op),
                    emu->wr.remaining);
        emu_write_abort(emu);
        stub_fail(emu, op, STUB_BAD_DATA_LEN);
        return;
    }
    (void)get_le32(d);                          /* reboot flag: ignored by this stub */
    emu_write_abort(emu);
    stub_ok(emu, op);
}

/* ---- READ_FLASH streaming ------------------------------------------------ */

static void read_finish(struct emu *emu)
{
    uint8_t md5[16];
    hash_md5_end(emu->rd.md5, md5);
    emu->rd.md5 = NULL;
    emu_send_frame(emu, md5, sizeof md5);
    emu_log(emu, "stub READ_FLASH done: 0x%X bytes", emu->rd.total - emu->rd.remaining);
    emu_read_abort(emu);
}

static void read_send_packet(struct emu *emu)
{
    struct emu_read *r = &emu->rd;
    uint8_t buf[4096];
    uint32_t n = r->remaining < r->packet ? r->remaining : r->packet;
    emu_flash_read(&emu->flash, r->offset, buf, n);
    hash_md5_update(r->md5, buf, n);
    emu_send_frame(emu, buf, n);
    emu->stats.bytes_read += n;
    r->offset += n;
    r->remaining -= n;
    r->sent++;
}

static void stub_read_flash(struct emu *emu, const uint8_t *d, size_t n)
{
    if (n != 16) {
        stub_fail(emu, OP_READ_FLASH, STUB_BAD_DATA_LEN);
        return;
    }
    uint32_t offset = get_le32(d), len = get_le32(d + 4), packet = get_le32(d + 8);
    stub_ok(emu, OP_READ_FLASH);
    /* after the reply */
    if (packet == 0 || packet > 4096) {
        emu->stub_pending = STUB_BAD_DATA_LEN;
        return;
    }
    if (!in_flash(emu, offset, len)) {
        emu->stub_pending = STUB_FAILED_SPI_OP;
        return;
    }
    struct emu_read *r = &emu->rd;
    emu_read_abort(emu);
    r->md5 = hash_md5_new();
    if (!r->md5) {
        emu_read_abort(emu);
        emu->stub_pending = STUB_FAILED_SPI_OP;
        return;
    }
    r->active = true;
    r->offset = offset;
    r->remaining = r->total = len;
    r->packet = packet;
    emu_log(emu, "stub READ_FLASH 0x%X size 0x%X in packets of 0x%X", offset, len, packet);
    if (len == 0)
        read_finish(emu);
    else
        read_send_packet(emu);
}

/* A frame while READ_FLASH streams is an ack: the running byte count. */
static void read_ack(struct emu *emu, const uint8_t *f, size_t len)
{
    struct emu_read *r = &emu->rd;
    if (len != 4) {
        emu_log(emu, "stub READ_FLASH: %zu-byte frame instead of an ack; stopping", len);
        read_finish(emu);
        return;
    }
    r->acked++;
    uint32_t acked_bytes = get_le32(f);
    if (r->remaining > 0 && r->sent - r->acked < 1)
        read_send_packet(emu);
    if (r->remaining == 0 && acked_bytes >= r->total)
        read_finish(emu);
}

/* ---- dispatch ------------------------------------------------------------ */

static void stub_security_info(struct emu *emu)
{
    const struct emu_chip *c = emu->chip;
    if (!c->secinfo_len) {
        stub_fail(emu, OP_GET_SECURITY_INFO, STUB_NOT_IMPLEMENTED);
        return;
    }
    uint8_t b[20];
    memset(b, 0, sizeof b);
    b[11] = c->key_purpose6;
    put_le32(b + 12, c->chip_id);
    put_le32(b + 16, c->api_version);
    stub_reply(emu, OP_GET_SECURITY_INFO, 0, b, c->secinfo_len, 0);
}

static void stub_md5(struct emu *emu, const uint8_t *d, size_t n)
{
    if (n != 16) {
        stub_fail(emu, OP_SPI_FLASH_MD5, STUB_BAD_DATA_LEN);
        return;
    }
    uint32_t addr = get_le32(d), len = get_le32(d + 4);
    uint8_t md5[16];
    if (!in_flash(emu, addr, len) || emu_md5_flash(emu, addr, len, md5)) {
        stub_fail(emu, OP_SPI_FLASH_MD5, STUB_FAILED_SPI_OP);
        return;
    }
    emu->stats.bytes_read += len;
    stub_reply(emu, OP_SPI_FLASH_MD5, 0, md5, 16, 0);
}

static void stub_erase_region(struct emu *emu, const uint8_t *d, size_t n)
{
    if (n != 8) {
        stub_fail(emu, OP_ERASE_REGION, STUB_BAD_DATA_LEN);
        return;
    }
    uint32_t addr = get_le32(d), len = get_le32(d + 4);
    if (addr % 0x1000 || len % 0x1000) {
        stub_fail(emu, OP_ERASE_REGION, STUB_BAD_DATA_LEN);
        return;
    }
    if (!in_flash(emu, addr, len)) {
        stub_fail(emu, OP_ERASE_REGION, STUB_FAILED_SPI_OP);
        return;
    }
    emu_flash_erase(&emu->flash, addr, len);
    emu_log(emu, "stub ERASE_REGION 0x%X size 0x%X", addr, len);
    stub_ok(emu, OP_ERASE_REGION);
}

static void stub_mem(struct emu *emu, uint8_t op, const uint8_t *d, size_t n)
{
    if (op == OP_MEM_BEGIN) {
        if (n != 16) {
            stub_fail(emu, op, STUB_BAD_DATA_LEN);
            return;
        }
        emu->mem_active = true;
        emu->mem_remaining = get_le32(d);
        emu->mem_addr = get_le32(d + 12);
        emu_mem_region(emu, emu->mem_addr, emu->mem_remaining);
        stub_ok(emu, op);
    } else if (op == OP_MEM_DATA) {
        if (n < 16) {
            stub_fail(emu, op, STUB_NOT_ENOUGH_DATA);
            return;
        }
        if (!emu->mem_active) {
            stub_fail(emu, op, STUB_NOT_IN_FLASH_MODE);
            return;
        }
        uint32_t dlen = get_le32(d);
        if (dlen > emu->mem_remaining || dlen != n - 16) {
            stub_fail(emu, op, STUB_TOO_MUCH_DATA);
            return;
        }
        if (!emu_ram_write(emu, emu->mem_addr, d + 16, dlen))
            emu_log(emu, "RAM: no room for 0x%X bytes at 0x%08X (dropped)", dlen, emu->mem_addr);
        emu->mem_addr += dlen;
        emu->mem_remaining -= dlen;
        stub_ok(emu, op);
    } else {
        if (n != 8) {
            stub_fail(emu, op, STUB_BAD_DATA_LEN);
            return;
        }
        if (!emu->mem_active) {
            stub_fail(emu, op, STUB_NOT_IN_FLASH_MODE);
            return;
        }
        emu->mem_active = false;
        stub_ok(emu, op);
        if (get_le32(d) == 0)
            emu_jump(emu, get_le32(d + 4));
    }
}

static void stub_command(struct emu *emu, uint8_t op, uint32_t csum, const uint8_t *d, size_t n)
{
    switch (op) {
    case OP_SYNC:
        if (n != 36) {
            stub_fail(emu, op, STUB_BAD_DATA_LEN);
            break;
        }
        for (int i = 0; i < 8; i++)
            stub_ok(emu, op);
        break;
    case OP_FLASH_BEGIN:
    case OP_FLASH_DEFL_BEGIN:
        stub_begin(emu, op, d, n);
        break;
    case OP_FLASH_DATA:
    case OP_FLASH_DEFL_DATA:
        stub_data(emu, op, csum, d, n);
        break;
    case OP_FLASH_END:
    case OP_FLASH_DEFL_END:
        stub_end(emu, op, d, n);
        break;
    case OP_MEM_BEGIN:
    case OP_MEM_DATA:
    case OP_MEM_END:
        stub_mem(emu, op, d, n);
        break;
    case OP_WRITE_REG:
        if (n == 0 || n % 16) {
            stub_fail(emu, op, STUB_NOT_ENOUGH_DATA);
            break;
        }
        for (size_t i = 0; i < n; i += 16)
            emu_reg_write(emu, get_le32(d + i), get_le32(d + i + 4), get_le32(d + i + 8));
        stub_ok(emu, op);
        break;
    case OP_READ_REG:
        if (n != 4) {
            stub_fail(emu, op, STUB_BAD_DATA_LEN);
            break;
        }
        stub_reply(emu, op, emu_reg_read(emu, get_le32(d)), NULL, 0, 0);
        break;
    case OP_SPI_ATTACH:
        if (n != 4) {                           /* stubs take 4 bytes, the ROM 8 */
            stub_fail(emu, op, STUB_BAD_DATA_LEN);
            break;
        }
        stub_ok(emu, op);
        break;
    case OP_SPI_SET_PARAMS:
        if (n != 24) {
            stub_fail(emu, op, STUB_BAD_DATA_LEN);
            break;
        }
        emu->stub_flash_size = get_le32(d + 4);
        stub_ok(emu, op);
        break;
    case OP_CHANGE_BAUDRATE:
        if (n != 8) {
            stub_fail(emu, op, STUB_BAD_DATA_LEN);
            break;
        }
        stub_ok(emu, op);
        emu_switch_baud(emu, get_le32(d));      /* second word ignored (new stub) */
        break;
    case OP_SPI_FLASH_MD5:
        stub_md5(emu, d, n);
        break;
    case OP_GET_SECURITY_INFO:
        if (n != 0) {
            stub_fail(emu, op, STUB_BAD_DATA_LEN);
            break;
        }
        stub_security_info(emu);
        break;
    case OP_READ_FLASH:
        stub_read_flash(emu, d, n);
        break;
    case OP_ERASE_FLASH:
        emu_flash_erase(&emu->flash, 0, emu->flash.size);
        emu_log(emu, "stub ERASE_FLASH");
        stub_ok(emu, op);
        break;
    case OP_ERASE_REGION:
        stub_erase_region(emu, d, n);
        break;
    case OP_RUN_USER_CODE:
        break;                                  /* no reply; this stub does nothing */
    default:
        stub_fail(emu, op, STUB_INVALID_COMMAND);
        break;
    }
}

void emu_stub_frame(struct emu *emu, const uint8_t *f, size_t len)
{
    if (emu->rd.active) {
        read_ack(emu, f, len);
        return;
    }
    if (len < 8) {
        emu_log(emu, "stub: ignored a %zu-byte frame", len);
        return;
    }
    uint8_t op = f[1];
    uint32_t size = (uint32_t)f[2] | (uint32_t)f[3] << 8;
    if (f[0] != 0x00) {
        stub_fail(emu, op, STUB_INVALID_COMMAND);
        return;
    }
    if (size != len - 8) {
        stub_fail(emu, op, STUB_BAD_DATA_LEN);
        return;
    }
    if (emu->stub_pending) {
        /* the error of the previous command's deferred work; this command
         * is not executed */
        uint8_t code = (uint8_t)emu->stub_pending;
        emu->stub_pending = 0;
        emu_log(emu, "stub: reporting deferred error 0x%02X instead of running %s", code,
                emu_op_name(op));
        stub_reply(emu, op, 0, NULL, 0, code);
        return;
    }
    stub_command(emu, op, get_le32(f + 4), f + 8, len - 8);
}
