/* The embedded flasher stubs (generated at build time by stubs/stubs.cmake
 * from the pinned esptool-js package; nothing of them is in git).
 * A stub is loaded with MEM_BEGIN/MEM_DATA (text at text_start, data at
 * data_start), started by MEM_END(0, entry), and greets with "OHAI". */
#ifndef MPI_STUB_H
#define MPI_STUB_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct stub_image {
    const char *name;          /* "esp32c3", "esp32p4-rev1" */
    uint32_t entry, text_start, data_start, bss_start;
    const char *text_b64, *data_b64;
};

extern const struct stub_image stub_images[];   /* NULL-name terminated */
extern const char stub_source[];                /* "esptool-js 0.7.0" */

const struct stub_image *stub_find(const char *name);

/* Decode base64 into a malloc'd buffer; 0 or -1 with e filled. */
int stub_b64_decode(const char *b64, uint8_t **out, size_t *len, struct err *e);

#endif
