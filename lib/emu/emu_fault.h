/* Fault injection on the emulated serial line (espemu --faults SPEC).
 *
 * SPEC is a comma-separated list of key=value:
 *   drop=P          drop each byte with probability P (0..1)
 *   corrupt=P       flip one random bit of each byte with probability P
 *   dir=rx|tx|both  direction drop/corrupt apply to: rx = host to chip,
 *                   tx = chip to host (default both)
 *   limit=N         stop dropping/corrupting after N injected faults
 *                   (default: no limit), so a rerun can complete
 *   stall=MS@N      when the line has carried N bytes, it stops for MS
 *                   milliseconds (both directions); may be repeated (max 8)
 *   disconnect=N    after N bytes the connection drops: TCP and RFC 2217
 *                   close the socket, a pty goes deaf until the host closes
 *                   and reopens it (once)
 *   flashfail=ADDR  the first flash write touching ADDR fails (once): the
 *                   ROM answers that FLASH_DATA with error 0x08, the stub
 *                   reports 0xC4 in the reply to the next command
 *   flip=OP:BYTE:BIT[:NTH]  one bit flipped in a command on its way to the
 *                   chip: bit BIT of byte BYTE of the data (after the 8-byte
 *                   header) of the NTH (default 1st) command with opcode OP;
 *                   e.g. flip=0x02:2:5 turns the first FLASH_BEGIN's size
 *                   0x40000 into 0x240000.  Deterministic (no seed), not
 *                   counted by limit; may be repeated (max 4).  A byte that
 *                   is, or would become, 0xC0 or 0xDB on the wire (escaped)
 *                   is left alone
 *   seed=S          random seed (default 1); the same seed and the same
 *                   traffic give the same faults
 * Byte counts N count every byte entering the line, both directions.
 * Numbers take 0x prefixes.  Example:
 *   drop=0.001,corrupt=0.001,limit=20,stall=200@50000,disconnect=100000,flashfail=0x10000,seed=1
 */
#ifndef MPI_EMU_FAULT_H
#define MPI_EMU_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define EMU_FAULT_RX 0   /* host -> chip */
#define EMU_FAULT_TX 1   /* chip -> host */
#define EMU_FAULT_MAX_STALLS 8
#define EMU_FAULT_MAX_FLIPS 4

struct emu_faults {
    double drop, corrupt;
    bool dir[2];
    uint64_t limit;             /* 0 = unlimited */
    struct {
        uint64_t at;
        unsigned ms;
        bool done;
    } stall[EMU_FAULT_MAX_STALLS];
    unsigned nstall;
    uint64_t disconnect_at;     /* 0 = never */
    bool disconnect_done;
    bool flashfail;
    uint32_t flashfail_addr;
    struct {
        uint8_t op;
        unsigned byte, bit, nth;
        unsigned seen;          /* commands with this opcode so far */
    } flip[EMU_FAULT_MAX_FLIPS];
    unsigned nflip, flipped;
    struct {                    /* the host's frames as they enter the line */
        unsigned pos;           /* decoded bytes of the frame so far */
        bool esc;
        int flip;               /* the flip that applies to this frame, or -1 */
    } rx;
    uint64_t seed;
    /* running state */
    uint64_t rng[2];
    uint64_t bytes;             /* bytes on the line so far */
    uint64_t dropped, corrupted;
};

struct emu_fault_event {
    unsigned stall_ms;          /* stop the line this long before the rest */
    bool disconnect;            /* drop the connection now */
};

/* Parse SPEC into f (zeroed first).  An empty SPEC means no faults. */
int emu_faults_parse(const char *spec, struct emu_faults *f, struct err *e);
/* Whether any line fault (not flashfail) is configured. */
bool emu_faults_active(const struct emu_faults *f);

/* Pass bytes entering the line in direction `dir` (EMU_FAULT_RX/TX):
 * surviving bytes are written to `out` (room for n), their count to
 * *out_len.  Processing stops after a byte that triggers a stall or the
 * disconnect (reported in *ev); the return value is the number of input
 * bytes consumed, and the caller passes the rest later. */
size_t emu_faults_apply(struct emu_faults *f, int dir, const uint8_t *in, size_t n,
                        uint8_t *out, size_t *out_len, struct emu_fault_event *ev);

#endif
