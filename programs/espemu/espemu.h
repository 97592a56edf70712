/* espemu internals shared by espemu_main.c (command line) and
 * espemu_serve.c (transports, pacing, faults, the event loop). */
#ifndef ESPEMU_H
#define ESPEMU_H

#include <stdbool.h>
#include <stdint.h>

#include "emu.h"
#include "emu_fault.h"

enum espemu_transport { ESPEMU_PTY, ESPEMU_TCP, ESPEMU_RFC2217 };

struct espemu_config {
    struct emu *emu;
    enum espemu_transport transport;
    const char *host;           /* listen address (tcp, rfc2217) */
    unsigned port;              /* 0 = pick a free one */
    const char *pty_link;       /* symlink to the pty, or NULL */
    uint32_t baud_limit;        /* 0 = no pacing */
    bool no_flash_timing;       /* with baud_limit: the flash takes no time */
    struct emu_faults faults;
    bool keep_state;            /* pty/tcp: keep the chip state across sessions */
    bool once;                  /* exit when the first session ends */
    bool verbose;
};

/* Set up the transport, print the "espemu: CHIP on ADDRESS" line and serve
 * until SIGTERM/SIGINT (exit status 0) or an error (1). */
int espemu_serve(struct espemu_config *cfg);

#endif
