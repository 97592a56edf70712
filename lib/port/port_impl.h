/* Internals shared by the port implementations (port*.c).  Not for the
 * loader or the programs: they use port.h only. */
#ifndef MPI_PORT_IMPL_H
#define MPI_PORT_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "port.h"

struct port *port_serial_open(const char *path, uint32_t baud, struct err *e);
struct port *port_tcp_open(const char *hostport, uint32_t baud, struct err *e);
struct port *port_rfc2217_open(const char *hostport, uint32_t baud, struct err *e);
/* RFC 2217 over a stream that is connected already (port_rfc2217_open after
 * its connect; the fuzz target over a socketpair): negotiate, set the line.
 * Owns fd from here, closing it on failure. */
struct port *port_rfc2217_on_fd(int fd, const char *name, uint32_t baud, struct err *e);

/* Linux termios2/BOTHER: any integer baud (port_serial_baud.c, which cannot
 * include <termios.h> because <asm/termbits.h> redefines its types). */
int port_serial_set_baud_any(int fd, uint32_t baud);

struct port_candidate;
/* The kind of USB serial bridge a VID:PID is on an ESP board ("CP210x"),
 * or NULL for one that is not (port_serial_names.c). */
const char *port_known_bridge(uint16_t vid, uint16_t pid);
/* Sort found ports by name in natural order (COM9 before COM10). */
void port_sort_candidates(struct port_candidate *c, int n);

/* Reading and writing with a timeout (port_io.c): a POSIX serial device's
 * descriptor, or a socket. */
int port_fd_read(int fd, void *buf, size_t len, int timeout_ms, const char *name,
                 struct err *e);
int port_fd_write(int fd, const void *buf, size_t len, const char *name, struct err *e);
/* Connect a TCP socket to "host:port" (IPv4/IPv6, TCP_NODELAY, non-blocking);
 * fd or -1.  Gives up after PORT_TCP_CONNECT_MS (a server that never
 * accepts); the _ms form takes the limit (tests). */
#define PORT_TCP_CONNECT_MS 5000
int port_tcp_connect(const char *hostport, struct err *e);
int port_tcp_connect_ms(const char *hostport, int timeout_ms, struct err *e);
/* port_fd_read for a TCP socket: ACKs what it read without delay. */
int port_tcp_read(int fd, void *buf, size_t len, int timeout_ms, const char *name,
                  struct err *e);

#endif
