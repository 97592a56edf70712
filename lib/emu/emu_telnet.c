/* Server side of Telnet + RFC 2217 COM-PORT-OPTION; see emu_telnet.h. */
#include "emu_telnet.h"

#include <string.h>

enum { IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240 };
enum { OPT_BINARY = 0, OPT_SGA = 3, OPT_COM_PORT = 44 };
enum { ST_DATA, ST_IAC, ST_OPT, ST_SB, ST_SB_IAC };

enum {
    CPO_SIGNATURE = 0, CPO_SET_BAUDRATE = 1, CPO_SET_DATASIZE = 2, CPO_SET_PARITY = 3,
    CPO_SET_STOPSIZE = 4, CPO_SET_CONTROL = 5, CPO_NOTIFY_LINESTATE = 6,
    CPO_NOTIFY_MODEMSTATE = 7, CPO_FLOW_SUSPEND = 8, CPO_FLOW_RESUME = 9,
    CPO_SET_LINESTATE_MASK = 10, CPO_SET_MODEMSTATE_MASK = 11, CPO_PURGE_DATA = 12,
    CPO_SERVER_OFFSET = 100,
};

void emu_telnet_init(struct emu_telnet *t, uint32_t baud)
{
    memset(t, 0, sizeof *t);
    t->baud = baud;
    t->datasize = 8;
    t->parity = 1;      /* NONE */
    t->stopsize = 1;
}

static void out_byte(struct emu_telnet *t, uint8_t b)
{
    if (t->outlen < sizeof t->out)
        t->out[t->outlen++] = b;
}

static void send_opt(struct emu_telnet *t, uint8_t cmd, uint8_t opt)
{
    out_byte(t, IAC);
    out_byte(t, cmd);
    out_byte(t, opt);
}

void emu_telnet_greet(struct emu_telnet *t)
{
    t->us[OPT_BINARY] = t->them[OPT_BINARY] = true;
    t->us[OPT_SGA] = t->them[OPT_SGA] = true;
    send_opt(t, WILL, OPT_BINARY);
    send_opt(t, DO, OPT_BINARY);
    send_opt(t, WILL, OPT_SGA);
    send_opt(t, DO, OPT_SGA);
}

static bool agreeable(uint8_t opt)
{
    return opt == OPT_BINARY || opt == OPT_SGA || opt == OPT_COM_PORT;
}

/* Answer an option request only when it changes our state (RFC 1143's
 * rule against negotiation loops, simplified). */
static void negotiate(struct emu_telnet *t, uint8_t cmd, uint8_t opt)
{
    switch (cmd) {
    case WILL:
        if (!agreeable(opt))
            send_opt(t, DONT, opt);
        else if (!t->them[opt]) {
            t->them[opt] = true;
            send_opt(t, DO, opt);
        }
        break;
    case DO:
        if (!agreeable(opt))
            send_opt(t, WONT, opt);
        else if (!t->us[opt]) {
            t->us[opt] = true;
            send_opt(t, WILL, opt);
        }
        break;
    case WONT:
        if (t->them[opt]) {
            t->them[opt] = false;
            send_opt(t, DONT, opt);
        }
        break;
    case DONT:
        if (t->us[opt]) {
            t->us[opt] = false;
            send_opt(t, WONT, opt);
        }
        break;
    }
}

static void sb_reply(struct emu_telnet *t, uint8_t cmd, const uint8_t *val, size_t n)
{
    out_byte(t, IAC);
    out_byte(t, SB);
    out_byte(t, OPT_COM_PORT);
    out_byte(t, (uint8_t)(cmd + CPO_SERVER_OFFSET));
    for (size_t i = 0; i < n; i++) {
        out_byte(t, val[i]);
        if (val[i] == IAC)
            out_byte(t, IAC);
    }
    out_byte(t, IAC);
    out_byte(t, SE);
}

static uint8_t set_control(struct emu_telnet *t, uint8_t v, const struct emu_telnet_cb *cb)
{
    bool dtr = t->dtr, rts = t->rts;
    switch (v) {
    case 0: return 1;                           /* flow control: none */
    case 4: return 6;                           /* break: off */
    case 7: return t->dtr ? 8 : 9;
    case 10: return t->rts ? 11 : 12;
    case 13: return 14;                         /* inbound flow control: none */
    case 8: dtr = true; break;
    case 9: dtr = false; break;
    case 11: rts = true; break;
    case 12: rts = false; break;
    default: return v;
    }
    if (dtr != t->dtr || rts != t->rts) {
        t->dtr = dtr;
        t->rts = rts;
        if (cb && cb->lines)
            cb->lines(cb->ctx, dtr, rts);
    }
    return v;
}

static void com_port(struct emu_telnet *t, const struct emu_telnet_cb *cb)
{
    if (t->sblen < 2 || t->sb[0] != OPT_COM_PORT)
        return;
    uint8_t cmd = t->sb[1];
    const uint8_t *v = t->sb + 2;
    size_t n = t->sblen - 2;
    uint8_t b;
    switch (cmd) {
    case CPO_SIGNATURE:
        if (n == 0)
            sb_reply(t, cmd, (const uint8_t *)"espemu", 6);
        break;
    case CPO_SET_BAUDRATE: {
        if (n < 4)
            return;
        uint32_t baud = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
        if (baud != 0) {
            t->baud = baud;
            if (cb && cb->baud)
                cb->baud(cb->ctx, baud);
        }
        uint8_t r[4] = { (uint8_t)(t->baud >> 24), (uint8_t)(t->baud >> 16),
                         (uint8_t)(t->baud >> 8), (uint8_t)t->baud };
        sb_reply(t, cmd, r, 4);
        break;
    }
    case CPO_SET_DATASIZE:
    case CPO_SET_PARITY:
    case CPO_SET_STOPSIZE: {
        if (n < 1)
            return;
        uint8_t *field = cmd == CPO_SET_DATASIZE ? &t->datasize
                         : cmd == CPO_SET_PARITY ? &t->parity : &t->stopsize;
        if (v[0] != 0)
            *field = v[0];
        sb_reply(t, cmd, field, 1);
        break;
    }
    case CPO_SET_CONTROL:
        if (n < 1)
            return;
        b = set_control(t, v[0], cb);
        sb_reply(t, cmd, &b, 1);
        break;
    case CPO_SET_LINESTATE_MASK:
    case CPO_SET_MODEMSTATE_MASK:
        if (n >= 1)
            sb_reply(t, cmd, v, 1);
        break;
    case CPO_PURGE_DATA:
        if (n < 1)
            return;
        if (cb && cb->purge)
            cb->purge(cb->ctx, v[0]);
        sb_reply(t, cmd, v, 1);
        break;
    default:                                    /* notifications, flow control */
        break;
    }
}

size_t emu_telnet_rx(struct emu_telnet *t, const uint8_t *in, size_t n, uint8_t *data_out,
                     const struct emu_telnet_cb *cb)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = in[i];
        switch (t->state) {
        case ST_DATA:
            if (b == IAC)
                t->state = ST_IAC;
            else
                data_out[d++] = b;
            break;
        case ST_IAC:
            if (b == IAC) {
                data_out[d++] = IAC;
                t->state = ST_DATA;
            } else if (b == WILL || b == WONT || b == DO || b == DONT) {
                t->cmd = b;
                t->state = ST_OPT;
            } else if (b == SB) {
                t->sblen = 0;
                t->state = ST_SB;
            } else {
                t->state = ST_DATA;             /* NOP, AYT, ...: ignored */
            }
            break;
        case ST_OPT:
            negotiate(t, t->cmd, b);
            t->state = ST_DATA;
            break;
        case ST_SB:
            if (b == IAC)
                t->state = ST_SB_IAC;
            else if (t->sblen < sizeof t->sb)
                t->sb[t->sblen++] = b;
            break;
        case ST_SB_IAC:
            if (b == SE) {
                com_port(t, cb);
                t->state = ST_DATA;
            } else {
                if (t->sblen < sizeof t->sb)
                    t->sb[t->sblen++] = b;      /* IAC IAC inside SB = 0xFF */
                t->state = ST_SB;
            }
            break;
        }
    }
    return d;
}

size_t emu_telnet_escape(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        out[o++] = in[i];
        if (in[i] == IAC)
            out[o++] = IAC;
    }
    return o;
}
