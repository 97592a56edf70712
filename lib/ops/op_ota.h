/* OTA state of a firmware: which app the bootloader will start, and which
 * slot an update goes to, from the otadata partition (ESP-IDF's rules, see
 * lib/otadata.h); and writing an app image to the next slot. */
#ifndef MPI_OP_OTA_H
#define MPI_OP_OTA_H

#include <stdbool.h>

#include "firmware.h"
#include "otadata.h"

struct ota_status {
    bool has_otadata;                   /* the table has a data/ota partition */
    char current[PTABLE_NAME_MAX + 1];  /* partition the bootloader boots */
    char next[PTABLE_NAME_MAX + 1];     /* partition an update would go to */
    struct otadata records;             /* the two select entries as decoded */
    int n_ota;                          /* OTA app slots in the table */
};

int op_ota_status(struct firmware *fw, struct ota_status *st, struct err *e);

/* Write an app image to the next OTA slot (checked like --write: a valid
 * app for this chip that fits) and make it the one that boots next.
 * rollback: state NEW (the app must confirm itself) instead of UNDEFINED.
 * *slot_name receives the partition written. */
int op_ota_update(struct firmware *fw, const uint8_t *app, size_t len, bool rollback,
                  char slot_name[PTABLE_NAME_MAX + 1], struct err *e);

#endif
