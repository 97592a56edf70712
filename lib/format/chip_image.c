#include "chip_image.h"

#include <stdio.h>
#include <string.h>

/* FLASH_SIZES: ESP8266 has its own; every other chip uses ESP32's. */
static const struct chip_code sizes_8266[] = {
    { "512KB", 0x00 }, { "256KB", 0x10 }, { "1MB", 0x20 }, { "2MB", 0x30 }, { "4MB", 0x40 },
    { "2MB-c1", 0x50 }, { "4MB-c1", 0x60 }, { "8MB", 0x80 }, { "16MB", 0x90 }, { NULL, 0 },
};
static const struct chip_code sizes_esp32[] = {
    { "1MB", 0x00 }, { "2MB", 0x10 }, { "4MB", 0x20 }, { "8MB", 0x30 }, { "16MB", 0x40 },
    { "32MB", 0x50 }, { "64MB", 0x60 }, { "128MB", 0x70 }, { NULL, 0 },
};

/* FLASH_FREQUENCY, in esptool's order. */
static const struct chip_code freq_std[] = {
    { "80m", 0xF }, { "40m", 0x0 }, { "26m", 0x1 }, { "20m", 0x2 }, { NULL, 0 },
};
static const struct chip_code freq_c2[] = {
    { "60m", 0xF }, { "30m", 0x0 }, { "20m", 0x1 }, { "15m", 0x2 }, { NULL, 0 },
};
/* 80m as 0: "workaround for wrong mspi HS div value in ROM" (targets/esp32c6.py). */
static const struct chip_code freq_c6[] = {
    { "80m", 0x0 }, { "40m", 0x0 }, { "20m", 0x2 }, { NULL, 0 },
};
static const struct chip_code freq_c5[] = {
    { "80m", 0xF }, { "40m", 0x0 }, { "20m", 0x2 }, { NULL, 0 },
};
static const struct chip_code freq_h2[] = {
    { "48m", 0xF }, { "24m", 0x0 }, { "16m", 0x1 }, { "12m", 0x2 }, { NULL, 0 },
};

static const uint32_t mmu_c2[] = { 0x4000, 0x8000, 0x10000, 0 };
static const uint32_t mmu_c6[] = { 0x2000, 0x4000, 0x8000, 0x10000, 0 };

#define PAD { 0x00000000, 0x00010000, "PADDING" }
#define END { 0, 0, NULL }

static const struct chip_region map_8266[] = {
    { 0x3FF00000, 0x3FF00010, "DPORT" }, { 0x3FFE8000, 0x40000000, "DRAM" },
    { 0x40100000, 0x40108000, "IRAM" }, { 0x40201010, 0x402E1010, "IROM" }, END,
};
static const struct chip_region map_esp32[] = {
    PAD, { 0x3F400000, 0x3F800000, "DROM" }, { 0x3F800000, 0x3FC00000, "EXTRAM_DATA" },
    { 0x3FF80000, 0x3FF82000, "RTC_DRAM" }, { 0x3FF90000, 0x40000000, "BYTE_ACCESSIBLE" },
    { 0x3FFAE000, 0x40000000, "DRAM" }, { 0x3FFE0000, 0x3FFFFFFC, "DIRAM_DRAM" },
    { 0x40000000, 0x40070000, "IROM" }, { 0x40070000, 0x40078000, "CACHE_PRO" },
    { 0x40078000, 0x40080000, "CACHE_APP" }, { 0x40080000, 0x400A0000, "IRAM" },
    { 0x400A0000, 0x400BFFFC, "DIRAM_IRAM" }, { 0x400C0000, 0x400C2000, "RTC_IRAM" },
    { 0x400D0000, 0x40400000, "IROM" }, { 0x50000000, 0x50002000, "RTC_DATA" }, END,
};
static const struct chip_region map_s2[] = {
    PAD, { 0x3F000000, 0x3FF80000, "DROM" }, { 0x3F500000, 0x3FF80000, "EXTRAM_DATA" },
    { 0x3FF9E000, 0x3FFA0000, "RTC_DRAM" }, { 0x3FF9E000, 0x40000000, "BYTE_ACCESSIBLE" },
    { 0x3FF9E000, 0x40072000, "MEM_INTERNAL" }, { 0x3FFB0000, 0x40000000, "DRAM" },
    { 0x40000000, 0x4001A100, "IROM_MASK" }, { 0x40020000, 0x40070000, "IRAM" },
    { 0x40070000, 0x40072000, "RTC_IRAM" }, { 0x40080000, 0x40800000, "IROM" },
    { 0x50000000, 0x50002000, "RTC_DATA" }, END,
};
static const struct chip_region map_s3[] = {
    PAD, { 0x3C000000, 0x3D000000, "DROM" }, { 0x3D000000, 0x3E000000, "EXTRAM_DATA" },
    { 0x600FE000, 0x60100000, "RTC_DRAM" }, { 0x3FC88000, 0x3FD00000, "BYTE_ACCESSIBLE" },
    { 0x3FC88000, 0x403E2000, "MEM_INTERNAL" }, { 0x3FC88000, 0x3FD00000, "DRAM" },
    { 0x40000000, 0x4001A100, "IROM_MASK" }, { 0x40370000, 0x403E0000, "IRAM" },
    { 0x600FE000, 0x60100000, "RTC_IRAM" }, { 0x42000000, 0x42800000, "IROM" },
    { 0x50000000, 0x50002000, "RTC_DATA" }, END,
};
static const struct chip_region map_c2[] = {
    PAD, { 0x3C000000, 0x3C400000, "DROM" }, { 0x3FCA0000, 0x3FCE0000, "DRAM" },
    { 0x3FC88000, 0x3FD00000, "BYTE_ACCESSIBLE" }, { 0x3FF00000, 0x3FF50000, "DROM_MASK" },
    { 0x40000000, 0x40090000, "IROM_MASK" }, { 0x42000000, 0x42400000, "IROM" },
    { 0x4037C000, 0x403C0000, "IRAM" }, END,
};
static const struct chip_region map_c3[] = {
    PAD, { 0x3C000000, 0x3C800000, "DROM" }, { 0x3FC80000, 0x3FCE0000, "DRAM" },
    { 0x3FC88000, 0x3FD00000, "BYTE_ACCESSIBLE" }, { 0x3FF00000, 0x3FF20000, "DROM_MASK" },
    { 0x40000000, 0x40060000, "IROM_MASK" }, { 0x42000000, 0x42800000, "IROM" },
    { 0x4037C000, 0x403E0000, "IRAM" }, { 0x50000000, 0x50002000, "RTC_IRAM" },
    { 0x50000000, 0x50002000, "RTC_DRAM" }, { 0x600FE000, 0x60100000, "MEM_INTERNAL2" }, END,
};
/* C5 and C61 share this map (each file spells it out). */
static const struct chip_region map_c5[] = {
    PAD, { 0x42000000, 0x44000000, "DROM" }, { 0x40800000, 0x40860000, "DRAM" },
    { 0x40800000, 0x40860000, "BYTE_ACCESSIBLE" }, { 0x4003A000, 0x40040000, "DROM_MASK" },
    { 0x40000000, 0x4003A000, "IROM_MASK" }, { 0x42000000, 0x44000000, "IROM" },
    { 0x40800000, 0x40860000, "IRAM" }, { 0x50000000, 0x50004000, "RTC_IRAM" },
    { 0x50000000, 0x50004000, "RTC_DRAM" }, { 0x600FE000, 0x60100000, "MEM_INTERNAL2" }, END,
};
static const struct chip_region map_c61[] = {
    PAD, { 0x42000000, 0x44000000, "DROM" }, { 0x40800000, 0x40860000, "DRAM" },
    { 0x40800000, 0x40860000, "BYTE_ACCESSIBLE" }, { 0x4004AC00, 0x40050000, "DROM_MASK" },
    { 0x40000000, 0x4004AC00, "IROM_MASK" }, { 0x42000000, 0x44000000, "IROM" },
    { 0x40800000, 0x40860000, "IRAM" }, { 0x50000000, 0x50004000, "RTC_IRAM" },
    { 0x50000000, 0x50004000, "RTC_DRAM" }, { 0x600FE000, 0x60100000, "MEM_INTERNAL2" }, END,
};
/* C6, and H2 which inherits it. */
static const struct chip_region map_c6[] = {
    PAD, { 0x42000000, 0x43000000, "DROM" }, { 0x40800000, 0x40880000, "DRAM" },
    { 0x40800000, 0x40880000, "BYTE_ACCESSIBLE" }, { 0x4004AC00, 0x40050000, "DROM_MASK" },
    { 0x40000000, 0x4004AC00, "IROM_MASK" }, { 0x42000000, 0x43000000, "IROM" },
    { 0x40800000, 0x40880000, "IRAM" }, { 0x50000000, 0x50004000, "RTC_IRAM" },
    { 0x50000000, 0x50004000, "RTC_DRAM" }, { 0x600FE000, 0x60100000, "MEM_INTERNAL2" }, END,
};
static const struct chip_region map_p4[] = {
    PAD, { 0x40000000, 0x4C000000, "DROM" }, { 0x4FF00000, 0x4FFA0000, "DRAM" },
    { 0x4FF00000, 0x4FFA0000, "BYTE_ACCESSIBLE" }, { 0x4FC00000, 0x4FC20000, "DROM_MASK" },
    { 0x4FC00000, 0x4FC20000, "IROM_MASK" }, { 0x40000000, 0x4C000000, "IROM" },
    { 0x4FF00000, 0x4FFA0000, "IRAM" }, { 0x50108000, 0x50110000, "RTC_IRAM" },
    { 0x50108000, 0x50110000, "RTC_DRAM" }, { 0x600FE000, 0x60100000, "MEM_INTERNAL2" }, END,
};

static const struct chip_image images[] = {
    { "esp8266", ESP8266_IROM_START, ESP8266_IROM_END, 0, 0, map_8266, NULL, sizes_8266,
      freq_std },
    { "esp32", 0x400D0000, 0x40400000, 0x3F400000, 0x3F800000, map_esp32, NULL, sizes_esp32,
      freq_std },
    { "esp32s2", 0x40080000, 0x40B80000, 0x3F000000, 0x3F3F0000, map_s2, NULL, sizes_esp32,
      freq_std },
    { "esp32s3", 0x42000000, 0x44000000, 0x3C000000, 0x3E000000, map_s3, NULL, sizes_esp32,
      freq_std },
    { "esp32c2", 0x42000000, 0x42400000, 0x3C000000, 0x3C400000, map_c2, mmu_c2, sizes_esp32,
      freq_c2 },
    { "esp32c3", 0x42000000, 0x42800000, 0x3C000000, 0x3C800000, map_c3, NULL, sizes_esp32,
      freq_std },
    { "esp32c5", 0x42000000, 0x44000000, 0x42000000, 0x44000000, map_c5, NULL, sizes_esp32,
      freq_c5 },
    { "esp32c6", 0x42000000, 0x42800000, 0x42800000, 0x43000000, map_c6, mmu_c6, sizes_esp32,
      freq_c6 },
    { "esp32c61", 0x42000000, 0x42800000, 0x42800000, 0x43000000, map_c61, mmu_c6, sizes_esp32,
      freq_c5 },
    { "esp32h2", 0x42000000, 0x42800000, 0x42800000, 0x43000000, map_c6, mmu_c6, sizes_esp32,
      freq_h2 },
    { "esp32p4", 0x40000000, 0x4C000000, 0x40000000, 0x4C000000, map_p4, NULL, sizes_esp32,
      freq_std },
};

const struct chip_image *chip_image(const struct chip *c)
{
    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++)
        if (!strcmp(images[i].chip, c->name))
            return &images[i];
    return NULL;
}

bool chip_image_is_flash(const struct chip_image *ci, uint32_t addr)
{
    return (addr >= ci->irom_start && addr < ci->irom_end) ||
           (addr >= ci->drom_start && addr < ci->drom_end);
}

void chip_image_memory_types(const struct chip_image *ci, uint32_t addr, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (const struct chip_region *r = ci->memory_map; r->name; r++)
        if (addr >= r->start && addr < r->end && n < cap)
            n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "", r->name);
}

int chip_code_of(const struct chip_code *t, const char *name)
{
    for (; t->name; t++)
        if (!strcmp(t->name, name))
            return t->code;
    return -1;
}

const char *chip_code_name(const struct chip_code *t, uint8_t code)
{
    for (; t->name; t++)
        if (t->code == code)
            return t->name;
    return NULL;
}

void chip_code_list(const struct chip_code *t, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (; t->name && n < cap; t++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "", t->name);
}
