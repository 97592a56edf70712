/* A port for unit tests of the loader: what the code under test writes goes
 * to the test's own write function (which decides what the "chip" says);
 * what the test queues with fake_port_queue() is what the loader reads. */
#ifndef MPI_FAKE_PORT_H
#define MPI_FAKE_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "port.h"

struct fake_port {
    struct port base;            /* first: a struct port * is a struct fake_port * */
    struct port_ops ops;
    uint8_t out[65536];          /* queued replies not yet read */
    size_t out_len, out_pos;
};

typedef int (*fake_port_write_fn)(struct port *p, const void *buf, size_t len, struct err *e);

/* 115200 baud, no modem lines; closing is the test's business. */
void fake_port_init(struct fake_port *fp, const char *name, fake_port_write_fn write);
void fake_port_queue(struct fake_port *fp, const void *bytes, size_t n);
/* Queue hex text ("c00100..."), as the transcripts write frames. */
void fake_port_queue_hex(struct fake_port *fp, const char *hex);

#endif
