/* The emulated ROM loader: byte-exact against the real ROM transcripts and
 * the protocol doc's rules (status bytes, SYNC, errors, writes, reads). */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "emu_test.h"
#include "hash.h"
#include "testutil.h"

/* ---- replay of ../shared/fixtures/rom-transcripts ----------------------- */

/* Feed every "> hex" line and compare the chip's answer with the "< hex"
 * line that follows, byte for byte.  Returns how many exchanges matched. */
static int replay(const char *chip, const char *file)
{
    const char *path = shared_path(file);
    if (!path)
        return -1;
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    struct emu *emu = open_chip(chip, 4u << 20);
    static char line[1 << 16];
    static uint8_t want[1 << 15], got[1 << 15];
    char section[128] = "";
    int checked = 0;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!strncmp(line, "## ", 3)) {
            snprintf(section, sizeof section, "%.100s", line + 3);
        } else if (!strncmp(line, "> ", 2)) {
            size_t n = test_unhex(line + 2, want, sizeof want);
            emu_rx(emu, want, n);
        } else if (!strncmp(line, "< ", 2) || !strcmp(line, "<")) {
            size_t w = strlen(line) > 2 ? test_unhex(line + 2, want, sizeof want) : 0;
            size_t g = collect_raw(emu, got, sizeof got);
            if (w == 0 && !strcmp(chip, "esp32") && !strcmp(section, "SYNC again")) {
                /* In QEMU the ESP32 ROM did not answer after CHANGE_BAUDRATE:
                 * it programs a divider scaled for its drifting CK8M clock.
                 * The emulator has no drift and keeps answering. */
                continue;
            }
            if (g != w || memcmp(got, want, w) != 0) {
                fprintf(stderr, "%s / %s: expected %zu bytes, got %zu\n", chip, section, w, g);
                for (size_t i = 0; i < g; i++)
                    fprintf(stderr, "%02x", got[i]);
                fprintf(stderr, "\n");
            }
            assert_int_equal(g, w);
            assert_memory_equal(got, want, w);
            checked++;
        }
    }
    fclose(fp);
    emu_close(emu);
    return checked;
}

static void test_transcript_esp32(void **state)
{
    (void)state;
    int n = replay("esp32", "fixtures/rom-transcripts/rom_esp32_raw.txt");
    if (n < 0)
        skip();
    assert_int_equal(n, 13);
}

static void test_transcript_esp32c3(void **state)
{
    (void)state;
    int n = replay("esp32c3", "fixtures/rom-transcripts/rom_esp32c3_raw.txt");
    if (n < 0)
        skip();
    assert_int_equal(n, 12);
}

/* ---- status bytes, SYNC, errors ----------------------------------------- */

static void test_sync_eight_replies(void **state)
{
    (void)state;
    const char *chips[] = { "esp8266", "esp32", "esp32s3", "esp32p4" };
    for (size_t c = 0; c < 4; c++) {
        struct emu *emu = open_chip(chips[c], 0);
        struct frames fr;
        sync_chip(emu);
        collect(emu, &fr);
        assert_int_equal(fr.n, 8);
        size_t status = c == 0 ? 2 : 4;
        for (size_t i = 0; i < 8; i++) {
            assert_int_equal(fr.len[i], 8 + status);
            assert_int_equal(fr.f[i][1], 0x08);
            assert_int_equal(fr.f[i][2], status);
            assert_int_equal(le32(fr.f[i] + 4), 0x20120707);
            assert_int_equal(fr.f[i][8], 0);
        }
        frames_free(&fr);
        /* the ROMs answer a wrong pattern too (QEMU recordings), with its
         * first word as value */
        uint8_t bad[36] = { 0x07, 0x07, 0x12, 0x21 };
        request(emu, 0x08, bad, sizeof bad, 0);
        collect(emu, &fr);
        assert_int_equal(fr.n, 8);
        assert_int_equal(le32(fr.f[7] + 4), 0x21120707);
        frames_free(&fr);
        emu_close(emu);
    }
}

static void test_unknown_command_one_error_frame(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32s3", 0);
    struct frames fr;
    request_words(emu, 0x0A, 1, 0x40001000u);   /* READ_REG sets op and value */
    collect(emu, &fr);
    frames_free(&fr);
    request(emu, 0x55, NULL, 0, 0);
    collect(emu, &fr);
    assert_int_equal(fr.n, 1);
    const uint8_t want[] = { 0x01, 0x0A, 0x04, 0x00, 0x09, 0, 0, 0, 0x01, 0x05, 0x00, 0x00 };
    assert_int_equal(fr.len[0], sizeof want);
    assert_memory_equal(fr.f[0], want, sizeof want);
    frames_free(&fr);
    /* ESP32 ROM: GET_SECURITY_INFO is unknown; ESP8266: so is SPI_ATTACH */
    emu_close(emu);
    emu = open_chip("esp32", 0);
    request(emu, 0x14, NULL, 0, 0);
    collect(emu, &fr);
    assert_int_equal(fr.n, 1);
    assert_int_equal(fr.f[0][8], 1);
    assert_int_equal(fr.f[0][9], 5);
    frames_free(&fr);
    emu_close(emu);
    emu = open_chip("esp8266", 0);
    request_words(emu, 0x0D, 2, 0u, 0u);
    collect(emu, &fr);
    assert_int_equal(fr.n, 1);
    assert_int_equal(fr.len[0], 10);
    assert_int_equal(fr.f[0][8], 1);
    assert_int_equal(fr.f[0][9], 5);
    frames_free(&fr);
    emu_close(emu);
}

/* ---- registers ----------------------------------------------------------- */

static uint32_t read_reg(struct emu *emu, uint32_t addr)
{
    struct frames fr;
    request_words(emu, 0x0A, 1, addr);
    const uint8_t *f = one_reply(emu, &fr, 0x0A);
    uint32_t v = le32(f + 4);
    assert_int_equal(f[8], 0);
    frames_free(&fr);
    return v;
}

static void write_reg(struct emu *emu, uint32_t addr, uint32_t v)
{
    struct frames fr;
    request_words(emu, 0x09, 4, addr, v, 0xFFFFFFFFu, 0u);
    one_reply(emu, &fr, 0x09);
    frames_free(&fr);
}

static void test_magic_and_mac(void **state)
{
    (void)state;
    static const struct { const char *chip; uint32_t magic; } magic[] = {
        { "esp8266", 0xFFF0C101 }, { "esp32", 0x00F01D83 }, { "esp32s2", 0x000007C6 },
        { "esp32c3", 0x1B31506F }, { "esp32c6", 0x2CE0806F }, { "esp32h2", 0xD7B73E80 },
    };
    for (size_t i = 0; i < sizeof magic / sizeof magic[0]; i++) {
        struct emu *emu = open_chip(magic[i].chip, 0);
        assert_int_equal(read_reg(emu, 0x40001000), magic[i].magic);
        emu_close(emu);
    }
    /* ESP32: MAC from eFuse words 1 and 2 (the transcript's values) */
    struct emu *emu = open_chip("esp32", 0);
    assert_int_equal(read_reg(emu, 0x3FF5A004), 0xC4123456);
    assert_int_equal(read_reg(emu, 0x3FF5A008), 0x00F5240A);
    emu_close(emu);
    /* ESP32-S3: MAC_EFUSE_REG words, MAC = w1[15:0] . w0 */
    emu = open_chip("esp32s3", 0);
    uint8_t mac[6];
    assert_int_equal(emu_chip_mac("esp32s3", mac), 0);
    uint32_t w0 = read_reg(emu, 0x60007044), w1 = read_reg(emu, 0x60007048);
    uint8_t got[6] = { (uint8_t)(w1 >> 8), (uint8_t)w1, (uint8_t)(w0 >> 24),
                       (uint8_t)(w0 >> 16), (uint8_t)(w0 >> 8), (uint8_t)w0 };
    assert_memory_equal(got, mac, 6);
    /* a written register reads back; unknown ones read 0 */
    assert_int_equal(read_reg(emu, 0x600080A8), 0);
    write_reg(emu, 0x600080A8, 0x50D83AA1);
    assert_int_equal(read_reg(emu, 0x600080A8), 0x50D83AA1);
    emu_close(emu);
    /* ESP8266: OTP words as esptool decodes them */
    emu = open_chip("esp8266", 0);
    uint32_t m0 = read_reg(emu, 0x3FF00050), m1 = read_reg(emu, 0x3FF00054);
    uint32_t m3 = read_reg(emu, 0x3FF0005C);
    assert_int_equal(emu_chip_mac("esp8266", mac), 0);
    uint8_t g8[6] = { (uint8_t)(m3 >> 16), (uint8_t)(m3 >> 8), (uint8_t)m3,
                      (uint8_t)(m1 >> 8), (uint8_t)m1, (uint8_t)(m0 >> 24) };
    assert_memory_equal(g8, mac, 6);
    emu_close(emu);
}

static void test_uart_divider_follows_baud(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32", 0);
    uint32_t div = read_reg(emu, 0x3FF40014) & 0xFFFFF;
    assert_int_equal(div, 40000000u / 115200u);
    emu_close(emu);
    emu = open_chip("esp8266", 0);
    div = read_reg(emu, 0x60000014) & 0xFFFFF;
    assert_int_equal(div, 52000000u / 115200u);
    emu_close(emu);
}

/* esptool's run_spiflash_command for RDID (0x9F, 24 bits in) */
static uint32_t rdid(struct emu *emu, uint32_t base, uint8_t usr, uint8_t usr2, uint8_t miso_dlen,
                     uint8_t w0)
{
    write_reg(emu, base + miso_dlen, 23);
    write_reg(emu, base + usr, 1u << 31 | 1u << 28);
    write_reg(emu, base + usr2, 7u << 28 | 0x9F);
    write_reg(emu, base + w0, 0);
    write_reg(emu, base, 1u << 18);
    assert_int_equal(read_reg(emu, base) & (1u << 18), 0);
    return read_reg(emu, base + w0);
}

static void test_flash_id_per_size(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32", 4u << 20);
    /* ROM: before SPI_ATTACH the flash answers too (the bus is the SPI
     * controller's); the id encodes the size: capacity byte 0x16 = 4 MB */
    assert_int_equal(rdid(emu, 0x3FF42000, 0x1C, 0x24, 0x2C, 0x80), 0x1640EF);
    emu_close(emu);
    emu = open_chip("esp32c3", 16u << 20);
    assert_int_equal(rdid(emu, 0x60002000, 0x18, 0x20, 0x28, 0x58), 0x1840EF);
    /* SFDP signature: 0x5A, 24-bit address 0, 8 dummy bits, 32 bits in */
    write_reg(emu, 0x60002000 + 0x28, 31);
    write_reg(emu, 0x60002000 + 0x1C, (8u - 1) | (24u - 1) << 26);
    write_reg(emu, 0x60002000 + 0x18, 1u << 31 | 1u << 30 | 1u << 29 | 1u << 28);
    write_reg(emu, 0x60002000 + 0x20, 7u << 28 | 0x5A);
    write_reg(emu, 0x60002000 + 0x04, 0);
    write_reg(emu, 0x60002000 + 0x58, 0);
    write_reg(emu, 0x60002000, 1u << 18);
    assert_int_equal(read_reg(emu, 0x60002058), 0x50444653);
    emu_close(emu);
    /* ESP8266: lengths in USR1 */
    emu = open_chip("esp8266", 1u << 20);
    write_reg(emu, 0x60000200 + 0x20, 23u << 8);
    write_reg(emu, 0x60000200 + 0x1C, 1u << 31 | 1u << 28);
    write_reg(emu, 0x60000200 + 0x24, 7u << 28 | 0x9F);
    write_reg(emu, 0x60000200 + 0x40, 0);
    write_reg(emu, 0x60000200, 1u << 18);
    assert_int_equal(read_reg(emu, 0x60000240), 0x1440EF);
    emu_close(emu);
}

static void test_security_info(void **state)
{
    (void)state;
    struct frames fr;
    struct emu *emu = open_chip("esp32s3", 0);
    request(emu, 0x14, NULL, 0, 0);
    const uint8_t *f = one_reply(emu, &fr, 0x14);
    assert_int_equal(fr.len[0], 8 + 20 + 4);
    assert_int_equal(le32(f + 8 + 12), 9);      /* chip id */
    assert_int_equal(f[8 + 20], 0);
    frames_free(&fr);
    emu_close(emu);
    emu = open_chip("esp32s2", 0);
    request(emu, 0x14, NULL, 0, 0);
    one_reply(emu, &fr, 0x14);
    assert_int_equal(fr.len[0], 8 + 12 + 4);
    frames_free(&fr);
    emu_close(emu);
}

/* ---- flash through the ROM ----------------------------------------------- */

static void attach(struct emu *emu, uint32_t size)
{
    struct frames fr;
    request_words(emu, 0x0D, 2, 0u, 0u);
    one_reply(emu, &fr, 0x0D);
    frames_free(&fr);
    request_words(emu, 0x0B, 6, 0u, size, 0x10000u, 0x1000u, 0x100u, 0xFFFFu);
    one_reply(emu, &fr, 0x0B);
    frames_free(&fr);
}

static uint8_t status(struct emu *emu, uint8_t op)
{
    struct frames fr;
    const uint8_t *f = one_reply(emu, &fr, op);
    size_t len = fr.len[0];
    uint8_t failed = f[len - 4], err = f[len - 3];
    frames_free(&fr);
    return failed ? err : 0;
}

static void test_rom_write_md5_read(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32", 4u << 20);
    /* flash access before SPI_ATTACH fails */
    request_words(emu, 0x02, 4, 0x1000u, 1u, 0x400u, 0x10000u);
    assert_int_equal(status(emu, 0x02), 0x06);
    /* ... and so does the 20-byte form on the ESP32 ROM */
    attach(emu, 4u << 20);
    request_words(emu, 0x02, 5, 0x1000u, 4u, 0x400u, 0x10000u, 0u);
    assert_int_equal(status(emu, 0x02), 0x05);

    uint8_t data[0x1000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    request_words(emu, 0x02, 4, 0x1000u, 4u, 0x400u, 0x10000u);
    assert_int_equal(status(emu, 0x02), 0);
    for (uint32_t s = 0; s < 4; s++) {
        request_data(emu, 0x03, s, data + 0x400 * s, 0x400);
        assert_int_equal(status(emu, 0x03), 0);
    }
    /* bad checksum (seq 4, the expected one): error 0x07, nothing written */
    request(emu, 0x03, (uint8_t[20]){ 4, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 },
            20, 0x12);
    assert_int_equal(status(emu, 0x03), 0x07);
    uint32_t size;
    const uint8_t *flash = emu_flash(emu, &size);
    assert_memory_equal(flash + 0x10000, data, sizeof data);

    /* MD5: 32 lowercase hex characters, then 4 status bytes */
    uint8_t md5[16];
    hash_md5(data, sizeof data, md5);
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", md5[i]);
    request_words(emu, 0x13, 4, 0x10000u, 0x1000u, 0u, 0u);
    struct frames fr;
    const uint8_t *f = one_reply(emu, &fr, 0x13);
    assert_int_equal(fr.len[0], 8 + 32 + 4);
    assert_memory_equal(f + 8, hex, 32);
    frames_free(&fr);

    /* READ_FLASH_SLOW: always 64 bytes */
    request_words(emu, 0x0E, 2, 0x10010u, 64u);
    f = one_reply(emu, &fr, 0x0E);
    assert_int_equal(fr.len[0], 8 + 64 + 4);
    assert_memory_equal(f + 8, data + 0x10, 64);
    frames_free(&fr);
    request_words(emu, 0x0E, 2, 0x10010u, 65u);
    assert_int_equal(status(emu, 0x0E), 0x0A);
    emu_close(emu);
}

static void test_rom_erases_at_begin_and_checks_writes(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32c3", 4u << 20);
    attach(emu, 4u << 20);
    uint8_t zero[0x400];
    memset(zero, 0, sizeof zero);
    request_words(emu, 0x02, 5, 0x2000u, 8u, 0x400u, 0x0u, 0u);
    assert_int_equal(status(emu, 0x02), 0);
    for (uint32_t s = 0; s < 8; s++) {
        request_data(emu, 0x03, s, zero, sizeof zero);
        assert_int_equal(status(emu, 0x03), 0);
    }
    /* FLASH_BEGIN erases its range up front */
    request_words(emu, 0x02, 5, 0x1000u, 0u, 0x400u, 0x1000u, 0u);
    assert_int_equal(status(emu, 0x02), 0);
    const uint8_t *flash = emu_flash(emu, NULL);
    assert_int_equal(flash[0xFFF], 0x00);
    assert_int_equal(flash[0x1000], 0xFF);
    assert_int_equal(flash[0x1FFF], 0xFF);
    /* writing 0xAA over the zeros of sector 0 (not erased): NOR keeps the
     * zeros, the ROM reads back, sees the difference: error 0x08 */
    request_words(emu, 0x02, 5, 0u, 1u, 0x400u, 0x0u, 0u);
    assert_int_equal(status(emu, 0x02), 0);
    uint8_t aa[0x400];
    memset(aa, 0xAA, sizeof aa);
    request_data(emu, 0x03, 0, aa, sizeof aa);
    assert_int_equal(status(emu, 0x03), 0x08);
    /* beyond 2 MB without SPI_SET_PARAMS: refused */
    emu_close(emu);
    emu = open_chip("esp32c3", 4u << 20);
    request_words(emu, 0x0D, 2, 0u, 0u);
    assert_int_equal(status(emu, 0x0D), 0);
    request_words(emu, 0x02, 5, 0x1000u, 4u, 0x400u, 0x200000u, 0u);
    assert_int_equal(status(emu, 0x02), 0x06);
    emu_close(emu);
}

/* esptool's corrected erase size for the ESP8266 ROM bug */
static uint32_t esp8266_sent_size(uint32_t offset, uint32_t size)
{
    uint32_t n = (size + 4095) / 4096, h = 16 - (offset / 4096) % 16;
    if (n < h)
        h = n;
    return n < 2 * h ? (n + 1) / 2 * 4096 : (n - h) * 4096;
}

static void test_esp8266_erase_bug(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/esp8266.bin", test_tmpdir());
    static const struct { uint32_t offset, size; } cases[] = {
        { 0x0, 0x100000 }, { 0x3000, 0x5000 }, { 0x1000, 0x3000 }, { 0x20000, 0x1000 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
        assert_true(fd >= 0);
        static uint8_t zeros[1 << 21];
        assert_int_equal(write(fd, zeros, sizeof zeros), (ssize_t)sizeof zeros);
        close(fd);
        struct emu_options o = { .chip = "esp8266", .flash_path = path, .flash_size = 2u << 20 };
        struct err e;
        struct emu *emu = emu_open(&o, &e);
        assert_non_null(emu);
        struct frames fr;
        collect(emu, &fr);
        frames_free(&fr);
        uint32_t off = cases[c].offset, size = cases[c].size;
        request_words(emu, 0x02, 4, esp8266_sent_size(off, size), 1u, 0x400u, off);
        struct frames r;
        collect(emu, &r);
        assert_int_equal(r.n, 1);
        assert_int_equal(r.len[0], 10);         /* 2 status bytes on ESP8266 */
        assert_int_equal(r.f[0][8], 0);
        frames_free(&r);
        const uint8_t *flash = emu_flash(emu, NULL);
        /* the intended range is erased, and at most one sector more */
        for (uint32_t a = off; a < off + size; a++)
            assert_int_equal(flash[a], 0xFF);
        if (off > 0)
            assert_int_equal(flash[off - 1], 0x00);
        assert_int_equal(flash[off + size + 0x1000], 0x00);
        emu_close(emu);
    }
}

static void test_rom_deflate_write(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32", 4u << 20);
    attach(emu, 4u << 20);
    static uint8_t data[0x3000], comp[0x4000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)((i / 64) ^ (i % 13));
    uLongf clen = sizeof comp;
    assert_int_equal(compress2(comp, &clen, data, sizeof data, 9), Z_OK);
    uint32_t blocks = (uint32_t)((clen + 0x3FF) / 0x400);
    request_words(emu, 0x10, 4, (uint32_t)sizeof data, blocks, 0x400u, 0x20000u);
    assert_int_equal(status(emu, 0x10), 0);
    for (uint32_t s = 0; s < blocks; s++) {
        size_t n = clen - s * 0x400 < 0x400 ? clen - s * 0x400 : 0x400;
        request_data(emu, 0x11, s, comp + s * 0x400, n);
        assert_int_equal(status(emu, 0x11), 0);
    }
    assert_memory_equal(emu_flash(emu, NULL) + 0x20000, data, sizeof data);
    assert_int_equal(emu_state(emu), EMU_ROM);
    emu_close(emu);
}

static void test_change_baudrate(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32c3", 0);
    request_words(emu, 0x0F, 2, 921600u, 0u);
    uint8_t buf[64];
    /* the reply goes out at the old rate; the switch comes after it */
    size_t n = emu_tx(emu, buf, sizeof buf);
    assert_int_equal(buf[0], 0xC0);
    assert_int_equal(buf[n - 1], 0xC0);
    assert_int_equal(emu_baud(emu), 921600);
    assert_int_equal(emu_tx(emu, buf, sizeof buf), 2);
    assert_int_equal(buf[0], 0xC0);
    assert_int_equal(read_reg(emu, 0x60000014) & 0xFFFFF, 40000000u / 921600u);
    emu_close(emu);
}

/* ---- the real ESP32 ROM, recorded in QEMU (points 1, 2, 6, 7) ------------ */

/* Compare everything the chip sent with `hex` (`times` copies of it). */
static void expect_raw(struct emu *emu, const char *what, const char *hex, int times)
{
    static uint8_t want[4096], got[8192];
    size_t w = test_unhex(hex, want, sizeof want);
    size_t g = collect_raw(emu, got, sizeof got);
    int ok = g == w * (size_t)times;
    for (int i = 0; ok && i < times; i++)
        ok = !memcmp(got + (size_t)i * w, want, w);
    if (!ok) {
        fprintf(stderr, "%s: want %d x %s\ngot ", what, times, hex);
        for (size_t i = 0; i < g; i++)
            fprintf(stderr, "%02x", got[i]);
        fprintf(stderr, "\n");
    }
    assert_true(ok);
}

static void rec_block(struct emu *emu, uint32_t seq, bool damaged)
{
    uint8_t d[16 + 1024];
    memset(d, 0, 16);
    put32(d, 1024);
    put32(d + 4, seq);
    for (int i = 0; i < 1024; i++)
        d[16 + i] = (uint8_t)((1024 * seq + (uint32_t)i) * 7 + 3);
    request(emu, 0x03, d, sizeof d, data_checksum(d + 16, 1024) ^ (damaged ? 1u : 0u));
}

/* An exchange recorded with the genuine ESP32 ROM (rev 3)
 * in Espressif's QEMU, replayed byte for byte: the error after SYNC comes
 * 8 times with SYNC's header; a block that failed its checksum counts, so
 * its resend is refused (05) until a new FLASH_BEGIN; the error byte stays
 * after a success in download commands ("00 07" would show it, here SYNC
 * cleared it); failed READ_FLASH_SLOW and MD5 carry their 64 / 32 stale
 * payload bytes; stale status bytes 3-4. */
static void test_recorded_esp32_session(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32", 4u << 20);
    sync_chip(emu);
    expect_raw(emu, "SYNC",
        "c0010804000707122000000000c0", 8);
    request(emu, 0x14, NULL, 0, 0);
    expect_raw(emu, "GET_SECURITY_INFO after SYNC",
        "c0010804000707122001050000c0", 8);
    request_words(emu, 0x0A, 1, 0x40001000u);
    expect_raw(emu, "READ_REG",
        "c0010a0400831df00000000000c0", 1);
    request_words(emu, 0x0D, 2, 0u, 0u);
    expect_raw(emu, "SPI_ATTACH",
        "c0010d0400831df00000000000c0", 1);
    request_words(emu, 0x0B, 6, 0u, 4u << 20, 0x10000u, 0x1000u, 0x100u, 0xFFFFu);
    expect_raw(emu, "SPI_SET_PARAMS",
        "c0010b0400831df00000000000c0", 1);
    request_words(emu, 0x02, 4, 0x1000u, 4u, 0x400u, 0x3FE000u);
    expect_raw(emu, "FLASH_BEGIN",
        "c001020400831df00000000000c0", 1);
    rec_block(emu, 0, true);
    expect_raw(emu, "damaged block",
        "c001030400831df00001070000c0", 1);
    rec_block(emu, 0, false);
    expect_raw(emu, "block resent",
        "c001030400831df00001050000c0", 1);
    rec_block(emu, 0, false);
    expect_raw(emu, "block resent again",
        "c001030400831df00001050000c0", 1);
    sync_chip(emu);
    expect_raw(emu, "SYNC",
        "c0010804000707122000000000c0", 8);
    request_words(emu, 0x02, 4, 0x1000u, 4u, 0x400u, 0x3FE000u);
    expect_raw(emu, "FLASH_BEGIN again",
        "c0010204000707122000000000c0", 1);
    for (uint32_t s = 0; s < 4; s++) {
        rec_block(emu, s, false);
        expect_raw(emu, "block",
        "c0010304000707122000000000c0", 1);
    }
    request_words(emu, 0x13, 4, 0x3FE000u, 0x1000u, 0u, 0u);
    expect_raw(emu, "MD5",
        "c00113240007071220643130353238396635363137633234316635326131393163366232"
        "666338303900000000c0", 1);
    request_words(emu, 0x0E, 2, 0x3FE000u, 16u);
    expect_raw(emu, "READ_FLASH_SLOW 16",
        "c0010e440007071220030a11181f262d343b424950575e656c6635326131393163366232"
        "666338303900000000000000000000000000000000000000000000000000000000000000"
        "0000000000c0", 1);
    request_words(emu, 0x0E, 2, 0x3FE000u, 100u);
    expect_raw(emu, "READ_FLASH_SLOW 100",
        "c0010e440007071220030a11181f262d343b424950575e656c6635326131393163366232"
        "666338303900000000000000000000000000000000000000000000000000000000000000"
        "00010a0000c0", 1);
    request_words(emu, 0x13, 4, 0x3FF000u, 0x2000u, 0u, 0u);
    expect_raw(emu, "MD5 past the end",
        "c00113240007071220030a11181f262d343b424950575e656c6635326131393163366232"
        "666338303901090000c0", 1);
    emu_close(emu);
}

/* One reply frame, byte for byte (hex of the decoded frame). */
static void expect_frame(struct emu *emu, const char *what, const char *hex)
{
    struct frames fr;
    uint8_t want[256];
    size_t w = test_unhex(hex, want, sizeof want);
    collect(emu, &fr);
    if (fr.n != 1 || fr.len[0] != w || memcmp(fr.f[0], want, w)) {
        fprintf(stderr, "%s: want %s, got %zu frames:", what, hex, fr.n);
        for (size_t i = 0; i < (fr.n ? fr.len[0] : 0); i++)
            fprintf(stderr, "%02x", fr.f[0][i]);
        fprintf(stderr, "\n");
    }
    assert_int_equal(fr.n, 1);
    assert_int_equal(fr.len[0], w);
    assert_memory_equal(fr.f[0], want, w);
    frames_free(&fr);
}

/* Point 1: an error reply (unknown opcode, stub-only opcodes, ESP32's
 * missing GET_SECURITY_INFO) repeats the previous reply's opcode, value and
 * repeat count, and so does the next error after it. */
static void test_error_reply_copies_previous(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32", 0);
    sync_chip(emu);
    expect_raw(emu, "SYNC", "c0010804000707122000000000c0", 8);
    request(emu, 0xD0, NULL, 0, 0);
    expect_raw(emu, "ERASE_FLASH after SYNC", "c0010804000707122001050000c0", 8);
    request(emu, 0x55, NULL, 0, 0);
    expect_raw(emu, "unknown after that", "c0010804000707122001050000c0", 8);
    request_words(emu, 0x0A, 1, 0x40001000u);
    expect_frame(emu, "READ_REG", "010a0400831df00000000000");
    request_words(emu, 0xD2, 4, 0u, 0x1000u, 0x1000u, 64u);
    expect_frame(emu, "READ_FLASH after READ_REG", "010a0400831df00001050000");
    request(emu, 0x14, NULL, 0, 0);
    expect_frame(emu, "GET_SECURITY_INFO", "010a0400831df00001050000");
    emu_close(emu);
}

/* Point 2: FLASH_DATA / MEM_DATA seq rules (real ROM, QEMU: ESP32 and C3
 * alike); the error byte survives successful download commands. */
static void test_data_seq_rules(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32", 4u << 20);
    attach(emu, 4u << 20);
    uint8_t blk[0x400];
    for (size_t i = 0; i < sizeof blk; i++)
        blk[i] = (uint8_t)(i * 7);
    request_words(emu, 0x02, 4, 0x1000u, 4u, 0x400u, 0x10000u);
    expect_frame(emu, "FLASH_BEGIN", "010204000000000000000000");
    request_data(emu, 0x03, 1, blk, sizeof blk);
    expect_frame(emu, "seq 1, want 0", "010304000000000001050000");
    uint8_t d[16 + 0x400] = { 0 };
    put32(d, 0x400);
    memcpy(d + 16, blk, sizeof blk);
    request(emu, 0x03, d, sizeof d, data_checksum(blk, sizeof blk) ^ 1);
    expect_frame(emu, "seq 0, bad checksum", "010304000000000001070000");
    request_data(emu, 0x03, 0, blk, sizeof blk);
    expect_frame(emu, "seq 0 again", "010304000000000001050000");
    /* the expected seq is 1 now; the block lands at the BEGIN offset */
    request_data(emu, 0x03, 1, blk, sizeof blk);
    expect_frame(emu, "seq 1: taken, error byte stale", "010304000000000000050000");
    assert_memory_equal(emu_flash(emu, NULL) + 0x10000, blk, sizeof blk);
    /* a new BEGIN starts at seq 0 */
    request_words(emu, 0x02, 4, 0x1000u, 4u, 0x400u, 0x20000u);
    expect_frame(emu, "FLASH_BEGIN", "010204000000000000050000");
    request_data(emu, 0x03, 0, blk, sizeof blk);
    expect_frame(emu, "seq 0", "010304000000000000050000");
    /* MEM_DATA: the same */
    request_words(emu, 0x05, 4, 0x100u, 1u, 0x1800u, 0x3FFE0000u);
    expect_frame(emu, "MEM_BEGIN", "010504000000000000050000");
    uint8_t m[16 + 0x100] = { 0 };
    put32(m, 0x100);
    request(emu, 0x07, m, sizeof m, 0xEF ^ 1);
    expect_frame(emu, "MEM_DATA bad checksum", "010704000000000001070000");
    request(emu, 0x07, m, sizeof m, 0xEF);
    expect_frame(emu, "MEM_DATA resent", "010704000000000001050000");
    /* a command outside the download group clears the error byte */
    request_words(emu, 0x0D, 2, 0u, 0u);
    expect_frame(emu, "SPI_ATTACH", "010d04000000000000000000");
    emu_close(emu);
}

/* Point 3: blocks go one after the other from the BEGIN offset, whatever
 * the block count; past the erased sectors the read-back differs: 01 08. */
static void test_write_past_erased_region(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32c3", 4u << 20);
    attach(emu, 4u << 20);
    uint8_t zero[0x400], aa[0x400];
    memset(zero, 0, sizeof zero);
    memset(aa, 0xAA, sizeof aa);
    request_words(emu, 0x02, 5, 0x2000u, 8u, 0x400u, 0x10000u, 0u);
    assert_int_equal(status(emu, 0x02), 0);
    for (uint32_t s = 0; s < 8; s++) {
        request_data(emu, 0x03, s, zero, sizeof zero);
        assert_int_equal(status(emu, 0x03), 0);
    }
    /* erase 0x800 (one sector erased), 1 block announced, 4 taken */
    request_words(emu, 0x02, 5, 0x800u, 1u, 0x400u, 0x10000u, 0u);
    assert_int_equal(status(emu, 0x02), 0);
    for (uint32_t s = 0; s < 4; s++) {
        request_data(emu, 0x03, s, aa, sizeof aa);
        assert_int_equal(status(emu, 0x03), 0);
    }
    request_data(emu, 0x03, 4, aa, sizeof aa);
    expect_frame(emu, "past the erased sector", "010304000000000001080000");
    /* the seq still advanced */
    request_data(emu, 0x03, 4, aa, sizeof aa);
    expect_frame(emu, "resend", "010304000000000001050000");
    const uint8_t *f = emu_flash(emu, NULL);
    assert_int_equal(f[0x10FFF], 0xAA);
    assert_int_equal(f[0x11000], 0x00);
    emu_close(emu);
}

/* Point 4: FLASH_BEGIN wants a sector-aligned offset (06); the C3 ROM (and
 * every ROM after the ESP32) takes only the 20-byte form (05). */
static void test_flash_begin_forms(void **state)
{
    (void)state;
    static const char *chips[] = { "esp32s2", "esp32s3", "esp32c3", "esp32c6", "esp32h2" };
    for (size_t c = 0; c < sizeof chips / sizeof chips[0]; c++) {
        struct emu *emu = open_chip(chips[c], 4u << 20);
        attach(emu, 4u << 20);
        request_words(emu, 0x02, 4, 0x1000u, 4u, 0x400u, 0x10000u);
        assert_int_equal(status(emu, 0x02), 0x05);
        request_words(emu, 0x10, 4, 0x1000u, 1u, 0x400u, 0x10000u);
        assert_int_equal(status(emu, 0x10), 0x05);
        request_words(emu, 0x02, 5, 0x1000u, 4u, 0x400u, 0x10000u, 0u);
        assert_int_equal(status(emu, 0x02), 0);
        request_words(emu, 0x02, 5, 0x100u, 1u, 0x400u, 0x10800u, 0u);
        assert_int_equal(status(emu, 0x02), 0x06);
        emu_close(emu);
    }
    struct emu *emu = open_chip("esp32", 4u << 20);
    attach(emu, 4u << 20);
    request_words(emu, 0x02, 4, 0x100u, 1u, 0x400u, 0x3FF100u);
    expect_frame(emu, "unaligned", "010204000000000001060000");
    request_words(emu, 0x02, 4, 0x1000u, 4u, 0x400u, 0x400000u);
    assert_int_equal(status(emu, 0x02), 0x06);
    emu_close(emu);
    /* nothing to erase, but beyond the 2 MB the ROM assumes: 06 */
    emu = open_chip("esp32", 4u << 20);
    request_words(emu, 0x0D, 2, 0u, 0u);
    assert_int_equal(status(emu, 0x0D), 0);
    request_words(emu, 0x02, 4, 0u, 0u, 0x400u, 0x3FF000u);
    assert_int_equal(status(emu, 0x02), 0x06);
    emu_close(emu);
}

/* Point 5: lengths the ROM tolerates (QEMU recordings). */
static void test_length_tolerance(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32", 0);
    sync_chip(emu);
    expect_raw(emu, "SYNC", "c0010804000707122000000000c0", 8);
    /* READ_REG with 2 bytes: the address's top half is stale (07 07 12 20
     * from SYNC): 0x20121000, an empty register, value 0 */
    request(emu, 0x0A, (uint8_t[2]){ 0x00, 0x10 }, 2, 0);
    expect_frame(emu, "READ_REG 2 bytes", "010a04000000000000000000");
    /* with 8 bytes the first word is the address */
    request_words(emu, 0x0A, 2, 0x40001000u, 0u);
    expect_frame(emu, "READ_REG 8 bytes", "010a0400831df00000000000");
    /* with none, the stale address again */
    request(emu, 0x0A, NULL, 0, 0);
    expect_frame(emu, "READ_REG 0 bytes", "010a0400831df00000000000");
    /* WRITE_REG with one 12-byte entry (no delay word) */
    request_words(emu, 0x09, 3, 0x3FF4407Cu, 0x12345678u, 0xFFFFFFFFu);
    expect_frame(emu, "WRITE_REG 12 bytes", "01090400831df00000000000");
    assert_int_equal(read_reg(emu, 0x3FF4407C), 0x12345678);
    /* SPI_ATTACH with 4 bytes; SPI_SET_PARAMS with 20 is refused */
    request_words(emu, 0x0D, 1, 0u);
    expect_frame(emu, "SPI_ATTACH 4 bytes", "010d04007856341200000000");
    request_words(emu, 0x0B, 5, 0u, 4u << 20, 0x10000u, 0x1000u, 0x100u);
    expect_frame(emu, "SPI_SET_PARAMS 20 bytes", "010b04007856341201050000");
    /* SYNC with the magic only, with nothing, with a wrong magic: 8
     * answers, value = the request's first word (stale if absent) */
    request(emu, 0x08, (uint8_t[4]){ 0x07, 0x07, 0x12, 0x20 }, 4, 0);
    expect_raw(emu, "SYNC 4 bytes", "c0010804000707122000000000c0", 8);
    request(emu, 0x08, NULL, 0, 0);
    expect_raw(emu, "SYNC 0 bytes", "c0010804000707122000000000c0", 8);
    uint8_t bad[36] = { 0x07, 0x07, 0x12, 0x21 };
    memset(bad + 4, 0x55, 32);
    request(emu, 0x08, bad, sizeof bad, 0);
    expect_raw(emu, "SYNC wrong magic", "c0010804000707122100000000c0", 8);
    /* CHANGE_BAUDRATE with the new rate only */
    request_words(emu, 0x0F, 1, 230400u);
    expect_raw(emu, "CHANGE_BAUDRATE 4 bytes", "c0010f04000707122100000000c0c0c0", 1);
    assert_int_equal(emu_baud(emu), 230400);
    emu_close(emu);
}

/* Point 7: status bytes 3-4 are what the reply buffer held: after an MD5
 * of nothing (d41d8cd9...), READ_REG's are its characters 3-4, "1d". */
static void test_stale_status_bytes(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32", 4u << 20);
    attach(emu, 4u << 20);
    request_words(emu, 0x13, 4, 0u, 0u, 0u, 0u);
    expect_frame(emu, "MD5 of nothing", "0113240000000000"
                 "6434316438636439386630306232303465393830303939386563663834323765"
                 "00000000");
    request_words(emu, 0x0A, 1, 0x40001000u);
    expect_frame(emu, "READ_REG", "010a0400831df00000003164");
    /* flash data in the buffer: an error's bytes 3-4 are flash bytes */
    request_words(emu, 0x0E, 2, 0u, 16u);
    struct frames fr;
    collect(emu, &fr);
    frames_free(&fr);
    request(emu, 0x55, NULL, 0, 0);
    expect_frame(emu, "unknown after READ_FLASH_SLOW", "010e0400831df0000105ffff");
    emu_close(emu);
}

/* Point 8: FLASH_END(1) runs the app even when it answers 01 06. */
static void test_flash_end_runs_app(void **state)
{
    (void)state;
    struct emu *emu = open_chip("esp32", 4u << 20);
    attach(emu, 4u << 20);
    request_words(emu, 0x04, 1, 1u);            /* no write open: 06 */
    struct frames fr;
    collect(emu, &fr);
    assert_int_equal(fr.n, 1);
    const uint8_t want[] = { 0x01, 0x04, 0x04, 0x00, 0, 0, 0, 0, 0x01, 0x06, 0x00, 0x00 };
    assert_int_equal(fr.len[0], sizeof want);
    assert_memory_equal(fr.f[0], want, sizeof want);
    assert_non_null(strstr(fr.text, "configsip: 0"));   /* the ESP32 flash boot */
    frames_free(&fr);
    assert_int_equal(emu_state(emu), EMU_APP);
    emu_close(emu);
    /* a good write ends with 00; the C3 ROM says "user code done" */
    emu = open_chip("esp32c3", 4u << 20);
    attach(emu, 4u << 20);
    uint8_t blk[0x400];
    memset(blk, 0x5A, sizeof blk);
    request_words(emu, 0x02, 5, 0x400u, 1u, 0x400u, 0x10000u, 0u);
    assert_int_equal(status(emu, 0x02), 0);
    request_data(emu, 0x03, 0, blk, sizeof blk);
    assert_int_equal(status(emu, 0x03), 0);
    request_words(emu, 0x04, 1, 1u);
    collect(emu, &fr);
    assert_int_equal(fr.n, 1);
    assert_int_equal(fr.f[0][8], 0);
    assert_non_null(strstr(fr.text, "user code done\r\n"));
    frames_free(&fr);
    assert_int_equal(emu_state(emu), EMU_APP);
    emu_close(emu);
}

/* ---- the flash file ------------------------------------------------------ */

static void test_flash_file_created_erased_and_written_through(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/flash.bin", test_tmpdir());
    unlink(path);
    struct emu_options o = { .chip = "esp32s3", .flash_path = path, .flash_size = 1u << 20 };
    struct err e;
    struct emu *emu = emu_open(&o, &e);
    assert_non_null(emu);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 1 << 20);
    attach(emu, 1u << 20);
    uint8_t d[0x400];
    memset(d, 0x5A, sizeof d);
    request_words(emu, 0x02, 5, 0x400u, 1u, 0x400u, 0x8000u, 0u);
    struct frames fr;
    collect(emu, &fr);
    frames_free(&fr);
    request_data(emu, 0x03, 0, d, sizeof d);
    collect(emu, &fr);
    frames_free(&fr);
    /* visible through the file without closing the emulator */
    int fd = open(path, O_RDONLY);
    uint8_t got[0x401];
    assert_int_equal(pread(fd, got, sizeof got, 0x8000), (ssize_t)sizeof got);
    close(fd);
    assert_memory_equal(got, d, sizeof d);
    assert_int_equal(got[0x400], 0xFF);
    emu_close(emu);
    /* too small a --flash-size for an existing file is an error */
    o.flash_size = 512u << 10;
    assert_null(emu_open(&o, &e));
    assert_non_null(strstr(e.msg, "flash.bin"));
}

static void test_parse_size(void **state)
{
    (void)state;
    uint32_t v;
    assert_int_equal(emu_parse_size("4MB", &v), 0);
    assert_int_equal(v, 4u << 20);
    assert_int_equal(emu_parse_size("512KB", &v), 0);
    assert_int_equal(v, 512u << 10);
    assert_int_equal(emu_parse_size("0x200000", &v), 0);
    assert_int_equal(v, 2u << 20);
    assert_int_equal(emu_parse_size("4GB", &v), -1);
    assert_int_equal(emu_parse_size("", &v), -1);
    struct emu_options o = { .chip = "esp32", .flash_size = 3u << 20 };
    struct err e;
    assert_null(emu_open(&o, &e));
    o.flash_size = 0;
    o.chip = "esp31";
    assert_null(emu_open(&o, &e));
    assert_non_null(strstr(e.msg, "esp31"));
}

/* The emulator takes a chip name as users spell it. */
static void test_chip_name_spellings(void **state)
{
    (void)state;
    struct emu_options eo = { .chip = "ESP32-C3" };
    struct err e;
    struct emu *emu = emu_open(&eo, &e);
    assert_non_null(emu);
    assert_string_equal(emu_chip_name(emu), "esp32c3");
    emu_close(emu);
    eo.chip = "esp32-c33";
    assert_null(emu_open(&eo, &e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transcript_esp32),
        cmocka_unit_test(test_transcript_esp32c3),
        cmocka_unit_test(test_sync_eight_replies),
        cmocka_unit_test(test_unknown_command_one_error_frame),
        cmocka_unit_test(test_magic_and_mac),
        cmocka_unit_test(test_uart_divider_follows_baud),
        cmocka_unit_test(test_flash_id_per_size),
        cmocka_unit_test(test_security_info),
        cmocka_unit_test(test_rom_write_md5_read),
        cmocka_unit_test(test_rom_erases_at_begin_and_checks_writes),
        cmocka_unit_test(test_esp8266_erase_bug),
        cmocka_unit_test(test_rom_deflate_write),
        cmocka_unit_test(test_change_baudrate),
        cmocka_unit_test(test_recorded_esp32_session),
        cmocka_unit_test(test_error_reply_copies_previous),
        cmocka_unit_test(test_data_seq_rules),
        cmocka_unit_test(test_write_past_erased_region),
        cmocka_unit_test(test_flash_begin_forms),
        cmocka_unit_test(test_length_tolerance),
        cmocka_unit_test(test_stale_status_bytes),
        cmocka_unit_test(test_flash_end_runs_app),
        cmocka_unit_test(test_flash_file_created_erased_and_written_through),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_chip_name_spellings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
