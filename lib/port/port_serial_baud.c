/* Any baud rate on Linux: termios2 with BOTHER takes the rate as an integer,
 * so 1500000-3000000 and non-standard rates work without the Bxxx table.
 * This file must not include <termios.h>: <asm/termbits.h> redefines it. */
#include <asm/termbits.h>
#include <sys/ioctl.h>
#include <stdint.h>

#include "port_impl.h"

int port_serial_set_baud_any(int fd, uint32_t baud)
{
    struct termios2 t;
    if (ioctl(fd, TCGETS2, &t) != 0)
        return -1;
    t.c_cflag &= ~(tcflag_t)CBAUD;
    t.c_cflag |= BOTHER;
    t.c_ispeed = baud;
    t.c_ospeed = baud;
    return ioctl(fd, TCSETS2, &t);
}
