/* Connecting as the global options say (the port, or the one ESP board
 * found by USB id), the chip summary esptool prints on connecting,
 * attaching the flash, and the --after action at the end. */
#include <stdio.h>
#include <string.h>

#include "esptool.h"
#include "esptool_cmds.h"
#include "port_serial.h"

static const char *choose_port(struct esptool *t, struct err *e)
{
    if (t->port) {
        port_expand_name(t->port, t->port_name, sizeof t->port_name);
        return t->port_name;
    }
    struct port_candidate c[16];
    int n = port_find_candidates(c, 16);
    if (n == 0) {
        err_set(e, "no serial port given (-p PORT or ESPTOOL_PORT) and no ESP board found "
                   "by USB id");
        return NULL;
    }
    if (n > 1) {
        char list[1024] = "";
        for (int i = 0; i < n; i++) {
            size_t k = strlen(list);
            if (k + 140 < sizeof list)
                snprintf(list + k, sizeof list - k, "%s%.64s (%.64s)", i ? ", " : "",
                         c[i].path, c[i].what);
        }
        err_set(e, "several serial ports could be the board, choose one with -p: %s", list);
        return NULL;
    }
    es_print("Found serial port %s (%s, %04x:%04x)", c[0].path, c[0].what, c[0].vid, c[0].pid);
    snprintf(t->port_name, sizeof t->port_name, "%s", c[0].path);
    return t->port_name;
}

int es_connect(struct esptool *t, struct err *e)
{
    const char *port = choose_port(t, e);
    if (!port)
        return -1;
    uint16_t vid, pid;
    if (port_usb_ids(port, &vid, &pid) == 0 && port_is_usb_jtag(vid, pid))
        t->lo.usb_jtag = true;
    es_print("Serial port %s", port);
    if (loader_open(&t->l, port, &t->lo, e) != 0) {
        es_progress_done();
        return -1;
    }
    es_progress_done();
    return 0;
}

/* The chip summary, where esptool prints it: after connecting, before the
 * stub.  Each line only if the chip told us. */
void es_on_connected(void *ctx, struct loader *l)
{
    struct esptool *t = ctx;
    es_progress_done();
    snprintf(t->chip_name, sizeof t->chip_name, "%s", l->chip->name);
    if (!t->chip || !strcmp(t->chip, "auto"))
        es_print("Detecting chip type... %s", l->chip->display);
    uint8_t mac[6];
    struct err ie;
    if (!l->secure_download && loader_read_mac(l, mac, &ie) == 0)
        snprintf(t->mac, sizeof t->mac, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
                 mac[3], mac[4], mac[5]);
    es_chip_report(t, l);   /* esptool v5's summary (esptool_report.c) */
}

int es_attach(struct esptool *t, const char *flash_size, bool announce, struct err *e)
{
    uint32_t size = 0;
    bool detect = flash_size && !strcmp(flash_size, "detect");
    if (flash_size && strcmp(flash_size, "keep") != 0 && !detect) {
        if (es_parse_u32(flash_size, &size) != 0)
            return err_set(e, "invalid --flash-size '%s'", flash_size);
    }
    if (announce)
        es_print("Configuring flash size...");
    if (loader_attach(t->l, size, e) != 0)
        return -1;
    if (announce && detect)
        es_print("Auto-detected flash size: %uMB", (unsigned)(t->l->flash_size >> 20));
    else if (announce && !size && !t->l->stub)
        es_print("WARNING: In case of failure, please set a specific --flash_size.");
    return 0;
}

void es_finish(struct esptool *t)
{
    if (!t->l)
        return;
    loader_close(t->l);
    t->l = NULL;
}
