/* What esptool v5 says about a chip right after connecting: its
 * description (package and revision), features and crystal, read from the
 * eFuse words and the UART divider as esptool v5.3.1's target classes do
 * (esptool/targets/: get_chip_description, get_chip_features,
 * get_*_chip_version; ../shared/docs/esptool-commands.md §6.4). */
#include "loader.h"
#include "loader_impl.h"

#include <stdio.h>
#include <string.h>

static bool is(const struct loader *l, const char *name)
{
    return strcmp(l->chip->name, name) == 0;
}

/* Word n of eFuse BLK0 (the read registers at efuse_base). */
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

/* The eFuse words the chip's fields come from, read once: BLK0 words 0-6
 * (ESP32), BLK1 words 0-5 and BLK2 word 4, APB_CTL_DATE (ESP32). */
struct fuses {
    uint32_t w[7], b1[8], b2_4, apb;
};

static int read_fuses(struct loader *l, struct fuses *f, struct err *e)
{
    memset(f, 0, sizeof *f);
    if (is(l, "esp32")) {
        for (unsigned i = 0; i < 7; i++)
            if (efuse(l, i, &f->w[i], e))
                return -1;
        return loader_read_reg(l, 0x3FF6607C, &f->apb, e);
    }
    unsigned words = is(l, "esp32c2") ? 8 : 6;   /* C2's flash fields are in word 7 */
    for (unsigned i = 0; i < words; i++)
        if (blk(l, i, &f->b1[i], e))
            return -1;
    /* BLK2 word 4 at base + 0x5C + 16: block version (S3), calibration (S2) */
    if ((is(l, "esp32s2") || is(l, "esp32s3")) &&
        loader_read_reg(l, l->chip->ld->efuse_base + 0x5C + 16, &f->b2_4, e))
        return -1;
    return 0;
}

static void revision(const struct loader *l, const struct fuses *f, int *major, int *minor)
{
    const uint32_t *b = f->b1;
    if (is(l, "esp32")) {
        unsigned c = BITS(f->apb, 31, 1) << 2 | BITS(f->w[5], 20, 1) << 1 | BITS(f->w[3], 15, 1);
        *major = c == 7 ? 3 : c == 3 ? 2 : c == 1 ? 1 : 0;
        *minor = (int)BITS(f->w[5], 24, 3);
    } else if (is(l, "esp32s2")) {
        *major = (int)BITS(b[3], 18, 3);
        *minor = (int)(BITS(b[3], 20, 1) << 3 | BITS(b[4], 4, 7));
    } else if (is(l, "esp32s3") || is(l, "esp32c3")) {
        *major = (int)BITS(b[5], 24, 3);
        *minor = (int)(BITS(b[5], 23, 1) << 3 | BITS(b[3], 18, 7));
        /* S3 v0.0 chips reused the field: block version 1.1 means v0.0 */
        if (is(l, "esp32s3") && (*minor & 7) == 0 && BITS(f->b2_4, 0, 3) == 1 &&
            BITS(b[3], 24, 7) == 1)
            *minor = 0;
    } else if (is(l, "esp32c2")) {
        *major = (int)BITS(b[1], 20, 3);
        *minor = (int)BITS(b[1], 16, 0xF);
    } else if (is(l, "esp32c6")) {
        *major = (int)BITS(b[3], 22, 3);
        *minor = (int)BITS(b[3], 18, 0xF);
    } else if (is(l, "esp32h2")) {
        *major = (int)BITS(b[3], 21, 3);
        *minor = (int)BITS(b[3], 18, 7);
    } else if (is(l, "esp32p4")) {
        *major = (int)(BITS(b[2], 23, 1) << 2 | BITS(b[2], 4, 3));
        *minor = (int)BITS(b[2], 0, 0xF);
    } else {                                        /* C5, C61 */
        *major = (int)BITS(b[2], 4, 3);
        *minor = (int)BITS(b[2], 0, 0xF);
    }
}

static const char *esp32_name(const struct fuses *f, int major)
{
    unsigned pkg = BITS(f->w[3], 9, 7) | BITS(f->w[3], 2, 1) << 3;
    bool single = f->w[3] & 1, v3 = major == 3;
    switch (pkg) {
    case 0: return single ? "ESP32-S0WDQ6" : v3 ? "ESP32-D0WDQ6-V3" : "ESP32-D0WDQ6";
    case 1: return single ? "ESP32-S0WD" : v3 ? "ESP32-D0WD-V3" : "ESP32-D0WD";
    case 2: return "ESP32-D2WD";
    case 4: return "ESP32-U4WDH";
    case 5: return v3 ? "ESP32-PICO-V3" : "ESP32-PICO-D4";
    case 6: return "ESP32-PICO-V3-02";
    case 7: return "ESP32-D0WDR2-V3";
    default: return "Unknown ESP32";
    }
}

static const char *pick(const char *const *names, unsigned n, unsigned i, const char *unknown)
{
    return i < n && names[i] ? names[i] : unknown;
}

static const char *s2_name(const struct fuses *f)
{
    switch (BITS(f->b1[3], 21, 0xF) + 100 * BITS(f->b1[3], 28, 0xF)) {
    case 0: return "ESP32-S2";
    case 1: return "ESP32-S2FH2";
    case 2: return "ESP32-S2FH4";
    case 100: return "ESP32-S2R2";
    case 102: return "ESP32-S2FNR2";
    default: return "Unknown ESP32-S2";
    }
}

static const char *c6_name(const struct fuses *f)
{
    unsigned pkg = BITS(f->b1[3], 24, 7), cap = BITS(f->b1[4], 0, 7);
    if (pkg == 0)
        return "ESP32-C6 (QFN40)";
    if (pkg == 1 && (cap == 1 || cap == 2))
        return cap == 1 ? "ESP32-C6FH4 (QFN32)" : "ESP32-C6FH8 (QFN32)";
    return "Unknown ESP32-C6";
}

static const char *package_name(const struct loader *l, const struct fuses *f, int major)
{
    static const char *const s3[] = { "ESP32-S3 (QFN56)", "ESP32-S3-PICO-1 (LGA56)" };
    static const char *const c3[] = { "ESP32-C3 (QFN32)", "ESP8685 (QFN28)",
                                      "ESP32-C3 AZ (QFN32)", "ESP8686 (QFN24)" };
    static const char *const c2[] = { "ESP32-C2", "ESP8684H" };
    const uint32_t *b = f->b1;
    if (is(l, "esp32"))
        return esp32_name(f, major);
    if (is(l, "esp32s2"))
        return s2_name(f);
    if (is(l, "esp32c6"))
        return c6_name(f);
    if (is(l, "esp32s3"))
        return pick(s3, 2, BITS(b[3], 21, 7), "Unknown ESP32-S3");
    if (is(l, "esp32c3"))
        return pick(c3, 4, BITS(b[3], 21, 7), "Unknown ESP32-C3");
    if (is(l, "esp32c2"))
        return pick(c2, 2, BITS(b[1], 22, 7), "Unknown ESP32-C2");
    unsigned pkg = is(l, "esp32h2") ? BITS(b[4], 0, 7)
                 : is(l, "esp32p4") ? BITS(b[2], 20, 7) : BITS(b[2], 26, 7);
    static char unknown[32];
    snprintf(unknown, sizeof unknown, "Unknown %s", l->chip->display);
    return pkg == 0 ? l->chip->display : unknown;
}

/* ESP8266 or ESP8285 (and which): OTP bits 4 and 80, flash size class. */
static int esp8266_name(struct loader *l, const char **name, struct err *e)
{
    uint32_t w[4];
    for (unsigned i = 0; i < 4; i++)
        if (loader_read_reg(l, 0x3FF00050 + 4 * i, &w[i], e))
            return -1;
    *name = "ESP8266EX";
    if (!(w[0] & (1u << 4)) && !(w[2] & (1u << 16)))
        return 0;
    bool r0_4 = w[0] & (1u << 4), r3_25 = w[3] & (1u << 25), r3_26 = w[3] & (1u << 26);
    bool r3_27 = w[3] & (1u << 27), hot = w[0] & (1u << 5);
    int size = -1;
    if (r0_4 && !r3_25 && !r3_27)
        size = r3_26 ? 2 : 1;
    if (!r0_4 && r3_25 && !r3_27)
        size = r3_26 ? 4 : 2;
    *name = size == 1 ? (hot ? "ESP8285H08" : "ESP8285N08")
          : size == 2 ? (hot ? "ESP8285H16" : "ESP8285N16") : "ESP8285";
    return 0;
}

int loader_chip_revision(struct loader *l)
{
    struct fuses f;
    struct err e;
    int major = 0, minor = 0;
    if (l->chip->ld->rom_is_8266 || read_fuses(l, &f, &e) != 0)
        return -1;
    revision(l, &f, &major, &minor);
    return major * 100 + minor;
}

int loader_chip_description(struct loader *l, char *out, size_t cap, struct err *e)
{
    if (l->chip->ld->rom_is_8266) {
        const char *n;
        if (esp8266_name(l, &n, e))
            return -1;
        snprintf(out, cap, "%s", n);
        return 0;
    }
    struct fuses f;
    int major = 0, minor = 0;
    if (read_fuses(l, &f, e) != 0)
        return -1;
    revision(l, &f, &major, &minor);
    snprintf(out, cap, "%s (revision v%d.%d)", package_name(l, &f, major), major, minor);
    return 0;
}

/* ---- features ---- */

struct list {
    char *out;
    size_t cap, n;
};

static void add(struct list *s, const char *item)
{
    if (s->n < s->cap)
        s->n += (size_t)snprintf(s->out + s->n, s->cap - s->n, "%s%s", s->n ? ", " : "", item);
}

static void esp32_features(const struct fuses *f, struct list *s)
{
    uint32_t w3 = f->w[3];
    unsigned pkg = BITS(w3, 9, 7) | BITS(w3, 2, 1) << 3;
    add(s, "Wi-Fi");
    if (!(w3 & 2))
        add(s, "BT");
    add(s, (w3 & 1) ? "Single Core + LP Core" : "Dual Core + LP Core");
    if (w3 & (1u << 13))
        add(s, (w3 & (1u << 12)) ? "160MHz" : "240MHz");
    if (pkg == 2 || pkg == 4 || pkg == 5 || pkg == 6)
        add(s, "Embedded Flash");
    if (pkg == 6)
        add(s, "Embedded PSRAM");
    if (BITS(f->w[4], 8, 0x1F))
        add(s, "Vref calibration in eFuse");
    if (BITS(w3, 14, 1))
        add(s, "BLK3 partially reserved");
    static const char *const cs[] = { "Coding Scheme None", "Coding Scheme 3/4",
                                      "Coding Scheme Repeat (UNSUPPORTED)",
                                      "Coding Scheme None (may contain encoding data)" };
    add(s, cs[f->w[6] & 3]);
}

static void s2_features(const struct fuses *f, struct list *s)
{
    static const char *const flash[] = { "No Embedded Flash", "Embedded Flash 2MB",
                                          "Embedded Flash 4MB" };
    static const char *const psram[] = { "No Embedded PSRAM", "Embedded PSRAM 2MB",
                                          "Embedded PSRAM 4MB" };
    static const char *const blk2[] = {
        "No calibration in BLK2 of efuse",
        "ADC and temperature sensor calibration in BLK2 of eFuse V1",
        "ADC and temperature sensor calibration in BLK2 of eFuse V2" };
    add(s, "Wi-Fi, Single Core, 240MHz");
    add(s, pick(flash, 3, BITS(f->b1[3], 21, 0xF), "Unknown Embedded Flash"));
    add(s, pick(psram, 3, BITS(f->b1[3], 28, 0xF), "Unknown Embedded PSRAM"));
    add(s, pick(blk2, 3, BITS(f->b2_4, 4, 7), "Unknown calibration in BLK2"));
}

/* "Embedded Flash 4MB (XMC)": flash_cap 0 adds nothing. */
static void embedded(struct list *s, const char *const *names, unsigned n, unsigned cap,
                     const char *vendor, const char *unknown)
{
    char item[64];
    if (cap == 0)
        return;
    snprintf(item, sizeof item, "%s (%s)", pick(names, n, cap, unknown), vendor);
    add(s, item);
}

static void s3_features(const struct fuses *f, struct list *s)
{
    static const char *const flash[] = { NULL, "Embedded Flash 8MB", "Embedded Flash 4MB" };
    static const char *const psram[] = { NULL, "Embedded PSRAM 8MB", "Embedded PSRAM 2MB",
                                          "Embedded PSRAM 16MB", "Embedded PSRAM 4MB" };
    static const char *const fv[] = { "", "XMC", "GD", "FM", "TT", "BY" };
    static const char *const pv[] = { "", "AP_3v3", "AP_1v8" };
    const uint32_t *b = f->b1;
    add(s, "Wi-Fi, BT 5 (LE), Dual Core + LP Core, 240MHz");
    embedded(s, flash, 3, BITS(b[3], 27, 7), pick(fv, 6, BITS(b[4], 0, 7), ""),
             "Unknown Embedded Flash");
    unsigned pcap = BITS(b[5], 19, 1) << 2 | BITS(b[4], 3, 3);
    embedded(s, psram, 5, pcap, pick(pv, 3, BITS(b[4], 7, 3), ""), "Unknown Embedded PSRAM");
}

/* C3 and C2: the fixed list, then embedded flash with its vendor. */
static void c3_features(const struct loader *l, const struct fuses *f, struct list *s)
{
    static const char *const flash[] = { NULL, "Embedded Flash 4MB", "Embedded Flash 2MB",
                                          "Embedded Flash 1MB", "Embedded Flash 8MB" };
    static const char *const fv[] = { "", "XMC", "GD", "FM", "TT", "ZBIT" };
    bool c2 = is(l, "esp32c2");
    const uint32_t *b = f->b1;
    add(s, c2 ? "Wi-Fi, BT 5 (LE), Single Core, 120MHz" : "Wi-Fi, BT 5 (LE), Single Core, 160MHz");
    unsigned cap = c2 ? BITS(b[7], 29, 7) : BITS(b[3], 27, 7);
    unsigned vendor = c2 ? BITS(b[7], 24, 7) : BITS(b[4], 0, 7);
    embedded(s, flash, c2 ? 4 : 5, cap, pick(fv, 6, vendor, ""), "Unknown Embedded Flash");
}

static void fixed_features(const struct loader *l, const struct fuses *f, struct list *s)
{
    if (is(l, "esp32c6")) {
        static const char *const flash[] = { NULL, "Embedded Flash 4MB", "Embedded Flash 8MB" };
        add(s, "Wi-Fi 6, BT 5 (LE), IEEE802.15.4, Single Core + LP Core, 160MHz");
        add(s, pick(flash, 3, BITS(f->b1[4], 0, 7), "Unknown Embedded Flash"));
    } else if (is(l, "esp32c61")) {
        add(s, "Wi-Fi 6, BT 5 (LE), Single Core, 160MHz");
    } else if (is(l, "esp32c5")) {
        add(s, "Wi-Fi 6 (dual-band), BT 5 (LE), IEEE802.15.4, Single Core + LP Core, 240MHz");
    } else if (is(l, "esp32h2")) {
        add(s, "BT 5 (LE), IEEE802.15.4, Single Core, 96MHz");
    } else {
        add(s, "Dual Core + LP Core, 400MHz");       /* P4 */
    }
}

int loader_chip_features(struct loader *l, char *out, size_t cap, struct err *e)
{
    struct list s = { out, cap, 0 };
    out[0] = '\0';
    if (l->chip->ld->rom_is_8266) {
        const char *n;
        if (esp8266_name(l, &n, e))
            return -1;
        add(&s, strstr(n, "ESP8285") ? "Wi-Fi, 160MHz, Embedded Flash" : "Wi-Fi, 160MHz");
        return 0;
    }
    struct fuses f;
    if (read_fuses(l, &f, e) != 0)
        return -1;
    if (is(l, "esp32"))
        esp32_features(&f, &s);
    else if (is(l, "esp32s2"))
        s2_features(&f, &s);
    else if (is(l, "esp32s3"))
        s3_features(&f, &s);
    else if (is(l, "esp32c3") || is(l, "esp32c2"))
        c3_features(l, &f, &s);
    else
        fixed_features(l, &f, &s);
    return 0;
}

int loader_mac_ext(struct loader *l, uint8_t ext[2], struct err *e)
{
    if (!is(l, "esp32c6") && !is(l, "esp32c5") && !is(l, "esp32h2"))
        return 1;
    uint32_t w1;
    if (loader_read_reg(l, l->chip->ld->mac_reg + 4, &w1, e))
        return -1;
    ext[0] = (uint8_t)(w1 >> 24);
    ext[1] = (uint8_t)(w1 >> 16);
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
