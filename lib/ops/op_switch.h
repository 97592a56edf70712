/* --ota-switch: move a deployed ESP-IDF / Arduino OTA device to MicroPython,
 * written once against struct firmware, so a flash dump and a device (or a
 * table and a bootloader alone, for a fleet) go through the same steps.
 *
 *   op_switch_read    1. the deployed state: chip, flash, bootloader ESP-IDF,
 *                        otadata (which slot runs), the running app, the
 *                        MicroPython app; refuses what is unsafe
 *   op_switch_check   2. the ESP-IDF verdict (compat.h); --force overrides
 *                        only this one
 *   op_switch_plan    3. the new table (switch_layout.h), the steps and what
 *                        to back up; detects an earlier, interrupted run
 *   op_switch_backup, op_switch_artifacts   4. files on the host
 *   op_switch_apply   5. the steps, each flushed before the next
 *
 * The order of the steps keeps the device bootable when the power or the
 * cable goes at any point (on a device every step is flushed, i.e. on the
 * chip and MD5-verified, before the next begins):
 *   [copy the running ota_1 app into ota_0 and select it: only when
 *    MicroPython cannot fit beside ota_1; otadata still selects the
 *    original until the verified copy is selected]
 *   write the app into the MicroPython slot   neither table nor otadata
 *                                             lead there yet
 *   write the partition table                 one sector; the running slot,
 *                                             otadata and the OTA slot count
 *                                             are the same in both tables,
 *                                             so otadata still selects it
 *   erase the head of vfs                     no table entry MicroPython's
 *                                             does not exist for yet
 *   write otadata to select MicroPython       one sector, the one not in
 *                                             use: torn, its CRC fails and
 *                                             the other entry still holds
 *   verify (read back from the chip)
 * The only window is the partition table's single sector being rewritten,
 * as for any repartitioning (ESP-IDF keeps no second copy of the table).
 * A rerun finds the state the cut left: the same plan (the layout is a
 * fixed point of itself) minus what is done, or "already switched". */
#ifndef MPI_OP_SWITCH_H
#define MPI_OP_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compat.h"
#include "firmware.h"
#include "otadata.h"
#include "switch_layout.h"

/* Room above the app in the MicroPython slot when --app-size is not given:
 * the app rounded up to 64 KiB plus this.  MicroPython's own 4 MB table
 * gives its app 0x1F0000 bytes, 256 KiB more than an ESP32_GENERIC build
 * of v1.2x needs; a release grows by some tens of KiB, so this leaves room
 * for several later OTA updates of MicroPython into the same slot. */
#define SWITCH_MARGIN 0x40000u

struct switch_opts {
    uint32_t app_size;                   /* 0: the default above */
    const char *keep[SWITCH_MAX_KEEP];   /* more partitions kept in place */
    int n_keep;
    bool force;                          /* go on although the verdict is REFUSED */
    bool table_only;                     /* --deployed-table: no otadata, no apps; the
                                            device is made to run ota_0 in the field */
};

/* What only the chip can tell; the front end asks a device. */
struct switch_chip {
    bool is_device;
    int revision;                        /* major * 100 + minor; -1 unknown */
    struct chip_security security;
};

struct switch_state {
    const struct chip *chip;
    int chip_revision;                   /* -1 unknown */
    uint32_t flash_size;
    char boot_idf[IDF_VER_TEXT];
    const char *boot_idf_from;           /* "esp_bootloader_desc_t", "banner string", NULL */
    struct part otadata_part;
    uint8_t otadata[OTADATA_SIZE];
    struct otadata ota;
    int running;                         /* index into fw->table.p */
    bool running_known;                  /* its image was read (not table_only) */
    struct image_info running_img;       /* layout and descriptor */
    struct image_info mp;                /* the MicroPython app, verified */
    const uint8_t *mp_app;               /* borrowed from the caller */
    size_t mp_len;
    bool already;                        /* the running app is this MicroPython */
};

enum switch_action {
    SW_BACKUP,          /* what will change, into local files (devices) */
    SW_COPY_RUNNING,    /* the running ota_1 app into ota_0 */
    SW_SELECT_COPY,     /* otadata: boot that copy */
    SW_WRITE_APP,       /* MicroPython into its slot */
    SW_WRITE_TABLE,     /* the new partition table */
    SW_ERASE_VFS,       /* the head of vfs: MicroPython formats it at boot */
    SW_SELECT_MP,       /* otadata: boot MicroPython */
    SW_VERIFY,          /* read it all back from the store */
};

struct switch_step {
    enum switch_action action;
    uint32_t addr, len;
    bool done;                           /* an earlier run did it; nothing to write */
    char text[200];
};

struct switch_range {
    uint32_t addr, len;
    char what[80];
};

#define SWITCH_MAX_STEPS 8
#define SWITCH_MAX_NOTES 8
#define SWITCH_MAX_RANGES (PTABLE_MAX_PARTS + 8)

struct switch_plan {
    struct switch_state st;
    struct compat_verdict verdict;
    bool forced;                         /* REFUSED, and --force given */
    int n_notes;                         /* warnings for the user */
    char notes[SWITCH_MAX_NOTES][300];
    struct ptable old_table;
    uint8_t old_table_raw[PTABLE_MAX_LEN];   /* the deployed table's bytes */
    struct switch_layout layout;         /* the new table */
    uint32_t mp_slot_size;
    bool move;                           /* SW_COPY_RUNNING and SW_SELECT_COPY */
    char field_note[300];                /* what the in-field procedure must do first */
    bool table_done;                     /* the device has the new table already */
    int n_steps;
    struct switch_step step[SWITCH_MAX_STEPS];
    int n_backup;
    struct switch_range backup[SWITCH_MAX_RANGES];
    uint8_t otadata_move[OTADATA_SIZE];  /* after SW_SELECT_COPY */
    uint8_t otadata_final[OTADATA_SIZE]; /* after SW_SELECT_MP */
};

/* The app image in a MicroPython firmware file (micropython.org .bin, a
 * flash dump, or an .app-bin); *app is malloc'd.  Errors name the file. */
int op_switch_app_file(const char *path, uint8_t **app, size_t *len, struct err *e);

/* The source of a fleet whose devices cannot be read: their partition
 * table (`table_path`: CSV or gen_esp32part .bin) and bootloader image, as
 * a firmware in memory (otadata erased, no apps: switch_opts.table_only). */
int op_switch_open_deployed(struct firmware *fw, const char *table_path, const char *boot_path,
                            struct err *e);

int op_switch_read(struct firmware *fw, const uint8_t *mp, size_t mp_len,
                   const struct switch_opts *o, const struct switch_chip *c,
                   struct switch_plan *p, struct err *e);
/* Fills p->verdict; -1 (naming a pairing that works) when it is REFUSED and
 * o->force is not set. */
int op_switch_check(struct switch_plan *p, const struct switch_opts *o, struct err *e);
int op_switch_plan(struct firmware *fw, const struct switch_opts *o, struct switch_plan *p,
                   struct err *e);

/* Every range of p->backup into DIR/0xADDRESS.bin, then DIR/restore.sh (an
 * esptool command line putting them back), written last: a directory that
 * has it holds a whole backup and is kept as it is (*kept = true), the
 * state before an earlier, interrupted run. */
int op_switch_backup(struct firmware *fw, const struct switch_plan *p, const char *dir,
                     bool *kept, struct err *e);

/* DIR/partitions.bin (gen_esp32part's 0xC00 bytes) and .csv, ota_switch.h
 * (the table as a C array with the offsets an in-field repartitioner
 * needs), micropython.app-bin, plan.json (`source` names the input). */
int op_switch_artifacts(const struct switch_plan *p, const char *dir, const char *source,
                        struct err *e);
/* DIR/end-state.bin: the whole flash as `fw` holds it now. */
int op_switch_end_state(struct firmware *fw, const char *dir, struct err *e);

/* Called before each step. */
typedef void (*switch_step_fn)(void *ctx, int index, const struct switch_step *s);
/* The steps after SW_BACKUP, in order, each flushed before the next. */
int op_switch_apply(struct firmware *fw, struct switch_plan *p, switch_step_fn fn, void *ctx,
                    struct err *e);

/* The plan as text (op_switch_text.c); malloc'd, NULL when out of memory. */
char *op_switch_json(const struct switch_plan *p, const char *source);
char *op_switch_header(const struct switch_plan *p, const char *source);

#endif
