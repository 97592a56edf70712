/* The server side of RFC 2217 (Telnet COM-PORT-OPTION), as espemu
 * --rfc2217 speaks it to pyserial's rfc2217:// and our own client
 * (protocol doc §8).
 *
 * Telnet (RFC 854): IAC (0xFF) starts a command; data 0xFF is sent as
 * IAC IAC.  Options are agreed with WILL/WONT/DO/DONT; we agree to BINARY
 * (0), SUPPRESS-GO-AHEAD (3) and COM-PORT-OPTION (44) and refuse the rest.
 * COM-PORT-OPTION commands come as IAC SB 44 <cmd> <value...> IAC SE and
 * are answered with cmd + 100 and the value in effect:
 *   1 SET-BAUDRATE (u32 big-endian, 0 = ask)   2 DATASIZE   3 PARITY
 *   4 STOPSIZE   5 SET-CONTROL (8/9 DTR on/off, 11/12 RTS on/off, 7/10 ask,
 *   0 ask flow control, 1 none)   10/11 line/modem state masks
 *   12 PURGE-DATA (1 receive buffer, 2 transmit buffer, 3 both). */
#ifndef MPI_EMU_TELNET_H
#define MPI_EMU_TELNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct emu_telnet_cb {
    void (*lines)(void *ctx, bool dtr, bool rts);   /* DTR or RTS changed */
    void (*baud)(void *ctx, uint32_t baud);         /* host set the baud */
    void (*purge)(void *ctx, int what);             /* 1 rx, 2 tx, 3 both */
    void *ctx;
};

struct emu_telnet {
    int state;
    uint8_t cmd;                /* WILL/WONT/DO/DONT awaiting its option */
    uint8_t sb[64];
    size_t sblen;
    bool us[256], them[256];    /* options we / the client have enabled */
    uint32_t baud;
    uint8_t datasize, parity, stopsize;
    bool dtr, rts;
    uint8_t out[1024];          /* replies for the client, in order */
    size_t outlen;
};

void emu_telnet_init(struct emu_telnet *t, uint32_t baud);
/* Queue the server's opening offers (WILL/DO BINARY, WILL/DO SGA). */
void emu_telnet_greet(struct emu_telnet *t);
/* Decode bytes from the client: data bytes go to data_out (room for n),
 * returned as the count; negotiation answers are appended to t->out (the
 * caller sends them and resets t->outlen). */
size_t emu_telnet_rx(struct emu_telnet *t, const uint8_t *in, size_t n, uint8_t *data_out,
                     const struct emu_telnet_cb *cb);
/* Data for the client with 0xFF doubled; out needs room for 2 * n. */
size_t emu_telnet_escape(const uint8_t *in, size_t n, uint8_t *out);

#endif
