/* SPI flash commands through the chip's SPI controller, driven with
 * READ_REG / WRITE_REG as esptool's run_spiflash_command() does
 * (../shared/docs/esptool-commands.md §4.1): the flash id, the status
 * register. */
#include "loader.h"
#include "loader_impl.h"

#define SPI_USR_COMMAND (1u << 31)
#define SPI_USR_MISO    (1u << 28)
#define SPI_USR_MOSI    (1u << 27)
#define SPI_CMD_USR     (1u << 18)

static int wr(struct loader *l, uint32_t addr, uint32_t v, struct err *e)
{
    return loader_write_reg(l, addr, v, 0xFFFFFFFF, 0, e);
}

/* The data and read lengths: their own registers (ESP32 and later), or
 * both in USR1 (ESP8266). */
static int set_lengths(struct loader *l, uint32_t mosi_bits, uint32_t miso_bits, struct err *e)
{
    const struct chip_loader *ld = l->chip->ld;
    uint32_t base = ld->spi_base;
    if (!ld->spi_miso_dlen) {
        uint32_t mosi = mosi_bits ? mosi_bits - 1 : 0, miso = miso_bits ? miso_bits - 1 : 0;
        return wr(l, base + ld->spi_usr1, miso << 8 | mosi << 17, e);
    }
    if (mosi_bits && wr(l, base + ld->spi_mosi_dlen, mosi_bits - 1, e))
        return -1;
    if (miso_bits && wr(l, base + ld->spi_miso_dlen, miso_bits - 1, e))
        return -1;
    return 0;
}

static int run_command(struct loader *l, uint32_t *out, struct err *e)
{
    uint32_t base = l->chip->ld->spi_base;
    if (wr(l, base, SPI_CMD_USR, e))
        return -1;
    for (int i = 0;; i++) {
        uint32_t c;
        if (loader_read_reg(l, base, &c, e))
            return -1;
        if (!(c & SPI_CMD_USR))
            break;
        if (i == 9)
            return err_set(e, "SPI command did not complete in time");
    }
    return loader_read_reg(l, base + l->chip->ld->spi_w0, out, e);
}

int loader_spi_command(struct loader *l, uint8_t cmd, const uint8_t *data, size_t dlen,
                       uint32_t read_bits, uint32_t *out, struct err *e)
{
    const struct chip_loader *ld = l->chip->ld;
    uint32_t base = ld->spi_base, usr, usr2;
    if (read_bits > 32)
        return err_set(e, "Reading more than 32 bits back from a SPI flash operation is "
                          "unsupported");
    if (dlen > 64)
        return err_set(e, "Writing more than 64 bytes of data with one SPI command is "
                          "unsupported");
    if (loader_read_reg(l, base + ld->spi_usr, &usr, e) ||
        loader_read_reg(l, base + ld->spi_usr2, &usr2, e))
        return -1;
    uint32_t flags = SPI_USR_COMMAND | (read_bits ? SPI_USR_MISO : 0) | (dlen ? SPI_USR_MOSI : 0);
    if (set_lengths(l, (uint32_t)dlen * 8, read_bits, e) || wr(l, base + ld->spi_usr, flags, e) ||
        wr(l, base + ld->spi_usr2, (7u << 28) | cmd, e))
        return -1;
    if (!dlen && wr(l, base + ld->spi_w0, 0, e))   /* cleared before it is read */
        return -1;
    for (size_t i = 0; i < dlen; i += 4) {
        uint8_t w[4] = { 0 };
        for (size_t k = 0; k < 4 && i + k < dlen; k++)
            w[k] = data[i + k];
        if (wr(l, base + ld->spi_w0 + (uint32_t)i, get_le32(w), e))
            return -1;
    }
    if (run_command(l, out, e))
        return -1;
    return wr(l, base + ld->spi_usr, usr, e) || wr(l, base + ld->spi_usr2, usr2, e) ? -1 : 0;
}

int loader_flash_status(struct loader *l, unsigned nbytes, uint32_t *status, struct err *e)
{
    static const uint8_t rdsr[3] = { 0x05, 0x35, 0x15 };
    *status = 0;
    for (unsigned i = 0; i < nbytes && i < 3; i++) {
        uint32_t v;
        if (loader_spi_command(l, rdsr[i], NULL, 0, 8, &v, e) != 0)
            return -1;
        *status += v << (8 * i);
    }
    return 0;
}

int loader_flash_set_status(struct loader *l, uint32_t value, unsigned nbytes, bool non_volatile,
                            struct err *e)
{
    static const uint8_t wrsr[3] = { 0x01, 0x31, 0x11 };
    uint8_t enable = non_volatile ? 0x06 : 0x50;    /* WREN : WEVSR */
    uint32_t ignore;
    if (nbytes == 2) {
        /* some flash takes the second byte only as a 16-bit WRSR */
        uint8_t d[2] = { (uint8_t)value, (uint8_t)(value >> 8) };
        if (loader_spi_command(l, enable, NULL, 0, 0, &ignore, e) ||
            loader_spi_command(l, wrsr[0], d, 2, 0, &ignore, e))
            return -1;
    }
    for (unsigned i = 0; i < nbytes && i < 3; i++) {
        uint8_t b = (uint8_t)(value >> (8 * i));
        if (loader_spi_command(l, enable, NULL, 0, 0, &ignore, e) ||
            loader_spi_command(l, wrsr[i], &b, 1, 0, &ignore, e))
            return -1;
    }
    return loader_spi_command(l, 0x04, NULL, 0, 0, &ignore, e);   /* WRDI */
}
