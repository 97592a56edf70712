/* Serial port names: the shorthands users type and automatic discovery of
 * ESP boards by USB VID:PID (Linux sysfs). */
#ifndef MPI_PORT_SERIAL_H
#define MPI_PORT_SERIAL_H

#include <stddef.h>
#include <stdint.h>

/* Expand a shorthand as mp-image-tool-esp32 does: "u0" -> "/dev/ttyUSB0",
 * "a1" -> "/dev/ttyACM1", "c3" -> "COM3".  Other names are copied. */
void port_expand_name(const char *name, char *out, size_t cap);

struct port_candidate {
    char path[64];            /* "/dev/ttyUSB0" */
    uint16_t vid, pid;
    char what[64];            /* "Espressif USB-Serial/JTAG", "CP210x", ... */
};

/* Serial devices whose USB VID:PID is a known ESP bridge (Espressif
 * USB-Serial/JTAG 303a:1001 and USB-OTG, CP210x, CH340/CH9102, FTDI).
 * Returns how many were stored (at most `max`), sorted by path. */
int port_find_candidates(struct port_candidate *out, int max);

/* True when the VID:PID is Espressif's USB-Serial/JTAG (needs its own
 * reset sequence). */
int port_is_usb_jtag(uint16_t vid, uint16_t pid);

/* USB VID:PID of a serial device node via sysfs; 0, or -1 when it is not
 * a USB device (pty, socket, built-in UART). */
int port_usb_ids(const char *path, uint16_t *vid, uint16_t *pid);

#endif
