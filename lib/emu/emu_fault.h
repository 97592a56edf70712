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
