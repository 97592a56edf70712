/* --ota-update FILE: on a device or a firmware file alike. */
#include <stdlib.h>

#include "fileio.h"
#include "mpi.h"
#include "mpi_json.h"
#include "mpi_run.h"
#include "op_ota.h"
#include "out.h"

int mpi_ota_update(struct mpi_run *run, struct err *e)
{
    uint8_t *buf;
    size_t len;
    char slot[PTABLE_NAME_MAX + 1];
    if (file_read_all(run->opts.ota_update, FILE_MAX_FLASH, &buf, &len, e))
        return -1;
    out_action("Writing '%s' to the next OTA partition...", run->opts.ota_update);
    int rc = op_ota_update(&run->fw, buf, len, !run->opts.no_rollback, slot, e);
    free(buf);
    if (rc)
        return err_prefix(e, "--ota-update %s: ", run->opts.ota_update);
    out_info("OTA update written to '%s'; it boots next%s.", slot,
             run->opts.no_rollback ? "" : " (and must confirm itself, or the bootloader rolls back)");
    if (!run->is_device)
        mpi_name_fragment(run, "-ota=%s", slot);
    struct part p;
    struct err ignore;
    if (firmware_find_part(&run->fw, slot, &p, &ignore) == 0)
        mpi_json_op("ota-update", slot, p.offset, (uint32_t)len, run->opts.ota_update);
    return 0;
}
