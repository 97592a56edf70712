/* One session of the loader with a chip, as fuzz_loader runs it on a port
 * that plays back fuzz bytes as the chip's replies, and as make_corpus runs
 * it against the emulated chip to record those replies as seeds: both call
 * this one function, so a recorded seed replays the same exchange.
 *
 * The input of fuzz_loader (and the seeds):
 *   byte 0   flags (LS_*)
 *   byte 1   chip: 0 = detect, n = the n-th chip of chip_all() (--chip)
 *   then     the chip's replies, one part per event (chunks.h): part 0 is
 *            there from the start (the boot banner), part k arrives when the
 *            loader writes a request or moves a modem line the k-th time. */
#ifndef FUZZ_LOADER_SESSION_H
#define FUZZ_LOADER_SESSION_H

#include <stdint.h>

#include "err.h"
#include "port.h"

enum {
    LS_NO_STUB = 0x01,      /* ROM only */
    LS_LINES = 0x02,        /* the port has DTR/RTS: reset sequences run */
    LS_AFTER_SHIFT = 2,     /* 2 bits: enum loader_after */
    LS_BAUD = 0x10,         /* ask for 460800: CHANGE_BAUDRATE */
    LS_INFO = 0x20,         /* MAC, chip description, features, crystal */
    LS_WRITE = 0x40,        /* write (deflated with a stub) and erase a region */
    LS_ERASE_ALL = 0x80,    /* erase the whole chip */
};
#define LS_HEADER 2

/* Connect through `p` (the loader owns it from here), attach the flash,
 * read and MD5 a region, and what the flags add; then the --after action.
 * 0 when every step succeeded. */
int loader_session(struct port *p, const uint8_t header[LS_HEADER], struct err *e);

#endif
