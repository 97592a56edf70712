/* esptool read_flash_status, write_flash_status and get_security_info, as
 * esptool v5.3.1 prints them (cmds.py read_flash_status,
 * write_flash_status, get_security_info; ../shared/docs/esptool-commands.md
 * §4-§5). */
#include <stdio.h>
#include <string.h>

#include "esptool_cmds.h"

static const char *const bytes_choices[] = { "1", "2", "3", NULL };

int es_attach_flash(struct esptool *t, struct err *e)
{
    /* esptool's attach_flash(): the ROM is told to attach the default pins */
    if (!t->l->stub)
        es_print("Enabling default SPI flash mode...");
    return es_attach(t, NULL, false, e);
}

int es_cmd_read_flash_status(struct esptool *t, int argc, char **argv, struct err *e)
{
    const char *nb = "2", *pos[1];
    int n;
    const struct es_opt opts[] = {
        { "--bytes", NULL, &nb, bytes_choices, NULL, NULL, 0 },
        { NULL, NULL, NULL, NULL, NULL, NULL, 0 },
    };
    uint32_t status;
    if (es_parse_opts(argc, argv, opts, pos, 0, &n, e) != 0 || es_connect(t, e) != 0 ||
        es_attach_flash(t, e) != 0 ||
        loader_flash_status(t->l, (unsigned)(nb[0] - '0'), &status, e) != 0)
        return -1;
    es_print("Flash memory status: 0x%04x", (unsigned)status);
    return 0;
}

int es_cmd_write_flash_status(struct esptool *t, int argc, char **argv, struct err *e)
{
    const char *nb = "2", *pos[1];
    bool nv = false;
    int n;
    const struct es_opt opts[] = {
        { "--bytes", NULL, &nb, bytes_choices, NULL, NULL, 0 },
        { "--non-volatile", &nv, NULL, NULL, NULL, NULL, 0 },
        { NULL, NULL, NULL, NULL, NULL, NULL, 0 },
    };
    uint32_t value, status;
    if (es_parse_opts(argc, argv, opts, pos, 1, &n, e) != 0)
        return -1;
    if (n != 1)
        return err_set(e, "Missing argument 'VALUE' (see 'write-flash-status -h')");
    if (es_parse_any_int("VALUE", pos[0], &value, e) != 0)
        return -1;
    unsigned bytes = (unsigned)(nb[0] - '0');
    int w = 2 * (int)bytes;
    value &= (uint32_t)((1ull << (8 * bytes)) - 1);
    if (es_connect(t, e) != 0 || es_attach_flash(t, e) != 0 ||
        loader_flash_status(t->l, bytes, &status, e) != 0)
        return -1;
    es_print("Initial flash memory status: 0x%0*x", w, (unsigned)status);
    es_print("Setting flash memory status: 0x%0*x", w, (unsigned)value);
    if (loader_flash_set_status(t->l, value, bytes, nv, e) != 0 ||
        loader_flash_status(t->l, bytes, &status, e) != 0)
        return -1;
    es_print("After flash memory status:   0x%0*x", w, (unsigned)status);
    return 0;
}

/* esptool's meaning of a failure status (util.py FatalError.WithResult). */
static const char *result_text(uint8_t st0, uint8_t st1)
{
    static const char *const rom[] = {
        "Undefined errors", "The input parameter is invalid",
        "Failed to malloc memory from system", "Failed to send out message",
        "Failed to receive message", "The format of the received message is invalid",
        "Message is ok, but the running result is wrong", "Checksum error", "Flash write error",
        "Flash read error", "Flash read length error", "Deflate failed error",
        "Deflate Adler32 error", "Deflate parameter error", "Invalid RAM binary size",
        "Invalid RAM binary address" };
    static const char *const stub[] = {
        "Bad data length", "Bad data checksum", "Bad blocksize", "Invalid command",
        "Failed SPI operation", "Failed SPI unlock", "Not in flash mode", "Inflate error",
        "Not enough data", "Too much data", "NAND program failed (P_FAIL)",
        "NAND erase failed (E_FAIL)" };
    if (st0 == 1 && st1 < 16)
        return rom[st1];
    if (st1 == 0 && st0 >= 0xC0 && st0 <= 0xCB)
        return stub[st0 - 0xC0];
    if (st0 == 0xFF && st1 == 0)
        return "Command not implemented";
    return "Unknown result";
}

/* Key purposes by chip (esptool's KEY_PURPOSES; none on ESP32 and C2). */
struct purpose {
    uint8_t value;
    const char *name;
};
#define P_COMMON { 4, "XTS_AES_128_KEY" }, { 5, "HMAC_DOWN_ALL" }, { 6, "HMAC_DOWN_JTAG" }, \
    { 7, "HMAC_DOWN_DIGITAL_SIGNATURE" }, { 8, "HMAC_UP" }, { 9, "SECURE_BOOT_DIGEST0" }, \
    { 10, "SECURE_BOOT_DIGEST1" }, { 11, "SECURE_BOOT_DIGEST2" }
static const struct purpose kp_s2[] = {
    { 0, "USER/EMPTY" }, { 1, "RESERVED" }, { 2, "XTS_AES_256_KEY_1" }, { 3, "XTS_AES_256_KEY_2" },
    P_COMMON, { 0, NULL } };
static const struct purpose kp_c3[] = { { 0, "USER/EMPTY" }, { 1, "RESERVED" }, P_COMMON,
                                        { 0, NULL } };
static const struct purpose kp_c61[] = {
    { 0, "USER/EMPTY" }, { 1, "ECDSA_KEY" }, { 4, "XTS_AES_128_KEY" },
    { 9, "SECURE_BOOT_DIGEST0" }, { 10, "SECURE_BOOT_DIGEST1" }, { 11, "SECURE_BOOT_DIGEST2" },
    { 0, NULL } };
static const struct purpose kp_c5[] = {
    { 0, "USER/EMPTY" }, { 1, "ECDSA_KEY" }, P_COMMON, { 12, "KM_INIT_KEY" },
    { 15, "XTS_AES_128_PSRAM_KEY" }, { 16, "ECDSA_KEY_P192" }, { 17, "ECDSA_KEY_P384_L" },
    { 18, "ECDSA_KEY_P384_H" }, { 0, NULL } };
static const struct purpose kp_h2[] = {
    { 0, "USER/EMPTY" }, { 1, "ECDSA_KEY" }, { 2, "XTS_AES_256_KEY_1" }, { 3, "XTS_AES_256_KEY_2" },
    P_COMMON, { 0, NULL } };
static const struct purpose kp_p4[] = {
    { 0, "USER/EMPTY" }, { 1, "ECDSA_KEY" }, { 2, "XTS_AES_256_KEY_1" }, { 3, "XTS_AES_256_KEY_2" },
    P_COMMON, { 12, "KM_INIT_KEY" }, { 0, NULL } };

static const struct purpose *purposes(const struct chip *c)
{
    static const struct { const char *chip; const struct purpose *p; } t[] = {
        { "esp32s2", kp_s2 }, { "esp32s3", kp_s2 }, { "esp32c3", kp_c3 }, { "esp32c6", kp_c3 },
        { "esp32c61", kp_c61 }, { "esp32c5", kp_c5 }, { "esp32h2", kp_h2 }, { "esp32p4", kp_p4 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(t[i].chip, c->name))
            return t[i].p;
    return NULL;
}

static void print_keys(const struct chip *c, const struct loader_secinfo *si)
{
    const struct purpose *p = purposes(c);
    if (!p)
        return;
    const uint8_t *k = si->key_purposes;
    es_print("Key Purposes: (%u, %u, %u, %u, %u, %u, %u)", k[0], k[1], k[2], k[3], k[4], k[5],
             k[6]);
    for (int i = 0; i <= 5; i++) {                  /* EFUSE_MAX_KEY */
        const char *name = "UNKNOWN";
        for (const struct purpose *q = p; q->name; q++)
            if (q->value == k[i])
                name = q->name;
        es_print("  BLOCK_KEY%d - %s", i, name);
    }
}

/* Python's bin(): "0b" and the binary digits, "0b0" for zero. */
static void binary(uint32_t v, char *out)
{
    int top = 31;
    while (top > 0 && !(v >> top & 1))
        top--;
    strcpy(out, "0b");
    for (int i = top, k = 2; i >= 0; i--)
        out[k++] = (char)('0' + (v >> i & 1)), out[k] = '\0';
}

static void print_secure_boot(uint32_t f)
{
    if (!(f & 1)) {
        es_print("Secure Boot: Disabled");
        return;
    }
    es_print("Secure Boot: Enabled");
    if (f & 2)
        es_print("Secure Boot Aggressive key revocation: Enabled");
    if (f & 0x38)
        es_print("Secure Boot Key Revocation Status:\n");
    for (int i = 0; i < 3; i++)
        if (f & (8u << i))
            es_print("\tSecure Boot Key%d is Revoked\n", i);
}

static void print_security(const struct chip *c, const struct loader_secinfo *si)
{
    char b[40];
    binary(si->flags, b);
    es_print("Security Information:");
    es_print("=====================");
    es_print("Flags: 0x%08x (%s)", (unsigned)si->flags, b);
    print_keys(c, si);
    if (si->has_chip_id) {
        es_print("Chip ID: %u", (unsigned)si->chip_id);
        es_print("API Version: %u", (unsigned)si->api_version);
    }
    uint32_t f = si->flags;
    print_secure_boot(f);
    unsigned ones = 0;
    for (uint8_t v = si->flash_crypt_cnt; v; v >>= 1)
        ones += v & 1;
    es_print("Flash Encryption: %s", ones % 2 ? "Enabled" : "Disabled");
    es_print("SPI Boot Crypt Count (SPI_BOOT_CRYPT_CNT): 0x%x", si->flash_crypt_cnt);
    if (f & (1u << 9))
        es_print("Dcache in UART download mode: Disabled");
    if (f & (1u << 10))
        es_print("Icache in UART download mode: Disabled");
    if (f & (1u << 7))
        es_print("JTAG: Permanently Disabled");
    else if (f & (1u << 6))
        es_print("JTAG: Software Access Disabled");
    if (f & (1u << 8))
        es_print("USB Access: Disabled");
}

int es_cmd_get_security_info(struct esptool *t, int argc, char **argv, struct err *e)
{
    static const struct es_opt none[] = { { NULL, NULL, NULL, NULL, NULL, NULL, 0 } };
    const char *pos[1];
    int n;
    struct loader_secinfo si;
    if (es_parse_opts(argc, argv, none, pos, 0, &n, e) != 0 || es_connect(t, e) != 0)
        return -1;
    if (loader_security_info(t->l, &si, e) != 0) {
        struct loader *l = t->l;
        /* esptool's words: the ROM does not know the command; a stub says
         * it has not implemented it */
        if (!l->stub && l->last_unsupported)
            return err_set(e, "Invalid (unsupported) command 0x14");
        if (l->fail == LOADER_FAIL_STATUS)
            return err_set(e, "Failed to get security info (result was %02X%02X: %s)",
                           l->last_status[0], l->last_status[1],
                           result_text(l->last_status[0], l->last_status[1]));
        return -1;
    }
    print_security(t->l->chip, &si);
    return 0;
}
