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

static const struct chip chips[] = {
    { "esp8266",  "ESP8266",   CHIP_ID_NONE, 0x0,    0x7EAB61ED, false, FREQ_STD },
    { "esp32",    "ESP32",     0x0000,       0x1000, 0x1C5F21B0, true,  FREQ_STD },
    { "esp32s2",  "ESP32-S2",  0x0002,       0x1000, 0xBFDD4EEE, true,  FREQ_STD },
    { "esp32s3",  "ESP32-S3",  0x0009,       0x0,    0xC47E5767, true,  FREQ_STD },
    { "esp32c2",  "ESP32-C2",  0x000C,       0x0,    0x2B88D29C, true,  FREQ_C2 },
    { "esp32c3",  "ESP32-C3",  0x0005,       0x0,    0xD42BA06C, true,  FREQ_STD },
    { "esp32c5",  "ESP32-C5",  0x0017,       0x2000, 0xF71C0343, true,  FREQ_C5 },
    { "esp32c6",  "ESP32-C6",  0x000D,       0x0,    0x540DDF62, true,  FREQ_C6 },
    { "esp32c61", "ESP32-C61", 0x0014,       0x0,    0x77D850C4, true,  FREQ_C5 },
    { "esp32h2",  "ESP32-H2",  0x0010,       0x0,    0x332726F6, true,  FREQ_H2 },
    { "esp32p4",  "ESP32-P4",  0x0012,       0x2000, 0x3D308E94, true,  FREQ_STD },
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

/* Compare ignoring case and '-' so "ESP32-S3", "esp32-s3" and "esp32s3" match. */
static bool same_name(const char *a, const char *b)
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
        if (same_name(chips[i].name, name))
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

int chip_freq_code(const struct chip *c, const char *name)
{
    static const unsigned codes[4] = { 0x0, 0x1, 0x2, 0xF };
    for (int i = 0; i < 4; i++)
        if (c->freq_names[i] && strcmp(c->freq_names[i], name) == 0)
            return (int)codes[i];
    return -1;
}
