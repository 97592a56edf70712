/* What serial ports share on every platform: the shorthands users type,
 * the USB bridges ESP boards carry, and the order candidates are shown in
 * (port_serial.h).  Finding them is the platform's (port_serial.c: sysfs;
 * port_win32.c: SetupAPI). */
#include "port_impl.h"
#include "port_serial.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void port_expand_name(const char *name, char *out, size_t cap)
{
    const char *fmt = NULL;
    if (name[0] == 'u') fmt = "/dev/ttyUSB%s";
    else if (name[0] == 'a') fmt = "/dev/ttyACM%s";
    else if (name[0] == 'c') fmt = "COM%s";
    bool digits = name[0] && name[1];
    for (const char *q = name + 1; *name && *q; q++)
        if (!isdigit((unsigned char)*q))
            digits = false;
    if (fmt && digits)
        snprintf(out, cap, fmt, name + 1);
    else
        snprintf(out, cap, "%s", name);
}

int port_is_usb_jtag(uint16_t vid, uint16_t pid)
{
    return vid == 0x303A && pid == 0x1001;
}

const char *port_known_bridge(uint16_t vid, uint16_t pid)
{
    if (vid == 0x303A)
        return pid == 0x1001 ? "Espressif USB-Serial/JTAG" : "Espressif USB";
    if (vid == 0x10C4)
        return "CP210x";
    if (vid == 0x1A86)
        return pid == 0x55D4 ? "CH9102" : "CH340";
    if (vid == 0x0403)
        return "FTDI";
    return NULL;
}

/* Names in natural order: runs of digits compare as numbers, so COM9
 * comes before COM10 and ttyUSB2 before ttyUSB10. */
static int cmp_natural(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            char *ea, *eb;
            unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);
            if (x != y)
                return x < y ? -1 : 1;
            a = ea, b = eb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++, b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int cmp_cand(const void *a, const void *b)
{
    return cmp_natural(((const struct port_candidate *)a)->path,
                       ((const struct port_candidate *)b)->path);
}

void port_sort_candidates(struct port_candidate *c, int n)
{
    if (n > 1)
        qsort(c, (size_t)n, sizeof *c, cmp_cand);
}
