/* Connecting: reset into download mode, sync, detect the chip, start the
 * stub, change the baud rate, attach the flash; and the --after action.
 * (§3 connection, §4 detection, §3.4 stub, §3.5 baud) */
#include "bytes.h"
#include "loader.h"
#include "loader_impl.h"
#include "stub.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void loader_opts_init(struct loader_opts *o)
{
    memset(o, 0, sizeof *o);
    o->baud = 115200;
    o->before = LOADER_BEFORE_DEFAULT;
    o->after = LOADER_AFTER_HARD_RESET;
    o->connect_attempts = 7;
}

static bool is_scheme(const struct port *p, const char *scheme)
{
    return strncmp(p->name, scheme, strlen(scheme)) == 0;
}

/* ---- reset strategies (§3.2) ---- */

static int make_classic(struct reset_step *s, unsigned delay_ms)
{
    char seq[64];
    snprintf(seq, sizeof seq, "D0|R1|W0.1|D1|R0|W%.3f|D0", delay_ms / 1000.0);
    return loader_reset_parse(seq, s, RESET_MAX_STEPS, &(struct err){ { 0 } });
}

static int make_tight(struct reset_step *s, unsigned delay_ms)
{
    char seq[80];
    snprintf(seq, sizeof seq, "U0,0|U1,1|U0,1|W0.1|U1,0|W%.3f|U0,0|D0", delay_ms / 1000.0);
    return loader_reset_parse(seq, s, RESET_MAX_STEPS, &(struct err){ { 0 } });
}

static int make_usb_jtag(struct reset_step *s)
{
    return loader_reset_parse("R0|D0|W0.1|D1|R0|W0.1|R1|D0|R1|W0.1|D0|R0", s, RESET_MAX_STEPS,
                              &(struct err){ { 0 } });
}

struct strategy {
    struct reset_step steps[RESET_MAX_STEPS];
    int n;
    const char *name;
};

/* esptool's order: custom > USB-JTAG > (POSIX serial) unix-tight 0.05/0.55,
 * classic 0.05/0.55 > (RFC 2217) classic only. */
static int build_strategies(struct loader *l, struct strategy *st, struct err *e)
{
    int k = 0;
    if (l->o.reset_sequence) {
        st[0].n = loader_reset_parse(l->o.reset_sequence, st[0].steps, RESET_MAX_STEPS, e);
        st[0].name = "custom";
        return st[0].n < 0 ? -1 : 1;
    }
    if (l->o.before == LOADER_BEFORE_USB_RESET || l->o.usb_jtag) {
        st[0].n = make_usb_jtag(st[0].steps);
        st[0].name = "USB-Serial/JTAG";
        return 1;
    }
    if (!is_scheme(l->port, "rfc2217://")) {
        st[k].n = make_tight(st[k].steps, 50), st[k++].name = "unix-tight";
        st[k].n = make_tight(st[k].steps, 550), st[k++].name = "unix-tight (long)";
    }
    st[k].n = make_classic(st[k].steps, 50), st[k++].name = "classic";
    st[k].n = make_classic(st[k].steps, 550), st[k++].name = "classic (long)";
    return k;
}

/* ---- sync ---- */

static int sync_once(struct loader *l, struct err *e)
{
    uint8_t d[36] = { 0x07, 0x07, 0x12, 0x20 };
    memset(d + 4, 0x55, 32);
    if (loader_command(l, LOADER_SYNC, d, sizeof d, 0, LOADER_SYNC_TIMEOUT, 0, NULL, NULL,
                       "SYNC", e) != 0)
        return -1;
    /* ROM and stubs answer 8 times; a stub's replies carry value 0
     * (a ROM's 0x20120707).  Unread replies would poison the next command. */
    bool zero = l->last_value == 0;
    for (int i = 0; i < 7; i++) {
        bool bad;
        struct err ignore;
        int got = loader_next_frame(l, port_now_ms() + LOADER_SYNC_TIMEOUT, &bad, &ignore);
        if (got <= 0)
            break;
        if (!bad && l->frame_len >= 8 && l->frame[0] == 1 && l->frame[1] == LOADER_SYNC) {
            uint32_t v = (uint32_t)l->frame[4] | (uint32_t)l->frame[5] << 8 |
                         (uint32_t)l->frame[6] << 16 | (uint32_t)l->frame[7] << 24;
            zero = zero && v == 0;
        }
    }
    l->sync_zero = zero;
    return 0;
}

/* "boot:0x13 (SPI_FAST_FLASH_BOOT)" in what the chip printed after reset. */
static bool boot_banner(const struct loader *l, char *mode, size_t cap, bool *download)
{
    const char *b = strstr(l->boot_log, "boot:0x");
    if (!b)
        return false;
    size_t n = 5;
    while (isxdigit((unsigned char)b[n]) || b[n] == 'x')
        n++;
    snprintf(mode, cap, "%.*s", (int)(n - 5), b + 5);
    const char *rest = b + n;
    *download = strstr(rest, "download") || strstr(rest, "DOWNLOAD") ||
                strstr(rest, "UART_BOOT") || strstr(rest, "UART0_BOOT") ||
                strstr(rest, "USB_BOOT");
    return true;
}

static int connect_attempt(struct loader *l, const struct strategy *s, bool reset,
                           struct err *e)
{
    if (reset) {
        if (loader_flush_input(l, e) != 0)
            return -1;
        l->boot_log_len = 0;
        l->boot_log[0] = '\0';
        if (loader_reset_run(l->port, s->steps, s->n, l->lines, e) != 0)
            return -1;
        /* Collect the boot banner (it says whether we reached download mode). */
        bool bad;
        struct err ignore;
        while (loader_next_frame(l, port_now_ms() + 20, &bad, &ignore) > 0)
            ;
    }
    for (int i = 0; i < 5; i++) {
        if (loader_flush_input(l, e) != 0)
            return -1;
        if (sync_once(l, e) == 0)
            return 0;
        port_sleep_ms(50);
    }
    return -1;
}

static int do_connect(struct loader *l, struct err *e)
{
    if (l->o.before == LOADER_BEFORE_NO_RESET_NO_SYNC)
        return 0;
    bool reset = l->o.before != LOADER_BEFORE_NO_RESET;
    if (reset && is_scheme(l->port, "socket://")) {
        loader_note(l, "socket:// ports have no reset lines: using --before no-reset "
                       "(put the chip into download mode yourself)");
        reset = false;
    } else if (reset && !l->port->has_lines) {
        loader_note(l, "%s has no DTR/RTS lines: skipping the reset "
                       "(put the chip into download mode yourself)", l->port->name);
        reset = false;
    }
    struct strategy st[4];
    int ns = 1;
    if (reset && (ns = build_strategies(l, st, e)) < 0)
        return -1;
    int attempts = l->o.connect_attempts;
    struct err last;
    err_clear(&last);
    if (l->o.progress)
        l->o.progress(l->o.ctx, "Connecting", 0, 0, attempts > 0 ? (uint64_t)attempts : 0);
    for (int i = 0; attempts <= 0 || i < attempts; i++) {
        if (connect_attempt(l, &st[i % ns], reset, &last) == 0)
            return 0;
        if (l->o.progress)
            l->o.progress(l->o.ctx, "Connecting", 0, (uint64_t)i + 1,
                          attempts > 0 ? (uint64_t)attempts : 0);
        if (!reset && attempts > 0 && i + 1 >= attempts)
            break;
    }
    char mode[16];
    bool download = false;
    if (boot_banner(l, mode, sizeof mode, &download)) {
        if (download)
            return err_set(e, "%s: download mode detected (boot:%s), but no reply to SYNC: "
                              "the serial TX path seems to be down", l->port->name, mode);
        return err_set(e, "%s: wrong boot mode detected (boot:%s)! The chip needs to be in "
                          "download mode", l->port->name, mode);
    }
    if (l->dec.garbage == 0 && l->boot_log_len == 0 && strstr(last.msg, "no reply"))
        return err_set(e, "%s: failed to connect to the chip: no serial data received",
                       l->port->name);
    return err_set(e, "%s: failed to connect to the chip (%s)", l->port->name, last.msg);
}

/* ---- detection (§4.1) ---- */

/* The chip by GET_SECURITY_INFO's chip id (S2 and later ROMs; the ESP32
 * does not know the command, the S2 sends no id).  *c stays NULL then;
 * 1 (e filled) for an id no chip has. */
static int by_security_info(struct loader *l, const struct chip **c, struct err *e)
{
    const uint8_t *p;
    size_t n;
    struct err ignore;
    if (loader_command_retry(l, LOADER_GET_SECURITY_INFO, NULL, 0, 0, LOADER_QUICK, -1,
                             false, &p, &n, "GET_SECURITY_INFO", &ignore) != 0 || n < 12)
        return 0;
    l->have_security_info = true;
    l->sec_flags = get_le32(p);
    l->secure_download = (l->sec_flags & 4) != 0;
    if (n < 20)
        return 0;
    uint32_t id = get_le32(p + 12);
    *c = chip_by_image_id((uint16_t)id);
    if (*c)
        return 0;
    err_set(e, "%s: unknown chip id %u reported by GET_SECURITY_INFO", l->port->name,
            (unsigned)id);
    return 1;
}

/* The chip by the magic value in its register at 0x40001000; 1 (e filled)
 * for a value no chip has. */
static int by_magic(struct loader *l, const struct chip **c, struct err *e)
{
    uint32_t magic;
    if (loader_read_reg(l, LOADER_MAGIC_REG, &magic, e) != 0) {
        if (l->have_security_info)
            return err_set(e, "%s: cannot read the chip magic register: probably an "
                              "ESP32-S2 in Secure Download Mode", l->port->name);
        return err_prefix(e, "%s: detecting the chip: ", l->port->name);
    }
    *c = chip_by_magic(magic);
    if (*c)
        return 0;
    err_set(e, "%s: unknown chip magic value 0x%08x at 0x%08x", l->port->name, (unsigned)magic,
            LOADER_MAGIC_REG);
    return 1;
}

/* A request or reply damaged on the line reads as a chip no one makes:
 * ask again, believing only answers that two reads agree on. */
static int detect_chip(struct loader *l, struct err *e)
{
    for (int i = 1;; i++) {
        const struct chip *c = NULL;
        int rc = by_security_info(l, &c, e);
        if (rc == 0 && !c)
            rc = by_magic(l, &c, e);
        if (rc == 0) {
            l->chip = c;
            return 0;
        }
        struct err ignore;
        l->fail = LOADER_FAIL_GARBLED;
        if (rc < 0 || i >= LOADER_ATTEMPTS || loader_recover(l, &ignore) != 0)
            return -1;
        loader_resend(l, "%s; asking again", e->msg);
    }
}

/* ---- stub (§3.4) ---- */

static int mem_begin(struct loader *l, uint32_t addr, size_t len, uint32_t bs, struct err *e)
{
    uint8_t hdr[16];
    char what[64];
    put_le32(hdr, (uint32_t)len);
    put_le32(hdr + 4, (uint32_t)((len + bs - 1) / bs));
    put_le32(hdr + 8, bs);
    put_le32(hdr + 12, addr);
    snprintf(what, sizeof what, "MEM_BEGIN at 0x%08x", (unsigned)addr);
    return loader_command_retry(l, LOADER_MEM_BEGIN, hdr, 16, 0, LOADER_QUICK, 0, true,
                                NULL, NULL, what, e);
}

/* MEM_DATA blocks of `bs` bytes from MEM_BEGIN at addr; *got counts the
 * bytes the chip took, also when a block fails. */
static int mem_blocks(struct loader *l, uint32_t addr, const uint8_t *data, size_t len,
                      uint32_t bs, size_t *got, struct err *e)
{
    uint8_t *buf = l->block;   /* LOADER_RAM_BLOCK fits */
    *got = 0;
    for (uint32_t seq = 0; *got < len; seq++) {
        size_t n = len - *got < bs ? len - *got : bs;
        put_le32(buf, (uint32_t)n);
        put_le32(buf + 4, seq);
        put_le32(buf + 8, 0);
        put_le32(buf + 12, 0);
        memcpy(buf + 16, data + *got, n);
        char what[64];
        snprintf(what, sizeof what, "MEM_DATA seq %u at 0x%08x", (unsigned)seq,
                 (unsigned)(addr + *got));
        if (loader_command(l, LOADER_MEM_DATA, buf, 16 + n, loader_checksum(data + *got, n),
                           loader_timeout(l, 0, 0, n + 64), 0, NULL, NULL, what, e) != 0) {
            loader_block_sent(l, (uint32_t)n, false);
            return -1;
        }
        loader_block_sent(l, (uint32_t)n, true);
        *got += n;
    }
    return 0;
}

/* RAM takes the same bytes at the same place any number of times, so a
 * load that fails goes on from the block that failed, whatever the reply
 * said or whether one came: a new MEM_BEGIN there (the ROM counts every
 * block it sees, even a damaged one, and refuses that seq again), in
 * smaller blocks if the line keeps damaging them. */
int loader_mem_write(struct loader *l, uint32_t addr, const uint8_t *data, size_t len,
                     struct err *e)
{
    struct retry r = { 0, 0 };
    size_t done = 0;
    for (;;) {
        uint32_t bs = loader_block(l, LOADER_RAM_BLOCK);
        size_t got = 0;
        if (mem_begin(l, addr + (uint32_t)done, len - done, bs, e) != 0)
            return -1;
        if (mem_blocks(l, addr + (uint32_t)done, data + done, len - done, bs, &got, e) == 0)
            return 0;
        done += got;
        if (got)
            r = (struct retry){ 0, 0 };
        if (!loader_again(l, &r, loader_timeout(l, 0, 0, bs + 64)))
            return -1;
        loader_resend(l, "%s; loading again from there", e->msg);
        if (loader_recover(l, e) != 0)
            return -1;
    }
}

static const char *stub_name(struct loader *l)
{
    if (strcmp(l->chip->name, "esp32p4") == 0) {
        int rev = loader_chip_revision(l);
        if (rev >= 0 && rev < 300)
            return "esp32p4-rev1";
    }
    return l->chip->ld->stub;
}

static int upload_stub(struct loader *l, const struct stub_image *s, const uint8_t *text,
                       size_t tlen, const uint8_t *data, size_t dlen, struct err *e)
{
    if (loader_mem_write(l, s->text_start, text, tlen, e) != 0)
        return -1;
    if (dlen && loader_mem_write(l, s->data_start, data, dlen, e) != 0)
        return -1;
    loader_note(l, "Running stub flasher...");
    uint8_t end[8];
    put_le32(end, 0);
    put_le32(end + 4, s->entry);
    if (loader_send_command(l, LOADER_MEM_END, end, 8, 0, e) != 0) {
        l->fail = LOADER_FAIL_PORT;
        return -1;
    }
    /* The ROM may or may not answer MEM_END before the stub runs; then the
     * stub sends the bare frame "OHAI" (the only unsolicited packet). */
    uint64_t deadline = port_now_ms() + loader_timeout(l, 0, 0, 64);
    for (;;) {
        bool bad;
        int r = loader_next_frame(l, deadline, &bad, e);
        if (r < 0) {
            l->fail = LOADER_FAIL_PORT;
            return -1;
        }
        if (r == 0) {
            l->fail = LOADER_FAIL_TIMEOUT;
            return err_set(e, "MEM_END at 0x%08x: the stub did not start (no OHAI)",
                           (unsigned)s->entry);
        }
        if (!bad && l->frame_len == 4 && memcmp(l->frame, "OHAI", 4) == 0)
            return 0;
        if (!bad && l->frame_len >= 10 && l->frame[0] == 1 && l->frame[1] == LOADER_MEM_END &&
            l->frame[8] != 0) {
            l->fail = LOADER_FAIL_STATUS;
            return err_set(e, "MEM_END at 0x%08x: the ROM says %s (status %02x %02x)",
                           (unsigned)s->entry, loader_error_text(false, l->frame[8], l->frame[9]),
                           l->frame[8], l->frame[9]);
        }
    }
}

/* Whether the stub answers SYNC (a stub's replies carry value 0), asked a
 * few times: the question goes over the same noisy line. */
static bool stub_answers(struct loader *l)
{
    struct err ignore;
    for (int i = 0; i < LOADER_ATTEMPTS; i++) {
        if (sync_once(l, &ignore) == 0)
            return l->sync_zero;
        if (loader_recover(l, &ignore) != 0)
            return false;
    }
    return false;
}

static int run_stub(struct loader *l, struct err *e)
{
    const char *name = stub_name(l);
    const struct stub_image *s = stub_find(name);
    if (!s)
        return err_set(e, "no flasher stub for %s in this build", name);
    uint8_t *text = NULL, *data = NULL;
    size_t tlen = 0, dlen = 0;
    int rc = -1;
    if (stub_b64_decode(s->text_b64, &text, &tlen, e) != 0 ||
        stub_b64_decode(s->data_b64, &data, &dlen, e) != 0)
        goto out;
    loader_note(l, "Uploading stub flasher...");
    struct retry r = { 0, 0 };
    for (;;) {
        if (upload_stub(l, s, text, tlen, data, dlen, e) == 0)
            break;
        if (!loader_again(l, &r, LOADER_DEFAULT_TIMEOUT) || r.tries >= LOADER_ATTEMPTS)
            goto out;
        /* On a noisy line: maybe only the greeting got lost and the stub
         * runs; else load it again from the start (MEM_BEGIN). */
        if (loader_recover(l, e) != 0)
            goto out;
        if (stub_answers(l))
            break;
        loader_resend(l, "%s; uploading the stub again", e->msg);
    }
    l->stub = true;
    loader_note(l, "Stub flasher running.");
    rc = 0;
out:
    free(text);
    free(data);
    return rc;
}

/* ---- revision, MAC ---- */

int loader_read_mac(struct loader *l, uint8_t mac[6], struct err *e)
{
    const struct chip_loader *ld = l->chip->ld;
    uint32_t w0, w1;
    if (ld->rom_is_8266) {
        uint32_t m0, m1, m3;
        if (loader_read_reg(l, 0x3FF00050, &m0, e) || loader_read_reg(l, 0x3FF00054, &m1, e) ||
            loader_read_reg(l, 0x3FF0005C, &m3, e))
            return -1;
        if (m3 != 0) {
            mac[0] = (uint8_t)(m3 >> 16), mac[1] = (uint8_t)(m3 >> 8), mac[2] = (uint8_t)m3;
        } else if (((m1 >> 16) & 0xFF) == 0) {
            mac[0] = 0x18, mac[1] = 0xFE, mac[2] = 0x34;
        } else if (((m1 >> 16) & 0xFF) == 1) {
            mac[0] = 0xAC, mac[1] = 0xD0, mac[2] = 0x74;
        } else {
            return err_set(e, "ESP8266: unknown OUI in OTP word 0x%08x", (unsigned)m1);
        }
        mac[3] = (uint8_t)(m1 >> 8), mac[4] = (uint8_t)m1, mac[5] = (uint8_t)(m0 >> 24);
        return 0;
    }
    if (loader_read_reg(l, ld->mac_reg, &w0, e) || loader_read_reg(l, ld->mac_reg + 4, &w1, e))
        return -1;
    mac[0] = (uint8_t)(w1 >> 8), mac[1] = (uint8_t)w1;
    mac[2] = (uint8_t)(w0 >> 24), mac[3] = (uint8_t)(w0 >> 16);
    mac[4] = (uint8_t)(w0 >> 8), mac[5] = (uint8_t)w0;
    return 0;
}

/* ---- baud rate (§3.5) ---- */

/* The words of CHANGE_BAUDRATE for `baud`; false when this loader cannot
 * change the rate (the ESP8266 ROM). */
static bool baud_words(struct loader *l, uint32_t baud, uint8_t d[8])
{
    uint32_t old = l->port->baud;
    uint32_t send = baud, second = 0;
    struct err ignore;
    if (l->stub) {
        /* Legacy stub: divider scaled from the old rate; new stub ignores it. */
        second = old;
    } else if (l->chip->ld->rom_is_8266) {
        return false;
    } else if (strcmp(l->chip->name, "esp32") == 0) {
        /* The ESP32 ROM computes the divider from a drifting CK8M estimate;
         * send the rate it will mistake for the one we want. */
        uint32_t cal, ef4;
        if (loader_read_reg(l, 0x3FF5F06C, &cal, &ignore) == 0 &&
            loader_read_reg(l, l->chip->ld->efuse_base + 4 * 4, &ef4, &ignore) == 0) {
            double rom_freq = (double)((cal >> 7) & 0x01FFFFFF) * 15625.0 * (ef4 & 0xFF) / 40.0;
            double valid = rom_freq > 33e6 ? 40e6 : 26e6;
            /* A real estimate drifts by tens of percent; anything further
             * off is a misread register, and would overflow the divider. */
            if (rom_freq > valid / 2 && rom_freq < valid * 2)
                send = (uint32_t)((double)baud * rom_freq / valid);
        }
    } else if (strcmp(l->chip->name, "esp32c2") == 0) {
        /* The C2 ROM assumes a 40 MHz crystal; with 26 MHz scale by 40/26. */
        uint32_t div;
        if (loader_read_reg(l, l->chip->ld->uart_clkdiv_reg, &div, &ignore) == 0 && div) {
            double xtal = (double)old * (div & 0xFFFFF) / 1e6 / l->chip->ld->xtal_clk_div;
            if (xtal > 1 && xtal <= 33)
                send = (uint32_t)((uint64_t)baud * 40 / 26);
        }
    }
    put_le32(d, send);
    put_le32(d + 4, second);
    return true;
}

/* Our side of the line to `baud`, past the garbage of the switch. */
static int set_rate(struct loader *l, uint32_t baud, struct err *e)
{
    if (l->port->ops->set_baud(l->port, baud, e) != 0)
        return -1;
    port_sleep_ms(50);
    return loader_flush_input(l, e);
}

/* The reply to CHANGE_BAUDRATE got lost: the chip may or may not have
 * switched.  The way back: SYNC at the new rate, then at the old one, a
 * few rounds (the question crosses the same noisy line); the rate that
 * answers is where the chip is.  *switched says which. */
static int find_rate(struct loader *l, uint32_t baud, uint32_t old, bool *switched,
                     struct err *e)
{
    const uint32_t rate[2] = { baud, old };
    struct err quiet;
    for (int round = 0; round < LOADER_ATTEMPTS; round++) {
        for (int i = 0; i < 2; i++) {
            if (set_rate(l, rate[i], e) != 0 || loader_resync(l, e) != 0)
                return -1;
            if (sync_once(l, &quiet) == 0) {
                *switched = i == 0;
                return 0;
            }
        }
    }
    return err_set(e, "CHANGE_BAUDRATE to %u: the chip answers neither at %u nor at %u baud",
                   (unsigned)baud, (unsigned)baud, (unsigned)old);
}

static int change_baud(struct loader *l, uint32_t baud, struct err *e)
{
    uint32_t old = l->port->baud;
    uint8_t d[8];
    if (!baud_words(l, baud, d)) {
        loader_note(l, "The ESP8266 ROM cannot change the baud rate: staying at %u",
                    (unsigned)old);
        return 0;
    }
    char what[48];
    snprintf(what, sizeof what, "CHANGE_BAUDRATE to %u", (unsigned)baud);
    loader_note(l, "Changing baud rate to %u", (unsigned)baud);
    struct retry r = { 0, 0 };
    for (;;) {
        unsigned t = loader_timeout(l, 0, 0, 64);
        if (loader_command(l, LOADER_CHANGE_BAUDRATE, d, 8, 0, t, 0, NULL, NULL, what, e) == 0) {
            if (set_rate(l, baud, e) != 0)
                return -1;
            break;
        }
        if (!loader_retryable(l, true) || !loader_again(l, &r, t))
            return -1;
        loader_resend(l, "%s; asking again", e->msg);
        /* A refusal left the chip where it was; after a lost reply ask
         * where it is. */
        bool switched = false;
        if (l->fail == LOADER_FAIL_STATUS ? loader_recover(l, e) != 0
                                          : find_rate(l, baud, old, &switched, e) != 0)
            return -1;
        if (switched)
            break;
    }
    loader_note(l, "Changed.");
    return 0;
}

/* ---- open / close ---- */

int loader_open_port(struct loader **out, struct port *p, const struct loader_opts *o,
                     struct err *e)
{
    struct loader *l = calloc(1, sizeof *l);
    if (!l) {
        port_close(p);
        return err_set(e, "out of memory");
    }
    l->port = p;
    l->o = *o;
    if (!l->o.baud)
        l->o.baud = 115200;
    l->lines[0] = l->lines[1] = true;   /* Linux asserts both at open */
    slip_decoder_init(&l->dec, l->frame, sizeof l->frame);

    if (do_connect(l, e) != 0)
        goto fail;
    l->stub = l->sync_zero;
    l->stub_reused = l->stub;
    if (l->stub)
        loader_note(l, "Stub flasher is already running. No upload is necessary.");
    if (detect_chip(l, e) != 0)
        goto fail;
    if (o->chip && *o->chip && strcmp(o->chip, "auto") != 0) {
        const struct chip *want = chip_by_name(o->chip);
        if (!want) {
            err_set(e, "unknown chip '%s'", o->chip);
            goto fail;
        }
        if (want != l->chip) {
            err_set(e, "%s: this chip is %s, not %s. Wrong --chip argument?", p->name,
                    l->chip->display, want->display);
            goto fail;
        }
    }
    if (l->o.connected)
        l->o.connected(l->o.ctx, l);
    if (!l->stub && !o->no_stub && !l->secure_download) {
        if (run_stub(l, e) != 0)
            goto fail;
    } else if (l->stub && o->no_stub) {
        loader_note(l, "A stub is already running: --no-stub has no effect until the chip "
                       "is reset");
    }
    if (l->o.baud > p->baud && !is_scheme(p, "socket://") &&
        l->o.before != LOADER_BEFORE_NO_RESET_NO_SYNC) {
        if (change_baud(l, l->o.baud, e) != 0)
            goto fail;
    }
    *out = l;
    return 0;
fail:
    port_close(l->port);
    free(l);
    return -1;
}

int loader_open(struct loader **out, const char *port_name, const struct loader_opts *o,
                struct err *e)
{
    uint32_t baud = o->baud ? o->baud : 115200;
    if (o->before != LOADER_BEFORE_NO_RESET_NO_SYNC && baud > 115200)
        baud = 115200;
    struct port *p = port_open(port_name, baud, e);
    if (!p)
        return -1;
    return loader_open_port(out, p, o, e);
}

/* FLASH_BEGIN(0, 0) only ends a session, but one flipped bit of its size
 * would erase from address 0 (the bootloader): tell the chip first that
 * the flash holds nothing, so that it refuses any erase.  The chip starts
 * the app or reboots next, which sets the size again. */
static int fence_nothing(struct loader *l)
{
    struct err e;
    return loader_set_params(l, 0, &e);   /* (the ESP8266 ROM has none: no fence) */
}

static void after_action(struct loader *l)
{
    struct err e;
    uint8_t d[20] = { 0 };
    size_t blen = (l->stub || !l->chip->ld->rom_begin16) ? 20 : 16;
    switch (l->o.after) {
    case LOADER_AFTER_NO_RESET_STUB:
        loader_note(l, "Staying in flasher stub.");
        return;
    case LOADER_AFTER_NO_RESET:
        loader_note(l, "Staying in bootloader.");
        if (l->stub) {
            /* FLASH_BEGIN(0) + FLASH_END(reboot): back into the ROM loader. */
            put_le32(d + 8, LOADER_STUB_BLOCK);
            if (fence_nothing(l) == 0 &&
                loader_command(l, LOADER_FLASH_BEGIN, d, blen, 0, LOADER_DEFAULT_TIMEOUT, 0,
                               NULL, NULL, "FLASH_BEGIN", &e) == 0) {
                uint8_t f[4] = { 0 };
                loader_command(l, LOADER_FLASH_END, f, 4, 0, LOADER_DEFAULT_TIMEOUT, 0, NULL,
                               NULL, "FLASH_END", &e);
            }
        }
        return;
    case LOADER_AFTER_SOFT_RESET:
        loader_note(l, "Soft resetting...");
        if (!l->stub) {
            put_le32(d + 8, LOADER_ROM_BLOCK);
            if (fence_nothing(l) == 0 &&
                loader_command(l, LOADER_FLASH_BEGIN, d, blen, 0, LOADER_DEFAULT_TIMEOUT, 0,
                               NULL, NULL, "FLASH_BEGIN", &e) == 0) {
                uint8_t f[4] = { 1, 0, 0, 0 };
                loader_send_command(l, LOADER_FLASH_END, f, 4, 0, &e);
            }
            return;
        }
        if (l->chip->ld->rom_is_8266) {
            loader_send_command(l, LOADER_RUN_USER_CODE, NULL, 0, 0, &e);
            return;
        }
        loader_note(l, "Soft reset is only supported by the ESP8266 stub: hard resetting");
        /* fall through */
    case LOADER_AFTER_HARD_RESET:
        if (!l->port->has_lines) {
            loader_note(l, "No reset lines: the chip stays in the loader");
            return;
        }
        loader_note(l, "Hard resetting via RTS pin...");
        {
            unsigned hold = l->o.usb_jtag ? 200 : 100;
            l->lines[1] = true;
            l->port->ops->set_lines(l->port, l->lines[0], true, &e);
            port_sleep_ms(hold);
            l->lines[1] = false;
            l->port->ops->set_lines(l->port, l->lines[0], false, &e);
            if (l->o.usb_jtag)
                port_sleep_ms(200);
        }
        return;
    }
}

void loader_close(struct loader *l)
{
    if (!l)
        return;
    if (l->chip)
        after_action(l);
    port_close(l->port);
    free(l->known.map);   /* what loader_diff.c learnt of the flash */
    free(l);
}

/* ---- flash attach, id, size (§4.3) ---- */

uint32_t loader_size_from_id(uint32_t id)
{
    uint8_t mfr = id & 0xFF, cap = (id >> 16) & 0xFF;
    if (mfr == 0x1F) {   /* Adesto */
        unsigned code = (id >> 8) & 0x1F;
        return code >= 4 && code <= 9 ? (512u * 1024) << (code - 4) : 0;
    }
    if (cap >= 0x12 && cap <= 0x1C)
        return (256u * 1024) << (cap - 0x12);
    if (cap >= 0x20 && cap <= 0x22)
        return (64u * 1024 * 1024) << (cap - 0x20);
    if (cap >= 0x32 && cap <= 0x3A)
        return (256u * 1024) << (cap - 0x32);
    return 0;
}

static int spi_attach(struct loader *l, struct err *e)
{
    const struct chip_loader *ld = l->chip->ld;
    if (l->stub)
        return 0;   /* the stub attaches the flash itself */
    if (ld->rom_is_8266) {
        /* No SPI_ATTACH in the ESP8266 ROM: FLASH_BEGIN(0) attaches. */
        uint8_t d[16] = { 0 };
        put_le32(d + 8, LOADER_ROM_BLOCK);
        return loader_command_retry(l, LOADER_FLASH_BEGIN, d, 16, 0, LOADER_QUICK, 0,
                                    true, NULL, NULL, "FLASH_BEGIN (attach)", e);
    }
    uint32_t value = 0;
    if (strcmp(l->chip->name, "esp32") == 0 && !l->secure_download) {
        /* The ESP32 ROM does not attach in-package flash by itself: pass
         * the SPI pads from eFuse (all zero = default pins). */
        uint32_t r5, r3;
        if (loader_read_reg(l, ld->efuse_base + 0x14, &r5, e) ||
            loader_read_reg(l, ld->efuse_base + 0x0C, &r3, e))
            return -1;
        uint32_t clk = r5 & 0x1F, q = (r5 >> 5) & 0x1F, dd = (r5 >> 10) & 0x1F;
        uint32_t cs = (r5 >> 15) & 0x1F, hd = (r3 >> 4) & 0x1F;
        value = (hd << 24) | (cs << 18) | (dd << 12) | (q << 6) | clk;
    }
    uint8_t d[8] = { 0 };
    put_le32(d, value);
    return loader_command_retry(l, LOADER_SPI_ATTACH, d, 8, 0, LOADER_QUICK, 0, true,
                                NULL, NULL, "SPI_ATTACH", e);
}

int loader_set_params(struct loader *l, uint32_t size, struct err *e)
{
    if (l->chip->ld->rom_is_8266 && !l->stub)
        return 0;
    uint8_t d[24];
    put_le32(d, 0);
    put_le32(d + 4, size);
    put_le32(d + 8, 64 * 1024);
    put_le32(d + 12, 4 * 1024);
    put_le32(d + 16, 256);
    put_le32(d + 20, 0xFFFF);
    char what[48];
    snprintf(what, sizeof what, "SPI_SET_PARAMS size 0x%x", (unsigned)size);
    if (loader_command_retry(l, LOADER_SPI_SET_PARAMS, d, 24, 0, LOADER_QUICK, 0,
                             true, NULL, NULL, what, e) != 0)
        return -1;
    l->fence = size;
    return 0;
}

/* Lift the fence (loader_guard.c) before anything that reaches past it:
 * the chip refuses reads beyond the size it was last given. */
int loader_unfence(struct loader *l, uint32_t end, struct err *e)
{
    if (!l->attached || loader_rom_8266(l) || l->fence >= end || l->fence == l->flash_size)
        return 0;
    return loader_set_params(l, l->flash_size, e);
}

int loader_attach(struct loader *l, uint32_t size, struct err *e)
{
    if (l->attached && (!size || size == l->flash_size))
        return 0;
    if (!l->attached) {
        if (spi_attach(l, e) != 0)
            return -1;
        if (!l->secure_download) {
            uint32_t id;
            if (loader_spi_command(l, 0x9F, NULL, 0, 24, &id, e) != 0)
                return err_prefix(e, "reading the flash id: ");
            l->flash_id = id & 0xFFFFFF;
        }
    }
    uint32_t s = size ? size : loader_size_from_id(l->flash_id);
    if (!s) {
        loader_note(l, "Could not detect the flash size (id 0x%06x): assuming 4MB",
                    (unsigned)l->flash_id);
        s = 4u << 20;
    }
    if (loader_set_params(l, s, e) != 0)
        return -1;
    l->flash_size = s;
    l->attached = true;
    return 0;
}
