/* Loader core: SLIP frames over the port, commands and their replies, error
 * texts, reset sequences.  Connecting is in loader_connect.c, flash access
 * in loader_flash.c.
 *
 * Request (host -> chip), little-endian (§1.2):
 *   0 dir=0x00 | 1 opcode | 2 size u16 | 4 checksum u32 | 8 data[size]
 * Reply (chip -> host) (§1.3):
 *   0 dir=0x01 | 1 opcode | 2 size u16 | 4 value u32 | 8 payload, status
 * The status pair sits right after the command's known payload; a ROM adds
 * two reserved bytes (4 in all, ESP8266 ROM and stubs 2).  Only READ_REG
 * sets `value`; other replies carry a stale one (rom-transcripts). */
#include "bytes.h"
#include "loader.h"
#include "loader_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void loader_note(struct loader *l, const char *fmt, ...)
{
    if (!l->o.log)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    l->o.log(l->o.ctx, msg);
}

unsigned loader_timeout_per_mb(unsigned secs_per_mb, uint32_t bytes)
{
    double ms = (double)secs_per_mb * bytes / 1e6 * 1000.0;
    if (ms < LOADER_DEFAULT_TIMEOUT)
        ms = LOADER_DEFAULT_TIMEOUT;
    if (ms > LOADER_MAX_TIMEOUT)
        ms = LOADER_MAX_TIMEOUT;
    return (unsigned)ms;
}

uint32_t loader_checksum(const uint8_t *d, size_t n)
{
    uint8_t c = 0xEF;
    for (size_t i = 0; i < n; i++)
        c ^= d[i];
    return c;
}

static unsigned status_len(const struct loader *l)
{
    if (l->stub)
        return 2;
    return l->chip ? l->chip->ld->rom_status_len : 4;
}

static void boot_log_add(struct loader *l, uint8_t b)
{
    if (l->boot_log_len + 1 >= sizeof l->boot_log) {
        /* Keep the newest half: the banner we look for is recent. */
        size_t keep = sizeof l->boot_log / 2;
        memmove(l->boot_log, l->boot_log + l->boot_log_len - keep, keep);
        l->boot_log_len = keep;
    }
    l->boot_log[l->boot_log_len++] = b ? (char)b : '.';
    l->boot_log[l->boot_log_len] = '\0';
}

/* Next SLIP frame into l->frame/l->frame_len.  1 = frame (bad escape or
 * overflow still returned; the caller decides), 0 = deadline passed,
 * -1 = port error. */
int loader_next_frame(struct loader *l, uint64_t deadline, bool *bad, struct err *e)
{
    for (;;) {
        while (l->rx_pos < l->rx_len) {
            uint8_t b = l->rx[l->rx_pos++];
            size_t g = l->dec.garbage;
            if (slip_feed(&l->dec, b)) {
                l->frame_len = l->dec.len;
                if (bad)
                    *bad = l->dec.bad_escape || l->dec.overflow;
                if (l->o.trace)
                    l->o.trace(l->o.ctx, false, l->frame, l->frame_len);
                return 1;
            }
            if (l->dec.garbage != g)
                boot_log_add(l, b);
        }
        uint64_t now = port_now_ms();
        int left = now >= deadline ? 0 : (int)(deadline - now);
        int n = l->port->ops->read(l->port, l->rx, sizeof l->rx, left, e);
        if (n < 0)
            return -1;
        l->rx_pos = 0;
        l->rx_len = (size_t)n;
        if (n == 0 && left == 0)
            return 0;
    }
}

/* Throw away whatever is pending on the line (and a half-received frame). */
int loader_flush_input(struct loader *l, struct err *e)
{
    l->rx_pos = l->rx_len = 0;
    for (;;) {
        int n = l->port->ops->read(l->port, l->rx, sizeof l->rx, 0, e);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        for (int i = 0; i < n; i++)
            if (l->rx[i] != SLIP_END)
                boot_log_add(l, l->rx[i]);
    }
    slip_decoder_init(&l->dec, l->frame, sizeof l->frame);
    return 0;
}

int loader_send_raw_frame(struct loader *l, const uint8_t *buf, size_t len, struct err *e)
{
    if (l->o.trace)
        l->o.trace(l->o.ctx, true, buf, len);
    size_t n = slip_encode(buf, len, l->tx);
    return l->port->ops->write(l->port, l->tx, n, e);
}

int loader_send_command(struct loader *l, uint8_t op, const void *data, size_t len,
                        uint32_t chk, struct err *e)
{
    if (len > sizeof l->pkt - 8)
        return err_set(e, "command 0x%02x: %zu bytes of data is too much", op, len);
    uint8_t *p = l->pkt;
    p[0] = 0x00;
    p[1] = op;
    p[2] = (uint8_t)len;
    p[3] = (uint8_t)(len >> 8);
    p[4] = (uint8_t)chk;
    p[5] = (uint8_t)(chk >> 8);
    p[6] = (uint8_t)(chk >> 16);
    p[7] = (uint8_t)(chk >> 24);
    if (len)
        memcpy(p + 8, data, len);
    return loader_send_raw_frame(l, p, len + 8, e);
}

/* After an "unknown command" reply the ROM may repeat it (esptool drains
 * ~0.2 s): read until the line is quiet. */
static void drain_errors(struct loader *l)
{
    struct err ignore;
    uint64_t end = port_now_ms() + 250;
    for (;;) {
        uint64_t quiet = port_now_ms() + 60;
        int r = loader_next_frame(l, quiet < end ? quiet : end, NULL, &ignore);
        if (r <= 0 || port_now_ms() >= end)
            return;
    }
}

const char *loader_error_text(bool stub, uint8_t st0, uint8_t st1)
{
    if (stub) {
        switch (st0) {
        case 0xC0: return "bad data length";
        case 0xC1: return "bad data checksum";
        case 0xC2: return "bad block size";
        case 0xC3: return "invalid command";
        case 0xC4: return "SPI operation failed";
        case 0xC5: return "SPI unlock failed";
        case 0xC6: return "not in flash mode";
        case 0xC7: return "inflate error";
        case 0xC8: return "not enough data";
        case 0xC9: return "too much data";
        case 0xFF: return "command not implemented";
        default: return "stub error";
        }
    }
    switch (st1) {
    case 0x00: return "undefined error";
    case 0x01: return "invalid input parameter";
    case 0x02: return "malloc failed";
    case 0x03: return "send failed";
    case 0x04: return "receive failed";
    case 0x05: return "invalid message or unknown command";
    case 0x06: return "execution failed";
    case 0x07: return "checksum error";
    case 0x08: return "flash write error";
    case 0x09: return "flash read error";
    case 0x0A: return "flash read length error";
    case 0x0B: return "deflate failed";
    case 0x0C: return "deflate Adler-32 mismatch";
    case 0x0D: return "deflate parameter error";
    case 0x0E: return "invalid RAM binary size";
    case 0x0F: return "invalid RAM binary address";
    case 0x64: return "invalid parameter";
    case 0x65: return "invalid format";
    case 0x66: return "description too long";
    case 0x67: return "bad encoding description";
    case 0x69: return "insufficient storage";
    default: return "ROM error";
    }
}

static int reply_failed(struct loader *l, const char *what, uint8_t st0, uint8_t st1,
                        struct err *e)
{
    l->fail = LOADER_FAIL_STATUS;
    l->last_status[0] = st0;
    l->last_status[1] = st1;
    l->last_unsupported = l->stub ? (st0 == 0xC3 || st0 == 0xFF) : (st1 == 0x05);
    return err_set(e, "%s: the %s says %s (status %02x %02x)", what,
                   l->stub ? "stub" : "ROM", loader_error_text(l->stub, st0, st1), st0, st1);
}

int loader_wait_reply(struct loader *l, uint8_t op, unsigned timeout_ms, int resp_len,
                      const uint8_t **payload, size_t *plen, const char *what, struct err *e)
{
    uint64_t deadline = port_now_ms() + timeout_ms;
    l->last_unsupported = false;
    l->fail = LOADER_FAIL_NONE;
    bool damaged = false;      /* a frame that may have been our reply was corrupted */
    for (int frames = 0; frames < 100;) {
        bool bad = false;
        int r = loader_next_frame(l, deadline, &bad, e);
        if (r < 0) {
            l->fail = LOADER_FAIL_PORT;
            return err_prefix(e, "%s: ", what);
        }
        if (r == 0) {
            l->fail = damaged ? LOADER_FAIL_GARBLED : LOADER_FAIL_TIMEOUT;
            return err_set(e, "%s: no %sreply from the chip within %.1f s", what,
                           damaged ? "intact " : "", timeout_ms / 1000.0);
        }
        if (bad || l->frame_len < 8 || l->frame[0] != 0x01) {
            /* noise, a corrupted frame, or not a reply */
            damaged = damaged || bad || (l->frame_len > 0 && l->frame_len < 8);
            continue;
        }
        frames++;
        const uint8_t *body = l->frame + 8;
        size_t blen = l->frame_len - 8;
        size_t size = get_le16(l->frame + 2);
        if (l->frame[1] == op && size > blen) {
            /* Our reply, with bytes lost on the way (replies carry no
             * checksum; the length is what gives a drop away). */
            l->fail = LOADER_FAIL_GARBLED;
            return err_set(e, "%s: damaged reply (%zu of %zu bytes)", what, blen, size);
        }
        if (size < blen)
            blen = size;
        if (l->frame[1] != op) {
            /* A ROM answers an unknown command with failed=1, error=5 and
             * possibly the opcode of the previous command (rom-transcripts). */
            if (!l->stub && blen >= 2 && blen <= 4 && body[0] == 1 && body[1] == 5) {
                drain_errors(l);
                reply_failed(l, what, body[0], body[1], e);
                l->last_unsupported = true;
                return -1;
            }
            continue;          /* a stale reply (e.g. a late SYNC answer) */
        }
        l->last_value = get_le32(l->frame + 4);
        size_t rl;
        if (resp_len >= 0)
            rl = (size_t)resp_len;
        else
            rl = blen >= status_len(l) ? blen - status_len(l) : 0;
        if (blen < rl + 2) {
            /* An error reply carries only the status, without the payload. */
            if (blen >= 2 && body[0] != 0)
                return reply_failed(l, what, body[0], body[1], e);
            l->fail = LOADER_FAIL_GARBLED;
            return err_set(e, "%s: reply too short (%zu bytes, expected %zu)", what, blen,
                           rl + 2);
        }
        l->last_status[0] = body[rl];
        l->last_status[1] = body[rl + 1];
        if (body[rl] != 0)
            return reply_failed(l, what, body[rl], body[rl + 1], e);
        if (payload)
            *payload = body;
        if (plen)
            *plen = rl;
        return 0;
    }
    l->fail = LOADER_FAIL_GARBLED;
    return err_set(e, "%s: no matching reply among 100 frames", what);
}

int loader_command(struct loader *l, uint8_t op, const void *data, size_t len, uint32_t chk,
                   unsigned timeout_ms, int resp_len, const uint8_t **payload, size_t *plen,
                   const char *what, struct err *e)
{
    if (loader_send_command(l, op, data, len, chk, e) != 0) {
        l->fail = LOADER_FAIL_PORT;
        return err_prefix(e, "%s: ", what);
    }
    return loader_wait_reply(l, op, timeout_ms, resp_len, payload, plen, what, e);
}

/* ---- retries (a noisy line) ---- */

bool loader_flash_failed(const struct loader *l)
{
    if (l->fail != LOADER_FAIL_STATUS)
        return false;
    if (l->stub)
        return l->last_status[0] == 0xC4 || l->last_status[0] == 0xC5;
    return l->last_status[1] == 0x08 || l->last_status[1] == 0x09;
}

/* A status saying the request arrived damaged: a bad length or checksum,
 * a malformed message (also what the ROM says to an unknown opcode, so
 * only for commands the chip is known to have). */
static bool status_says_damaged(const struct loader *l)
{
    if (l->stub) {
        switch (l->last_status[0]) {
        case 0xC0: case 0xC1: case 0xC3: case 0xC8: case 0xC9:
            return true;
        default:
            return false;
        }
    }
    switch (l->last_status[1]) {
    case 0x01: case 0x05: case 0x07: case 0x64: case 0x65:
        return true;
    default:
        return false;
    }
}

bool loader_retryable(const struct loader *l, bool status_too)
{
    switch (l->fail) {
    case LOADER_FAIL_TIMEOUT:
    case LOADER_FAIL_GARBLED:
        return true;
    case LOADER_FAIL_STATUS:
        return status_too && status_says_damaged(l);
    default:
        return false;
    }
}

/* Read and drop bytes until none arrived for quiet_ms (at most max_ms). */
static int drain_quiet(struct loader *l, unsigned quiet_ms, unsigned max_ms, struct err *e)
{
    uint64_t end = port_now_ms() + max_ms;
    for (;;) {
        uint64_t now = port_now_ms();
        if (now >= end)
            break;
        int wait = (int)(end - now < quiet_ms ? end - now : quiet_ms);
        int n = l->port->ops->read(l->port, l->rx, sizeof l->rx, wait, e);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
    }
    l->rx_pos = l->rx_len = 0;
    slip_decoder_init(&l->dec, l->frame, sizeof l->frame);
    return 0;
}

int loader_resync(struct loader *l, struct err *e)
{
    /* The lone 0xC0 ends a frame the chip may hold half of (its end was
     * lost); the chip rejects that fragment or takes the empty frame for
     * nothing.  Then late and error replies pass before we send again. */
    static const uint8_t end = SLIP_END;
    if (l->port->ops->write(l->port, &end, 1, e) != 0)
        return -1;
    return drain_quiet(l, 100, 3000, e);
}

int loader_command_retry(struct loader *l, uint8_t op, const void *data, size_t len,
                         uint32_t chk, unsigned timeout_ms, int resp_len, bool status_too,
                         const uint8_t **payload, size_t *plen, const char *what,
                         struct err *e)
{
    for (int attempt = 1;; attempt++) {
        if (loader_command(l, op, data, len, chk, timeout_ms, resp_len, payload, plen, what,
                           e) == 0)
            return 0;
        if (attempt >= LOADER_ATTEMPTS || !loader_retryable(l, status_too))
            return -1;
        loader_note(l, "%s; sending it again (attempt %d of %d)", e->msg, attempt + 1,
                    LOADER_ATTEMPTS);
        struct err re;
        enum loader_fail why = l->fail;
        if (loader_resync(l, &re) != 0) {
            l->fail = LOADER_FAIL_PORT;
            return err_set(e, "%s", re.msg);
        }
        l->fail = why;
        l->resends++;
    }
}

int loader_read_reg(struct loader *l, uint32_t addr, uint32_t *val, struct err *e)
{
    uint8_t d[4] = { (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
                     (uint8_t)(addr >> 24) };
    char what[48];
    snprintf(what, sizeof what, "READ_REG 0x%08x", (unsigned)addr);
    if (loader_command_retry(l, LOADER_READ_REG, d, 4, 0, 3000, 0, true, NULL, NULL, what,
                             e) != 0)
        return -1;
    *val = l->last_value;
    return 0;
}

int loader_write_reg(struct loader *l, uint32_t addr, uint32_t val, uint32_t mask,
                     uint32_t delay_us, struct err *e)
{
    uint8_t d[16];
    put_le32(d, addr);
    put_le32(d + 4, val);
    put_le32(d + 8, mask);
    put_le32(d + 12, delay_us);
    char what[48];
    snprintf(what, sizeof what, "WRITE_REG 0x%08x", (unsigned)addr);
    return loader_command_retry(l, LOADER_WRITE_REG, d, 16, 0, 3000, 0, true, NULL, NULL,
                                what, e);
}

/* ---- reset sequences ---- */

/* "0", "1", "True" or "False" exactly up to `stop` (',' or end). */
static int parse_bit(const char *s, char stop, bool *v)
{
    size_t n = stop ? strcspn(s, ",") : strlen(s);
    if (n == 1 && (s[0] == '0' || s[0] == '1'))
        *v = s[0] == '1';
    else if (n == 4 && strncmp(s, "True", 4) == 0)
        *v = true;
    else if (n == 5 && strncmp(s, "False", 5) == 0)
        *v = false;
    else
        return -1;
    return 0;
}

int loader_reset_parse(const char *seq, struct reset_step *steps, int max, struct err *e)
{
    int n = 0;
    const char *p = seq;
    while (*p) {
        const char *end = strchr(p, '|');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char tok[32];
        if (len == 0 || len >= sizeof tok)
            return err_set(e, "reset sequence '%s': empty or overlong step at position %zu",
                           seq, (size_t)(p - seq));
        memcpy(tok, p, len);
        tok[len] = '\0';
        if (n >= max)
            return err_set(e, "reset sequence '%s': more than %d steps", seq, max);
        struct reset_step *st = &steps[n];
        memset(st, 0, sizeof *st);
        bool ok = true;
        switch (tok[0]) {
        case 'D':
            st->op = RESET_DTR;
            ok = parse_bit(tok + 1, 0, &st->dtr) == 0;
            break;
        case 'R':
            st->op = RESET_RTS;
            ok = parse_bit(tok + 1, 0, &st->rts) == 0;
            break;
        case 'U': {
            st->op = RESET_BOTH;
            const char *comma = strchr(tok, ',');
            ok = comma && parse_bit(tok + 1, ',', &st->dtr) == 0 &&
                 parse_bit(comma + 1, 0, &st->rts) == 0;
            break;
        }
        case 'W': {
            char *endp;
            double secs = strtod(tok + 1, &endp);
            ok = endp != tok + 1 && *endp == '\0' && secs >= 0 && secs <= 60;
            st->op = RESET_WAIT;
            st->ms = ok ? (unsigned)(secs * 1000 + 0.5) : 0;
            break;
        }
        default:
            ok = false;
        }
        if (!ok)
            return err_set(e, "reset sequence '%s': cannot understand step '%s' "
                              "(expected D0/D1, R0/R1, U<dtr>,<rts> or W<seconds>)", seq, tok);
        n++;
        if (!end)
            break;
        p = end + 1;
    }
    if (n == 0)
        return err_set(e, "reset sequence is empty");
    return n;
}

int loader_reset_run(struct port *p, const struct reset_step *steps, int n, bool lines[2],
                     struct err *e)
{
    for (int i = 0; i < n; i++) {
        const struct reset_step *s = &steps[i];
        switch (s->op) {
        case RESET_WAIT:
            port_sleep_ms(s->ms);
            continue;
        case RESET_DTR:
            lines[0] = s->dtr;
            break;
        case RESET_RTS:
            lines[1] = s->rts;
            break;
        case RESET_BOTH:
            lines[0] = s->dtr;
            lines[1] = s->rts;
            break;
        }
        if (p->ops->set_lines(p, lines[0], lines[1], e) != 0)
            return -1;
    }
    return 0;
}
