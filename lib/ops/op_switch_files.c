/* --ota-switch on the host side: the MicroPython firmware file, the backup
 * of what a switch changes, and the artifacts of a plan (step 4). */
#include "op_switch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "flash_mem.h"
#include "op_app.h"

int op_switch_app_file(const char *path, uint8_t **app, size_t *len, struct err *e)
{
    struct firmware fw;
    struct image_info img;
    struct part which;
    if (firmware_open_file(&fw, path, e))
        return -1;
    int rc;
    if (fw.kind == FW_APP_IMAGE) {
        rc = firmware_read_image(fw.flash, 0, fw.flash->size, app, &img, e);
        *len = rc ? 0 : img.total_len;
    } else if (fw.kind == FW_IMAGE || fw.kind == FW_DUMP) {
        rc = op_app_extract(&fw, app, len, &which, e);
    } else {
        rc = err_set(e, "a %s holds no app", firmware_kind_name(fw.kind));
    }
    firmware_close(&fw);
    return rc ? err_prefix(e, "%s: ", path) : 0;
}

/* ---- a fleet's table and bootloader as the source ---------------------- */

static int read_bootloader(const char *path, uint8_t **buf, size_t *len,
                           struct image_info *img, struct err *e)
{
    if (file_read_all(path, PTABLE_OFFSET, buf, len, e))
        return -1;
    int rc = image_parse(*buf, *len, img, e);
    if (rc == 0)
        image_verify(*buf, img);
    if (rc == 0 && img->has_app_desc)
        rc = err_set(e, "an app image, not a bootloader");
    if (rc == 0 && !image_size_from_code(img->flash_size_code))
        rc = err_set(e, "unknown flash size code %u in the header", img->flash_size_code);
    if (rc) {
        free(*buf);
        return err_prefix(e, "%s: ", path);
    }
    return 0;
}

/* A flash in memory holding the bootloader and the table, nothing else. */
static struct flash *deployed_flash(const uint8_t *boot, size_t len,
                                    const struct image_info *img, const uint8_t *sector,
                                    struct err *e)
{
    struct flash *f = flash_mem_new(image_size_from_code(img->flash_size_code), e);
    if (f && (flash_write(f, img->chip->bootloader_offset, boot, (uint32_t)len, e) ||
              flash_write(f, PTABLE_OFFSET, sector, PTABLE_SECTOR, e))) {
        flash_destroy(f);
        return NULL;
    }
    return f;
}

int op_switch_open_deployed(struct firmware *fw, const char *table_path, const char *boot_path,
                            struct err *e)
{
    uint8_t *boot, sector[PTABLE_SECTOR];
    size_t len;
    struct image_info img;
    struct ptable t;
    struct flash *f = NULL;
    if (read_bootloader(boot_path, &boot, &len, &img, e))
        return -1;
    uint32_t size = image_size_from_code(img.flash_size_code);
    if (firmware_read_table_file(table_path, size, &t, sector, e) == 0)
        f = deployed_flash(boot, len, &img, sector, e);
    free(boot);
    if (!f)
        return -1;
    if (firmware_load(fw, f, FW_DUMP, NULL, e)) {
        flash_destroy(f);
        return -1;
    }
    return 0;
}

static int make_dir(const char *dir, struct err *e)
{
    if (mkdir(dir, 0755) && errno != EEXIST)
        return err_sys(e, "%s: cannot create the directory", dir);
    return 0;
}

static int write_in(const char *dir, const char *name, const void *buf, size_t len,
                    struct err *e)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return err_set(e, "%s: path too long", dir);
    return file_write_atomic(path, buf, len, e);
}

/* ---- the backup ---------------------------------------------------------- */

#define RESTORE "restore.sh"

static int restore_script(const struct switch_plan *p, const char *dir, struct err *e)
{
    char *s = malloc(256 + (size_t)p->n_backup * 40);
    if (!s)
        return err_set(e, "out of memory");
    int n = sprintf(s, "#!/bin/sh\n# Puts back what mp-image-tool-esp32 --ota-switch changed, "
                       "as it was before:  sh %s PORT\ncd \"$(dirname \"$0\")\" && exec esptool "
                       "--chip %s --port \"${1:?usage: sh %s PORT}\" write_flash", RESTORE,
                    p->st.chip->name, RESTORE);
    for (int i = 0; i < p->n_backup; i++)
        n += sprintf(s + n, " 0x%x 0x%08x.bin", p->backup[i].addr, p->backup[i].addr);
    n += sprintf(s + n, "\n");
    int rc = write_in(dir, RESTORE, s, (size_t)n, e);
    free(s);
    return rc;
}

static int backup_range(struct firmware *fw, const struct switch_range *r, const char *dir,
                        struct err *e)
{
    char name[32];
    uint8_t *buf = malloc(r->len);
    if (!buf)
        return err_set(e, "out of memory");
    snprintf(name, sizeof name, "0x%08x.bin", r->addr);
    int rc = flash_read(fw->flash, r->addr, buf, r->len, e);
    if (rc == 0)
        rc = write_in(dir, name, buf, r->len, e);
    free(buf);
    return rc ? err_prefix(e, "backing up %s (0x%x bytes at 0x%x): ", r->what, r->len, r->addr)
              : 0;
}

int op_switch_backup(struct firmware *fw, const struct switch_plan *p, const char *dir,
                     bool *kept, struct err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, RESTORE);
    *kept = access(path, F_OK) == 0;
    if (*kept || make_dir(dir, e))
        return *kept ? 0 : -1;
    for (int i = 0; i < p->n_backup; i++)
        if (backup_range(fw, &p->backup[i], dir, e))
            return -1;
    return restore_script(p, dir, e);
}

/* ---- the artifacts ------------------------------------------------------- */

static int write_text(const char *dir, const char *name, char *text, struct err *e)
{
    if (!text)
        return err_set(e, "out of memory");
    int rc = write_in(dir, name, text, strlen(text), e);
    free(text);
    return rc;
}

static char *table_csv(const struct ptable *t)
{
    size_t n = ptable_to_csv(t, NULL, 0) + 1;
    char *s = malloc(n);
    if (s)
        ptable_to_csv(t, s, n);
    return s;
}

int op_switch_artifacts(const struct switch_plan *p, const char *dir, const char *source,
                        struct err *e)
{
    uint8_t table[PTABLE_MAX_LEN];
    ptable_serialize_gen(&p->layout.table, table);
    if (make_dir(dir, e) || write_in(dir, "partitions.bin", table, sizeof table, e) ||
        write_text(dir, "partitions.csv", table_csv(&p->layout.table), e) ||
        write_text(dir, "ota_switch.h", op_switch_header(p, source), e) ||
        write_in(dir, "micropython.app-bin", p->st.mp_app, p->st.mp_len, e) ||
        write_text(dir, "plan.json", op_switch_json(p, source), e))
        return -1;
    return 0;
}

int op_switch_end_state(struct firmware *fw, const char *dir, struct err *e)
{
    uint8_t *buf = malloc(fw->flash_size);
    if (!buf)
        return err_set(e, "out of memory");
    int rc = flash_read(fw->flash, 0, buf, fw->flash_size, e);
    if (rc == 0)
        rc = make_dir(dir, e) || write_in(dir, "end-state.bin", buf, fw->flash_size, e) ? -1 : 0;
    free(buf);
    return rc;
}
