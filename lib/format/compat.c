#include "bytes.h"
#include "compat.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- ESP-IDF versions ---------------------------------------------------- */

static bool parse_num(const char **p, int *out)
{
    if (!isdigit((unsigned char)**p))
        return false;
    long v = strtol(*p, (char **)p, 10);
    if (v > 999)
        return false;
    *out = (int)v;
    return true;
}

bool idf_ver_parse(const char *s, struct idf_ver *v)
{
    const char *p = s;
    if (*p == 'v' || *p == 'V')
        p++;
    v->patch = -1;
    if (!parse_num(&p, &v->major) || *p++ != '.' || !parse_num(&p, &v->minor))
        return false;
    if (*p == '.' && isdigit((unsigned char)p[1])) {
        p++;
        parse_num(&p, &v->patch);
    }
    /* what may follow: nothing, "-dirty", "-rc2", "-123-gabc", " (..." */
    return *p == '\0' || *p == '-' || *p == ' ';
}

int idf_ver_cmp(const struct idf_ver *a, const struct idf_ver *b)
{
    if (a->major != b->major)
        return a->major < b->major ? -1 : 1;
    if (a->minor != b->minor)
        return a->minor < b->minor ? -1 : 1;
    if (a->patch < 0 || b->patch < 0 || a->patch == b->patch)
        return 0;
    return a->patch < b->patch ? -1 : 1;
}

/* ---- the bootloader/app table -------------------------------------------- */

/* Which apps the bootloaders of each ESP-IDF line boot.  Facts from:
 *  [BL]    ESP-IDF docs/en/api-guides/bootloader.rst, "Bootloader
 *          Compatibility": a bootloader boots apps built with the same or a
 *          newer ESP-IDF, never with an older one; ESP32 bootloaders from
 *          before v2.1 and v3.1 boot only apps built with
 *          CONFIG_APP_COMPATIBLE_PRE_V2_1_BOOTLOADERS / _PRE_V3_1_.
 *  [3932]  espressif/esp-idf#3932 (an Espressif maintainer): the app's
 *          ESP-IDF must be newer than or equal to the bootloader's, the
 *          bugfix field included.
 *  [4.0]   ESP-IDF v4.0 release notes (quoted in TSDZ2-ESP32-Main#5): apps
 *          are by default "only compatible with bootloader and partition
 *          table generated from ESP-IDF V3.1 or newer", and v3.3 CMake
 *          builds wrote tables without the MD5 row; espressif/esp-idf#5241:
 *          v4.0 apps OTA-updated onto v3.3 devices boot-loop.
 *  [14474] espressif/esp-idf#14474 (an Espressif maintainer): v5.x
 *          bootloaders load v6.x applications.
 * For v4 bootloaders and v5 apps no Espressif statement either way was
 * found: this tool's rule (same major line) refuses it; --force overrides. */
struct boot_line {
    struct idf_ver from, below;     /* bootloaders in [from, below) */
    int newest_app_major;           /* -1: no MicroPython app at all */
    const char *why;
};

static const struct boot_line boot_lines[] = {
    { { 0, 0, 0 }, { 3, 1, 0 }, -1,
      "bootloaders older than ESP-IDF v3.1 boot only apps built with "
      "CONFIG_APP_COMPATIBLE_PRE_V3_1_BOOTLOADERS, which no MicroPython build sets" },
    { { 3, 1, 0 }, { 4, 0, 0 }, 3, "ESP-IDF v3.x bootloaders do not boot apps built on v4 or later" },
    { { 4, 0, 0 }, { 5, 0, 0 }, 4,
      "ESP-IDF v4.x bootloaders are known to boot apps of their own major line (v4.x) only" },
    { { 5, 0, 0 }, { 6, 0, 0 }, 6, "ESP-IDF v5.x bootloaders boot apps built on v5.x and v6.x" },
    { { 6, 0, 0 }, { 7, 0, 0 }, 6, "ESP-IDF v6.x bootloaders boot apps built on v6.x" },
};

static const struct boot_line *boot_line_of(const struct idf_ver *b)
{
    for (size_t i = 0; i < sizeof boot_lines / sizeof boot_lines[0]; i++)
        if (idf_ver_cmp(b, &boot_lines[i].from) >= 0 && idf_ver_cmp(b, &boot_lines[i].below) < 0)
            return &boot_lines[i];
    return NULL;
}

/* The rule alone, on parsed versions (no suggestion). */
static enum compat_result rule(const struct idf_ver *b, const struct idf_ver *a, char *why,
                               size_t cap)
{
    const struct boot_line *line = boot_line_of(b);
    if (idf_ver_cmp(a, b) < 0) {
        snprintf(why, cap, "ESP-IDF bootloaders boot apps built with the same or a newer "
                           "ESP-IDF only, never an older one");
        return COMPAT_REFUSED;
    }
    if (!line) {
        snprintf(why, cap, "this tool knows nothing about ESP-IDF v%d bootloaders", b->major);
        return COMPAT_UNKNOWN;
    }
    snprintf(why, cap, "%s", line->why);
    if (line->newest_app_major < 0 || a->major > line->newest_app_major)
        return COMPAT_REFUSED;
    return COMPAT_OK;
}

void compat_check(const char *boot_idf, const char *app_idf, const struct chip *chip,
                  struct compat_verdict *v)
{
    struct idf_ver b, a;
    char why[200];
    memset(v, 0, sizeof *v);
    bool bk = idf_ver_parse(boot_idf, &b), ak = idf_ver_parse(app_idf, &a);
    if (!bk || !ak) {
        v->result = COMPAT_UNKNOWN;
        snprintf(v->reason, sizeof v->reason, "the ESP-IDF version of the %s is unknown (%s): "
                 "make sure it boots this app before switching a fleet",
                 bk ? "app" : "bootloader", bk ? (*app_idf ? app_idf : "none") :
                 (*boot_idf ? boot_idf : "no descriptor, no banner string"));
        return;
    }
    v->result = rule(&b, &a, why, sizeof why);
    snprintf(v->reason, sizeof v->reason, "bootloader ESP-IDF %s, app ESP-IDF %s: %s",
             boot_idf, app_idf, why);
    if (v->result != COMPAT_REFUSED)
        return;
    compat_suggest(boot_idf, chip, v->suggestion, sizeof v->suggestion);
    const struct boot_line *line = boot_line_of(&b);
    if (!v->suggestion[0] && line && line->newest_app_major < 0)
        snprintf(v->suggestion, sizeof v->suggestion, "none: no MicroPython build boots from "
                 "this bootloader, which only a serial flash can replace");
    else if (!v->suggestion[0])
        snprintf(v->suggestion, sizeof v->suggestion, "MicroPython built with ESP-IDF %s or a "
                 "later v%d.x (no release is known to use one)", boot_idf, b.major);
}

/* ---- MicroPython releases ------------------------------------------------ */

/* micropython.org's ESP32-family firmware and the ESP-IDF it is built with.
 * From micropython/micropython at each tag: tools/autobuild/build-boards.sh
 * (v1.17-v1.20 build the ESP32 boards with the IDF v4.2 tree and the
 * S2/S3/C3 boards with v4.3/v4.4; from v1.21 one v5 tree), tools/ci.sh
 * (ESPIDF_SUPHASH_V3/V4 up to v1.14, ci_esp32_setup_helper, IDF_VER) and
 * ports/esp32/README.md ("Currently MicroPython supports ..."). */
struct mp_release {
    const char *mp;
    const char *idf_esp32;     /* the ESP32 build */
    const char *idf_others;    /* the S2/S3/C3 builds; NULL = as the ESP32's, "" = none */
    const char *idf_newest;    /* the newest ESP-IDF its README supports */
};

static const struct mp_release releases[] = {   /* oldest first */
    { "v1.14", "v3.3", "", "v3.3" },            /* the esp32-idf3-*.bin files */
    { "v1.20.0", "v4.2", "v4.4", "v4.4" },
    { "v1.21.0", "v5.0.2", NULL, "v5.0.2" },
    { "v1.23.0", "v5.0.4", NULL, "v5.2.0" },
    { "v1.24.1", "v5.2.2", NULL, "v5.2.2" },
    { "v1.25.0", "v5.2.2", NULL, "v5.4" },
    { "v1.26.1", "v5.4.2", NULL, "v5.4.2" },
    { "v1.28.0", "v5.5.1", NULL, "v5.5.1" },
};
#define N_RELEASES (sizeof releases / sizeof releases[0])

static const char *build_idf(const struct mp_release *r, const struct chip *chip)
{
    if (!chip || strcmp(chip->name, "esp32") == 0 || !r->idf_others)
        return r->idf_esp32;
    return r->idf_others;
}

static bool boots(const struct idf_ver *b, const char *app)
{
    struct idf_ver a;
    char why[200];
    return idf_ver_parse(app, &a) && rule(b, &a, why, sizeof why) == COMPAT_OK;
}

void compat_suggest(const char *boot_idf, const struct chip *chip, char *out, size_t cap)
{
    struct idf_ver b;
    out[0] = '\0';
    if (!idf_ver_parse(boot_idf, &b))
        return;
    for (size_t i = N_RELEASES; i-- > 0;) {
        const char *idf = build_idf(&releases[i], chip);
        if (*idf && boots(&b, idf)) {
            snprintf(out, cap, "MicroPython %s from micropython.org (built with ESP-IDF %s)",
                     releases[i].mp, idf);
            return;
        }
    }
    /* None of the published builds: one built with the bootloader's own
     * ESP-IDF line, by a release whose README supports it. */
    for (size_t i = N_RELEASES; i-- > 0;) {
        struct idf_ver n;
        if (idf_ver_parse(releases[i].idf_newest, &n) && n.major == b.major &&
            n.minor >= b.minor && boots(&b, releases[i].idf_newest)) {
            snprintf(out, cap, "MicroPython %s built yourself with ESP-IDF %s or a later "
                     "v%d.%d.x (%s supports up to %s)", releases[i].mp, boot_idf, b.major,
                     n.minor, releases[i].mp, releases[i].idf_newest);
            return;
        }
    }
}

/* ---- the bootloader's own version ----------------------------------------- */

/* A NUL-terminated string at `p` (at most 32 characters of [0-9A-Za-z.-_])
 * that parses as an ESP-IDF version. */
static bool version_string_at(const uint8_t *p, const uint8_t *end, char out[IDF_VER_TEXT])
{
    size_t n = 0;
    while (p + n < end && n < IDF_VER_TEXT && p[n] &&
           (isalnum(p[n]) || p[n] == '.' || p[n] == '-' || p[n] == '_'))
        n++;
    if (p + n >= end || p[n] != '\0' || n < 4 || n >= IDF_VER_TEXT || p[0] != 'v')
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    struct idf_ver v;
    return idf_ver_parse(out, &v);
}

/* Bootloaders without a descriptor print "ESP-IDF %s 2nd stage bootloader"
 * with IDF_VER, a string of its own among the bootloader's constants
 * (components/bootloader_support, bootloader_init.c): find the banner to
 * know it is an ESP-IDF bootloader, then the one string shaped like a
 * version. */
static bool banner_version(const uint8_t *buf, size_t len, char out[IDF_VER_TEXT])
{
    static const char banner[] = "2nd stage bootloader";
    const uint8_t *end = buf + len;
    bool found = false;
    for (size_t i = 0; !found && i + sizeof banner - 1 <= len; i++)
        found = memcmp(buf + i, banner, sizeof banner - 1) == 0;
    for (size_t i = 1; found && i < len; i++)
        if (buf[i - 1] == '\0' && version_string_at(buf + i, end, out))
            return true;
    return false;
}

const char *compat_boot_idf(const uint8_t *buf, size_t len, const struct image_info *img,
                            char out[IDF_VER_TEXT])
{
    struct idf_ver v;
    out[0] = '\0';
    /* A first segment that merely starts with the magic byte 0x50 ('P')
     * is no descriptor: its idf_ver would not read as a version. */
    if (img->has_boot_desc && idf_ver_parse(img->boot.idf_ver, &v)) {
        snprintf(out, IDF_VER_TEXT, "%s", img->boot.idf_ver);
        return "esp_bootloader_desc_t";
    }
    if (banner_version(buf, len, out))
        return "banner string";
    out[0] = '\0';
    return NULL;
}

/* ---- chip revisions ------------------------------------------------------ */

void compat_rev_range(const struct image_info *img, unsigned *min, unsigned *max)
{
    /* min_rev_full came with ESP-IDF v5; older images carry only the legacy
     * byte, the major revision (the minor one on the ESP32-C3). */
    bool c3 = img->chip && strcmp(img->chip->name, "esp32c3") == 0;
    *min = img->min_rev_full ? img->min_rev_full : c3 ? img->min_rev : img->min_rev * 100u;
    *max = img->max_rev_full == 0 || img->max_rev_full == 0xFFFF ? COMPAT_REV_ANY
                                                                   : img->max_rev_full;
}

void compat_rev_name(unsigned rev, char out[12])
{
    if (rev == COMPAT_REV_ANY)
        snprintf(out, 12, "any");
    else
        snprintf(out, 12, "v%u.%u", rev / 100 % 1000, rev % 100);
}

/* ---- security ------------------------------------------------------------ */

static bool odd_bits(uint32_t v)
{
    bool odd = false;
    for (; v; v &= v - 1)
        odd = !odd;
    return odd;
}

void compat_security_info(const uint8_t *p, size_t n, struct chip_security *s)
{
    memset(s, 0, sizeof *s);
    if (n < 5)
        return;
    s->known = true;
    s->secure_boot = (get_le32(p) & 1u) != 0;
    s->flash_encryption = odd_bits(p[4]);
}

void compat_security_esp32(uint32_t word0, uint32_t word6, int chip_rev, struct chip_security *s)
{
    s->known = true;
    s->flash_encryption = odd_bits((word0 >> 20) & 0x7Fu);
    s->secure_boot = (word6 & (1u << 4)) || (chip_rev >= 300 && (word6 & (1u << 5)));
}
