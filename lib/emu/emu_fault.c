/* Fault injection on the emulated serial line; SPEC syntax in emu_fault.h. */
#include "emu_fault.h"
#include "slip.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64: small, seedable, and the same on every platform. */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rand01(uint64_t *s)
{
    return (double)(next_rand(s) >> 11) * (1.0 / 9007199254740992.0);
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno || *end)
        return -1;
    *v = x;
    return 0;
}

static int parse_prob(const char *s, double *p)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || *end || end == s || !(x >= 0.0 && x <= 1.0))
        return -1;
    *p = x;
    return 0;
}

/* OP:BYTE:BIT[:NTH] */
static int parse_flip(struct emu_faults *f, const char *val)
{
    uint64_t v[4] = { 0, 0, 0, 1 };
    char buf[64];
    if (f->nflip == EMU_FAULT_MAX_FLIPS || strlen(val) >= sizeof buf)
        return -1;
    strcpy(buf, val);
    char *save = NULL;
    int n = 0;
    for (char *t = strtok_r(buf, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
        if (n == 4 || parse_u64(t, &v[n++]))
            return -1;
    }
    if (n < 3 || v[0] > 0xFF || v[1] > 0xFFFF || v[2] > 7 || v[3] == 0 || v[3] > 1000000)
        return -1;
    f->flip[f->nflip].op = (uint8_t)v[0];
    f->flip[f->nflip].byte = (unsigned)v[1];
    f->flip[f->nflip].bit = (unsigned)v[2];
    f->flip[f->nflip].nth = (unsigned)v[3];
    f->nflip++;
    return 0;
}

static int parse_one(struct emu_faults *f, const char *key, const char *val, struct err *e)
{
    uint64_t v;
    if (!strcmp(key, "drop") || !strcmp(key, "corrupt")) {
        if (parse_prob(val, !strcmp(key, "drop") ? &f->drop : &f->corrupt))
            return err_set(e, "--faults: %s=%s: expected a probability 0..1", key, val);
    } else if (!strcmp(key, "dir")) {
        if (!strcmp(val, "rx"))
            f->dir[EMU_FAULT_RX] = true, f->dir[EMU_FAULT_TX] = false;
        else if (!strcmp(val, "tx"))
            f->dir[EMU_FAULT_RX] = false, f->dir[EMU_FAULT_TX] = true;
        else if (!strcmp(val, "both"))
            f->dir[EMU_FAULT_RX] = f->dir[EMU_FAULT_TX] = true;
        else
            return err_set(e, "--faults: dir=%s: expected rx, tx or both", val);
    } else if (!strcmp(key, "limit")) {
        if (parse_u64(val, &f->limit) || f->limit == 0)
            return err_set(e, "--faults: limit=%s: expected a count > 0", val);
    } else if (!strcmp(key, "stall")) {
        char ms[32];
        const char *at = strchr(val, '@');
        if (!at || (size_t)(at - val) >= sizeof ms)
            return err_set(e, "--faults: stall=%s: expected MS@BYTES", val);
        memcpy(ms, val, (size_t)(at - val));
        ms[at - val] = 0;
        uint64_t m;
        if (parse_u64(ms, &m) || m > 600000 || parse_u64(at + 1, &v))
            return err_set(e, "--faults: stall=%s: expected MS@BYTES", val);
        if (f->nstall == EMU_FAULT_MAX_STALLS)
            return err_set(e, "--faults: at most %d stalls", EMU_FAULT_MAX_STALLS);
        f->stall[f->nstall].ms = (unsigned)m;
        f->stall[f->nstall].at = v;
        f->nstall++;
    } else if (!strcmp(key, "disconnect")) {
        if (parse_u64(val, &f->disconnect_at) || f->disconnect_at == 0)
            return err_set(e, "--faults: disconnect=%s: expected a byte count > 0", val);
    } else if (!strcmp(key, "flashfail")) {
        if (parse_u64(val, &v) || v > 0xFFFFFFFFu)
            return err_set(e, "--faults: flashfail=%s: expected a flash address", val);
        f->flashfail = true;
        f->flashfail_addr = (uint32_t)v;
    } else if (!strcmp(key, "flip")) {
        if (parse_flip(f, val) != 0)
            return err_set(e, "--faults: flip=%s: expected OP:BYTE:BIT[:NTH] (at most %d)", val,
                           EMU_FAULT_MAX_FLIPS);
    } else if (!strcmp(key, "seed")) {
        if (parse_u64(val, &f->seed))
            return err_set(e, "--faults: seed=%s: expected a number", val);
    } else {
        return err_set(e, "--faults: unknown key '%s' (drop, corrupt, dir, limit, stall, "
                       "disconnect, flashfail, flip, seed)", key);
    }
    return 0;
}

int emu_faults_parse(const char *spec, struct emu_faults *f, struct err *e)
{
    memset(f, 0, sizeof *f);
    f->dir[EMU_FAULT_RX] = f->dir[EMU_FAULT_TX] = true;
    f->seed = 1;
    char buf[1024];
    if (strlen(spec) >= sizeof buf)
        return err_set(e, "--faults: specification too long");
    strcpy(buf, spec);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq)
            return err_set(e, "--faults: '%s': expected key=value", item);
        *eq = 0;
        if (parse_one(f, item, eq + 1, e) != 0)
            return -1;
    }
    f->rx.flip = -1;
    f->rng[EMU_FAULT_RX] = f->seed * 2 + 0x1234;
    f->rng[EMU_FAULT_TX] = f->seed * 2 + 0x5678;
    return 0;
}

bool emu_faults_active(const struct emu_faults *f)
{
    return f->drop > 0 || f->corrupt > 0 || f->nstall > 0 || f->disconnect_at > 0 ||
           f->nflip > 0;
}

/* Follow the host's SLIP frames byte by byte as they enter the line, and
 * flip the bit a flip= asks for when its byte comes.  Returns the byte to
 * send on. */
static uint8_t flip_rx(struct emu_faults *f, uint8_t b)
{
    if (b == SLIP_END) {
        f->rx.pos = 0;
        f->rx.esc = false;
        f->rx.flip = -1;
        return b;
    }
    if (b == SLIP_ESC) {
        f->rx.esc = true;
        return b;
    }
    bool esc = f->rx.esc;
    uint8_t v = esc ? (b == SLIP_ESC_END ? SLIP_END : b == SLIP_ESC_ESC ? SLIP_ESC : b) : b;
    unsigned pos = f->rx.pos++;
    f->rx.esc = false;
    if (pos == 1) {                                     /* the opcode */
        for (unsigned i = 0; i < f->nflip; i++)
            if (f->flip[i].op == v && ++f->flip[i].seen == f->flip[i].nth)
                f->rx.flip = (int)i;
        return b;
    }
    if (f->rx.flip < 0 || pos != 8 + f->flip[f->rx.flip].byte)
        return b;
    uint8_t nv = (uint8_t)(v ^ (1u << f->flip[f->rx.flip].bit));
    f->rx.flip = -1;
    if (esc || nv == SLIP_END || nv == SLIP_ESC)
        return b;               /* it would take another byte on the wire */
    f->flipped++;
    return nv;
}

size_t emu_faults_apply(struct emu_faults *f, int dir, const uint8_t *in, size_t n,
                        uint8_t *out, size_t *out_len, struct emu_fault_event *ev)
{
    size_t o = 0, i = 0;
    ev->stall_ms = 0;
    ev->disconnect = false;
    uint64_t *rng = &f->rng[dir ? 1 : 0];
    bool rate = f->dir[dir ? 1 : 0] && (f->drop > 0 || f->corrupt > 0);
    while (i < n) {
        uint8_t b = in[i++];
        f->bytes++;
        if (dir == EMU_FAULT_RX && f->nflip)
            b = flip_rx(f, b);
        bool keep = true;
        if (rate && (!f->limit || f->dropped + f->corrupted < f->limit)) {
            /* Two draws per byte always, so the sequence of decisions does
             * not depend on which faults are enabled. */
            double pd = rand01(rng), pc = rand01(rng);
            unsigned bit = (unsigned)(next_rand(rng) & 7);
            if (pd < f->drop) {
                keep = false;
                f->dropped++;
            } else if (pc < f->corrupt) {
                b ^= (uint8_t)(1u << bit);
                f->corrupted++;
            }
        }
        if (keep)
            out[o++] = b;
        if (f->disconnect_at && !f->disconnect_done && f->bytes >= f->disconnect_at) {
            f->disconnect_done = true;
            ev->disconnect = true;
            break;
        }
        bool stalled = false;
        for (unsigned s = 0; s < f->nstall; s++) {
            if (!f->stall[s].done && f->bytes >= f->stall[s].at) {
                f->stall[s].done = true;
                ev->stall_ms += f->stall[s].ms;
                stalled = true;
            }
        }
        if (stalled)
            break;
    }
    *out_len = o;
    return i;
}
