/* port_open: the one place that maps a port name to its transport
 * (port_serial.c, port_tcp.c, port_rfc2217.c). */
#include "port.h"
#include "port_impl.h"

#include <string.h>

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

struct port *port_open(const char *name, uint32_t baud, struct err *e)
{
    if (!name || !*name) {
        err_set(e, "no port given");
        return NULL;
    }
    if (has_prefix(name, "socket://"))
        return port_tcp_open(name + strlen("socket://"), baud, e);
    if (has_prefix(name, "rfc2217://"))
        return port_rfc2217_open(name + strlen("rfc2217://"), baud, e);
    if (strstr(name, "://")) {
        err_set(e, "%s: unknown port scheme (use a device path, socket://HOST:PORT "
                   "or rfc2217://HOST:PORT)", name);
        return NULL;
    }
    return port_serial_open(name, baud, e);
}

void port_close(struct port *p)
{
    if (p && p->ops->close)
        p->ops->close(p);
}
