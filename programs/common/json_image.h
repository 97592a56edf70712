/* An app or bootloader image as a JSON object (esptool image_info --json
 * and mp-image-tool-esp32's summary; the schema: README "JSON output"). */
#ifndef MPI_JSON_IMAGE_H
#define MPI_JSON_IMAGE_H

#include "image.h"
#include "json.h"

/* `checked`: image_verify has run (the checksum and SHA fields mean
 * something). */
void json_image(struct json *j, const char *key, const struct image_info *img, bool checked);

#endif
