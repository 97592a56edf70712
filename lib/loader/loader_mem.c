/* RAM and the commands around it (../shared/docs/esptool-commands.md §3,
 * §5): MEM_END to run loaded code, esptool's `run`, GET_SECURITY_INFO.
 * Loading itself (MEM_BEGIN/MEM_DATA) is loader_mem_write in
 * loader_connect.c, which uploads the stub with it. */
#include <string.h>

#include "loader.h"
#include "loader_impl.h"

int loader_mem_end(struct loader *l, uint32_t entry, struct err *e)
{
    uint8_t d[8];
    put_le32(d, entry == 0);
    put_le32(d + 4, entry);
    if (!l->stub) {
        /* esptool: 0.2 s and any error ignored: the ROM may already be
         * running the code instead of answering */
        struct err ignore;
        if (loader_send_command(l, LOADER_MEM_END, d, 8, 0, e) != 0)
            return -1;
        loader_wait_reply(l, LOADER_MEM_END, LOADER_MEM_END_TIMEOUT, 0, NULL, NULL, "MEM_END",
                          &ignore);
        return 0;
    }
    return loader_command(l, LOADER_MEM_END, d, 8, 0, LOADER_DEFAULT_TIMEOUT, 0, NULL, NULL,
                          "MEM_END", e);
}

int loader_run(struct loader *l, struct err *e)
{
    /* FLASH_BEGIN(erase 0, 0 blocks, block size, offset 0[, not encrypted]) */
    uint8_t d[20] = { 0 };
    size_t blen = (l->stub || !l->chip->ld->rom_begin16) ? 20 : 16;
    put_le32(d + 8, l->stub ? LOADER_STUB_BLOCK : LOADER_ROM_BLOCK);
    if (loader_command(l, LOADER_FLASH_BEGIN, d, blen, 0, LOADER_DEFAULT_TIMEOUT, 0, NULL, NULL,
                       "FLASH_BEGIN", e) != 0)
        return -1;
    uint8_t f[4] = { 1, 0, 0, 0 };           /* run user code: the reply may not come */
    return loader_send_command(l, LOADER_FLASH_END, f, 4, 0, e);
}

static void secinfo_from(const uint8_t *p, size_t n, struct loader_secinfo *out)
{
    memset(out, 0, sizeof *out);
    out->flags = get_le32(p);
    out->flash_crypt_cnt = p[4];
    memcpy(out->key_purposes, p + 5, 7);
    if (n >= 20) {
        out->has_chip_id = true;
        out->chip_id = get_le32(p + 12);
        out->api_version = get_le32(p + 16);
    }
}

int loader_security_info(struct loader *l, struct loader_secinfo *out, struct err *e)
{
    const uint8_t *p;
    size_t n;
    if (loader_command_retry(l, LOADER_GET_SECURITY_INFO, NULL, 0, 0, LOADER_QUICK, -1,
                             false, &p, &n, "GET_SECURITY_INFO", e) != 0)
        return -1;
    if (n < 12)
        return err_set(e, "GET_SECURITY_INFO: %zu bytes of reply, expected 12 or 20", n);
    secinfo_from(p, n, out);
    return 0;
}
