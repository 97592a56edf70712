/* What esptool v5 prints about the chip once connected (__init__.py
 * "Connected to ... on ...:", cmds.py read_mac, chip_id): labels in 20
 * columns, the MAC as an EUI-64 with its base MAC and extension on the
 * chips that have one, the USB mode from the port's USB ids. */
#include <stdio.h>
#include <string.h>

#include "esptool_cmds.h"
#include "port_serial.h"

static void line(const char *label, const char *value)
{
    es_print("%-20s%s", label, value);
}

static void hex_join(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 3 * i, "%02x%s", b[i], i + 1 < n ? ":" : "");
}

int es_print_mac(struct loader *l, struct err *e)
{
    uint8_t mac[6], ext[2];
    char text[32];
    if (loader_read_mac(l, mac, e) != 0)
        return -1;
    int r = loader_mac_ext(l, ext, e);
    if (r < 0)
        return -1;
    if (r == 1) {
        hex_join(mac, 6, text);
        line("MAC:", text);
        return 0;
    }
    uint8_t eui[8] = { mac[0], mac[1], mac[2], ext[0], ext[1], mac[3], mac[4], mac[5] };
    hex_join(eui, 8, text);
    line("MAC:", text);
    hex_join(mac, 6, text);
    line("BASE MAC:", text);
    hex_join(ext, 2, text);
    line("MAC_EXT:", text);
    return 0;
}

/* v5 asks the host's USB ids: Espressif's USB-Serial/JTAG, or the chip's
 * own USB-OTG (PID = its image chip id). */
static const char *usb_mode(const struct esptool *t, const struct chip *c)
{
    uint16_t vid, pid;
    if (port_usb_ids(t->port_name, &vid, &pid) != 0 || vid != 0x303A)
        return NULL;
    if (pid == 0x1001)
        return "USB-Serial/JTAG";
    return pid == c->image_id ? "USB-OTG" : NULL;
}

void es_chip_report(struct esptool *t, struct loader *l)
{
    char text[200];
    struct err ie;
    es_print("Connected to %s on %s:", l->chip->display, t->port_name);
    if (l->secure_download) {
        snprintf(text, sizeof text, "%s in Secure Download Mode", l->chip->display);
        line("Chip type:", text);
        es_print("%s", "");
        return;
    }
    if (loader_chip_description(l, text, sizeof text, &ie) != 0)
        snprintf(text, sizeof text, "%s", l->chip->display);
    line("Chip type:", text);
    if (loader_chip_features(l, text, sizeof text, &ie) == 0)
        line("Features:", text);
    int xtal = loader_crystal_mhz(l, &ie);
    if (xtal > 0) {
        snprintf(text, sizeof text, "%dMHz", xtal);
        line("Crystal frequency:", text);
    }
    const char *usb = usb_mode(t, l->chip);
    if (usb)
        line("USB mode:", usb);
    es_print_mac(l, &ie);
    es_print("%s", "");
}
