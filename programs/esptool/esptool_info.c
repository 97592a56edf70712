/* esptool chip_id, flash_id, read_mac: connect, ask, print. */
#include <stdio.h>
#include <string.h>

#include "esptool.h"
#include "esptool_cmds.h"

static int print_mac(struct esptool *t, struct err *e)
{
    uint8_t m[6];
    if (loader_read_mac(t->l, m, e) != 0)
        return -1;
    if (es_print_mac(t->l, e) != 0)   /* v5's lines (EUI-64 too) */
        return -1;
    snprintf(t->mac, sizeof t->mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
             m[4], m[5]);   /* es_run puts it in the --json document */
    return 0;
}

int es_cmd_read_mac(struct esptool *t, int argc, char **argv, struct err *e)
{
    (void)argc, (void)argv;
    if (es_connect(t, e) != 0)
        return -1;
    return print_mac(t, e);
}

int es_cmd_chip_id(struct esptool *t, int argc, char **argv, struct err *e)
{
    (void)argc, (void)argv;
    if (es_connect(t, e) != 0)
        return -1;
    struct loader *l = t->l;
    if (l->chip->ld->rom_is_8266) {
        /* ESP8266: OTP MAC0 bits 31..24 and MAC1 bits 23..0. */
        uint32_t m0, m1;
        if (loader_read_reg(l, 0x3FF00050, &m0, e) || loader_read_reg(l, 0x3FF00054, &m1, e))
            return -1;
        uint32_t id = (m0 >> 24) | ((m1 & 0xFFFFFF) << 8);
        es_print("Chip ID: 0x%08x", (unsigned)id);
        if (t->json)
            json_int(t->json, "chip_id", id);
        return 0;
    }
    es_warn("%s has no chip ID. Reading MAC address instead.", l->chip->display);
    return print_mac(t, e);
}

int es_cmd_flash_id(struct esptool *t, int argc, char **argv, struct err *e)
{
    (void)argc, (void)argv;
    if (es_connect(t, e) != 0 || es_attach(t, NULL, false, e) != 0)
        return -1;
    uint32_t id = t->l->flash_id;
    es_print("Manufacturer: %02x", (unsigned)(id & 0xFF));
    es_print("Device: %02x%02x", (unsigned)((id >> 8) & 0xFF), (unsigned)((id >> 16) & 0xFF));
    uint32_t size = loader_size_from_id(id);
    if (size >= (1u << 20))
        es_print("Detected flash size: %uMB", (unsigned)(size >> 20));
    else if (size)
        es_print("Detected flash size: %uKB", (unsigned)(size >> 10));
    else
        es_print("Detected flash size: Unknown");
    if (t->json) {
        json_obj(t->json, "flash_id");
        json_int(t->json, "manufacturer", id & 0xFF);
        json_int(t->json, "device", ((id >> 8) & 0xFF) << 8 | ((id >> 16) & 0xFF));
        json_int(t->json, "size", size);
        json_end(t->json);
    }
    return 0;
}
