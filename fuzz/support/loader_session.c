#include "loader_session.h"

#include "loader.h"

static const char *chip_choice(uint8_t n)
{
    const struct chip *const *all = chip_all();
    size_t count = 0;
    while (all[count])
        count++;
    return n ? all[(n - 1) % count]->name : NULL;
}

static int info(struct loader *l, struct err *e)
{
    uint8_t mac[6];
    char text[256];
    if (loader_read_mac(l, mac, e) || loader_chip_description(l, text, sizeof text, e) ||
        loader_chip_features(l, text, sizeof text, e))
        return -1;
    return loader_crystal_mhz(l, e) < 0 ? -1 : 0;
}

static int write_erase(struct loader *l, struct err *e)
{
    static uint8_t data[0x1000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i % 251);
    if (loader_write(l, 0x20000, data, sizeof data, true, e))
        return -1;
    return loader_erase_region(l, 0x21000, 0x1000, e);
}

static int steps(struct loader *l, uint8_t flags, struct err *e)
{
    uint8_t buf[0x400], md5[16];
    if (loader_attach(l, 0, e) || ((flags & LS_INFO) && info(l, e)))
        return -1;
    if (loader_read(l, 0x1000, buf, sizeof buf, e) || loader_md5(l, 0x1000, 0x1000, md5, e))
        return -1;
    if ((flags & LS_WRITE) && write_erase(l, e))
        return -1;
    return (flags & LS_ERASE_ALL) ? loader_erase_all(l, e) : 0;
}

int loader_session(struct port *p, const uint8_t header[LS_HEADER], struct err *e)
{
    uint8_t flags = header[0];
    struct loader_opts o;
    loader_opts_init(&o);
    o.chip = chip_choice(header[1]);
    o.no_stub = (flags & LS_NO_STUB) != 0;
    o.after = (enum loader_after)((flags >> LS_AFTER_SHIFT) & 3);
    o.baud = (flags & LS_BAUD) ? 460800 : 115200;
    o.connect_attempts = 2;
    p->has_lines = (flags & LS_LINES) != 0;
    struct loader *l;
    if (loader_open_port(&l, p, &o, e))
        return -1;
    int rc = steps(l, flags, e);
    loader_close(l);
    return rc;
}
