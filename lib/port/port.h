/* The port interface: the only way the loader (and the emulator, from the
 * other side) reaches a byte stream.  Implemented once per transport:
 * a serial device (termios), socket:// (raw TCP), rfc2217:// (Telnet
 * COM-PORT-OPTION), and in-process pipes for unit tests.
 * Nothing above this interface touches the OS. */
#ifndef MPI_PORT_H
#define MPI_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct port;

struct port_ops {
    /* Read up to `len` bytes, waiting at most timeout_ms for the first one.
     * Returns the count (0 on timeout) or -1 on error (e filled). */
    int (*read)(struct port *p, void *buf, size_t len, int timeout_ms, struct err *e);
    /* Write all `len` bytes; 0 or -1. */
    int (*write)(struct port *p, const void *buf, size_t len, struct err *e);
    int (*set_baud)(struct port *p, uint32_t baud, struct err *e);
    /* Set DTR and RTS (true = asserted).  Ports without modem lines return 0
     * and leave has_lines false. */
    int (*set_lines)(struct port *p, bool dtr, bool rts, struct err *e);
    void (*close)(struct port *p);
};

struct port {
    const struct port_ops *ops;
    char name[256];
    bool has_lines;      /* DTR/RTS reach a reset circuit */
    uint32_t baud;
};

/* Open by name: "/dev/ttyUSB0", "socket://host:port", "rfc2217://host:port". */
struct port *port_open(const char *name, uint32_t baud, struct err *e);
void port_close(struct port *p);

/* The clock, also behind the interface so tests can run without sleeping. */
void port_sleep_ms(unsigned ms);
uint64_t port_now_ms(void);

#endif
