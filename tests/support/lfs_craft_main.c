/* lfs_craft: damage a plain littlefs image (MicroPython's settings) for the
 * end-to-end tests, with lfs_craft.h:
 *   lfs_craft IMG rename PATH HEXNAME    the entry gets raw name bytes
 *   lfs_craft IMG link DIR NAME TARGET   a second way to directory TARGET
 *   lfs_craft IMG loop FILE              the file's block list loops
 *   lfs_craft IMG size FILE BYTES        the file claims BYTES */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "flash_mem.h"
#include "lfs_craft.h"
#include "testutil.h"

static int craft(struct lfs *fs, int argc, char **argv, struct err *e)
{
    const char *cmd = argv[2];
    if (!strcmp(cmd, "rename") && argc == 5) {
        uint8_t name[256];
        size_t n = test_unhex(argv[4], name, sizeof name);
        return craft_rename(fs, argv[3], name, (uint32_t)n, e);
    }
    if (!strcmp(cmd, "link") && argc == 6)
        return craft_link(fs, argv[3], argv[4], argv[5], e);
    if (!strcmp(cmd, "loop") && argc == 4)
        return craft_ctz_loop(fs, argv[3], e);
    if (!strcmp(cmd, "size") && argc == 5)
        return craft_ctz_size(fs, argv[3], (uint32_t)strtoul(argv[4], NULL, 0), e);
    return err_set(e, "usage: lfs_craft IMG rename PATH HEX | link DIR NAME TARGET | loop FILE "
                      "| size FILE BYTES");
}

int main(int argc, char **argv)
{
    struct err e;
    uint8_t *img;
    size_t len;
    struct lfs_config c;
    lfs_config_micropython(&c);
    c.auto_mtime = false;
    struct flash *fl = NULL;
    struct lfs *fs = NULL;
    int rc = argc < 4 ? err_set(&e, "usage: lfs_craft IMG CMD ARGS...") : 0;
    if (!rc)
        rc = file_read_all(argv[1], FILE_MAX_FLASH, &img, &len, &e);
    if (!rc) {
        fl = flash_mem_from(img, (uint32_t)len, &e);
        free(img);
        rc = !fl || lfs_mount(&fs, fl, 0, (uint32_t)len, &c, &e) ? -1 : 0;
    }
    if (!rc)
        rc = craft(fs, argc, argv, &e);
    if (!rc)
        rc = lfs_unmount(fs, &e);
    else
        lfs_free(fs);
    if (!rc)
        rc = file_write_atomic(argv[1], flash_mem_data(fl), len, &e);
    if (fl)
        flash_destroy(fl);
    if (rc)
        fprintf(stderr, "lfs_craft: %s\n", e.msg);
    return rc ? 1 : 0;
}
