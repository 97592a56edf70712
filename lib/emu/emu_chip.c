/* What the emulated chips look like from the serial port: register values,
 * ROM command set and boot messages.  Emulator-only facts; the loader's
 * chip facts live in chip.c.
 *
 * Sources: ../shared/docs/esp-loader-protocol.md §4.2 (magic values, SPI
 * register layout, eFuse/MAC registers, revision fields), the real ROM
 * transcripts (ESP32 eFuse MAC words, ESP32-C3 magic and security info,
 * reply shapes), esptool's target classes for the registers it reads while
 * connecting (UART divider, ESP32 RTC calibration, C5 PCR clock config).
 * Boot banners follow the shape of the real ROM messages; version strings
 * of the newest chips are approximations.
 *
 * Chosen so esptool-style clients see plausible chips: ESP32 is an
 * ESP32-D0WD-V3 rev 3.0 (as in the transcript), ESP32-C2 rev 1.0 (rev 0 has
 * no stub), ESP32-P4 rev 1.0, the others rev 0.0; crystals 40 MHz except
 * ESP8266 (26), ESP32-H2 (32) and ESP32-C5 (48). */
#include "chip.h"
#include "emu_impl.h"

#include <string.h>

/* ESP32: eFuse BLK0 words at 0x3FF5A000 + 4n.
 *   w1, w2: MAC (w2 = CRC byte << 16 | MAC[0] << 8 | MAC[1]); values of the
 *           transcript, MAC 24:0a:c4:12:34:56
 *   w3: bit 15 = rev bit0, bits 9..11 pkg 1 (D0WD), bit 13 CPU frequency
 *       rated (bit 12 clear: 240 MHz)
 *   w4: bits 0..7 CK8M frequency byte (with RTCCALICFG1 gives the ROM's
 *       40 MHz estimate: 1024 * 15625 * 100 / 40 = 40 MHz, so esptool does
 *       not scale the baud); bits 8..12 ADC VRef calibration (set)
 * so esptool says "ESP32-D0WD-V3 (revision v3.0)", "WiFi, BT, Dual Core,
 * 240MHz, VRef calibration in efuse, Coding Scheme None", as for a common
 * module.
 *   w5: bit 20 = rev bit1;  APB_CTL_DATE bit 31 = rev bit2  -> v3.0 */
static const struct emu_reg regs_esp32[] = {
    { 0x3FF5A004, 0xC4123456 },
    { 0x3FF5A008, 0x00F5240A },
    { 0x3FF5A00C, 0x0000A200 },
    { 0x3FF5A010, 0x00000C64 },
    { 0x3FF5A014, 0x00100000 },
    { 0x3FF6607C, 0x96042000 },
    { 0x3FF5F06C, 1024u << 7 },
    { 0, 0 },
};

/* ESP8266 OTP: MAC0 (0x3FF00050) bits 31..24 = MAC[5]; MAC1 (0x3FF00054)
 * bits 15..0 = MAC[3], MAC[4]; MAC3 (0x3FF0005C) = OUI. */
static const struct emu_reg regs_esp8266[] = {
    { 0x3FF00050, 0x56000000 },
    { 0x3FF00054, 0x00001234 },
    { 0x3FF0005C, 0x005CCF7F },
    { 0, 0 },
};

/* ESP32-C2: BLK2 word 1 (= MAC word 1) bits 20..21 major revision -> v1.0. */
static const struct emu_reg regs_esp32c2[] = {
    { 0x60008844, 1u << 20 },
    { 0, 0 },
};

/* ESP32-C5: PCR_SYSCLK_CONF_REG bits 24..30 = crystal the ROM expects;
 * MAC word 1 bits 16..31 = MAC_EXT ff:fe (the EUI-64's middle, as on
 * real chips; also C6 and H2). */
static const struct emu_reg regs_esp32c5[] = {
    { 0x60096110, 48u << 24 },
    { 0x600B4848, 0xFFFEu << 16 },
    { 0, 0 },
};

static const struct emu_reg regs_esp32c6_h2[] = {
    { 0x600B0848, 0xFFFEu << 16 },
    { 0, 0 },
};

/* ESP32-P4: BLK1 word 2 bits 4..5 major revision -> v1.0; SPI date
 * register some tools use to recognise the chip. */
static const struct emu_reg regs_esp32p4[] = {
    { 0x5012D04C, 1u << 4 },
    { 0x500D0000, 0x02207202 },
    { 0, 0 },
};

static const struct emu_reg regs_none[] = { { 0, 0 } };

#define SPI_OLD  0x1C, 0x20, 0x24, 0x28, 0x2C, 0x80, true    /* ESP32 */
#define SPI_NEW  0x18, 0x1C, 0x20, 0x24, 0x28, 0x58, false   /* S2 and later */

static const struct emu_chip chips[] = {
    {
        .name = "esp8266", .status_len = 2, .rom_begin20 = false, .rom_esp32_family = false,
        .secinfo_len = 0, .chip_id = 0xFFFF, .magic = 0xFFF0C101, .err_no_begin = 0x05,
        .spi_base = 0x60000200, .spi_usr = 0x1C, .spi_usr1 = 0x20, .spi_usr2 = 0x24,
        .spi_mosi_dlen = 0, .spi_miso_dlen = 0, .spi_w0 = 0x40, .spi_addr_msb = true,
        .uart_clkdiv_reg = 0x60000014, .xtal_mhz = 26, .xtal_div = 2,
        .mac_reg = 0, .mac = { 0x5C, 0xCF, 0x7F, 0x12, 0x34, 0x56 }, .regs = regs_esp8266,
        .banner = "\r\n ets Jan  8 2013,", .rst_poweron = "2", .rst_sw = "4",
        .boot_download = "(1,7)", .boot_flash = "(3,6)", .waiting = "\r\n",
        .bootloader_offset = 0x0,
    },
    {
        .name = "esp32", .status_len = 4, .rom_begin20 = false, .rom_esp32_family = true,
        .secinfo_len = 0, .chip_id = 0x0000, .magic = 0x00F01D83, .err_no_begin = 0x05,
        .spi_base = 0x3FF42000, .spi_usr = 0x1C, .spi_usr1 = 0x20, .spi_usr2 = 0x24,
        .spi_mosi_dlen = 0x28, .spi_miso_dlen = 0x2C, .spi_w0 = 0x80, .spi_addr_msb = true,
        .uart_clkdiv_reg = 0x3FF40014, .xtal_mhz = 40, .xtal_div = 1,
        .mac_reg = 0, .mac = { 0x24, 0x0A, 0xC4, 0x12, 0x34, 0x56 }, .regs = regs_esp32,
        .banner = "ets Jul 29 2019 12:21:46\r\n\r\n",
        .rst_poweron = "0x1 (POWERON_RESET)", .rst_sw = "0xc (SW_CPU_RESET)",
        .boot_download = "0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))",
        .boot_flash = "0x13 (SPI_FAST_FLASH_BOOT)", .waiting = "waiting for download\r\n",
        .bootloader_offset = 0x1000,
    },
    {
        .name = "esp32s2", .status_len = 4, .rom_begin20 = true, .rom_esp32_family = true,
        .secinfo_len = 12, .chip_id = 0x0002, .magic = 0x000007C6, .err_no_begin = 0x64,
        .spi_base = 0x3F402000, .spi_usr = 0x18, .spi_usr1 = 0x1C, .spi_usr2 = 0x20,
        .spi_mosi_dlen = 0x24, .spi_miso_dlen = 0x28, .spi_w0 = 0x58, .spi_addr_msb = false,
        .uart_clkdiv_reg = 0x3F400014, .xtal_mhz = 40, .xtal_div = 1,
        .mac_reg = 0x3F41A044, .mac = { 0x7C, 0xDF, 0xA1, 0x12, 0x34, 0x02 }, .regs = regs_none,
        .banner = "ESP-ROM:esp32s2-rc4-20191025\r\nBuild:Oct 25 2019\r\n",
        .rst_poweron = "0x1 (POWERON)", .rst_sw = "0xc (RTC_SW_CPU_RST)",
        .boot_download = "0x0 (DOWNLOAD(USB/UART0/1))",
        .boot_flash = "0x8 (SPI_FAST_FLASH_BOOT)", .waiting = "waiting for download\r\n",
        .bootloader_offset = 0x1000,
    },
    {
        .name = "esp32s3", .status_len = 4, .rom_begin20 = true, .rom_esp32_family = true,
        .secinfo_len = 20, .chip_id = 0x0009, .magic = 0x00000009, .err_no_begin = 0x64,
        .spi_base = 0x60002000, .spi_usr = 0x18, .spi_usr1 = 0x1C, .spi_usr2 = 0x20,
        .spi_mosi_dlen = 0x24, .spi_miso_dlen = 0x28, .spi_w0 = 0x58, .spi_addr_msb = false,
        .uart_clkdiv_reg = 0x60000014, .xtal_mhz = 40, .xtal_div = 1,
        .mac_reg = 0x60007044, .mac = { 0x7C, 0xDF, 0xA1, 0x12, 0x34, 0x09 }, .regs = regs_none,
        .banner = "ESP-ROM:esp32s3-20210327\r\nBuild:Mar 27 2021\r\n",
        .rst_poweron = "0x1 (POWERON)", .rst_sw = "0xc (RTC_SW_CPU_RST)",
        .boot_download = "0x0 (DOWNLOAD(USB/UART0))",
        .boot_flash = "0x8 (SPI_FAST_FLASH_BOOT)", .waiting = "waiting for download\r\n",
        .bootloader_offset = 0x0,
    },
    {
        .name = "esp32c2", .status_len = 4, .rom_begin20 = true, .rom_esp32_family = true,
        .secinfo_len = 20, .chip_id = 0x000C, .magic = 0x7C41A06F, .err_no_begin = 0x64,
        .spi_base = 0x60002000, .spi_usr = 0x18, .spi_usr1 = 0x1C, .spi_usr2 = 0x20,
        .spi_mosi_dlen = 0x24, .spi_miso_dlen = 0x28, .spi_w0 = 0x58, .spi_addr_msb = false,
        .uart_clkdiv_reg = 0x60000014, .xtal_mhz = 40, .xtal_div = 1,
        .mac_reg = 0x60008840, .mac = { 0x08, 0x3A, 0x8D, 0x12, 0x34, 0x0C }, .regs = regs_esp32c2,
        .banner = "ESP-ROM:esp8684-api2-20220127\r\nBuild:Jan 27 2022\r\n",
        .rst_poweron = "0x1 (POWERON)", .rst_sw = "0xc (RTC_SW_CPU_RST)",
        .boot_download = "0x4 (DOWNLOAD(UART0))",
        .boot_flash = "0xc (SPI_FAST_FLASH_BOOT)", .waiting = "waiting for download\r\n",
        .bootloader_offset = 0x0,
    },
    {
        .name = "esp32c3", .status_len = 4, .rom_begin20 = true, .rom_esp32_family = true,
        .secinfo_len = 20, .chip_id = 0x0005, .api_version = 3, .key_purpose6 = 0x0C,
        .magic = 0x1B31506F,
        .err_no_begin = 0x64,
        .spi_base = 0x60002000, .spi_usr = 0x18, .spi_usr1 = 0x1C, .spi_usr2 = 0x20,
        .spi_mosi_dlen = 0x24, .spi_miso_dlen = 0x28, .spi_w0 = 0x58, .spi_addr_msb = false,
        .uart_clkdiv_reg = 0x60000014, .xtal_mhz = 40, .xtal_div = 1,
        .mac_reg = 0x60008844, .mac = { 0x58, 0xCF, 0x79, 0x12, 0x34, 0x05 }, .regs = regs_none,
        .banner = "ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb  7 2021\r\n",
        .rst_poweron = "0x1 (POWERON)", .rst_sw = "0xc (RTC_SW_CPU_RST)",
        .boot_download = "0x7 (DOWNLOAD(USB/UART0/1))",
        .boot_flash = "0xc (SPI_FAST_FLASH_BOOT)", .waiting = "waiting for download\r\n",
        .bootloader_offset = 0x0,
    },
    {
        .name = "esp32c5", .status_len = 4, .rom_begin20 = true, .rom_esp32_family = true,
        .secinfo_len = 20, .chip_id = 0x0017, .magic = 0x1101406F, .err_no_begin = 0x64,
        .spi_base = 0x60003000, .spi_usr = 0x18, .spi_usr1 = 0x1C, .spi_usr2 = 0x20,
        .spi_mosi_dlen = 0x24, .spi_miso_dlen = 0x28, .spi_w0 = 0x58, .spi_addr_msb = false,
        .uart_clkdiv_reg = 0x60000014, .xtal_mhz = 48, .xtal_div = 1,
        .mac_reg = 0x600B4844, .mac = { 0xD0, 0xCF, 0x13, 0x12, 0x34, 0x17 }, .regs = regs_esp32c5,
        .banner = "ESP-ROM:esp32c5-eco2-20250121\r\nBuild:Jan 21 2025\r\n",
        .rst_poweron = "0x1 (POWERON)", .rst_sw = "0xc (SW_CPU_RESET)",
        .boot_download = "0x4 (DOWNLOAD(USB/UART0/SDIO_FEI_FEO))",
        .boot_flash = "0x18 (SPI_FAST_FLASH_BOOT)", .waiting = "waiting for download\r\n",
        .bootloader_offset = 0x2000,
    },
    {
        .name = "esp32c6", .status_len = 4, .rom_begin20 = true, .rom_esp32_family = true,
        .secinfo_len = 20, .chip_id = 0x000D, .magic = 0x2CE0806F, .err_no_begin = 0x64,
        .spi_base = 0x60003000, .spi_usr = 0x18, .spi_usr1 = 0x1C, .spi_usr2 = 0x20,
        .spi_mosi_dlen = 0x24, .spi_miso_dlen = 0x28, .spi_w0 = 0x58, .spi_addr_msb = false,
        .uart_clkdiv_reg = 0x60000014, .xtal_mhz = 40, .xtal_div = 1,
        .mac_reg = 0x600B0844, .mac = { 0x40, 0x4C, 0xCA, 0x12, 0x34, 0x0D }, .regs = regs_esp32c6_h2,
        .banner = "ESP-ROM:esp32c6-20220919\r\nBuild:Sep 19 2022\r\n",
        .rst_poweron = "0x1 (POWERON)", .rst_sw = "0xc (SW_CPU)",
        .boot_download = "0x4 (DOWNLOAD(USB/UART0/SDIO_REI_FEO))",
        .boot_flash = "0xc (SPI_FAST_FLASH_BOOT)", .waiting = "waiting for download\r\n",
        .bootloader_offset = 0x0,
    },
    {
        .name = "esp32c61", .status_len = 4, .rom_begin20 = true, .rom_esp32_family = true,
        .secinfo_len = 20, .chip_id = 0x0014, .magic = 0x7211606F, .err_no_begin = 0x64,
        .spi_base = 0x60003000, .spi_usr = 0x18, .spi_usr1 = 0x1C, .spi_usr2 = 0x20,
        .spi_mosi_dlen = 0x24, .spi_miso_dlen = 0x28, .spi_w0 = 0x58, .spi_addr_msb = false,
        .uart_clkdiv_reg = 0x60000014, .xtal_mhz = 40, .xtal_div = 1,
        .mac_reg = 0x600B4844, .mac = { 0x8C, 0xFD, 0x49, 0x12, 0x34, 0x14 }, .regs = regs_none,
        .banner = "ESP-ROM:esp32c61-eco2-20240822\r\nBuild:Aug 22 2024\r\n",
        .rst_poweron = "0x1 (POWERON)", .rst_sw = "0xc (SW_CPU_RESET)",
        .boot_download = "0x4 (DOWNLOAD(USB/UART0))",
        .boot_flash = "0xc (SPI_FAST_FLASH_BOOT)", .waiting = "waiting for download\r\n",
        .bootloader_offset = 0x0,
    },
    {
        .name = "esp32h2", .status_len = 4, .rom_begin20 = true, .rom_esp32_family = true,
        .secinfo_len = 20, .chip_id = 0x0010, .magic = 0xD7B73E80, .err_no_begin = 0x64,
        .spi_base = 0x60003000, .spi_usr = 0x18, .spi_usr1 = 0x1C, .spi_usr2 = 0x20,
        .spi_mosi_dlen = 0x24, .spi_miso_dlen = 0x28, .spi_w0 = 0x58, .spi_addr_msb = false,
        .uart_clkdiv_reg = 0x60000014, .xtal_mhz = 32, .xtal_div = 1,
        .mac_reg = 0x600B0844, .mac = { 0x60, 0x55, 0xF9, 0x12, 0x34, 0x10 }, .regs = regs_esp32c6_h2,
        .banner = "ESP-ROM:esp32h2-20221101\r\nBuild:Nov  1 2022\r\n",
        .rst_poweron = "0x1 (POWERON)", .rst_sw = "0xc (SW_CPU)",
        .boot_download = "0x4 (DOWNLOAD(USB/UART0))",
        .boot_flash = "0xc (SPI_FAST_FLASH_BOOT)", .waiting = "waiting for download\r\n",
        .bootloader_offset = 0x0,
    },
    {
        .name = "esp32p4", .status_len = 4, .rom_begin20 = true, .rom_esp32_family = true,
        .secinfo_len = 20, .chip_id = 0x0012, .magic = 0x00000000, .err_no_begin = 0x64,
        .spi_base = 0x5008D000, .spi_usr = 0x18, .spi_usr1 = 0x1C, .spi_usr2 = 0x20,
        .spi_mosi_dlen = 0x24, .spi_miso_dlen = 0x28, .spi_w0 = 0x58, .spi_addr_msb = false,
        .uart_clkdiv_reg = 0x500CA014, .xtal_mhz = 40, .xtal_div = 1,
        .mac_reg = 0x5012D044, .mac = { 0x30, 0xED, 0xA0, 0x12, 0x34, 0x12 }, .regs = regs_esp32p4,
        .banner = "ESP-ROM:esp32p4-eco2-20240710\r\nBuild:Jul 10 2024\r\n",
        .rst_poweron = "0x1 (POWERON)", .rst_sw = "0xc (SW_CPU_RESET)",
        .boot_download = "0x4 (DOWNLOAD(USB/UART0/1/SPI))",
        .boot_flash = "0xc (SPI_FAST_FLASH_BOOT)", .waiting = "waiting for download\r\n",
        .bootloader_offset = 0x2000,
    },
};

const struct emu_chip *emu_chip_find(const char *name)
{
    for (size_t i = 0; i < sizeof chips / sizeof chips[0]; i++)
        if (chip_name_eq(chips[i].name, name))
            return &chips[i];
    return NULL;
}

/* MAC words as the eFuse holds them: word0 = MAC[2..5] big-endian,
 * word1 = MAC[0] << 8 | MAC[1] (other bits of word1 belong to other
 * fields and come from the regs table). */
bool emu_chip_reg(const struct emu_chip *c, uint32_t addr, uint32_t *value)
{
    bool found = false;
    uint32_t v = 0;
    if (addr == 0x40001000) {
        v = c->magic;
        found = true;
    }
    if (c->mac_reg && addr == c->mac_reg) {
        v |= (uint32_t)c->mac[2] << 24 | (uint32_t)c->mac[3] << 16 |
             (uint32_t)c->mac[4] << 8 | c->mac[5];
        found = true;
    }
    if (c->mac_reg && addr == c->mac_reg + 4) {
        v |= (uint32_t)c->mac[0] << 8 | c->mac[1];
        found = true;
    }
    for (const struct emu_reg *r = c->regs; r->addr; r++) {
        if (r->addr == addr) {
            v |= r->value;
            found = true;
        }
    }
    *value = v;
    return found;
}

int emu_chip_mac(const char *chip, uint8_t mac[6])
{
    const struct emu_chip *c = emu_chip_find(chip);
    if (!c)
        return -1;
    memcpy(mac, c->mac, 6);
    return 0;
}
