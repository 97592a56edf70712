#include "chip.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

/* Frequency columns: header nibble 0x0, 0x1, 0x2, 0xF. */
#define FREQ_STD  { "40m", "26m", "20m", "80m" }
#define FREQ_C2   { "30m", "20m", "15m", "60m" }
#define FREQ_C5   { "40m", NULL, "20m", "80m" }
#define FREQ_H2   { "24m", "16m", "12m", "48m" }
#define FREQ_C6   { "40m", NULL, "20m", "80m" }

/* Loader facts per chip (ET5 esptool/targets/ESPxx.py, protocol doc §4.2). */
#define SPI_NEW 0x18, 0x1C, 0x20, 0x24, 0x28, 0x58
static const struct chip_loader ld_esp8266 = {
    { 0xFFF0C101 }, 2, true, true, 0x60000200, 0x1C, 0x20, 0x24, 0, 0, 0x40,
    0x3FF00050, 0x3FF00050, 0x60000014, 2, "esp8266" };
static const struct chip_loader ld_esp32 = {
    { 0x00F01D83 }, 4, true, false, 0x3FF42000, 0x1C, 0x20, 0x24, 0x28, 0x2C, 0x80,
    0x3FF5A000, 0x3FF5A004, 0x3FF40014, 1, "esp32" };
static const struct chip_loader ld_esp32s2 = {
    { 0x000007C6 }, 4, false, false, 0x3F402000, SPI_NEW,
    0x3F41A000, 0x3F41A044, 0x3F400014, 1, "esp32s2" };
static const struct chip_loader ld_esp32s3 = {
    { 0x00000009 }, 4, false, false, 0x60002000, SPI_NEW,
    0x60007000, 0x60007044, 0x60000014, 1, "esp32s3" };
static const struct chip_loader ld_esp32c2 = {
    { 0x6F51306F, 0x7C41A06F, 0x0C21E06F }, 4, false, false, 0x60002000, SPI_NEW,
    0x60008800, 0x60008840, 0x60000014, 1, "esp32c2" };
static const struct chip_loader ld_esp32c3 = {
    { 0x6921506F, 0x1B31506F, 0x4881606F, 0x4361606F }, 4, false, false, 0x60002000, SPI_NEW,
    0x60008800, 0x60008844, 0x60000014, 1, "esp32c3" };
static const struct chip_loader ld_esp32c5 = {
    { 0x1101406F, 0x5FD1406F }, 4, false, false, 0x60003000, SPI_NEW,
    0x600B4800, 0x600B4844, 0x60000014, 1, "esp32c5" };
static const struct chip_loader ld_esp32c6 = {
    { 0x2CE0806F }, 4, false, false, 0x60003000, SPI_NEW,
    0x600B0800, 0x600B0844, 0x60000014, 1, "esp32c6" };
static const struct chip_loader ld_esp32c61 = {
    { 0x7211606F }, 4, false, false, 0x60003000, SPI_NEW,
    0x600B4800, 0x600B4844, 0x60000014, 1, "esp32c61" };
static const struct chip_loader ld_esp32h2 = {
    { 0xD7B73E80 }, 4, false, false, 0x60003000, SPI_NEW,
    0x600B0800, 0x600B0844, 0x60000014, 1, "esp32h2" };
static const struct chip_loader ld_esp32p4 = {
    { 0 }, 4, false, false, 0x5008D000, SPI_NEW,
    0x5012D000, 0x5012D044, 0, 1, "esp32p4" };

static const struct chip chips[] = {
    { "esp8266",  "ESP8266",   CHIP_ID_NONE, 0x0,    0x7EAB61ED, false, FREQ_STD, &ld_esp8266 },
    { "esp32",    "ESP32",     0x0000,       0x1000, 0x1C5F21B0, true,  FREQ_STD, &ld_esp32 },
    { "esp32s2",  "ESP32-S2",  0x0002,       0x1000, 0xBFDD4EEE, true,  FREQ_STD, &ld_esp32s2 },
    { "esp32s3",  "ESP32-S3",  0x0009,       0x0,    0xC47E5767, true,  FREQ_STD, &ld_esp32s3 },
    { "esp32c2",  "ESP32-C2",  0x000C,       0x0,    0x2B88D29C, true,  FREQ_C2, &ld_esp32c2 },
    { "esp32c3",  "ESP32-C3",  0x0005,       0x0,    0xD42BA06C, true,  FREQ_STD, &ld_esp32c3 },
    { "esp32c5",  "ESP32-C5",  0x0017,       0x2000, 0xF71C0343, true,  FREQ_C5, &ld_esp32c5 },
    { "esp32c6",  "ESP32-C6",  0x000D,       0x0,    0x540DDF62, true,  FREQ_C6, &ld_esp32c6 },
    { "esp32c61", "ESP32-C61", 0x0014,       0x0,    0x77D850C4, true,  FREQ_C5, &ld_esp32c61 },
    { "esp32h2",  "ESP32-H2",  0x0010,       0x0,    0x332726F6, true,  FREQ_H2, &ld_esp32h2 },
    { "esp32p4",  "ESP32-P4",  0x0012,       0x2000, 0x3D308E94, true,  FREQ_STD, &ld_esp32p4 },
};

#define NCHIPS (sizeof chips / sizeof chips[0])

static const struct chip *const chip_list[] = {
    &chips[0], &chips[1], &chips[2], &chips[3], &chips[4], &chips[5],
    &chips[6], &chips[7], &chips[8], &chips[9], &chips[10], NULL,
};
_Static_assert(sizeof chip_list / sizeof chip_list[0] == NCHIPS + 1, "chip_list out of date");

const struct chip *const *chip_all(void)
{
    return chip_list;
}

bool chip_name_eq(const char *a, const char *b)
{
    for (;;) {
        while (*a == '-') a++;
        while (*b == '-') b++;
        if (!*a || !*b)
            return !*a && !*b;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
        a++, b++;
    }
}

const struct chip *chip_by_name(const char *name)
{
    for (size_t i = 0; i < NCHIPS; i++)
        if (chip_name_eq(chips[i].name, name))
            return &chips[i];
    return NULL;
}

const struct chip *chip_by_image_id(uint16_t id)
{
    for (size_t i = 0; i < NCHIPS; i++)
        if (chips[i].has_ext_header && chips[i].image_id == id)
            return &chips[i];
    return NULL;
}

static int freq_column(unsigned code)
{
    switch (code) {
    case 0x0: return 0;
    case 0x1: return 1;
    case 0x2: return 2;
    case 0xF: return 3;
    default: return -1;
    }
}

const char *chip_freq_name(const struct chip *c, unsigned code)
{
    int col = freq_column(code);
    return col < 0 ? NULL : c->freq_names[col];
}

const struct chip *chip_by_magic(uint32_t magic)
{
    if (magic == 0)
        return NULL;
    for (size_t i = 0; i < NCHIPS; i++)
        for (int k = 0; k < 4; k++)
            if (chips[i].ld && chips[i].ld->magic[k] == magic)
                return &chips[i];
    return NULL;
}
