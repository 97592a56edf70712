/* What esptool says about a chip right after connecting: its description
 * (package and revision), features and crystal.  Read from eFuse words and
 * the UART divider the way esptool's target classes do
 * (../shared/docs/esp-loader-protocol.md §4.2); only what the registers
 * tell: where esptool decodes more eFuse fields (embedded flash/PSRAM
 * sizes of S2/S3/C3 variants) we say nothing rather than guess. */
#include "loader.h"
#include "loader_impl.h"

#include <stdio.h>
#include <string.h>

static bool is(const struct loader *l, const char *name)
{
    return strcmp(l->chip->name, name) == 0;
}

/* eFuse word n of BLK0 (ESP32: the read registers at efuse_base). */
static int efuse(struct loader *l, unsigned n, uint32_t *v, struct err *e)
{
    return loader_read_reg(l, l->chip->ld->efuse_base + 4 * n, v, e);
}

/* Word n of eFuse BLK1 (base + 0x44) or, on ESP32-C2, BLK2 (base + 0x40). */
static int blk(struct loader *l, unsigned n, uint32_t *v, struct err *e)
{
    uint32_t off = is(l, "esp32c2") ? 0x40 : 0x44;
    return loader_read_reg(l, l->chip->ld->efuse_base + off + 4 * n, v, e);
}

#define BITS(v, shift, mask) (((v) >> (shift)) & (mask))

/* Major and minor chip revision; -1 where we do not know the fields. */
static int revision(struct loader *l, int *major, int *minor, struct err *e)
{
    uint32_t a, b;
    if (is(l, "esp32")) {
        uint32_t w3, w5, apb;
        if (efuse(l, 3, &w3, e) || efuse(l, 5, &w5, e) || loader_read_reg(l, 0x3FF6607C, &apb, e))
            return -1;
        unsigned combined = BITS(apb, 31, 1) << 2 | BITS(w5, 20, 1) << 1 | BITS(w3, 15, 1);
        *major = combined == 7 ? 3 : combined == 3 ? 2 : combined == 1 ? 1 : 0;
        *minor = (int)BITS(w5, 24, 3);
    } else if (is(l, "esp32s2")) {
        if (blk(l, 3, &a, e) || blk(l, 4, &b, e))
            return -1;
        *major = (int)BITS(a, 18, 3);
        *minor = (int)(BITS(a, 20, 1) << 3 | BITS(b, 4, 7));
    } else if (is(l, "esp32s3") || is(l, "esp32c3")) {
        if (blk(l, 5, &a, e) || blk(l, 3, &b, e))
            return -1;
        *major = (int)BITS(a, 24, 3);
        *minor = (int)(BITS(a, 23, 1) << 3 | BITS(b, 18, 7));
    } else if (is(l, "esp32c2")) {
        if (blk(l, 1, &a, e))
            return -1;
        *major = (int)BITS(a, 20, 3);
        *minor = (int)BITS(a, 16, 0xF);
    } else if (is(l, "esp32c6")) {
        if (blk(l, 3, &a, e))
            return -1;
        *major = (int)BITS(a, 22, 3);
        *minor = (int)BITS(a, 18, 0xF);
    } else if (is(l, "esp32h2")) {
        if (blk(l, 3, &a, e))
            return -1;
        *major = (int)BITS(a, 21, 3);
        *minor = (int)BITS(a, 18, 7);
    } else if (is(l, "esp32c5") || is(l, "esp32c61")) {
        if (blk(l, 2, &a, e))
            return -1;
        *major = (int)BITS(a, 4, 3);
        *minor = (int)BITS(a, 0, 0xF);
    } else if (is(l, "esp32p4")) {
        if (blk(l, 2, &a, e))
            return -1;
        *major = (int)(BITS(a, 23, 1) << 2 | BITS(a, 4, 3));
        *minor = (int)BITS(a, 0, 0xF);
    } else {
        return err_set(e, "no revision fields known for %s", l->chip->display);
    }
    return 0;
}

/* ESP8266 or ESP8285: OTP bits 4 and 80 (esptool's test). */
static int is_8285(struct loader *l, bool *yes, struct err *e)
{
    uint32_t w0, w2;
    if (loader_read_reg(l, 0x3FF00050, &w0, e) || loader_read_reg(l, 0x3FF00058, &w2, e))
        return -1;
    *yes = (w0 & (1u << 4)) || (w2 & (1u << 16));
    return 0;
}

int loader_chip_description(struct loader *l, char *out, size_t cap, struct err *e)
{
    if (l->chip->ld->rom_is_8266) {
        bool x;
        if (is_8285(l, &x, e))
            return -1;
        snprintf(out, cap, "%s", x ? "ESP8285" : "ESP8266EX");
        return 0;
    }
    int major = 0, minor = 0;
    if (revision(l, &major, &minor, e) != 0)
        return -1;
    char name[40];
    snprintf(name, sizeof name, "%s", l->chip->display);
    uint32_t w;
    if (is(l, "esp32")) {
        if (efuse(l, 3, &w, e))
            return -1;
        unsigned pkg = BITS(w, 9, 7) | BITS(w, 2, 1) << 3;
        bool single = w & 1, v3 = major == 3;
        static const char *const d0wdq6[] = { "ESP32-D0WDQ6", "ESP32-D0WDQ6-V3", "ESP32-S0WDQ6" };
        static const char *const d0wd[] = { "ESP32-D0WD", "ESP32-D0WD-V3", "ESP32-S0WD" };
        const char *const *t = pkg == 0 ? d0wdq6 : d0wd;
        const char *n = "unknown ESP32";
        if (pkg <= 1)
            n = t[single ? 2 : v3 ? 1 : 0];
        else if (pkg == 2)
            n = "ESP32-D2WD";
        else if (pkg == 4)
            n = "ESP32-U4WDH";
        else if (pkg == 5)
            n = v3 ? "ESP32-PICO-V3" : "ESP32-PICO-D4";
        else if (pkg == 6)
            n = "ESP32-PICO-V3-02";
        else if (pkg == 7)
            n = "ESP32-D0WDR2-V3";
        snprintf(name, sizeof name, "%s", n);
    } else if (is(l, "esp32c3")) {
        if (blk(l, 3, &w, e))
            return -1;
        static const char *const pk[] = { "ESP32-C3 (QFN32)", "ESP8685 (QFN28)",
                                          "ESP32-C3 AZ (QFN32)", "ESP8686 (QFN24)" };
        unsigned pkg = BITS(w, 21, 7);
        snprintf(name, sizeof name, "%s", pkg < 4 ? pk[pkg] : "unknown ESP32-C3");
    }
    snprintf(out, cap, "%s (revision v%d.%d)", name, major, minor);
    return 0;
}

int loader_chip_features(struct loader *l, char *out, size_t cap, struct err *e)
{
    if (l->chip->ld->rom_is_8266) {
        bool x;
        if (is_8285(l, &x, e))
            return -1;
        snprintf(out, cap, "%s", x ? "WiFi, Embedded Flash" : "WiFi");
        return 0;
    }
    if (!is(l, "esp32")) {
        /* The fixed part of each chip's list (its variants' embedded
         * flash/PSRAM are not decoded here). */
        static const struct { const char *chip, *features; } fixed[] = {
            { "esp32s2", "WiFi" }, { "esp32s3", "WiFi, BLE" }, { "esp32c2", "WiFi, BLE" },
            { "esp32c3", "WiFi, BLE" }, { "esp32c5", "WiFi 6, BT 5, IEEE802.15.4" },
            { "esp32c6", "WiFi 6, BT 5, IEEE802.15.4" }, { "esp32c61", "WiFi 6, BT 5" },
            { "esp32h2", "BLE, IEEE802.15.4" }, { "esp32p4", "High-Performance MCU" },
        };
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
            if (is(l, fixed[i].chip)) {
                snprintf(out, cap, "%s", fixed[i].features);
                return 0;
            }
        return err_set(e, "no feature list for %s", l->chip->display);
    }
    uint32_t w3, w4, w6;
    if (efuse(l, 3, &w3, e) || efuse(l, 4, &w4, e) || efuse(l, 6, &w6, e))
        return -1;
    unsigned pkg = BITS(w3, 9, 7) | BITS(w3, 2, 1) << 3;
    size_t n = (size_t)snprintf(out, cap, "WiFi%s%s", (w3 & 2) ? "" : ", BT",
                                (w3 & 1) ? ", Single Core" : ", Dual Core");
#define ADD(s) do { if (n < cap) n += (size_t)snprintf(out + n, cap - n, ", %s", s); } while (0)
    if (w3 & (1u << 13))
        ADD((w3 & (1u << 12)) ? "160MHz" : "240MHz");
    if (pkg == 2 || pkg == 4 || pkg == 5 || pkg == 6)
        ADD("Embedded Flash");
    if (pkg == 6)
        ADD("Embedded PSRAM");
    if (BITS(w4, 8, 0x1F))
        ADD("VRef calibration in efuse");
    if (BITS(w3, 14, 1))
        ADD("BLK3 partially reserved");
    static const char *const cs[] = { "Coding Scheme None", "Coding Scheme 3/4",
                                      "Coding Scheme Repeat (UNSUPPORTED)",
                                      "Coding Scheme None (may contain encoding data)" };
    ADD(cs[w6 & 3]);
#undef ADD
    return 0;
}

int loader_crystal_mhz(struct loader *l, struct err *e)
{
    /* Fixed by design on these (esptool's targets say so). */
    if (is(l, "esp32h2"))
        return 32;
    if (is(l, "esp32s2") || is(l, "esp32s3") || is(l, "esp32c3") || is(l, "esp32c6") ||
        is(l, "esp32c61") || is(l, "esp32p4"))
        return 40;
    /* Else from the UART divider: our baud times the divider is the UART
     * clock, the crystal (ESP8266: twice the crystal). */
    uint32_t div;
    if (loader_read_reg(l, l->chip->ld->uart_clkdiv_reg, &div, e) != 0)
        return -1;
    double est = (double)l->port->baud * (div & 0xFFFFF) / 1e6 / l->chip->ld->xtal_clk_div;
    return est > 45 ? 48 : est > 33 ? 40 : 26;
}
