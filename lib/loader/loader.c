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

void loader_say(loader_log_fn fn, void *ctx, const char *fmt, va_list ap)
{
    if (!fn)
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fn(ctx, msg);
}

void loader_note(struct loader *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    loader_say(l->o.log, l->o.ctx, fmt, ap);
    va_end(ap);
}

void loader_resend(struct loader *l, const char *fmt, ...)
{
    if (++l->resends > LOADER_RESEND_NOTES)
        return;
    if (l->resends == LOADER_RESEND_NOTES) {
        loader_note(l, "(more line errors follow: they are not listed one by one)");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    loader_say(l->o.log, l->o.ctx, fmt, ap);
    va_end(ap);
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

/* While a command waits for its reply, a reply is complete once it holds
 * the length its header gives: its closing 0xC0 may have been lost, and
 * the next one comes only with the next reply.  (Not for READ_FLASH data
 * frames, which have no header.) */
static bool reply_complete(const struct loader *l)
{
    const struct slip_decoder *d = &l->dec;
    return l->want_reply && d->state == SLIP_IN_FRAME && d->len >= 8 && l->frame[0] == 0x01 &&
           d->len == 8u + get_le16(l->frame + 2);
}

static int frame_done(struct loader *l, bool *bad)
{
    l->frame_len = l->dec.len;
    if (bad)
        *bad = l->dec.bad_escape || l->dec.overflow;
    if (l->o.trace)
        l->o.trace(l->o.ctx, false, l->frame, l->frame_len);
    return 1;
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
            if (slip_feed(&l->dec, b))
                return frame_done(l, bad);
            if (reply_complete(l)) {
                /* Its 0xC0, when it comes, opens an empty frame. */
                frame_done(l, bad);
                l->dec.state = SLIP_IDLE;
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

/* A command frame.  On a noisy line both delimiters go twice: a chip that
 * misses the opening 0xC0 takes the frame for noise and never answers, and
 * one that misses the closing one waits for it; the empty frames the
 * doubles make are ignored (the lone 0xC0 of loader_resync relies on it
 * too). */
static int send_frame(struct loader *l, const uint8_t *buf, size_t len, struct err *e)
{
    if (!l->noisy)
        return loader_send_raw_frame(l, buf, len, e);
    if (l->o.trace)
        l->o.trace(l->o.ctx, true, buf, len);
    size_t n = slip_encode(buf, len, l->tx + 1);
    l->tx[0] = SLIP_END;
    l->tx[n + 1] = SLIP_END;
    return l->port->ops->write(l->port, l->tx, n + 2, e);
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
    return send_frame(l, p, len + 8, e);
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

/* Whether a chip sends this failure status at all (§1.6): anything else is
 * a reply damaged on the way (replies carry no checksum). */
static bool status_exists(const struct loader *l, uint8_t st0, uint8_t st1)
{
    if (l->stub)
        return st0 >= 0xC0 || (st0 >= 0x32 && st0 <= 0x36) || st0 == 0x63;
    return st0 == 1 && (st1 <= 0x0F || (st1 >= 0x64 && st1 <= 0x69));
}

static int reply_failed(struct loader *l, const char *what, uint8_t st0, uint8_t st1,
                        struct err *e)
{
    if (!status_exists(l, st0, st1)) {
        l->fail = LOADER_FAIL_GARBLED;
        return err_set(e, "%s: damaged reply (status %02x %02x)", what, st0, st1);
    }
    l->fail = LOADER_FAIL_STATUS;
    l->last_status[0] = st0;
    l->last_status[1] = st1;
    l->last_unsupported = l->stub ? (st0 == 0xC3 || st0 == 0xFF) : (st1 == 0x05);
    return err_set(e, "%s: the %s says %s (status %02x %02x)", what,
                   l->stub ? "stub" : "ROM", loader_error_text(l->stub, st0, st1), st0, st1);
}

/* One wait for a reply. */
struct wait {
    uint64_t deadline;
    uint64_t probe_at;          /* when to probe (UINT64_MAX: not) */
    bool probed;                /* the probe went: its answer ends the wait */
    bool damaged;               /* a frame that may have been our reply was damaged */
};

/* A frame that was probably our reply came damaged: wait only a little
 * longer for an intact one. */
static void shorten(const struct loader *l, struct wait *w)
{
    unsigned g = 4 * l->rtt_ms;
    uint64_t soon = port_now_ms() + (g < 20 ? 20 : g);
    if (soon < w->deadline)
        w->deadline = soon;
    w->damaged = true;
}

/* On a noisy line a frame the chip dropped (a damaged escape) or a reply
 * lost whole shows only as silence.  Rather than wait it out, once the
 * reply is due the chip is asked something else (READ_REG): it answers in
 * order, so when that answer comes first, ours is not coming.  Only for
 * the commands a noisy line sends by the thousand, none of which a
 * READ_REG between disturbs. */
static uint64_t probe_time(const struct loader *l, uint8_t op, unsigned timeout_ms)
{
    switch (op) {
    case LOADER_FLASH_DATA: case LOADER_FLASH_DEFL_DATA: case LOADER_MEM_DATA:
    case LOADER_SPI_FLASH_MD5: case LOADER_WRITE_REG: case LOADER_READ_FLASH_SLOW:
        break;
    default:
        return UINT64_MAX;
    }
    if (!l->noisy || timeout_ms > LOADER_DEFAULT_TIMEOUT)
        return UINT64_MAX;
    /* both ways on the wire (10 bits a byte), the latency, some slack */
    double wire = 2e4 * (double)(l->sent_len + 64) / (l->port->baud ? l->port->baud : 115200);
    return port_now_ms() + (uint64_t)wire + 4u * l->rtt_ms + 20u;
}

/* The next frame, sending the probe when it is due: 1 a frame, 0 none in
 * time, -1 the port failed. */
static int next_frame(struct loader *l, struct wait *w, bool *bad, struct err *e)
{
    for (;;) {
        bool due = !w->probed && w->probe_at < w->deadline;
        int r = loader_next_frame(l, due ? w->probe_at : w->deadline, bad, e);
        if (r != 0 || !due)
            return r;
        uint8_t d[4];
        put_le32(d, LOADER_MAGIC_REG);
        if (loader_send_command(l, LOADER_READ_REG, d, 4, 0, e) != 0)
            return -1;
        w->probed = true;
    }
}

/* A reply with another opcode than ours: -1 (e filled) when it ends the
 * wait, else 0. */
static int foreign_reply(struct loader *l, struct wait *w, const uint8_t *body, size_t blen,
                         const char *what, struct err *e)
{
    uint8_t op = l->frame[1];
    /* A ROM answers an unknown command with failed=1, error=5 and possibly
     * the opcode of the previous command (rom-transcripts). */
    if (!l->stub && blen >= 2 && blen <= 4 && body[0] == 1 && body[1] == 5) {
        drain_errors(l);
        reply_failed(l, what, body[0], body[1], e);
        l->last_unsupported = true;
        return -1;
    }
    /* A stub refusing a frame whose header it could not take answers with
     * whatever stood where the opcode belongs: that is our frame, damaged
     * (stale replies were drained before we sent it), and it did not run. */
    if (l->stub && blen == 2 && (body[0] == 0xC0 || body[0] == 0xC3 || body[0] == 0xC6))
        return reply_failed(l, what, 0xC0, 0, e);
    if (w->probed && op == LOADER_READ_REG) {
        /* The chip is in step (no resync needed): only ours is lost. */
        l->fail = LOADER_FAIL_GARBLED;
        return err_set(e, "%s: no reply from the chip (it answered the next command)", what);
    }
    /* A stale reply: a late SYNC answer, or one to the command before.
     * Any other, or on a noisy line, more likely ours, its opcode damaged. */
    if (l->noisy || (op != LOADER_SYNC && op != l->prev_op))
        shorten(l, w);
    return 0;
}

/* Our reply: its status after `resp_len` bytes of payload (-1: all but
 * the status bytes). */
static int own_reply(struct loader *l, const uint8_t *body, size_t blen, int resp_len,
                     const uint8_t **payload, size_t *plen, const char *what, struct err *e)
{
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
        return err_set(e, "%s: reply too short (%zu bytes, expected %zu)", what, blen, rl + 2);
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

static int wait_reply(struct loader *l, uint8_t op, unsigned timeout_ms, int resp_len,
                      const uint8_t **payload, size_t *plen, const char *what, struct err *e)
{
    struct wait w = { port_now_ms() + timeout_ms, probe_time(l, op, timeout_ms), false, false };
    l->last_unsupported = false;
    l->fail = LOADER_FAIL_NONE;
    for (int frames = 0; frames < 100;) {
        bool bad = false;
        int r = next_frame(l, &w, &bad, e);
        if (r < 0) {
            l->fail = LOADER_FAIL_PORT;
            return err_prefix(e, "%s: ", what);
        }
        if (r == 0) {
            l->fail = w.damaged ? LOADER_FAIL_GARBLED : LOADER_FAIL_TIMEOUT;
            return err_set(e, "%s: no %sreply from the chip within %.1f s", what,
                           w.damaged ? "intact " : "", timeout_ms / 1000.0);
        }
        if (bad || l->frame_len < 8 || l->frame[0] != 0x01) {
            /* Noise, a corrupted frame, or not a reply: most likely our
             * reply, damaged, so the real one is not worth a long wait. */
            shorten(l, &w);
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
        if (l->frame[1] == op)
            return own_reply(l, body, blen, resp_len, payload, plen, what, e);
        if (foreign_reply(l, &w, body, blen, what, e) != 0)
            return -1;
    }
    l->fail = LOADER_FAIL_GARBLED;
    return err_set(e, "%s: no matching reply among 100 frames", what);
}

int loader_wait_reply(struct loader *l, uint8_t op, unsigned timeout_ms, int resp_len,
                      const uint8_t **payload, size_t *plen, const char *what, struct err *e)
{
    l->want_reply = true;
    int rc = wait_reply(l, op, timeout_ms, resp_len, payload, plen, what, e);
    l->want_reply = false;
    return rc;
}

/* The round trip of short commands, smoothed: what a reply takes on this
 * line (its latency), for the waits of a noisy line. */
static void note_rtt(struct loader *l, size_t len, uint64_t t0)
{
    if (len > 64)
        return;
    unsigned ms = (unsigned)(port_now_ms() - t0);
    l->rtt_ms = l->rtt_ms ? (3 * l->rtt_ms + ms) / 4 : ms;
}

int loader_command(struct loader *l, uint8_t op, const void *data, size_t len, uint32_t chk,
                   unsigned timeout_ms, int resp_len, const uint8_t **payload, size_t *plen,
                   const char *what, struct err *e)
{
    uint64_t t0 = port_now_ms();
    l->prev_op = l->op;
    l->op = op;
    l->sent_len = len;
    if (loader_send_command(l, op, data, len, chk, e) != 0) {
        l->fail = LOADER_FAIL_PORT;
        return err_prefix(e, "%s: ", what);
    }
    if (loader_wait_reply(l, op, timeout_ms, resp_len, payload, plen, what, e) != 0)
        return -1;
    note_rtt(l, len, t0);
    /* A line that damaged something once is noisy until this many
     * commands in a row got through. */
    if (l->noisy && ++l->clean_run >= LOADER_CLEAN_RUN)
        l->noisy = false;
    return 0;
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

/* Whether a command takes part in a flash write or a RAM load: only those
 * can meet "not in flash mode". */
static bool in_a_load(uint8_t op)
{
    switch (op) {
    case LOADER_FLASH_DATA: case LOADER_FLASH_END: case LOADER_FLASH_DEFL_DATA:
    case LOADER_FLASH_DEFL_END: case LOADER_MEM_DATA: case LOADER_MEM_END:
        return true;
    default:
        return false;
    }
}

/* A status saying the request arrived damaged: a bad length or checksum,
 * a malformed message (also what the ROM says to an unknown opcode, so
 * only for commands the chip is known to have), or a stub's "not in flash
 * mode" to a command that is no part of a load: its opcode was damaged
 * into one that is.  On a noisy line any status to a command that only
 * reads: a status byte can arrive damaged too (C0 with one bit flipped is
 * C4, "SPI operation failed"), and reading again costs nothing. */
static bool status_says_damaged(const struct loader *l)
{
    if (l->noisy && (l->op == LOADER_SPI_FLASH_MD5 || l->op == LOADER_READ_REG ||
                     l->op == LOADER_READ_FLASH_SLOW))
        return true;
    if (l->stub) {
        switch (l->last_status[0]) {
        case 0xC0: case 0xC1: case 0xC3: case 0xC8: case 0xC9:
            return true;
        case 0xC6:
            return !in_a_load(l->op);
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

int loader_recover(struct loader *l, struct err *e)
{
    l->noisy = true;
    l->clean_run = 0;
    enum loader_fail why = l->fail;
    int rc;
    if (why == LOADER_FAIL_TIMEOUT) {
        rc = loader_resync(l, e);
    } else {
        /* The chip answered: it is done with our frame.  Only the pieces
         * of a reply split by a damaged byte may still be on their way. */
        unsigned quiet = l->rtt_ms;
        rc = drain_quiet(l, quiet < 1 ? 1 : quiet > 100 ? 100 : quiet, 1000, e);
    }
    l->fail = rc ? LOADER_FAIL_PORT : why;
    return rc;
}

bool loader_again(struct loader *l, struct retry *r, unsigned timeout_ms)
{
    if (l->fail == LOADER_FAIL_PORT)
        return false;
    r->tries++;
    r->silent_ms = l->fail == LOADER_FAIL_TIMEOUT ? r->silent_ms + timeout_ms : 0;
    return r->tries < LOADER_TRIES && r->silent_ms < LOADER_SILENT_MS;
}

unsigned loader_timeout(const struct loader *l, unsigned secs_per_mb, uint32_t work,
                        size_t wire)
{
    unsigned clean = loader_timeout_per_mb(secs_per_mb, work);
    if (!l->noisy)
        return clean;
    /* 10 bits a byte on the wire, both ways, and the latency. */
    double ms = LOADER_NOISY_TIMEOUT + 4.0 * l->rtt_ms + (double)secs_per_mb * work / 1e3 +
                2e4 * (double)wire / (l->port->baud ? l->port->baud : 115200);
    return ms < clean ? (unsigned)ms : clean;
}

int loader_command_retry(struct loader *l, uint8_t op, const void *data, size_t len,
                         uint32_t chk, unsigned timeout_ms, int resp_len, bool status_too,
                         const uint8_t **payload, size_t *plen, const char *what,
                         struct err *e)
{
    struct retry r = { 0, 0 };
    for (;;) {
        unsigned t = timeout_ms != LOADER_QUICK ? timeout_ms
                     : l->noisy ? loader_timeout(l, 0, 0, len + 64)
                                : LOADER_DEFAULT_TIMEOUT;
        if (loader_command(l, op, data, len, chk, t, resp_len, payload, plen, what, e) == 0)
            return 0;
        if (!loader_retryable(l, status_too) || !loader_again(l, &r, t))
            return -1;
        loader_resend(l, "%s; sending it again", e->msg);
        struct err re;
        if (loader_recover(l, &re) != 0)
            return err_set(e, "%s", re.msg);
    }
}

/* ---- data blocks on a noisy line ---- */

/* What a block costs besides its data: command and data headers, SLIP,
 * the reply (bytes). */
#define BLOCK_COST 40.0

uint32_t loader_block(const struct loader *l, uint32_t max)
{
    /* One damaged block says little about the line. */
    if (l->line_bad < 1.5)
        return max;
    /* Damaged blocks per byte sent estimate p, the chance a byte is hit;
     * a block of b bytes gets through (1-p)^(b+cost) of the time, and
     * b/(b+cost) of what goes through is data: most data per byte on the
     * wire near b*b*p = cost. */
    double p = l->line_bad / l->line_bytes;
    uint32_t b = 1;
    while (b * 2 <= max)
        b *= 2;
    while (b > LOADER_MIN_BLOCK && (double)b * b * p > BLOCK_COST)
        b /= 2;
    return b;
}

void loader_block_sent(struct loader *l, uint32_t n, bool ok)
{
    /* Forget slowly: the last ~50 blocks count. */
    l->line_bytes = l->line_bytes * 0.98 + n;
    l->line_bad = l->line_bad * 0.98 + (ok ? 0 : 1);
}

/* A register value arrives without a checksum: on a line that damages
 * bytes, believe it when two reads agree. */
int loader_read_reg(struct loader *l, uint32_t addr, uint32_t *val, struct err *e)
{
    uint8_t d[4] = { (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
                     (uint8_t)(addr >> 24) };
    char what[48];
    snprintf(what, sizeof what, "READ_REG 0x%08x", (unsigned)addr);
    uint32_t prev = 0;
    for (int i = 0; i < LOADER_TRIES; i++) {
        if (loader_command_retry(l, LOADER_READ_REG, d, 4, 0, LOADER_QUICK, 0, true, NULL, NULL, what,
                                 e) != 0)
            return -1;
        if (!l->noisy || (i > 0 && l->last_value == prev)) {
            *val = l->last_value;
            return 0;
        }
        prev = l->last_value;
    }
    return err_set(e, "%s: no two replies agree on the value", what);
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
    return loader_command_retry(l, LOADER_WRITE_REG, d, 16, 0, LOADER_QUICK, 0, true, NULL, NULL,
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

void loader_progress(struct loader *l, const char *what, uint32_t addr, uint64_t done,
                     uint64_t total)
{
    if (l->o.progress)
        l->o.progress(l->o.ctx, what, addr, done, total);
}
