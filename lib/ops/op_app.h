/* Inspecting and extracting the images in app partitions (and the
 * bootloader): the app's real length, checksum, SHA-256, chip and
 * descriptor, read header by segment header so a device is not read
 * further than the image. */
#ifndef MPI_OP_APP_H
#define MPI_OP_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware.h"

struct app_report {
    struct part part;
    bool present;            /* an image header is there */
    bool valid;              /* header, segments, checksum, SHA all good and chip matches */
    char problem[ERR_MSG_MAX];  /* why not valid (when present) */
    struct image_info img;   /* parsed and verified when the segments could be read */
};

/* Never fails for a bad image (that goes into the report); fails only when
 * flash cannot be read. */
int op_app_inspect(struct firmware *fw, const struct part *p, struct app_report *r,
                   struct err *e);

/* The image in the first app partition, exactly its length. */
int op_app_extract(struct firmware *fw, uint8_t **buf, size_t *len, struct part *which,
                   struct err *e);

#endif
