/* libFuzzer target for the parsers that read untrusted bytes: firmware
 * layout detection, image headers and segments, partition tables and
 * ESP-IDF CSV files.  Build: cmake -DFUZZ=ON -DCMAKE_C_COMPILER=clang;
 * run: build/fuzz_formats -max_total_time=60 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firmware.h"
#include "image.h"
#include "ptable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err e;
    struct image_info img;
    if (image_parse(data, size, &img, &e) == 0)
        image_verify(data, &img);
    (void)image_bytes_needed(data, size);

    enum firmware_kind kind;
    uint32_t base;
    (void)firmware_detect(data, size, &kind, &base, &e);

    static struct ptable t;
    if (ptable_parse(data, size, &t, &e) == 0)
        (void)ptable_validate(&t, 0x400000, &e);
    (void)ptable_from_csv((const char *)data, size, "fuzz.csv", 0x400000, &t, &e);
    return 0;
}
