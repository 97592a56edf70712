/* READ_REG / WRITE_REG as the emulated chip answers them.
 *
 * Reads: the chip's fixed registers (magic, eFuses, MAC; emu_chip.c), the
 * UART clock divider (derived from the current baud so a host that
 * multiplies it back gets the crystal frequency), the SPI controller, and
 * anything the host wrote before; everything else reads 0.
 *
 * The SPI controller runs "user commands" the way esptool drives it to read
 * the flash id (protocol doc §4.3): the host sets USR (phases: bit31
 * command, 30 address, 29 dummy, 28 MISO, 27 MOSI), USR1 (address bits - 1
 * in 26..31; on ESP8266 also MISO bits - 1 in 8..16 and MOSI bits - 1 in
 * 17..25), USR2 (command bits - 1 in 28..31, opcode below), MOSI_DLEN /
 * MISO_DLEN (bits - 1, ESP32 and later), ADDR, W0..W15, then writes CMD bit
 * 18 and polls until it clears.  The emulated flash answers RDID (0x9F),
 * SFDP (0x5A), the status registers, READ (0x03/0x0B) and accepts the
 * write-enable / status-write / reset opcodes. */
#include "emu_impl.h"

#include <string.h>

#define SPI_CMD_USR   (1u << 18)
#define USR_COMMAND   (1u << 31)
#define USR_ADDR      (1u << 30)
#define USR_MISO      (1u << 28)
#define USR_MOSI      (1u << 27)
#define SPI_ADDR_OFF  0x04
#define SPI_W_COUNT   16

/* Winbond-style JEDEC id: EF 40 <capacity>, capacity = log2(size). */
void emu_flash_jedec(uint32_t size, uint8_t id[3])
{
    uint8_t cap = 0;
    while ((1u << cap) < size)
        cap++;
    id[0] = 0xEF;
    id[1] = 0x40;
    /* 2^24 = 16 MB -> 0x18; bigger Winbond parts continue at 0x19, 0x20, 0x21 */
    id[2] = cap <= 25 ? cap : (uint8_t)(0x20 + (cap - 26));
}

/* A minimal SFDP table: header, one parameter header pointing at a
 * 9-dword Basic Flash Parameter Table whose second dword is the density
 * (bits - 1). */
static uint8_t sfdp_byte(const struct emu *emu, uint32_t addr)
{
    static const uint8_t head[16] = {
        'S', 'F', 'D', 'P', 0x06, 0x01, 0x00, 0xFF,
        0x00, 0x06, 0x01, 0x09, 0x30, 0x00, 0x00, 0xFF,
    };
    if (addr < sizeof head)
        return head[addr];
    if (addr >= 0x30 && addr < 0x30 + 36) {
        uint32_t off = addr - 0x30;
        uint32_t density = emu->flash.size * 8u - 1u;
        static const uint8_t bfpt[36] = {
            0xE5, 0x20, 0xF1, 0xFF, 0, 0, 0, 0, 0x44, 0xEB, 0x08, 0x6B,
            0x08, 0x3B, 0x42, 0xBB, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00,
            0xFF, 0xFF, 0x40, 0xEB, 0x0C, 0x20, 0x0F, 0x52, 0x10, 0xD8, 0x00, 0x00,
        };
        if (off >= 4 && off < 8)
            return (uint8_t)(density >> (8 * (off - 4)));
        return bfpt[off];
    }
    return 0xFF;
}

static uint32_t spi_get(const struct emu *emu, uint8_t off)
{
    return emu->regs.spi[off / 4];
}

/* Put `n` MISO bytes into W0.. little-endian, touching only those bytes. */
static void spi_put_miso(struct emu *emu, const uint8_t *bytes, unsigned n)
{
    unsigned w0 = emu->chip->spi_w0 / 4;
    for (unsigned i = 0; i < n && i < SPI_W_COUNT * 4; i++) {
        uint32_t *w = &emu->regs.spi[w0 + i / 4];
        unsigned sh = 8 * (i % 4);
        *w = (*w & ~(0xFFu << sh)) | (uint32_t)bytes[i] << sh;
    }
}

static void spi_mosi_bytes(const struct emu *emu, uint8_t *out, unsigned n)
{
    unsigned w0 = emu->chip->spi_w0 / 4;
    for (unsigned i = 0; i < n && i < SPI_W_COUNT * 4; i++)
        out[i] = (uint8_t)(emu->regs.spi[w0 + i / 4] >> (8 * (i % 4)));
}

/* A status register write: after WREN it reaches the non-volatile bits
 * (kept across resets), after WEVSR only the volatile ones (what the chip
 * uses until its next reset); without either, nothing. */
static void write_status(struct emu *emu, int i, uint8_t v)
{
    struct emu_regs *r = &emu->regs;
    if (r->wel)
        emu->sr_nv[i] = v;
    if (r->wel || r->vwel)
        r->sr[i] = v;
}

static void spi_execute(struct emu *emu)
{
    const struct emu_chip *c = emu->chip;
    uint32_t usr = spi_get(emu, c->spi_usr);
    uint32_t usr1 = spi_get(emu, c->spi_usr1);
    uint32_t usr2 = spi_get(emu, c->spi_usr2);
    if (!(usr & USR_COMMAND))
        return;
    uint8_t op = (uint8_t)(usr2 & 0xFF);

    uint32_t addr = 0;
    if (usr & USR_ADDR) {
        unsigned bits = ((usr1 >> 26) & 0x3F) + 1;
        uint32_t raw = spi_get(emu, SPI_ADDR_OFF);
        if (c->spi_addr_msb)
            addr = bits >= 32 ? raw : raw >> (32 - bits);
        else
            addr = bits >= 32 ? raw : raw & ((1u << bits) - 1);
    }
    unsigned miso_bits = 0, mosi_bits = 0;
    if (c->spi_miso_dlen) {
        if (usr & USR_MISO)
            miso_bits = spi_get(emu, c->spi_miso_dlen) + 1;
        if (usr & USR_MOSI)
            mosi_bits = spi_get(emu, c->spi_mosi_dlen) + 1;
    } else {
        if (usr & USR_MISO)
            miso_bits = ((usr1 >> 8) & 0x1FF) + 1;
        if (usr & USR_MOSI)
            mosi_bits = ((usr1 >> 17) & 0x1FF) + 1;
    }
    unsigned miso = (miso_bits + 7) / 8, mosi = (mosi_bits + 7) / 8;
    if (miso > SPI_W_COUNT * 4)
        miso = SPI_W_COUNT * 4;
    if (mosi > SPI_W_COUNT * 4)
        mosi = SPI_W_COUNT * 4;

    uint8_t in[SPI_W_COUNT * 4], out[SPI_W_COUNT * 4];
    memset(out, 0, sizeof out);
    spi_mosi_bytes(emu, in, mosi);
    struct emu_regs *r = &emu->regs;

    switch (op) {
    case 0x9F:                                  /* RDID */
        emu_flash_jedec(emu->flash.size, out);
        break;
    case 0x5A:                                  /* read SFDP */
        for (unsigned i = 0; i < miso; i++)
            out[i] = sfdp_byte(emu, addr + i);
        break;
    case 0x05:                                  /* RDSR */
        out[0] = (uint8_t)((r->sr[0] & 0xFC) | (r->wel ? 0x02 : 0));
        break;
    case 0x35:                                  /* RDSR2 */
        out[0] = r->sr[1];
        break;
    case 0x15:                                  /* RDSR3 */
        out[0] = r->sr[2];
        break;
    case 0x06:                                  /* WREN */
        r->wel = true;
        break;
    case 0x50:                                  /* WEVSR: next status write volatile */
        r->vwel = true;
        break;
    case 0x04:                                  /* WRDI */
        r->wel = r->vwel = false;
        break;
    case 0x01:                                  /* WRSR (1 or 2 bytes) */
        if (mosi >= 1)
            write_status(emu, 0, (uint8_t)(in[0] & 0xFC));
        if (mosi >= 2)
            write_status(emu, 1, in[1]);
        r->wel = r->vwel = false;
        break;
    case 0x31:                                  /* WRSR2 */
    case 0x11:                                  /* WRSR3 */
        if (mosi >= 1)
            write_status(emu, op == 0x31 ? 1 : 2, in[0]);
        r->wel = r->vwel = false;
        break;
    case 0x03:                                  /* READ */
    case 0x0B:                                  /* FAST_READ */
        emu_flash_read(&emu->flash, addr, out, miso);
        break;
    case 0x4B: {                                /* unique id */
        static const uint8_t uid[8] = { 0xE6, 0x62, 0x38, 0x50, 0x4F, 0x3A, 0x21, 0x2D };
        memcpy(out, uid, sizeof uid);
        break;
    }
    default:                                    /* reset, power, ... accepted */
        break;
    }
    if (miso)
        spi_put_miso(emu, out, miso);
    emu_log(emu, "SPI user command 0x%02X addr 0x%X miso %u bits", op, addr, miso_bits);
}

uint32_t emu_reg_read(struct emu *emu, uint32_t addr)
{
    const struct emu_chip *c = emu->chip;
    uint32_t v;
    if (addr - c->spi_base < EMU_SPI_REGS * 4)
        return emu->regs.spi[(addr - c->spi_base) / 4];
    if (addr == c->uart_clkdiv_reg) {
        /* divider = UART clock / baud; the host multiplies it back */
        uint64_t clk = (uint64_t)c->xtal_mhz * 1000000u * c->xtal_div;
        return (uint32_t)(clk / (emu->baud ? emu->baud : 115200)) & 0xFFFFF;
    }
    if (emu_chip_reg(c, addr, &v))
        return v;
    if (emu_ram_read32(emu, addr, &v))
        return v;
    for (unsigned i = 0; i < emu->regs.nmisc; i++)
        if (emu->regs.misc[i].addr == addr)
            return emu->regs.misc[i].value;
    return 0;
}

void emu_reg_write(struct emu *emu, uint32_t addr, uint32_t value, uint32_t mask)
{
    const struct emu_chip *c = emu->chip;
    uint32_t old = emu_reg_read(emu, addr);
    uint32_t v = (value & mask) | (old & ~mask);
    if (addr - c->spi_base < EMU_SPI_REGS * 4) {
        uint32_t off = addr - c->spi_base;
        emu->regs.spi[off / 4] = v;
        if (off == 0 && (v & SPI_CMD_USR)) {
            spi_execute(emu);
            emu->regs.spi[0] &= ~SPI_CMD_USR;   /* done at once */
        }
        return;
    }
    if (emu_ram_write32(emu, addr, v))
        return;
    struct emu_regs *r = &emu->regs;
    for (unsigned i = 0; i < r->nmisc; i++) {
        if (r->misc[i].addr == addr) {
            r->misc[i].value = v;
            return;
        }
    }
    /* Remember the last EMU_MISC_REGS distinct registers written. */
    unsigned slot = r->nmisc < EMU_MISC_REGS ? r->nmisc++ : (r->next_misc++ % EMU_MISC_REGS);
    r->misc[slot].addr = addr;
    r->misc[slot].value = v;
}
